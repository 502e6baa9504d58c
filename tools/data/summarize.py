"""summarize_s3_metadata: how many objects and how many bytes, grouped, across one bucket or every
bucket with S3 Metadata.

Groups: storage class, key prefix at a depth ("datasets/web-qa/" is depth 2), the value of one tag
key, content type (the inventory has no Content-Type column: the key's extension stands for it) or
the day objects were last modified. It takes the filters of query_s3_metadata, shows the SQL it ran,
and gives exact totals from an aggregate query over the same filters (the groups may be cut at
``max_groups``; the totals never are).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, model_validator

from tools.aws import paged
from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.data.enable import metadata_configuration
from tools.data.query import (
    ATHENA_COST_NOTE,
    Engine,
    InventoryTarget,
    S3MetadataNotConfiguredError,
    content_type_notes,
    execute,
    human_bytes,
    inventory_target,
    totals,
    warnings_and_sql,
)
from tools.data.query_args import MetadataFilterArgs
from tools.data.sql import (
    CONTENT_TYPE_SUFFIXES,
    MAX_PREFIX_DEPTH,
    GroupBy,
    InventoryQuery,
    build_aggregate_query,
    build_summary_query,
)
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Kind

GROUP_SYNONYMS: dict[str, tuple[str, ...]] = {
    "storage_class": ("storage class", "class", "tier", "glacier", "archive"),
    "prefix": ("prefix", "folder", "directory", "path", "dataset"),
    "tag": ("tag",),
    "content_type": ("content type", "file type", "type", "extension", "format"),
    "modified_day": ("day", "date", "per day", "daily", "modified day"),
}
MAX_BUCKETS = 50
# The extension a content type is recognised by (the first of its suffixes that is one extension).
EXTENSION_TYPES = {}
for _type, _suffixes in CONTENT_TYPE_SUFFIXES.items():
    for _suffix in _suffixes:
        EXTENSION_TYPES.setdefault(_suffix.rsplit(".", 1)[-1], _type)
NONE_LABEL = {
    "storage_class": "(none)",
    "prefix": "(top level)",
    "tag": "(untagged)",
    "content_type": "(no extension)",
    "modified_day": "(none)",
}


class SummarizeS3MetadataArgs(MetadataFilterArgs):
    """summarize_s3_metadata's arguments: a bucket (or all), a grouping, and the filters."""

    group_by: Annotated[
        GroupBy,
        ArgKind(Kind.ENUM, synonyms=GROUP_SYNONYMS),
        Field(
            default="storage_class",
            description="Group the objects by storage_class (default), prefix (at prefix_depth), tag (the values of "
            "tag_key), content_type (from the file extension) or modified_day.",
        ),
    ] = "storage_class"
    prefix_depth: Annotated[
        int,
        ArgKind(Kind.NUMBER),
        Field(default=1, ge=1, le=MAX_PREFIX_DEPTH, description="Folders deep for group_by=prefix: 1 is 'datasets/'."),
    ] = 1
    tag_key: Annotated[
        str | None,
        ArgKind(Kind.TEXT, required_when=("group_by", "tag")),
        Field(default=None, min_length=1, max_length=128, description="The tag whose values group the objects."),
    ] = None
    max_groups: Annotated[
        int, ArgKind(Kind.LIMIT), Field(default=50, ge=1, le=1000, description="Most groups to show (1-1000).")
    ] = 50

    @model_validator(mode="after")
    def _tag_key(self) -> SummarizeS3MetadataArgs:
        if self.group_by == "tag" and not self.tag_key:
            raise ToolInputError("tag_key", None, "the tag whose values group the objects, e.g. dataset")
        return self


class Group(BaseModel):
    """One group's objects and bytes."""

    group: str
    objects: int
    bytes: int
    percent_of_bytes: float


class BucketTotal(BaseModel):
    """One bucket's share of the match."""

    bucket: str
    objects: int
    bytes: int
    inventory_status: str


class S3MetadataSummary(BaseModel):
    """summarize_s3_metadata's result."""

    buckets: list[BucketTotal]
    buckets_without_metadata: list[str] = Field(
        default_factory=list, description="Buckets seen that have no S3 Metadata inventory to read."
    )
    group_by: str
    tag_key: str | None = None
    prefix_depth: int | None = None
    groups: list[Group]
    groups_cut: bool = Field(description="True when some bucket had more groups than max_groups.")
    total_objects: int
    total_bytes: int
    engine: Engine
    sql: str = Field(description="The grouping query (for the first bucket; each bucket runs it on its own table).")
    aggregate_sql: str
    parameters: list[str | int]
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def _targets(ctx: ToolContext, args: SummarizeS3MetadataArgs) -> tuple[list[tuple[str, InventoryTarget]], list[str]]:
    """The buckets to read and their inventory tables, and the buckets without one."""
    if args.bucket:
        return [(args.bucket, inventory_target(ctx, args.bucket))], []
    s3 = ctx.clients.client("s3")
    names = sorted(b["Name"] for b in paged(s3.list_buckets, "Buckets", limit=10_000, token="ContinuationToken"))
    found, without = [], []
    for name in names:
        config = metadata_configuration(ctx, name)
        inventory = (config or {}).get("InventoryTableConfigurationResult") or {}
        if inventory.get("ConfigurationState") == "ENABLED" and inventory.get("TableStatus") != "FAILED":
            found.append((name, inventory_target(ctx, name)))
        else:
            without.append(name)
    if not found:
        raise S3MetadataNotConfiguredError(
            "no bucket has an S3 Metadata inventory table to summarize; turn it on with enable_s3_metadata"
        )
    if len(found) > MAX_BUCKETS:
        raise ToolInputError("bucket", None, f"{len(found)} buckets have S3 Metadata; name one (at most {MAX_BUCKETS})")
    return found, without


def _queries(
    ctx: ToolContext, args: SummarizeS3MetadataArgs, bucket: str, target: InventoryTarget
) -> tuple[InventoryQuery, InventoryQuery]:
    filters, catalog = args.filters(bucket), ctx.settings.s3_metadata_catalog
    summary = build_summary_query(
        filters,
        catalog,
        target.namespace,
        args.group_by,
        prefix_depth=args.prefix_depth,
        tag_key=args.tag_key,
        max_groups=args.max_groups,
        table_name=target.table,
    )
    return summary, build_aggregate_query(filters, catalog, target.namespace, target.table)


def _label(group_by: str, raw: Any) -> str:
    text = "" if raw is None else str(raw)
    if not text:
        return NONE_LABEL[group_by]
    if group_by == "content_type":
        return f"{EXTENSION_TYPES.get(text, 'unknown')} (.{text})"
    return text


def plan_summarize(ctx: ToolContext, args: SummarizeS3MetadataArgs) -> Plan:
    """The buckets and the SQL that would run; reads configurations only."""
    targets, without = _targets(ctx, args)
    summary, aggregate = _queries(ctx, args, *targets[0])
    where = ", ".join(f"s3://{b}" for b, _ in targets)
    return Plan(
        summary=f"summarize the S3 Metadata inventory of {where} by {args.group_by}",
        cost_note="sandbox: free" if ctx.clients.is_sandbox else f"{ATHENA_COST_NOTE} (two queries per bucket)",
        facts={
            "buckets": [b for b, _ in targets],
            "buckets_without_metadata": without,
            "sql": summary.sql,
            "aggregate_sql": aggregate.sql,
            "parameters": summary.values(),
        },
        warnings=[w for _, t in targets for w in t.warnings] + content_type_notes(args),
    )


def run_summarize(ctx: ToolContext, args: SummarizeS3MetadataArgs) -> S3MetadataSummary:
    """Per bucket: the grouping query and the aggregate query; groups merged across buckets."""
    targets, without = _targets(ctx, args)
    merged: dict[str, list[int]] = {}
    buckets, cut, warnings = [], False, []
    first: tuple[InventoryQuery, InventoryQuery] | None = None
    engine: Engine = "duckdb-sandbox"
    for bucket, target in targets:
        summary, aggregate = _queries(ctx, args, bucket, target)
        first = first or (summary, aggregate)
        grouped = execute(ctx, summary, bucket, args.max_groups)
        engine = grouped.engine
        objects, size = totals(execute(ctx, aggregate, bucket, 1))
        cut |= len(grouped.rows) >= args.max_groups and sum(int(r["objects"] or 0) for r in grouped.rows) < objects
        for row in grouped.rows:
            entry = merged.setdefault(_label(args.group_by, row.get("group_key")), [0, 0])
            entry[0] += int(row["objects"] or 0)
            entry[1] += int(row["bytes"] or 0)
        buckets.append(BucketTotal(bucket=bucket, objects=objects, bytes=size, inventory_status=target.status))
        warnings += [f"s3://{bucket}: {w}" for w in target.warnings]
    assert first is not None
    total_objects, total_bytes = sum(b.objects for b in buckets), sum(b.bytes for b in buckets)
    ordered = sorted(merged.items(), key=lambda kv: (-kv[1][1], kv[0]))[: args.max_groups]
    groups = [
        Group(group=k, objects=n, bytes=b, percent_of_bytes=round(100 * b / total_bytes, 1) if total_bytes else 0.0)
        for k, (n, b) in ordered
    ]
    notes = content_type_notes(args)
    if args.group_by == "content_type":
        notes.append("the inventory has no Content-Type column: objects are grouped by the extension of their key")
    return S3MetadataSummary(
        buckets=buckets,
        buckets_without_metadata=without,
        group_by=args.group_by,
        tag_key=args.tag_key,
        prefix_depth=args.prefix_depth if args.group_by == "prefix" else None,
        groups=groups,
        groups_cut=cut or len(merged) > args.max_groups,
        total_objects=total_objects,
        total_bytes=total_bytes,
        engine=engine,
        sql=first[0].sql,
        aggregate_sql=first[1].sql,
        parameters=first[0].values(),
        warnings=warnings,
        notes=notes,
    )


def render_summarize(r: S3MetadataSummary) -> str:
    """The total, one line per group, the buckets, then the SQL."""
    where = f"s3://{r.buckets[0].bucket}" if len(r.buckets) == 1 else f"{len(r.buckets)} buckets"
    by = {"tag": f"tag {r.tag_key}", "prefix": f"prefix (depth {r.prefix_depth})"}.get(r.group_by, r.group_by)
    lines = [
        f"{r.total_objects:,} objects in {where}, {human_bytes(r.total_bytes)} in total ({r.total_bytes:,} bytes), "
        f"by {by}:"
    ]
    width = max((len(g.group) for g in r.groups), default=10)
    for g in r.groups:
        lines.append(
            f"  {g.group:<{width}}  {g.objects:>8,} objects  {human_bytes(g.bytes):>12}  {g.percent_of_bytes:>5.1f} %"
        )
    if r.groups_cut:
        lines.append("  (more groups than shown: raise max_groups)")
    if len(r.buckets) > 1:
        lines.append("buckets: " + ", ".join(f"{b.bucket} {human_bytes(b.bytes)} ({b.objects:,})" for b in r.buckets))
    if r.buckets_without_metadata:
        lines.append("without S3 Metadata (not counted): " + ", ".join(r.buckets_without_metadata))
    each = " on each bucket's table" if len(r.buckets) > 1 else ""
    return "\n".join(lines + warnings_and_sql(r, each))


SUMMARIZE_TOOL = Tool(
    name="summarize_s3_metadata",
    description=(
        "Count objects and bytes from S3 Metadata, grouped by storage class, key prefix (at a depth), a tag's "
        "values, content type or modified day, for one bucket or every bucket with S3 Metadata; the same filters "
        "as query_s3_metadata; exact totals and the SQL."
    ),
    label="summarize S3 Metadata (how many objects, how big, by class, prefix, tag, type or day)",
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=SummarizeS3MetadataArgs,
    plan=plan_summarize,
    run=run_summarize,
    render=render_summarize,
    phrasings=(
        "how much data is in {bucket}",
        "how much data (do we have|is there|have we got|we have) in [the] [bucket] {bucket} [by {group_by}]",
        "how (big|large) is [the] [bucket] {bucket}",
        "[the] [bucket] {bucket} [total] (size|usage|footprint) [by {group_by} [key] [{tag_key}]]",
        "[the] [bucket] {bucket} (by|per) {group_by} [key] [{tag_key}]",
        "how (big|large) is {bucket} [bucket] in total",
        "how many objects [are] in {bucket} and how big [in total]",
        "how much data is in {storage_class} [in {bucket}]",
        "(summarize|break down) {bucket} by {group_by} [key] [{tag_key}]",
        "(storage|data) [used] per {group_by} [in {bucket}]",
        "how big is each (prefix|folder|dataset) in {bucket}",
        "(total|totals) [size] of {bucket} by [the] {group_by} {tag_key}",
        "how much did we (add|upload) (per|by|each) {group_by} [to {bucket}] [since {modified_after}]",
    ),
)
