"""The issue's done-when flows through the CLI, with the offline model on the sandbox."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from tests.agent.fakes import dies_after_the_run

runner = CliRunner()


def opsbot(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_cluster_approve_once_and_audit() -> None:
    # GIVEN a request from dave
    code, out, _ = opsbot("--as", "dave", "ask", "--json", "create a hyperpod cluster named demo with 2 trn2.48xlarge")
    doc = json.loads(out)
    assert code == 0 and doc["route"] == "training"
    call = doc["tool_calls"][0]
    assert call["name"] == "create_hyperpod_cluster"
    assert {"cluster_name": "demo", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}.items() <= call[
        "args"
    ].items()
    assert doc["approval"]["status"] == "pending" and doc["approval"]["id"]
    approval_id = doc["approval"]["id"]
    # WHEN dave approves his own high-risk request THEN it is refused and nothing exists
    code, _, err = opsbot("approvals", "approve", approval_id, "--as", "dave")
    assert code == 3 and "no-self-approval" in err
    code, _, err = opsbot("tools", "run", "describe_hyperpod_cluster", "--args", '{"cluster_name": "demo"}')
    assert code != 0
    # WHEN alice, a platform lead, approves THEN the cluster exists once
    code, out, _ = opsbot("approvals", "approve", approval_id, "--as", "alice", "--json")
    assert code == 0 and json.loads(out)["approval"]["status"] == "executed"
    code, out, _ = opsbot("tools", "run", "list_hyperpod_clusters", "--json")
    names = [c["cluster_name"] for c in json.loads(out)["result"]["clusters"]]
    assert names.count("demo") == 1
    # AND a replayed approval runs nothing
    code, _, err = opsbot("approvals", "approve", approval_id, "--as", "bob")
    assert code == 3 and "already executed" in err
    code, out, _ = opsbot("audit", "verify")
    assert code == 0 and "intact" in out


def test_policy_refuses_5000_nodes_by_rule() -> None:
    code, out, _ = opsbot(
        "ask", "--json", "--dry-run", "launch a hyperpod cluster called huge with 5000 trn2.48xlarge nodes"
    )
    doc = json.loads(out)
    assert code == 3 and doc["approval"]["status"] == "refused"
    assert "max-instances-per-action" in doc["reply"]
    assert next(f["rule"] for f in doc["policy"] if not f["ok"]) == "max-instances-per-action"
    code, out, _ = opsbot("approvals", "list", "--json")
    assert json.loads(out)["approvals"] == []


def test_endpoint_with_default_image_runs_after_approval() -> None:
    # Optional arguments left out (image_uri) must not break the approval's call hash.
    code, out, _ = opsbot(
        "--as",
        "dave",
        "ask",
        "--json",
        "create an inference endpoint called qa-bot on inf2.xlarge from s3://model-artifacts/llama-3-8b/",
    )
    doc = json.loads(out)
    assert doc["tool_calls"][0]["name"] == "create_inference_endpoint", doc["reply"]
    code, out, _ = opsbot("approvals", "approve", doc["approval"]["id"], "--as", "carol", "--json")
    assert json.loads(out)["approval"]["status"] == "executed", out
    code, out, _ = opsbot("tools", "run", "describe_endpoint", "--args", '{"endpoint_name": "qa-bot"}', "--json")
    assert code == 0 and json.loads(out)["result"]["endpoint"]["instance_type"] == "ml.inf2.xlarge"


def test_clarify_then_answer_in_the_same_thread() -> None:
    _, out, _ = opsbot("ask", "--json", "create a hyperpod cluster named ask-me with trn2.48xlarge")
    doc = json.loads(out)
    assert doc["clarify"] is True and doc["tool_calls"] == [] and doc["approval"]["required"] is False
    _code, out, _ = opsbot("ask", "--json", "--thread", doc["thread"], "4 nodes")
    doc2 = json.loads(out)
    assert doc2["tool_calls"][0]["args"]["instance_count"] == 4 and doc2["approval"]["status"] == "pending"


def test_a_no_op_write_needs_no_approval() -> None:
    # chat-prod already has 1 instance; S3 Metadata is already on for corpus-raw
    for text in ("scale chat-prod to 1 instance", "enable s3 metadata on corpus-raw"):
        code, out, _ = opsbot("ask", "--json", text)
        doc = json.loads(out)
        assert code == 0 and doc["approval"]["required"] is False, doc["reply"]
        assert "nothing" in doc["reply"].lower()
    code, out, _ = opsbot("approvals", "list", "--json")
    assert json.loads(out)["approvals"] == []


def test_resume_an_interrupted_run_from_the_cli(monkeypatch) -> None:
    # GIVEN an approved request whose process died mid-run (the create went through, then a crash)
    from agent.service import Opsbot
    from tools.config import get_settings

    _, out, _ = opsbot("--as", "dave", "ask", "--json", "create a hyperpod cluster named crashy with 2 trn2.48xlarge")
    approval_id = json.loads(out)["approval"]["id"]
    with dies_after_the_run(monkeypatch, "killed after CreateCluster"):
        Opsbot(get_settings()).decide(approval_id, user="alice", approve=True)
    # WHEN someone resumes it while the dead run's lease still holds THEN it is refused, nothing runs
    code, _, err = opsbot("approvals", "resume", approval_id)
    assert code == 3 and "does not run twice" in err
    # WHEN the lease has run out and someone resumes it THEN it finishes and the cluster exists once
    store = Opsbot(get_settings()).stores.approvals
    record = store.get(approval_id)
    store.replace(
        record.model_copy(update={"lease": record.lease.model_copy(update={"expires_at": "2000-01-01T00:00:00+00:00"})})
    )
    code, out, _ = opsbot("approvals", "resume", approval_id, "--json")
    assert code == 0 and json.loads(out)["approval"]["status"] == "executed"
    _, out, _ = opsbot("tools", "run", "list_hyperpod_clusters", "--json")
    assert [c["cluster_name"] for c in json.loads(out)["result"]["clusters"]].count("crashy") == 1
    # AND resuming again runs nothing
    code, _, err = opsbot("approvals", "resume", approval_id)
    assert code == 2 and "executed" in err  # bad input: only an interrupted approved run can be resumed
