"""The mutation guard: the second lock, proven on its own."""

from __future__ import annotations

import time

import pytest

from tools import guard
from tools.errors import MutationBlockedError


def _grant(ops: set[str], ttl: float = 60) -> guard.Grant:
    return guard.Grant("ap-1", "h", frozenset(ops), time.time() + ttl)


@pytest.mark.parametrize(
    ("service", "op", "mutating"),
    [
        ("sagemaker", "DescribeCluster", False),
        ("sagemaker", "ListEndpoints", False),
        ("sagemaker", "SearchTrainingPlanOfferings", False),
        ("athena", "StartQueryExecution", False),
        ("sagemaker", "CreateCluster", True),
        ("sagemaker", "StopTrainingJob", True),
        ("elasticache", "IncreaseReplicaCount", True),
        ("sagemaker", "CreateTrainingPlan", True),
        ("s3", "PutObject", True),
        ("sagemaker", "SomeFutureOperation", True),  # unknown names fail closed
    ],
)
def test_is_mutating(service: str, op: str, mutating: bool) -> None:
    assert guard.is_mutating(service, op) is mutating


def test_direct_write_without_grant_is_blocked(ctx) -> None:
    # GIVEN a tool client on the sandbox WHEN a write is called directly THEN the guard refuses it
    s3 = ctx.clients.client("s3")
    with pytest.raises(MutationBlockedError, match="no active grant"):
        s3.create_bucket(Bucket="not-approved-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "not-approved-bucket" not in names


def test_grant_covers_only_its_operations(ctx) -> None:
    s3 = ctx.clients.client("s3")
    with guard.activated(_grant({"s3:CreateBucket"})):
        s3.create_bucket(Bucket="approved-bucket")
        with pytest.raises(MutationBlockedError, match="does not cover"):
            s3.delete_bucket(Bucket="approved-bucket")
    assert "approved-bucket" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_expired_grant_is_refused(ctx) -> None:
    s3 = ctx.clients.client("s3")
    with guard.activated(_grant({"s3:CreateBucket"}, ttl=-1)), pytest.raises(MutationBlockedError, match="expired"):
        s3.create_bucket(Bucket="late-bucket")


def test_grant_does_not_leak_out_of_its_block(ctx) -> None:
    s3 = ctx.clients.client("s3")
    with guard.activated(_grant({"s3:CreateBucket"})):
        pass
    assert guard.active_grant() is None
    with pytest.raises(MutationBlockedError):
        s3.create_bucket(Bucket="after-block")


def test_call_hash_changes_with_every_field() -> None:
    base = dict(tool="t", args={"a": 1}, account="1", region="r", requester="u", thread="th")
    h = guard.call_hash(**base)
    assert h == guard.call_hash(**{**base, "args": {"a": 1}})
    for key, other in [
        ("tool", "x"),
        ("args", {"a": 2}),
        ("account", "2"),
        ("region", "q"),
        ("requester", "v"),
        ("thread", "other"),
    ]:
        assert guard.call_hash(**{**base, key: other}) != h


def test_listeners_see_allowed_and_refused_writes(ctx) -> None:
    seen: list[tuple[str, str | None]] = []
    guard.LISTENERS.append(lambda svc, op, grant, reason: seen.append((op, reason)))
    try:
        s3 = ctx.clients.client("s3")
        with pytest.raises(MutationBlockedError):
            s3.create_bucket(Bucket="seen-refused")
        with guard.activated(_grant({"s3:CreateBucket"})):
            s3.create_bucket(Bucket="seen-allowed")
        s3.list_buckets()
    finally:
        guard.LISTENERS.clear()
    assert seen[0][0] == "CreateBucket" and seen[0][1] is not None
    assert seen[1] == ("CreateBucket", None)
    assert len(seen) == 2  # reads are not reported


@pytest.mark.parametrize(
    ("query", "blocked"),
    [
        ("SELECT key FROM t WHERE size > ?", False),
        ("  with x as (select 1) select * from x ;", False),
        ("CREATE TABLE evil AS SELECT * FROM t", True),
        ("INSERT INTO t VALUES (1)", True),
        ("SELECT 1; DROP TABLE t", True),
        ("", True),
    ],
)
def test_athena_queries_count_as_reads_only_when_select(query: str, blocked: bool) -> None:
    from botocore.stub import Stubber

    from tools.aws import AwsClients
    from tools.config import get_settings

    athena = AwsClients(get_settings(live=True)).client("athena")
    with Stubber(athena.raw) as stub:
        stub.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
        if blocked:
            with pytest.raises(MutationBlockedError, match="Athena"):
                athena.start_query_execution(QueryString=query or " ", WorkGroup="primary")
        else:
            assert athena.start_query_execution(QueryString=query, WorkGroup="primary")["QueryExecutionId"] == "q-1"


def _bound(*operations, ttl: float = 60) -> guard.Grant:
    return guard.Grant.for_operations("ap-1", "h", operations, time.time() + ttl)


def test_a_grant_binds_the_resource_not_just_the_operation(ctx) -> None:
    # GIVEN a grant for CreateBucket of exactly the approved bucket
    s3 = ctx.clients.client("s3")
    grant = _bound({"operation": "s3:CreateBucket", "params": {"Bucket": "approved-only"}})
    with guard.activated(grant):
        # WHEN another bucket is created under it THEN the guard refuses and names the difference
        with pytest.raises(MutationBlockedError, match='only for Bucket="approved-only"'):
            s3.create_bucket(Bucket="something-else")
        s3.create_bucket(Bucket="approved-only")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "approved-only" in names and "something-else" not in names


def test_the_grant_from_an_approval_record_carries_each_operations_parameters(ctx) -> None:
    # GIVEN an approved record whose plan names the endpoint and count its UpdateEndpointWeightsAndCapacities uses
    from agent.approvals import ApprovalService
    from agent.policy import load_policy
    from agent.stores import open_stores
    from tests.agent.stores.records import approval_record

    stores = open_stores(ctx.settings)
    operation = {
        "operation": "sagemaker:UpdateEndpointWeightsAndCapacities",
        "params": {
            "EndpointName": "chat-prod",
            "DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 2}],
        },
    }
    record = approval_record(
        id="ap-bound",
        tool="scale_endpoint",
        account="123456789012",
        thread="t",
        risk="medium",
        plan={"aws_operations": [operation]},
        status="approved",
        expires_at="2999-01-01T00:00:00+00:00",
    )
    grant = ApprovalService(stores.approvals, stores.audit, load_policy(ctx.settings)).grant(record)
    sm = ctx.clients.client("sagemaker")
    with guard.activated(grant):
        # WHEN the call targets another endpoint, or another count THEN it is refused
        twenty = [{"VariantName": "AllTraffic", "DesiredInstanceCount": 20}]
        approved = operation["params"]["DesiredWeightsAndCapacities"]
        for other in (
            {"EndpointName": "llama8b-inf2", "DesiredWeightsAndCapacities": approved},
            {"EndpointName": "chat-prod", "DesiredWeightsAndCapacities": twenty},
        ):
            with pytest.raises(MutationBlockedError, match="covers sagemaker:UpdateEndpointWeightsAndCapacities only"):
                sm.update_endpoint_weights_and_capacities(**other)
        # AND exactly the approved call passes
        sm.update_endpoint_weights_and_capacities(**operation["params"])


def test_parameters_compare_as_canonical_json_and_unlisted_keys_are_free() -> None:
    grant = _bound(
        {"operation": "sagemaker:UpdateCluster", "params": {"ClusterName": "c", "Groups": [{"a": 1, "b": 2}]}}
    )
    ok = {"ClusterName": "c", "Groups": [{"b": 2, "a": 1}], "NodeRecovery": "Automatic"}
    assert grant.allows("sagemaker", "UpdateCluster", params=ok) is None
    assert "ClusterName" in (grant.allows("sagemaker", "UpdateCluster", params={"Groups": [{"a": 1, "b": 2}]}) or "")
    assert grant.allows("sagemaker", "UpdateCluster") is not None  # parameters unknown: refused


def test_one_of_several_granted_parameter_sets_is_enough() -> None:
    grant = _bound(
        {"operation": "sagemaker:DeleteModel", "params": {"ModelName": "m1"}},
        {"operation": "sagemaker:DeleteModel", "params": {"ModelName": "m2"}},
    )
    assert grant.allows("sagemaker", "DeleteModel", params={"ModelName": "m2"}) is None
    assert grant.allows("sagemaker", "DeleteModel", params={"ModelName": "m3"}) is not None


def test_old_records_with_plain_operation_names_are_bound_by_name(ctx) -> None:
    with guard.activated(_bound("s3:CreateBucket")):
        ctx.clients.client("s3").create_bucket(Bucket="old-style-grant")
        with pytest.raises(MutationBlockedError, match="does not cover"):
            ctx.clients.client("s3").delete_bucket(Bucket="old-style-grant")
