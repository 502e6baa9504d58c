"""How recommend_cache_tuning turns a group's shape, parameters and last hour into advice.

Pure functions over ``CacheGroup``, ``CacheMetrics`` and the current parameter values, so the
rules can be tested with made-up numbers. Every recommendation carries a reason that quotes the
numbers it rests on; nothing is proposed that is already in place.

Two workloads of LLM serving:
- ``kv-cache``: attention key/value blocks of prompt prefixes, large values, rewritten often,
  recomputable (a miss costs a prefill, not data);
- ``moe-experts``: expert weight shards of a mixture-of-experts model, very large values,
  written once and fetched many times, with skewed and stable popularity.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.cache.read import CacheGroup, CacheMetrics, group_cost
from tools.catalog import InstanceType, catalog

Workload = Literal["kv-cache", "moe-experts"]

HIGH_MEMORY = 85.0  # % DatabaseMemoryUsagePercentage above which the node is too small
EVICTING_MEMORY = 75.0  # evictions with memory above this also mean "too small"
LOW_MEMORY = 30.0  # below this, with no evictions and little CPU, the node is too big
TARGET_FILL = 0.70  # after a resize, data should fill at most this share of usable memory
EVICTION_HEADROOM = 1.25  # evicted keys come back once there is room
HIGH_CPU = 70.0  # % EngineCPUUtilization (busiest node) that calls for more read capacity
MOE_REPLICA_CPU = 50.0  # expert fetches are latency-critical: add read capacity earlier
VERY_HIGH_CPU = 80.0
READ_HEAVY = 4.0  # reads per write
WRITE_HEAVY = 2.0
MAX_REPLICAS = 5
DEFAULT_RESERVED = 25.0
GIB = 2**30


class Finding(BaseModel):
    """One observation from the last hour and what it means."""

    metric: str
    value: float | None
    meaning: str


class Recommendation(BaseModel):
    """One change, tied to a tune_cache argument."""

    setting: str = Field(description="node_type, replica_count or parameters.<name>.")
    current: str
    proposed: str
    reason: str


class Advice(BaseModel):
    """What to change and why; ``tune_cache_args`` is filled in by the tool."""

    workload: Workload
    node_type: str
    replicas_per_node_group: int
    parameters: dict[str, str] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    recommendations: list[Recommendation] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    cost_usd_per_hour_before: float | None = None
    cost_usd_per_hour_after: float | None = None
    cost_usd_per_hour_delta: float | None = None


def _usable(row_memory: float, reserved: float) -> float:
    return row_memory * (1 - reserved / 100)


def _candidates(node_type: str) -> list[InstanceType]:
    rows = catalog().for_use("cache")
    family = node_type.split(".")[1] if node_type.count(".") == 2 else ""
    same = [r for r in rows if r.name.split(".")[1] == family]
    return sorted(same or rows, key=lambda r: (r.memory_gib, r.price_usd_per_hour))


def _fmt(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _findings(m: CacheMetrics) -> list[Finding]:
    out = []
    if m.datapoints == 0:
        return [
            Finding(
                metric="datapoints", value=0, meaning="no CloudWatch data in the last hour; advice from config only"
            )
        ]
    if m.memory_percent_max is not None:
        level = (
            "high" if m.memory_percent_max >= HIGH_MEMORY else "low" if m.memory_percent_max < LOW_MEMORY else "fine"
        )
        out.append(
            Finding(metric="DatabaseMemoryUsagePercentage", value=m.memory_percent_max, meaning=f"peak, {level}")
        )
    if m.evictions is not None:
        meaning = "keys dropped for lack of memory" if m.evictions else "no keys dropped for lack of memory"
        out.append(Finding(metric="Evictions", value=m.evictions, meaning=meaning))
    if m.hit_rate_percent is not None:
        out.append(Finding(metric="CacheHitRate", value=m.hit_rate_percent, meaning="hits / (hits + misses)"))
    if m.engine_cpu_percent_max is not None:
        level = "busy" if m.engine_cpu_percent_max >= HIGH_CPU else "fine"
        out.append(
            Finding(metric="EngineCPUUtilization", value=m.engine_cpu_percent_max, meaning=f"busiest node, {level}")
        )
    if m.reads_per_write is not None:
        kind = (
            "read-heavy"
            if m.reads_per_write >= READ_HEAVY
            else "write-heavy"
            if m.reads_per_write < WRITE_HEAVY
            else "mixed"
        )
        out.append(Finding(metric="GetTypeCmds/SetTypeCmds", value=m.reads_per_write, meaning=kind))
    if m.connections is not None:
        out.append(
            Finding(metric="CurrConnections", value=m.connections, meaning="clients connected (sum of node peaks)")
        )
    return out


def _node_type(group: CacheGroup, m: CacheMetrics, reserved: float) -> tuple[str, str | None, list[str]]:
    """Proposed node type, the reason (None: keep) and notes.

    Data size comes from BytesUsedForCache, which does not depend on the node type, so an hour that
    straddles a resize does not ask for another one; the memory percentage is the fallback.
    """
    current = catalog().get(group.node_type)
    mem, evictions, cpu = m.memory_percent_max, m.evictions or 0.0, m.engine_cpu_percent_max or 0.0
    if current is None or mem is None:
        return group.node_type, None, ([] if current else [f"{group.node_type} is not in the catalog; size kept"])
    usable = _usable(current.memory_gib, reserved)
    used = m.bytes_used_max / GIB if m.bytes_used_max else mem / 100 * usable
    rows = _candidates(group.node_type)
    pressure = mem >= HIGH_MEMORY or (evictions and mem >= EVICTING_MEMORY)
    latest = m.memory_percent_latest
    if pressure and latest is not None and latest < EVICTING_MEMORY and not m.evictions_latest:
        note = (
            f"memory peaked at {mem:.0f}% within the hour, but the latest period shows {latest:.0f}% and no "
            "evictions: the pressure has cleared (a resize or a change in traffic)"
        )
        return group.node_type, None, [note]
    if pressure:
        need = used * (EVICTION_HEADROOM if evictions else 1) / TARGET_FILL
        pick = next((r for r in rows if _usable(r.memory_gib, reserved) >= need), rows[-1])
        if pick.memory_gib <= current.memory_gib:
            if _usable(current.memory_gib, reserved) >= need:
                note = (
                    f"memory peaked at {mem:.0f}% within the hour, but {group.node_type} already has {usable:.1f} GiB "
                    f"usable for the ~{need:.1f} GiB wanted; the peak predates a resize or a reserved-memory change"
                )
                return group.node_type, None, [note]
            return group.node_type, None, [f"{group.node_type} is the largest in the catalog; add shards instead"]
        notes = [] if _usable(pick.memory_gib, reserved) >= need else [f"even {pick.name} is short; add shards too"]
        evicted = f" and {_fmt(evictions)} evictions in the last hour" if evictions else ""
        reason = (
            f"DatabaseMemoryUsagePercentage peaked at {mem:.0f}% (threshold {HIGH_MEMORY:.0f}%){evicted}: "
            f"~{used:.1f} GiB of data in {usable:.1f} GiB usable ({reserved:g}% reserved). "
            f"Wanted {need:.1f} GiB usable (data{' x1.25 for evicted keys coming back' if evictions else ''}, "
            f"at most {TARGET_FILL:.0%} full); {pick.name} has {_usable(pick.memory_gib, reserved):.1f} GiB."
        )
        return pick.name, reason, notes
    if mem < LOW_MEMORY and not evictions and cpu < HIGH_CPU / 2:
        need = used / TARGET_FILL
        fits = [r for r in rows if _usable(r.memory_gib, reserved) >= need and r.vcpus >= 2]
        pick = fits[0] if fits else None
        if pick and pick.price_usd_per_hour < current.price_usd_per_hour:
            reason = (
                f"DatabaseMemoryUsagePercentage peaked at only {mem:.0f}% with no evictions and engine CPU "
                f"at most {cpu:.0f}%: ~{used:.1f} GiB of data fits {pick.name} "
                f"({_usable(pick.memory_gib, reserved):.1f} GiB usable) at most {TARGET_FILL:.0%} full, for less."
            )
            return pick.name, reason, []
    if cpu >= VERY_HIGH_CPU:
        bigger = [r for r in rows if r.vcpus > current.vcpus]
        if bigger:
            more = bigger[0]
            reason = f"EngineCPUUtilization reached {cpu:.0f}%: {more.name} has {more.vcpus} vCPUs for I/O threads."
            return more.name, reason, []
    return group.node_type, None, []


def _recently_scaled(m: CacheMetrics) -> bool:
    """True when some node has a shorter history than the others: replicas joined within the hour."""
    counts = [n.datapoints for n in m.nodes]
    return bool(counts) and min(counts) < max(counts)


def _replicas(group: CacheGroup, m: CacheMetrics, workload: Workload) -> tuple[int, str | None]:
    """Proposed replicas per shard and the reason (None: keep)."""
    n, rpw, cpu = group.replicas_per_node_group, m.reads_per_write, m.engine_cpu_percent_max or 0.0
    if n == 0:
        if workload == "kv-cache":
            return 1, "no replica: losing the node loses every cached KV block and all sessions fall back to prefill"
        return 1, "no replica: expert fetches all hit one node, and losing it stalls every MoE forward pass"
    reads = f"{rpw:g} reads per write" if rpw is not None else "reads"
    if _recently_scaled(m):
        return n, None  # the hour mostly predates the new replicas: judge them after a full hour
    if workload == "moe-experts" and rpw is not None and rpw >= READ_HEAVY and cpu >= MOE_REPLICA_CPU:
        new = min(MAX_REPLICAS, n + (2 if cpu >= VERY_HIGH_CPU else 1))
        if new > n:
            return new, (
                f"expert fetches are read-heavy ({reads}) and the busiest node's engine CPU reached {cpu:.0f}% "
                f"(threshold {MOE_REPLICA_CPU:.0f}%): {new} replicas spread reads over {new + 1} nodes per shard "
                f"instead of {n + 1} (use the reader endpoint), about {cpu * (n + 1) / (new + 1):.0f}% each"
            )
    if workload == "kv-cache":
        if cpu >= HIGH_CPU and rpw is not None and rpw >= READ_HEAVY and n < MAX_REPLICAS:
            return n + 1, (
                f"engine CPU reached {cpu:.0f}% (threshold {HIGH_CPU:.0f}%) on a read-heavy cache ({reads}): "
                f"one more replica takes a share of the prefix lookups"
            )
        keep = max(1, group.min_replicas)
        if rpw is not None and rpw < WRITE_HEAVY and n > keep:
            return keep, (
                f"writes dominate ({reads}): every replica replays each KV block write, and blocks can be "
                f"recomputed, so {keep} replica for failover is enough"
            )
    return n, None


def _parameters(workload: Workload, current: dict[str, str], m: CacheMetrics) -> dict[str, tuple[str, str]]:
    """Wanted parameter values with reasons (including ones already in place)."""
    evictions, per_min, cpu = m.evictions or 0.0, m.evictions_per_minute or 0.0, m.engine_cpu_percent_max or 0.0
    policy = current.get("maxmemory-policy", "volatile-lru")
    evicting = f"the primary evicted {_fmt(evictions)} keys in the last hour ({_fmt(per_min)}/min)"
    wanted: dict[str, tuple[str, str]] = {}
    if workload == "kv-cache":
        ttl_note = (
            f"{policy} only evicts keys that have a TTL; KV blocks are usually stored without one, so a full cache "
            "answers writes with OOM errors instead of making room. "
            if policy.startswith("volatile") or policy == "noeviction"
            else ""
        )
        wanted["maxmemory-policy"] = ("allkeys-lru", ttl_note + "LRU matches prefix reuse: recent prefixes are reused")
        large = "KV blocks are large values (tens to hundreds of KiB); freeing them on the main thread stalls requests"
        wanted["lazyfree-lazy-eviction"] = ("yes", f"{evicting}; {large}" if evictions else f"{large} once it fills")
        wanted["lazyfree-lazy-expire"] = ("yes", "expired KV blocks are freed in the background too")
        if evictions and cpu < HIGH_CPU:
            samples = current.get("maxmemory-samples", "3")
            wanted["maxmemory-samples"] = (
                "10",
                f"with {_fmt(per_min)} evictions/min, sampling 10 keys instead of {samples} evicts closer to true LRU, "
                f"so hot prefixes survive; engine CPU ({cpu:.0f}%) has room for it",
            )
    else:
        wanted["maxmemory-policy"] = (
            "allkeys-lfu",
            "expert popularity is skewed and stable; LFU keeps the hot experts even right after a cold one was "
            f"fetched, where {policy} would evict by recency" + (f" ({evicting})" if evictions else ""),
        )
        wanted["lfu-decay-time"] = (
            "10",
            "halve an idle expert's access counter after 10 minutes instead of 1, so experts that are hot across "
            "batches are not forgotten between bursts",
        )
        wanted["lazyfree-lazy-eviction"] = (
            "yes",
            "expert weight shards are MiB-sized values; evicting them on the main thread blocks other fetches"
            + (f"; {evicting}" if evictions else ""),
        )
    return wanted


def advise(group: CacheGroup, m: CacheMetrics, current: dict[str, str], workload: Workload) -> Advice:
    """What ``group`` should change for ``workload``, given its last hour and parameter values."""
    reserved = float(current.get("reserved-memory-percent", DEFAULT_RESERVED))
    node_type, node_reason, notes = _node_type(group, m, reserved)
    replicas, replica_reason = _replicas(group, m, workload)
    if _recently_scaled(m):
        notes.append("replicas joined within the last hour; replica advice waits for a full hour of their metrics")
    recs: list[Recommendation] = []
    if node_reason and node_type != group.node_type:
        recs.append(
            Recommendation(setting="node_type", current=group.node_type, proposed=node_type, reason=node_reason)
        )
    if replica_reason and replicas != group.replicas_per_node_group:
        recs.append(
            Recommendation(
                setting="replica_count",
                current=str(group.replicas_per_node_group),
                proposed=str(replicas),
                reason=replica_reason,
            )
        )
    params: dict[str, str] = {}
    for name, (value, reason) in _parameters(workload, current, m).items():
        if current.get(name) != value:
            params[name] = value
            recs.append(
                Recommendation(
                    setting=f"parameters.{name}", current=current.get(name, "unset"), proposed=value, reason=reason
                )
            )
    before = group.cost_usd_per_hour
    after = group_cost(node_type, group.node_groups * (1 + replicas))
    return Advice(
        workload=workload,
        node_type=node_type,
        replicas_per_node_group=replicas,
        parameters=params,
        findings=_findings(m),
        recommendations=recs,
        notes=notes,
        cost_usd_per_hour_before=before,
        cost_usd_per_hour_after=after,
        cost_usd_per_hour_delta=round(after - before, 4) if before is not None and after is not None else None,
    )


def tune_arguments(cache_id: str, group: CacheGroup, advice: Advice) -> dict[str, Any] | None:
    """The tune_cache arguments that carry out ``advice`` (None when nothing should change)."""
    args: dict[str, Any] = {"cache_id": cache_id}
    if advice.node_type != group.node_type:
        args["node_type"] = advice.node_type
    if advice.replicas_per_node_group != group.replicas_per_node_group:
        args["replica_count"] = advice.replicas_per_node_group
    if advice.parameters:
        args["parameters"] = dict(advice.parameters)
    return args if len(args) > 1 else None
