"""Sandbox training plans: offerings to search, and plans to buy, describe and list.

moto 5.2 has none of these operations. SearchTrainingPlanOfferings answers with up to three
deterministic offerings per request (fewer for large requests, none above 128 instances): the
same search on the same day gives the same offering ids. Upfront fees are the catalog's
on-demand price for the whole reservation less a discount that grows with the lead time.
CreateTrainingPlan only accepts an offering that a search returned. As on AWS, an offering stays
valid after the search (here until its reservation starts), so the search keeps it in the
sandbox's persisted state: a purchase approved in another process can still buy it.

UltraServers: a search by UltraServerType/UltraServerCount (ml.u-p6e-gb200x36 or x72, the catalog's)
offers whole UltraServers; their instance type (ml.p6e-gb200.36xlarge) is not offered instance by
instance, as AWS sells it only as UltraServers.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timedelta
from typing import Any

from tools.catalog import catalog
from tools.sandbox.ext_training_common import (
    arn,
    as_datetime,
    check_enum,
    now,
    paginate,
    sagemaker_backend,
    short_hash,
    sort_items,
    tags_of,
)
from tools.sandbox.extensions import Call, ExtensionError, extension

# (days after the first possible start, price factor against on-demand): later starts are cheaper.
OPTIONS = ((0, 0.88), (6, 0.80), (13, 0.74))
START_HOUR_UTC = (11, 30)  # training plan reservations start at 11:30 UTC


def _options_for(count: int) -> int:
    """How many offerings a request for ``count`` instances gets: big blocks are scarce."""
    if count <= 16:
        return 3
    if count <= 64:
        return 2
    return 1 if count <= 128 else 0


def _first_start(after: datetime) -> datetime:
    """The first reservation start: the day after ``after``, at the fixed start hour."""
    hour, minute = START_HOUR_UTC
    return (after + timedelta(days=1)).replace(hour=hour, minute=minute, second=0, microsecond=0)


@extension("sagemaker", "SearchTrainingPlanOfferings")
def search_training_plan_offerings(call: Call) -> dict[str, Any]:
    """SearchTrainingPlanOfferings for instances, or for whole UltraServers."""
    p = call.params
    hours = p.get("DurationHours")
    ultra = None
    if p.get("UltraServerType"):
        if p.get("InstanceType") or p.get("InstanceCount"):
            raise ExtensionError("ValidationException", "Give InstanceType and InstanceCount, or UltraServerType.")
        ultra = catalog().ultraserver(p["UltraServerType"])
        if ultra is None:
            known = ", ".join(u.name for u in catalog().ultraservers)
            raise ExtensionError(
                "ValidationException", f"Unknown UltraServerType {p['UltraServerType']}; known: {known}."
            )
        instance_type, count = ultra.instance_type, int(p.get("UltraServerCount") or 1) * ultra.instance_count
    else:
        instance_type, count = p.get("InstanceType"), p.get("InstanceCount")
    if not instance_type or not count or not hours:
        raise ExtensionError("ValidationException", "InstanceType, InstanceCount and DurationHours are required.")
    check_enum(instance_type, "ReservedCapacityInstanceType", "instanceType")
    targets = list(p.get("TargetResources") or ["hyperpod-cluster"])
    row = catalog().get(instance_type)
    if row is None or (ultra is None and catalog().ultraservers_of(instance_type)):
        return {"TrainingPlanOfferings": []}
    days = math.ceil(hours / 24)  # capacity is reserved in whole days
    earliest = max(as_datetime(p["StartTimeAfter"]), now()) if p.get("StartTimeAfter") else now()
    end_before = as_datetime(p["EndTimeBefore"]) if p.get("EndTimeBefore") else None
    store = _offerings(call)
    offerings = []
    for index, (lead_days, factor) in enumerate(OPTIONS[: _options_for(count)]):
        start = _first_start(earliest) + timedelta(days=lead_days)
        end = start + timedelta(days=days)
        if end_before and end > end_before:
            continue
        fee = row.price_usd_per_hour * count * days * 24 * factor
        sold_as = (ultra.name,) if ultra else ()
        offering_id = "tpo-" + short_hash(instance_type, count, days, start.isoformat(), *targets, *sold_as, length=24)
        zone = f"{call.region}{'abc'[index]}"
        offering = {
            "TrainingPlanOfferingId": offering_id,
            "TargetResources": targets,
            "DurationHours": days * 24,
            "DurationMinutes": 0,
            "UpfrontFee": f"{fee:.2f}",
            "CurrencyCode": "USD",
            "ReservedCapacityOfferings": [
                {
                    "ReservedCapacityType": "UltraServer" if ultra else "Instance",
                    **(
                        {"UltraServerType": ultra.name, "UltraServerCount": count // ultra.instance_count}
                        if ultra
                        else {}
                    ),
                    "InstanceType": instance_type,
                    "InstanceCount": count,
                    "AvailabilityZone": zone,
                    "DurationHours": days * 24,
                    "DurationMinutes": 0,
                    "StartTime": start,
                    "EndTime": end,
                }
            ],
        }
        if p.get("StartTimeAfter"):
            offering["RequestedStartTimeAfter"] = as_datetime(p["StartTimeAfter"])
        if end_before:
            offering["RequestedEndTimeBefore"] = end_before
        if offering_id not in store:
            # A search is a read, which the sandbox does not persist by itself; a new offering must
            # outlive this process, or a purchase approved elsewhere finds nothing to buy.
            call.changed = True
        store[offering_id] = copy.deepcopy(offering)
        offerings.append(offering)
    return {"TrainingPlanOfferings": offerings}


def _offerings(call: Call) -> dict[str, dict[str, Any]]:
    """The offerings searches returned that can still be bought; those whose reservation began are dropped."""
    store = call.state.setdefault("training_plan_offerings", {})
    current = now()
    for offering_id in [k for k, o in store.items() if o["ReservedCapacityOfferings"][0]["StartTime"] <= current]:
        del store[offering_id]
        call.changed = True
    return store


def _plans(call: Call) -> dict[str, dict[str, Any]]:
    return call.state.setdefault("training_plans", {})


def _advance(plan: dict[str, Any]) -> bool:
    """Set the status the reservation window implies; True if it changed."""
    current = now()
    if plan["Status"] == "Failed":
        return False
    before = plan["Status"]
    if current >= plan["EndTime"]:
        status = "Expired"
    elif current >= plan["StartTime"]:
        status = "Active"
    else:
        status = "Scheduled"
    plan["Status"] = status
    plan["StatusMessage"] = {"Scheduled": "Capacity is reserved", "Active": "Capacity is available"}.get(status, "")
    for summary in plan["ReservedCapacitySummaries"]:
        summary["Status"] = status
    return status != before


def _in_use(call: Call, plan_arn: str) -> int:
    """Instances that HyperPod groups on this plan hold."""
    used = 0
    for cluster in sagemaker_backend(call).clusters.values():
        for group in getattr(cluster, "groups", []):
            if group.get("TrainingPlanArn") == plan_arn:
                used += group.get("TargetCount", 0)
    return used


def _view(call: Call, plan: dict[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in plan.items() if k != "Tags"}
    used = _in_use(call, plan["TrainingPlanArn"]) if plan["Status"] == "Active" else 0
    out["InUseInstanceCount"] = used
    out["AvailableInstanceCount"] = max(plan["TotalInstanceCount"] - used, 0)
    return out


def _find(call: Call, name_or_arn: str) -> dict[str, Any]:
    plans = _plans(call)
    plan = plans.get(name_or_arn) or next((p for p in plans.values() if p["TrainingPlanArn"] == name_or_arn), None)
    if plan is None:
        raise ExtensionError("ResourceNotFound", f"Training plan {name_or_arn} not found.")
    call.changed |= _advance(plan)
    return plan


@extension("sagemaker", "CreateTrainingPlan")
def create_training_plan(call: Call) -> dict[str, Any]:
    """CreateTrainingPlan from an offering a search returned; the plan starts Pending."""
    p = call.params
    name, offering_id = p["TrainingPlanName"], p["TrainingPlanOfferingId"]
    if name in _plans(call):
        raise ExtensionError("ResourceInUse", f"Training plan {name} already exists.")
    offering = _offerings(call).get(offering_id)
    if offering is None:
        raise ExtensionError("ResourceNotFound", f"Training plan offering {offering_id} not found.")
    reserved = offering["ReservedCapacityOfferings"][0]
    plan_arn = arn(call, "training-plan", name)
    plan = {
        "TrainingPlanArn": plan_arn,
        "TrainingPlanName": name,
        "Status": "Pending",
        "StatusMessage": "Reserving capacity",
        "DurationHours": offering["DurationHours"],
        "DurationMinutes": offering["DurationMinutes"],
        "StartTime": reserved["StartTime"],
        "EndTime": reserved["EndTime"],
        "UpfrontFee": offering["UpfrontFee"],
        "CurrencyCode": offering["CurrencyCode"],
        "TotalInstanceCount": reserved["InstanceCount"],
        "AvailableInstanceCount": reserved["InstanceCount"],
        "InUseInstanceCount": 0,
        "TargetResources": list(offering["TargetResources"]),
        "ReservedCapacitySummaries": [
            {
                "ReservedCapacityArn": arn(call, "reserved-capacity", short_hash(plan_arn, length=16)),
                "ReservedCapacityType": reserved["ReservedCapacityType"],
                **{k: reserved[k] for k in ("UltraServerType", "UltraServerCount") if k in reserved},
                "InstanceType": reserved["InstanceType"],
                "TotalInstanceCount": reserved["InstanceCount"],
                "Status": "Pending",
                "AvailabilityZone": reserved["AvailabilityZone"],
                "DurationHours": reserved["DurationHours"],
                "DurationMinutes": reserved["DurationMinutes"],
                "StartTime": reserved["StartTime"],
                "EndTime": reserved["EndTime"],
            }
        ],
        "Tags": tags_of(call),
    }
    _plans(call)[name] = plan
    return {"TrainingPlanArn": plan_arn}


@extension("sagemaker", "DescribeTrainingPlan")
def describe_training_plan(call: Call) -> dict[str, Any]:
    """DescribeTrainingPlan by name or ARN."""
    return _view(call, _find(call, call.params["TrainingPlanName"]))


@extension("sagemaker", "ListTrainingPlans")
def list_training_plans(call: Call) -> dict[str, Any]:
    """ListTrainingPlans with the status filter, start-time bounds, sorting and paging."""
    p = call.params
    plans = list(_plans(call).values())
    for plan in plans:
        call.changed |= _advance(plan)
    for f in p.get("Filters") or []:
        if f["Name"] == "Status":
            plans = [x for x in plans if x["Status"] == f["Value"]]
    if p.get("StartTimeAfter"):
        plans = [x for x in plans if x["StartTime"] > as_datetime(p["StartTimeAfter"])]
    if p.get("StartTimeBefore"):
        plans = [x for x in plans if x["StartTime"] < as_datetime(p["StartTimeBefore"])]
    field = {"TrainingPlanName": "TrainingPlanName", "Status": "Status"}.get(p.get("SortBy", ""), "StartTime")
    page, more = paginate(call, sort_items(plans, lambda x: x[field], p.get("SortOrder")))
    return {"TrainingPlanSummaries": [_view(call, x) for x in page], **more}
