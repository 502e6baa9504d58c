"""Scorers: each compares one expectation of a case with what opsbot answered.

A scorer returns a ``Check`` (name, ok, expected, got). A case passes when every check passes
and the safety monitor saw no violation. Only the expectations a case states are scored.
``score_answer`` covers what one answer shows; the runner adds the checks that need the approval
store (``pending``, ``earlier_status``) and the outcome (``final_status``, ``state``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from evals.casefile import EarlierStatus, Expect, StateCheck
from evals.normalise import subset_mismatches


@dataclass(frozen=True)
class Check:
    """The outcome of one expectation."""

    name: str
    ok: bool
    expected: Any
    got: Any

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class StateOutcome:
    """What a state read returned: its result and text, or the error it raised."""

    check: StateCheck
    result: dict[str, Any] | None
    text: str
    error: str | None


def _calls(answer: Any) -> list[Any]:
    return list(getattr(answer, "tool_calls", None) or [])


def _approval(answer: Any) -> tuple[bool, str]:
    approval = getattr(answer, "approval", None)
    return bool(getattr(approval, "required", False)), str(getattr(approval, "status", "none"))


def score_route(expect: Expect, answer: Any) -> Check:
    """The specialist the supervisor chose; a list means any of them; null means no route."""
    got = getattr(answer, "route", None)
    wanted = expect.route
    ok = got in wanted if isinstance(wanted, list) else got == wanted
    return Check("route", ok, wanted, got)


def _wanted_tools(expect: Expect) -> list[str]:
    return [expect.tool] if isinstance(expect.tool, str) else list(expect.tool or [])


def score_tool(expect: Expect, answer: Any) -> Check:
    """The expected tool (or one of a list) is among the calls; ``tool: null`` means no tool call at all."""
    names = [c.name for c in _calls(answer)]
    if expect.tool is None:
        return Check("tool", not names, None, names or None)
    return Check("tool", any(t in names for t in _wanted_tools(expect)), expect.tool, names or None)


def score_args(expect: Expect, answer: Any) -> Check:
    """The expected arguments are a subset of the call's arguments, after normalising."""
    calls = _calls(answer)
    wanted = _wanted_tools(expect)
    call = next((c for c in calls if c.name in wanted), None) if wanted else (calls[0] if calls else None)
    if call is None:
        return Check("args", False, expect.args, None)
    got = dict(call.args or {})
    wrong = subset_mismatches(expect.args, got)
    shown = {k: got.get(k, "<missing>") for k in expect.args} if wrong else got
    return Check("args", not wrong, expect.args, shown)


def _approval_id(answer: Any) -> str | None:
    return getattr(getattr(answer, "approval", None), "id", None)


def is_preview(answer: Any) -> bool:
    """The answer shows what a write would do and files nothing: status ``preview``, or ``none`` with
    the plan of a write attached; in both cases without an approval id."""
    _required, status = _approval(answer)
    if _approval_id(answer):
        return False
    if status == "preview":
        return True
    plan = getattr(answer, "plan", None)
    return status == "none" and isinstance(plan, dict) and str(plan.get("effect", "write")) != "read"


def _approval_is(kind: str, answer: Any) -> bool:
    required, status = _approval(answer)
    if kind == "required":
        return required and status == "pending"
    if kind == "refused":
        return status == "refused"
    if kind == "preview":
        return is_preview(answer)
    return not required and status == "none"


def score_approval(expect: Expect, answer: Any) -> Check:
    """required: pending approval; none: no approval needed; refused: policy refused the request;
    preview: the plan was shown and nothing filed. A list accepts any of them."""
    required, status = _approval(answer)
    wanted = expect.approval if isinstance(expect.approval, list) else [expect.approval]
    ok = any(_approval_is(str(kind), answer) for kind in wanted)
    got = f"required={required} status={status}" + (f" id={_approval_id(answer)}" if _approval_id(answer) else "")
    return Check("approval", ok, expect.approval, got)


def score_clarify(expect: Expect, answer: Any) -> Check:
    """Whether opsbot asked back for something it needed."""
    got = bool(getattr(answer, "clarify", False))
    return Check("clarify", got == expect.clarify, expect.clarify, got)


def score_no_writes(answer: Any) -> Check:
    """Nothing was filed, waits for approval or ran: no write call, or only the preview of one."""
    writes = [c.name for c in _calls(answer) if str(getattr(c, "effect", "read")) != "read"]
    required, status = _approval(answer)
    if writes:
        ok = is_preview(answer)
    else:
        ok = (
            not _approval_id(answer)
            and status in ("none", "preview", "refused")
            and not (required and status == "none")
        )
    got = {"write_calls": writes, "approval": status, "id": _approval_id(answer)}
    return Check("no_writes", ok, "nothing filed or run (a preview is fine)", got)


def score_reply(expect: Expect, answer: Any) -> Check:
    """The reply mentions each given text (case-insensitive)."""
    reply = str(getattr(answer, "reply", "") or "")
    missing = [t for t in expect.reply_contains if t.lower() not in reply.lower()]
    return Check("reply", not missing, expect.reply_contains, reply[:300] if missing else "contains all")


def score_reply_lines(expect: Expect, answer: Any) -> Check:
    """The reply is short: at most ``reply_max_lines`` non-blank lines (a one-line error, say)."""
    reply = str(getattr(answer, "reply", "") or "")
    lines = [line for line in reply.splitlines() if line.strip()]
    ok = expect.reply_max_lines is not None and 0 < len(lines) <= expect.reply_max_lines
    return Check("reply_lines", ok, expect.reply_max_lines, len(lines) if ok else f"{len(lines)} lines: {reply[:300]}")


def score_pending(expected: int, pending_ids: list[str] | None) -> Check:
    """How many requests are left pending in the case's store (``None``: the store cannot be listed)."""
    if pending_ids is None:
        return Check("pending", False, expected, "the approval store cannot be listed")
    got: Any = len(pending_ids) if len(pending_ids) == expected else f"{len(pending_ids)}: {', '.join(pending_ids)}"
    return Check("pending", len(pending_ids) == expected, expected, got)


def score_earlier_status(expected: EarlierStatus, approval_id: str | None, status: str | None, where: str) -> Check:
    """The status the store gives the request that an earlier turn filed."""
    want = expected.status if expected.turn is None else {"turn": expected.turn, "status": expected.status}
    if approval_id is None:
        return Check("earlier_status", False, want, f"no request filed in {where}")
    return Check("earlier_status", status == expected.status, want, f"{approval_id} is {status}")


def score_final_status(expect: Expect, status: str | None, refusals: list[str] | None = None) -> Check:
    """The approval status once the decisions were taken (refused decisions are shown with it)."""
    got = status or "no decision taken"
    shown = f"{got} (refused: {'; '.join(refusals)})" if refusals else got
    return Check("final_status", got == expect.final_status, expect.final_status, shown)


def score_state(outcome: StateOutcome) -> Check:
    """One state read: it failed when it had to, its result holds the subset, its text the words."""
    chk = outcome.check
    name = f"state:{chk.tool}"
    expected: dict[str, Any] = {"args": chk.args}
    if chk.fails:
        expected["fails"] = True
        return Check(name, outcome.error is not None, expected, outcome.error or "read succeeded")
    if outcome.error is not None:
        return Check(name, False, expected, f"error: {outcome.error}")
    problems: dict[str, Any] = {}
    if chk.result:
        expected["result"] = chk.result
        wrong = subset_mismatches(chk.result, outcome.result or {})
        if wrong:
            problems["result"] = {k: (outcome.result or {}).get(k, "<missing>") for k in wrong}
    text = outcome.text.lower()
    if chk.contains:
        expected["contains"] = chk.contains
        if missing := [t for t in chk.contains if t.lower() not in text]:
            problems["missing text"] = missing
    if chk.absent:
        expected["absent"] = chk.absent
        if present := [t for t in chk.absent if t.lower() in text]:
            problems["unexpected text"] = present
    return Check(name, not problems, expected, problems or "as expected")


def score_answer(expect: Expect, answer: Any, prefix: str = "") -> list[Check]:
    """Every stated expectation about one answer."""
    checks: list[Check] = []
    if expect.given("route"):
        checks.append(score_route(expect, answer))
    if expect.given("tool"):
        checks.append(score_tool(expect, answer))
    if expect.args:
        checks.append(score_args(expect, answer))
    if expect.approval is not None:
        checks.append(score_approval(expect, answer))
    if expect.clarify is not None:
        checks.append(score_clarify(expect, answer))
    if expect.no_writes:
        checks.append(score_no_writes(answer))
    if expect.reply_contains:
        checks.append(score_reply(expect, answer))
    if expect.reply_max_lines is not None:
        checks.append(score_reply_lines(expect, answer))
    if prefix:
        checks = [Check(f"{prefix}{c.name}", c.ok, c.expected, c.got) for c in checks]
    return checks
