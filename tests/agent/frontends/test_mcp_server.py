"""``opsbot mcp`` through the MCP SDK's own client, in memory: the tool list derived from the toolsets,
reads that run, writes that only file approval requests (decided in the CLI, then run once), policy
refusals and bad arguments as tool results; and one real ``opsbot mcp`` over stdio."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import mcp_types as types
import pytest
from mcp import Client, StdioServerParameters
from typer.testing import CliRunner

from agent.cli import app
from agent.frontends.mcp_server import LIST_PENDING, OpsbotMcp, build_server, make_front
from agent.service import Opsbot, tool_catalog, tool_specs
from tests.agent.fakes import bucket_tool, buckets, registered
from tools.config import Settings, get_settings

T = TypeVar("T")
APPROVAL_TOOLS = ["approval_status", "list_pending_approvals"]
SCALE = {"endpoint_name": "chat-prod", "instance_count": 2}


def connected(front: OpsbotMcp, script: Callable[[Client], Awaitable[T]]) -> T:
    """Run ``script`` with an MCP client connected in memory to ``front``'s server (initialize handshake,
    JSON-RPC framing, as over stdio)."""

    async def main() -> T:
        async with Client(build_server(front), mode="legacy", raise_exceptions=False) as client:
            return await script(client)

    return anyio.run(main)


def call(front: OpsbotMcp, name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """One tool call in a session of its own."""
    return connected(front, lambda client: client.call_tool(name, arguments))


def listed(front: OpsbotMcp) -> list[types.Tool]:
    """The tools the server lists."""

    async def script(client: Client) -> list[types.Tool]:
        return (await client.list_tools()).tools

    return connected(front, script)


def text(result: types.CallToolResult) -> str:
    """The text content of a result."""
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def chat_prod_count(front: OpsbotMcp) -> int:
    """chat-prod's instance count, as an MCP client reads it."""
    result = call(front, "describe_endpoint", {"endpoint_name": "chat-prod"})
    assert not result.is_error, text(result)
    return int(result.structured_content["result"]["endpoint"]["instance_count"])


def as_user(user: str) -> Settings:
    """Settings of the sandbox acting as the demo identity ``user`` (as ``opsbot mcp --as USER``)."""
    return get_settings(user=user)


@pytest.fixture
def front() -> OpsbotMcp:
    """GIVEN the MCP server of the sandbox, called by dave (a demo identity who approves nothing of his own)."""
    return make_front(as_user("dave"))


# --------------------------------------------------------------------------- the list
def test_lists_every_catalog_tool_then_the_approval_tools(front: OpsbotMcp) -> None:
    # WHEN an MCP client lists the tools
    tools = listed(front)
    # THEN every catalog tool is there, in catalog order, followed by the two approval tools
    catalog = tool_catalog()
    assert [t.name for t in tools] == [t["name"] for t in catalog] + APPROVAL_TOOLS
    # AND each has its declaration's description and the cleaned argument schema the Bedrock specialists get
    specs = {s.name: s for s in tool_specs()}
    for tool in tools[: len(catalog)]:
        spec = specs[tool.name]
        assert tool.input_schema == spec.input_schema and "$defs" not in str(tool.input_schema)
        assert tool.description is not None and tool.description.startswith(spec.description)
        # AND annotations that say what the call does to AWS
        hints = tool.annotations
        assert hints is not None
        assert hints.read_only_hint is (spec.effect == "read")
        assert hints.destructive_hint is (spec.effect == "destructive")
        assert hints.idempotent_hint is spec.idempotent
    by_name = {t.name: t for t in tools}
    assert by_name["delete_endpoint"].annotations.destructive_hint is True  # type: ignore[union-attr]
    assert by_name["scale_endpoint"].annotations.idempotent_hint is True  # type: ignore[union-attr]
    assert by_name["launch_training_job"].annotations.idempotent_hint is False  # type: ignore[union-attr]
    assert "files an approval request" in str(by_name["scale_endpoint"].description)
    assert all(by_name[name].annotations.read_only_hint for name in APPROVAL_TOOLS)  # type: ignore[union-attr]


def test_read_only_lists_only_reads_and_files_no_write() -> None:
    # GIVEN a read-only server
    front = make_front(as_user("dave"), read_only=True)
    # WHEN a client lists the tools
    names = [t.name for t in listed(front)]
    # THEN only the catalog's reads are offered, with the approval tools
    reads = [t["name"] for t in tool_catalog() if t["effect"] == "read"]
    assert names == reads + APPROVAL_TOOLS
    # AND a write called anyway is refused as a tool result; nothing is filed
    result = call(front, "scale_endpoint", SCALE)
    assert result.is_error and "read-only" in text(result)
    assert result.structured_content["error"]["code"] == "refused"
    assert front.bot.list_approvals(status="pending") == []


def test_a_tool_added_to_a_toolset_is_offered_with_no_change_here() -> None:
    # GIVEN a write tool registered in a toolset at run time
    with registered(bucket_tool()):
        front = make_front(as_user("dave"))
        # WHEN a client lists the tools and calls it
        tool = next(t for t in listed(front) if t.name == "make_bucket")
        result = call(front, "make_bucket", {"bucket": "from-mcp"})
        # THEN it is listed with its schema, and calling it files a request instead of creating the bucket
        assert tool.input_schema["required"] == ["bucket"]
        assert not result.is_error and result.structured_content["approval"]["status"] == "pending"
        assert "from-mcp" not in buckets(front.bot.settings)


# ------------------------------------------------------------------------------ reads
def test_a_read_runs_and_returns_text_and_the_typed_result(front: OpsbotMcp) -> None:
    # WHEN a client calls list_endpoints
    result = call(front, "list_endpoints", {})
    # THEN the text shows chat-prod, and the structured content is the typed result as data
    assert not result.is_error
    assert "chat-prod" in text(result)
    data = result.structured_content
    assert [e["endpoint_name"] for e in data["result"]["endpoints"]] == ["chat-prod", "llama8b-inf2"]
    # AND every result says where and as whom it was served
    assert (data["account"], data["region"], data["live"], data["user"]) == ("123456789012", "us-east-1", False, "dave")
    assert "sandbox account 123456789012, us-east-1; as dave" in text(result)


# ----------------------------------------------------------------------------- writes
def test_a_write_files_a_pending_request_and_changes_nothing(front: OpsbotMcp) -> None:
    # WHEN a client calls scale_endpoint for chat-prod
    result = call(front, "scale_endpoint", SCALE)
    # THEN it gets a pending approval id, the plan, the cost and who may approve
    assert not result.is_error, text(result)
    data = result.structured_content
    approval_id = data["approval"]["id"]
    assert data["approval"]["status"] == "pending" and approval_id.startswith("ap-")
    assert data["plan"]["cost_usd_per_hour"] == pytest.approx(284.84)
    assert data["approvers"] == f"risk medium: 1 approval(s) from {front.bot.policy.describe_approvers('medium')}"
    assert "alice" in data["approvers"]
    words = text(result)
    assert approval_id in words and "$284.84/hour" in words and "dave cannot approve" in words
    assert f"opsbot approvals approve {approval_id}" in words
    # AND the request is dave's, filed from MCP; chat-prod is unchanged and nothing ran
    record = front.bot.get_approval(approval_id)
    assert (record.requester, record.channel, record.status) == ("dave", "mcp", "pending")
    assert chat_prod_count(front) == 1
    kinds = [e.kind for e in front.bot.audit_entries(approval_id=approval_id)]
    assert kinds == ["approval_requested"]


def test_a_write_is_filed_exactly_as_ask_files_it(front: OpsbotMcp) -> None:
    # GIVEN the same call asked in words through the facade
    asked = Opsbot(as_user("dave")).ask("scale_endpoint endpoint_name=chat-prod instance_count=2", user="dave")
    # WHEN it is called through MCP
    proposed = call(front, "scale_endpoint", SCALE).structured_content
    # THEN both filed the same call, plan, policy checks and approval terms (only ids, threads and times differ)
    mine, theirs = front.bot.get_approval(proposed["approval"]["id"]), front.bot.get_approval(str(asked.approval.id))
    same = ("tool", "args", "effect", "risk", "plan", "policy", "approvals_needed", "account", "region", "requester")
    assert {k: getattr(mine, k) for k in same} == {k: getattr(theirs, k) for k in same}
    assert proposed["tool_calls"] == [c.model_dump() for c in asked.tool_calls]


def test_an_approval_in_the_cli_runs_it_once(front: OpsbotMcp) -> None:
    # GIVEN a request filed through MCP
    approval_id = call(front, "scale_endpoint", SCALE).structured_content["approval"]["id"]
    # WHEN alice approves it with the CLI (twice: the second is refused)
    first = CliRunner().invoke(app, ["approvals", "approve", approval_id, "--as", "alice"])
    again = CliRunner().invoke(app, ["approvals", "approve", approval_id, "--as", "alice"])
    # THEN it ran, once: chat-prod has 2 instances and the audit log shows one execution and one AWS write
    assert first.exit_code == 0, first.output
    assert again.exit_code == 3
    assert chat_prod_count(front) == 2
    entries = front.bot.audit_entries(approval_id=approval_id)
    assert [e.kind for e in entries].count("execution_started") == 1
    writes = [e.data["operation"] for e in entries if e.kind == "aws_call"]
    assert writes == ["sagemaker:UpdateEndpointWeightsAndCapacities"]
    # AND the MCP client sees it executed
    status = call(front, "approval_status", {"id": approval_id})
    assert status.structured_content["approval"]["status"] == "executed"
    assert f"{approval_id} executed" in text(status)


def test_the_requester_cannot_approve_their_own_high_risk_request() -> None:
    # GIVEN alice, a platform lead, files a high-risk create through MCP
    front = make_front(as_user("alice"))
    args = {"cluster_name": "from-mcp", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}
    result = call(front, "create_hyperpod_cluster", args)
    approval_id = result.structured_content["approval"]["id"]
    assert "alice cannot approve their own high-risk request" in text(result)
    # WHEN she tries to approve it herself in the CLI
    decided = CliRunner().invoke(app, ["approvals", "approve", approval_id, "--as", "alice"])
    # THEN it is refused by the no-self-approval rule and still waits
    assert decided.exit_code == 3 and "no-self-approval" in decided.output
    assert front.bot.get_approval(approval_id).status == "pending"


def test_a_write_refused_by_policy_returns_the_rule(front: OpsbotMcp) -> None:
    # WHEN a client asks for more spend than the policy allows per action
    result = call(front, "scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 20})
    # THEN the result names the rule, as a tool result (no trace), and nothing was filed or changed
    assert result.is_error
    words = text(result)
    assert words.startswith("Refused by policy: max-hourly-spend-per-action: $2,848.40/h > limit $2,000.00/h")
    assert "Traceback" not in words
    data = result.structured_content
    assert data["approval"]["status"] == "refused" and data["error"]["code"] == "refused"
    assert "max-hourly-spend-per-action" in [f["rule"] for f in data["policy"] if not f["ok"]]
    assert front.bot.list_approvals(status="pending") == []
    assert chat_prod_count(front) == 1


def test_a_write_that_changes_nothing_files_nothing(front: OpsbotMcp) -> None:
    # WHEN a client asks to scale chat-prod to the count it has
    result = call(front, "scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 1})
    # THEN it is told so, and no request is filed
    assert not result.is_error and "nothing" in text(result).lower()
    assert result.structured_content["approval"]["status"] == "none"
    assert front.bot.list_approvals() == []


# ------------------------------------------------------------------------ approvals
def test_pending_requests_and_their_status(front: OpsbotMcp) -> None:
    # GIVEN two requests filed through MCP
    first = call(front, "scale_endpoint", SCALE).structured_content["approval"]["id"]
    second = call(front, "enable_s3_metadata", {"bucket": "model-artifacts"}).structured_content["approval"]["id"]
    # WHEN a client lists the pending ones and asks for one
    pending = call(front, LIST_PENDING, {})
    status = call(front, "approval_status", {"id": first})
    # THEN both are listed, newest first, and the status shows the request as it stands
    assert [r["id"] for r in pending.structured_content["approvals"]] == [second, first]
    assert first in text(pending) and "requested by dave" in text(pending)
    record = status.structured_content["approval"]
    assert (record["status"], record["tool"], record["args"]) == ("pending", "scale_endpoint", SCALE)


# ----------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("name", "arguments", "field", "words"),
    [
        ("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": "two"}, "instance_count", "'two'"),
        ("scale_endpoint", {"instance_count": 2}, "endpoint_name", "endpoint_name"),
        ("scale_endpoint", {**SCALE, "colour": "red"}, "colour", "colour"),
        ("describe_endpoint", {"endpoint_name": "Bad Name!"}, "endpoint_name", "'Bad Name!'"),
        ("approval_status", {}, "id", "id=None"),
        ("approval_status", {"id": "ap-1", "extra": 1}, "extra", "takes only id"),
        ("list_pending_approvals", {"status": "all"}, "status", "takes no arguments"),
        ("no_such_tool", {}, "name", "unknown tool 'no_such_tool'"),
    ],
)
def test_bad_arguments_are_a_tool_error_naming_the_field(
    front: OpsbotMcp, name: str, arguments: dict[str, Any], field: str, words: str
) -> None:
    # WHEN a client calls a tool with arguments that do not fit, then lists endpoints in the same session
    async def script(client: Client) -> tuple[types.CallToolResult, types.CallToolResult]:
        return await client.call_tool(name, arguments), await client.call_tool("list_endpoints", {})

    bad, after = connected(front, script)
    # THEN the answer is a tool error naming the field (no protocol error), and the session goes on
    assert bad.is_error
    assert bad.structured_content["error"]["field"] == field
    assert words in text(bad) and text(bad).startswith("error: ")
    assert not after.is_error and "chat-prod" in text(after)
    # AND nothing was filed
    assert front.bot.list_approvals() == []


def test_an_unknown_approval_id_is_not_found(front: OpsbotMcp) -> None:
    result = call(front, "approval_status", {"id": "ap-0000000000"})
    assert result.is_error and result.structured_content["error"]["code"] == "not_found"
    assert "ap-0000000000" in text(result)


# -------------------------------------------------------------------------- stdio
def test_opsbot_mcp_over_stdio_lists_the_tools(tmp_path: Path) -> None:
    # GIVEN `opsbot mcp` started as an MCP client starts it: a subprocess speaking on stdin and stdout
    opsbot = Path(sys.executable).with_name("opsbot")
    env = {"OPSBOT_HOME": str(tmp_path / "stdio-home"), "OPSBOT_USER": "dave", "AWS_ACCESS_KEY_ID": "testing"}
    env |= {"AWS_SECRET_ACCESS_KEY": "testing", "PATH": os.environ.get("PATH", "")}
    server = StdioServerParameters(command=str(opsbot), args=["mcp", "--read-only"], env=env)

    async def main() -> list[str]:
        async with Client(server, mode="legacy") as client:
            return [t.name for t in (await client.list_tools()).tools]

    # WHEN a client connects and lists the tools
    started = time.monotonic()
    names = anyio.run(main)
    # THEN it gets the read tools and the approval tools, in a few seconds
    assert names == [t["name"] for t in tool_catalog() if t["effect"] == "read"] + APPROVAL_TOOLS
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------------- the command
def test_help_does_not_import_the_mcp_sdk() -> None:
    # WHEN opsbot --help runs THEN neither the MCP SDK nor LangGraph is loaded
    from tests.agent.test_cli import modules_loaded_by

    loaded = modules_loaded_by("--help")
    assert not {"mcp", "mcp_types", "langgraph", "agent.frontends.mcp_server"} & loaded


def test_mcp_with_json_is_bad_input() -> None:
    # WHEN opsbot mcp is asked for --json THEN it says why not (stdout is the protocol), exit 2
    result = CliRunner().invoke(app, ["mcp", "--json"])
    assert result.exit_code == 2 and '"field": "json"' in result.stdout


def test_the_example_configuration_starts_opsbot_mcp_with_options_it_accepts() -> None:
    # GIVEN the example MCP client configuration in the docs
    import json

    config = json.loads((Path(__file__).resolve().parents[3] / "docs" / "mcp.example.json").read_text())
    servers = config["mcpServers"]
    assert servers
    for name, entry in servers.items():
        # THEN each entry starts `opsbot mcp`, and opsbot accepts every option it passes
        assert Path(entry["command"]).name == "opsbot" and entry["args"][0] == "mcp", name
        checked = CliRunner().invoke(app, [*entry["args"], "--help"])
        assert checked.exit_code == 0, f"{name}: {checked.output}"
        assert all(isinstance(v, str) for v in entry.get("env", {}).values())


def test_a_demo_identity_is_refused_on_live_aws_before_serving() -> None:
    # WHEN opsbot mcp is started on live AWS with a demo identity
    result = CliRunner().invoke(app, ["mcp", "--live", "--as", "mallory"])
    # THEN it is refused at once (exit 3), before any AWS call or any MCP traffic on stdout
    assert result.exit_code == 3 and "demo identity" in result.stderr
    assert result.stdout == ""
    # AND the same holds for settings handed to the server directly
    from agent.identity import IdentityError

    with pytest.raises(IdentityError):
        make_front(get_settings(live=True, user="mallory"))


def test_results_label_a_demo_identity(front: OpsbotMcp) -> None:
    result = call(front, "list_endpoints", {})
    assert result.structured_content["demo"] is True
    assert text(result).endswith("as dave (demo identity)]")
