"""Reading an ElastiCache replication group: shape, engine, parameter group, parameters, metrics, cost.

Shared by describe_cache, recommend_cache_tuning and tune_cache (whose plan and run both read
the group first, so a rerun only does what is still missing). Only read operations are used.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

from pydantic import BaseModel, Field

from tools.aws import describe_or_none, paged
from tools.base import ToolContext
from tools.cache.params import parameter_group_family
from tools.catalog import catalog, price
from tools.errors import ToolInputError

NAMESPACE = "AWS/ElastiCache"
WINDOW = timedelta(hours=1)
PERIOD_SECONDS = 300
MAX_QUERIES = 500  # GetMetricData's limit per request
# Metric -> the statistic read per 5-minute period.
STATS = {
    "CacheHitRate": "Average",
    "CacheHits": "Sum",
    "CacheMisses": "Sum",
    "Evictions": "Sum",
    "DatabaseMemoryUsagePercentage": "Maximum",
    "BytesUsedForCache": "Maximum",
    "CurrConnections": "Maximum",
    "EngineCPUUtilization": "Average",
    "GetTypeCmds": "Sum",
    "SetTypeCmds": "Sum",
}


class CacheGroup(BaseModel):
    """A replication group as opsbot reasons about it."""

    cache_id: str
    engine: str
    engine_version: str
    status: str
    node_type: str
    node_groups: int = Field(description="Shards.")
    replicas_per_node_group: int
    total_nodes: int
    cluster_mode: bool
    automatic_failover: str
    multi_az: str
    parameter_group: str
    parameter_group_status: str
    parameter_group_family: str
    members: list[str]
    primary_endpoint: str | None = None
    reader_endpoint: str | None = None
    node_memory_gib: float | None = None
    price_usd_per_node_hour: float | None = None
    cost_usd_per_hour: float | None = Field(default=None, description="Every node of the group, list price.")

    @property
    def min_replicas(self) -> int:
        """Automatic failover and Multi-AZ need a replica to fail over to."""
        return 1 if "enabled" in (self.automatic_failover, self.multi_az) else 0


class NodeMetrics(BaseModel):
    """One node's last hour."""

    cache_cluster_id: str
    datapoints: int = 0
    hit_rate_percent: float | None = None
    evictions: float | None = None
    memory_percent_max: float | None = None
    memory_percent_avg: float | None = None
    memory_percent_latest: float | None = None
    evictions_latest: float | None = None
    bytes_used_max: float | None = None
    engine_cpu_percent_max: float | None = Field(default=None, description="Highest 5-minute average.")
    engine_cpu_percent_avg: float | None = None
    connections_max: float | None = None
    get_commands: float | None = None
    set_commands: float | None = None


class CacheMetrics(BaseModel):
    """The group's last hour in CloudWatch (AWS/ElastiCache, one CacheClusterId per node)."""

    window_minutes: int = int(WINDOW.total_seconds() // 60)
    period_seconds: int = PERIOD_SECONDS
    datapoints: int = 0
    hit_rate_percent: float | None = None
    cache_hits: float | None = None
    cache_misses: float | None = None
    evictions: float | None = Field(default=None, description="All nodes, whole window.")
    evictions_per_minute: float | None = None
    memory_percent_max: float | None = None
    memory_percent_avg: float | None = None
    memory_percent_latest: float | None = Field(default=None, description="Fullest node, most recent period.")
    evictions_latest: float | None = Field(default=None, description="All nodes, most recent period.")
    bytes_used_max: float | None = Field(default=None, description="BytesUsedForCache peak of the fullest node.")
    engine_cpu_percent_max: float | None = None
    engine_cpu_percent_avg: float | None = None
    connections: float | None = Field(default=None, description="Sum over nodes of each node's peak.")
    get_commands: float | None = None
    set_commands: float | None = None
    reads_per_write: float | None = None
    nodes: list[NodeMetrics] = Field(default_factory=list)


def _now() -> datetime:
    """The end of the metrics window; a seam so tests can let time pass."""
    return datetime.now(UTC)


def group_cost(node_type: str, nodes: int) -> float | None:
    """Hourly cost of ``nodes`` nodes of ``node_type``."""
    unit = price(node_type)
    return round(unit * nodes, 4) if unit is not None else None


def read_group(ctx: ToolContext, cache_id: str) -> CacheGroup:
    """The replication group ``cache_id``; an unknown id is a ToolInputError listing the existing ones."""
    ec = ctx.clients.client("elasticache")
    found = describe_or_none(ec.describe_replication_groups, ReplicationGroupId=cache_id)
    if found is None:
        if describe_or_none(ec.describe_serverless_caches, ServerlessCacheName=cache_id):
            raise ToolInputError(
                "cache_id",
                cache_id,
                "is a serverless cache: it has no nodes, replicas or parameter group to read or tune (list_caches "
                "shows what it stores and costs)",
            )
        ids = [
            g["ReplicationGroupId"] for g in paged(ec.describe_replication_groups, "ReplicationGroups", 50, "Marker")
        ]
        raise ToolInputError(
            "cache_id",
            cache_id,
            f"no ElastiCache replication group with that id in {ctx.region}; existing: " + (", ".join(ids) or "none"),
        )
    rg = found["ReplicationGroups"][0]
    groups = rg.get("NodeGroups") or []
    members = [m for g in groups for m in g.get("NodeGroupMembers", [])]
    primary = next((m["CacheClusterId"] for m in members if m.get("CurrentRole") == "primary"), rg["MemberClusters"][0])
    cluster = ec.describe_cache_clusters(CacheClusterId=primary)["CacheClusters"][0]
    pg = cluster.get("CacheParameterGroup", {})
    engine = rg.get("Engine") or cluster.get("Engine", "redis")
    version = cluster.get("EngineVersion", "")
    node_type = rg["CacheNodeType"]
    total = len(rg["MemberClusters"])
    shards = max(1, len(groups))
    row = catalog().get(node_type)
    first = groups[0] if groups else {}
    return CacheGroup(
        cache_id=rg["ReplicationGroupId"],
        engine=engine,
        engine_version=version,
        status=rg["Status"],
        node_type=node_type,
        node_groups=shards,
        replicas_per_node_group=max(0, len(first.get("NodeGroupMembers", [])) - 1) if first else total // shards - 1,
        total_nodes=total,
        cluster_mode=bool(rg.get("ClusterEnabled")),
        automatic_failover=rg.get("AutomaticFailover", "disabled"),
        multi_az=rg.get("MultiAZ", "disabled"),
        parameter_group=pg.get("CacheParameterGroupName", ""),
        parameter_group_status=pg.get("ParameterApplyStatus", ""),
        parameter_group_family=parameter_group_family(engine, version),
        members=list(rg["MemberClusters"]),
        primary_endpoint=(first.get("PrimaryEndpoint") or rg.get("ConfigurationEndpoint") or {}).get("Address"),
        reader_endpoint=(first.get("ReaderEndpoint") or {}).get("Address"),
        node_memory_gib=row.memory_gib if row else None,
        price_usd_per_node_hour=row.price_usd_per_hour if row else None,
        cost_usd_per_hour=group_cost(node_type, total),
    )


def read_parameters(ctx: ToolContext, group_name: str, source: str | None = None) -> dict[str, str]:
    """Every parameter of a parameter group (``source="user"``: only those set on it)."""
    ec = ctx.clients.client("elasticache")
    kwargs: dict[str, Any] = {"CacheParameterGroupName": group_name} | ({"Source": source} if source else {})
    parameters = paged(ec.describe_cache_parameters, "Parameters", limit=10_000, token="Marker", **kwargs)
    return {p["ParameterName"]: p["ParameterValue"] for p in parameters if "ParameterValue" in p}


def parameter_group_family_of(ctx: ToolContext, group_name: str) -> str | None:
    """The family of an existing parameter group, or None if there is no group of that name."""
    ec = ctx.clients.client("elasticache")
    found = describe_or_none(ec.describe_cache_parameter_groups, CacheParameterGroupName=group_name)
    groups = (found or {}).get("CacheParameterGroups") or []
    return groups[0]["CacheParameterGroupFamily"] if groups else None


Series = dict[tuple[str, str], list[tuple[datetime, float]]]


def _series(ctx: ToolContext, members: list[str], now: datetime) -> Series:
    cw = ctx.clients.client("cloudwatch")
    queries = [
        (f"q{i}", node, metric)
        for i, (node, metric) in enumerate((node, metric) for node in members for metric in STATS)
    ]
    series: Series = {(node, metric): [] for _, node, metric in queries}
    by_id = {qid: (node, metric) for qid, node, metric in queries}
    for start in range(0, len(queries), MAX_QUERIES):
        batch = [
            {
                "Id": qid,
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": metric,
                        "Dimensions": [{"Name": "CacheClusterId", "Value": node}],
                    },
                    "Period": PERIOD_SECONDS,
                    "Stat": STATS[metric],
                },
            }
            for qid, node, metric in queries[start : start + MAX_QUERIES]
        ]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"MetricDataQueries": batch, "StartTime": now - WINDOW, "EndTime": now}
            if token:
                kwargs["NextToken"] = token
            page = cw.get_metric_data(**kwargs)
            for result in page.get("MetricDataResults", []):
                points = zip(result.get("Timestamps", []), result.get("Values", []), strict=False)
                series[by_id[result["Id"]]] += [(t, float(v)) for t, v in points]
            token = page.get("NextToken")
            if not token:
                break
    return series


def _total(values: list[float]) -> float | None:
    return sum(values) if values else None


def _mean(values: list[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _peak(values: list[float]) -> float | None:
    return round(max(values), 2) if values else None


def _sum_known(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def _latest(points: list[tuple[datetime, float]]) -> float | None:
    return round(max(points, key=lambda p: p[0])[1], 2) if points else None


def read_metrics(ctx: ToolContext, group: CacheGroup, now: datetime | None = None) -> CacheMetrics:
    """The last hour of the group's key metrics, per node and for the whole group."""
    now = now or _now()
    timed = _series(ctx, group.members, now)
    series = {key: [v for _, v in points] for key, points in timed.items()}
    nodes = [
        NodeMetrics(
            cache_cluster_id=node,
            datapoints=max(len(series[(node, metric)]) for metric in STATS),
            hit_rate_percent=_mean(series[(node, "CacheHitRate")]),
            evictions=_total(series[(node, "Evictions")]),
            memory_percent_max=_peak(series[(node, "DatabaseMemoryUsagePercentage")]),
            memory_percent_avg=_mean(series[(node, "DatabaseMemoryUsagePercentage")]),
            memory_percent_latest=_latest(timed[(node, "DatabaseMemoryUsagePercentage")]),
            evictions_latest=_latest(timed[(node, "Evictions")]),
            bytes_used_max=_peak(series[(node, "BytesUsedForCache")]),
            engine_cpu_percent_max=_peak(series[(node, "EngineCPUUtilization")]),
            engine_cpu_percent_avg=_mean(series[(node, "EngineCPUUtilization")]),
            connections_max=_peak(series[(node, "CurrConnections")]),
            get_commands=_total(series[(node, "GetTypeCmds")]),
            set_commands=_total(series[(node, "SetTypeCmds")]),
        )
        for node in group.members
    ]
    hits = _sum_known([_total(series[(n, "CacheHits")]) for n in group.members])
    misses = _sum_known([_total(series[(n, "CacheMisses")]) for n in group.members])
    if hits is not None and misses is not None and hits + misses > 0:
        hit_rate: float | None = round(100 * hits / (hits + misses), 2)
    else:
        hit_rate = _mean([n.hit_rate_percent for n in nodes if n.hit_rate_percent is not None])
    evictions = _sum_known([n.evictions for n in nodes])
    gets = _sum_known([n.get_commands for n in nodes])
    sets = _sum_known([n.set_commands for n in nodes])
    minutes = WINDOW.total_seconds() / 60
    return CacheMetrics(
        datapoints=sum(len(v) for v in series.values()),
        hit_rate_percent=hit_rate,
        cache_hits=hits,
        cache_misses=misses,
        evictions=evictions,
        evictions_per_minute=round(evictions / minutes, 1) if evictions is not None else None,
        memory_percent_max=_peak([n.memory_percent_max for n in nodes if n.memory_percent_max is not None]),
        memory_percent_avg=_mean([n.memory_percent_avg for n in nodes if n.memory_percent_avg is not None]),
        memory_percent_latest=_peak([n.memory_percent_latest for n in nodes if n.memory_percent_latest is not None]),
        evictions_latest=_sum_known([n.evictions_latest for n in nodes]),
        bytes_used_max=_peak([n.bytes_used_max for n in nodes if n.bytes_used_max is not None]),
        engine_cpu_percent_max=_peak([n.engine_cpu_percent_max for n in nodes if n.engine_cpu_percent_max is not None]),
        engine_cpu_percent_avg=_mean([n.engine_cpu_percent_avg for n in nodes if n.engine_cpu_percent_avg is not None]),
        connections=_sum_known([n.connections_max for n in nodes]),
        get_commands=gets,
        set_commands=sets,
        reads_per_write=round(gets / sets, 2) if gets is not None and sets else None,
        nodes=nodes,
    )
