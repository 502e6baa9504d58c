"""scale_endpoint: change the instance count of an endpoint's one variant.

The count is absolute (``instance_count``) or relative to the variant's desired count now
(``add_instances``: "add 2", "remove one"; ``scale_factor``: "double"), resolved before the
plan so the approval binds the absolute target.
"""

from __future__ import annotations

from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolContext
from tools.catalog import cost_change
from tools.counts import InstanceCountArgs, absolute_count, count_change, count_factor
from tools.errors import ToolInputError
from tools.inference.create import MAX_INSTANCES
from tools.inference.endpoints import EndpointArgs, EndpointInfo, require_endpoint
from tools.kinds import Count, Delta, Factor
from tools.relative import absolute_target


class ScaleEndpointArgs(EndpointArgs, InstanceCountArgs):
    """scale_endpoint's arguments: the new count, or a change of the current one."""

    instance_count: Annotated[
        int | None,
        Count("instance"),
        absolute_count(
            MAX_INSTANCES, "The instance count the endpoint should have (or give add_instances or scale_factor)."
        ),
    ] = None
    add_instances: Annotated[
        int | None,
        Delta("instance", instead_of="instance_count"),
        count_change(
            MAX_INSTANCES,
            "Instead of instance_count (leave that out): instances to add (positive) or remove "
            "(negative), e.g. 2 for 'add 2 instances', -1 for 'remove one'.",
        ),
    ] = None
    scale_factor: Annotated[
        float | None,
        Factor("instance", instead_of="instance_count"),
        count_factor("Instead of instance_count: multiply the current count, e.g. 2 for 'double', 0.5 'halve'."),
    ] = None


class EndpointScaled(BaseModel):
    """The outcome of scale_endpoint."""

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
    unit = info.price_usd_per_hour
    return (round(unit * old, 2), round(unit * new, 2)) if unit is not None else (None, None)


def scale_request(info: EndpointInfo, count: int) -> dict[str, Any]:
    """The UpdateEndpointWeightsAndCapacities request: the one variant's new count."""
    variant = info.variants[0].variant_name
    return {
        "EndpointName": info.endpoint_name,
        "DesiredWeightsAndCapacities": [{"VariantName": variant, "DesiredInstanceCount": count}],
    }


def scale_resolve(ctx: ToolContext, args: ScaleEndpointArgs) -> ScaleEndpointArgs:
    """A relative change made absolute from the variant's desired count now."""
    _, _, desired = _scale_target(ctx, args)
    return absolute_target(
        args, "instance_count", desired, minimum=1, maximum=MAX_INSTANCES, what=f"{args.endpoint_name}'s instance count"
    )


def scale_plan(ctx: ToolContext, args: ScaleEndpointArgs) -> Plan:
    """Old and new count and the change in hourly cost; no AWS write when the endpoint already has (or is
    already heading to) that count."""
    info, old, desired = _scale_target(ctx, args)
    new = args.target
    before, after = _costs(info, old, new)
    delta = round(after - before, 2) if before is not None and after is not None else None
    facts = {
        "old_count": old,
        "new_count": new,
        "cost_usd_per_hour_before": before,
        "cost_usd_per_hour_after": after,
        "cost_usd_per_hour_delta": delta,
        "status": info.status,
    }
    if desired == new:
        state = f"already has {new}" if old == new else f"is already scaling to {new} ({old} now)"
        return Plan(
            summary=f"endpoint {info.endpoint_name} {state} instance(s); nothing to change",
            cost_usd_per_hour=after,
            instance_type=info.instance_type,
            instance_count=new,
            facts=facts,
        )
    warnings = []
    if info.status != "InService":
        warnings.append(f"endpoint is {info.status}; SageMaker accepts a new capacity only when it is InService")
    update = AwsOperation(operation="sagemaker:UpdateEndpointWeightsAndCapacities", params=scale_request(info, new))
    return Plan(
        summary=f"scale endpoint {info.endpoint_name} ({info.instance_type}) from {old} to {new} instance(s)",
        changes=[
            f"instances of {info.endpoint_name}: {old} -> {new} x {info.instance_type}",
            f"UpdateEndpointWeightsAndCapacities {info.endpoint_name}/{info.variants[0].variant_name}: "
            f"DesiredInstanceCount {old} -> {new}",
        ],
        aws_operations=[update],
        cost_usd_per_hour=after,
        cost_note=cost_change(before, after)
        if delta is not None
        else f"{info.instance_type} is not in the price catalog",
        instance_type=info.instance_type,
        instance_count=new,
        facts=facts,
        warnings=warnings,
    )


def scale_run(ctx: ToolContext, args: ScaleEndpointArgs) -> EndpointScaled:
    """Set the variant's desired instance count; no call if it is already the target."""
    sm = ctx.clients.client("sagemaker")
    info, old, desired = _scale_target(ctx, args)
    variant, new = info.variants[0].variant_name, args.target
    changed = desired != new
    if changed:
        try:
            sm.update_endpoint_weights_and_capacities(**scale_request(info, new))
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
        f"{r.instance_type}, {cost_change(r.cost_usd_per_hour_before, r.cost_usd_per_hour_after, delta=False)}"
    )


SCALE_TOOL = Tool(
    name="scale_endpoint",
    description="Change the instance count of a SageMaker endpoint (its one variant).",
    label="scale an endpoint",
    phrasings=(
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] {endpoint_name} [up|down] [to {instance_count}]",
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the] (instance count|instances|capacity|replicas) (of|on|for) {endpoint_name} [to "
        "{instance_count}]",
        "give {endpoint_name} {instance_count}",
        "{instance_count} [instances|replicas|nodes|copies] (of|for|on) {endpoint_name}",
        "(if|what if|and if) [we] (go|went|move|moved|went up|go up|scaled|scale) to {instance_count} [of "
        "them|instances]",
        "{endpoint_name} (to|→|->|=>) {instance_count} [instances|replicas|nodes|copies]",
        "take (this|it|{endpoint_name}) to {instance_count}",
        "(scale|resize|grow|shrink|expand|bump|set|change|take|move|increase|decrease|reduce|raise|lower|adjust) "
        "[up|down] [the|an] [inference] endpoint",
        # A change of the count ("add 2 instances to chat-prod", "double it"): made absolute before the plan.
        "{add_instances} (to|on|for|from|of) [the] [endpoint] {endpoint_name}",
        "(add|remove|drop) {add_instances} [(to|on|for|from) [the] [endpoint] {endpoint_name}]",
        "give {endpoint_name} {add_instances}",
        "(scale|resize|grow|shrink|expand|bump|increase|decrease|reduce|raise|lower|adjust) [up|down] [the] "
        "[endpoint] {endpoint_name} [up|down] by {add_instances}",
        "{scale_factor} [the] [instance count|instances|capacity|replicas|size] [of|on|for] [the] [endpoint] "
        "{endpoint_name}",
        "(scale|resize|grow|shrink|expand|bump|increase|decrease|reduce|raise|lower|adjust) [up|down] [the] "
        "[endpoint] {endpoint_name} [up|down] [by] {scale_factor}",
    ),
    effect=Effect.WRITE,
    risk=Risk.MEDIUM,
    idempotent=True,
    args_model=ScaleEndpointArgs,
    plan=scale_plan,
    run=scale_run,
    render=scale_render,
    resolve=scale_resolve,
)
