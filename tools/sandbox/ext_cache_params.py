"""Sandbox: ElastiCache cache parameter groups, which moto 5.2 does not implement.

Default groups (``default.valkey8``, ``default.valkey8.cluster.on``, ...) exist for every family and
cannot be modified, as in AWS. Custom groups live in the extension store as the values set on
them; everything else reads as the engine default. The engine's parameters below are the
sandbox's stand-in for AWS's engine defaults: a name that is not there is unknown to "AWS", and a
value outside ``allowed`` is refused with InvalidParameterValue.
"""

from __future__ import annotations

import re
from typing import Any

from tools.sandbox.extensions import Call, ExtensionError, extension

FAMILIES = ("redis5.0", "redis6.x", "redis7", "valkey7", "valkey8")
# name: (default, data type, allowed values as ElastiCache writes them, modifiable, description)
ENGINE_PARAMETERS: dict[str, tuple[str, str, str, bool, str]] = {
    "activedefrag": ("no", "string", "yes,no", True, "Enable active memory defragmentation."),
    "cluster-enabled": ("no", "string", "yes,no", True, "Whether this is a cluster mode enabled group."),
    "lazyfree-lazy-eviction": ("no", "string", "yes,no", True, "Perform an asynchronous delete on evictions."),
    "lazyfree-lazy-expire": ("no", "string", "yes,no", True, "Perform an asynchronous delete on expired keys."),
    "lazyfree-lazy-server-del": ("no", "string", "yes,no", True, "Asynchronous delete for server-side deletes."),
    "lazyfree-lazy-user-del": ("no", "string", "yes,no", True, "Make DEL behave like UNLINK."),
    "lfu-decay-time": ("1", "integer", "0-", True, "Minutes to decrement the LFU key counter."),
    "lfu-log-factor": ("10", "integer", "1-", True, "Log factor for incrementing the LFU key counter."),
    "maxclients": ("65000", "integer", "1-65000", False, "Maximum number of connected clients."),
    "maxmemory-policy": (
        "volatile-lru",
        "string",
        "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction",
        True,
        "Max memory policy.",
    ),
    "maxmemory-samples": ("3", "integer", "1-", True, "Max memory samples."),
    "reserved-memory-percent": ("25", "integer", "0-100", True, "Percent of memory reserved for non-cache use."),
    "slowlog-max-len": ("128", "integer", "0-", True, "Length of the slow log."),
    "tcp-keepalive": ("300", "integer", "0-", True, "TCP keepalive, in seconds."),
    "timeout": ("0", "integer", "0,20-", True, "Close a connection after it is idle for this many seconds."),
}
GROUP_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{0,254}(?<!-)$")


def store(state: dict[str, Any]) -> dict[str, Any]:
    """The cache domain's part of the extension store (created on first use)."""
    cache = state.setdefault("cache", {})
    for key in ("parameter_groups", "pending", "workloads", "metrics_until"):
        cache.setdefault(key, {})
    return cache


def _default_group(name: str) -> dict[str, Any] | None:
    if not name.startswith("default."):
        return None
    rest = name[len("default.") :]
    family, _, suffix = rest.partition(".cluster.")
    if family not in FAMILIES or suffix not in ("", "on"):
        return None
    values = {"cluster-enabled": "yes"} if suffix == "on" else {}
    return {"family": family, "description": f"Default parameter group for {family}", "values": values, "tags": []}


def find_group(state: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A custom or default parameter group by name, or None."""
    return store(state)["parameter_groups"].get(name) or _default_group(name)


def group_values(state: dict[str, Any], name: str) -> dict[str, str]:
    """Every parameter's current value in group ``name`` (engine defaults overlaid by what was set)."""
    group = find_group(state, name)
    values = {key: spec[0] for key, spec in ENGINE_PARAMETERS.items()}
    if group:
        values.update(group["values"])
    return values


def _group_body(call: Call, name: str, group: dict[str, Any]) -> dict[str, Any]:
    return {
        "CacheParameterGroupName": name,
        "CacheParameterGroupFamily": group["family"],
        "Description": group["description"],
        "IsGlobal": False,
        "ARN": f"arn:aws:elasticache:{call.region}:{call.account}:parametergroup:{name}",
    }


def _not_found(name: str) -> ExtensionError:
    return ExtensionError("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.", 404)


def accepts(allowed: str, data_type: str, value: str) -> bool:
    """Whether ``value`` fits an AllowedValues spec such as ``yes,no``, ``0-100`` or ``0,20-``."""
    items = allowed.split(",")
    if data_type != "integer":
        return value in items
    if not re.fullmatch(r"-?\d+", value):
        return False
    number = int(value)
    for item in items:
        low, dash, high = item.partition("-")
        if not dash and number == int(low):
            return True
        if dash and number >= int(low) and (not high or number <= int(high)):
            return True
    return False


@extension("elasticache", "CreateCacheParameterGroup")
def create_cache_parameter_group(call: Call) -> dict[str, Any]:
    """Create a custom group of a known family; the name must be new and well formed."""
    p = call.params
    name, family = p["CacheParameterGroupName"], p["CacheParameterGroupFamily"]
    if not GROUP_NAME.match(name) or name.startswith("default."):
        raise ExtensionError("InvalidParameterValue", f"Invalid parameter group name: {name}")
    if family not in FAMILIES:
        raise ExtensionError("InvalidParameterValue", f"Invalid CacheParameterGroupFamily: {family}")
    groups = store(call.state)["parameter_groups"]
    if name in groups:
        raise ExtensionError("CacheParameterGroupAlreadyExists", f"CacheParameterGroup {name} already exists.")
    groups[name] = {"family": family, "description": p["Description"], "values": {}, "tags": p.get("Tags", [])}
    return {"CacheParameterGroup": _group_body(call, name, groups[name])}


@extension("elasticache", "DescribeCacheParameterGroups")
def describe_cache_parameter_groups(call: Call) -> dict[str, Any]:
    """One group by name, or every default and custom group."""
    name = call.params.get("CacheParameterGroupName")
    if name:
        group = find_group(call.state, name)
        if group is None:
            raise _not_found(name)
        return {"CacheParameterGroups": [_group_body(call, name, group)]}
    bodies = [_group_body(call, f"default.{f}", _default_group(f"default.{f}") or {}) for f in FAMILIES]
    bodies += [_group_body(call, n, g) for n, g in sorted(store(call.state)["parameter_groups"].items())]
    return {"CacheParameterGroups": bodies}


@extension("elasticache", "ModifyCacheParameterGroup")
def modify_cache_parameter_group(call: Call) -> dict[str, Any]:
    """Set parameters on a custom group; each name must exist, be modifiable and take the value."""
    name = call.params["CacheParameterGroupName"]
    pairs = call.params["ParameterNameValues"]
    group = store(call.state)["parameter_groups"].get(name)
    if group is None:
        if _default_group(name):
            raise ExtensionError(
                "InvalidCacheParameterGroupState", f"Default parameter group {name} cannot be modified."
            )
        raise _not_found(name)
    if not pairs or len(pairs) > 20:
        raise ExtensionError("InvalidParameterValue", "ParameterNameValues must have 1 to 20 members.")
    for pair in pairs:
        key, value = pair.get("ParameterName", ""), pair.get("ParameterValue", "")
        spec = ENGINE_PARAMETERS.get(key)
        if spec is None or not spec[3]:
            raise ExtensionError("InvalidParameterValue", f"Unrecognized or non-modifiable parameter: {key}")
        if not accepts(spec[2], spec[1], value):
            raise ExtensionError("InvalidParameterValue", f"Invalid value for parameter {key}: {value}")
    for pair in pairs:
        group["values"][pair["ParameterName"]] = pair["ParameterValue"]
    return {"CacheParameterGroupName": name}


@extension("elasticache", "DescribeCacheParameters")
def describe_cache_parameters(call: Call) -> dict[str, Any]:
    """The group's parameters, optionally only those set by the user (Source=user), paged by Marker."""
    name = call.params["CacheParameterGroupName"]
    group = find_group(call.state, name)
    if group is None:
        raise _not_found(name)
    source_filter = call.params.get("Source")
    values = group_values(call.state, name)
    rows = []
    for key, (default, data_type, allowed, modifiable, description) in sorted(ENGINE_PARAMETERS.items()):
        source = "user" if key in group["values"] and not name.startswith("default.") else "system"
        if source_filter and source_filter != source and not (source_filter == "engine-default" and source == "system"):
            continue
        rows.append(
            {
                "ParameterName": key,
                "ParameterValue": values.get(key, default),
                "Description": description,
                "Source": source,
                "DataType": data_type,
                "AllowedValues": allowed,
                "IsModifiable": modifiable,
                "MinimumEngineVersion": "5.0.0",
                "ChangeType": "immediate",
            }
        )
    start = int(call.params.get("Marker") or 0)
    size = int(call.params.get("MaxRecords") or 100)
    page = {"Parameters": rows[start : start + size], "CacheNodeTypeSpecificParameters": []}
    if start + size < len(rows):
        page["Marker"] = str(start + size)
    return page
