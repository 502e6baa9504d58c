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
- timestamps are bound as text and cast: ``CAST(? AS TIMESTAMP)``;
- a group by key prefix or file extension uses ``regexp_extract(text, pattern, 1)`` with a pattern
  fixed by opsbot (the depth an int formatted with ``%d``); no match is NULL in Trino and '' in DuckDB,
  and both are "no prefix" or "no extension";
- a group is named by its position (``GROUP BY 1``), so a bound value in the grouped expression (a tag
  key) is bound once.

Three queries are built from the same filters: the rows (``build_inventory_query``), the exact count and
bytes of the whole match (``build_aggregate_query``), and count and bytes per group
(``build_summary_query``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

DEFAULT_TABLE = "inventory"
OrderBy = Literal["size", "last_modified", "key"]
ORDER_COLUMNS: dict[str, str] = {"size": "size", "last_modified": "last_modified_date", "key": "key"}
GroupBy = Literal["storage_class", "prefix", "tag", "content_type", "modified_day"]
MAX_PREFIX_DEPTH = 10

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
    key_contains: str | None = None
    min_size_bytes: int | None = None
    max_size_bytes: int | None = None
    modified_after: datetime | None = None
    modified_before: datetime | None = None
    storage_class: str | None = None
    content_type: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    limit: int = 100
    order_by: OrderBy = "last_modified"
    descending: bool = True


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


def _whole(size: int | None) -> int | None:
    """A size bound as a whole number of bytes, if given."""
    return None if size is None else int(size)


def _when(moment: datetime | None) -> str | None:
    """A time bound as the text the timestamp cast reads, if given."""
    return None if moment is None else _timestamp_text(moment)


def _where(filters: InventoryFilters) -> tuple[list[str], list[Param]]:
    """The WHERE clauses of ``filters`` and their bound values, in order."""
    where: list[str] = ["bucket = ?", "COALESCE(is_delete_marker, FALSE) = FALSE"]
    params: list[Param] = [Param(filters.bucket, "varchar")]
    # Each optional filter: its bound value (None when not given), its clause and the value's SQL type.
    optional: tuple[tuple[str | int | None, str, Literal["varchar", "bigint"]], ...] = (
        (filters.prefix or None, "starts_with(key, ?)", "varchar"),
        # a plain substring: no LIKE wildcards to escape
        (filters.key_contains or None, "strpos(key, ?) > 0", "varchar"),
        (_whole(filters.min_size_bytes), "size >= ?", "bigint"),
        (_whole(filters.max_size_bytes), "size <= ?", "bigint"),
        (_when(filters.modified_after), "last_modified_date >= CAST(? AS TIMESTAMP)", "varchar"),
        (_when(filters.modified_before), "last_modified_date < CAST(? AS TIMESTAMP)", "varchar"),
        (filters.storage_class or None, "storage_class = ?", "varchar"),
    )
    for value, clause, sql_type in optional:
        if value is not None:
            where.append(clause)
            params.append(Param(value, sql_type))
    if filters.content_type:
        suffixes = CONTENT_TYPE_SUFFIXES[filters.content_type]
        if not all(_SUFFIX.match(s) for s in suffixes):  # they become LIKE patterns
            raise ValueError(f"bad suffix table entry for {filters.content_type}")
        where.append("(" + " OR ".join("lower(key) LIKE ?" for _ in suffixes) + ")")
        params.extend(Param("%" + s, "varchar") for s in suffixes)
    for tag_key, tag_value in filters.tags:
        where.append("CASE WHEN contains(map_keys(object_tags), ?) THEN object_tags[?] = ? ELSE FALSE END")
        params.extend([Param(tag_key, "varchar"), Param(tag_key, "varchar"), Param(tag_value, "varchar")])
    return where, params


def build_inventory_query(
    filters: InventoryFilters, catalog: str, namespace: str, table_name: str = DEFAULT_TABLE
) -> InventoryQuery:
    """The SELECT over the inventory table that answers ``filters``, ordered as they say (ties by key)."""
    where, params = _where(filters)
    table = qualified_table(catalog, namespace, table_name)
    column = ORDER_COLUMNS[filters.order_by]
    direction = "DESC" if filters.descending else "ASC"
    order = f"{column} {direction}" + ("" if column == "key" else ", key")
    sql = (
        f"SELECT {_SELECT_LIST}\n"
        f"FROM {table}\n"
        "WHERE " + "\n  AND ".join(where) + "\n"
        f"ORDER BY {order}\n"
        f"LIMIT {int(filters.limit):d}"
    )
    return InventoryQuery(sql=sql, params=tuple(params), table=table)


def build_aggregate_query(
    filters: InventoryFilters, catalog: str, namespace: str, table_name: str = DEFAULT_TABLE
) -> InventoryQuery:
    """The exact count and total bytes of every object ``filters`` match (no limit applies)."""
    where, params = _where(filters)
    table = qualified_table(catalog, namespace, table_name)
    sql = f"SELECT COUNT(*) AS objects, COALESCE(SUM(size), 0) AS bytes\nFROM {table}\nWHERE " + "\n  AND ".join(where)
    return InventoryQuery(sql=sql, params=tuple(params), table=table)


def group_expression(group_by: GroupBy, prefix_depth: int = 1, tag_key: str | None = None) -> tuple[str, list[Param]]:
    """The SQL of a group's key and its bound values."""
    if group_by == "storage_class":
        return "storage_class", []
    if group_by == "prefix":
        if not 1 <= int(prefix_depth) <= MAX_PREFIX_DEPTH:
            raise ValueError(f"prefix depth {prefix_depth} is not 1 to {MAX_PREFIX_DEPTH}")
        return f"regexp_extract(key, '^((?:[^/]+/){{1,{int(prefix_depth):d}}})', 1)", []
    if group_by == "tag":
        if not tag_key:
            raise ValueError("grouping by tag needs a tag key")
        expr = "CASE WHEN contains(map_keys(object_tags), ?) THEN object_tags[?] ELSE NULL END"
        return expr, [Param(tag_key, "varchar"), Param(tag_key, "varchar")]
    if group_by == "content_type":
        return "regexp_extract(lower(key), '\\.([a-z0-9]+)$', 1)", []
    if group_by == "modified_day":
        return "CAST(CAST(last_modified_date AS DATE) AS VARCHAR)", []
    raise ValueError(f"unknown grouping {group_by}")


def build_summary_query(
    filters: InventoryFilters,
    catalog: str,
    namespace: str,
    group_by: GroupBy,
    *,
    prefix_depth: int = 1,
    tag_key: str | None = None,
    max_groups: int = 100,
    table_name: str = DEFAULT_TABLE,
) -> InventoryQuery:
    """Count and bytes of the matching objects per group, largest first (at most ``max_groups``)."""
    expr, group_params = group_expression(group_by, prefix_depth, tag_key)
    where, params = _where(filters)
    table = qualified_table(catalog, namespace, table_name)
    sql = (
        f"SELECT {expr} AS group_key, COUNT(*) AS objects, COALESCE(SUM(size), 0) AS bytes\n"
        f"FROM {table}\n"
        "WHERE " + "\n  AND ".join(where) + "\n"
        "GROUP BY 1\n"
        "ORDER BY bytes DESC, group_key\n"
        f"LIMIT {int(max_groups):d}"
    )
    return InventoryQuery(sql=sql, params=tuple(group_params + params), table=table)
