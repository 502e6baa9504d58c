"""list_hyperpod_clusters and describe_hyperpod_cluster against the sandbox."""

from __future__ import annotations

import pytest

from tests.tools.helpers import read_as_planned
from tests.tools.training.sandbox import TRN2
from tools import runtime
from tools.base import ToolContext
from tools.errors import ToolInputError
from tools.training.clusters import ClusterDetails, ClusterList


# ---------------------------------------------------------------------------------------- reads
def test_list_shows_the_seeded_cluster_with_size_and_cost(ctx: ToolContext) -> None:
    out = runtime.run_read("list_hyperpod_clusters", {}, ctx)
    result = ClusterList.model_validate(out.result)
    [cluster] = result.clusters
    assert (cluster.cluster_name, cluster.status, cluster.instance_count) == ("llama-pretrain", "InService", 4)
    assert cluster.cost_usd_per_hour == pytest.approx(4 * TRN2)
    assert "llama-pretrain: InService, 4 x ml.trn2.48xlarge, $223.88/h" in out.text


def test_describe_gives_status_groups_nodes_and_cost(ctx: ToolContext) -> None:
    out = read_as_planned(ctx, "describe_hyperpod_cluster", {"cluster_name": "llama-pretrain"})
    details = ClusterDetails.model_validate(out.result)
    assert (details.status, details.orchestrator, details.node_count) == ("InService", "slurm", 4)
    assert details.nodes_by_status == {"Running": 4}
    [group] = details.groups
    assert (group.group_name, group.instance_type, group.current_count, group.target_count) == (
        "workers",
        "ml.trn2.48xlarge",
        4,
        4,
    )
    assert details.cost_usd_per_hour == pytest.approx(223.88)
    assert out.text.splitlines()[0] == "llama-pretrain: InService, slurm, 4 node(s), $223.88/h"
    assert "workers: 4/4 x ml.trn2.48xlarge (InService), $223.88/h" in out.text


def test_describe_unknown_cluster_names_the_existing_ones(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as caught:
        runtime.run_read("describe_hyperpod_cluster", {"cluster_name": "nope"}, ctx)
    assert caught.value.field == "cluster_name" and "existing: llama-pretrain" in str(caught.value)
