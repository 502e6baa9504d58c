"""A live-mode context whose every AWS call is stubbed (no network), for checking requests field by field."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from tools import runtime
from tools.aws import AwsClients
from tools.base import ToolContext
from tools.config import get_settings

LIVE_ACCOUNT = "111122223333"
NEURON_IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/djl-inference:0.30.0-neuronx-sdk2.20.1"
CHAT_PROD_ARN = f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint/chat-prod"
STUB_TIME = "2026-11-01T00:00:00Z"
CREATE_ARGS = {
    "endpoint_name": "llama70b",
    "instance_type": "inf2.24xlarge",
    "instance_count": 2,
    "model_s3_uri": "s3://model-artifacts/llama-3-70b",
}


def live_context() -> ToolContext:
    """A live-mode context (real boto3 clients) whose account lookup is stubbed; tests stub the rest."""
    settings = get_settings(live=True)
    clients = AwsClients(settings)
    with Stubber(clients.client("sts").raw) as sts:
        sts.add_response(
            "get_caller_identity",
            {"Account": LIVE_ACCOUNT, "Arn": f"arn:aws:iam::{LIVE_ACCOUNT}:user/alice", "UserId": "AIDA"},
        )
        ctx = runtime.make_context(settings, requester="alice", thread="t-test", clients=clients)
        assert ctx.account == LIVE_ACCOUNT
    return ctx


def chat_prod_described(status: str = "InService", current: int = 1, desired: int = 1) -> dict[str, Any]:
    """DescribeEndpoint's answer for the live account's chat-prod: one variant of ``current`` instances
    heading to ``desired``."""
    return {
        "EndpointName": "chat-prod",
        "EndpointArn": CHAT_PROD_ARN,
        "EndpointConfigName": "chat-prod-config",
        "EndpointStatus": status,
        "CreationTime": STUB_TIME,
        "LastModifiedTime": STUB_TIME,
        "ProductionVariants": [
            {"VariantName": "AllTraffic", "CurrentInstanceCount": current, "DesiredInstanceCount": desired}
        ],
    }


# DescribeEndpointConfig's answer for chat-prod's config: one variant on a p6-b200.
CHAT_PROD_CONFIG = {
    "EndpointConfigName": "chat-prod-config",
    "EndpointConfigArn": f"arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:endpoint-config/x-config",
    "CreationTime": STUB_TIME,
    "ProductionVariants": [
        {"VariantName": "AllTraffic", "ModelName": "chat-prod-model", "InstanceType": "ml.p6-b200.48xlarge"}
    ],
}


def not_found(stub: Stubber, method: str, what: str, params: dict[str, Any]) -> None:
    """SageMaker's answer for a missing endpoint, config or model."""
    stub.add_client_error(
        method,
        service_error_code="ValidationException",
        service_message=f'Could not find {what} "arn:aws:sagemaker:us-east-1:{LIVE_ACCOUNT}:x".',
        http_status_code=400,
        expected_params=params,
    )
