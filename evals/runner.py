"""Running cases: each on its own OPSBOT_HOME (own sandbox, stores and checkpoints), in worker processes.

moto is process-global, so cases run in parallel in separate processes, never threads; within a
process they run one after the other, each with a fresh home. The facade and the state reader are
named by ``module:attribute`` so that worker processes can import them (and tests can swap in fakes).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from evals.casefile import Case, Decide, Expect, class_of
from evals.safety import ApprovalRules, SafetyMonitor, registry_risk
from evals.scorers import (
    Check,
    StateOutcome,
    score_answer,
    score_earlier_status,
    score_final_status,
    score_pending,
    score_state,
)
from evals.usage import cost_usd, metered

DEFAULT_FACADE = "agent.service:Opsbot"
DEFAULT_READER = "evals.runner:sandbox_reader"
EVAL_REGION = "us-east-1"  # where the sandbox's demo account is seeded
LIST_LIMIT = 1000  # approval records read per listing: far more than one case files


@dataclass(frozen=True)
class RunConfig:
    """How to run cases. Picklable: it travels to the worker processes."""

    model: str = "offline"
    facade: str = DEFAULT_FACADE
    reader: str = DEFAULT_READER
    case_timeout_s: float = 120.0


class CaseResult(BaseModel):
    """The outcome of one case, as the reports show it."""

    id: str
    tags: list[str] = Field(default_factory=list)
    text: str = ""
    source: str = ""
    expected_route: str | None = None
    expected_tool: str | None = None
    passed: bool = False
    checks: list[dict[str, Any]] = Field(default_factory=list)
    violations: list[str] = Field(default_factory=list)
    writes_seen: int = Field(default=0, description="Mutating AWS calls the guard saw.")
    filed: dict[str, list[str]] = Field(
        default_factory=dict, description="Approval requests that appeared in the store, per turn that filed any."
    )
    error: str | None = None
    latency_ms: float = Field(default=0.0, description="Time spent in the facade's ask and decide calls.")
    wall_ms: float = 0.0
    steps: int = 0
    model_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    answer: dict[str, Any] | None = Field(default=None, description="The last answer, abridged.")

    @property
    def failed_checks(self) -> list[dict[str, Any]]:
        """Checks that did not pass."""
        return [c for c in self.checks if not c["ok"]]

    @property
    def case_class(self) -> str | None:
        """The conversation class of the case (from its tags), if any."""
        return class_of(self.tags)


class CaseTimeoutError(Exception):
    """A case ran longer than its time limit."""


def load_object(spec: str) -> Any:
    """The attribute named by ``module:attribute``."""
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part)
    return obj


def sandbox_reader(settings: Any) -> Callable[[str, dict[str, Any]], tuple[dict[str, Any], str]]:
    """Run a read tool on the case's sandbox, straight through the tool runtime (not the facade)."""
    from tools import runtime

    ctx = runtime.make_context(settings, requester="eval-checker", thread="eval-state")

    def read(tool: str, args: dict[str, Any]) -> tuple[dict[str, Any], str]:
        outcome = runtime.run_read(tool, args, ctx)
        return outcome.result, outcome.text

    return read


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    # SIGALRM works only on the main thread; elsewhere the case simply has no limit.
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(*_: Any) -> None:
        raise CaseTimeoutError(f"case took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _approvals_lookup(bot: Any) -> Callable[[str], Any]:
    store = getattr(bot, "approvals", None)
    if store is None or not hasattr(store, "get"):
        return lambda _id: None

    def lookup(approval_id: str) -> Any:
        try:
            return store.get(approval_id)
        except Exception as exc:
            if isinstance(exc, KeyError) or "NotFound" in type(exc).__name__:
                return None
            raise

    return lookup


def _approvals_listing(bot: Any) -> Callable[[], list[Any]] | None:
    """A way to list the case's approval records: the facade's ``list_approvals``, else its service's
    ``list``; None when the facade offers neither."""
    listing = getattr(bot, "list_approvals", None)
    if not callable(listing):
        listing = getattr(getattr(bot, "approvals", None), "list", None)
    if not callable(listing):
        return None
    return lambda: list(listing(limit=LIST_LIMIT))


def _field(record: Any, name: str, default: Any = None) -> Any:
    if isinstance(record, dict):
        return record.get(name, default)
    return getattr(record, name, default)


def _abridged(answer: Any) -> dict[str, Any] | None:
    if answer is None:
        return None
    approval = getattr(answer, "approval", None)
    return {
        "route": getattr(answer, "route", None),
        "tool_calls": [{"name": c.name, "args": c.args} for c in getattr(answer, "tool_calls", [])],
        "approval": {"required": getattr(approval, "required", None), "status": getattr(approval, "status", None)},
        "clarify": getattr(answer, "clarify", None),
        "reply": str(getattr(answer, "reply", "") or "")[:400],
        "policy": [
            {"rule": getattr(f, "rule", ""), "ok": getattr(f, "ok", None)} for f in getattr(answer, "policy", []) or []
        ],
        "error": getattr(answer, "error", None),
    }


class _CaseRun:
    """One case against one facade instance; keeps the clock and the safety monitor."""

    def __init__(self, case: Case, bot: Any, monitor: SafetyMonitor) -> None:
        self.case, self.bot, self.monitor = case, bot, monitor
        self.lookup = monitor.lookup
        self.listing = _approvals_listing(bot)
        self.known: set[str] = set()  # approval ids seen so far, in the store or in answers
        self.filed: dict[int, list[str]] = {}  # turn number -> requests it filed, the answer's own last
        self.refusals: list[str] = []
        self.last_decided: Any = None
        self.latency = 0.0
        self.steps = 0
        self.checks: list[Check] = []
        self.last: Any = None

    def _step(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        answer = None
        try:
            answer = fn()
            return answer
        finally:
            self.latency += time.perf_counter() - start
            self.steps += 1
            self.monitor.after_step(name, answer)

    def _records(self) -> list[Any] | None:
        if self.listing is None:
            return None
        try:
            return self.listing()
        except Exception:  # a store that cannot be listed: fall back on the answers' approval ids
            return None

    def _ids(self) -> set[str] | None:
        records = self._records()
        return None if records is None else {str(_field(r, "id")) for r in records}

    def _new_requests(self, before: set[str] | None, answer: Any) -> list[str]:
        """Approval records that appeared during the turn, the answer's own request last."""
        after = self._ids()
        new = sorted(after - before) if after is not None and before is not None else []
        own = getattr(getattr(answer, "approval", None), "id", None)
        if own and (own in new or own not in self.known):
            new = [i for i in new if i != own] + [own]
        self.known |= set(new) | (after or set())
        return new

    def converse(self) -> Any:
        """Send every turn in one thread, each as its speaker, with ``dry_run=False``, and score the answers."""
        thread = None
        answer = None
        for n, turn in enumerate(self.case.conversation, 1):
            text, user = turn.utterance, self.case.speaker(turn)
            before = self._ids()
            answer = self._step(
                f"turn {n}",
                lambda text=text, user=user, thread=thread: self.bot.ask(text, user=user, thread=thread, dry_run=False),
            )
            thread = getattr(answer, "thread", thread)
            new = self._new_requests(before, answer)
            if new:
                self.filed[n] = new
                if self.case.is_question(turn):
                    self.monitor.question_filed(f"turn {n}", new)
            if turn.expect is not None:
                self.checks += score_answer(turn.expect, answer, prefix=f"turn{n}.")
                self.checks += self.store_checks(turn.expect, n, prefix=f"turn{n}.")
        self.last = answer
        self.checks += score_answer(self.case.expect, answer)
        return answer

    def store_checks(self, expect: Expect, at_turn: int, prefix: str = "") -> list[Check]:
        """The expectations read from the approval store: requests left pending, and the status of the
        request an earlier turn (before ``at_turn``) filed."""
        checks: list[Check] = []
        if expect.pending is not None:
            checks.append(score_pending(expect.pending, self._pending_ids()))
        if expect.earlier_status is not None:
            wanted = expect.earlier_status
            approval_id, where = self._earlier_request(wanted.turn, at_turn)
            status = None
            if approval_id is not None:
                record = self.lookup(approval_id)
                status = str(_field(record, "status")) if record is not None else "missing from the store"
            checks.append(score_earlier_status(wanted, approval_id, status, where))
        if prefix:
            checks = [Check(f"{prefix}{c.name}", c.ok, c.expected, c.got) for c in checks]
        return checks

    def _pending_ids(self) -> list[str] | None:
        # Each case has its own home, so every record in the store is one of the case's threads.
        records = self._records()
        if records is None:
            return None
        return [str(_field(r, "id")) for r in records if str(_field(r, "status")) == "pending"]

    def _earlier_request(self, turn: int | None, at_turn: int) -> tuple[str | None, str]:
        """The request filed by ``turn``, or by the latest turn before ``at_turn`` that filed one."""
        if turn is not None:
            ids = self.filed.get(turn, [])
            return (ids[-1] if ids else None), f"turn {turn}"
        earlier = [t for t in self.filed if t < at_turn]
        return (self.filed[max(earlier)][-1] if earlier else None), f"any turn before turn {at_turn}"

    def decide(self, decision: Decide) -> str:
        """Take the case's decisions; returns the approval status they leave behind.

        A decision the facade refuses (say, the requester approving their own medium request) is
        part of the outcome, not an error: the status is then read back from the approval store.
        """
        approval = getattr(self.last, "approval", None)
        approval_id, status = getattr(approval, "id", None), str(getattr(approval, "status", "none"))
        if not decision.by:
            return status
        if not approval_id or status != "pending":
            self.checks.append(Check("decision", False, "a pending approval to decide", f"status={status}"))
            return status
        for who in decision.by:
            try:
                decided = self._step(
                    f"decide by {who}",
                    lambda who=who: self.bot.decide(approval_id, user=who, approve=decision.approve),
                )
            except Exception as exc:  # refused decisions are outcomes; the store says where things stand
                self.refusals.append(f"{who}: {type(exc).__name__}: {exc}")
                record = self.lookup(approval_id)
                status = str(getattr(record, "status", status)) if record is not None else status
                continue
            status = str(getattr(getattr(decided, "approval", None), "status", status))
            self.last_decided = decided
            # pending (or approved but not yet run) means waiting for more approvers.
            if not decision.approve or status not in ("pending", "approved"):
                break
        return status


def case_settings(home: str, config: RunConfig) -> Any:
    """Settings of one case: its own home, the sandbox (never live), the demo account's region and
    local stores, whatever the environment says, so that runs are comparable."""
    from tools.config import get_settings

    return get_settings(home=home, model=config.model, live=False, region=EVAL_REGION, store="sqlite")


def run_case(case: Case, config: RunConfig) -> CaseResult:
    """Run one case on a fresh home and score it. Never raises: errors fail the case."""

    started = time.perf_counter()
    home = tempfile.mkdtemp(prefix="opsbot-eval-")
    result = CaseResult(
        id=case.id,
        tags=list(case.tags),
        text=case.text,
        source=case.source,
        expected_route=_route_label(case),
        expected_tool=case.expect.tool if not isinstance(case.expect.tool, list) else "|".join(case.expect.tool),
    )
    run: _CaseRun | None = None
    bot: Any = None
    monitor: SafetyMonitor | None = None
    try:
        settings = case_settings(home, config)
        bot = load_object(config.facade)(settings)
        rules = ApprovalRules.from_policy_file(settings.policy_file) if settings.policy_file else None
        monitor = SafetyMonitor(_approvals_lookup(bot), case.user, rules, risk_of_tool=registry_risk)
        run = _CaseRun(case, bot, monitor)
        with monitor.listening(), metered() as usage, _time_limit(config.case_timeout_s):
            try:
                run.converse()
                decision = case.decision
                status = run.decide(decision) if decision else None
                if case.expect.final_status:
                    run.checks.append(score_final_status(case.expect, status, run.refusals))
                run.checks += run.store_checks(case.expect, len(case.conversation))
                if case.expect.state:
                    read = load_object(config.reader)(settings)
                    for chk in case.expect.state:
                        run.checks.append(score_state(_read_state(read, chk)))
            finally:
                result.model_calls = usage.calls
                result.input_tokens = usage.input_tokens
                result.output_tokens = usage.output_tokens
    except Exception as exc:  # one broken case must not stop the suite
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        _close(bot)
        shutil.rmtree(home, ignore_errors=True)
    if run is not None:
        result.checks = [c.as_dict() for c in run.checks]
        result.latency_ms = round(run.latency * 1000, 1)
        result.steps = run.steps
        result.filed = {f"turn {n}": ids for n, ids in run.filed.items()}
        result.answer = _abridged(run.last)
        if run.last_decided is not None:
            result.answer = {**(result.answer or {}), "after_decisions": _abridged(run.last_decided)}
        if run.refusals:
            result.answer = {**(result.answer or {}), "refused_decisions": run.refusals}
    if monitor is not None:
        result.violations = [str(v) for v in monitor.violations]
        result.writes_seen = monitor.writes_seen
    result.cost_usd = cost_usd(config.model, result.input_tokens, result.output_tokens)
    result.wall_ms = round((time.perf_counter() - started) * 1000, 1)
    result.passed = result.error is None and not result.violations and all(c["ok"] for c in result.checks)
    return result


def _route_label(case: Case) -> str:
    """The expected route as the per-route table groups it."""
    if not case.expect.given("route"):
        return "(not scored)"
    route = case.expect.route
    if route is None:
        return "(none)"
    return route if isinstance(route, str) else "|".join(route)


def _read_state(read: Callable[[str, dict[str, Any]], tuple[dict[str, Any], str]], chk: Any) -> StateOutcome:
    try:
        data, text = read(chk.tool, dict(chk.args))
    except Exception as exc:  # a failing read is an outcome the case may expect
        return StateOutcome(chk, None, "", f"{type(exc).__name__}: {exc}")
    return StateOutcome(chk, data, text, None)


def _close(bot: Any) -> None:
    close = getattr(bot, "close", None)
    if callable(close):
        with suppress(Exception):  # closing is best effort; the home is removed anyway
            close()


def warm_up(config: RunConfig) -> None:
    """Pay the one-time costs of a process (imports, the sandbox's seed snapshot, the graph) before
    the first case, so that per-case latencies measure cases. Best effort: a failure here shows up
    again, with its message, in the first case."""

    home = tempfile.mkdtemp(prefix="opsbot-eval-warm-")
    try:
        settings = case_settings(home, config)
        from tools.registry import all_tools
        from tools.sandbox import get_sandbox

        all_tools()
        with get_sandbox(settings).session():
            pass
        bot = load_object(config.facade)(settings)
        for part in ("model", "graph"):  # the facade builds these lazily
            getattr(bot, part, None)
        _close(bot)
    except Exception:  # reported, with its message, by the first case instead
        pass
    finally:
        shutil.rmtree(home, ignore_errors=True)
    # What the warm-up made (modules, the tool catalog, the seed snapshot, grammars) lives as long as
    # the worker: frozen, full collections stop walking it again for every case.
    gc.collect()
    gc.freeze()


def run_cases(
    cases: list[Case],
    config: RunConfig,
    workers: int = 2,
    on_result: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run every case (in ``workers`` processes when more than one), in the cases' order."""
    done: dict[str, CaseResult] = {}

    def finished(res: CaseResult) -> None:
        done[res.id] = res
        if on_result:
            on_result(res)

    if workers <= 1 or len(cases) <= 1:
        warm_up(config)
        for case in cases:
            finished(run_case(case, config))
    else:
        # spawn: a clean interpreter per worker, unaffected by moto or threads in this process.
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=warm_up, initargs=(config,)) as pool:
            futures = {pool.submit(run_case, case, config): case for case in cases}
            for future in as_completed(futures):
                case = futures[future]
                try:
                    finished(future.result())
                except Exception as exc:  # a worker that died takes only its case down
                    finished(CaseResult(id=case.id, tags=list(case.tags), text=case.text, error=f"worker: {exc}"))
    return [done[c.id] for c in cases]
