"""query_s3_metadata: which objects of a bucket match, from its S3 Metadata live inventory table.

It answers questions about a bucket's objects (size, age, storage class, type, tags) on Athena in
live mode and on DuckDB over the sandbox's buckets otherwise, with the same SQL (``sql``); its
arguments are in ``query_args``. The rows come in the order asked (size, last modified or key), and
a second, aggregate query counts and sums the whole match, so "how many" and "how big in total" are
exact whatever the row limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.base import Effect, Plan, Risk, Tool, ToolContext
from tools.data import athena
from tools.data.enable import metadata_configuration
from tools.data.query_args import QueryS3MetadataArgs
from tools.data.sql import (
    CONTENT_TYPE_SUFFIXES,
    DEFAULT_TABLE,
    InventoryQuery,
    build_aggregate_query,
    build_inventory_query,
    default_namespace,
)
from tools.errors import OpsbotError

ATHENA_COST_NOTE = "Athena bills $5 per TB scanned (10 MB minimum per query); an inventory scan is usually far smaller"
Engine = Literal["athena", "duckdb-sandbox"]


class S3MetadataNotConfiguredError(OpsbotError):
    """The bucket has no S3 Metadata inventory to query."""


# ----------------------------------------------------------------------- the inventory table
@dataclass
class InventoryTarget:
    """Where a bucket's inventory table is, and what to tell people about its state."""

    namespace: str
    table: str
    status: str
    warnings: list[str] = field(default_factory=list)


def inventory_target(ctx: ToolContext, bucket: str) -> InventoryTarget:
    config = metadata_configuration(ctx, bucket)
    enable = f"enable it with enable_s3_metadata (bucket={bucket}), which needs approval"
    if config is None:
        raise S3MetadataNotConfiguredError(
            f"bucket {bucket} has no S3 Metadata configuration, so nothing to query; {enable}"
        )
    inventory = config.get("InventoryTableConfigurationResult") or {}
    if inventory.get("ConfigurationState") != "ENABLED":
        raise S3MetadataNotConfiguredError(
            f"bucket {bucket} has S3 Metadata without a live inventory table, so nothing to query; {enable}"
        )
    status = str(inventory.get("TableStatus") or "UNKNOWN")
    if status == "FAILED":
        err = inventory.get("Error") or {}
        raise S3MetadataNotConfiguredError(
            f"the inventory table of bucket {bucket} failed: {err.get('ErrorCode', '?')}: {err.get('ErrorMessage', '')}"
        )
    warnings = []
    if status != "ACTIVE":
        warnings.append(f"the inventory table is {status}: results may be incomplete until it is ACTIVE")
    namespace = (config.get("DestinationResult") or {}).get("TableNamespace") or default_namespace(bucket)
    return InventoryTarget(namespace, str(inventory.get("TableName") or DEFAULT_TABLE), status, warnings)


# --------------------------------------------------------------------- query_s3_metadata
class S3ObjectRow(BaseModel):
    """One object of the answer."""

    key: str
    size_bytes: int
    last_modified: str = Field(description="UTC, ISO 8601.")
    storage_class: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class S3MetadataQueryResult(BaseModel):
    """query_s3_metadata's result: the rows, the exact count and size of the whole match, and the SQL."""

    bucket: str
    engine: Engine
    table: str
    sql: str
    parameters: list[str | int]
    aggregate_sql: str = Field(description="The query that counted and summed the whole match.")
    order_by: str
    descending: bool
    row_count: int = Field(description="Rows returned.")
    returned_bytes: int = Field(description="Size of the rows returned.")
    matched_count: int = Field(description="Every object that matches (the aggregate query), not only those returned.")
    total_size_bytes: int = Field(description="Total size of every object that matches (the aggregate query).")
    limit: int
    limit_reached: bool = Field(description="True when more objects match than were returned.")
    rows: list[S3ObjectRow]
    query_execution_id: str | None = None
    data_scanned_bytes: int | None = None
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def _query(ctx: ToolContext, args: QueryS3MetadataArgs) -> tuple[InventoryTarget, InventoryQuery, InventoryQuery]:
    target = inventory_target(ctx, args.bucket)
    filters, catalog = args.query_filters(), ctx.settings.s3_metadata_catalog
    rows = build_inventory_query(filters, catalog, target.namespace, target.table)
    return target, rows, build_aggregate_query(filters, catalog, target.namespace, target.table)


def content_type_notes(args: Any) -> list[str]:
    if not args.content_type:
        return []
    suffixes = ", ".join(CONTENT_TYPE_SUFFIXES[args.content_type])
    return [f"the inventory has no Content-Type column: {args.content_type} is matched by key suffix ({suffixes})"]


def plan_query(ctx: ToolContext, args: QueryS3MetadataArgs) -> Plan:
    """The SQL that would run and where; reads the bucket's metadata configuration, writes nothing."""
    target, query, aggregate = _query(ctx, args)
    sandbox = ctx.clients.is_sandbox
    order = f"{args.order_by} {'descending' if args.is_descending else 'ascending'}"
    return Plan(
        summary=f"query the S3 Metadata inventory of s3://{args.bucket} (at most {args.limit} objects by {order}, "
        "and the count and size of all that match)",
        cost_note="sandbox: free" if sandbox else ATHENA_COST_NOTE + " (two queries: the rows and the totals)",
        facts={
            "engine": "duckdb-sandbox" if sandbox else "athena",
            "table": query.table,
            "sql": query.sql,
            "aggregate_sql": aggregate.sql,
            "parameters": query.values(),
            "inventory_status": target.status,
        },
        warnings=target.warnings + content_type_notes(args),
    )


@dataclass
class Answer:
    """Rows of one query and where they came from."""

    rows: list[dict[str, Any]]
    engine: Engine
    query_execution_id: str | None = None
    data_scanned_bytes: int | None = None


def execute(ctx: ToolContext, query: InventoryQuery, bucket: str, limit: int) -> Answer:
    """Run ``query`` on Athena in live mode, on DuckDB over the sandbox's bucket otherwise."""
    if ctx.clients.is_sandbox:
        from tools.sandbox.inventory import run_query as run_in_sandbox

        return Answer(run_in_sandbox(ctx.clients.sandbox, query, bucket), "duckdb-sandbox")
    s = ctx.settings
    answer = athena.run(ctx.clients.client("athena"), query, s.athena_workgroup, s.athena_output_s3, limit)
    return Answer(answer.rows, "athena", answer.query_execution_id, answer.data_scanned_bytes)


def totals(answer: Answer) -> tuple[int, int]:
    """(objects, bytes) of an aggregate query's one row (Athena answers text)."""
    row = answer.rows[0] if answer.rows else {}
    return int(row.get("objects") or 0), int(row.get("bytes") or 0)


def _timestamp(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip().removesuffix(" UTC").replace(" ", "T", 1)
        value = datetime.fromisoformat(text)
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return value.isoformat(timespec="seconds") + "Z"
    return str(value)


def _tags(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    parsed = json.loads(value) if isinstance(value, str) else value
    return {str(k): str(v) for k, v in dict(parsed).items()}


def _row(raw: dict[str, Any]) -> S3ObjectRow:
    return S3ObjectRow(
        key=str(raw["key"]),
        size_bytes=int(raw["size"] or 0),
        last_modified=_timestamp(raw["last_modified_date"]),
        storage_class=raw.get("storage_class"),
        tags=_tags(raw.get("object_tags")),
    )


def run_query(ctx: ToolContext, args: QueryS3MetadataArgs) -> S3MetadataQueryResult:
    """Run the rows query and the aggregate query: Athena in live mode, DuckDB over the sandbox otherwise."""
    target, query, aggregate = _query(ctx, args)
    found = execute(ctx, query, args.bucket, args.limit)
    counted = execute(ctx, aggregate, args.bucket, 1)
    matched, total = totals(counted)
    rows = [_row(r) for r in found.rows]
    scanned = [n for n in (found.data_scanned_bytes, counted.data_scanned_bytes) if n is not None]
    return S3MetadataQueryResult(
        bucket=args.bucket,
        engine=found.engine,
        table=query.table,
        sql=query.sql,
        parameters=query.values(),
        aggregate_sql=aggregate.sql,
        order_by=args.order_by,
        descending=args.is_descending,
        row_count=len(rows),
        returned_bytes=sum(r.size_bytes for r in rows),
        matched_count=matched,
        total_size_bytes=total,
        limit=args.limit,
        limit_reached=matched > len(rows),
        rows=rows,
        query_execution_id=found.query_execution_id,
        data_scanned_bytes=sum(scanned) if scanned else None,
        warnings=target.warnings,
        notes=content_type_notes(args),
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _clean(text: str, width: int = 80) -> str:
    # Keys and tags are data from the bucket: shown on one line, never as extra output lines.
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= width else text[: width - 1] + "…"


def human_bytes(size: int) -> str:
    """Decimal units, as storage is billed: 1 GB = 1e9 bytes."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.2f} {unit}"
        value /= 1000
    return f"{size} B"


ORDER_WORDS = {
    ("size", True): "largest first",
    ("size", False): "smallest first",
    ("last_modified", True): "newest first",
    ("last_modified", False): "oldest first",
    ("key", False): "by key",
    ("key", True): "by key, Z to A",
}


def render_query(r: S3MetadataQueryResult) -> str:
    """The exact count and size of the match, the rows returned, then the SQL that found them."""
    if r.limit_reached:
        head = (
            f"{r.matched_count:,} objects in s3://{r.bucket} match, {human_bytes(r.total_size_bytes)} in total "
            f"({r.total_size_bytes:,} bytes); the {r.row_count} shown, {ORDER_WORDS[(r.order_by, r.descending)]}, "
            f"hold {human_bytes(r.returned_bytes)}:"
        )
    else:
        head = (
            f"{r.matched_count:,} objects in s3://{r.bucket}, {human_bytes(r.total_size_bytes)} in total "
            f"({r.total_size_bytes:,} bytes), {ORDER_WORDS[(r.order_by, r.descending)]}:"
        )
    lines = [head]
    for row in r.rows:
        tags = " ".join(f"{_clean(k, 40)}={_clean(v, 60)}" for k, v in sorted(row.tags.items()))
        when = row.last_modified.replace("T", " ")[:16]
        lines.append(
            f"  {when}  {human_bytes(row.size_bytes):>12}  {row.storage_class or '-':<19} {_clean(row.key, 100)}"
        )
        if tags:
            lines.append(f"      tags: {tags}")
    ran = f" (query {r.query_execution_id})" if r.query_execution_id else ""
    return "\n".join(lines + warnings_and_sql(r, ran))


def warnings_and_sql(r: Any, detail: str) -> list[str]:
    """The closing lines of query_s3_metadata's and summarize_s3_metadata's answers: warnings, notes,
    where the SQL ran (``detail`` after it), the SQL and the SQL of the totals."""
    lines = [f"warning: {w}" for w in r.warnings] + [f"note: {n}" for n in r.notes]
    where = "Athena" if r.engine == "athena" else "DuckDB over the sandbox inventory"
    lines.append(f"SQL run on {where}{detail}, parameters {r.parameters!r}:")
    lines += ["  " + line for line in r.sql.splitlines()]
    lines.append("and for the totals:")
    lines += ["  " + line for line in r.aggregate_sql.splitlines()]
    return lines


QUERY_TOOL = Tool(
    name="query_s3_metadata",
    description=(
        "Find objects in a bucket by prefix, size, last-modified time, storage class, content type and tags, "
        "ordered by size, last_modified or key (e.g. the biggest files), from its S3 Metadata inventory table; "
        "reports the exact count and total size of the whole match, and the SQL."
    ),
    label="query S3 Metadata (objects by prefix, size, date, class, tags; biggest, newest)",
    phrasings=(
        "(list|show|find|get|query|search|which|what|count|locate|look for) [me] [the|all|any] "
        "(objects|files|keys|shards|documents|things|data|stuff) [in|under|from|of|inside] [the] [s3] [bucket] "
        "[{bucket}] [bucket]",
        "(objects|files|keys|shards|documents) (in|under|from|of|inside) [the] [s3] [bucket] {bucket} [bucket]",
        "(query|search) [s3] metadata [for|in|on|of] [the] [bucket] [{bucket}]",
        "what is (in|under) [the] [bucket] {bucket}",
        "(what|which) (changed|was added|got added|is new|was uploaded|was modified) (in|to|under) [the] [bucket] "
        "{bucket}",
        "[show|list|get|give|find] [me|us] [the] [top|first] [{limit}] {order_by} (files|objects|keys|shards) "
        "[in|under|of|from] [the] [bucket] {bucket}",
        "(list|show|get) [the] {bucket} (files|objects|keys) {order_by}",
        "(list|show|get) [the] (files|objects|keys) (in|of|from) [the] [bucket] {bucket} {order_by}",
        "how many (objects|files) (are|in) [in] [the] {bucket}",
        "[objects|files] in [the] [bucket] {bucket}",
        "(over|above|bigger than|larger than|greater than|more than|at least|exceeding|>|>=) {min_size_bytes}",
        "(under|below|smaller than|less than|at most|up to|<|<=) {max_size_bytes}",
        "between {min_size_bytes} and {max_size_bytes}",
        "(added|modified|changed|uploaded|written|created|since|after|newer than|from) [in] [the] {modified_after}",
        "(in|within|during|over) [the] {modified_after}",
        "(before|until|older than|prior to|modified before|last modified before) {modified_before}",
        "(under|in|with) [the] (prefix|folder|directory|path) {prefix}",
        "under {prefix}",
        "prefix {prefix}",
        "(storage class|class|in) {storage_class}",
        "(tagged|with tag|with tags|tags) {tags}",
        "(top|first|limit|only) {limit}",
        "(content type|type) {content_type}",
        "{content_type} (files|objects|shards)",
        "only the ones (under|in) {prefix}",
        "(for|matching|containing|contains|with|like|named) {key_contains}",
        "(objects|files|keys|shards) (for|matching|containing|of|with) {key_contains} "
        "[in|under|from] [the] [s3] [bucket] [{bucket}]",
        "(anything|everything|something) (matching|containing|with|like) {key_contains} (in|under) [the] {bucket}",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=QueryS3MetadataArgs,
    plan=plan_query,
    run=run_query,
    render=render_query,
)
