"""The supervisor call: every domain, cost questions by instance family, out of domain, answers."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from agent.models.offline import OfflineChatModel
from agent.models.scene import context_message
from agent.tool_schemas import load_prompt, route_tool_schema
from tests.agent.models.conftest import DEMO_NAMES

ROUTES = [
    ("launch a hyperpod cluster with 8 trn2.48xlarge nodes named pt", "training"),
    ("stop training job llama-pretrain-stage1", "training"),
    ("search training plans for 4 p5en.48xlarge for a week", "training"),
    ("delete the cluster llama-pretrain", "training"),
    ("scale llama-pretrain workers to 8", "training"),
    ("how's llama-pretrain-stage1 going?", "training"),
    ("deploy s3://models/llama8b/ on inf2.xlarge as endpoint chat-2", "inference"),
    ("scale chat-prod to 3", "inference"),
    ("delete endpoint chat-prod", "inference"),
    ("which instance for a 70B model at 32k context?", "inference"),
    ("put llama 405b on a p6-b200 endpoint called big-one from s3://models/405b/", "inference"),
    ("what's the hit rate of the valkey cache kv-cache-prod", "cache"),
    ("describe kv-cache-prod", "cache"),
    ("set maxmemory-policy to allkeys-lru on elasticache kv-cache-prod", "cache"),
    ("how should we tune our kv cache kv-cache-prod", "cache"),
    ("which objects in s3://corpus-raw were added this week and are over 1 GB", "data"),
    ("show the dataset files in bucket training-data bigger than 10 GiB", "data"),
    ("turn on S3 metadata for bucket checkpoints", "data"),
    ("what changed in training-data in the last 3 days?", "data"),
    # cost questions go where their instance family belongs
    ("how much are 8 trn2.48xlarge for 2 days", "training"),
    ("what does an ml.p5en.48xlarge cost per hour?", "training"),
    ("price of 2 inf2.48xlarge for a month", "inference"),
    ("cost of an inf2.48xlarge for 10 hours", "inference"),
    ("what would 3 cache.r7g.xlarge nodes cost per day", "cache"),
    # explicit commands go to the domain of their tool
    ("/opsbot describe_endpoint chat-prod", "inference"),
    ("!create_hyperpod_cluster cluster_name=x", "training"),
    ("tune_cache cache_id=kv-cache-prod replica_count=2", "cache"),
    ("estimate_cost instance_type=inf2.xlarge", "inference"),
]

OUT_OF_DOMAIN = [
    "what's the weather",
    "write me a poem",
    "create an EC2 web server",
    "what is the capital of France?",
    "create a lambda function called hello",
    "spin up an RDS database",
    "launch an ec2 instance",
    "tell me a joke",
    "",
]


def route_of(model: OfflineChatModel, *messages, memory: dict | None = None) -> dict:
    """The supervisor's route for ``messages``, with the context the graph gives it."""
    supervisor = model.bind_tools([route_tool_schema()], tool_choice="route_request")
    context = context_message("", {"names": DEMO_NAMES, "memory": memory or {}, "act": None})
    answer = supervisor.invoke([SystemMessage(load_prompt("supervisor")), context, *messages])
    assert [c["name"] for c in answer.tool_calls] == ["route_request"]
    return answer.tool_calls[0]["args"]


@pytest.mark.parametrize(("text", "route"), ROUTES)
def test_request_goes_to_its_specialist(model: OfflineChatModel, text: str, route: str) -> None:
    # GIVEN a request of one domain WHEN the supervisor routes it THEN it names that domain and why
    args = route_of(model, HumanMessage(text))
    assert args["route"] == route
    assert args["reason"]


@pytest.mark.parametrize("text", OUT_OF_DOMAIN)
def test_out_of_domain_is_routed_nowhere(model: OfflineChatModel, text: str) -> None:
    assert route_of(model, HumanMessage(text))["route"] == "none"


def clarify(tool: str, args: dict, missing: list[str]) -> AIMessage:
    return AIMessage(
        content="?", additional_kwargs={"opsbot_clarify": {"tool": tool, "args": args, "missing": missing}}
    )


@pytest.mark.parametrize(
    ("first", "question", "reply", "route"),
    [
        ("create a hyperpod cluster", clarify("create_hyperpod_cluster", {}, ["cluster_name"]), "demo", "training"),
        ("scale endpoint chat-prod", clarify("scale_endpoint", {"endpoint_name": "chat-prod"}, ["instance_count"]), "4",
         "inference"),
        ("describe cache", clarify("describe_cache", {}, ["cache_id"]), "kv-cache-prod", "cache"),
        ("enable s3 metadata", clarify("enable_s3_metadata", {}, ["bucket"]), "checkpoints", "data"),
        # a cost question's answer goes where the instance family belongs, else where the question was
        ("how much for 2 days?", clarify("estimate_cost", {"hours": 48}, ["instance_type"]), "inf2.xlarge",
         "inference"),
        ("how much do 4 cache nodes cost?", clarify("estimate_cost", {"instance_count": 4}, ["instance_type"]),
         "r7g.xlarge", "cache"),
        # a complete new request is routed on its own
        ("create a hyperpod cluster", clarify("create_hyperpod_cluster", {}, ["cluster_name"]), "list endpoints",
         "inference"),
    ],
)  # fmt: skip
def test_answer_to_a_question_goes_back_to_the_asker(
    model: OfflineChatModel, first: str, question: AIMessage, reply: str, route: str
) -> None:
    args = route_of(model, HumanMessage(first), question, HumanMessage(reply))
    assert args["route"] == route


def test_route_schema_offers_every_route() -> None:
    schema = route_tool_schema()["function"]
    assert schema["name"] == "route_request"
    assert schema["parameters"]["properties"]["route"]["enum"] == ["training", "inference", "cache", "data", "none"]
    assert schema["parameters"]["required"] == ["route", "reason"]
