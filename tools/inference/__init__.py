"""The inference domain: SageMaker real-time endpoints on Inf2 and P6-B200, and instance sizing.

Modules by idea: ``endpoints`` (reading endpoints: list), ``metrics`` (describe with CloudWatch),
``health`` (latency percentiles, errors, utilisation and a verdict), ``create``, ``scale``, ``delete``,
and ``sizing`` (which instance holds a model).
"""

from __future__ import annotations

from tools.base import Resource, Toolset
from tools.inference.create import CREATE_TOOL
from tools.inference.delete import DELETE_TOOL
from tools.inference.endpoints import LIST_TOOL
from tools.inference.health import METRICS_TOOL
from tools.inference.metrics import DESCRIBE_TOOL
from tools.inference.scale import SCALE_TOOL
from tools.inference.sizing import RECOMMEND_TOOL

TOOLSET = Toolset(
    route="inference",
    covers=(
        "SageMaker real-time endpoints on Inferentia2 (inf2) and P6-B200, and which instance a model needs "
        "(model size, dtype, context, concurrency)."
    ),
    tools=(RECOMMEND_TOOL, CREATE_TOOL, LIST_TOOL, DESCRIBE_TOOL, METRICS_TOOL, SCALE_TOOL, DELETE_TOOL),
    resources=(
        Resource(
            kind="endpoint",
            nouns=("endpoint", "inference endpoint", "sagemaker endpoint"),
            listed_by="list_endpoints",
            names=lambda result: [e["endpoint_name"] for e in result.get("endpoints", [])],
        ),
    ),
    keywords=(
        *("inference", "endpoint", "serve", "serving", "inferentia", "latency", "deploy", "model", "context"),
        *("concurrent", "concurrency", "llm", "p99", "p50", "healthy", "slow", "5xx", "4xx"),
    ),
)
