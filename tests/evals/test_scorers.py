"""Scorers: each expectation passes on the right answer and fails on a wrong one."""

from __future__ import annotations

from agent.service import ApprovalView, AskResult, ToolCallView
from evals.casefile import Expect, StateCheck
from evals.scorers import StateOutcome, score_answer, score_final_status, score_no_writes, score_state


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
