"""Tools of the inference domain: sizing, and the endpoint writes (create, scale, delete).

The read tools live in ``tools.inference_endpoints``, the sizing in ``tools.inference_sizing`` and
the create in ``tools.inference_create``; this module holds scale and delete and exposes the
domain's ``TOOLS``.
"""

from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.errors import ToolInputError
from tools.inference_create import CREATE_TOOL, MAX_INSTANCES
from tools.inference_endpoints import (
    DESCRIBE_TOOL,
    LIST_TOOL,
    EndpointArgs,
    EndpointInfo,
    config_name,
    describe_or_none,
    fetch_endpoint,
    is_not_found,
    model_name,
    money,
    require_endpoint,
)
from tools.inference_sizing import TOOL as RECOMMEND_TOOL


# -------------------------------------------------------------------------------------- scale_endpoint
class ScaleEndpointArgs(EndpointArgs):
    instance_count: Annotated[
        int, Field(ge=1, le=MAX_INSTANCES, description="The instance count the endpoint should have.")
    ]


class EndpointScaled(BaseModel):
    endpoint_name: str
    variant_name: str
    instance_type: str | None
    old_count: int
    new_count: int
    changed: bool
    status: str
    cost_usd_per_hour_before: float | None
    cost_usd_per_hour_after: float | None


def _scale_target(ctx: ToolContext, args: ScaleEndpointArgs) -> tuple[EndpointInfo, int, int]:
    info = require_endpoint(ctx, args.endpoint_name)
    if len(info.variants) != 1:
        names = ", ".join(v.variant_name for v in info.variants) or "none"
        raise ToolInputError(
            "endpoint_name",
            args.endpoint_name,
            f"has {len(info.variants)} variants ({names}); scale_endpoint scales endpoints with exactly one",
        )
    v = info.variants[0]
    current = v.current_instance_count if v.current_instance_count is not None else (v.desired_instance_count or 0)
    return info, current, v.desired_instance_count if v.desired_instance_count is not None else current


def _costs(info: EndpointInfo, old: int, new: int) -> tuple[float | None, float | None]:
    price = info.price_usd_per_hour
    return (round(price * old, 2), round(price * new, 2)) if price is not None else (None, None)


def scale_plan(ctx: ToolContext, args: ScaleEndpointArgs) -> Plan:
    """Old and new count and the change in hourly cost."""
    info, old, _ = _scale_target(ctx, args)
    new = args.instance_count
    before, after = _costs(info, old, new)
    delta = round(after - before, 2) if before is not None and after is not None else None
    warnings = []
    if info.status != "InService":
        warnings.append(f"endpoint is {info.status}; SageMaker accepts a new capacity only when it is InService")
    if old == new:
        warnings.append(f"{info.endpoint_name} already has {old} instance(s); nothing would change")
    return Plan(
        tool="scale_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        summary=f"scale endpoint {info.endpoint_name} ({info.instance_type}) from {old} to {new} instance(s)",
        changes=[
            f"UpdateEndpointWeightsAndCapacities {info.endpoint_name}/{info.variants[0].variant_name}: "
            f"DesiredInstanceCount {old} -> {new}"
        ],
        aws_operations=["sagemaker:UpdateEndpointWeightsAndCapacities"] if old != new else [],
        cost_usd_per_hour=after,
        cost_note=f"{money(before)} -> {money(after)} ({'+' if (delta or 0) >= 0 else '-'}${abs(delta or 0):,.2f}/h)"
        if delta is not None
        else f"{info.instance_type} is not in the price catalog",
        instance_type=info.instance_type,
        instance_count=new,
        region=ctx.region,
        facts={
            "old_count": old,
            "new_count": new,
            "cost_usd_per_hour_before": before,
            "cost_usd_per_hour_after": after,
            "cost_usd_per_hour_delta": delta,
            "status": info.status,
        },
        warnings=warnings,
    )


def scale_run(ctx: ToolContext, args: ScaleEndpointArgs) -> EndpointScaled:
    """Set the variant's desired instance count; no call if it is already the target."""
    sm = ctx.clients.client("sagemaker")
    info, old, desired = _scale_target(ctx, args)
    variant, new = info.variants[0].variant_name, args.instance_count
    changed = desired != new
    if changed:
        try:
            sm.update_endpoint_weights_and_capacities(
                EndpointName=info.endpoint_name,
                DesiredWeightsAndCapacities=[{"VariantName": variant, "DesiredInstanceCount": new}],
            )
        except ClientError:
            # A retry after a lost answer finds the endpoint already Updating towards our count.
            _, _, now_desired = _scale_target(ctx, args)
            if now_desired != new:
                raise
    after = require_endpoint(ctx, info.endpoint_name)
    before_cost, after_cost = _costs(info, old, new)
    return EndpointScaled(
        endpoint_name=info.endpoint_name,
        variant_name=variant,
        instance_type=info.instance_type,
        old_count=old,
        new_count=new,
        changed=changed,
        status=after.status,
        cost_usd_per_hour_before=before_cost,
        cost_usd_per_hour_after=after_cost,
    )


def scale_render(r: EndpointScaled) -> str:
    """Old and new count and cost."""
    if not r.changed:
        return f"endpoint {r.endpoint_name} already has {r.new_count} x {r.instance_type}; nothing changed ({r.status})"
    return (
        f"endpoint {r.endpoint_name} ({r.status}): {r.variant_name} {r.old_count} -> {r.new_count} x "
        f"{r.instance_type}, {money(r.cost_usd_per_hour_before)} -> {money(r.cost_usd_per_hour_after)}"
    )


# ------------------------------------------------------------------------------------- delete_endpoint
class EndpointDeleted(BaseModel):
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


def _delete_operations(info: EndpointInfo | None, config: str | None, models: list[str]) -> list[str]:
    ops = ["sagemaker:DeleteEndpoint"] if info is not None else []
    ops += ["sagemaker:DeleteEndpointConfig"] if config else []
    return ops + (["sagemaker:DeleteModel"] if models else [])


def delete_plan(ctx: ToolContext, args: EndpointArgs) -> Plan:
    """What goes and the hourly spend that stops."""
    info = require_endpoint(ctx, args.endpoint_name)
    _, config, models = _delete_targets(ctx, args.endpoint_name)
    changes = [f"DeleteEndpoint {info.endpoint_name} ({info.status}, {info.instance_count} x {info.instance_type})"]
    changes += [f"DeleteEndpointConfig {config}"] if config else []
    changes += [f"DeleteModel {m}" for m in models]
    saved = info.cost_usd_per_hour
    return Plan(
        tool="delete_endpoint",
        args=args.model_dump(mode="json"),
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        summary=f"delete endpoint {info.endpoint_name} ({info.instance_count} x {info.instance_type}, "
        f"{money(saved)} stops)",
        changes=changes,
        aws_operations=_delete_operations(info, config, models),
        cost_usd_per_hour=0.0,
        cost_note=f"stops {money(saved)}" if saved is not None else None,
        instance_type=info.instance_type,
        instance_count=info.instance_count,
        region=ctx.region,
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
    deleted = []
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
    saved = f"; {money(r.cost_usd_per_hour_saved)} no longer billed" if r.cost_usd_per_hour_saved is not None else ""
    return f"deleted {', '.join(r.deleted)}{saved}"


TOOLS: list[Tool] = [
    RECOMMEND_TOOL,
    CREATE_TOOL,
    LIST_TOOL,
    DESCRIBE_TOOL,
    Tool(
        name="scale_endpoint",
        domain="inference",
        effect=Effect.WRITE,
        risk=Risk.MEDIUM,
        description="Change the instance count of a SageMaker endpoint (its one variant).",
        args_model=ScaleEndpointArgs,
        plan=scale_plan,
        run=scale_run,
        render=scale_render,
    ),
    Tool(
        name="delete_endpoint",
        domain="inference",
        effect=Effect.DESTRUCTIVE,
        risk=Risk.CRITICAL,
        description="Delete a SageMaker endpoint, with the endpoint config and model opsbot created for it.",
        args_model=EndpointArgs,
        plan=delete_plan,
        run=delete_run,
        render=delete_render,
    ),
]
