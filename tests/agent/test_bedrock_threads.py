"""Threads on Bedrock, held to Converse's rules by the strict stand-in: a write waiting for approval,
its decision, explicit commands, failed turns, parallel calls, corrections, empty answers, errors and
large results all leave a thread every later Converse request of which Bedrock accepts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.models.bedrock import make_bedrock_model
from agent.service import Opsbot
from tests.fakes.bedrock_converse import StrictConverse, end_turn, tool_use
from tools.config import DEFAULT_BEDROCK_MODEL
from tools.runtime import make_context, run_read

MODEL_ID = DEFAULT_BEDROCK_MODEL.removeprefix("bedrock:")


@pytest.fixture
def bot(settings: Any, client: Any) -> Opsbot:
    return Opsbot(settings, model=make_bedrock_model(settings, MODEL_ID, client=client))


def route(to: str, use_id: str) -> dict[str, Any]:
    return tool_use("route_request", {"route": to, "reason": "test"}, use_id)


def tool_results(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every toolResult block of one Converse request."""
    return [b["toolResult"] for m in params["messages"] for b in m["content"] if "toolResult" in b]


def result_text(result: dict[str, Any]) -> str:
    return " ".join(part.get("text", "") for part in result["content"])


def endpoint_count(settings: Any) -> int:
    ctx = make_context(settings)
    return run_read("describe_endpoint", {"endpoint_name": "chat-prod"}, ctx).result["endpoint"]["instance_count"]


def test_a_thread_with_a_pending_write_keeps_working_through_its_decision(
    bot: Opsbot, stub: StrictConverse, client: Any, settings: Any
) -> None:
    # GIVEN a write that stops at its approval
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    assert pending.approval.status == "pending"
    approval_id = pending.approval.id
    # WHEN, while it waits, the same thread asks for a read
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", tool_use("list_endpoints", {}, "t2"))
    stub.add_response("converse", end_turn("chat-prod is InService."))
    meanwhile = bot.ask("while we wait: list endpoints", user="dave", thread=pending.thread)
    # THEN it is answered, and Bedrock was told the write is awaiting its approval
    assert meanwhile.error is None and meanwhile.reply == "chat-prod is InService."
    first = tool_results(client.sent[-2])[0]
    assert first["toolUseId"] == "t1" and f"awaiting approval {approval_id}" in result_text(first)
    # WHEN the approval is decided and the thread asks "did it scale?"
    done = bot.decide(approval_id, user="carol", approve=True)
    assert done.approval.status == "executed" and endpoint_count(settings) == 2
    stub.add_response("converse", route("inference", "r3"))
    stub.add_response("converse", end_turn("Yes: chat-prod runs 2 instances."))
    after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    # THEN it is answered too, and the write's toolResult now tells its outcome
    assert after.error is None and after.reply == "Yes: chat-prod runs 2 instances."
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert f"{approval_id} was approved by carol and ran" in result_text(closed)
    assert closed["status"] == "success"


@pytest.mark.parametrize(
    ("decision", "said"),
    [("reject", "was rejected by carol; nothing ran"), ("withdraw", "was withdrawn by dave; nothing ran")],
)
def test_a_write_decided_against_is_closed_with_its_outcome(
    bot: Opsbot, stub: StrictConverse, client: Any, decision: str, said: str
) -> None:
    # GIVEN a write waiting for approval, then rejected by an approver or withdrawn by its requester
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    if decision == "reject":
        bot.decide(pending.approval.id, user="carol", approve=False)
    else:
        bot.withdraw(pending.approval.id, user="dave")
    # WHEN the thread goes on
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn("It did not run."))
    after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    # THEN Bedrock accepted the thread, and the write's toolResult says what became of it
    assert after.error is None
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert said in result_text(closed)


def test_an_expired_write_is_closed_as_expired(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN a write waiting for approval whose request expires unanswered
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t1"))
    pending = bot.ask("scale chat-prod to 2", user="dave")
    later = datetime.now(UTC) + timedelta(days=2)
    # WHEN the thread goes on after its expiry THEN the toolResult says it expired and nothing ran
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn("It expired."))
    with bot.approvals.pinned(later):
        after = bot.ask("did it scale?", user="dave", thread=pending.thread)
    assert after.error is None
    closed = next(r for r in tool_results(client.sent[-1]) if r["toolUseId"] == "t1")
    assert "expired" in result_text(closed) and "nothing ran" in result_text(closed)


def test_an_explicit_write_command_leaves_the_thread_well_formed(
    bot: Opsbot, stub: StrictConverse, client: Any
) -> None:
    # GIVEN an explicit command for a write (read without the model) that waits for approval
    pending = bot.ask("scale_endpoint endpoint_name=chat-prod instance_count=2", user="dave")
    assert pending.approval.status == "pending" and client.sent == []
    # WHEN the same thread then asks the model something
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", end_turn("It is waiting for approval."))
    after = bot.ask("what is it waiting for?", user="dave", thread=pending.thread)
    # THEN Bedrock accepted the thread, the command's call closed as awaiting approval
    assert after.error is None
    assert any(f"awaiting approval {pending.approval.id}" in result_text(r) for r in tool_results(client.sent[-1]))


def test_a_failed_turn_is_marked_and_never_merged_with_the_next_message(
    bot: Opsbot, stub: StrictConverse, client: Any
) -> None:
    # GIVEN a turn that fails at Bedrock (access denied, not retried)
    stub.add_client_error("converse", service_error_code="AccessDeniedException", http_status_code=403)
    failed = bot.ask("delete endpoint chat-prod", user="dave")
    assert failed.error is not None and failed.error.code == "aws_error"
    # WHEN the person goes on in the same thread
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("list_endpoints", {}, "t1"))
    stub.add_response("converse", end_turn("chat-prod is InService."))
    after = bot.ask("never mind, just list endpoints", user="dave", thread=failed.thread)
    # THEN the router saw only the new message, and the specialist saw the failed one apart, marked
    assert after.error is None and bot.list_approvals() == []
    routed = [b["text"] for m in client.sent[-3]["messages"] for b in m["content"] if "text" in b]
    assert routed == ["never mind, just list endpoints"]
    messages = client.sent[-2]["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"] == [{"text": "delete endpoint chat-prod"}]
    assert "could not finish answering" in messages[1]["content"][0]["text"]
    assert messages[2]["content"] == [{"text": "never mind, just list endpoints"}]


def test_an_empty_model_answer_gets_a_reply(bot: Opsbot, stub: StrictConverse) -> None:
    # GIVEN a model that answers with no text at all, first after a read, then to a plain message
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("list_endpoints", {}, "t1"))
    stub.add_response("converse", end_turn(""))
    after_read = bot.ask("list endpoints", user="dave")
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn(""))
    plain = bot.ask("and?", user="dave", thread=after_read.thread)
    # THEN the read's result is the answer, and a plain message gets a sentence saying what happened
    assert "chat-prod" in after_read.reply
    assert plain.reply.startswith("The model gave no answer")
    # AND the thread stays valid for the next call (no empty text block was kept)
    stub.add_response("converse", route("inference", "r3"))
    stub.add_response("converse", end_turn("ok"))
    assert bot.ask("thanks", user="dave", thread=after_read.thread).reply == "ok"


@pytest.mark.parametrize(("model_id", "status"), [(MODEL_ID, "error"), ("meta.llama3-1-70b-instruct-v1:0", None)])
def test_a_tool_error_goes_back_as_status_error_where_the_model_supports_it(
    settings: Any, client: Any, stub: StrictConverse, model_id: str, status: str | None
) -> None:
    # GIVEN a model that reads an endpoint the account does not have
    bot = Opsbot(settings, model=make_bedrock_model(settings, model_id, client=client))
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response(
        "converse", tool_use("get_endpoint_metrics", {"endpoint_name": "chat-prod", "window_minutes": -5}, "t1")
    )
    stub.add_response("converse", end_turn("That window is not valid."))
    # WHEN the tool refuses the call
    bot.ask("metrics for chat-prod", user="dave")
    # THEN the toolResult is marked an error on Claude and Nova, and sent without that mark elsewhere
    result = tool_results(client.sent[-1])[0]
    assert result_text(result).startswith("error:")
    assert result.get("status", "success") == (status or "success")


@pytest.mark.parametrize(
    ("code", "status", "times"), [("ThrottlingException", 429, 3), ("ValidationException", 400, 1)]
)
def test_bedrock_errors_exit_1_with_a_clear_message(
    client: Any, monkeypatch: pytest.MonkeyPatch, code: str, status: int, times: int
) -> None:
    # GIVEN opsbot on Bedrock whose Converse keeps throttling past the retries, or refuses the request
    from typer.testing import CliRunner

    from agent import cli
    from agent.models import bedrock

    monkeypatch.setenv("OPSBOT_MODEL", DEFAULT_BEDROCK_MODEL)
    monkeypatch.setenv("OPSBOT_AWS_MAX_ATTEMPTS", "3")
    monkeypatch.setattr(bedrock, "bedrock_clients", lambda settings: (client, None))
    with StrictConverse(client) as stand_in:
        for _ in range(times):
            stand_in.add_client_error("converse", service_error_code=code, http_status_code=status)
        # WHEN a request is asked, with and without --json
        result = CliRunner().invoke(cli.app, ["--json", "ask", "list endpoints"])
        stand_in.assert_no_pending_responses()
    # THEN it exits 1 (AWS error, not bad input) with one JSON error naming Bedrock's code
    doc = json.loads(result.stdout)
    assert result.exit_code == 1, result.stdout
    assert doc["ok"] is False and doc["error"]["code"] == "aws_error" and code in doc["error"]["message"]
    with StrictConverse(client) as stand_in:
        for _ in range(times):
            stand_in.add_client_error("converse", service_error_code=code, http_status_code=status)
        plain = CliRunner().invoke(cli.app, ["ask", "list endpoints"])
    assert plain.exit_code == 1 and "error: " in plain.stderr and "Bedrock" in plain.stderr
    assert "Traceback" not in plain.stderr + plain.stdout


LLAMA = "meta.llama3-1-70b-instruct-v1:0"


@pytest.mark.parametrize(
    "answer", ['{"route": "inference", "reason": "endpoints"}', "This is for the inference specialist."]
)
def test_a_model_that_cannot_be_forced_still_routes(
    settings: Any, client: Any, stub: StrictConverse, answer: str
) -> None:
    # GIVEN a model with no forced tool choice that answers the router in text (JSON or words)
    bot = Opsbot(settings, model=make_bedrock_model(settings, LLAMA, client=client))
    stub.add_response("converse", end_turn(answer))
    stub.add_response("converse", tool_use("list_endpoints", {}, "t1"))
    stub.add_response("converse", end_turn("chat-prod is InService."))
    # WHEN asked to list endpoints
    result = bot.ask("list endpoints", user="dave")
    # THEN the text answer was read as the route: the specialist ran, nothing was "outside what I do"
    assert result.route == "inference" and result.reply == "chat-prod is InService."
    router = client.sent[0]
    assert "toolChoice" not in router["toolConfig"]
    assert "reply with only one JSON object" in " ".join(b.get("text", "") for b in router["system"])


def test_the_router_sees_opsbots_question_with_the_answer(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN opsbot asked back which endpoint and how many
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", end_turn("Which endpoint, and to how many instances?"))
    asked = bot.ask("scale an endpoint", user="dave")
    assert asked.clarify
    # WHEN the person answers "chat-prod, 3"
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 3}, "t1"))
    answered = bot.ask("chat-prod, 3", user="dave", thread=asked.thread)
    # THEN the router was shown the question next to the answer, and the write waits for approval
    router = client.sent[-2]
    assert "Which endpoint, and to how many instances?" in " ".join(b.get("text", "") for b in router["system"])
    assert router["messages"] == [{"role": "user", "content": [{"text": "chat-prod, 3"}]}]
    assert answered.approval.status == "pending"


def test_a_write_asked_for_alongside_reads_is_never_dropped(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN a model that asks for a read and two writes in one answer
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response(
        "converse",
        tool_use(
            "list_endpoints",
            {},
            "t1",
            ("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t2"),
            ("delete_endpoint", {"endpoint_name": "chat-prod"}, "t3"),
        ),
    )
    # WHEN the answer is acted on
    result = bot.ask("list endpoints, scale chat-prod to 2 and then delete it", user="dave")
    # THEN the first write waits for approval, and the person is told plainly the other was not filed
    assert result.approval.status == "pending" and [c.name for c in result.tool_calls] == ["scale_endpoint"]
    assert "I did not file delete_endpoint endpoint_name=chat-prod" in result.reply
    assert [r.tool for r in bot.list_approvals()] == ["scale_endpoint"]
    # AND the thread goes on well-formed: every call of that answer got its result
    stub.add_response("converse", route("inference", "r2"))
    stub.add_response("converse", end_turn("Waiting for approval."))
    bot.ask("ok?", user="dave", thread=result.thread)
    assert {r["toolUseId"] for r in tool_results(client.sent[-1])} == {"t1", "t2", "t3"}


def test_a_bad_write_argument_goes_back_to_the_model_once(bot: Opsbot, stub: StrictConverse, client: Any) -> None:
    # GIVEN a model that adds an argument the write does not take, then corrects it when told
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response(
        "converse",
        tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2, "region": "eu-west-1"}, "t1"),
    )
    stub.add_response("converse", tool_use("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, "t2"))
    # WHEN the request is made
    result = bot.ask("scale chat-prod to 2", user="dave")
    # THEN the model was shown the error as the call's result, corrected it, and the write waits for approval
    told = tool_results(client.sent[-1])[0]
    assert told["toolUseId"] == "t1" and told["status"] == "error" and "region" in result_text(told)
    assert result.error is None and result.approval.status == "pending"


def test_a_write_argument_still_bad_after_one_correction_ends_the_turn(bot: Opsbot, stub: StrictConverse) -> None:
    # GIVEN a model that repeats the same bad argument
    bad = {"endpoint_name": "chat-prod", "instance_count": 2, "region": "eu-west-1"}
    stub.add_response("converse", route("inference", "r1"))
    stub.add_response("converse", tool_use("scale_endpoint", bad, "t1"))
    stub.add_response("converse", tool_use("scale_endpoint", bad, "t2"))
    # WHEN the request is made THEN it is bad input naming the field, and nothing is filed
    result = bot.ask("scale chat-prod to 2", user="dave")
    assert result.error is not None and result.error.code == "bad_input" and result.error.field == "region"
    assert bot.list_approvals() == []
