"""delete_endpoint: delete an endpoint, with the endpoint config and model opsbot made for it."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from tools.aws import describe_or_none, is_not_found
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolContext
from tools.catalog import money
from tools.inference.endpoints import (
    EndpointArgs,
    EndpointInfo,
    config_name,
    fetch_endpoint,
    model_name,
    require_endpoint,
)


class EndpointDeleted(BaseModel):
    """The outcome of delete_endpoint."""

    endpoint_name: str
    deleted: list[str]
    already_gone: bool
    cost_usd_per_hour_saved: float | None


def _delete_targets(ctx: ToolContext, name: str) -> tuple[EndpointInfo | None, str | None, list[str]]:
    """The endpoint, and the config and model opsbot made for it (by their names); others' are kept."""
    sm = ctx.clients.client("sagemaker")
    info = fetch_endpoint(ctx, name)
    cname, mname = config_name(name), model_name(name)
    if info is not None:
        config = cname if info.endpoint_config_name == cname else None
        models = sorted({v.model_name for v in info.variants if v.model_name == mname}) if config else []
        return info, config, models
    # Gone already (a resumed delete): finish the clean-up of what is left.
    config = cname if describe_or_none(sm.describe_endpoint_config, EndpointConfigName=cname) else None
    models = [mname] if describe_or_none(sm.describe_model, ModelName=mname) else []
    return None, config, models


def _delete_operations(info: EndpointInfo | None, config: str | None, models: list[str]) -> list[AwsOperation]:
    ops = (
        [AwsOperation(operation="sagemaker:DeleteEndpoint", params={"EndpointName": info.endpoint_name})]
        if info is not None
        else []
    )
    if config:
        ops.append(AwsOperation(operation="sagemaker:DeleteEndpointConfig", params={"EndpointConfigName": config}))
    return ops + [AwsOperation(operation="sagemaker:DeleteModel", params={"ModelName": m}) for m in models]


def delete_plan(ctx: ToolContext, args: EndpointArgs) -> Plan:
    """What goes and the hourly spend that stops; no AWS write for an endpoint already deleting."""
    info = require_endpoint(ctx, args.endpoint_name)
    if info.status == "Deleting":
        return Plan(
            summary=f"endpoint {info.endpoint_name} is already being deleted; nothing to do",
            cost_usd_per_hour=0.0,
            facts={"status": info.status},
        )
    _, config, models = _delete_targets(ctx, args.endpoint_name)
    changes = [f"DeleteEndpoint {info.endpoint_name} ({info.status}, {info.instance_count} x {info.instance_type})"]
    changes += [f"DeleteEndpointConfig {config}"] if config else []
    changes += [f"DeleteModel {m}" for m in models]
    saved = info.cost_usd_per_hour
    return Plan(
        summary=f"delete endpoint {info.endpoint_name} ({info.instance_count} x {info.instance_type}, "
        f"{money(saved, per_hour=True)} stops)",
        changes=changes,
        aws_operations=_delete_operations(info, config, models),
        cost_usd_per_hour=0.0,
        cost_note=f"stops {money(saved, per_hour=True)}" if saved is not None else None,
        instance_type=info.instance_type,
        instance_count=info.instance_count,
        facts={
            "status": info.status,
            "endpoint_config_name": info.endpoint_config_name,
            "models": models,
            "cost_usd_per_hour_delta": -saved if saved is not None else None,
        },
        warnings=[f"requests to {info.endpoint_name} fail from now on; the model data in S3 is kept"],
    )


def _delete(call: Any, **kwargs: Any) -> bool:
    """True if deleted, False if it was already gone."""
    try:
        call(**kwargs)
        return True
    except ClientError as exc:
        if is_not_found(exc):
            return False
        raise


def delete_run(ctx: ToolContext, args: EndpointArgs) -> EndpointDeleted:
    """DeleteEndpoint, then the endpoint config and model opsbot made for it. Safe to run again."""
    sm = ctx.clients.client("sagemaker")
    info, config, models = _delete_targets(ctx, args.endpoint_name)
    deleted: list[str] = []
    if info is not None and info.status == "Deleting":  # on its way out already: nothing to add
        return EndpointDeleted(
            endpoint_name=args.endpoint_name, deleted=[], already_gone=False, cost_usd_per_hour_saved=None
        )
    if info is not None and _delete(sm.delete_endpoint, EndpointName=args.endpoint_name):
        deleted.append(f"endpoint {args.endpoint_name}")
    if config and _delete(sm.delete_endpoint_config, EndpointConfigName=config):
        deleted.append(f"endpoint config {config}")
    for m in models:
        if _delete(sm.delete_model, ModelName=m):
            deleted.append(f"model {m}")
    return EndpointDeleted(
        endpoint_name=args.endpoint_name,
        deleted=deleted,
        already_gone=info is None,
        cost_usd_per_hour_saved=info.cost_usd_per_hour if info else None,
    )


def delete_render(r: EndpointDeleted) -> str:
    """What was deleted and the spend that stopped."""
    if r.already_gone and not r.deleted:
        return f"endpoint {r.endpoint_name} was already deleted; nothing left to remove"
    if not r.deleted:
        return f"endpoint {r.endpoint_name} is already being deleted; nothing to do"
    saved = (
        f"; {money(r.cost_usd_per_hour_saved, per_hour=True)} no longer billed"
        if r.cost_usd_per_hour_saved is not None
        else ""
    )
    return f"deleted {', '.join(r.deleted)}{saved}"


DELETE_TOOL = Tool(
    name="delete_endpoint",
    description="Delete a SageMaker endpoint, with the endpoint config and model opsbot created for it.",
    label="delete an endpoint",
    phrasings=(
        "(delete|remove|destroy|tear down|teardown|terminate|kill|drop|get rid of|decommission|shut "
        "down|shutdown|nuke|trash|scrap|wipe|deprovision|delet|rm) {endpoint_name}",
        "(delete|remove|destroy|tear down|teardown|terminate|kill|drop|get rid of|decommission|shut "
        "down|shutdown|nuke|trash|scrap|wipe|deprovision|delet|rm) [the|an|a] [inference|sagemaker] endpoint",
    ),
    effect=Effect.DESTRUCTIVE,
    risk=Risk.CRITICAL,
    idempotent=True,
    args_model=EndpointArgs,
    plan=delete_plan,
    run=delete_run,
    render=delete_render,
)
