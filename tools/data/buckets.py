"""list_buckets: the account's S3 buckets, and on request which of them have S3 Metadata.

It is also how opsbot learns bucket names (the data toolset's ``Resource``): "corpus-raw size by
tag" then reads as a bucket without the word "bucket". Listed every turn, so by default it makes one
call (ListBuckets); ``with_metadata`` adds one GetBucketMetadataConfiguration per bucket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from tools.aws import paged
from tools.base import Effect, Risk, Tool, ToolArgs, ToolContext
from tools.data.enable import metadata_configuration
from tools.kinds import ArgKind, Kind

MAX_BUCKETS = 10_000  # S3's own limit per account (on request)
MAX_CHECKED = 100  # buckets whose S3 Metadata is looked up, one call each
METADATA_SYNONYMS = {
    "true": (
        *("with metadata", "have metadata", "has metadata", "metadata on", "metadata enabled", "with s3 metadata"),
        *("have s3 metadata", "has s3 metadata", "have s3 metadata on", "have metadata on", "have s3 metadata enabled"),
    )
}


class ListBucketsArgs(ToolArgs):
    """list_buckets' arguments."""

    with_metadata: Annotated[
        bool,
        ArgKind(Kind.BOOL, synonyms=METADATA_SYNONYMS),
        Field(
            default=False,
            description="Also say which buckets have an S3 Metadata inventory (one call per bucket, at most 100).",
        ),
    ] = False


class BucketRow(BaseModel):
    """One bucket."""

    bucket: str
    created: datetime | None = None
    s3_metadata: str | None = Field(
        default=None, description="enabled, off, or the inventory's state; None when not checked."
    )


class BucketList(BaseModel):
    """list_buckets' result."""

    buckets: list[BucketRow]
    checked_metadata: bool
    notes: list[str] = Field(default_factory=list)


def _metadata_state(ctx: ToolContext, bucket: str) -> str:
    config = metadata_configuration(ctx, bucket)
    inventory = (config or {}).get("InventoryTableConfigurationResult") or {}
    if not config or not inventory:
        return "off"
    state = str(inventory.get("ConfigurationState") or "unknown").lower()
    status = str(inventory.get("TableStatus") or "").lower()
    return f"{state} ({status})" if status and status != "active" else state


def run_list(ctx: ToolContext, args: ListBucketsArgs) -> BucketList:
    """The buckets, by name; their S3 Metadata state when asked."""
    s3 = ctx.clients.client("s3")
    found = paged(s3.list_buckets, "Buckets", limit=MAX_BUCKETS, token="ContinuationToken")
    rows = sorted((BucketRow(bucket=b["Name"], created=b.get("CreationDate")) for b in found), key=lambda r: r.bucket)
    notes = []
    if args.with_metadata:
        for row in rows[:MAX_CHECKED]:
            row.s3_metadata = _metadata_state(ctx, row.bucket)
        if len(rows) > MAX_CHECKED:
            notes.append(f"S3 Metadata checked for the first {MAX_CHECKED} buckets only")
    return BucketList(buckets=rows, checked_metadata=args.with_metadata, notes=notes)


def render_list(r: BucketList) -> str:
    """One line per bucket."""
    if not r.buckets:
        return "no S3 buckets in this account"
    lines = []
    for b in r.buckets:
        created = b.created.strftime("%Y-%m-%d") if b.created else "?"
        meta = f"  S3 Metadata {b.s3_metadata}" if b.s3_metadata is not None else ""
        lines.append(f"{b.bucket:<40} created {created}{meta}")
    with_meta = sum(1 for b in r.buckets if (b.s3_metadata or "").startswith("enabled"))
    tail = f", {with_meta} with S3 Metadata" if r.checked_metadata else ""
    lines.append(f"{len(r.buckets)} bucket(s){tail}")
    return "\n".join([*lines, *r.notes])


LIST_TOOL = Tool(
    name="list_buckets",
    description="List the account's S3 buckets; with_metadata also says which have an S3 Metadata inventory.",
    label="list S3 buckets",
    phrasings=(
        "(list|show|get) [me] [all] [the|our|my] [s3] buckets",
        "(what|which) [s3] buckets (do we have|are there|exist|have we got)",
        "(what|which) [s3] buckets [do|does] {with_metadata}",
        "(list|show) [the] [s3] buckets {with_metadata}",
        "[any|our] [s3] buckets",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=ListBucketsArgs,
    run=run_list,
    render=render_list,
)
