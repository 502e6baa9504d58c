"""The opsbot command line: fast help, exit codes, one-line errors, and the issue's done-when flows."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def opsbot(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_does_not_import_the_agent() -> None:
    code = (
        "import sys\n"
        "from agent.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('langgraph', 'langchain_core', 'langchain_aws', 'moto', 'boto3', 'agent.graph')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out


def test_tools_json_lists_effect_and_risk() -> None:
    code, out, _ = opsbot("tools", "--json")
    assert code == 0
    rows = json.loads(out)
    assert {"name", "effect", "risk"} <= set(rows[0])
    assert "estimate_cost" in [r["name"] for r in rows]


def test_bad_input_is_one_line_exit_2() -> None:
    code, _, err = opsbot("tools", "run", "estimate_cost", "--args", '{"instance_type": "ml.nope.large"}')
    assert code == 2
    assert err.count("\n") == 1 and "instance_type" in err and "ml.nope.large" in err


def test_malformed_json_args_exit_2() -> None:
    code, _, err = opsbot("tools", "plan", "estimate_cost", "--args", "{not json")
    assert code == 2 and "expected a JSON object" in err


def test_unknown_tool_exit_2() -> None:
    code, _, err = opsbot("tools", "run", "no_such_tool")
    assert code == 2 and "known tools" in err


def test_audit_verify_on_empty_log_reports_no_audit_log() -> None:
    # GIVEN a fresh home WHEN the log is verified THEN an empty log is not called intact
    code, out, _ = opsbot("audit", "verify")
    assert code == 1 and "no audit log" in out and "intact" not in out


def test_bad_region_and_model_are_one_line_errors() -> None:
    code, _, err = opsbot("--region", "mars-1", "tools", "run", "list_endpoints")
    assert code == 2 and "region" in err and "mars-1" in err and "us-east-1" in err
    code, _, err = opsbot("--model", "gpt4", "tools", "run", "list_endpoints")
    assert code == 2 and "'gpt4'" in err and "bedrock:<model-id>" in err


def test_live_without_credentials_is_one_line(monkeypatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code, _, err = opsbot("--live", "tools", "run", "list_endpoints")
    assert code == 1 and err.startswith("error: no AWS credentials found") and "Traceback" not in err


def test_other_regions_of_the_sandbox_start_empty() -> None:
    code, out, _ = opsbot("--region", "us-west-2", "tools", "run", "list_endpoints")
    assert code == 0 and "no SageMaker endpoints in us-west-2" in out
