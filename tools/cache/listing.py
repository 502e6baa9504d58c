"""list_caches: every ElastiCache replication group and serverless cache, with engine, node type,
replicas and what it costs per hour.

Node-based groups cost their nodes' list price (the instance catalog). Serverless caches are billed
by use: data stored and ElastiCache Processing Units, read from the last hour in CloudWatch and priced
from the catalog's serverless rates; with no data yet, the stored-data minimum is what it costs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from tools.aws import paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.cache.read import group_cost
from tools.catalog import catalog, money

NAMESPACE = "AWS/ElastiCache"
WINDOW = timedelta(hours=1)


class ListCachesArgs(ToolArgs):
    """No arguments: every cache of the account and region."""


class CacheRow(BaseModel):
    """One cache of the list."""

    cache_id: str
    kind: str = Field(description="replication-group or serverless.")
    engine: str
    engine_version: str | None = None
    status: str
    node_type: str | None = None
    shards: int | None = None
    replicas_per_shard: int | None = None
    total_nodes: int | None = None
    data_stored_gb: float | None = Field(default=None, description="Serverless: last hour's average.")
    ecpu_per_second: float | None = Field(default=None, description="Serverless: last hour's average.")
    cost_usd_per_hour: float | None
    cost_note: str | None = None


class CacheList(BaseModel):
    """list_caches' result."""

    region: str
    caches: list[CacheRow]
    total_cost_usd_per_hour: float


def _versions(ctx: ToolContext) -> dict[str, str]:
    """Engine version of each replication group, from its member clusters (the group does not say)."""
    ec = ctx.clients.client("elasticache")
    clusters = paged(ec.describe_cache_clusters, "CacheClusters", limit=10_000, token="Marker", MaxRecords=100)
    return {c["ReplicationGroupId"]: c.get("EngineVersion", "") for c in clusters if c.get("ReplicationGroupId")}


def _group_row(rg: dict[str, Any], version: str | None) -> CacheRow:
    groups = rg.get("NodeGroups") or []
    total = len(rg.get("MemberClusters") or [])
    shards = max(1, len(groups))
    replicas = max(0, len(groups[0].get("NodeGroupMembers", [])) - 1) if groups else max(0, total // shards - 1)
    node_type = rg.get("CacheNodeType")
    return CacheRow(
        cache_id=rg["ReplicationGroupId"],
        kind="replication-group",
        engine=rg.get("Engine") or "redis",
        engine_version=version,
        status=rg["Status"],
        node_type=node_type,
        shards=shards,
        replicas_per_shard=replicas,
        total_nodes=total,
        cost_usd_per_hour=group_cost(node_type, total) if node_type else None,
    )


def _usage(ctx: ToolContext, names: list[str], now: datetime) -> dict[str, tuple[float | None, float | None]]:
    """name -> (average GB stored, average ECPUs a second) over the last hour."""
    if not names:
        return {}
    cw = ctx.clients.client("cloudwatch")
    queries = []
    for i, name in enumerate(names):
        for j, (metric, stat) in enumerate((("BytesUsedForCache", "Average"), ("ElastiCacheProcessingUnits", "Sum"))):
            queries.append(
                {
                    "Id": f"s{i}_{j}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": NAMESPACE,
                            "MetricName": metric,
                            "Dimensions": [{"Name": "clusterId", "Value": name}],
                        },
                        "Period": int(WINDOW.total_seconds()),
                        "Stat": stat,
                    },
                }
            )
    values: dict[str, list[float]] = {}
    token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": now - WINDOW, "EndTime": now}
        if token:
            kwargs["NextToken"] = token
        page = cw.get_metric_data(**kwargs)
        for result in page.get("MetricDataResults", []):
            values.setdefault(result["Id"], []).extend(result.get("Values", []))
        token = page.get("NextToken")
        if not token:
            break
    out = {}
    for i, name in enumerate(names):
        stored, ecpus = values.get(f"s{i}_0"), values.get(f"s{i}_1")
        out[name] = (
            round(sum(stored) / len(stored) / 1e9, 2) if stored else None,
            round(sum(ecpus) / WINDOW.total_seconds(), 1) if ecpus else None,
        )
    return out


def _serverless_row(cache: dict[str, Any], usage: tuple[float | None, float | None]) -> CacheRow:
    engine = cache.get("Engine", "valkey")
    rates = catalog().serverless_caches.get(engine)
    stored, ecpus = usage
    cost: float | None = None
    note = None
    if rates is not None:
        cost = round(rates.per_hour(stored or 0.0, ecpus or 0.0), 3)
        note = (
            f"billed by use: {stored or 0:g} GB x {money(rates.usd_per_gb_hour, digits=4)}/GB-h + "
            f"{ecpus or 0:,.0f} ECPU/s x {money(rates.usd_per_million_ecpu, digits=4)}/million"
            + ("" if stored is not None else f" (no usage in the last hour: the {rates.minimum_gb:g} GB minimum)")
        )
    return CacheRow(
        cache_id=cache["ServerlessCacheName"],
        kind="serverless",
        engine=engine,
        engine_version=cache.get("FullEngineVersion") or cache.get("MajorEngineVersion"),
        status=cache.get("Status", "?"),
        data_stored_gb=stored,
        ecpu_per_second=ecpus,
        cost_usd_per_hour=cost,
        cost_note=note,
    )


def list_caches(ctx: ToolContext) -> CacheList:
    """Replication groups, then serverless caches, by name; shared with summarize_spend."""
    ec = ctx.clients.client("elasticache")
    groups = paged(ec.describe_replication_groups, "ReplicationGroups", limit=10_000, token="Marker", MaxRecords=100)
    versions = _versions(ctx) if groups else {}
    rows = sorted((_group_row(g, versions.get(g["ReplicationGroupId"])) for g in groups), key=lambda r: r.cache_id)
    serverless = paged(ec.describe_serverless_caches, "ServerlessCaches", limit=10_000, MaxResults=100)
    names = [c["ServerlessCacheName"] for c in serverless if c.get("Status") == "available"]
    usage = _usage(ctx, names, datetime.now(UTC).replace(second=0, microsecond=0))
    rows += sorted(
        (_serverless_row(c, usage.get(c["ServerlessCacheName"], (None, None))) for c in serverless),
        key=lambda r: r.cache_id,
    )
    total = round(sum(r.cost_usd_per_hour or 0.0 for r in rows), 3)
    return CacheList(region=ctx.region, caches=rows, total_cost_usd_per_hour=total)


def run_list(ctx: ToolContext, args: ListCachesArgs) -> CacheList:
    """Every replication group and serverless cache."""
    return list_caches(ctx)


def render_list(r: CacheList) -> str:
    """One line per cache after the total."""
    if not r.caches:
        return f"No ElastiCache caches in {r.region}."
    lines = [
        f"{len(r.caches)} cache(s) in {r.region}, {money(r.total_cost_usd_per_hour, per_hour=True, digits=3)} in total:"
    ]
    for c in r.caches:
        engine = f"{c.engine} {c.engine_version or ''}".strip()
        cost = money(c.cost_usd_per_hour, per_hour=True, digits=3)
        if c.kind == "serverless":
            use = (
                f"{c.data_stored_gb:g} GB stored, {c.ecpu_per_second:,.0f} ECPU/s"
                if c.data_stored_gb is not None
                else "no usage yet"
            )
            lines.append(f"- {c.cache_id}: serverless {engine}, {c.status}, {use}, {cost} (billed by use)")
        else:
            shape = f"{c.shards} shard(s) x (1 + {c.replicas_per_shard} replicas) = {c.total_nodes} x {c.node_type}"
            lines.append(f"- {c.cache_id}: {engine}, {c.status}, {shape}, {cost}")
    return "\n".join(lines)


LIST_TOOL = Tool(
    name="list_caches",
    description=(
        "List the ElastiCache caches: replication groups (engine, node type, shards, replicas) and serverless "
        "caches (data stored, ECPUs), each with its cost per hour."
    ),
    label="list caches",
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=ListCachesArgs,
    run=run_list,
    render=render_list,
    phrasings=(
        "(list|show) [me] [all] [the] caches",
        "(list|show) [the] (elasticache|valkey|redis) (caches|clusters)",
        "what caches (do we have|are there|are running)",
        "which caches (are running|are there|do we have|exist)",
        "(show|list) [me] [all] [the] (elasticache|valkey|redis) (caches|clusters)",
        "which (elasticache|valkey) caches (exist|do we have)",
        "how much do [the] caches cost",
        "(list|show) [the] serverless caches",
    ),
)
