"""delete_hyperpod_cluster against the sandbox: what is lost and saved, and a cluster already gone."""

from __future__ import annotations

import time

import pytest

from tests.tools.helpers import approve_and_run, record
from tools import guard, runtime
from tools.base import Effect, Risk, ToolContext
from tools.registry import get_tool
from tools.training.cluster_delete import ClusterDeleted, render_delete, run_delete
from tools.training.clusters import ClusterList


# --------------------------------------------------------------------------------------- delete
def test_delete_plans_what_is_lost_and_deletes(ctx: ToolContext) -> None:
    recorder = record(ctx)
    plan, out = approve_and_run(ctx, "delete_hyperpod_cluster", {"cluster_name": "llama-pretrain"})
    assert (plan.effect, plan.risk, plan.cost_usd_per_hour) == (Effect.DESTRUCTIVE, Risk.CRITICAL, 0.0)
    assert plan.facts["instances_terminated"] == 4
    assert plan.facts["cost_usd_per_hour_saved"] == pytest.approx(223.88)
    assert plan.operation_names() == ["sagemaker:DeleteCluster"] == recorder.writes()
    assert recorder.params("DeleteCluster") == {"ClusterName": "llama-pretrain"}
    result = ClusterDeleted.model_validate(out.result)
    assert (result.deleted, result.status, result.instances_released) == (True, "Deleting", 4)
    assert out.text.startswith("Deleting HyperPod cluster llama-pretrain (Deleting): 4 instance(s) released")
    assert ClusterList.model_validate(runtime.run_read("list_hyperpod_clusters", {}, ctx).result).clusters == []


def test_delete_of_a_cluster_already_gone_is_a_no_op(ctx: ToolContext) -> None:
    # GIVEN a delete that was planned while the cluster existed, but someone deleted it meanwhile
    tool_args = {"cluster_name": "llama-pretrain"}
    approve_and_run(ctx, "delete_hyperpod_cluster", tool_args, approval_id="ap-first")
    args = runtime.parse_args(get_tool("delete_hyperpod_cluster"), tool_args)
    # WHEN the delete runs again
    with guard.activated(guard.Grant("ap-2", "h", frozenset({"sagemaker:DeleteCluster"}), time.time() + 60)):
        result = run_delete(ctx, args)
    # THEN it reports that nothing was deleted
    assert (result.deleted, result.status) == (False, "NotFound")
    assert render_delete(result) == "HyperPod cluster llama-pretrain does not exist; nothing to delete."
