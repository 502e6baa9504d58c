"""Arguments of query_s3_metadata and summarize_s3_metadata: typed inventory filters (shared by both,
``MetadataFilterArgs``), read from what people and models write.

Sizes may be given as text ("500 MB", "2 GiB"), dates as ISO dates or date-times, tags as a
mapping, "k=v,k2=v2", JSON text or S3's TagSet list; each is checked before any AWS call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from tools.base import ToolArgs
from tools.data.sql import CONTENT_TYPE_SUFFIXES, STORAGE_CLASSES, InventoryFilters, OrderBy
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Kind, Name
from tools.validation import BucketName

MAX_TAG_FILTERS = 10  # an S3 object has at most 10 tags
# Storage classes as people say them.
STORAGE_CLASS_SYNONYMS = {
    "STANDARD": ("standard",),
    "STANDARD_IA": ("standard-ia", "standard ia", "infrequent access"),
    "ONEZONE_IA": ("onezone-ia", "one zone", "one-zone"),
    "INTELLIGENT_TIERING": ("intelligent-tiering", "intelligent tiering"),
    "GLACIER": ("glacier", "glacier flexible retrieval"),
    "GLACIER_IR": ("glacier-ir", "glacier instant retrieval", "glacier instant"),
    "DEEP_ARCHIVE": ("deep archive", "deep-archive", "glacier deep archive"),
}


def _as_utc_naive(value: date | datetime) -> datetime:
    # The inventory's last_modified_date is a timestamp without zone, in UTC.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return datetime(value.year, value.month, value.day)


def _parse_when(field_name: str, value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ToolInputError(field_name, value, "expected an ISO date (2025-06-01) or date-time (2025-06-01T12:00:00Z)")


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?I?B)?\s*$", re.IGNORECASE)
_UNITS = {"B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "PB": 10**15}
_UNITS.update({"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40, "PIB": 2**50})


def _parse_size(field_name: str, value: Any) -> Any:
    # "1 GB" (decimal) and "1 GiB" (binary) are read as bytes; numbers pass through to pydantic.
    if not isinstance(value, str):
        return value
    m = _SIZE.match(value)
    if not m or (m.group(2) or "B").upper() not in _UNITS:
        raise ToolInputError(field_name, value, "expected a number of bytes, or a size like 500 MB, 1 GB, 2 GiB")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "B").upper()])


def _parse_tags(value: Any) -> Any:
    # Also read "k=v,k2=v2", a JSON object as text and S3's TagSet list, as commands and models write them.
    if isinstance(value, list) and all(isinstance(t, dict) and {"Key", "Value"} <= set(t) for t in value):
        return {str(t["Key"]): str(t["Value"]) for t in value}
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    pairs = [p.split("=", 1) for p in text.split(",") if p.strip()]
    if not pairs or any(len(p) != 2 or not p[0].strip() for p in pairs):
        raise ToolInputError("tags", value, 'expected tag key -> value pairs, e.g. {"dataset": "web-qa"}')
    return {k.strip(): v.strip() for k, v in pairs}


def _one_of(field_name: str, value: str, name: str, allowed: Collection[str]) -> str:
    # ``name`` is ``value`` normalised; the message shows what was given.
    if name not in allowed:
        raise ToolInputError(field_name, value, f"expected one of {', '.join(allowed)}")
    return name


class MetadataFilterArgs(ToolArgs):
    """The inventory filters both S3 Metadata reads take, all optional."""

    bucket: Annotated[
        str | None,
        Name("bucket"),
        BucketName,
        Field(default=None, description="Bucket whose S3 Metadata inventory to read, e.g. training-data."),
    ] = None
    prefix: Annotated[
        str | None,
        ArgKind(Kind.PREFIX),
        Field(default=None, max_length=1024, description="Only keys that start with this, e.g. datasets/."),
    ]
    min_size_bytes: Annotated[
        int | None,
        ArgKind(Kind.BYTES),
        Field(
            default=None, ge=0, description="Only objects of at least this many bytes (1 GB = 1e9; '1 GB' is read too)."
        ),
    ]
    max_size_bytes: Annotated[
        int | None,
        ArgKind(Kind.BYTES),
        Field(default=None, ge=0, description="Only objects of at most this many bytes."),
    ]
    modified_after: Annotated[
        date | datetime | None,
        ArgKind(Kind.DATE),
        Field(default=None, description="Only objects last modified at or after this ISO date or date-time (UTC)."),
    ]
    modified_before: Annotated[
        date | datetime | None,
        ArgKind(Kind.DATE),
        Field(default=None, description="Only objects last modified before this ISO date or date-time (UTC)."),
    ]
    storage_class: Annotated[
        str | None,
        ArgKind(Kind.ENUM, synonyms=STORAGE_CLASS_SYNONYMS),
        Field(
            default=None,
            description="Only this storage class: STANDARD, INTELLIGENT_TIERING, STANDARD_IA, "
            "GLACIER_IR, GLACIER, DEEP_ARCHIVE, ...",
        ),
    ]
    content_type: Annotated[
        str | None,
        ArgKind(Kind.CONTENT_TYPE),
        Field(
            default=None,
            description="Only this content type, matched by file extension, e.g. "
            "application/vnd.apache.parquet, application/json, text/plain.",
        ),
    ]
    key_contains: Annotated[
        str | None,
        ArgKind(Kind.PREFIX, role="contains"),
        Field(
            default=None,
            min_length=1,
            max_length=1024,
            description="Only keys that contain this text anywhere, e.g. run-0520 (a run, a step, a model).",
        ),
    ] = None
    tags: Annotated[
        dict[str, str] | None,
        ArgKind(Kind.TAGS),
        Field(default=None, description='Only objects carrying all these tags, e.g. {"dataset": "web-qa"}.'),
    ]

    @field_validator("prefix", "key_contains")
    @classmethod
    def _prefix(cls, value: str | None, info: Any) -> str | None:
        if value is not None and "\x00" in value:
            raise ToolInputError(info.field_name, value, "text without NUL characters")
        return value or None

    @field_validator("min_size_bytes", "max_size_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any, info: Any) -> Any:
        return _parse_size(info.field_name, value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_text(cls, value: Any) -> Any:
        return _parse_tags(value)

    @field_validator("modified_after", "modified_before", mode="before")
    @classmethod
    def _when(cls, value: Any, info: Any) -> Any:
        return _parse_when(info.field_name, value)

    @field_validator("storage_class")
    @classmethod
    def _storage_class(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _one_of("storage_class", value, re.sub(r"[\s-]+", "_", value.strip()).upper(), STORAGE_CLASSES)

    @field_validator("content_type")
    @classmethod
    def _content_type(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return _one_of("content_type", value, value.split(";", 1)[0].strip().lower(), CONTENT_TYPE_SUFFIXES)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if not value:
            return None
        if len(value) > MAX_TAG_FILTERS:
            raise ToolInputError("tags", value, f"at most {MAX_TAG_FILTERS} tags (an S3 object has at most 10)")
        for key, tag_value in value.items():
            if not 1 <= len(key) <= 128 or "\x00" in key:
                raise ToolInputError("tags", {key: tag_value}, "tag keys of 1-128 characters (S3's limit)")
            if len(tag_value) > 256 or "\x00" in tag_value:
                raise ToolInputError("tags", {key: tag_value}, "tag values of at most 256 characters (S3's limit)")
        return value

    @model_validator(mode="after")
    def _ranges(self) -> MetadataFilterArgs:
        low, high = self.min_size_bytes, self.max_size_bytes
        if low is not None and high is not None and low > high:
            raise ToolInputError("min_size_bytes", low, f"at most max_size_bytes ({high})")
        after, before = self.modified_after, self.modified_before
        if after is not None and before is not None and _as_utc_naive(after) >= _as_utc_naive(before):
            raise ToolInputError(
                "modified_after", after.isoformat(), f"earlier than modified_before ({before.isoformat()})"
            )
        return self

    def filters(self, bucket: str, **extra: Any) -> InventoryFilters:
        """The typed filters the SQL is built from, for ``bucket``."""
        return InventoryFilters(
            bucket=bucket,
            prefix=self.prefix,
            key_contains=self.key_contains,
            min_size_bytes=self.min_size_bytes,
            max_size_bytes=self.max_size_bytes,
            modified_after=_as_utc_naive(self.modified_after) if self.modified_after else None,
            modified_before=_as_utc_naive(self.modified_before) if self.modified_before else None,
            storage_class=self.storage_class,
            content_type=self.content_type,
            tags=tuple(sorted((self.tags or {}).items())),
            **extra,
        )


ORDER_SYNONYMS = {
    "size": ("biggest", "largest", "smallest", "by size", "heaviest", "sorted by size"),
    "last_modified": ("newest", "latest", "most recent", "oldest", "by date", "earliest", "sorted by date"),
    "key": ("by name", "alphabetical", "by key", "sorted by key", "sorted by name", "alphabetically"),
}
# Words that say the direction of the order (they also say the order: "smallest" is by size).
DIRECTION_SYNONYMS = {
    "true": ("biggest", "largest", "heaviest", "newest", "latest", "descending", "desc"),
    "false": ("smallest", "oldest", "earliest", "ascending", "asc"),
}


class QueryS3MetadataArgs(MetadataFilterArgs):
    """query_s3_metadata's arguments: a bucket, the filters, the order and how many rows."""

    bucket: Annotated[
        str,
        Name("bucket"),
        BucketName,
        Field(description="Bucket whose S3 Metadata inventory to query, e.g. training-data."),
    ]
    order_by: Annotated[
        OrderBy,
        ArgKind(Kind.ENUM, synonyms=ORDER_SYNONYMS),
        Field(
            default="last_modified",
            description="Order of the rows: size, last_modified (default) or key.",
        ),
    ] = "last_modified"
    descending: Annotated[
        bool | None,
        ArgKind(Kind.BOOL, synonyms=DIRECTION_SYNONYMS),
        Field(
            default=None,
            description="Largest or newest first (default for size and last_modified); false for smallest or "
            "oldest first. Keys go A to Z unless true.",
        ),
    ] = None
    limit: Annotated[
        int, ArgKind(Kind.LIMIT), Field(default=100, ge=1, le=1000, description="Most rows to return (1-1000).")
    ] = 100

    @property
    def is_descending(self) -> bool:
        """The direction asked for, or the natural one of the order (size and time: largest first)."""
        return self.descending if self.descending is not None else self.order_by != "key"

    def query_filters(self) -> InventoryFilters:
        """The filters of this query, with its bucket, order and limit."""
        return self.filters(self.bucket, limit=self.limit, order_by=self.order_by, descending=self.is_descending)
