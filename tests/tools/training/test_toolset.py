"""The training toolset: names, arguments, effects and risks as the catalog declares them, and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.helpers import record
from tools import runtime
from tools.base import Effect, Risk, ToolContext
from tools.errors import ToolInputError
from tools.registry import get_tool, tools_for_domain

# --------------------------------------------------------------------------------------- catalog
CATALOG = {
    "list_hyperpod_clusters": (Effect.READ, Risk.READ, set()),
    "describe_hyperpod_cluster": (Effect.READ, Risk.READ, {"cluster_name"}),
    "create_hyperpod_cluster": (
        Effect.WRITE,
        Risk.HIGH,
        {
            "cluster_name",
            "instance_type",
            "instance_count",
            "orchestrator",
            "lifecycle_s3_uri",
            "instance_groups",
            "training_plan_arn",
            "subnet_ids",
            "security_group_ids",
        },
    ),
    "scale_hyperpod_cluster": (Effect.WRITE, Risk.MEDIUM, {"cluster_name", "group_name", "instance_count"}),
    "delete_hyperpod_cluster": (Effect.DESTRUCTIVE, Risk.CRITICAL, {"cluster_name"}),
    "launch_training_job": (
        Effect.WRITE,
        Risk.MEDIUM,
        {
            "job_name",
            "instance_type",
            "instance_count",
            "image_uri",
            "input_s3_uri",
            "output_s3_uri",
            "max_runtime_hours",
        },
    ),
    "list_training_jobs": (Effect.READ, Risk.READ, {"status", "name_contains"}),
    "describe_training_job": (Effect.READ, Risk.READ, {"job_name"}),
    "stop_training_job": (Effect.DESTRUCTIVE, Risk.HIGH, {"job_name"}),
    "search_training_plans": (Effect.READ, Risk.READ, {"instance_type", "instance_count", "duration_hours"}),
    "purchase_training_plan": (Effect.DESTRUCTIVE, Risk.CRITICAL, {"plan_name", "offering_id"}),
}


def test_training_domain_has_the_eleven_catalog_tools() -> None:
    names = {t.name for t in tools_for_domain("training") if t.domain == "training"}
    assert names == set(CATALOG)


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_tool_effect_risk_and_arguments_match_the_design(name: str) -> None:
    effect, risk, main_args = CATALOG[name]
    tool = get_tool(name)
    assert (tool.effect, tool.risk) == (effect, risk)
    fields = tool.args_model.model_fields
    assert main_args <= set(fields)
    assert all(f.description for f in fields.values()), "every argument needs a description for the model"


def test_launch_defaults_are_trn2_one_instance_24_hours() -> None:
    args = runtime.parse_args(
        get_tool("launch_training_job"),
        {"job_name": "j", "input_s3_uri": "s3://a-b/in/", "output_s3_uri": "s3://a-b/o/"},
    )
    assert (args.instance_type, args.instance_count, args.max_runtime_hours) == ("ml.trn2.48xlarge", 1, 24)


def test_instance_type_prefix_is_added() -> None:
    args = runtime.parse_args(
        get_tool("create_hyperpod_cluster"),
        {"cluster_name": "x", "instance_type": "trn2.48xlarge", "instance_count": 2},
    )
    assert args.instance_type == "ml.trn2.48xlarge"


# ------------------------------------------------------------------------------------ bad input
CREATE = {"cluster_name": "pt", "instance_type": "ml.trn2.48xlarge", "instance_count": 2}
LAUNCH = {"job_name": "j1", "input_s3_uri": "s3://training-data/datasets/chat-sft/", "output_s3_uri": "s3://checkpoints/x/"}
BAD_INPUTS = [
    # tool, arguments, field named, value named, words of what is allowed
    (
        "create_hyperpod_cluster",
        {**CREATE, "instance_type": "ml.foo.9xlarge"},
        "instance_type",
        "ml.foo.9xlarge",
        "allowed: ml.trn2.48xlarge",
    ),
    (
        "launch_training_job",
        {**LAUNCH, "instance_type": "ml.inf2.xlarge"},
        "instance_type",
        "ml.inf2.xlarge",
        "cannot be used for a training job",
    ),
    ("create_hyperpod_cluster", {**CREATE, "instance_count": 0}, "instance_count", "0", "greater than or equal to 1"),
    (
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "instance_count": 0},
        "instance_count",
        "0",
        "greater than or equal to 1",
    ),
    ("launch_training_job", {**LAUNCH, "instance_count": 0}, "instance_count", "0", "greater than or equal to 1"),
    (
        "launch_training_job",
        {**LAUNCH, "input_s3_uri": "s3:/training-data"},
        "input_s3_uri",
        "s3:/training-data",
        "expected s3://bucket/prefix",
    ),
    (
        "launch_training_job",
        {**LAUNCH, "output_s3_uri": "https://x/y"},
        "output_s3_uri",
        "https://x/y",
        "expected s3://bucket/prefix",
    ),
    (
        "create_hyperpod_cluster",
        {**CREATE, "lifecycle_s3_uri": "s3://B_ad/x"},
        "lifecycle_s3_uri",
        "s3://B_ad/x",
        "expected s3://",
    ),
    (
        "create_hyperpod_cluster",
        {**CREATE, "cluster_name": "llama_pretrain!"},
        "cluster_name",
        "llama_pretrain!",
        "letters, digits or hyphens",
    ),
    ("describe_hyperpod_cluster", {"cluster_name": "-x"}, "cluster_name", "-x", "starting with a letter or digit"),
    ("launch_training_job", {**LAUNCH, "job_name": "a" * 64}, "job_name", "a" * 64, "1-63"),
    ("launch_training_job", {**LAUNCH, "image_uri": "pytorch:latest"}, "image_uri", "pytorch:latest", "ECR image URI"),
    (
        "launch_training_job",
        {**LAUNCH, "max_runtime_hours": 1000},
        "max_runtime_hours",
        "1000",
        "less than or equal to 672",
    ),
    ("create_hyperpod_cluster", {**CREATE, "orchestrator": "k8s"}, "orchestrator", "k8s", "'slurm' or 'eks'"),
    (
        "create_hyperpod_cluster",
        {**CREATE, "orchestrator": "eks"},
        "eks_cluster_arn",
        "None",
        "required when orchestrator is eks",
    ),
    (
        "create_hyperpod_cluster",
        {**CREATE, "eks_cluster_arn": "arn:aws:eks:us-east-1:123456789012:cluster/k"},
        "eks_cluster_arn",
        "cluster/k",
        "only allowed when orchestrator is eks",
    ),
    (
        "create_hyperpod_cluster",
        {"cluster_name": "pt", "instance_count": 2},
        "instance_type",
        "None",
        "allowed: ml.trn2.48xlarge",
    ),
    (
        "create_hyperpod_cluster",
        {**CREATE, "instance_groups": [{"group_name": "a", "instance_type": "ml.trn2.48xlarge", "instance_count": 1}]},
        "instance_groups",
        "not both",
        "not both",
    ),
    (
        "create_hyperpod_cluster",
        {
            "cluster_name": "pt",
            "instance_groups": [{"group_name": "a", "instance_type": "ml.inf2.xlarge", "instance_count": 1}],
        },
        "instance_groups[0].instance_type",
        "ml.inf2.xlarge",
        "HyperPod instance group",
    ),
    (
        "create_hyperpod_cluster",
        {
            "cluster_name": "pt",
            "instance_groups": [
                {"group_name": "a", "instance_type": "ml.trn2.48xlarge", "instance_count": 1},
                {"group_name": "a", "instance_type": "ml.c7g.xlarge", "instance_count": 1},
            ],
        },
        "instance_groups",
        "'a'",
        "repeated: a",
    ),
    (
        "create_hyperpod_cluster",
        {**CREATE, "training_plan_arn": "plan-1"},
        "training_plan_arn",
        "plan-1",
        "training-plan/",
    ),
    (
        "search_training_plans",
        {"instance_type": "ml.g5.xlarge", "instance_count": 1, "duration_hours": 24},
        "instance_type",
        "ml.g5.xlarge",
        "allowed: ml.p5.48xlarge",
    ),
    (
        "search_training_plans",
        {"instance_type": "ml.inf2.xlarge", "instance_count": 1, "duration_hours": 24},
        "instance_type",
        "ml.inf2.xlarge",
        "cannot be used for a training job",
    ),
    (
        "search_training_plans",
        {"instance_type": "ml.trn2.48xlarge", "instance_count": 0, "duration_hours": 24},
        "instance_count",
        "0",
        "greater than or equal to 1",
    ),
    ("purchase_training_plan", {"plan_name": "p", "offering_id": "TPO_1"}, "offering_id", "TPO_1", "a-z, 0-9"),
    (
        "purchase_training_plan",
        {"plan_name": "my plan", "offering_id": "tpo-1"},
        "plan_name",
        "my plan",
        "letters, digits or hyphens",
    ),
]


@pytest.mark.parametrize(("name", "raw", "field", "value", "allowed"), BAD_INPUTS)
def test_bad_input_is_refused_with_one_message_before_any_aws_call(
    ctx: ToolContext, name: str, raw: dict[str, Any], field: str, value: str, allowed: str
) -> None:
    # GIVEN a recorder on the SageMaker client
    recorder = record(ctx)
    # WHEN the call is planned with a bad argument
    with pytest.raises(ToolInputError) as caught:
        runtime.plan(name, raw, ctx)
    # THEN one message names the field, the value and what is allowed, and AWS was not called
    err = caught.value
    message = str(err)
    assert err.field == field
    assert "\n" not in message
    assert f"{field}=" in message and value in message and allowed in message
    assert recorder.calls == []
