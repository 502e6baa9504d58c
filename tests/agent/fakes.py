"""Test doubles for the agent: a scripted chat model and a write tool that creates an S3 bucket."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableLambda
from pydantic import BaseModel, Field

from tools import registry
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolArgs, ToolContext, Toolset

_ids = itertools.count(1)


class ScriptedModel:
    """Routes every request to ``route``; the specialist turns the human text into a tool call via
    ``decide(text) -> (name, args) | str``, and echoes tool results as the final answer."""

    def __init__(self, route: str | None, decide: Callable[[str], Any]) -> None:
        self.route, self.decide = route, decide
        self.seen: list[list[Any]] = []

    def bind_tools(self, tools: list[Any], tool_choice: str | None = None, **_: Any) -> RunnableLambda:
        if tool_choice == "route_request":
            return RunnableLambda(self._route)
        return RunnableLambda(self._specialist)

    def _route(self, messages: list[Any]) -> AIMessage:
        return AIMessage("", tool_calls=[{"name": "route_request", "args": {"route": self.route or "none"}, "id": "r"}])

    def _specialist(self, messages: list[Any]) -> AIMessage:
        self.seen.append(messages)
        last = messages[-1]
        if isinstance(last, ToolMessage):
            return AIMessage(str(last.content))
        assert isinstance(last, HumanMessage)
        decided = self.decide(str(last.content))
        if isinstance(decided, str):
            return AIMessage(decided)
        name, args = decided
        return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call-{next(_ids)}"}])


class BucketArgs(ToolArgs):
    bucket: Annotated[str, Field(description="Bucket name.")]
    instance_count: Annotated[int, Field(default=1, ge=1, description="Pretend instance count for policy.")]


class BucketResult(BaseModel):
    bucket: str
    created: bool


def bucket_tool(
    risk: Risk = Risk.HIGH, calls: list[str] | None = None, crash_after_create: list[bool] | None = None
) -> Tool:
    """A write tool in the data domain that creates an S3 bucket, describe-before-create."""

    def plan(ctx: ToolContext, args: BucketArgs) -> Plan:
        return Plan(
            summary=f"create bucket {args.bucket}",
            aws_operations=[AwsOperation(operation="s3:CreateBucket", params={"Bucket": args.bucket})],
            instance_type="ml.trn2.48xlarge",
            instance_count=args.instance_count,
            cost_usd_per_hour=1.0 * args.instance_count,
        )

    def run(ctx: ToolContext, args: BucketArgs) -> BucketResult:
        s3 = ctx.clients.client("s3")
        names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        if args.bucket in names:
            return BucketResult(bucket=args.bucket, created=False)
        s3.create_bucket(Bucket=args.bucket)
        if calls is not None:
            calls.append(args.bucket)
        if crash_after_create and crash_after_create.pop():
            raise SystemExit("simulated crash after CreateBucket")
        return BucketResult(bucket=args.bucket, created=True)

    return Tool(
        name="make_bucket",
        label="make a bucket",
        effect=Effect.WRITE,
        risk=risk,
        description="Create a bucket.",
        args_model=BucketArgs,
        plan=plan,
        run=run,
        render=lambda r: f"bucket {r.bucket} created={r.created}",
    )


@contextmanager
def registered(tool: Tool) -> Iterator[Tool]:
    """Add ``tool`` to the registry for the duration of a test, in a toolset of its own that every
    specialist shares."""
    toolset = registry.register(Toolset(route=f"test-{tool.name}", covers="A test tool.", tools=(tool,), shared=True))
    try:
        yield toolset.tools[0]
    finally:
        registry.unregister(toolset)


def buckets(settings: Any) -> list[str]:
    """Bucket names in the sandbox now."""
    from tools.runtime import make_context

    return [b["Name"] for b in make_context(settings).clients.client("s3").list_buckets()["Buckets"]]


@contextmanager
def dies_after_the_run(monkeypatch: pytest.MonkeyPatch, message: str) -> Iterator[None]:
    """An approved call runs, then the process dies (``SystemExit(message)``) before opsbot records what
    happened. The block must end in that exit; the runtime runs normally again after it."""
    from tools import runtime

    real_run = runtime.run_approved

    def run_then_die(*args: Any, **kwargs: Any) -> Any:
        real_run(*args, **kwargs)
        raise SystemExit(message)

    monkeypatch.setattr(runtime, "run_approved", run_then_die)
    try:
        with pytest.raises(SystemExit, match=message):
            yield
    finally:
        monkeypatch.setattr(runtime, "run_approved", real_run)
