"""Reading the sandbox's buckets for the data tests: a query's answer, ground truth from the S3 API,
and a new bucket."""

from __future__ import annotations

from typing import Any

from tests.tools.helpers import grant_all
from tools import runtime
from tools.base import ToolContext
from tools.sandbox import ext_data


def query(ctx: ToolContext, **raw: Any) -> dict[str, Any]:
    """query_s3_metadata's result, as data."""
    return runtime.run_read("query_s3_metadata", raw, ctx).result


def nominal_sizes(ctx: ToolContext, bucket: str) -> dict[str, int]:
    """Ground truth from the S3 API (list + head), independent of the SQL path."""
    sandbox = ctx.clients.sandbox
    s3 = sandbox.client("s3")
    sizes = {}
    with sandbox.session():  # one load of the shared state for all the calls
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                head = s3.head_object(Bucket=bucket, Key=obj["Key"])
                sizes[obj["Key"]] = int(head["Metadata"].get(ext_data.NOMINAL_SIZE_METADATA, obj["Size"]))
    return sizes


def new_bucket(ctx: ToolContext, name: str) -> None:
    """Create an empty bucket (no S3 Metadata) in the sandbox."""
    with grant_all("s3:CreateBucket"):
        ctx.clients.client("s3").create_bucket(Bucket=name)
