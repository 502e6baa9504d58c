"""The inventory SQL: built from typed filters only, values always bound, and it means what it says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import botocore.session
import duckdb
import pytest

from tools.data.sql import (
    CONTENT_TYPE_SUFFIXES,
    STORAGE_CLASSES,
    InventoryFilters,
    build_inventory_query,
    qualified_table,
    quote_identifier,
    quote_literal,
)
from tools.sandbox.inventory import INVENTORY_COLUMNS

CATALOG = "s3tablescatalog/aws-s3"
NASTY = "a'b; DROP TABLE x --"


def _build(**kw: Any):
    return build_inventory_query(InventoryFilters(bucket="training-data", **kw), CATALOG, "b_training-data")


def _row(key: str, size: int = 10, when: datetime = datetime(2025, 5, 1), storage: str = "STANDARD", **extra: Any):
    row = {name: None for name, _ in INVENTORY_COLUMNS}
    row.update(bucket="training-data", key=key, sequence_number="1", is_delete_marker=False, size=size)
    row.update(last_modified_date=when, storage_class=storage, object_tags={}, user_metadata={})
    row.update(extra)
    return tuple(row[name] for name, _ in INVENTORY_COLUMNS)


def _run(query, rows) -> list[str]:
    """Run the query's SQL on DuckDB over ``rows`` (the table name is the only thing changed)."""
    con = duckdb.connect()
    cols = ", ".join(f'"{n}" {t}' for n, t in INVENTORY_COLUMNS)
    con.execute(f'CREATE TABLE "inventory" ({cols})')
    con.executemany(f'INSERT INTO "inventory" VALUES ({", ".join("?" for _ in INVENTORY_COLUMNS)})', rows)
    out = [r[0] for r in con.execute(query.sql.replace(query.table, '"inventory"'), query.values()).fetchall()]
    assert con.execute('SELECT count(*) FROM "inventory"').fetchone()[0] == len(rows)  # nothing dropped
    return out


def test_base_query_names_the_catalog_table_and_binds_the_bucket() -> None:
    q = _build()
    assert q.table == '"s3tablescatalog/aws-s3"."b_training-data"."inventory"'
    assert f"FROM {q.table}" in q.sql
    assert "bucket = ?" in q.sql and "COALESCE(is_delete_marker, FALSE) = FALSE" in q.sql
    assert q.sql.rstrip().endswith("LIMIT 100")
    assert q.values() == ["training-data"]
    assert "training-data'" not in q.sql


@pytest.mark.parametrize(
    ("filters", "clause", "values"),
    [
        ({"prefix": "datasets/"}, "starts_with(key, ?)", ["datasets/"]),
        ({"min_size_bytes": 1_000_000_000}, "size >= ?", [1_000_000_000]),
        ({"max_size_bytes": 5}, "size <= ?", [5]),
        (
            {"modified_after": datetime(2025, 6, 1, 12, 30)},
            "last_modified_date >= CAST(? AS TIMESTAMP)",
            ["2025-06-01 12:30:00.000000"],
        ),
        (
            {"modified_before": datetime(2025, 6, 2)},
            "last_modified_date < CAST(? AS TIMESTAMP)",
            ["2025-06-02 00:00:00.000000"],
        ),
        ({"storage_class": "GLACIER_IR"}, "storage_class = ?", ["GLACIER_IR"]),
        ({"content_type": "application/jsonl"}, "(lower(key) LIKE ? OR lower(key) LIKE ?)", ["%.jsonl", "%.ndjson"]),
        (
            {"tags": (("split", "train"),)},
            "CASE WHEN contains(map_keys(object_tags), ?) THEN object_tags[?] = ? ELSE FALSE END",
            ["split", "split", "train"],
        ),
    ],
)
def test_each_filter_adds_its_clause_and_binds_its_values(filters: dict, clause: str, values: list) -> None:
    q = _build(**filters)
    assert clause in q.sql
    assert q.values() == ["training-data", *values]
    assert q.sql.count("?") == len(q.params)


def test_combined_filters_keep_placeholders_and_values_in_step() -> None:
    q = _build(
        prefix="datasets/",
        min_size_bytes=1,
        max_size_bytes=2,
        modified_after=datetime(2025, 1, 1),
        modified_before=datetime(2025, 2, 1),
        storage_class="STANDARD",
        content_type="text/plain",
        tags=(("dataset", "web-qa"), ("pii", "false")),
        limit=7,
    )
    assert q.sql.count("?") == len(q.params) == 14
    assert q.sql.rstrip().endswith("LIMIT 7")
    assert len(q.athena_parameters()) == len(q.params)


def test_injection_attempts_stay_bound_data() -> None:
    # GIVEN filter values shaped like SQL injection
    q = _build(prefix=NASTY, tags=((NASTY, NASTY),), storage_class=NASTY)
    # THEN none of them is part of the SQL text, only of the parameters
    assert NASTY not in q.sql and "DROP" not in q.sql
    assert q.values().count(NASTY) == 5  # prefix, storage class, tag key (twice), tag value
    # AND as Athena literals the quote is doubled, so each stays one string literal
    assert "'a''b; DROP TABLE x --'" in q.athena_parameters()


def test_injection_attempts_match_as_data_on_a_real_engine() -> None:
    rows = [
        _row("plain", object_tags={"split": "train"}),
        _row(NASTY + "/obj", object_tags={NASTY: NASTY}),
    ]
    assert _run(_build(tags=((NASTY, NASTY),)), rows) == [NASTY + "/obj"]
    assert _run(_build(prefix=NASTY), rows) == [NASTY + "/obj"]
    assert _run(_build(prefix="' OR '1'='1"), rows) == []


def test_filters_mean_what_they_say_on_a_real_engine() -> None:
    rows = [
        _row("datasets/a.parquet", size=1_000_000_000, when=datetime(2025, 6, 1), object_tags={"split": "train"}),
        _row("datasets/b.jsonl", size=999_999_999, when=datetime(2025, 6, 2), storage="GLACIER"),
        _row("other/c.PARQUET", size=5, when=datetime(2025, 5, 1), object_tags={"split": "val"}),
        _row("datasets/%_literal", size=7),
        _row("datasets/deleted.parquet", size=0, is_delete_marker=True),
        _row("datasets/untagged.parquet", size=1, object_tags=None),
    ]
    assert _run(_build(min_size_bytes=1_000_000_000), rows) == ["datasets/a.parquet"]  # inclusive
    assert "datasets/b.jsonl" in _run(_build(max_size_bytes=999_999_999), rows)
    assert _run(_build(modified_after=datetime(2025, 6, 2)), rows) == ["datasets/b.jsonl"]  # inclusive
    assert "datasets/a.parquet" not in _run(_build(modified_before=datetime(2025, 6, 1)), rows)  # exclusive
    assert _run(_build(storage_class="GLACIER"), rows) == ["datasets/b.jsonl"]
    assert sorted(_run(_build(content_type="application/vnd.apache.parquet"), rows)) == [
        "datasets/a.parquet",
        "datasets/untagged.parquet",
        "other/c.PARQUET",
    ]
    assert _run(_build(tags=(("split", "train"),)), rows) == ["datasets/a.parquet"]  # missing keys are no error
    assert _run(_build(prefix="datasets/%"), rows) == ["datasets/%_literal"]  # no wildcard in a prefix
    assert "datasets/deleted.parquet" not in _run(_build(), rows)
    assert _run(_build(limit=2), rows) == ["datasets/b.jsonl", "datasets/a.parquet"]  # newest first


def test_identifiers_outside_the_plain_set_are_refused_not_escaped() -> None:
    assert quote_identifier("b_training-data") == '"b_training-data"'
    assert qualified_table(CATALOG, "b_x") == '"s3tablescatalog/aws-s3"."b_x"."inventory"'
    for bad in ('b"; DROP TABLE x --', "", "a b", "x'y"):
        with pytest.raises(ValueError):
            quote_identifier(bad)


def test_literals_double_quotes_and_refuse_nul() -> None:
    assert quote_literal("it's") == "'it''s'"
    with pytest.raises(ValueError):
        quote_literal("a\x00b")


def test_storage_classes_follow_botocore() -> None:
    model = botocore.session.get_session().get_service_model("s3")
    assert set(STORAGE_CLASSES) == set(model.shape_for("ObjectStorageClass").enum)


def test_content_type_suffixes_are_safe_like_patterns() -> None:
    for suffixes in CONTENT_TYPE_SUFFIXES.values():
        for suffix in suffixes:
            assert suffix.startswith(".") and "%" not in suffix and "_" not in suffix and suffix == suffix.lower()


# -------------------------------------------------------------------- order, totals and groups
def _rows_of(query, rows) -> list[tuple]:
    con = duckdb.connect()
    cols = ", ".join(f'"{n}" {t}' for n, t in INVENTORY_COLUMNS)
    con.execute(f'CREATE TABLE "inventory" ({cols})')
    con.executemany(f'INSERT INTO "inventory" VALUES ({", ".join("?" for _ in INVENTORY_COLUMNS)})', rows)
    return con.execute(query.sql.replace(query.table, '"inventory"'), query.values()).fetchall()


ROWS = [
    _row("a/x/1.parquet", size=5, object_tags={"split": "train"}),
    _row("a/x/2.jsonl.gz", size=7, object_tags={"split": "val"}),
    _row("a/y/3.parquet", size=11),
    _row("top.txt", size=2),
    _row("b/4.parquet", size=3, storage="GLACIER", object_tags={"split": "train"}),
]


@pytest.mark.parametrize(
    ("order", "descending", "keys"),
    [
        ("size", True, ["a/y/3.parquet", "a/x/2.jsonl.gz", "a/x/1.parquet", "b/4.parquet", "top.txt"]),
        ("size", False, ["top.txt", "b/4.parquet", "a/x/1.parquet", "a/x/2.jsonl.gz", "a/y/3.parquet"]),
        ("key", False, ["a/x/1.parquet", "a/x/2.jsonl.gz", "a/y/3.parquet", "b/4.parquet", "top.txt"]),
    ],
)
def test_rows_are_ordered_as_asked(order: str, descending: bool, keys: list[str]) -> None:
    q = _build(order_by=order, descending=descending)
    assert [r[0] for r in _rows_of(q, ROWS)] == keys


def test_the_aggregate_counts_and_sums_the_whole_match_whatever_the_limit() -> None:
    from tools.data.sql import build_aggregate_query

    q = build_aggregate_query(InventoryFilters(bucket="training-data", min_size_bytes=4, limit=1), CATALOG, "b")
    assert "LIMIT" not in q.sql and q.values() == ["training-data", 4]
    assert _rows_of(q, ROWS) == [(3, 23)]


@pytest.mark.parametrize(
    ("group_by", "extra", "expected"),
    [
        ("storage_class", {}, {"STANDARD": (4, 25), "GLACIER": (1, 3)}),
        ("prefix", {"prefix_depth": 1}, {"a/": (3, 23), "b/": (1, 3), "": (1, 2)}),
        ("prefix", {"prefix_depth": 2}, {"a/x/": (2, 12), "a/y/": (1, 11), "b/": (1, 3), "": (1, 2)}),
        ("tag", {"tag_key": "split"}, {"train": (2, 8), "val": (1, 7), None: (2, 13)}),
        ("content_type", {}, {"parquet": (3, 19), "gz": (1, 7), "txt": (1, 2)}),
    ],
)
def test_groups_mean_what_they_say_on_duckdb(group_by: str, extra: dict, expected: dict) -> None:
    from tools.data.sql import build_summary_query

    q = build_summary_query(InventoryFilters(bucket="training-data"), CATALOG, "b", group_by, **extra)
    assert {k: (n, b) for k, n, b in _rows_of(q, ROWS)} == expected
    assert "GROUP BY 1" in q.sql and q.sql.rstrip().endswith("LIMIT 100")


def test_a_tag_key_to_group_by_is_bound_not_written() -> None:
    from tools.data.sql import build_summary_query

    q = build_summary_query(InventoryFilters(bucket="training-data"), CATALOG, "b", "tag", tag_key=NASTY)
    assert NASTY not in q.sql and q.values() == [NASTY, NASTY, "training-data"]
