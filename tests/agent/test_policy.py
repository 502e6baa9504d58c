"""Policy: each rule refuses what it should, and the file fails closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.policy import PolicyError, load_policy
from tools.base import Effect, Plan, Risk
from tools.config import get_settings


def _plan(**kw) -> Plan:
    base = dict(
        tool="create_hyperpod_cluster",
        args={},
        effect=Effect.WRITE,
        risk=Risk.HIGH,
        summary="x",
        instance_type="ml.trn2.48xlarge",
        instance_count=4,
        cost_usd_per_hour=223.88,
    )
    return Plan(**(base | kw))


def _broken(findings) -> list[str]:
    return [f.rule for f in findings if not f.ok]


def test_default_policy_allows_a_normal_request() -> None:
    assert _broken(load_policy(get_settings()).evaluate(_plan(), "dave", "us-east-1")) == []


@pytest.mark.parametrize(
    ("plan_kw", "region", "rule"),
    [
        ({"instance_count": 5000, "cost_usd_per_hour": 1.0}, "us-east-1", "max-instances-per-action"),
        ({"cost_usd_per_hour": 2000.01}, "us-east-1", "max-hourly-spend-per-action"),
        ({}, "eu-west-3", "region-allowed"),
        ({"instance_type": "ml.x1.huge"}, "us-east-1", "instance-type-allowed"),
    ],
)
def test_each_limit_refuses_by_name(plan_kw: dict, region: str, rule: str) -> None:
    assert _broken(load_policy(get_settings()).evaluate(_plan(**plan_kw), "dave", region)) == [rule]


def test_denied_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (Path("agent/policy.default.toml").read_text()).replace("deny = []", 'deny = ["delete_endpoint"]')
    (tmp_path / "p.toml").write_text(text)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "p.toml"))
    plan = _plan(tool="delete_endpoint", effect=Effect.DESTRUCTIVE, risk=Risk.CRITICAL)
    assert "tool-denied" in _broken(load_policy(get_settings()).evaluate(plan, "dave", "us-east-1"))


def test_reads_are_allowed_without_rules() -> None:
    plan = _plan(tool="list_endpoints", effect=Effect.READ, risk=Risk.READ, instance_count=99999)
    assert _broken(load_policy(get_settings()).evaluate(plan, "dave", "us-east-1")) == []


@pytest.mark.parametrize(
    ("user", "risk", "requester", "allowed"),
    [
        ("alice", "high", "dave", True),
        ("dave", "high", "alice", False),  # not a platform lead
        ("alice", "high", "alice", False),  # self-approval at high
        ("alice", "critical", "alice", False),
        ("dave", "medium", "erin", True),  # anyone for medium
        ("dave", "medium", "dave", False),  # but not self at medium by default
        ("dave", "low", "dave", True),  # self-approval allowed at low
        ("slack:U999", "low", "dave", False),  # unmapped Slack users are nobody
    ],
)
def test_may_approve(user: str, risk: str, requester: str, allowed: bool) -> None:
    assert (load_policy(get_settings()).may_approve(user, risk, requester) is None) is allowed


def test_self_approval_at_high_cannot_be_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = Path("agent/policy.default.toml").read_text().replace('self_approval = ["low"]', 'self_approval = ["high"]')
    (tmp_path / "p.toml").write_text(text)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "p.toml"))
    with pytest.raises(PolicyError, match="self_approval"):
        load_policy(get_settings())


def test_critical_needs_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy(get_settings())
    assert policy.approvals_needed("critical") == 2
    text = Path("agent/policy.default.toml").read_text().replace("critical = 2", "critical = 1")
    (tmp_path / "p.toml").write_text(text)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "p.toml"))
    with pytest.raises(PolicyError, match="at least 2"):
        load_policy(get_settings())


def test_missing_or_broken_file_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "nope.toml"))
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(get_settings())
    (tmp_path / "bad.toml").write_text("[approval\n")
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "bad.toml"))
    with pytest.raises(PolicyError, match="not valid TOML"):
        load_policy(get_settings())


def test_slack_identity_mapping() -> None:
    policy = load_policy(get_settings())
    assert policy.identity("slack", "U0000ALICE") == "alice"
    assert policy.identity("slack", "UNKNOWN") == "slack:UNKNOWN"


def test_actions_that_lower_spend_skip_capacity_limits() -> None:
    policy = load_policy(get_settings())
    delete = _plan(
        tool="delete_endpoint",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        instance_count=500,
        cost_usd_per_hour=0.0,
        facts={"cost_usd_per_hour_delta": -5000.0},
    )
    scale_down = _plan(
        tool="scale_hyperpod_cluster",
        risk=Risk.MEDIUM,
        instance_count=100,
        cost_usd_per_hour=5597.0,
        facts={"cost_usd_per_hour_delta": -559.7},
    )
    scale_up = _plan(
        tool="scale_hyperpod_cluster",
        risk=Risk.MEDIUM,
        instance_count=100,
        cost_usd_per_hour=5597.0,
        facts={"cost_usd_per_hour_delta": 559.7},
    )
    assert _broken(policy.evaluate(delete, "dave", "us-east-1")) == []
    assert _broken(policy.evaluate(scale_down, "dave", "us-east-1")) == []
    assert _broken(policy.evaluate(scale_up, "dave", "us-east-1")) == [
        "max-instances-per-action",
        "max-hourly-spend-per-action",
    ]
