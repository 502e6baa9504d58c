"""The sandbox's S3 Metadata inventory table: rows built from moto's buckets, queried with DuckDB.

The table has the columns and types of AWS's live inventory table (``INVENTORY_COLUMNS``), so the
SQL that opsbot sends to Athena runs here unchanged except for the table's name: the
catalog-qualified name becomes the local table ``"inventory"``.

Building the table reads every object of the bucket (seconds at 100,000 objects), so it is built
once per state of the bucket (``Sandbox.version``) and kept in ``OPSBOT_HOME/sandbox/inventory/``
as a DuckDB file that records that version: later queries, in this process or another, open it
and never load the bucket's objects, until a write to the bucket makes a new version.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tools.sandbox.ext_data import NOMINAL_SIZE_METADATA, s3_backend

LOCAL_TABLE = "inventory"
# (column, DuckDB type mirroring the Iceberg/Athena type) of the live inventory table, in AWS's order.
INVENTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bucket", "VARCHAR NOT NULL"),
    ("key", "VARCHAR NOT NULL"),
    ("sequence_number", "VARCHAR NOT NULL"),
    ("version_id", "VARCHAR"),
    ("is_delete_marker", "BOOLEAN"),
    ("size", "BIGINT"),
    ("last_modified_date", "TIMESTAMP"),
    ("e_tag", "VARCHAR"),
    ("storage_class", "VARCHAR"),
    ("is_multipart", "BOOLEAN"),
    ("encryption_status", "VARCHAR"),
    ("is_bucket_key_enabled", "BOOLEAN"),
    ("kms_key_arn", "VARCHAR"),
    ("checksum_algorithm", "VARCHAR"),
    ("object_tags", "MAP(VARCHAR, VARCHAR)"),
    ("user_metadata", "MAP(VARCHAR, VARCHAR)"),
)


class InventoryQuery(Protocol):
    """What the sandbox needs of a query: its SQL, the table it names, and its parameter values."""

    sql: str
    table: str

    def values(self) -> list[Any]: ...


def quote_identifier(name: str) -> str:
    """A double-quoted DuckDB identifier (only the sandbox's own names get here)."""
    return '"' + name.replace('"', '""') + '"'


_USER_META = "x-amz-meta-"
_ENCRYPTION_STATUS = {None: "SSE-S3", "AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}


def _sequence_number(moment: datetime) -> str:
    # Ordinal per object, larger = newer, as AWS documents; derived from the time for determinism.
    return f"{int(moment.timestamp() * 1_000_000):032x}"


def _key_row(bucket: str, key: Any, tags: dict[str, str]) -> tuple[Any, ...]:
    metadata = {str(k).lower(): v for k, v in key.metadata.items()}
    nominal = metadata.get(_USER_META + NOMINAL_SIZE_METADATA)
    user_metadata = {
        k[len(_USER_META) :]: str(v)
        for k, v in metadata.items()
        if k.startswith(_USER_META) and k != _USER_META + NOMINAL_SIZE_METADATA
    }
    version = key.version_id if key.version_id != "null" else None
    return (
        bucket,
        key.name,
        _sequence_number(key.last_modified),
        version,
        False,
        int(nominal) if nominal is not None else int(key.size),
        key.last_modified,
        key.etag.strip('"'),
        key._storage_class or "STANDARD",
        key.multipart is not None,
        _ENCRYPTION_STATUS.get(key.encryption, key.encryption),
        bool(key.bucket_key_enabled) if key.encryption == "aws:kms" else False,
        key.kms_key_id if key.encryption == "aws:kms" else None,
        key.checksum_algorithm,
        tags,
        user_metadata,
    )


def inventory_rows(account: str, bucket: str) -> list[tuple[Any, ...]]:
    """One row per object (latest version) of ``bucket``, in INVENTORY_COLUMNS order. A latest
    version that is a delete marker is a row with ``is_delete_marker`` true, as in AWS."""
    from moto.s3.models import FakeDeleteMarker

    backend = s3_backend(account)
    fake_bucket = backend.buckets[bucket]
    rows: list[tuple[Any, ...]] = []
    for key in fake_bucket.keys.values():
        if isinstance(key, FakeDeleteMarker):
            rows.append(
                (bucket, key.name, _sequence_number(key.last_modified), key.version_id, True, 0, key.last_modified)
                + (None,) * 7
                + ({}, {})
            )
            continue
        rows.append(_key_row(bucket, key, backend.tagger.get_tag_dict_for_resource(key.arn)))
    return rows


def local_sql(query: InventoryQuery) -> str:
    """The query's SQL with the catalog-qualified table name replaced by the local table; nothing else."""
    if not query.table or query.sql.count(query.table) != 1:
        raise ValueError("the query must name its table exactly once")
    return query.sql.replace(query.table, quote_identifier(LOCAL_TABLE))


def _insert(con: Any, rows: list[tuple[Any, ...]]) -> None:
    # One list per column, unnested side by side: ten times faster than executemany. DuckDB cannot
    # type a list of only None (a typed NULL stands in) nor empty dicts (maps travel as JSON text).
    select: list[str] = []
    params: list[list[Any]] = []
    for (_, kind), column in zip(INVENTORY_COLUMNS, zip(*rows, strict=True), strict=True):
        sql_type = kind.removesuffix(" NOT NULL")
        if all(value is None for value in column):
            select.append(f"CAST(NULL AS {sql_type})")
        elif sql_type.startswith("MAP"):
            select.append(f"CAST(CAST(UNNEST(CAST(? AS VARCHAR[])) AS JSON) AS {sql_type})")
            params.append([None if value is None else json.dumps(value) for value in column])
        else:
            select.append(f"UNNEST(CAST(? AS {sql_type}[]))")
            params.append(list(column))
    con.execute(f"INSERT INTO {quote_identifier(LOCAL_TABLE)} SELECT {', '.join(select)}", params)


def run_query(sandbox: Any, query: InventoryQuery, bucket: str) -> list[dict[str, Any]]:
    """Run ``query`` on DuckDB over the inventory of ``bucket`` as the sandbox holds it now."""
    con = _table(sandbox, bucket)
    with _lock:
        cursor = con.cursor()
        try:
            cursor.execute(local_sql(query), query.values())
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()


def warm(sandbox: Any, bucket: str) -> None:
    """Build ``bucket``'s inventory table for the sandbox's current version, if it is not built yet."""
    _table(sandbox, bucket)


_lock = threading.Lock()
_open: dict[Path, tuple[str, Any]] = {}  # table file -> (version, read-only connection)
_VERSION_TABLE = "opsbot_version"


def _table(sandbox: Any, bucket: str) -> Any:
    """A read-only DuckDB connection holding ``bucket``'s inventory at the sandbox's current version."""
    from tools.sandbox.core import Touch

    path = sandbox.home / "inventory" / f"{bucket}.duckdb"
    with sandbox.session(Touch(parts=())):  # the lock, and no part loaded: the version is file stamps
        version = sandbox.version(bucket)
    with _lock:
        cached = _open.get(path)
        if cached is not None and cached[0] == version:
            return cached[1]
        if cached is not None:
            cached[1].close()
            del _open[path]
        con = _connect(path, version)
        if con is None:
            with sandbox.session(Touch(parts=("s3", "ext"), buckets=frozenset({bucket}))):
                rows = inventory_rows(sandbox.account, bucket)
                version = sandbox.version(bucket)  # the version these rows are of
            _build(path, rows, version)
            con = _connect(path, version)
        _open[path] = (version, con)
        return con


def _connect(path: Path, version: str) -> Any:
    """The table file at ``path`` opened read-only if it holds ``version``, else None."""
    import duckdb

    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:  # damaged or half written by a process that died: built again
        return None
    try:
        row = con.execute(f"SELECT v FROM {_VERSION_TABLE}").fetchone()
    except duckdb.Error:
        row = None
    if row is None or row[0] != version:
        con.close()
        return None
    return con


def _build(path: Path, rows: list[tuple[Any, ...]], version: str) -> None:
    """Write the table and its version to a new file, then put it in place (readers never see half)."""
    import duckdb

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        columns = ", ".join(f"{quote_identifier(name)} {kind}" for name, kind in INVENTORY_COLUMNS)
        con.execute(f"CREATE TABLE {quote_identifier(LOCAL_TABLE)} ({columns})")
        if rows:
            _insert(con, rows)
        con.execute(f"CREATE TABLE {_VERSION_TABLE} (v VARCHAR)")
        con.execute(f"INSERT INTO {_VERSION_TABLE} VALUES (?)", [version])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
