"""summarize_s3_metadata against the sandbox: exact totals, each grouping, every bucket, the SQL."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import pytest

from tests.tools.data.sandbox import nominal_sizes, query
from tools import runtime
from tools.base import ToolContext
from tools.data.summarize import S3MetadataSummary
from tools.errors import ToolInputError


def _summary(ctx: ToolContext, **args: Any) -> tuple[S3MetadataSummary, str]:
    out = runtime.run_read("summarize_s3_metadata", args, ctx)
    return S3MetadataSummary.model_validate(out.result), out.text


def test_done_when_checkpoints_totals_6_434_958_452_408_bytes(ctx: ToolContext) -> None:
    # GIVEN checkpoints' 144 objects WHEN summarized (by storage class, the default)
    summary, text = _summary(ctx, bucket="checkpoints")
    sizes = nominal_sizes(ctx, "checkpoints")
    # THEN the totals are exact: every object, every byte
    assert (summary.total_objects, summary.total_bytes) == (144, 6_434_958_452_408) == (len(sizes), sum(sizes.values()))
    # AND the groups add up to them, largest first
    assert sum(g.objects for g in summary.groups) == 144 and sum(g.bytes for g in summary.groups) == summary.total_bytes
    assert [g.bytes for g in summary.groups] == sorted((g.bytes for g in summary.groups), reverse=True)
    assert {g.group for g in summary.groups} == {"GLACIER_IR", "STANDARD_IA", "STANDARD"}
    assert text.startswith(
        "144 objects in s3://checkpoints, 6.43 TB in total (6,434,958,452,408 bytes), by storage_class:"
    )
    assert "GROUP BY 1" in summary.sql and "COUNT(*)" in summary.aggregate_sql and "SQL run on DuckDB" in text


def test_how_much_is_in_glacier_uses_the_same_filters(ctx: ToolContext) -> None:
    summary, _ = _summary(ctx, bucket="corpus-raw", storage_class="glacier")
    rows = query(ctx, bucket="corpus-raw", storage_class="GLACIER", limit=1000)
    assert summary.total_objects == rows["matched_count"] and summary.total_bytes == rows["total_size_bytes"]
    assert [g.group for g in summary.groups] == ["GLACIER"]


def test_group_by_prefix_at_a_depth(ctx: ToolContext) -> None:
    summary, _ = _summary(ctx, bucket="training-data", group_by="prefix", prefix_depth=2)
    sizes = nominal_sizes(ctx, "training-data")
    expected: dict[str, int] = defaultdict(int)
    for key, size in sizes.items():
        parts = key.split("/")[:-1][:2]
        expected["/".join(parts) + "/" if parts else "(top level)"] += size
    assert {g.group: g.bytes for g in summary.groups} == dict(expected)
    assert "datasets/web-qa/" in expected


def test_group_by_a_tag_key(ctx: ToolContext) -> None:
    summary, _ = _summary(ctx, bucket="checkpoints", group_by="tag", tag_key="model")
    assert {g.group: g.objects for g in summary.groups} == {"llama-3-8b": 48, "llama-3-70b": 48, "mixtral-8x7b": 48}
    assert summary.groups[0].group == "llama-3-70b"  # the largest


def test_group_by_content_type_and_day(ctx: ToolContext) -> None:
    by_type, _ = _summary(ctx, bucket="checkpoints", group_by="content_type")
    assert {g.group: g.objects for g in by_type.groups} == {
        "application/x-safetensors (.safetensors)": 96,
        "application/x-pytorch (.pt)": 24,
        "application/json (.json)": 24,
    }
    by_day, _ = _summary(ctx, bucket="checkpoints", group_by="modified_day", max_groups=1000)
    assert sum(g.objects for g in by_day.groups) == 144 and all(len(g.group) == 10 for g in by_day.groups)


def test_without_a_bucket_every_bucket_with_s3_metadata_is_counted(ctx: ToolContext) -> None:
    summary, text = _summary(ctx)
    assert [b.bucket for b in summary.buckets] == ["checkpoints", "corpus-raw", "training-data"]
    assert summary.total_objects == sum(len(nominal_sizes(ctx, b.bucket)) for b in summary.buckets)
    assert summary.total_bytes == sum(b.bytes for b in summary.buckets)
    assert "model-artifacts" in summary.buckets_without_metadata
    assert "3 buckets" in text.splitlines()[0] and "without S3 Metadata (not counted): model-artifacts" in text


def test_max_groups_cuts_the_groups_not_the_totals(ctx: ToolContext) -> None:
    summary, text = _summary(ctx, bucket="checkpoints", group_by="modified_day", max_groups=2)
    assert len(summary.groups) == 2 and summary.groups_cut and summary.total_objects == 144
    assert "more groups than shown" in text


def test_a_tag_grouping_needs_its_key_and_values_are_bound(ctx: ToolContext) -> None:
    with pytest.raises(ToolInputError) as err:
        runtime.run_read("summarize_s3_metadata", {"bucket": "checkpoints", "group_by": "tag"}, ctx)
    assert err.value.field == "tag_key" and err.value.value is None
    nasty = "a'b; DROP TABLE x --"
    summary, _ = _summary(ctx, bucket="checkpoints", group_by="tag", tag_key=nasty)
    assert nasty not in summary.sql and summary.parameters[:2] == [nasty, nasty]
    assert [g.group for g in summary.groups] == ["(untagged)"]


def test_plan_names_the_buckets_and_the_sql(ctx: ToolContext) -> None:
    plan = runtime.plan("summarize_s3_metadata", {"group_by": "prefix"}, ctx)
    assert plan.effect == "read" and plan.aws_operations == []
    assert plan.facts["buckets"] == ["checkpoints", "corpus-raw", "training-data"]
    assert "regexp_extract(key" in plan.facts["sql"]


def test_counts_agree_with_the_api_by_storage_class(ctx: ToolContext) -> None:
    summary, _ = _summary(ctx, bucket="corpus-raw")
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        listed = sandbox.client("s3").list_objects_v2(Bucket="corpus-raw", MaxKeys=1000)["Contents"]
    assert {g.group: g.objects for g in summary.groups} == dict(Counter(o["StorageClass"] for o in listed))
