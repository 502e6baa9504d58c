"""Tools of the data domain: S3 Metadata over training data.

``query_s3_metadata`` answers questions about a bucket's objects (size, age, storage class, type,
tags) from its S3 Metadata live inventory table: on Athena in live mode, on DuckDB over the sandbox's
buckets otherwise, with the same SQL (``tools.s3_metadata_sql``). ``enable_s3_metadata`` creates the
bucket's S3 Metadata configuration (journal and inventory tables) so that it can be queried.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, field_validator, model_validator

from tools import data_athena
from tools.aws import error_code
from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.errors import NotFoundError, OpsbotError, ToolInputError
from tools.s3_metadata_sql import (
    CONTENT_TYPE_SUFFIXES,
    DEFAULT_TABLE,
    STORAGE_CLASSES,
    InventoryFilters,
    InventoryQuery,
    build_inventory_query,
    default_namespace,
)
from tools.validation import bucket_name

MAX_TAG_FILTERS = 10  # an S3 object has at most 10 tags
ATHENA_COST_NOTE = "Athena bills $5 per TB scanned (10 MB minimum per query); an inventory scan is usually far smaller"


class S3MetadataNotConfiguredError(OpsbotError):
    """The bucket has no S3 Metadata inventory to query."""


# ------------------------------------------------------------------------------ arguments
def _as_utc_naive(value: date | datetime) -> datetime:
    # The inventory's last_modified_date is a timestamp without zone, in UTC.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def _parse_when(field_name: str, value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ToolInputError(field_name, value, "expected an ISO date (2025-06-01) or date-time (2025-06-01T12:00:00Z)")


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?I?B)?\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}
_UNITS.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "PIB": 2**50})


def _parse_size(field_name: str, value: Any) -> Any:
    # "1 GB" (decimal) and "1 GiB" (binary) are read as bytes; numbers pass through to pydantic.
    if not isinstance(value, str):
        return value
    m = _SIZE.match(value)
    if not m or (m.group(2) or "B").upper() not in _UNITS:
        raise ToolInputError(field_name, value, "expected a number of bytes, or a size like 500 MB, 1 GB, 2 GiB")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "B").upper()])


def _parse_tags(value: Any) -> Any:
    # Also read "k=v,k2=v2", a JSON object as text and S3's TagSet list, as commands and models write them.
    if isinstance(value, list) and all(isinstance(t, dict) and {"Key", "Value"} <= set(t) for t in value):
        return {str(t["Key"]): str(t["Value"]) for t in value}
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise ToolInputError("tags", value, 'expected tag key -> value pairs, e.g. {"dataset": "web-qa"}')
    return {k.strip(): v.strip() for k, v in pairs}


class QueryS3MetadataArgs(ToolArgs):
    bucket: Annotated[str, Field(description="Bucket whose S3 Metadata inventory to query, e.g. training-data.")]
    prefix: Annotated[
        str | None, Field(default=None, max_length=1024, description="Only keys that start with this, e.g. datasets/.")
    ]
    min_size_bytes: Annotated[
        int | None,
        Field(
            default=None, ge=0, description="Only objects of at least this many bytes (1 GB = 1e9; '1 GB' is read too)."
        ),
    ]
    max_size_bytes: Annotated[
        int | None, Field(default=None, ge=0, description="Only objects of at most this many bytes.")
    ]
    modified_after: Annotated[
        date | datetime | None,
        Field(default=None, description="Only objects last modified at or after this ISO date or date-time (UTC)."),
    ]
    modified_before: Annotated[
        date | datetime | None,
        Field(default=None, description="Only objects last modified before this ISO date or date-time (UTC)."),
    ]
    storage_class: Annotated[
        str | None,
        Field(
            default=None,
            description="Only this storage class: STANDARD, INTELLIGENT_TIERING, STANDARD_IA, "
            "GLACIER_IR, GLACIER, DEEP_ARCHIVE, ...",
        ),
    ]
    content_type: Annotated[
        str | None,
        Field(
            default=None,
            description="Only this content type, matched by file extension, e.g. "
            "application/vnd.apache.parquet, application/json, text/plain.",
        ),
    ]
    tags: Annotated[
        dict[str, str] | None,
        Field(default=None, description='Only objects carrying all these tags, e.g. {"dataset": "web-qa"}.'),
    ]
    limit: Annotated[int, Field(default=100, ge=1, le=1000, description="Most rows to return (1-1000).")]

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return bucket_name("bucket", value)

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ToolInputError("prefix", value, "a key prefix without NUL characters")
        return value or None

    @field_validator("min_size_bytes", "max_size_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any, info: Any) -> Any:
        return _parse_size(info.field_name, value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_text(cls, value: Any) -> Any:
        return _parse_tags(value)

    @field_validator("modified_after", "modified_before", mode="before")
    @classmethod
    def _when(cls, value: Any, info: Any) -> Any:
        return _parse_when(info.field_name, value)

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = re.sub(r"[\s-]+", "_", value.strip()).upper()
        if name not in STORAGE_CLASSES:
            raise ToolInputError("storage_class", value, f"expected one of {', '.join(STORAGE_CLASSES)}")
        return name

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.split(";", 1)[0].strip().lower()
        if name not in CONTENT_TYPE_SUFFIXES:
            raise ToolInputError("content_type", value, f"expected one of {', '.join(CONTENT_TYPE_SUFFIXES)}")
        return name

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if not value:
            return None
        if len(value) > MAX_TAG_FILTERS:
            raise ToolInputError("tags", value, f"at most {MAX_TAG_FILTERS} tags (an S3 object has at most 10)")
        for key, tag_value in value.items():
            if not 1 <= len(key) <= 128 or "\x00" in key:
                raise ToolInputError("tags", {key: tag_value}, "tag keys of 1-128 characters (S3's limit)")
            if len(tag_value) > 256 or "\x00" in tag_value:
                raise ToolInputError("tags", {key: tag_value}, "tag values of at most 256 characters (S3's limit)")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> QueryS3MetadataArgs:
        low, high = self.min_size_bytes, self.max_size_bytes
        if low is not None and high is not None and low > high:
            raise ToolInputError("min_size_bytes", low, f"at most max_size_bytes ({high})")
        after, before = self.modified_after, self.modified_before
        if after is not None and before is not None and _as_utc_naive(after) >= _as_utc_naive(before):
            raise ToolInputError(
                "modified_after", after.isoformat(), f"earlier than modified_before ({before.isoformat()})"
            )
        return self

    def filters(self) -> InventoryFilters:
        """The typed filters the SQL is built from."""
        return InventoryFilters(
            bucket=self.bucket,
            prefix=self.prefix,
            min_size_bytes=self.min_size_bytes,
            max_size_bytes=self.max_size_bytes,
            modified_after=_as_utc_naive(self.modified_after) if self.modified_after else None,
            modified_before=_as_utc_naive(self.modified_before) if self.modified_before else None,
            storage_class=self.storage_class,
            content_type=self.content_type,
            tags=tuple(sorted((self.tags or {}).items())),
            limit=self.limit,
        )


class EnableS3MetadataArgs(ToolArgs):
    bucket: Annotated[str, Field(description="Bucket to turn S3 Metadata on for, e.g. corpus-raw.")]

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str) -> str:
        return bucket_name("bucket", value)


# ------------------------------------------------------------------------- configuration
def _metadata_configuration(ctx: ToolContext, bucket: str) -> dict[str, Any] | None:
    """The bucket's MetadataConfigurationResult, or None when S3 Metadata is not configured."""
    s3 = ctx.clients.client("s3")
    try:
        response = s3.get_bucket_metadata_configuration(Bucket=bucket, ExpectedBucketOwner=ctx.account)
    except ClientError as exc:
        code = error_code(exc)
        if code == "MetadataConfigurationNotFound":
            return None
        if code == "NoSuchBucket":
            raise NotFoundError(f"bucket {bucket} does not exist in account {ctx.account}") from None
        raise
    return dict(response["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"])


@dataclass
class InventoryTarget:
    """Where a bucket's inventory table is, and what to tell people about its state."""

    namespace: str
    table: str
    status: str
    warnings: list[str] = field(default_factory=list)


def _inventory_target(ctx: ToolContext, bucket: str) -> InventoryTarget:
    config = _metadata_configuration(ctx, bucket)
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
    key: str
    size_bytes: int
    last_modified: str = Field(description="UTC, ISO 8601.")
    storage_class: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class S3MetadataQueryResult(BaseModel):
    bucket: str
    engine: Literal["athena", "duckdb-sandbox"]
    table: str
    sql: str
    parameters: list[str | int]
    row_count: int
    total_size_bytes: int
    limit: int
    limit_reached: bool = Field(description="True when there may be more matching objects than returned.")
    rows: list[S3ObjectRow]
    query_execution_id: str | None = None
    data_scanned_bytes: int | None = None
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


def _query(ctx: ToolContext, args: QueryS3MetadataArgs) -> tuple[InventoryTarget, InventoryQuery]:
    target = _inventory_target(ctx, args.bucket)
    query = build_inventory_query(args.filters(), ctx.settings.s3_metadata_catalog, target.namespace, target.table)
    return target, query


def _notes(args: QueryS3MetadataArgs) -> list[str]:
    if not args.content_type:
        return []
    suffixes = ", ".join(CONTENT_TYPE_SUFFIXES[args.content_type])
    return [f"the inventory has no Content-Type column: {args.content_type} is matched by key suffix ({suffixes})"]


def plan_query(ctx: ToolContext, args: QueryS3MetadataArgs) -> Plan:
    """The SQL that would run and where; reads the bucket's metadata configuration, writes nothing."""
    target, query = _query(ctx, args)
    sandbox = ctx.clients.is_sandbox
    return Plan(
        tool="query_s3_metadata",
        args=args.model_dump(mode="json", exclude_none=True),
        effect=Effect.READ,
        risk=Risk.READ,
        summary=f"query the S3 Metadata inventory of s3://{args.bucket} (at most {args.limit} objects)",
        cost_usd_per_hour=None,
        cost_note="sandbox: free" if sandbox else ATHENA_COST_NOTE,
        region=ctx.region,
        facts={
            "engine": "duckdb-sandbox" if sandbox else "athena",
            "table": query.table,
            "sql": query.sql,
            "parameters": query.values(),
            "inventory_status": target.status,
        },
        warnings=target.warnings + _notes(args),
    )


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
    """Run the inventory query: Athena in live mode, DuckDB over the sandbox's buckets otherwise."""
    target, query = _query(ctx, args)
    query_execution_id: str | None = None
    scanned: int | None = None
    if ctx.clients.is_sandbox:
        from tools.sandbox.inventory import run_query as run_in_sandbox

        raw_rows: list[dict[str, Any]] = run_in_sandbox(ctx.clients.sandbox, query, args.bucket)
        engine: Literal["athena", "duckdb-sandbox"] = "duckdb-sandbox"
    else:
        s = ctx.settings
        answer = data_athena.run(
            ctx.clients.client("athena"), query, s.athena_workgroup, s.athena_output_s3, args.limit
        )
        raw_rows, engine = answer.rows, "athena"
        query_execution_id, scanned = answer.query_execution_id, answer.data_scanned_bytes
    rows = [_row(r) for r in raw_rows]
    return S3MetadataQueryResult(
        bucket=args.bucket,
        engine=engine,
        table=query.table,
        sql=query.sql,
        parameters=query.values(),
        row_count=len(rows),
        total_size_bytes=sum(r.size_bytes for r in rows),
        limit=args.limit,
        limit_reached=len(rows) >= args.limit,
        rows=rows,
        query_execution_id=query_execution_id,
        data_scanned_bytes=scanned,
        warnings=target.warnings,
        notes=_notes(args),
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


def render_query(r: S3MetadataQueryResult) -> str:
    """The matching objects, then the SQL that found them."""
    more = " (limit reached; there may be more)" if r.limit_reached else ""
    lines = [f"{r.row_count} objects in s3://{r.bucket}, {human_bytes(r.total_size_bytes)} in total{more}"]
    for row in r.rows:
        tags = " ".join(f"{_clean(k, 40)}={_clean(v, 60)}" for k, v in sorted(row.tags.items()))
        when = row.last_modified.replace("T", " ")[:16]
        lines.append(
            f"  {when}  {human_bytes(row.size_bytes):>12}  {row.storage_class or '-':<19} {_clean(row.key, 100)}"
        )
        if tags:
            lines.append(f"      tags: {tags}")
    lines += [f"warning: {w}" for w in r.warnings] + [f"note: {n}" for n in r.notes]
    where = "Athena" if r.engine == "athena" else "DuckDB over the sandbox inventory"
    ran = f" (query {r.query_execution_id})" if r.query_execution_id else ""
    lines.append(f"SQL run on {where}{ran}, parameters {r.parameters!r}:")
    lines += ["  " + line for line in r.sql.splitlines()]
    return "\n".join(lines)


# -------------------------------------------------------------------- enable_s3_metadata
# Journal records are kept (no expiration); encryption is S3's default, SSE-S3.
METADATA_CONFIGURATION: dict[str, Any] = {
    "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}},
    "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"},
}
ENABLE_INVENTORY: dict[str, Any] = {"ConfigurationState": "ENABLED"}
S3_TABLES_COST_NOTE = (
    "no hourly cost; billed by use: S3 Tables storage and requests for the metadata tables, "
    "the one-time inventory backfill, and a monthly inventory fee above one billion objects"
)

EnableAction = Literal["create", "enable_inventory", "none"]
_OPERATIONS: dict[str, list[str]] = {
    "create": ["s3:CreateBucketMetadataConfiguration"],
    "enable_inventory": ["s3:UpdateBucketMetadataInventoryTableConfiguration"],
    "none": [],
}


class EnableS3MetadataResult(BaseModel):
    bucket: str
    action: Literal["created", "inventory_enabled", "already_enabled"]
    namespace: str | None = None
    journal_table: str | None = None
    inventory_table: str | None = None
    inventory_status: str | None = None
    table_bucket_arn: str | None = None
    message: str


def _action(config: dict[str, Any] | None) -> EnableAction:
    if config is None:
        return "create"
    inventory = config.get("InventoryTableConfigurationResult") or {}
    return "none" if inventory.get("ConfigurationState") == "ENABLED" else "enable_inventory"


def plan_enable(ctx: ToolContext, args: EnableS3MetadataArgs) -> Plan:
    """What enabling would create (or that nothing is needed); reads the configuration only."""
    bucket = args.bucket
    config = _metadata_configuration(ctx, bucket)
    action = _action(config)
    namespace = ((config or {}).get("DestinationResult") or {}).get("TableNamespace") or default_namespace(bucket)
    where = f"in the AWS managed table bucket aws-s3, namespace {namespace}"
    backfill = (
        "live inventory table 'inventory' " + where + ": backfilled from the bucket's current objects "
        "(at least 15 minutes, longer for big buckets), then updated within about an hour of each change"
    )
    if action == "create":
        summary = f"turn on S3 Metadata for s3://{bucket} (journal and live inventory tables)"
        changes = [
            f"create the S3 Metadata configuration of s3://{bucket}",
            f"journal table 'journal' {where}: records every object change from now on; records are kept",
            backfill,
            "tables are encrypted with SSE-S3 (AES256)",
        ]
    elif action == "enable_inventory":
        summary = f"add the live inventory table to the S3 Metadata configuration of s3://{bucket}"
        changes = [backfill]
    else:
        status = (config or {}).get("InventoryTableConfigurationResult", {}).get("TableStatus", "UNKNOWN")
        summary = f"S3 Metadata is already enabled for s3://{bucket} (inventory {status}); nothing to do"
        changes = []
    return Plan(
        tool="enable_s3_metadata",
        args=args.model_dump(mode="json"),
        effect=Effect.WRITE,
        risk=Risk.LOW,
        summary=summary,
        changes=changes,
        aws_operations=list(_OPERATIONS[action]),
        cost_usd_per_hour=0.0 if action != "none" else None,
        cost_note=S3_TABLES_COST_NOTE if action != "none" else None,
        region=ctx.region,
        facts={"bucket": bucket, "action": action, "namespace": namespace}
        | ({"billed": "S3 Tables storage and requests"} if action != "none" else {}),
    )


def run_enable(ctx: ToolContext, args: EnableS3MetadataArgs) -> EnableS3MetadataResult:
    """Create the configuration (or add the inventory table); a configured bucket is left alone."""
    bucket = args.bucket
    s3 = ctx.clients.client("s3")
    action = _action(_metadata_configuration(ctx, bucket))
    if action == "create":
        try:
            s3.create_bucket_metadata_configuration(
                Bucket=bucket, ExpectedBucketOwner=ctx.account, MetadataConfiguration=METADATA_CONFIGURATION
            )
        except ClientError:
            # A create retried after a lost response finds its own configuration: that is success.
            if _metadata_configuration(ctx, bucket) is None:
                raise
    elif action == "enable_inventory":
        s3.update_bucket_metadata_inventory_table_configuration(
            Bucket=bucket, ExpectedBucketOwner=ctx.account, InventoryTableConfiguration=ENABLE_INVENTORY
        )
    after = _metadata_configuration(ctx, bucket) or {}
    destination = after.get("DestinationResult") or {}
    inventory = after.get("InventoryTableConfigurationResult") or {}
    journal = after.get("JournalTableConfigurationResult") or {}
    outcome: Literal["created", "inventory_enabled", "already_enabled"] = {
        "create": "created",
        "enable_inventory": "inventory_enabled",
        "none": "already_enabled",
    }[action]  # type: ignore[assignment]
    message = {
        "created": f"S3 Metadata is on for s3://{bucket}; the inventory table backfills before it is complete",
        "inventory_enabled": f"the live inventory table of s3://{bucket} is on and backfilling",
        "already_enabled": f"S3 Metadata was already enabled for s3://{bucket}; nothing changed",
    }[outcome]
    return EnableS3MetadataResult(
        bucket=bucket,
        action=outcome,
        namespace=destination.get("TableNamespace"),
        journal_table=journal.get("TableName"),
        inventory_table=inventory.get("TableName"),
        inventory_status=inventory.get("TableStatus"),
        table_bucket_arn=destination.get("TableBucketArn"),
        message=message,
    )


def render_enable(r: EnableS3MetadataResult) -> str:
    """One line on what happened, one on where the tables are."""
    lines = [r.message]
    if r.namespace:
        tables = ", ".join(t for t in (r.journal_table, r.inventory_table) if t)
        status = f" (inventory {r.inventory_status})" if r.inventory_status else ""
        lines.append(f"tables {tables} in namespace {r.namespace} of {r.table_bucket_arn}{status}")
    return "\n".join(lines)


TOOLS: list[Tool] = [
    Tool(
        name="query_s3_metadata",
        domain="data",
        effect=Effect.READ,
        risk=Risk.READ,
        description=(
            "Find objects in a bucket by prefix, size, last-modified time, storage class, content type and tags, "
            "from its S3 Metadata inventory table (SQL built by opsbot; returns the rows and the SQL)."
        ),
        args_model=QueryS3MetadataArgs,
        plan=plan_query,
        run=run_query,
        render=render_query,
        keywords=("s3", "metadata", "objects", "bucket", "inventory", "files", "dataset", "size", "tag"),
    ),
    Tool(
        name="enable_s3_metadata",
        domain="data",
        effect=Effect.WRITE,
        risk=Risk.LOW,
        description=(
            "Turn on S3 Metadata for a bucket (journal and live inventory tables in S3 Tables) so that "
            "query_s3_metadata can answer for it. Does nothing if already enabled."
        ),
        args_model=EnableS3MetadataArgs,
        plan=plan_enable,
        run=run_enable,
        render=render_enable,
        keywords=("enable", "s3 metadata", "metadata table", "inventory table", "turn on"),
    ),
]
