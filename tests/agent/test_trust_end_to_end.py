"""Trust across people and processes, through the CLI on the sandbox with the offline model:
the policy in force decides at approval, every kind of spend is limited, the state is private,
and the audit head printed with each decision proves a later log still holds it."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app

runner = CliRunner()


def opsbot(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def endpoint_count(name: str) -> int:
    _, out, _ = opsbot("tools", "run", "describe_endpoint", "--args", json.dumps({"endpoint_name": name}), "--json")
    return json.loads(out)["result"]["endpoint"]["instance_count"]


def test_filed_under_a_loose_policy_file_then_refused_at_approval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN dave's own policy file that allows 1,000 instances and $100,000/h
    loose = Path("agent/policy.default.toml").read_text()
    for key, value in (
        ("max_instances_per_action", "1000"),
        ("max_hourly_usd_per_action", "100000"),
        ("max_added_hourly_usd_per_action", "100000"),
    ):
        loose = re.sub(rf"^{key} = .*$", f"{key} = {value}", loose, flags=re.M)
    (tmp_path / "loose.toml").write_text(loose)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "loose.toml"))
    code, out, _ = opsbot("--as", "dave", "ask", "--json", "scale endpoint llama8b-inf2 to 100 instances")
    doc = json.loads(out)
    assert code == 0 and doc["approval"]["status"] == "pending", doc["reply"]
    # WHEN a platform lead approves it under the deployment's default policy
    monkeypatch.delenv("OPSBOT_POLICY_FILE")
    code, _, err = opsbot("--as", "alice", "approvals", "approve", doc["approval"]["id"])
    # THEN it is refused by the rule's name, and nothing changed
    assert code == 3 and "max-instances-per-action" in err and "Nothing ran" in err
    _, out, _ = opsbot("approvals", "show", doc["approval"]["id"], "--json")
    assert json.loads(out)["approval"]["status"] == "refused"
    assert endpoint_count("llama8b-inf2") == 1


def test_a_128_p6_b200_26_week_training_plan_is_refused_before_anyone_is_asked() -> None:
    # GIVEN the offering for 128 x ml.p6-b200.48xlarge over 26 weeks
    code, out, _ = opsbot(
        "--as", "dave", "ask", "--json", "search training plans for 128 p6-b200.48xlarge for 26 weeks"
    )
    search = json.loads(out)
    assert code == 0 and "1 offering(s) for 128 x ml.p6-b200.48xlarge for 4368 h" in search["reply"]
    # WHEN dave asks to buy it
    code, out, _ = opsbot(
        "--as",
        "dave",
        "ask",
        "--json",
        "--thread",
        search["thread"],
        "purchase the first offering as training plan big-b200",
    )
    doc = json.loads(out)
    # THEN policy refuses it by name, nobody is asked, and nothing is pending
    assert doc["tool_calls"][0]["name"] == "purchase_training_plan"
    assert code == 3 and doc["approval"]["status"] == "refused" and doc["approval"]["id"] is None
    broken = {f["rule"] for f in doc["policy"] if not f["ok"]}
    assert {"max-one-time-spend-per-action", "max-instances-per-action"} <= broken
    _, out, _ = opsbot("approvals", "list", "--json")
    assert json.loads(out)["approvals"] == []


def test_opsbot_home_is_private(opsbot_env: Path) -> None:
    # GIVEN a full flow: a request, an approval that runs, reads, the audit log
    code, out, _ = opsbot("--as", "dave", "ask", "--json", "scale endpoint llama8b-inf2 to 2 instances")
    code, _, _ = opsbot("--as", "alice", "approvals", "approve", json.loads(out)["approval"]["id"])
    opsbot("--as", "dave", "ask", "search training plans for 4 trn2.48xlarge for 48 hours")
    assert code == 0
    # THEN OPSBOT_HOME is 0700 and nothing in it is open to group or others
    home = Path(os.environ["OPSBOT_HOME"])
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    paths = list(home.rglob("*"))
    assert paths and {p.name for p in paths} >= {"opsbot.sqlite", "ext.bin", "s3.bin", "state.key", "offerings.json"}
    loose = [f"{p} {stat.S_IMODE(p.stat().st_mode):o}" for p in paths if p.stat().st_mode & 0o077]
    assert loose == []


def test_the_audit_head_printed_with_a_decision_witnesses_later_removals(opsbot_env: Path) -> None:
    # GIVEN a decision, and the head opsbot printed with it
    _, out, _ = opsbot("--as", "dave", "ask", "--json", "scale endpoint llama8b-inf2 to 2 instances")
    code, out, _ = opsbot("--as", "alice", "approvals", "approve", json.loads(out)["approval"]["id"], "--json")
    head = json.loads(out)["audit_head"]
    assert code == 0 and re.fullmatch(r"\d+:[0-9a-f]{64}", head)
    code, out, _ = opsbot("audit", "verify", "--head", head)
    assert code == 0 and "intact" in out and head in out
    # WHEN the newest entries are removed and the head pointer moved back
    import sqlite3

    db = sqlite3.connect(Path(os.environ["OPSBOT_HOME"]) / "opsbot.sqlite")
    seq = int(head.split(":")[0])
    keep = db.execute("SELECT hash FROM audit WHERE seq = ?", (seq - 2,)).fetchone()[0]
    db.execute("DELETE FROM audit WHERE seq > ?", (seq - 2,))
    db.execute("UPDATE audit_head SET seq = ?, hash = ?", (seq - 2, keep))
    db.commit()
    db.close()
    # THEN the log verifies on its own but not against the witnessed head
    assert opsbot("audit", "verify")[0] == 0
    code, out, _ = opsbot("audit", "verify", "--head", head)
    assert code == 1 and "removed" in out
    # AND a malformed head is a one-line input error
    code, _, err = opsbot("audit", "verify", "--head", "12:nothex")
    assert code == 2 and "--head" in err


def test_a_dry_run_files_nothing() -> None:
    # GIVEN a dry run of a write WHEN it is answered THEN it shows the plan with no id, and nothing is pending
    _code, out, _ = opsbot("--as", "dave", "ask", "--json", "--dry-run", "scale endpoint chat-prod to 2 instances")
    doc = json.loads(out)
    assert doc["approval"]["id"] is None and doc["approval"]["status"] == "preview"
    for args in (("approvals", "list", "--json"), ("approvals", "list", "--status", "pending", "--json")):
        assert json.loads(opsbot(*args)[1])["approvals"] == []
