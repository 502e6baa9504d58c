"""Policy: each rule refuses what it should, approvers are listed people, and the policy fails closed."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from agent.policy import PolicyError, load_policy
from tools.base import Effect, Plan, PlannedGroup, Risk
from tools.config import get_settings

DEFAULT = Path("agent/policy.default.toml").read_text()


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


def _use_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    (tmp_path / "p.toml").write_text(text)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "p.toml"))


def test_default_policy_allows_a_normal_request() -> None:
    assert _broken(load_policy(get_settings()).evaluate(_plan(), "dave", "us-east-1")) == []


@pytest.mark.parametrize(
    ("plan_kw", "region", "rule"),
    [
        ({"instance_count": 5000, "cost_usd_per_hour": 1.0}, "us-east-1", "max-instances-per-action"),
        (
            {"cost_usd_per_hour": 2000.01, "facts": {"cost_usd_per_hour_delta": 10.0}},
            "us-east-1",
            "max-hourly-spend-per-action",
        ),
        ({}, "eu-west-3", "region-allowed"),
        ({"instance_type": "ml.x1.huge"}, "us-east-1", "instance-type-allowed"),
        ({"cost_usd_total": 500_000.01}, "us-east-1", "max-one-time-spend-per-action"),
    ],
)
def test_each_limit_refuses_by_name(plan_kw: dict, region: str, rule: str) -> None:
    assert _broken(load_policy(get_settings()).evaluate(_plan(**plan_kw), "dave", region)) == [rule]


def test_hourly_spend_added_is_a_limit_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a policy that allows big totals but small increases
    text = DEFAULT.replace("max_hourly_usd_per_action = 2000", "max_hourly_usd_per_action = 10000")
    _use_policy(
        tmp_path,
        monkeypatch,
        text.replace("max_added_hourly_usd_per_action = 2000", "max_added_hourly_usd_per_action = 1000"),
    )
    # WHEN a scale-up adds $1,500/h to a $5,000/h endpoint THEN only the added-spend rule refuses it
    plan = _plan(
        tool="scale_endpoint", risk=Risk.MEDIUM, cost_usd_per_hour=5000.0, facts={"cost_usd_per_hour_delta": 1500.0}
    )
    assert _broken(load_policy(get_settings()).evaluate(plan, "dave", "us-east-1")) == [
        "max-added-hourly-spend-per-action"
    ]


def test_a_training_plan_purchase_is_held_to_every_spend_limit() -> None:
    # GIVEN the plan of buying 128 x ml.p6-b200.48xlarge for 26 weeks (destructive, like deletes)
    hours = 26 * 7 * 24
    fee = 142.42 * 128 * hours * 0.88
    purchase = _plan(
        tool="purchase_training_plan",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        instance_type="ml.p6-b200.48xlarge",
        instance_count=128,
        cost_usd_per_hour=round(fee / hours, 2),
        cost_usd_total=fee,
        upfront_usd=fee,
    )
    # WHEN it is evaluated THEN the capacity and spend limits apply to it and refuse it
    assert _broken(load_policy(get_settings()).evaluate(purchase, "dave", "us-east-1")) == [
        "max-instances-per-action",
        "max-hourly-spend-per-action",
        "max-added-hourly-spend-per-action",
        "max-one-time-spend-per-action",
    ]


def test_every_instance_group_type_is_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an allowlist of trn2 only
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace("instance_types = []", 'instance_types = ["ml.trn2.48xlarge"]'))
    # WHEN a cluster's costliest group is trn2 but a cheap group is g5
    groups = [
        PlannedGroup(name="workers", instance_type="ml.trn2.48xlarge", instance_count=4),
        PlannedGroup(name="controller", instance_type="ml.g5.xlarge", instance_count=1),
    ]
    findings = load_policy(get_settings()).evaluate(_plan(instance_groups=groups), "dave", "us-east-1")
    # THEN the g5 group is refused by name
    broken = [f for f in findings if not f.ok]
    assert [f.rule for f in broken] == ["instance-type-allowed"] and "ml.g5.xlarge" in broken[0].message


def test_denied_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace("deny = []", 'deny = ["delete_endpoint"]'))
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
        ("dave", "medium", "erin", True),  # any listed person for medium
        ("dave", "medium", "dave", False),  # but not self at medium by default
        ("dave", "low", "dave", True),  # self-approval allowed at low
        ("slack:U999", "low", "dave", False),  # unmapped Slack users are nobody
        ("erin", "low", "dave", False),  # "*" is any listed person, not any string
        ("mallory", "medium", "dave", False),
        ("aws:alice", "high", "dave", False),  # an unlisted AWS caller named alice is not alice
    ],
)
def test_may_approve(user: str, risk: str, requester: str, allowed: bool) -> None:
    assert (load_policy(get_settings()).may_approve(user, risk, requester) is None) is allowed


def test_an_unlisted_identity_approves_nothing_at_any_tier() -> None:
    policy = load_policy(get_settings())
    for tier in ("low", "medium", "high", "critical"):
        reason = policy.may_approve("made-up-name", tier, "dave")
        assert reason is not None and "not a person listed" in reason


def test_groups_and_approvers_must_name_listed_people(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_policy(
        tmp_path,
        monkeypatch,
        DEFAULT.replace('platform-leads = ["alice", "bob", "carol"]', 'platform-leads = ["alice", "zed"]'),
    )
    with pytest.raises(PolicyError, match="zed"):
        load_policy(get_settings())
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace('high = ["@platform-leads"]', 'high = ["zed"]'))
    with pytest.raises(PolicyError, match="'zed' is not in \\[people\\]"):
        load_policy(get_settings())


def test_an_unknown_key_fails_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a misspelt limit WHEN loaded THEN it is an error, not a silently kept default
    _use_policy(
        tmp_path, monkeypatch, DEFAULT.replace("max_instances_per_action = 64", "max_instance_per_action = 6400")
    )
    with pytest.raises(PolicyError, match="max_instance_per_action"):
        load_policy(get_settings())


def test_the_old_identities_table_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_policy(tmp_path, monkeypatch, DEFAULT + '\n[identities.slack]\nU0000ALICE = "alice"\n')
    with pytest.raises(PolicyError, match=r"\[people.NAME\]"):
        load_policy(get_settings())


def test_self_approval_at_high_cannot_be_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace('self_approval = ["low"]', 'self_approval = ["high"]'))
    with pytest.raises(PolicyError, match="self_approval"):
        load_policy(get_settings())


def test_critical_needs_two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy(get_settings())
    assert policy.approvals_needed("critical") == 2
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace("critical = 2", "critical = 1"))
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


def test_identity_mapping_slack_and_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice@example.com"
    _use_policy(
        tmp_path,
        monkeypatch,
        DEFAULT.replace('slack = "U0000ALICE"\naws = []', f'slack = "U0000ALICE"\naws = ["{arn}"]'),
    )
    policy = load_policy(get_settings())
    assert policy.identity("slack", "U0000ALICE") == "alice"
    assert policy.identity("slack", "UNKNOWN") == "slack:UNKNOWN"
    assert policy.identity("aws", arn) == "alice"
    other = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123/alice"
    assert policy.identity("aws", other) == "aws:alice"  # same session name, another principal: not alice
    assert policy.identity("aws", "arn:aws:iam::111122223333:user/ops/bob") == "aws:bob"


def test_the_digest_follows_the_rules_not_the_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = load_policy(get_settings())
    _use_policy(tmp_path, monkeypatch, DEFAULT)
    assert load_policy(get_settings()).digest == default.digest
    _use_policy(
        tmp_path, monkeypatch, DEFAULT.replace("max_instances_per_action = 64", "max_instances_per_action = 65")
    )
    assert load_policy(get_settings()).digest != default.digest


def test_live_refuses_a_policy_file_of_ones_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a requester's own loose policy file WHEN opsbot runs live THEN it is refused, not used
    _use_policy(
        tmp_path, monkeypatch, DEFAULT.replace("max_instances_per_action = 64", "max_instances_per_action = 5000")
    )
    with pytest.raises(PolicyError, match="sandbox only"):
        load_policy(get_settings(live=True))
    monkeypatch.delenv("OPSBOT_POLICY_FILE")
    assert load_policy(get_settings(live=True)).limits.max_instances_per_action == 64


def test_live_policy_from_an_ssm_parameter_or_an_s3_object(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        # GIVEN the deployment's policy in SSM and in S3
        tight = DEFAULT.replace("max_instances_per_action = 64", "max_instances_per_action = 8")
        ssm = boto3.client("ssm", region_name="us-east-1")
        ssm.put_parameter(Name="/opsbot/policy-test", Value=tight, Type="String", Overwrite=True)
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="opsbot-policy-test")
        s3.put_object(Bucket="opsbot-policy-test", Key="policy.toml", Body=tight.encode())
        # WHEN live opsbot reads its policy source THEN it has those rules
        for source in ("ssm:/opsbot/policy-test", "s3://opsbot-policy-test/policy.toml"):
            monkeypatch.setenv("OPSBOT_POLICY_SOURCE", source)
            policy = load_policy(get_settings(live=True))
            assert policy.limits.max_instances_per_action == 8 and policy.source == source
        # AND a source that cannot be read refuses writes
        monkeypatch.setenv("OPSBOT_POLICY_SOURCE", "ssm:/opsbot/missing")
        with pytest.raises(PolicyError, match="could not be read"):
            load_policy(get_settings(live=True))


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

    def scale(delta: float) -> Plan:
        # 100 nodes at $5,597/h either way: only the direction of the change differs
        return _plan(
            tool="scale_hyperpod_cluster",
            risk=Risk.MEDIUM,
            instance_count=100,
            cost_usd_per_hour=5597.0,
            facts={"cost_usd_per_hour_delta": delta},
        )

    scale_down, scale_up = scale(-559.7), scale(559.7)
    assert _broken(policy.evaluate(delete, "dave", "us-east-1")) == []
    assert _broken(policy.evaluate(scale_down, "dave", "us-east-1")) == []
    assert _broken(policy.evaluate(scale_up, "dave", "us-east-1")) == [
        "max-instances-per-action",
        "max-hourly-spend-per-action",
    ]


def test_every_group_of_a_real_hyperpod_plan_is_checked(ctx, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import runtime

    # GIVEN an allowlist of trn2 only, and a cluster whose costliest group is trn2 and a cheaper one trn1
    _use_policy(tmp_path, monkeypatch, DEFAULT.replace("instance_types = []", 'instance_types = ["ml.trn2.48xlarge"]'))
    groups = [
        {"group_name": "workers", "instance_type": "ml.trn2.48xlarge", "instance_count": 4},
        {"group_name": "eval", "instance_type": "ml.trn1.32xlarge", "instance_count": 1},
    ]
    plan = runtime.plan("create_hyperpod_cluster", {"cluster_name": "mixed", "instance_groups": groups}, ctx)
    # WHEN the policy checks the plan THEN the trn1 group is refused, not waved through behind the trn2 one
    broken = [f for f in load_policy(get_settings()).evaluate(plan, "dave", "us-east-1") if not f.ok]
    assert [f.rule for f in broken] == ["instance-type-allowed"] and "ml.trn1.32xlarge" in broken[0].message
