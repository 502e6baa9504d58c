"""scale_hyperpod_cluster against the sandbox: the new size, the cost change, the one request."""

from __future__ import annotations

import pytest

from tests.tools.helpers import approve_and_run, record
from tests.tools.training.sandbox import TRN2, describe_cluster, workers_group
from tools import runtime
from tools.base import Effect, Risk, ToolContext
from tools.errors import ToolInputError
from tools.training.cluster_scale import ClusterScaled


# ---------------------------------------------------------------------------------------- scale
def test_scale_plans_the_new_total_and_cost_delta_and_updates_one_group(ctx: ToolContext) -> None:
    raw = {"cluster_name": "llama-pretrain", "group_name": "workers", "instance_count": 8}
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "scale_hyperpod_cluster", raw)
    # THEN the plan has the group's new total, the old count in facts, and the cost change
    assert (plan.effect, plan.risk) == (Effect.WRITE, Risk.MEDIUM)
    assert (plan.instance_type, plan.instance_count, plan.facts["old_instance_count"]) == ("ml.trn2.48xlarge", 8, 4)
    assert plan.cost_usd_per_hour == pytest.approx(8 * TRN2)
    assert plan.facts["cost_usd_per_hour_delta"] == pytest.approx(4 * TRN2)
    assert any("was $223.88/h; +$223.88/h" in c for c in plan.changes)
    assert plan.operation_names() == ["sagemaker:UpdateCluster"] == recorder.writes()
    # AND UpdateCluster got the group as described, with the new count
    assert recorder.params("UpdateCluster") == {
        "ClusterName": "llama-pretrain",
        "InstanceGroups": [workers_group(8)],
    }
    result = ClusterScaled.model_validate(out.result)
    assert (result.old_count, result.new_count, result.changed, result.status) == (4, 8, True, "Updating")
    assert out.text == "Scaling llama-pretrain/workers: 4 -> 8 x ml.trn2.48xlarge (Updating); $223.88/h -> $447.76/h"
    assert describe_cluster(ctx, "llama-pretrain").node_count == 8


def test_scale_in_shows_a_negative_delta(ctx: ToolContext) -> None:
    plan = runtime.plan("scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "instance_count": 1}, ctx)
    assert plan.facts["cost_usd_per_hour_delta"] == pytest.approx(-3 * TRN2)
    assert any("-$167.91/h" in c for c in plan.changes)


def test_scale_to_the_current_count_changes_nothing(ctx: ToolContext) -> None:
    # GIVEN llama-pretrain's workers at 4 WHEN scaled to 4
    raw = {"cluster_name": "llama-pretrain", "instance_count": 4}
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "scale_hyperpod_cluster", raw)
    # THEN the plan has no AWS operation and says so; the run makes no call
    assert plan.aws_operations == [] and plan.summary.endswith("nothing to change")
    assert recorder.writes() == [] and ClusterScaled.model_validate(out.result).changed is False


def test_remove_a_node_is_planned_as_its_absolute_count(ctx: ToolContext) -> None:
    # GIVEN workers at 4 WHEN asked to remove a node, or to double the group
    plan = runtime.plan("scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "add_instances": -1}, ctx)
    # THEN the plan binds 3 and shows 4 -> 3
    assert plan.args["instance_count"] == 3 and "add_instances" not in plan.args
    assert plan.changes[0] == "group workers of llama-pretrain: 4 -> 3 x ml.trn2.48xlarge"
    assert plan.aws_operations[0].params["InstanceGroups"][0]["InstanceCount"] == 3
    doubled = runtime.plan("scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "scale_factor": 2}, ctx)
    assert doubled.args["instance_count"] == 8 and doubled.facts["resolved_from"] == {"scale_factor": 2.0}


def test_scale_of_an_unknown_group_names_the_groups(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as caught:
        runtime.plan(
            "scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "group_name": "gpu", "instance_count": 2}, ctx
        )
    assert caught.value.field == "group_name" and "has groups: workers" in str(caught.value)
