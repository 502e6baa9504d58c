"""The runtime against every declared tool: each plan matches its tool's declaration, and each write
makes exactly the AWS calls its plan lists, with the parameters the plan pins (what the mutation
guard will hold it to)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.tools.helpers import approve_and_run, record
from tools import guard, registry, runtime
from tools.base import AwsOperation, Effect, Plan, ToolContext
from tools.errors import ApprovalRequiredError

Sample = dict[str, Any] | Callable[[ToolContext], dict[str, Any]]


def _offering(ctx: ToolContext) -> dict[str, Any]:
    search = {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 720}
    offering = runtime.run_read("search_training_plans", search, ctx).result["offerings"][0]
    return {"plan_name": "plan-check", "offering_id": offering["offering_id"]}


# A call of each tool that does something on the demo account (a write that changes nothing has
# no AWS operation to check).
SAMPLES: dict[str, Sample] = {
    "list_hyperpod_clusters": {},
    "describe_hyperpod_cluster": {"cluster_name": "llama-pretrain"},
    "create_hyperpod_cluster": {"cluster_name": "plan-check", "instance_type": "trn2.48xlarge", "instance_count": 2},
    "scale_hyperpod_cluster": {"cluster_name": "llama-pretrain", "instance_count": 6},
    "delete_hyperpod_cluster": {"cluster_name": "llama-pretrain"},
    "launch_training_job": {
        "job_name": "plan-check",
        "input_s3_uri": "s3://training-data/datasets/chat-sft/",
        "output_s3_uri": "s3://checkpoints/x/",
    },
    "list_training_jobs": {"status": "InProgress"},
    "describe_training_job": {"job_name": "llama-pretrain-stage1"},
    "stop_training_job": {"job_name": "llama-pretrain-stage1"},
    "search_training_plans": {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 720},
    "purchase_training_plan": _offering,
    "recommend_inference_instance": {"model_params_billion": 8},
    "create_inference_endpoint": {
        "endpoint_name": "plan-check",
        "instance_type": "inf2.xlarge",
        "model_s3_uri": "s3://model-artifacts/llama-3-8b/",
    },
    "list_endpoints": {},
    "describe_endpoint": {"endpoint_name": "chat-prod"},
    "get_endpoint_metrics": {"endpoint_name": "llama8b-inf2", "window_minutes": 30},
    "scale_endpoint": {"endpoint_name": "chat-prod", "instance_count": 2},
    "delete_endpoint": {"endpoint_name": "llama8b-inf2"},
    "list_caches": {},
    "describe_cache": {"cache_id": "kv-cache-prod"},
    "recommend_cache_tuning": {"cache_id": "kv-cache-prod", "workload": "kv-cache"},
    "tune_cache": {
        "cache_id": "kv-cache-prod",
        "node_type": "cache.r7g.2xlarge",
        "replica_count": 3,
        "parameters": {"maxmemory-policy": "allkeys-lru"},
    },
    "list_buckets": {"with_metadata": True},
    "query_s3_metadata": {"bucket": "training-data", "min_size_bytes": 1_000_000_000},
    "summarize_s3_metadata": {"group_by": "tag", "tag_key": "split"},
    "enable_s3_metadata": {"bucket": "model-artifacts"},
    "estimate_cost": {"instance_type": "ml.trn2.48xlarge", "instance_count": 2, "hours": 3},
    "summarize_spend": {"hours": 48},
}
TOOLS = registry.tools()
WRITES = [t for t in TOOLS if t.is_write]


def _sample(ctx: ToolContext, name: str) -> dict[str, Any]:
    sample = SAMPLES[name]
    return sample(ctx) if callable(sample) else sample


def test_every_tool_has_a_sample_call() -> None:
    assert set(SAMPLES) == {t.name for t in TOOLS}


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_the_plan_is_the_declaration_plus_what_the_plan_function_adds(ctx: ToolContext, tool) -> None:
    # GIVEN a call that does something on the demo account
    raw = _sample(ctx, tool.name)
    # WHEN the runtime plans it
    plan = runtime.plan(tool.name, raw, ctx)
    # THEN tool, arguments, effect, risk and region come from the declaration and the call
    args = runtime.parse_args(tool, raw)
    assert (plan.tool, plan.args, plan.effect, plan.risk) == (
        tool.name,
        runtime.args_dict(args),
        tool.effect,
        tool.risk,
    )
    assert plan.region == ctx.region
    # AND the tool's own plan function restates none of them
    if tool.plan is not None:
        own = tool.plan(ctx, args)
        assert (own.tool, own.args, own.effect, own.risk) == (None, {}, None, None)
    # AND reads make no AWS write while writes list each one, all of them mutating operations
    if tool.effect == Effect.READ:
        assert plan.aws_operations == []
    else:
        assert plan.aws_operations
        assert all(guard.is_mutating(*op.operation.split(":")) for op in plan.aws_operations)


@pytest.mark.parametrize("tool", WRITES, ids=lambda t: t.name)
def test_each_write_call_carries_the_parameters_its_plan_pins(ctx: ToolContext, tool) -> None:
    # GIVEN a write planned on the sandbox, and a recorder on every service its plan names
    raw = _sample(ctx, tool.name)
    planned = runtime.plan(tool.name, raw, ctx).aws_operations
    recorders = [record(ctx, service) for service in sorted({op.operation.split(":")[0] for op in planned})]
    # WHEN it runs under a grant for exactly this call
    plan, _ = approve_and_run(ctx, tool.name, raw)
    # THEN its plan did not change between planning and approval
    assert plan.aws_operations == planned
    # AND every mutating call it made matches a planned operation, parameter by parameter
    calls = [call for r in recorders for call in r.write_calls()]
    assert calls, f"{tool.name} made no AWS write"
    for operation, params in calls:
        assert any(op.matches(operation, params) for op in planned), (operation, params, planned)
    # AND every planned operation was made
    assert sorted({op for op, _ in calls}) == sorted({op.operation for op in planned})


def test_an_operation_matches_only_its_own_parameters() -> None:
    op = AwsOperation(operation="sagemaker:DeleteEndpoint", params={"EndpointName": "chat-prod"})
    assert op.matches("sagemaker:DeleteEndpoint", {"EndpointName": "chat-prod", "Extra": 1})
    assert not op.matches("sagemaker:DeleteEndpoint", {"EndpointName": "llama8b-inf2"})
    assert not op.matches("sagemaker:DeleteEndpoint", {})
    assert not op.matches("sagemaker:DeleteModel", {"EndpointName": "chat-prod"})
    # Values compare as canonical JSON: key order does not matter, types do.
    groups = AwsOperation(operation="sagemaker:UpdateCluster", params={"InstanceGroups": [{"A": 1, "B": 2}]})
    assert groups.matches("sagemaker:UpdateCluster", {"InstanceGroups": [{"B": 2, "A": 1}]})
    assert not groups.matches("sagemaker:UpdateCluster", {"InstanceGroups": [{"A": "1", "B": 2}]})


def test_a_bare_operation_name_is_an_operation_without_pinned_parameters() -> None:
    plan = Plan(summary="x", aws_operations=["s3:CreateBucket"])
    assert plan.aws_operations == [AwsOperation(operation="s3:CreateBucket")]
    assert plan.operation_names() == ["s3:CreateBucket"]


def test_a_read_without_a_plan_function_gets_the_read_plan(ctx: ToolContext) -> None:
    tool = registry.get("list_endpoints")
    assert tool.plan is None
    plan = runtime.plan("list_endpoints", {}, ctx)
    assert (plan.summary, plan.aws_operations, plan.cost_usd_per_hour) == ("list endpoints", [], None)


def test_writes_do_not_run_as_reads(ctx: ToolContext) -> None:
    with pytest.raises(ApprovalRequiredError):
        runtime.run_read("scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 2}, ctx)
