"""list_buckets against the sandbox: the names, S3 Metadata on request, and the bucket resource."""

from __future__ import annotations

from typing import Any

from tests.tools.data.sandbox import new_bucket
from tools import runtime
from tools.registry import specialist


def test_list_buckets_gives_every_bucket_by_name_and_no_metadata_unless_asked(ctx: Any) -> None:
    # GIVEN the demo account, WHEN its buckets are listed without with_metadata
    outcome = runtime.run_read("list_buckets", {}, ctx)
    names = [b["bucket"] for b in outcome.result["buckets"]]
    # THEN every seeded bucket is there, sorted, and no S3 Metadata state was read
    assert {"training-data", "checkpoints", "corpus-raw", "model-artifacts"} <= set(names)
    assert names == sorted(names)
    assert all(b["s3_metadata"] is None for b in outcome.result["buckets"])
    assert "S3 Metadata" not in outcome.text


def test_list_buckets_with_metadata_says_which_have_an_inventory(ctx: Any) -> None:
    # GIVEN a new bucket without S3 Metadata besides the seeded ones
    new_bucket(ctx, "fresh-bucket")
    # WHEN listed with_metadata
    outcome = runtime.run_read("list_buckets", {"with_metadata": True}, ctx)
    state = {b["bucket"]: b["s3_metadata"] for b in outcome.result["buckets"]}
    # THEN the seeded metadata buckets are enabled, the others off, and the total says how many
    assert state["training-data"] == "enabled" and state["checkpoints"] == "enabled"
    assert state["model-artifacts"] == "off" and state["fresh-bucket"] == "off"
    assert "with S3 Metadata" in outcome.text


def test_the_data_toolset_declares_buckets_as_a_resource_listed_by_list_buckets(ctx: Any) -> None:
    # GIVEN the data toolset's bucket resource
    resource = next(r for r in specialist("data").resources if r.kind == "bucket")
    # WHEN its listing runs, THEN its names are the bucket names
    result = runtime.run_read(resource.listed_by, {}, ctx).result
    assert "corpus-raw" in resource.names(result)
