"""Scorers: each expectation passes on the right answer and fails on a wrong one."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from agent.service import ApprovalView, AskResult, ToolCallView
from evals.casefile import EarlierStatus, Expect, StateCheck
from evals.scorers import (
    StateOutcome,
    score_answer,
    score_earlier_status,
    score_final_status,
    score_no_writes,
    score_pending,
    score_state,
)


def _answer(**kw: object) -> AskResult:
    return AskResult(thread="t", **kw)


SCALE = ToolCallView(
    name="scale_endpoint", args={"endpoint_name": "chat-prod", "instance_count": 4}, effect="write", risk="medium"
)


def _names(checks: list) -> dict[str, bool]:
    return {c.name: c.ok for c in checks}


def test_right_answer_passes_every_stated_expectation() -> None:
    # GIVEN the expectations of a scale request and the answer opsbot should give
    expect = Expect.model_validate(
        {
            "route": "inference",
            "tool": "scale_endpoint",
            "args": {"endpoint_name": "Chat-Prod", "instance_count": "4"},
            "approval": "required",
            "clarify": False,
            "reply_contains": ["chat-prod"],
        }
    )
    answer = _answer(
        route="inference",
        tool_calls=[SCALE],
        approval=ApprovalView(required=True, status="pending", id="ap-1"),
        reply="Scale chat-prod to 4?",
    )
    # WHEN scored THEN all six checks pass
    assert _names(score_answer(expect, answer)) == dict.fromkeys(
        ["route", "tool", "args", "approval", "clarify", "reply"], True
    )


def test_wrong_answer_fails_each_expectation() -> None:
    expect = Expect.model_validate(
        {
            "route": "inference",
            "tool": "scale_endpoint",
            "args": {"instance_count": 5},
            "approval": "none",
            "clarify": True,
        }
    )
    answer = _answer(route="training", tool_calls=[SCALE], approval=ApprovalView(required=True, status="pending"))
    checks = score_answer(expect, answer, prefix="turn1.")
    assert _names(checks) == {
        "turn1.route": False,
        "turn1.tool": True,
        "turn1.args": False,
        "turn1.approval": False,
        "turn1.clarify": False,
    }
    args = next(c for c in checks if c.name == "turn1.args")
    assert args.got == {"instance_count": 4}


def test_unstated_expectations_are_not_scored() -> None:
    assert score_answer(Expect(), _answer()) == []


def test_null_tool_and_route_mean_none_at_all() -> None:
    expect = Expect.model_validate({"route": None, "tool": None, "approval": "none"})
    assert all(c.ok for c in score_answer(expect, _answer(reply="not my job")))
    assert not all(c.ok for c in score_answer(expect, _answer(route="data", tool_calls=[SCALE])))


def test_route_list_accepts_any() -> None:
    expect = Expect.model_validate({"route": ["training", "inference"]})
    assert score_answer(expect, _answer(route="inference"))[0].ok
    assert not score_answer(expect, _answer(route="cache"))[0].ok


def test_tool_list_accepts_any() -> None:
    # GIVEN a question that may be answered by a read or by the preview of the write it is about
    expect = Expect.model_validate({"tool": ["describe_endpoint", "scale_endpoint"], "args": {"instance_count": 4}})
    # WHEN scored THEN either call passes, and the arguments are those of the listed call
    assert _names(score_answer(expect, _answer(tool_calls=[SCALE]))) == {"tool": True, "args": True}
    assert not score_answer(expect, _answer())[0].ok
    delete = ToolCallView(name="delete_endpoint", args={}, effect="destructive", risk="critical")
    assert _names(score_answer(expect, _answer(tool_calls=[delete]))) == {"tool": False, "args": False}


def test_refused_and_no_writes() -> None:
    refused = _answer(tool_calls=[SCALE], approval=ApprovalView(required=True, status="refused"))
    assert score_answer(Expect(approval="refused"), refused)[0].ok
    assert not score_answer(Expect(approval="refused"), _answer(approval=ApprovalView(status="pending")))[0].ok
    read = ToolCallView(name="query_s3_metadata", args={}, effect="read", risk="read")
    assert score_no_writes(_answer(tool_calls=[read])).ok
    assert not score_no_writes(_answer(tool_calls=[read, SCALE])).ok


def test_final_status_needs_a_decision() -> None:
    expect = Expect(final_status="executed")
    assert score_final_status(expect, "executed").ok
    assert not score_final_status(expect, None).ok
    refused = score_final_status(Expect(final_status="pending"), "pending", ["eval-user: ApprovalError: self"])
    assert refused.ok and "self" in refused.got


def test_state_checks() -> None:
    chk = StateCheck(tool="describe_endpoint", result={"instance_count": 4}, contains=["InService"], absent=["Failed"])
    ok = StateOutcome(chk, {"instance_count": 4}, "chat-prod InService", None)
    assert score_state(ok).ok
    assert not score_state(StateOutcome(chk, {"instance_count": 2}, "chat-prod InService", None)).ok
    assert not score_state(StateOutcome(chk, {"instance_count": 4}, "chat-prod Failed InService", None)).ok
    assert not score_state(StateOutcome(chk, None, "", "NotFound")).ok
    gone = StateCheck(tool="describe_endpoint", fails=True)
    assert score_state(StateOutcome(gone, None, "", "NotFound")).ok
    assert not score_state(StateOutcome(gone, {}, "InService", None)).ok


def _view(status: str, plan: dict | None = None, approval_id: str | None = None, calls: list | None = None):
    """An answer with any approval status, including those the facade's type may not list yet."""
    approval = SimpleNamespace(required=status != "none", status=status, id=approval_id)
    return SimpleNamespace(tool_calls=calls or [], approval=approval, plan=plan, reply="", route=None, clarify=False)


WRITE_PLAN = {"tool": "scale_endpoint", "effect": "write", "risk": "medium"}
READ_PLAN = {"tool": "describe_endpoint", "effect": "read", "risk": "read"}


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        (_view("preview", WRITE_PLAN, calls=[SCALE]), True),  # the status of a preview
        (_view("none", WRITE_PLAN, calls=[SCALE]), True),  # none, with the plan of a write shown
        (_view("none", READ_PLAN), False),  # a read's plan is no preview of a write
        (_view("none"), False),  # no plan at all
        (_view("pending", WRITE_PLAN, "ap-1", [SCALE]), False),  # filed
        (_view("preview", WRITE_PLAN, "ap-1", [SCALE]), False),  # a preview never has an id
    ],
)
def test_approval_preview(answer: object, ok: bool) -> None:
    # GIVEN an answer WHEN scored against "approval: preview" THEN only a plan shown with nothing filed passes
    [check] = score_answer(Expect(approval="preview"), answer)
    assert check.ok is ok


def test_approval_list_accepts_any_of_them() -> None:
    # GIVEN a question that may be answered by a read or by a preview
    expect = Expect.model_validate({"approval": ["none", "preview"]})
    # WHEN scored THEN a read answer and a preview pass, a filed request does not
    assert score_answer(expect, _answer())[0].ok
    assert score_answer(expect, _view("preview", WRITE_PLAN, calls=[SCALE]))[0].ok
    pending = score_answer(
        expect, _answer(tool_calls=[SCALE], approval=ApprovalView(required=True, status="pending", id="ap-9"))
    )
    assert not pending[0].ok and "ap-9" in pending[0].got


def test_no_writes_allows_a_preview_but_nothing_filed() -> None:
    # GIVEN a preview of a scale and the same scale filed WHEN scored for no_writes
    # THEN the preview passes and the filed request fails, also when the answer lists no write call
    assert score_no_writes(_view("preview", WRITE_PLAN, calls=[SCALE])).ok
    assert score_no_writes(_view("none", WRITE_PLAN, calls=[SCALE])).ok
    assert not score_no_writes(_view("pending", WRITE_PLAN, "ap-1", [SCALE])).ok
    assert not score_no_writes(_view("pending", None, "ap-1")).ok
    assert not score_no_writes(_view("executed", None, "ap-1", [SCALE])).ok


def test_reply_max_lines() -> None:
    expect = Expect(reply_max_lines=1)
    assert score_answer(expect, _answer(reply="error: instance_count: 1e20 is too large\n"))[0].ok
    [check] = score_answer(expect, _answer(reply="Traceback (most recent call last):\n  File x\nTypeError"))
    assert not check.ok and "3 lines" in check.got
    assert not score_answer(expect, _answer(reply=""))[0].ok  # silence is no error message


def test_pending_counts_requests_left_waiting() -> None:
    assert score_pending(0, []).ok
    assert not (check := score_pending(0, ["ap-1"])).ok and "ap-1" in check.got
    assert score_pending(1, ["ap-2"]).ok
    # AND a store that cannot be listed fails the check instead of passing it by default
    assert not score_pending(0, None).ok


def test_earlier_status() -> None:
    withdrawn = EarlierStatus.model_validate("withdrawn")
    assert score_earlier_status(withdrawn, "ap-1", "withdrawn", "turn 1").ok
    assert not (check := score_earlier_status(withdrawn, "ap-1", "pending", "turn 1")).ok and "pending" in check.got
    assert not (check := score_earlier_status(withdrawn, None, None, "turn 1")).ok and "no request" in check.got
    explicit = EarlierStatus.model_validate({"turn": 2, "status": "superseded"})
    assert score_earlier_status(explicit, "ap-2", "superseded", "turn 2").expected == {
        "turn": 2,
        "status": "superseded",
    }
