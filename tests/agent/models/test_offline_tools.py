"""The offline model picks the right tool with the right arguments, for every tool of the catalog.

Each case is a request as a person would type it (commands, plain requests, typos, units, a
missing ``ml.`` prefix) and the exact arguments expected: optional arguments that the request
does not mention must stay out.
"""

from __future__ import annotations

import pytest

from tests.agent.models.conftest import Chat, call_of
from tools.registry import all_tools

T, INF, C, D = "training", "inference", "cache", "data"

CASES: list[tuple[str, str, str, dict]] = [
    # ---- training: HyperPod
    ("list hyperpod clusters", T, "list_hyperpod_clusters", {}),
    ("which HyperPod clusters do we have?", T, "list_hyperpod_clusters", {}),
    ("/opsbot list_hyperpod_clusters", T, "list_hyperpod_clusters", {}),
    ("lsit hyperpod clustrs", T, "list_hyperpod_clusters", {}),
    ("describe cluster llama-pretrain", T, "describe_hyperpod_cluster", {"cluster_name": "llama-pretrain"}),
    (
        "what's the status of the llama-pretrain cluster?",
        T,
        "describe_hyperpod_cluster",
        {"cluster_name": "llama-pretrain"},
    ),
    ("!describe_hyperpod_cluster llama-pretrain", T, "describe_hyperpod_cluster", {"cluster_name": "llama-pretrain"}),
    ("descibe the demo hyperpod cluster", T, "describe_hyperpod_cluster", {"cluster_name": "demo"}),
    (
        "create a hyperpod cluster named demo with 2 trn2.48xlarge",
        T,
        "create_hyperpod_cluster",
        {"cluster_name": "demo", "instance_type": "ml.trn2.48xlarge", "instance_count": 2},
    ),
    (
        "/opsbot create_hyperpod_cluster cluster_name=demo instance_type=trn2.48xlarge instance_count=2",
        T,
        "create_hyperpod_cluster",
        {"cluster_name": "demo", "instance_type": "ml.trn2.48xlarge", "instance_count": 2},
    ),
    (
        "Spin up a HyperPod cluster called llama-pt with 8 trn2.48xlarge nodes",
        T,
        "create_hyperpod_cluster",
        {"cluster_name": "llama-pt", "instance_type": "ml.trn2.48xlarge", "instance_count": 8},
    ),
    (
        "creat a hyperpod clustr named demo with 4x ML.TRN2.48XLARGE on eks "
        "arn:aws:eks:us-east-1:123456789012:cluster/ml",
        T,
        "create_hyperpod_cluster",
        {
            "cluster_name": "demo",
            "instance_type": "ml.trn2.48xlarge",
            "instance_count": 4,
            "orchestrator": "eks",
            "eks_cluster_arn": "arn:aws:eks:us-east-1:123456789012:cluster/ml",
        },
    ),
    (
        "create hyperpod cluster rl-1 with 2 trn2 on training plan "
        "arn:aws:sagemaker:us-east-1:123456789012:training-plan/q3-capacity",
        T,
        "create_hyperpod_cluster",
        {
            "cluster_name": "rl-1",
            "instance_type": "ml.trn2.48xlarge",
            "instance_count": 2,
            "training_plan_arn": "arn:aws:sagemaker:us-east-1:123456789012:training-plan/q3-capacity",
        },
    ),
    (
        "launch a hyperpod cluster called huge with 5000 trn2.48xlarge nodes",
        T,
        "create_hyperpod_cluster",
        {"cluster_name": "huge", "instance_type": "ml.trn2.48xlarge", "instance_count": 5000},
    ),
    (
        "create a cluster named pt-2 with eight trn2 instances, lifecycle scripts at s3://lifecycle/hp/",
        T,
        "create_hyperpod_cluster",
        {
            "cluster_name": "pt-2",
            "instance_type": "ml.trn2.48xlarge",
            "instance_count": 8,
            "lifecycle_s3_uri": "s3://lifecycle/hp/",
        },
    ),
    (
        "scale llama-pretrain workers to 8",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "group_name": "workers", "instance_count": 8},
    ),
    (
        "resize the workers instance group of hyperpod cluster llama-pretrain to 12",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "group_name": "workers", "instance_count": 12},
    ),
    (
        "scale hyperpod cluster llama-pretrain to 6 nodes",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "instance_count": 6},
    ),
    ("delete the cluster llama-pretrain", T, "delete_hyperpod_cluster", {"cluster_name": "llama-pretrain"}),
    ("tear down hyperpod cluster demo", T, "delete_hyperpod_cluster", {"cluster_name": "demo"}),
    ("delete_hyperpod_cluster cluster_name=demo", T, "delete_hyperpod_cluster", {"cluster_name": "demo"}),
    ("delet hyperpd cluster demo", T, "delete_hyperpod_cluster", {"cluster_name": "demo"}),
    (
        "create a HyperPod cluster: name=demo3, type=trn2.48xlarge, count=4",
        T,
        "create_hyperpod_cluster",
        {"cluster_name": "demo3", "instance_type": "ml.trn2.48xlarge", "instance_count": 4},
    ),
    (
        'create_hyperpod_cluster cluster_name=mg instance_groups=\'[{"group_name": "workers", '
        '"instance_type": "ml.trn2.48xlarge", "instance_count": 4}]\'',
        T,
        "create_hyperpod_cluster",
        {
            "cluster_name": "mg",
            "instance_groups": [{"group_name": "workers", "instance_type": "ml.trn2.48xlarge", "instance_count": 4}],
        },
    ),
    (
        "scale_hyperpod_cluster name=llama-pretrain group=workers count=3",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "group_name": "workers", "instance_count": 3},
    ),
    # ---- training: jobs
    (
        "launch training job llama-sft-01 on 4 trn2.48xlarge with input s3://training-data/sft/ "
        "output s3://checkpoints/llama-sft-01/ for 48 hours",
        T,
        "launch_training_job",
        {
            "job_name": "llama-sft-01",
            "instance_type": "ml.trn2.48xlarge",
            "instance_count": 4,
            "input_s3_uri": "s3://training-data/sft/",
            "output_s3_uri": "s3://checkpoints/llama-sft-01/",
            "max_runtime_hours": 48,
        },
    ),
    (
        "start a training job named ft-2 reading s3://training-data/x/ writing to s3://checkpoints/ft-2/ "
        "max runtime 2 days",
        T,
        "launch_training_job",
        {
            "job_name": "ft-2",
            "input_s3_uri": "s3://training-data/x/",
            "output_s3_uri": "s3://checkpoints/ft-2/",
            "max_runtime_hours": 48,
        },
    ),
    (
        "launch_training_job job_name=ft-3 input_s3_uri=s3://training-data/x/ output_s3_uri=s3://checkpoints/ft-3/ "
        "instance_type=trn1.32xlarge max_runtime_hours=90m",
        T,
        "launch_training_job",
        {
            "job_name": "ft-3",
            "input_s3_uri": "s3://training-data/x/",
            "output_s3_uri": "s3://checkpoints/ft-3/",
            "instance_type": "ml.trn1.32xlarge",
            "max_runtime_hours": 1.5,
        },
    ),
    ("describe training job llama-pretrain-stage1", T, "describe_training_job", {"job_name": "llama-pretrain-stage1"}),
    ("decsribe trainig job llama-pretrain-stage1", T, "describe_training_job", {"job_name": "llama-pretrain-stage1"}),
    ("how's llama-pretrain-stage1 going?", T, "describe_training_job", {"job_name": "llama-pretrain-stage1"}),
    ("stop training job llama-pretrain-stage1", T, "stop_training_job", {"job_name": "llama-pretrain-stage1"}),
    ("cancel the training run ft-2 right now", T, "stop_training_job", {"job_name": "ft-2"}),
    ("stop_training_job job_name=ft-2", T, "stop_training_job", {"job_name": "ft-2"}),
    # ---- training: plans
    (
        "search training plans for 8 trn2.48xlarge for 2 weeks",
        T,
        "search_training_plans",
        {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "duration_hours": 336},
    ),
    (
        "find training plan offerings: 4 trn2 for 48h",
        T,
        "search_training_plans",
        {"instance_type": "ml.trn2.48xlarge", "instance_count": 4, "duration_hours": 48},
    ),
    (
        "are there training plans available for 16 ml.trn2.48xlarge for 7 days for a training job?",
        T,
        "search_training_plans",
        {"instance_type": "ml.trn2.48xlarge", "instance_count": 16, "duration_hours": 168, "target": "training-job"},
    ),
    (
        "buy training plan offering tpo-abc123 as llama-q3",
        T,
        "purchase_training_plan",
        {"plan_name": "llama-q3", "offering_id": "tpo-abc123"},
    ),
    (
        "purchase offering tpo-abc123 named llama-q3",
        T,
        "purchase_training_plan",
        {"plan_name": "llama-q3", "offering_id": "tpo-abc123"},
    ),
    (
        "purchase_training_plan plan_name=llama-q3 offering_id=tpo-abc123",
        T,
        "purchase_training_plan",
        {"plan_name": "llama-q3", "offering_id": "tpo-abc123"},
    ),
    # ---- inference
    (
        "recommend an instance for a 70B model with 32k context and 16 concurrent users in fp8",
        INF,
        "recommend_inference_instance",
        {"model_params_billion": 70, "context_length": 32768, "concurrency": 16, "dtype": "fp8"},
    ),
    ("which instance should I use to serve llama 8b", INF, "recommend_inference_instance", {"model": "llama-3.1-8b"}),
    (
        "what's the cheapest endpoint instance that can hold a 13b model in bfloat16?",
        INF,
        "recommend_inference_instance",
        {"model_params_billion": 13, "dtype": "bf16"},
    ),
    (
        "recommend_inference_instance model_params_billion=405 dtype=FP8 context_length=8k",
        INF,
        "recommend_inference_instance",
        {"model_params_billion": 405, "dtype": "fp8", "context_length": 8192},
    ),
    (
        "create an endpoint chat-v2 on 2 inf2.48xlarge with model s3://models/llama70b/",
        INF,
        "create_inference_endpoint",
        {
            "endpoint_name": "chat-v2",
            "instance_type": "ml.inf2.48xlarge",
            "instance_count": 2,
            "model_s3_uri": "s3://models/llama70b/",
        },
    ),
    (
        "deploy model s3://models/llama8b/model.tar.gz to a new endpoint llama8b-test on ml.inf2.xlarge",
        INF,
        "create_inference_endpoint",
        {
            "endpoint_name": "llama8b-test",
            "instance_type": "ml.inf2.xlarge",
            "model_s3_uri": "s3://models/llama8b/model.tar.gz",
        },
    ),
    (
        "create an inference endpoint named big on p6-b200.48xlarge from s3://models/llama405b/",
        INF,
        "create_inference_endpoint",
        {"endpoint_name": "big", "instance_type": "ml.p6-b200.48xlarge", "model_s3_uri": "s3://models/llama405b/"},
    ),
    ("list endpoints", INF, "list_endpoints", {}),
    ("what endpoints are running?", INF, "list_endpoints", {}),
    ("lsit endpoints", INF, "list_endpoints", {}),
    ("describe endpoint chat-prod", INF, "describe_endpoint", {"endpoint_name": "chat-prod"}),
    # Latency asked for by name: the metrics read (percentiles), not the description.
    (
        "how is the chat-prod endpoint doing? latency please",
        INF,
        "get_endpoint_metrics",
        {"endpoint_name": "chat-prod"},
    ),
    ("describe_endpoint endpoint_name=chat-prod", INF, "describe_endpoint", {"endpoint_name": "chat-prod"}),
    ("scale chat-prod to 3", INF, "scale_endpoint", {"endpoint_name": "chat-prod", "instance_count": 3}),
    (
        "scale endpoint chat-prod to 4 instances",
        INF,
        "scale_endpoint",
        {"endpoint_name": "chat-prod", "instance_count": 4},
    ),
    ("scale llama8b-inf2 to 2", INF, "scale_endpoint", {"endpoint_name": "llama8b-inf2", "instance_count": 2}),
    ("delete endpoint chat-prod", INF, "delete_endpoint", {"endpoint_name": "chat-prod"}),
    ("remove the chat-prod endpoint", INF, "delete_endpoint", {"endpoint_name": "chat-prod"}),
    ("/opsbot delete_endpoint chat-prod", INF, "delete_endpoint", {"endpoint_name": "chat-prod"}),
    ("/opsbot describe_endpiont chat-prod", INF, "describe_endpoint", {"endpoint_name": "chat-prod"}),
    # ---- cache
    ("describe cache kv-cache-prod", C, "describe_cache", {"cache_id": "kv-cache-prod"}),
    ("show hit rate and evictions for kv-cache-prod", C, "describe_cache", {"cache_id": "kv-cache-prod"}),
    ("how's the kv-cache-prod valkey cache doing?", C, "describe_cache", {"cache_id": "kv-cache-prod"}),
    (
        "recommend tuning for kv-cache-prod for moe experts",
        C,
        "recommend_cache_tuning",
        {"cache_id": "kv-cache-prod", "workload": "moe-experts"},
    ),
    (
        "how should I tune cache kv-cache-prod for a kv cache workload",
        C,
        "recommend_cache_tuning",
        {"cache_id": "kv-cache-prod", "workload": "kv-cache"},
    ),
    (
        "recommend_cache_tuning cache_id=kv-cache-prod workload=kv-cache",
        C,
        "recommend_cache_tuning",
        {"cache_id": "kv-cache-prod", "workload": "kv-cache"},
    ),
    (
        "set maxmemory-policy to allkeys-lru on kv-cache-prod",
        C,
        "tune_cache",
        {"cache_id": "kv-cache-prod", "parameters": {"maxmemory-policy": "allkeys-lru"}},
    ),
    (
        "tune cache kv-cache-prod to cache.r7g.2xlarge with 2 replicas",
        C,
        "tune_cache",
        {"cache_id": "kv-cache-prod", "node_type": "cache.r7g.2xlarge", "replica_count": 2},
    ),
    (
        "give kv-cache-prod 3 replicas on r7g.xlarge nodes",
        C,
        "tune_cache",
        {"cache_id": "kv-cache-prod", "replica_count": 3, "node_type": "cache.r7g.xlarge"},
    ),
    (
        'tune_cache cache_id=kv-cache-prod node_type=r7g.xlarge parameters=\'{"maxmemory-policy":"allkeys-lru"}\'',
        C,
        "tune_cache",
        {
            "cache_id": "kv-cache-prod",
            "node_type": "cache.r7g.xlarge",
            "parameters": {"maxmemory-policy": "allkeys-lru"},
        },
    ),
    # ---- data
    (
        "which objects in s3://corpus-raw were added this week and are over 1 GB",
        D,
        "query_s3_metadata",
        {"bucket": "corpus-raw", "min_size_bytes": 1_000_000_000, "modified_after": "2026-11-09"},
    ),
    (
        "objects in training-data larger than 1.5 GiB modified since 2026-11-01",
        D,
        "query_s3_metadata",
        {"bucket": "training-data", "min_size_bytes": 1_610_612_736, "modified_after": "2026-11-01"},
    ),
    (
        "find files in bucket corpus-raw between 10 MB and 2 TB added yesterday",
        D,
        "query_s3_metadata",
        {
            "bucket": "corpus-raw",
            "min_size_bytes": 10_000_000,
            "max_size_bytes": 2_000_000_000_000,
            "modified_after": "2026-11-11",
            "modified_before": "2026-11-12",
        },
    ),
    (
        "show glacier objects in checkpoints before October 1, top 20",
        D,
        "query_s3_metadata",
        {"bucket": "checkpoints", "storage_class": "GLACIER", "modified_before": "2026-10-01", "limit": 20},
    ),
    (
        "list the parquet files in training-data under datasets/web-qa/ from the last 7 days",
        D,
        "query_s3_metadata",
        {
            "bucket": "training-data",
            "prefix": "datasets/web-qa/",
            "content_type": "application/vnd.apache.parquet",
            "modified_after": "2026-11-05",
        },
    ),
    (
        "qeury s3 metadata for bucket training-data tagged team=llm, storage class standard-ia",
        D,
        "query_s3_metadata",
        {"bucket": "training-data", "tags": {"team": "llm"}, "storage_class": "STANDARD_IA"},
    ),
    (
        "query_s3_metadata bucket=checkpoints min_size_bytes=500MiB modified_after=yesterday",
        D,
        "query_s3_metadata",
        {"bucket": "checkpoints", "min_size_bytes": 524_288_000, "modified_after": "2026-11-11"},
    ),
    (
        "query_s3_metadata bucket=checkpoints min=1GB max=2GiB after=2026-01-01",
        D,
        "query_s3_metadata",
        {
            "bucket": "checkpoints",
            "min_size_bytes": 1_000_000_000,
            "max_size_bytes": 2_147_483_648,
            "modified_after": "2026-01-01",
        },
    ),
    ("enable s3 metadata on bucket corpus-raw", D, "enable_s3_metadata", {"bucket": "corpus-raw"}),
    ("turn on metadata for s3://training-data", D, "enable_s3_metadata", {"bucket": "training-data"}),
    ("enable_s3_metadata bucket=checkpoints", D, "enable_s3_metadata", {"bucket": "checkpoints"}),
    ("what buckets do we have?", D, "list_buckets", {}),
    ("which buckets have s3 metadata", D, "list_buckets", {"with_metadata": True}),
    ("list_buckets with_metadata=true", D, "list_buckets", {"with_metadata": True}),
    # ---- cost, from the route of the instance family
    (
        "how much would 8 trn2.48xlarge cost for 48 hours",
        T,
        "estimate_cost",
        {"instance_type": "ml.trn2.48xlarge", "instance_count": 8, "hours": 48},
    ),
    ("what does ml.inf2.xlarge cost per hour", INF, "estimate_cost", {"instance_type": "ml.inf2.xlarge"}),
    (
        "price of 3 cache.r7g.large for a week",
        C,
        "estimate_cost",
        {"instance_type": "cache.r7g.large", "instance_count": 3, "hours": 168},
    ),
    (
        "estimate_cost instance_type=inf2.24xlarge instance_count=2 hours=10",
        INF,
        "estimate_cost",
        {"instance_type": "ml.inf2.24xlarge", "instance_count": 2, "hours": 10},
    ),
]


@pytest.mark.parametrize(("text", "route", "tool", "args"), CASES, ids=[c[0][:60] for c in CASES])
def test_request_becomes_one_tool_call(chat: Chat, text: str, route: str, tool: str, args: dict) -> None:
    # GIVEN a person's request WHEN the supervisor and then the specialist answer
    answer = chat.say(text)
    # THEN it went to the right specialist, which called the right tool with exactly these arguments
    assert chat.route == route
    assert call_of(answer) == (tool, args)


# Tools added after this grammar: they are reached through their declared phrasings (evals/cases/reads.yaml).
LATER_TOOLS = {"list_training_jobs", "list_caches", "get_endpoint_metrics", "summarize_spend", "summarize_s3_metadata"}


def test_every_catalog_tool_is_reachable() -> None:
    # GIVEN the registry WHEN the cases above are collected THEN each of the 23 tools has at least three
    names = [t.name for t in all_tools() if t.name not in LATER_TOOLS]
    counts = {name: sum(1 for c in CASES if c[2] == name) for name in names}
    assert len(names) == 23
    assert {name: n for name, n in counts.items() if n < 3} == {}


def test_arguments_validate_against_the_tools(chat: Chat) -> None:
    # GIVEN every case's tool call WHEN its arguments go through the tool's own validation
    from tools.registry import get_tool
    from tools.runtime import parse_args

    for _, _, tool, args in CASES:
        # THEN they are accepted as they are (names, prefixes, units and dates already normalised)
        parse_args(get_tool(tool), args)
