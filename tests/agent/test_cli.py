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


def test_audit_verify_on_empty_log() -> None:
    code, out, _ = opsbot("audit", "verify")
    assert code == 0 and "intact" in out
