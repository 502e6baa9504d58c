"""The data domain: S3 Metadata over training data.

Modules by idea: ``buckets`` (list_buckets, which also tells opsbot the bucket names), ``query``
(query_s3_metadata) with its arguments (``query_args``) and SQL (``sql``), run on Athena (``athena``)
or on the sandbox; ``summarize`` (counts and bytes by group, across buckets); ``enable`` (turn S3
Metadata on for a bucket).
"""

from __future__ import annotations

from tools.base import Resource, Toolset
from tools.data.buckets import LIST_TOOL
from tools.data.enable import ENABLE_TOOL
from tools.data.query import QUERY_TOOL
from tools.data.summarize import SUMMARIZE_TOOL

TOOLSET = Toolset(
    route="data",
    covers=(
        "S3 Metadata over training data: which objects exist by bucket, prefix, size, date, storage class, "
        "content type or tags, the biggest ones, how many and how big in total by group; turning S3 Metadata on."
    ),
    tools=(LIST_TOOL, QUERY_TOOL, SUMMARIZE_TOOL, ENABLE_TOOL),
    resources=(
        Resource(
            kind="bucket",
            nouns=("bucket", "s3 bucket"),
            listed_by="list_buckets",
            names=lambda result: [b["bucket"] for b in result.get("buckets", [])],
        ),
    ),
    keywords=(
        *("s3", "bucket", "object", "metadata", "dataset", "corpus", "parquet", "prefix", "storage class", "file"),
        *("data", "changed", "added", "modified", "uploaded", "glacier", "biggest", "largest", "terabytes"),
    ),
)
