"""AWS Lambda entry point: the opsbot Slack app over HTTP (a Function URL or API Gateway).

bolt's Lambda adapter acknowledges every Slack request within Slack's 3 seconds and hands the
work to a lazy listener, which bolt runs in a second, asynchronous invocation of this same
function (``lambda:InvokeFunction`` on itself). Only bolt, boto3 and ``agent.slack`` are imported
on the acknowledgement path; the agent (graph, models, tools) is imported in the lazy invocation.

Secrets come from ``OPSBOT_SLACK_BOT_TOKEN``/``OPSBOT_SLACK_SIGNING_SECRET`` (or Slack's own
``SLACK_BOT_TOKEN``/``SLACK_SIGNING_SECRET``) or the Secrets Manager
secret ``OPSBOT_SLACK_SECRET_ARN``, read once per container. State (checkpoints, approvals, audit)
lives in DynamoDB (``OPSBOT_STORE=dynamodb``), so any container can resume any thread.

The same function runs the recovery sweep: an EventBridge schedule invokes it every few minutes with a
``Scheduled Event``, which the handler tells from Slack's HTTP events and hands to ``deploy.sweep``
(imported only then). Only the schedule and trusted principals can invoke the function with such an
event: a request through the Function URL always arrives wrapped as an HTTP event.
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


def is_scheduled(event: Any) -> bool:
    """True for EventBridge's scheduled event (the recovery sweep's), never for a Slack request."""
    return (
        isinstance(event, dict)
        and event.get("source") == "aws.events"
        and event.get("detail-type") == ("Scheduled Event")
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda's handler: Slack's request in, the acknowledgement (or a lazy run's result) out; the
    schedule's event runs the recovery sweep."""
    if is_scheduled(event):
        from deploy.sweep import run_sweep

        return run_sweep(event, context)
    return request_handler().handle(event, context)


def reset() -> None:
    """Forget the cached adapter and secrets, as a new container would (tests)."""
    global _handler
    with _lock:
        _handler = None
    load_secrets.cache_clear()
    import sys

    sweep = sys.modules.get("deploy.sweep")
    if sweep is not None:  # the sweep's facade belongs to the container too
        sweep.reset()
