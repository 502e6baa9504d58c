"""SQL over the S3 Metadata live inventory table, built from typed filters only.

The query text is fixed by opsbot: identifiers come from constants (and the namespace AWS reports
for the bucket), every user value travels as a ``?`` parameter. Athena (ExecutionParameters) and
DuckDB (the sandbox) both bind ``?`` positionally, so the same SQL string runs on both. The only
inlined value is the row limit, an int validated by the caller and formatted with ``%d``.

The inventory table lives in the AWS managed table bucket ``aws-s3`` and Athena reaches it as
``"s3tablescatalog/aws-s3"."b_<bucket>"."inventory"``. Its columns are those of AWS's schema
(mirrored by the sandbox's ``INVENTORY_COLUMNS``); ``last_modified_date`` is a timestamp without time zone, in UTC.

SQL portability notes (Trino/Athena and DuckDB must agree):
- a tag is matched with ``CASE WHEN contains(map_keys(m), ?) THEN m[?] = ? ELSE FALSE END``:
  ``element_at`` returns a value in Trino but a list in DuckDB, and ``m[k]`` on a missing key is
  an error in Trino, so the subscript only runs once the key is known to be there;
- the prefix uses ``starts_with`` (no LIKE wildcards to escape in user text);
- timestamps are bound as text and cast: ``CAST(? AS TIMESTAMP)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DEFAULT_TABLE = "inventory"

# What a query returns, in this order. Tags come back as JSON text so both engines agree.
RESULT_COLUMNS = ("key", "size", "last_modified_date", "storage_class", "object_tags")
_SELECT_LIST = "key, size, last_modified_date, storage_class, CAST(object_tags AS JSON) AS object_tags"

# S3's object storage classes (botocore's ObjectStorageClass enum; a test keeps them in step).
STORAGE_CLASSES: tuple[str, ...] = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "GLACIER",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "GLACIER_IR",
    "SNOW",
    "EXPRESS_ONEZONE",
    "FSX_OPENZFS",
    "FSX_ONTAP",
    "AWS_BACKUP_WARM",
    "AWS_BACKUP_LOW_COST_WARM",
)

# The inventory table has no Content-Type column, so a content type is matched by the key's file
# extension. Fixed table: the suffixes become LIKE patterns, so they must stay free of % and _.
CONTENT_TYPE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "application/vnd.apache.parquet": (".parquet",),
    "application/x-parquet": (".parquet",),
    "application/json": (".json",),
    "application/jsonl": (".jsonl", ".ndjson"),
    "application/x-ndjson": (".jsonl", ".ndjson"),
    "application/gzip": (".gz",),
    "application/zstd": (".zst",),
    "application/x-tar": (".tar",),
    "application/x-safetensors": (".safetensors",),
    "application/x-pytorch": (".pt", ".pth", ".bin"),
    "application/x-arrow": (".arrow",),
    "application/yaml": (".yaml", ".yml"),
    "text/plain": (".txt",),
    "text/csv": (".csv",),
    "text/markdown": (".md",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "audio/wav": (".wav",),
}

_IDENTIFIER = re.compile(r"^[A-Za-z0-9_./-]{1,255}$")
_SUFFIX = re.compile(r"^\.[a-z0-9.]+$")


def quote_identifier(name: str) -> str:
    """A double-quoted SQL identifier. Only opsbot's own names and AWS-reported namespaces get here;
    anything outside a plain character set is refused rather than escaped."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"refusing SQL identifier {name!r}")
    return '"' + name + '"'


def quote_literal(value: str) -> str:
    """A single-quoted SQL string literal (quotes doubled). Used for Athena's ExecutionParameters,
    which are SQL literals, never to build query text."""
    if "\x00" in value:
        raise ValueError("NUL is not allowed in a SQL string")
    return "'" + value.replace("'", "''") + "'"


def qualified_table(catalog: str, namespace: str, table: str = DEFAULT_TABLE) -> str:
    """``"catalog"."namespace"."table"``, each part quoted."""
    return ".".join(quote_identifier(part) for part in (catalog, namespace, table))


def default_namespace(bucket: str) -> str:
    """The namespace S3 Metadata uses for a bucket when AWS does not report one: ``b_<bucket>``."""
    return f"b_{bucket}"


@dataclass(frozen=True)
class Param:
    """One bound value: text or a whole number."""

    value: str | int
    kind: Literal["varchar", "bigint"]

    def athena_literal(self) -> str:
        """How Athena's ExecutionParameters want it: a SQL literal."""
        if self.kind == "bigint":
            return str(int(self.value))
        return quote_literal(str(self.value))


@dataclass(frozen=True)
class InventoryFilters:
    """Typed filters of one inventory query. Datetimes are naive UTC."""

    bucket: str
    prefix: str | None = None
    min_size_bytes: int | None = None
    max_size_bytes: int | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    storage_class: str | None = None
    content_type: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    limit: int = 100


@dataclass(frozen=True)
class InventoryQuery:
    """A query ready to run: SQL with ``?`` placeholders and its parameters, in order."""

    sql: str
    params: tuple[Param, ...]
    table: str = field(default="")  # the qualified table name exactly as it appears in ``sql``

    def values(self) -> list[str | int]:
        """Parameter values for a DB-API driver (DuckDB)."""
        return [p.value for p in self.params]

    def athena_parameters(self) -> list[str]:
        """Parameter values as Athena's ExecutionParameters (SQL literals)."""
        return [p.athena_literal() for p in self.params]


def _timestamp_text(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_inventory_query(
    filters: InventoryFilters, catalog: str, namespace: str, table_name: str = DEFAULT_TABLE
) -> InventoryQuery:
    """The SELECT over the inventory table that answers ``filters``."""
    where: list[str] = ["bucket = ?", "COALESCE(is_delete_marker, FALSE) = FALSE"]
    params: list[Param] = [Param(filters.bucket, "varchar")]
    if filters.prefix:
        where.append("starts_with(key, ?)")
        params.append(Param(filters.prefix, "varchar"))
    if filters.min_size_bytes is not None:
        where.append("size >= ?")
        params.append(Param(int(filters.min_size_bytes), "bigint"))
    if filters.max_size_bytes is not None:
        where.append("size <= ?")
        params.append(Param(int(filters.max_size_bytes), "bigint"))
    if filters.modified_after is not None:
        where.append("last_modified_date >= CAST(? AS TIMESTAMP)")
        params.append(Param(_timestamp_text(filters.modified_after), "varchar"))
    if filters.modified_before is not None:
        where.append("last_modified_date < CAST(? AS TIMESTAMP)")
        params.append(Param(_timestamp_text(filters.modified_before), "varchar"))
    if filters.storage_class:
        where.append("storage_class = ?")
        params.append(Param(filters.storage_class, "varchar"))
    if filters.content_type:
        suffixes = CONTENT_TYPE_SUFFIXES[filters.content_type]
        if not all(_SUFFIX.match(s) for s in suffixes):  # they become LIKE patterns
            raise ValueError(f"bad suffix table entry for {filters.content_type}")
        where.append("(" + " OR ".join("lower(key) LIKE ?" for _ in suffixes) + ")")
        params.extend(Param("%" + s, "varchar") for s in suffixes)
    for tag_key, tag_value in filters.tags:
        where.append("CASE WHEN contains(map_keys(object_tags), ?) THEN object_tags[?] = ? ELSE FALSE END")
        params.extend([Param(tag_key, "varchar"), Param(tag_key, "varchar"), Param(tag_value, "varchar")])
    table = qualified_table(catalog, namespace, table_name)
    sql = (
        f"SELECT {_SELECT_LIST}\n"
        f"FROM {table}\n"
        "WHERE " + "\n  AND ".join(where) + "\n"
        "ORDER BY last_modified_date DESC, key\n"
        f"LIMIT {int(filters.limit):d}"
    )
    return InventoryQuery(sql=sql, params=tuple(params), table=table)
