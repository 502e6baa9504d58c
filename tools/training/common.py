"""What the training tools share: the default training image and telling our own earlier attempt
from someone else's resource."""

from __future__ import annotations

from tools.aws import paged
from tools.base import REQUEST_TAG, ToolContext

# Deep Learning Containers live in account 763104351884 except in these opt-in regions.
DLC_ACCOUNTS = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-southeast-3": "907027046896",
    "eu-south-1": "692866216735",
    "me-south-1": "217643126080",
}
NEURON_TRAINING_IMAGE = "pytorch-training-neuronx:2.9.0-neuronx-py312-sdk2.29.0-ubuntu24.04"


def default_training_image(ctx: ToolContext) -> str:
    """The training image: the setting, else the Neuron PyTorch training DLC of this region."""
    if ctx.settings.training_image_uri:
        return ctx.settings.training_image_uri
    account = DLC_ACCOUNTS.get(ctx.region, "763104351884")
    return f"{account}.dkr.ecr.{ctx.region}.amazonaws.com/{NEURON_TRAINING_IMAGE}"


def resource_tags(ctx: ToolContext, arn: str) -> dict[str, str]:
    """The tags of a SageMaker resource, as a dict."""
    sm = ctx.clients.client("sagemaker")
    return {t["Key"]: t["Value"] for t in paged(sm.list_tags, "Tags", ResourceArn=arn)}


def is_own_attempt(ctx: ToolContext, arn: str) -> bool:
    """True if the resource carries this request's idempotency tag."""
    if not ctx.idempotency_token:
        return False
    return resource_tags(ctx, arn).get(REQUEST_TAG) == ctx.idempotency_token
