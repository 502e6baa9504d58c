"""AWS Lambda entry point: the opsbot Slack app over HTTP (a Function URL or API Gateway).

bolt's Lambda adapter acknowledges every Slack request within Slack's 3 seconds and hands the
work to a lazy listener, which bolt runs in a second, asynchronous invocation of this same
function (``lambda:InvokeFunction`` on itself). Only bolt, boto3 and ``agent.slack`` are imported
on the acknowledgement path; the agent (graph, models, tools) is imported in the lazy invocation.

Secrets come from ``OPSBOT_SLACK_BOT_TOKEN``/``OPSBOT_SLACK_SIGNING_SECRET`` (or Slack's own
``SLACK_BOT_TOKEN``/``SLACK_SIGNING_SECRET``) or the Secrets Manager
secret ``OPSBOT_SLACK_SECRET_ARN``, read once per container. State (checkpoints, approvals, audit)
lives in DynamoDB (``OPSBOT_STORE=dynamodb``), so any container can resume any thread.
"""

from __future__ import annotations

import threading
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler

from agent.slack.app import build_app
from agent.slack.config import SlackConfigError, api_url, load_secrets
from deploy.lambda_invoke import LambdaInvoker

_handler: SlackRequestHandler | None = None
_lock = threading.Lock()


def request_handler() -> SlackRequestHandler:
    """The container's bolt adapter, built on the first request (secrets read once)."""
    global _handler
    with _lock:
        if _handler is None:
            secrets = load_secrets()
            if not secrets.signing_secret:
                raise SlackConfigError(
                    "no Slack signing secret: set OPSBOT_SLACK_SIGNING_SECRET (or SLACK_SIGNING_SECRET) "
                    "or the secret's key"
                )
            app = build_app(
                token=secrets.bot_token,
                signing_secret=secrets.signing_secret,
                api_url=api_url(),
                process_before_response=True,
            )
            _handler = SlackRequestHandler(app)
            # Sign the one Invoke call ourselves instead of building a boto3 client on the ack path.
            _handler.app.listener_runner.lazy_listener_runner.lambda_client = LambdaInvoker()
        return _handler


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's handler: Slack's request in, the acknowledgement (or a lazy run's result) out."""
    return request_handler().handle(event, context)


def reset() -> None:
    """Forget the cached adapter and secrets, as a new container would (tests)."""
    global _handler
    with _lock:
        _handler = None
    load_secrets.cache_clear()
