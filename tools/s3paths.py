"""Checks of the S3 paths a write will hand to SageMaker, made by its plan before anyone approves.

A training job started on an empty prefix, or an endpoint pointed at a bucket that does not exist,
fails minutes (or an hour of paid instances) later; these checks fail the plan at once instead,
naming the argument and its value. Each one reads S3 (ListObjectsV2, HeadObject, HeadBucket) and
never writes. Something missing refuses the plan (a ``ToolInputError``); a path opsbot may not
read (access denied) is reported as not checked, so the plan says so and does not refuse.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from tools.aws import error_code
from tools.base import ToolContext
from tools.errors import ToolInputError

NO_BUCKET = ("NoSuchBucket",)
NO_OBJECT = ("404", "NoSuchKey", "NotFound")
UNREADABLE = ("403", "AccessDenied", "AccessDeniedException", "AllAccessDisabled")
NEARBY = 5  # sub-prefixes named when a prefix is empty


@dataclass(frozen=True)
class PathCheck:
    """One checked path: what it is for, the URI, whether it passed (None: could not read it), and why."""

    what: str
    uri: str
    ok: bool | None
    detail: str

    def note(self) -> str:
        """What the check found, to follow the URI in a plan's changes: ``(has objects)``."""
        return f"({self.detail})" if self.ok else f"(not checked: {self.detail})"

    def warning(self) -> str | None:
        """The plan's warning when the path could not be read, else None."""
        return None if self.ok else f"{self.what} {self.uri} not checked: {self.detail}"


def split(uri: str) -> tuple[str, str]:
    """(bucket, key or prefix) of an ``s3://`` URI."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def _missing_bucket(field: str, uri: str, bucket: str, ctx: ToolContext) -> ToolInputError:
    return ToolInputError(
        field, uri, f"bucket {bucket} does not exist (or is not in account {ctx.account}); give an existing bucket"
    )


def _nearby(ctx: ToolContext, bucket: str, prefix: str) -> str:
    """The prefixes under the nearest non-empty parent of ``prefix``, to say where the data may be."""
    s3 = ctx.clients.client("s3")
    parts = [p for p in prefix.split("/") if p]
    while parts:
        parts.pop()
        parent = "".join(f"{p}/" for p in parts)
        try:
            page = s3.list_objects_v2(Bucket=bucket, Prefix=parent, Delimiter="/", MaxKeys=NEARBY)
        except ClientError:
            return ""  # only a hint: a bucket opsbot may not list gets none
        found = [p["Prefix"] for p in page.get("CommonPrefixes", [])] + [o["Key"] for o in page.get("Contents", [])]
        if found:
            listed = ", ".join(f"s3://{bucket}/{p}" for p in found[:NEARBY])
            return f"; under s3://{bucket}/{parent} there are: {listed}"
    return f"; bucket {bucket} is empty"


def check_objects(ctx: ToolContext, field: str, uri: str, what: str) -> PathCheck:
    """At least one object under ``uri`` (a prefix or a key); refuses a missing bucket or an empty prefix."""
    bucket, prefix = split(uri)
    try:
        page = ctx.clients.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=1)
    except ClientError as exc:
        code = error_code(exc)
        if code in NO_BUCKET:
            raise _missing_bucket(field, uri, bucket, ctx) from None
        if code in UNREADABLE:
            return PathCheck(what, uri, None, f"cannot list it ({code})")
        raise
    if not page.get("KeyCount", len(page.get("Contents", []))):
        raise ToolInputError(
            field,
            uri,
            f"there are no objects under this prefix, so SageMaker would find no {what}{_nearby(ctx, bucket, prefix)}",
        )
    return PathCheck(what, uri, True, "has objects")


def check_object(ctx: ToolContext, field: str, uri: str, what: str) -> PathCheck:
    """The object ``uri`` exists; refuses a missing bucket or key."""
    bucket, key = split(uri)
    try:
        head = ctx.clients.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        code = error_code(exc)
        if code in UNREADABLE:
            return PathCheck(what, uri, None, f"cannot read it ({code})")
        if code not in NO_BUCKET + NO_OBJECT:
            raise
        if _head_bucket(ctx, bucket) in NO_BUCKET + NO_OBJECT:  # HeadObject's 404 does not say which is missing
            raise _missing_bucket(field, uri, bucket, ctx) from None
        raise ToolInputError(
            field, uri, f"there is no such object, so SageMaker would find no {what}{_nearby(ctx, bucket, key)}"
        ) from None
    return PathCheck(what, uri, True, f"{head.get('ContentLength', 0):,} bytes")


def _head_bucket(ctx: ToolContext, bucket: str) -> str | None:
    """None if the bucket is there, else HeadBucket's error code."""
    try:
        ctx.clients.client("s3").head_bucket(Bucket=bucket)
    except ClientError as exc:
        return error_code(exc)
    return None


def check_bucket(ctx: ToolContext, field: str, uri: str, what: str) -> PathCheck:
    """The bucket of ``uri`` exists (SageMaker writes under it); refuses a missing bucket."""
    bucket, _ = split(uri)
    code = _head_bucket(ctx, bucket)
    if code in NO_BUCKET + NO_OBJECT:
        raise _missing_bucket(field, uri, bucket, ctx)
    if code is not None:
        return PathCheck(what, uri, None, f"cannot read bucket {bucket} ({code})")
    return PathCheck(what, uri, True, f"bucket {bucket} exists")


def check_model_data(ctx: ToolContext, field: str, uri: str) -> PathCheck:
    """A model given as a ``.tar.gz`` object exists, or a prefix of uncompressed files has objects."""
    if uri.endswith(".tar.gz"):
        return check_object(ctx, field, uri, "model artifact")
    return check_objects(ctx, field, uri, "model files")
