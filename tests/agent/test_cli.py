"""The opsbot command line as a Unix tool: one JSON envelope and one exit code per outcome, global
options anywhere, the banner on stderr, help without type tags, and tables that fit 80 columns."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from agent.cli import app, hoist_global_options
from agent.service import Opsbot
from tools.config import get_settings

runner = CliRunner()
CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


def opsbot(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def envelope(out: str) -> dict:
    """The one JSON document on stdout, with the envelope's keys."""
    doc = json.loads(out)
    assert {"ok", "error"} <= set(doc)
    return doc


def pending_request(user: str = "dave") -> str:
    """GIVEN a pending high-risk request filed by ``user``; returns its id."""
    result = Opsbot(get_settings()).ask(CREATE, user=user)
    assert result.approval.status == "pending"
    return str(result.approval.id)


def modules_loaded_by(*argv: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``opsbot ARGV``."""
    code = (
        "import sys\n"
        "from agent.cli import app\n"
        f"try:\n    app({list(argv)!r})\nexcept SystemExit:\n    pass\n"
        "print('MODULES', ' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split("MODULES", 1)[1].split())


# ------------------------------------------------------------------ import weight
def test_help_does_not_import_the_agent() -> None:
    # WHEN opsbot --help runs THEN neither the agent graph nor AWS libraries are loaded
    loaded = modules_loaded_by("--help")
    assert not {"langgraph", "langchain_core", "langchain_aws", "moto", "boto3", "agent.graph"} & loaded


@pytest.mark.parametrize(
    "argv",
    [("approvals", "list"), ("audit", "list"), ("audit", "verify"), ("tools",), ("tools", "run", "list_endpoints")],
)
def test_queue_audit_and_tools_do_not_import_langgraph(argv: tuple[str, ...]) -> None:
    # WHEN a queue, audit or tools command runs THEN LangGraph and the graph stay unloaded
    loaded = modules_loaded_by(*argv)
    assert "langgraph" not in loaded and "agent.graph" not in loaded and "agent.slack" not in loaded


# ------------------------------------------------------------------ done-when flows
@pytest.mark.parametrize(
    "argv",
    [
        ("tools", "run", "describe_endpoint", "--args", '{"endpoint_name":"nope"}', "--json"),
        ("ask", "--json", "describe endpoint named nope"),
    ],
)
def test_a_missing_endpoint_is_a_json_error_with_exit_2(argv: tuple[str, ...]) -> None:
    # WHEN a command names an endpoint that does not exist, with --json
    code, out, _ = opsbot(*argv)
    # THEN stdout is one JSON document with the error filled, and the exit code is 2 (bad input)
    doc = envelope(out)
    assert code == 2
    assert doc["ok"] is False and doc["error"]["code"] == "not_found" and "nope" in doc["error"]["message"]


def test_describe_endpoint_nope_names_the_closest_endpoints() -> None:
    # WHEN someone asks for an endpoint the account lacks, as they would type it
    code, out, _ = opsbot("ask", "--json", "describe endpoint nope")
    # THEN it is a not-found answer (exit 2) naming the field and the endpoints there are, nothing filed
    doc = envelope(out)
    assert code == 2 and doc["error"]["code"] == "not_found" and doc["error"]["field"] == "endpoint_name"
    assert "no endpoint called nope" in doc["error"]["message"]
    assert "chat-prod" in doc["error"]["message"] and "llama8b-inf2" in doc["error"]["message"]
    assert doc["approval"]["status"] == "none" and doc["tool_calls"] == []
    # AND without --json it is one line on stderr, no traceback
    code, out, err = opsbot("ask", "describe endpoint nope")
    assert code == 2 and "Traceback" not in err
    assert err.splitlines()[-1].startswith("error: There is no endpoint called nope. Closest: ")


def test_unknown_approval_id_is_a_json_error() -> None:
    code, out, _ = opsbot("approvals", "show", "ap-nope", "--json")
    doc = envelope(out)
    assert code == 2 and doc["error"]["code"] == "not_found" and "ap-nope" in doc["error"]["message"]


def test_unknown_approval_id_without_json_is_one_line_on_stderr() -> None:
    code, out, err = opsbot("approvals", "approve", "ap-nope", "--as", "alice")
    # (the line before it is the banner: where the decision would act)
    assert code == 2 and out == "" and err.splitlines()[-1] == "error: approval 'ap-nope' does not exist"


def test_version() -> None:
    code, out, _ = opsbot("--version")
    assert code == 0 and re.fullmatch(r"opsbot \S+\n", out)


def test_global_options_after_the_command() -> None:
    # WHEN --region comes after the request THEN it applies (the sandbox's us-west-2 has no endpoints)
    code, out, _ = opsbot("ask", "--json", "list endpoints", "--region", "us-west-2")
    doc = envelope(out)
    assert code == 0 and doc["ok"] and "us-west-2" in doc["reply"]
    code, out, _ = opsbot("ask", "--json", "list endpoints", "--region", "us-east-1")
    assert code == 0 and "chat-prod" in envelope(out)["reply"]


def test_hoisting_keeps_values_and_stops_at_double_dash() -> None:
    argv = ["ask", "list", "--region", "us-west-2", "--json", "--as=bob", "--", "--live"]
    assert hoist_global_options(argv) == ["--region", "us-west-2", "--json", "--as=bob", "ask", "list", "--", "--live"]


def test_slack_accepts_live_after_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no Slack tokens (and no demo identity, which live refuses)
    # WHEN `opsbot slack --live` THEN the option parses; the error is the missing token
    monkeypatch.delenv("OPSBOT_USER")
    code, _, err = opsbot("slack", "--live")
    assert code == 2 and "No such option" not in err and "LIVE AWS" in err
    assert err.splitlines()[-1].startswith("error: no Slack bot token")


def test_banner_goes_to_stderr() -> None:
    # WHEN `opsbot ask "list endpoints"` is piped THEN its first stdout line is the answer, not the banner
    code, out, err = opsbot("ask", "list endpoints")
    assert code == 0 and not out.startswith("opsbot on") and "chat-prod" in out
    assert err.startswith("opsbot on sandbox")


def test_quiet_leaves_out_the_banner() -> None:
    code, _, err = opsbot("--quiet", "ask", "list endpoints")
    assert code == 0 and err == ""


# ------------------------------------------------------------------ exit codes
def test_ask_error_replies_fill_error() -> None:
    # a count of 0 is bad input naming the field
    code, out, _ = opsbot("ask", "--json", "scale chat-prod to 0")
    doc = envelope(out)
    assert code == 2 and doc["error"]["code"] == "bad_input" and doc["error"]["field"] == "instance_count"
    # an empty request is bad input too, and never reaches the model
    code, out, _ = opsbot("ask", "--json", "  ")
    assert code == 2 and envelope(out)["error"]["field"] == "text"


def test_a_request_waiting_for_approval_exits_0() -> None:
    code, out, _ = opsbot("ask", "--json", CREATE)
    doc = envelope(out)
    assert code == 0 and doc["ok"] and doc["approval"]["status"] == "pending" and doc["approval"]["id"]
    assert {"route", "tool_calls", "approval", "policy", "reply"} <= set(doc)


def test_policy_refusal_exits_3() -> None:
    code, out, _ = opsbot("ask", "--json", "create a hyperpod cluster named big with 100 trn2.48xlarge")
    doc = envelope(out)
    assert code == 3 and doc["error"]["code"] == "refused" and doc["approval"]["status"] == "refused"


def test_a_write_run_directly_exits_3() -> None:
    code, out, _ = opsbot("tools", "run", "delete_endpoint", "--args", '{"endpoint_name": "chat-prod"}', "--json")
    assert code == 3 and envelope(out)["error"]["code"] == "needs_approval"


def test_unknown_status_exits_2() -> None:
    code, _, err = opsbot("approvals", "list", "--status", "bogus")
    assert code == 2 and "status='bogus'" in err and "pending" in err


def test_decision_not_allowed_exits_3() -> None:
    # GIVEN dave's high-risk request WHEN dave approves it himself THEN it is refused for safety
    approval_id = pending_request("dave")
    code, out, _ = opsbot("approvals", "approve", approval_id, "--as", "dave", "--json")
    assert code == 3 and envelope(out)["error"]["code"] == "refused"


def test_approve_runs_once_and_reports_in_the_envelope() -> None:
    approval_id = pending_request("dave")
    code, out, _ = opsbot("approvals", "approve", approval_id, "--as", "alice", "--json")
    doc = envelope(out)
    assert code == 0 and doc["ok"] and doc["approval"]["status"] == "executed"


def test_withdraw_by_the_requester() -> None:
    approval_id = pending_request("dave")
    code, out, _ = opsbot("approvals", "withdraw", approval_id, "--as", "erin", "--json")
    assert code == 3 and "only its requester" in envelope(out)["error"]["message"]
    code, out, _ = opsbot("approvals", "withdraw", approval_id, "--as", "dave", "--json")
    assert code == 0 and "nothing ran" in envelope(out)["reply"]


def test_usage_errors_with_json_are_json() -> None:
    code, out, _ = opsbot("approvals", "show", "--json")
    doc = envelope(out)
    assert code == 2 and doc["error"]["code"] == "bad_input" and "ID" in doc["error"]["message"]


def test_usage_errors_without_json_are_one_line() -> None:
    code, out, err = opsbot("ask", "--bogus", "x")
    assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1


def test_bad_input_is_one_line_exit_2() -> None:
    code, _, err = opsbot("tools", "run", "estimate_cost", "--args", '{"instance_type": "ml.nope.large"}')
    assert code == 2
    assert err.count("\n") == 1 and "instance_type" in err and "ml.nope.large" in err


def test_malformed_json_args_exit_2() -> None:
    code, out, _ = opsbot("tools", "plan", "estimate_cost", "--args", "{not json", "--json")
    doc = envelope(out)
    assert code == 2 and doc["error"]["field"] == "args" and "expected a JSON object" in doc["error"]["message"]


def test_unknown_tool_exit_2() -> None:
    code, _, err = opsbot("tools", "run", "no_such_tool")
    assert code == 2 and "known tools" in err


def test_bad_region_and_model_are_one_line_errors() -> None:
    code, _, err = opsbot("tools", "run", "list_endpoints", "--region", "mars-1")
    assert code == 2 and "region" in err and "mars-1" in err and "us-east-1" in err
    code, _, err = opsbot("--model", "gpt4", "tools", "run", "list_endpoints")
    assert code == 2 and "'gpt4'" in err and "bedrock:<model-id>" in err


def test_live_without_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_USER")  # a demo identity is refused live before any AWS call
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, out, err = opsbot("tools", "run", "list_endpoints", "--live", "--json")
    assert code == 1 and envelope(out)["error"]["code"] == "aws_error"
    assert "no AWS credentials found" in envelope(out)["error"]["message"] and "Traceback" not in err


def test_other_regions_of_the_sandbox_start_empty() -> None:
    code, out, _ = opsbot("--region", "us-west-2", "tools", "run", "list_endpoints")
    assert code == 0 and "no SageMaker endpoints in us-west-2" in out


# ------------------------------------------------------------------ other envelopes
def test_tools_json_lists_effect_and_risk() -> None:
    code, out, _ = opsbot("tools", "--json")
    doc = envelope(out)
    assert code == 0 and doc["ok"]
    assert {"name", "effect", "risk"} <= set(doc["tools"][0])
    assert "estimate_cost" in [r["name"] for r in doc["tools"]]


def test_audit_verify_on_empty_log_reports_no_audit_log() -> None:
    # GIVEN a fresh home WHEN the log is verified THEN an empty log is not called intact
    code, out, err = opsbot("audit", "verify")
    assert code == 1 and "no audit log" in err and "intact" not in out
    code, out, _ = opsbot("audit", "verify", "--json")
    doc = envelope(out)
    assert code == 1 and doc["error"]["code"] == "tampered" and "no audit log" in doc["error"]["message"]


def test_audit_verify_catches_a_head_that_is_gone() -> None:
    pending_request()
    code, out, _ = opsbot("audit", "verify", "--head", "f" * 64, "--json")
    assert code == 1 and envelope(out)["error"]["code"] == "tampered"


def test_help_shows_no_type_tags() -> None:
    for argv in (
        [],
        ["ask"],
        ["chat"],
        ["tools"],
        ["tools", "run"],
        ["tools", "plan"],
        ["approvals", "list"],
        ["approvals", "approve"],
        ["audit", "list"],
        ["eval"],
    ):
        code, out, _ = opsbot(*argv, "--help")
        assert code == 0 and "Usage:" in out
        assert not re.search(r"<(bool|str|int|text)[^>]*>|\{text\}", out), (argv, out)


# ------------------------------------------------------------------ 80 columns
def test_approvals_list_at_80_columns_shows_whole_ids() -> None:
    ids = [pending_request("dave"), pending_request("bob")]
    code, out, _ = opsbot("approvals", "list", env={"COLUMNS": "80"})
    assert code == 0
    assert all(approval_id in out for approval_id in ids)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_audit_list_at_80_columns_keeps_the_time() -> None:
    pending_request()
    code, out, _ = opsbot("audit", "list", env={"COLUMNS": "80"})
    assert code == 0 and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", out)
    assert max(len(line) for line in out.splitlines()) <= 80


def test_tools_at_80_columns_keeps_the_risk() -> None:
    code, out, _ = opsbot("tools", env={"COLUMNS": "80"})
    assert code == 0 and "risk" in out.splitlines()[0]
    assert "delete_hyperpod_cluster" in out and "critical" in out
    assert max(len(line) for line in out.splitlines()) <= 80
