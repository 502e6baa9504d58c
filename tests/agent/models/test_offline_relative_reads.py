"""The offline model reads the arguments the reads and relative writes declare: a change of a count
(DELTA, FACTOR), a catalog model (MODEL), an order and its direction, a grouping, a time window, AWS ids.

The model emits the change as asked ("add_instances": 2); the tool runtime makes it absolute before
the plan and the approval (tests/agent/test_relative_writes.py).
"""

from __future__ import annotations

import pytest

from tests.agent.models.conftest import Chat, call_of

T, INF, C, D = "training", "inference", "cache", "data"

CASES: list[tuple[str, str, str, dict]] = [
    # ---- DELTA: a signed change of a count
    ("add 2 instances to chat-prod", INF, "scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 2}),
    (
        "remove a node from llama-pretrain",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "add_instances": -1},
    ),
    (
        "add 4 more nodes to llama-pretrain",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "add_instances": 4},
    ),
    (
        "give llama8b-inf2 one more instance",
        INF,
        "scale_endpoint",
        {"endpoint_name": "llama8b-inf2", "add_instances": 1},
    ),
    ("bump chat-prod by 3", INF, "scale_endpoint", {"endpoint_name": "chat-prod", "add_instances": 3}),
    (
        "reduce llama-pretrain by 2 nodes",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "add_instances": -2},
    ),
    ("add 2 replicas to kv-cache-prod", C, "tune_cache", {"cache_id": "kv-cache-prod", "add_replicas": 2}),
    # ---- FACTOR: a multiplier of a count
    ("double chat-prod", INF, "scale_endpoint", {"endpoint_name": "chat-prod", "scale_factor": 2}),
    (
        "triple the nodes of llama-pretrain",
        T,
        "scale_hyperpod_cluster",
        {"cluster_name": "llama-pretrain", "scale_factor": 3},
    ),
    ("doubel llama-pretrain", T, "scale_hyperpod_cluster", {"cluster_name": "llama-pretrain", "scale_factor": 2}),
    # ---- MODEL: a model of the catalog, however it is written
    (
        "recommend an inference instance for llama-3.1-70b",
        INF,
        "recommend_inference_instance",
        {"model": "llama-3.1-70b"},
    ),
    (
        "which instance for mixtral 8x7b at 4k context with 16 concurrent users",
        INF,
        "recommend_inference_instance",
        {"model": "mixtral-8x7b", "context_length": 4096, "concurrency": 16},
    ),
    ("can mixtral 8x22b fit on one p6?", INF, "recommend_inference_instance", {"model": "mixtral-8x22b"}),
    # ---- order_by and its direction, group_by, window_minutes
    (
        "top 10 largest objects in s3://corpus-raw",
        D,
        "query_s3_metadata",
        {"bucket": "corpus-raw", "order_by": "size", "descending": True, "limit": 10},
    ),
    (
        "smallest files in s3://checkpoints",
        D,
        "query_s3_metadata",
        {"bucket": "checkpoints", "order_by": "size", "descending": False},
    ),
    (
        "how much did we upload per day to training-data",
        D,
        "summarize_s3_metadata",
        {"bucket": "training-data", "group_by": "modified_day"},
    ),
    (
        "chat-prod p99 over the last 3 hours?",
        INF,
        "get_endpoint_metrics",
        {"endpoint_name": "chat-prod", "window_minutes": 180},
    ),
    ("is chat-prod healthy?", INF, "get_endpoint_metrics", {"endpoint_name": "chat-prod"}),
    # ---- AWS ids a create takes: every subnet, the security group
    (
        "create a hyperpod cluster called pt2 with 2 trn2.48xlarge in subnet-0123456789abcdef0 and "
        "subnet-0fedcba9876543210 with security group sg-0123456789abcdef0",
        T,
        "create_hyperpod_cluster",
        {
            "cluster_name": "pt2",
            "instance_type": "ml.trn2.48xlarge",
            "instance_count": 2,
            "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
            "security_group_ids": ["sg-0123456789abcdef0"],
        },
    ),
]


@pytest.mark.parametrize(("text", "route", "tool", "args"), CASES, ids=[c[0] for c in CASES])
def test_the_new_argument_kinds_are_read(chat: Chat, text: str, route: str, tool: str, args: dict) -> None:
    # GIVEN a request WHEN the supervisor and then the specialist answer
    chat.names = {**chat.names, "cache": ["kv-cache-prod", "expert-cache"]}
    answer = chat.say(text)
    # THEN it reached the right tool, with these arguments (defaults it did not mention left out)
    assert chat.route == route
    name, got = call_of(answer)
    assert name == tool and {k: got.get(k) for k in args} == args, got


@pytest.mark.parametrize("text", ["add more nodes to llama-pretrain", "add a few instances to chat-prod"])
def test_a_change_without_a_number_is_asked_not_guessed(chat: Chat, text: str) -> None:
    # WHEN the change says no number THEN nothing is called: opsbot asks how many
    answer = chat.say(text)
    assert not answer.tool_calls and "?" in str(answer.content)


def test_a_size_of_a_model_the_catalog_lacks_is_no_model_name(chat: Chat) -> None:
    # "one p6" is no model: the catalog model is read, the instance words are left alone
    name, got = call_of(chat.say("would llama 3.1 70b run on one p6?"))
    assert name == "recommend_inference_instance" and got["model"] == "llama-3.1-70b"
