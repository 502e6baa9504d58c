"""The sandbox inventory table mirrors AWS's columns and is built from moto's objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tools.data.sql import InventoryFilters, InventoryQuery, build_inventory_query
from tools.sandbox import ext_data
from tools.sandbox.inventory import INVENTORY_COLUMNS, inventory_rows, local_sql, run_query


def _columns(row: tuple) -> dict[str, Any]:
    return dict(zip([name for name, _ in INVENTORY_COLUMNS], row, strict=True))


def test_rows_have_the_inventory_columns_and_the_nominal_size(sandbox: Any) -> None:
    with sandbox.session():
        rows = [_columns(r) for r in inventory_rows(sandbox.account, "checkpoints")]
    row = next(r for r in rows if r["key"].endswith("optimizer.pt"))
    assert row["bucket"] == "checkpoints" and row["is_delete_marker"] is False
    assert row["size"] > 10 * 1024**3  # the nominal size, not the tiny body
    assert isinstance(row["last_modified_date"], datetime) and row["last_modified_date"].tzinfo is None
    assert row["encryption_status"] == "SSE-S3" and row["version_id"] is None
    assert set(row["object_tags"]) == {"model", "run", "step"}
    assert ext_data.NOMINAL_SIZE_METADATA not in row["user_metadata"]  # the sandbox device stays hidden


def test_objects_put_through_the_api_show_their_real_size_tags_and_metadata(ctx: Any, sandbox: Any) -> None:
    s3 = sandbox.client("s3")
    with sandbox.session():
        s3.put_object(
            Bucket="corpus-raw",
            Key="uploads/new.txt",
            Body=b"hello world",
            Tagging="pii=false",
            Metadata={"owner": "alice"},
            StorageClass="ONEZONE_IA",
        )
        rows = {r[1]: _columns(r) for r in inventory_rows(sandbox.account, "corpus-raw")}
    row = rows["uploads/new.txt"]
    assert (row["size"], row["storage_class"]) == (11, "ONEZONE_IA")
    assert row["object_tags"] == {"pii": "false"} and row["user_metadata"] == {"owner": "alice"}


def test_a_delete_marker_is_a_row_that_queries_leave_out(ctx: Any, sandbox: Any) -> None:
    s3 = sandbox.client("s3")
    with sandbox.session():
        s3.create_bucket(Bucket="versioned-bucket")
        s3.put_bucket_versioning(Bucket="versioned-bucket", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="versioned-bucket", Key="gone.txt", Body=b"x")
        s3.put_object(Bucket="versioned-bucket", Key="kept.txt", Body=b"x")
        s3.delete_object(Bucket="versioned-bucket", Key="gone.txt")
        rows = {r[1]: _columns(r) for r in inventory_rows(sandbox.account, "versioned-bucket")}
    assert rows["gone.txt"]["is_delete_marker"] is True and rows["kept.txt"]["version_id"]
    query = build_inventory_query(InventoryFilters(bucket="versioned-bucket"), "s3tablescatalog/aws-s3", "b_v")
    assert [r["key"] for r in run_query(sandbox, query, "versioned-bucket")] == ["kept.txt"]


def test_local_sql_changes_only_the_table_name() -> None:
    query = build_inventory_query(InventoryFilters(bucket="b1", prefix="x/"), "s3tablescatalog/aws-s3", "b_b1")
    local = local_sql(query)
    assert local == query.sql.replace('"s3tablescatalog/aws-s3"."b_b1"."inventory"', '"inventory"')
    assert "s3tablescatalog" not in local


def test_local_sql_refuses_a_query_that_does_not_name_its_table_once() -> None:
    with pytest.raises(ValueError):
        local_sql(InventoryQuery(sql='SELECT 1 FROM "t" JOIN "t"', params=(), table='"t"'))


def test_run_query_answers_with_the_result_columns(sandbox: Any) -> None:
    query = build_inventory_query(
        InventoryFilters(bucket="training-data", tags=(("split", "val"),), limit=3),
        "s3tablescatalog/aws-s3",
        "b_training-data",
    )
    rows = run_query(sandbox, query, "training-data")
    assert len(rows) == 3
    assert set(rows[0]) == {"key", "size", "last_modified_date", "storage_class", "object_tags"}
    assert all("/val/" in r["key"] and '"split":"val"' in r["object_tags"] for r in rows)
