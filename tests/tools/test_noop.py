"""No-op writes, universally: a write whose plan changes nothing has no AWS operation (so the graph
answers it and files nothing), and running it makes no AWS write. One case per write tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.tools.helpers import approve_and_run, grant_for, record
from tools import registry, runtime
from tools.base import ToolContext
from tools.config import get_settings
from tools.errors import ToolInputError

ENDPOINT = {"endpoint_name": "noop-ep", "instance_type": "inf2.xlarge", "model_s3_uri": "s3://model-artifacts/llama-3-8b/"}
JOB = {"job_name": "noop-job", "input_s3_uri": "s3://training-data/datasets/chat-sft/", "output_s3_uri": "s3://checkpoints/x/"}


def _bought_plan(ctx: ToolContext) -> dict[str, Any]:
    search = {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 720}
    offering = runtime.run_read("search_training_plans", search, ctx).result["offerings"][0]
    raw = {"plan_name": "noop-plan", "offering_id": offering["offering_id"]}
    approve_and_run(ctx, "purchase_training_plan", raw)
    return raw


def _created(name: str, raw: dict[str, Any]) -> Callable[[ToolContext], dict[str, Any]]:
    def setup(ctx: ToolContext) -> dict[str, Any]:
        approve_and_run(ctx, name, raw, approval_id="ap-setup")
        return raw

    return setup


def _deleting_endpoint(ctx: ToolContext) -> dict[str, Any]:
    from moto.backends import get_backend

    sandbox = ctx.clients.sandbox
    with sandbox.session():
        get_backend("sagemaker")[sandbox.account][sandbox.region].endpoints["llama8b-inf2"].endpoint_status = "Deleting"
        sandbox.save()
    return {"endpoint_name": "llama8b-inf2"}


Setup = dict[str, Any] | Callable[[ToolContext], dict[str, Any]]
# What each write is asked to do that is already so on the demo account (after the setup, if any).
NO_OPS: dict[str, Setup] = {
    "create_hyperpod_cluster": {
        "cluster_name": "llama-pretrain",
        "instance_type": "trn2.48xlarge",
        "instance_count": 4,
    },
    "scale_hyperpod_cluster": {"cluster_name": "llama-pretrain", "group_name": "workers", "instance_count": 4},
    "launch_training_job": _created("launch_training_job", JOB),
    "stop_training_job": {"job_name": "llama-sft-v1"},
    "purchase_training_plan": _bought_plan,
    "create_inference_endpoint": _created("create_inference_endpoint", ENDPOINT),
    "scale_endpoint": {"endpoint_name": "chat-prod", "instance_count": 1},
    "delete_endpoint": _deleting_endpoint,
    "tune_cache": {"cache_id": "kv-cache-prod", "node_type": "cache.r7g.xlarge", "replica_count": 2},
    "enable_s3_metadata": {"bucket": "checkpoints"},
}
# A delete of what is already gone is refused as an unknown name (nothing is filed either); a cluster
# that is being deleted is checked on a stubbed live account (the sandbox removes it at once).
REFUSED = {"delete_hyperpod_cluster": {"cluster_name": "gone-already"}}
SERVICES = ("sagemaker", "elasticache", "s3", "cloudwatch", "iam", "ec2")


def test_every_write_tool_has_a_no_op_case() -> None:
    writes = {t.name for t in registry.tools() if t.is_write}
    assert set(NO_OPS) | set(REFUSED) == writes


@pytest.mark.parametrize("name", sorted(NO_OPS))
def test_a_write_that_changes_nothing_plans_no_operation_and_writes_nothing(ctx: ToolContext, name: str) -> None:
    # GIVEN a request for what is already so
    setup = NO_OPS[name]
    raw = setup(ctx) if callable(setup) else setup
    recorders = [record(ctx, service) for service in SERVICES]
    # WHEN it is planned
    plan = runtime.plan(name, raw, ctx)
    # THEN it has no AWS operation (the graph answers it and files nothing) and says why in its summary
    assert plan.aws_operations == [], plan.aws_operations
    assert any(word in plan.summary for word in ("nothing", "already")), plan.summary
    # AND run under a grant of no operations, it makes no AWS write
    runtime.run_approved(name, raw, ctx, grant_for(ctx, name, raw, []))
    assert [w for r in recorders for w in r.writes()] == []


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_write_on_what_is_gone_is_refused_before_anyone_is_asked(ctx: ToolContext, name: str) -> None:
    with pytest.raises(ToolInputError):
        runtime.plan(name, REFUSED[name], ctx)


def test_deleting_a_cluster_that_is_already_deleting_plans_nothing() -> None:
    # GIVEN a live account (stubbed) whose cluster is Deleting
    ctx = runtime.make_context(get_settings(live=True), requester="bob", thread="t")
    sm = ctx.clients.client("sagemaker")
    described = {
        "ClusterArn": "arn:aws:sagemaker:us-east-1:210987654321:cluster/abc",
        "ClusterName": "old",
        "ClusterStatus": "Deleting",
        "CreationTime": "2026-01-01T00:00:00Z",
        "InstanceGroups": [
            {"InstanceGroupName": "workers", "InstanceType": "ml.trn2.48xlarge", "CurrentCount": 2, "TargetCount": 2}
        ],
    }
    with Stubber(sm.raw) as stub:
        stub.add_response("describe_cluster", described, {"ClusterName": "old"})
        stub.add_response("list_cluster_nodes", {"ClusterNodeSummaries": []})
        plan = runtime.plan("delete_hyperpod_cluster", {"cluster_name": "old"}, ctx)
    # THEN there is nothing to do
    assert plan.aws_operations == [] and plan.summary.endswith("already being deleted; nothing to do")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 0}),
        ("scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "scale_factor": 1}),
        ("tune_cache", {"cache_id": "kv-cache-prod", "add_replicas": 0}),
    ],
)
def test_a_relative_change_of_nothing_is_a_no_op_too(ctx: ToolContext, name: str, raw: dict[str, Any]) -> None:
    plan = runtime.plan(name, raw, ctx)
    assert plan.aws_operations == [] and "nothing" in plan.summary
