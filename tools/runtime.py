"""Running tools: validate arguments, plan, run reads, and run writes under an approval grant.

This is the only path by which front ends run a tool (the agent's executor, the CLI, Slack and
the evals all come through here).
"""

from __future__ import annotations

import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from tools import guard
from tools.aws import AwsClients
from tools.base import Plan, Tool, ToolArgs, ToolContext, ToolOutcome
from tools.config import Settings, get_settings
from tools.errors import (
    ApprovalRequiredError,
    AwsCallError,
    MutationBlockedError,
    ToolInputError,
    aws_error_message,
)
from tools.kinds import relative_fields
from tools.registry import get as get_tool
from tools.validation import first_error


def make_context(
    settings: Settings | None = None,
    requester: str | None = None,
    thread: str | None = None,
    clients: AwsClients | None = None,
) -> ToolContext:
    """A context for one run: settings and clients for the sandbox or live AWS."""
    settings = settings or get_settings()
    return ToolContext(settings=settings, clients=clients or AwsClients(settings), requester=requester, thread=thread)


def parse_args(tool: Tool, raw: dict[str, Any] | str | None) -> ToolArgs:
    """Validate raw arguments (dict or JSON text) into the tool's model, or raise ToolInputError."""
    if raw is None:
        raw = {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except json.JSONDecodeError as exc:
            raise ToolInputError("args", raw, f"expected a JSON object ({exc.msg})", tool=tool.name) from None
    if not isinstance(raw, dict):
        raise ToolInputError("args", raw, "expected a JSON object", tool=tool.name)
    try:
        return tool.args_model.model_validate(raw)
    except ValidationError as exc:
        raise first_error(exc, tool.name) from None
    except ToolInputError as exc:
        exc.tool = tool.name
        raise


def args_dict(args: ToolArgs) -> dict[str, Any]:
    """Arguments as JSON-ready data without unset defaults' noise (None values dropped)."""
    return args.model_dump(mode="json", exclude_none=True)


def resolve(tool: Tool, args: ToolArgs, ctx: ToolContext) -> ToolArgs:
    """``args`` with relative changes ("add 2", "double") turned into absolute targets from the current
    state (the tool's ``resolve`` hook); other calls pass through unchanged. Reads AWS, never writes."""
    if tool.resolve is None or not any(getattr(args, f) is not None for f in relative_fields(tool.args_model)):
        return args
    return _aws(lambda: tool.resolve(ctx, args))  # type: ignore[misc]


def resolve_args(name: str, raw: dict[str, Any] | str | None, ctx: ToolContext) -> dict[str, Any]:
    """The call's normalised arguments with relative changes resolved: what an approval should bind."""
    tool = get_tool(name)
    return args_dict(resolve(tool, parse_args(tool, raw), ctx))


def plan(name: str, raw: dict[str, Any] | str | None, ctx: ToolContext) -> Plan:
    """The plan of a call. Validates first; never writes.

    Relative arguments are resolved first, so the plan (and the approval that binds its ``args``)
    names the absolute target; what was asked is kept in ``facts['resolved_from']``. The tool's plan
    function says what is its own (a read tool needs none: ``read_plan``); the call's tool, normalised
    arguments, effect, risk and region come from the declaration.
    """
    tool = get_tool(name)
    given = parse_args(tool, raw)
    args = resolve(tool, given, ctx)
    own = _aws(lambda: tool.plan(ctx, args)) if tool.plan is not None else read_plan(tool, args)
    update: dict[str, Any] = {
        "tool": tool.name,
        "args": args_dict(args),
        "effect": tool.effect,
        "risk": tool.risk,
        "region": own.region or ctx.region,
    }
    if args is not given:
        asked = {f: getattr(given, f) for f in relative_fields(tool.args_model) if getattr(given, f) is not None}
        update["facts"] = {**own.facts, "resolved_from": asked}
    return own.model_copy(update=update)


def read_plan(tool: Tool, args: ToolArgs) -> Plan:
    """The plan of a read: it only reads, costs nothing and needs no approval."""
    given = ", ".join(f"{k}={v}" for k, v in args_dict(args).items())
    return Plan(summary=f"{tool.label or tool.name.replace('_', ' ')}" + (f" ({given})" if given else ""))


def run_read(name: str, raw: dict[str, Any] | str | None, ctx: ToolContext) -> ToolOutcome:
    """Run a read tool. Write and destructive tools are refused: they need the approval flow."""
    tool = get_tool(name)
    args = parse_args(tool, raw)
    if tool.is_write:
        raise ApprovalRequiredError(
            f"{name} is a {tool.effect} tool (risk {tool.risk}); it runs only after approval: "
            f"use `opsbot ask` or `opsbot chat`, then `opsbot approvals approve ID`"
        )
    return _finish(tool, _aws(lambda: tool.run(ctx, args)))


def run_approved(name: str, raw: dict[str, Any], ctx: ToolContext, grant: guard.Grant) -> ToolOutcome:
    """Run a write under ``grant``; the grant must be for exactly this call and still valid."""
    tool = get_tool(name)
    args = parse_args(tool, raw)
    expected = guard.call_hash(name, args_dict(args), ctx.account, ctx.region, ctx.requester or "", ctx.thread or "")
    if grant.call_hash != expected:
        raise MutationBlockedError(f"grant {grant.approval_id} is for another call; nothing was run")
    if time.time() > grant.expires_at:
        raise MutationBlockedError(f"grant {grant.approval_id} expired; nothing was run")
    relative = [f for f in relative_fields(tool.args_model) if getattr(args, f) is not None]
    if relative:
        # An approval binds the absolute target its plan showed ("instance_count=3", not "add 2"): a
        # relative change resolved now could mean another count than the approver saw.
        raise MutationBlockedError(
            f"grant {grant.approval_id} binds a relative change ({', '.join(relative)}), not an absolute "
            "target; nothing was run: ask again so the approval names the exact count"
        )
    ctx.idempotency_token = grant.approval_id
    with guard.activated(grant):
        return _finish(tool, _aws(lambda: tool.run(ctx, args)))


def _finish(tool: Tool, result: Any) -> ToolOutcome:
    return ToolOutcome(tool=tool.name, result=result.model_dump(mode="json"), text=tool.render(result))


def _aws(fn: Any) -> Any:
    try:
        return fn()
    except (ClientError, BotoCoreError) as exc:
        raise AwsCallError(aws_error_message(exc)) from exc
