"""Helpers shared by the training tools: defaults, request tags, AWS error classes, money formatting."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tools.aws import error_code
from tools.base import Effect, Plan, Risk, ToolArgs, ToolContext
from tools.catalog import catalog

REQUEST_TAG = "opsbot:request"
REQUESTER_TAG = "opsbot:requester"
# Deep Learning Containers live in account 763104351884 except in these opt-in regions.
DLC_ACCOUNTS = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-southeast-3": "907027046896",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
}
NEURON_TRAINING_IMAGE = "pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.29.0-ubuntu24.04"


def execution_role_arn(ctx: ToolContext) -> str:
    """The SageMaker execution role: the setting, else opsbot's conventional role in this account."""
    return ctx.settings.sagemaker_role_arn or f"arn:aws:iam::{ctx.account}:role/opsbot-sagemaker-execution"


def default_training_image(ctx: ToolContext) -> str:
    """The training image: the setting, else the Neuron PyTorch training DLC of this region."""
    if ctx.settings.training_image_uri:
        return ctx.settings.training_image_uri
    account = DLC_ACCOUNTS.get(ctx.region, "763104351884")
    return f"{account}.dkr.ecr.{ctx.region}.amazonaws.com/{NEURON_TRAINING_IMAGE}"


def request_tags(ctx: ToolContext) -> list[dict[str, str]]:
    """Tags that let a retried or resumed create recognise its own earlier attempt."""
    tags = []
    if ctx.idempotency_token:
        tags.append({"Key": REQUEST_TAG, "Value": ctx.idempotency_token})
    if ctx.requester:
        tags.append({"Key": REQUESTER_TAG, "Value": ctx.requester})
    return tags


def is_not_found(exc: ClientError) -> bool:
    """True for SageMaker's ways of saying a resource does not exist."""
    code = error_code(exc)
    if code in ("ResourceNotFound", "ResourceNotFoundException"):
        return True
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return code == "ValidationException" and any(
        words in message for words in ("not found", "could not find", "does not exist")
    )


def is_already_exists(exc: ClientError) -> bool:
    """True when a create failed because the name is taken (possibly by our own earlier attempt)."""
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")).lower()
    return code in ("ResourceInUse", "ResourceInUseException") or "already exists" in message


def describe_or_none(fn: Any, **kwargs: Any) -> dict[str, Any] | None:
    """Call a Describe operation; None when the resource does not exist."""
    try:
        return fn(**kwargs)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def paged(fn: Any, key: str, limit: int = 1000, **kwargs: Any) -> list[dict[str, Any]]:
    """All items of a NextToken-paged List operation, up to ``limit``.

    A loop rather than a botocore paginator: each page goes through the retrying client.
    """
    items: list[dict[str, Any]] = []
    while True:
        page = fn(**kwargs)
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token or len(items) >= limit:
            return items[:limit]
        kwargs["NextToken"] = token


def resource_tags(ctx: ToolContext, arn: str) -> dict[str, str]:
    """The tags of a SageMaker resource, as a dict."""
    sm = ctx.clients.client("sagemaker")
    return {t["Key"]: t["Value"] for t in paged(sm.list_tags, "Tags", ResourceArn=arn)}


def is_own_attempt(ctx: ToolContext, arn: str) -> bool:
    """True if the resource carries this request's idempotency tag."""
    if not ctx.idempotency_token:
        return False
    return resource_tags(ctx, arn).get(REQUEST_TAG) == ctx.idempotency_token


def price(instance_type: str) -> float | None:
    """On-demand $/hour of one instance, None when the catalog does not know the type."""
    row = catalog().get(instance_type)
    return row.price_usd_per_hour if row else None


def usd(value: float | None) -> str:
    """Dollars for people: $1,234.56 (or 'n/a')."""
    return "n/a" if value is None else f"${value:,.2f}"


def per_hour(value: float | None) -> str:
    """Dollars per hour for people: $223.88/h."""
    return "n/a" if value is None else f"${value:,.2f}/h"


def price_source() -> str:
    """Where prices come from, for cost notes."""
    return f"on-demand list price, {catalog().price_region}, {catalog().price_date}"


def read_plan(ctx: ToolContext, tool: str, args: ToolArgs, summary: str) -> Plan:
    """The plan of a read tool: it only reads, costs nothing, needs no approval."""
    return Plan(
        tool=tool,
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.READ,
        risk=Risk.READ,
        summary=summary,
        region=ctx.region,
    )
