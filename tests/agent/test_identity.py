"""Identity: proven on live AWS (STS), a labelled demo identity on the sandbox, never self-asserted live."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from agent.cli import app
from agent.identity import IdentityError, resolve_identity
from agent.service import Opsbot
from tests.agent.fakes import ScriptedModel, bucket_tool, registered
from tools.base import Risk
from tools.config import get_settings

runner = CliRunner()
SSO_ROLE = "arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123"
ALICE_ARN = "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com"


def opsbot(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def sts_as(session: str) -> object:
    """An STS client whose caller is an assumed SSO role with this session name (moto)."""
    creds = boto3.client("sts", region_name="us-east-1").assume_role(RoleArn=SSO_ROLE, RoleSessionName=session)
    c = creds["Credentials"]
    return boto3.client(
        "sts",
        region_name="us-east-1",
        aws_access_key_id=c["AccessKeyId"],
        aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"],
    )


def test_live_as_is_refused_before_any_aws_call(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a pending request on this machine's store, and no route to AWS at all (tests have no network)
    monkeypatch.delenv("OPSBOT_USER")
    with registered(bucket_tool(Risk.CRITICAL)):
        bot = Opsbot(get_settings(), model=ScriptedModel("data", lambda t: ("make_bucket", {"bucket": "b"})))
        approval_id = bot.ask("make it", user="dave").approval.id
    # WHEN one shell approves it live as two made-up people
    for who in ("alice", "bob"):
        code, out, err = opsbot("--live", "approvals", "approve", approval_id, "--as", who)
        # THEN each is refused with exit 3 and one line, and nothing was decided
        assert code == 3 and out == ""
        assert err.count("\n") == 1 and "--as" in err and "sandbox" in err and "nothing was sent to AWS" in err
    assert bot.approvals.get(approval_id).approved_by == []
    # AND the global flag and OPSBOT_USER are refused the same way
    code, _, err = opsbot("--live", "--as", "alice", "approvals", "list")
    assert code == 3 and "demo identity" in err
    monkeypatch.setenv("OPSBOT_USER", "alice")
    code, _, err = opsbot("--live", "approvals", "list")
    assert code == 3 and "OPSBOT_USER" in err


def test_live_identity_is_the_sts_caller_mapped_to_a_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSBOT_USER")
    with mock_aws():
        # GIVEN the deployment's policy, in SSM, lists alice's SSO session
        policy = Path("agent/policy.default.toml").read_text()
        policy = policy.replace('slack = "U0000ALICE"\naws = []', f'slack = "U0000ALICE"\naws = ["{ALICE_ARN}"]')
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/opsbot/identity-test", Value=policy, Type="String", Overwrite=True)
        monkeypatch.setenv("OPSBOT_POLICY_SOURCE", "ssm:/opsbot/identity-test")
        live = get_settings(live=True)
        # WHEN alice runs the live CLI THEN she is alice, proven by AWS
        alice = resolve_identity(live, sts=sts_as("alice@example.com"))
        assert (alice.user, alice.name, alice.demo, alice.principal) == ("alice", "alice@example.com", False, ALICE_ARN)
        # AND another caller whose session is also called alice is not alice: it approves nothing
        mallory = resolve_identity(live, sts=sts_as("alice"))
        assert mallory.user == "aws:alice" and not mallory.demo
        assert Opsbot(live).policy.may_approve(mallory.user, "low", "dave") is not None


def test_sandbox_identity_is_a_labelled_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the sandbox WHEN someone says --as carol THEN carol is a demo identity, said so everywhere
    identity = resolve_identity(get_settings(), "carol")
    assert identity.user == "carol" and identity.demo and "demo identity" in identity.label()
    code, _, err = opsbot("--as", "carol", "ask", "create a hyperpod cluster named demo-who with 2 trn2.48xlarge")
    assert code == 0 and "you are carol (demo identity, sandbox only)" in err
    code, out, _ = opsbot("approvals", "list", "--json")
    (record,) = json.loads(out)["approvals"]
    assert record["requester"] == "carol" and record["demo"] is True
    code, out, _ = opsbot("audit", "list", "--json")
    requested = [e for e in json.loads(out)["entries"] if e["kind"] in ("request", "approval_requested")]
    assert requested and all(e["data"].get("demo") is True for e in requested)


def test_resolve_identity_refuses_demo_names_live_without_sts() -> None:
    class NoSts:
        def get_caller_identity(self) -> dict:
            raise AssertionError("STS must not be called")

    with pytest.raises(IdentityError, match="only on the sandbox"):
        resolve_identity(get_settings(live=True), "bob", sts=NoSts())
