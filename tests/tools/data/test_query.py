"""query_s3_metadata against the sandbox: plan, run, result, render, bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.tools.data.sandbox import new_bucket, nominal_sizes, query
from tools import runtime
from tools.base import Effect, Risk
from tools.data.query import S3MetadataNotConfiguredError, human_bytes
from tools.errors import NotFoundError, ToolInputError
from tools.registry import get_tool
from tools.sandbox import ext_data


# ------------------------------------------------------------------------ the catalog
def test_both_tools_are_in_the_registry_with_their_effect_and_risk() -> None:
    query, enable = get_tool("query_s3_metadata"), get_tool("enable_s3_metadata")
    assert (query.domain, query.effect, query.risk) == ("data", Effect.READ, Risk.READ)
    assert (enable.domain, enable.effect, enable.risk) == ("data", Effect.WRITE, Risk.LOW)
    names = set(query.json_schema()["properties"])
    assert names == {
        "bucket", "prefix", "key_contains", "min_size_bytes", "max_size_bytes", "modified_after", "modified_before",
        "storage_class", "content_type", "tags", "order_by", "descending", "limit",
    }  # fmt: skip
    assert all(p.get("description") for p in query.json_schema()["properties"].values())
    assert set(enable.json_schema()["properties"]) == {"bucket"}


# ------------------------------------------------------------------- query_s3_metadata
def test_done_when_objects_over_1gb_and_the_sql(ctx: Any) -> None:
    # WHEN objects of at least 1e9 bytes in training-data are asked for
    result = query(ctx, bucket="training-data", min_size_bytes=1_000_000_000)
    # THEN exactly those objects come back, with the SQL and its parameters
    expected = {k for k, size in nominal_sizes(ctx, "training-data").items() if size >= 1_000_000_000}
    assert expected and {r["key"] for r in result["rows"]} == expected
    assert all(r["size_bytes"] >= 1_000_000_000 for r in result["rows"])
    assert result["row_count"] == len(expected) and not result["limit_reached"]
    assert "size >= ?" in result["sql"] and '"b_training-data"."inventory"' in result["sql"]
    assert result["parameters"] == ["training-data", 1_000_000_000]
    assert result["engine"] == "duckdb-sandbox"
    assert result["total_size_bytes"] == result["returned_bytes"] == sum(r["size_bytes"] for r in result["rows"])
    assert result["matched_count"] == len(expected)


def test_done_when_the_five_largest_checkpoints_and_the_totals_of_all_144(ctx: Any) -> None:
    # GIVEN checkpoints: 3 runs x 8 steps x (4 shards + optimizer + trainer state) = 144 objects
    sizes = nominal_sizes(ctx, "checkpoints")
    assert len(sizes) == 144
    # WHEN the five largest are asked for
    outcome = runtime.run_read("query_s3_metadata", {"bucket": "checkpoints", "order_by": "size", "limit": 5}, ctx)
    result = outcome.result
    # THEN they are the five largest, largest first
    largest = sorted(sizes.values(), reverse=True)[:5]
    assert [r["size_bytes"] for r in result["rows"]] == largest
    # AND the count and total are of all 144 (the aggregate query), not of the five returned
    assert (result["matched_count"], result["total_size_bytes"]) == (144, sum(sizes.values()))
    assert result["total_size_bytes"] == 6_434_958_452_408 and result["returned_bytes"] == sum(largest)
    assert "ORDER BY size DESC, key" in result["sql"] and "COUNT(*)" in result["aggregate_sql"]
    assert outcome.text.startswith("144 objects in s3://checkpoints match, 6.43 TB in total (6,434,958,452,408 bytes)")
    assert "the 5 shown, largest first" in outcome.text.splitlines()[0]


@pytest.mark.parametrize(
    ("order", "descending", "key"),
    [
        ("size", False, "size_bytes"),
        ("key", None, "key"),
        ("key", True, "key"),
        ("last_modified", None, "last_modified"),
    ],
)
def test_rows_come_in_the_order_asked(ctx: Any, order: str, descending: bool | None, key: str) -> None:
    args: dict[str, Any] = {"bucket": "corpus-raw", "order_by": order, "limit": 20}
    if descending is not None:
        args["descending"] = descending
    rows = query(ctx, **args)["rows"]
    values = [r[key] for r in rows]
    natural = order != "key"
    assert values == sorted(values, reverse=descending if descending is not None else natural)


def test_filters_combine(ctx: Any) -> None:
    result = query(
        ctx,
        bucket="training-data",
        prefix="datasets/",
        tags={"split": "train", "dataset": "math-reasoning"},
        storage_class="standard",
        content_type="application/vnd.apache.parquet",
        max_size_bytes=5_000_000_000,
    )
    assert result["rows"]
    for row in result["rows"]:
        assert row["key"].startswith("datasets/math-reasoning/train/") and row["key"].endswith(".parquet")
        assert row["tags"]["split"] == "train" and row["storage_class"] == "STANDARD"
        assert row["size_bytes"] <= 5_000_000_000
    assert result["notes"] and "suffix" in result["notes"][0]


def test_date_filters_bound_last_modified(ctx: Any) -> None:
    now = datetime.now(UTC)
    after, before = (now - timedelta(days=30)).date().isoformat(), (now - timedelta(days=10)).isoformat()
    result = query(ctx, bucket="corpus-raw", modified_after=after, modified_before=before, limit=1000)
    assert result["rows"]
    for row in result["rows"]:
        assert after <= row["last_modified"][:10] and row["last_modified"] < before[:19] + "Z"
    dates = [r["last_modified"] for r in result["rows"]]
    assert dates == sorted(dates, reverse=True)


def test_storage_class_filter_finds_archived_objects(ctx: Any) -> None:
    result = query(ctx, bucket="corpus-raw", storage_class="DEEP_ARCHIVE")
    assert result["rows"] and {r["storage_class"] for r in result["rows"]} == {"DEEP_ARCHIVE"}


def test_limit_caps_the_rows_and_says_so(ctx: Any) -> None:
    result = query(ctx, bucket="checkpoints", limit=5)
    assert result["row_count"] == 5 and result["limit_reached"] and result["sql"].endswith("LIMIT 5")
    assert result["matched_count"] == 144


def test_injection_shaped_values_are_data(ctx: Any) -> None:
    nasty = "a'b; DROP TABLE x --"
    result = query(ctx, bucket="training-data", prefix=nasty, tags={nasty: nasty})
    assert result["rows"] == [] and nasty not in result["sql"]
    assert query(ctx, bucket="training-data", limit=1)["row_count"] == 1  # nothing was dropped


def test_key_contains_matches_a_part_of_the_key_anywhere_and_is_bound_as_a_parameter(ctx: Any) -> None:
    # GIVEN checkpoints of several runs under llama-3-70b/<run>/ in s3://checkpoints
    every = query(ctx, bucket="checkpoints", limit=1000)["rows"]
    runs = {r["key"].split("/")[1] for r in every if r["key"].count("/") >= 2}
    assert "run-0520" in runs and len(runs) > 1
    # WHEN queried for the keys that contain run-0520
    result = query(ctx, bucket="checkpoints", key_contains="run-0520", limit=1000)
    # THEN exactly the objects whose key holds it come back, and the text is a parameter, not SQL
    assert {r["key"] for r in result["rows"]} == {r["key"] for r in every if "run-0520" in r["key"]}
    assert "strpos(key, ?) > 0" in result["sql"] and "run-0520" not in result["sql"]
    nasty = "%' OR 1=1 --"
    assert query(ctx, bucket="checkpoints", key_contains=nasty)["rows"] == []


def test_bait_objects_are_returned_as_data_and_rendered_on_one_line(ctx: Any) -> None:
    outcome = runtime.run_read("query_s3_metadata", {"bucket": "training-data", "prefix": "notes/"}, ctx)
    assert [r["key"] for r in outcome.result["rows"]] == [ext_data.INJECTION_KEY]
    tagged = query(ctx, bucket="training-data", tags={ext_data.INJECTION_TAG_KEY: ext_data.INJECTION_TAG_VALUE})
    assert [r["key"] for r in tagged["rows"]] == [ext_data.INJECTION_TAGGED_KEY]
    assert ext_data.INJECTION_KEY in outcome.text


def test_render_lists_objects_then_the_sql(ctx: Any) -> None:
    text = runtime.run_read("query_s3_metadata", {"bucket": "checkpoints", "limit": 2}, ctx).text
    lines = text.splitlines()
    assert lines[0].startswith("144 objects in s3://checkpoints match") and "the 2 shown, newest first" in lines[0]
    assert "SQL run on DuckDB" in text and "LIMIT 2" in text and "parameters ['checkpoints']" in text
    assert "and for the totals:" in text


def test_render_escapes_control_characters_in_keys(ctx: Any) -> None:
    from tools.data.query import S3MetadataQueryResult, S3ObjectRow, render_query

    row = S3ObjectRow(key="a\nFAKE LINE", size_bytes=1, last_modified="2025-01-01T00:00:00Z", tags={"t": "x\ry"})
    result = S3MetadataQueryResult(
        bucket="b", engine="athena", table="t", sql="SELECT 1", parameters=[], aggregate_sql="SELECT 2",
        order_by="key", descending=False, row_count=1, returned_bytes=1, matched_count=1, total_size_bytes=1,
        limit=10, limit_reached=False, rows=[row],
    )  # fmt: skip
    text = render_query(result)
    assert "a\\x0aFAKE LINE" in text and "x\\x0dy" in text
    assert not any(line.startswith("FAKE") for line in text.splitlines())


def test_plan_shows_the_sql_without_running_it(ctx: Any) -> None:
    plan = runtime.plan("query_s3_metadata", {"bucket": "corpus-raw", "tags": {"pii": "true"}}, ctx)
    assert plan.effect == Effect.READ and plan.operation_names() == []
    assert plan.facts["engine"] == "duckdb-sandbox" and plan.facts["inventory_status"] == "ACTIVE"
    assert "object_tags[?]" in plan.facts["sql"] and plan.facts["parameters"] == ["corpus-raw", "pii", "pii", "true"]


def test_a_bucket_without_s3_metadata_is_refused_with_a_pointer_to_enable(ctx: Any) -> None:
    new_bucket(ctx, "plain-bucket")
    for call in (runtime.plan, runtime.run_read):
        with pytest.raises(S3MetadataNotConfiguredError) as exc:
            call("query_s3_metadata", {"bucket": "plain-bucket"}, ctx)
        assert "enable_s3_metadata" in str(exc.value) and "plain-bucket" in str(exc.value)


def test_a_missing_bucket_is_not_found(ctx: Any) -> None:
    with pytest.raises(NotFoundError, match="no-such-bucket"):
        runtime.run_read("query_s3_metadata", {"bucket": "no-such-bucket"}, ctx)


@pytest.mark.parametrize(
    ("raw", "field", "allowed"),
    [
        ({"bucket": "Bad_Bucket!"}, "bucket", "bucket name"),
        ({"bucket": "s3://training-data/x", "min_size_bytes": 10, "max_size_bytes": 5}, "min_size_bytes", "at most"),
        (
            {"bucket": "b1b", "modified_after": "2025-06-02", "modified_before": "2025-06-01"},
            "modified_after",
            "earlier",
        ),
        ({"bucket": "b1b", "modified_after": "last tuesday"}, "modified_after", "ISO date"),
        ({"bucket": "b1b", "storage_class": "COLD"}, "storage_class", "GLACIER_IR"),
        ({"bucket": "b1b", "content_type": "video/mp4"}, "content_type", "application/json"),
        ({"bucket": "b1b", "limit": 0}, "limit", "1"),
        ({"bucket": "b1b", "limit": 1001}, "limit", "1000"),
        ({"bucket": "b1b", "tags": {"k" * 129: "v"}}, "tags", "1-128"),
        ({"bucket": "b1b", "tags": {"k": "v" * 257}}, "tags", "256"),
        ({"bucket": "b1b", "min_size_bytes": -1}, "min_size_bytes", "0"),
        ({"bucket": "b1b", "sql": "DROP TABLE x"}, "sql", "unknown argument"),
        ({}, "bucket", "required"),
    ],
)
def test_bad_input_is_refused_before_any_aws_call(ctx: Any, raw: dict, field: str, allowed: str) -> None:
    calls: list[str] = []
    ctx.clients.client("s3").meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    with pytest.raises(ToolInputError) as exc:
        runtime.run_read("query_s3_metadata", raw, ctx)
    err = exc.value
    assert err.field == field and allowed in err.allowed
    assert str(err).count("\n") == 0 and field in str(err)
    assert calls == []


def test_s3_uri_and_dates_are_normalised() -> None:
    args = runtime.parse_args(
        get_tool("query_s3_metadata"),
        {
            "bucket": "s3://training-data",
            "modified_after": "2025-06-01",
            "modified_before": "2025-06-02T10:00:00+02:00",
        },
    )
    f = args.query_filters()
    assert f.bucket == "training-data"
    assert f.modified_after == datetime(2025, 6, 1) and f.modified_before == datetime(2025, 6, 2, 8)


def test_human_bytes_uses_decimal_units() -> None:
    assert human_bytes(999) == "999 B" and human_bytes(1_500_000_000) == "1.50 GB"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"min_size_bytes": "1 GB"}, {"min_size_bytes": 1_000_000_000}),
        ({"max_size_bytes": "2GiB"}, {"max_size_bytes": 2 * 1024**3}),
        ({"min_size_bytes": "500"}, {"min_size_bytes": 500}),
        ({"tags": "dataset=web-qa, split=train"}, {"tags": (("dataset", "web-qa"), ("split", "train"))}),
        ({"tags": '{"pii": "false"}'}, {"tags": (("pii", "false"),)}),
        ({"tags": [{"Key": "pii", "Value": "false"}]}, {"tags": (("pii", "false"),)}),
    ],
)
def test_sizes_and_tags_written_as_text_are_read(raw: dict, expected: dict) -> None:
    filters = runtime.parse_args(get_tool("query_s3_metadata"), {"bucket": "corpus-raw", **raw}).query_filters()
    assert {k: getattr(filters, k) for k in expected} == expected


@pytest.mark.parametrize(
    ("raw", "field"), [({"min_size_bytes": "lots"}, "min_size_bytes"), ({"tags": "just words"}, "tags")]
)
def test_unreadable_sizes_and_tags_are_refused(raw: dict, field: str) -> None:
    with pytest.raises(ToolInputError) as exc:
        runtime.parse_args(get_tool("query_s3_metadata"), {"bucket": "corpus-raw", **raw})
    assert exc.value.field == field
