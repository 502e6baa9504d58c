"""Shared argument checks. Each raises ToolInputError naming the field, the value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import AfterValidator, ValidationError, ValidationInfo

from tools.errors import ToolInputError

S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<key>.*))?$")
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# SageMaker resource names: letters, digits and hyphens, starting alphanumeric, at most 63.
SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ECR_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})?$"
)


def s3_uri(field: str, value: str, *, prefix_only: bool = False) -> str:
    """A well-formed ``s3://bucket/key`` URI."""
    m = S3_URI.match(value.strip())
    if not m or ".." in m.group("bucket"):
        raise ToolInputError(field, value, "expected s3://bucket/prefix with a valid bucket name")
    return value.strip()


def bucket_name(field: str, value: str) -> str:
    """An S3 bucket name (an ``s3://bucket`` URI is accepted and reduced to the name)."""
    name = value.strip()
    if name.startswith("s3://"):
        name = name[5:].split("/", 1)[0]
    if not BUCKET.match(name) or ".." in name:
        raise ToolInputError(field, value, "expected a bucket name: 3-63 of a-z, 0-9, '.', '-'")
    return name


def sagemaker_name(field: str, value: str) -> str:
    """A name SageMaker accepts: 1-63 letters, digits or hyphens, starting with a letter or digit."""
    if not SAGEMAKER_NAME.match(value):
        raise ToolInputError(field, value, "expected 1-63 letters, digits or hyphens, starting with a letter or digit")
    return value


def image_uri(field: str, value: str) -> str:
    """An ECR image URI (account.dkr.ecr.region.amazonaws.com/repo[:tag])."""
    if not ECR_IMAGE.match(value.strip()):
        raise ToolInputError(
            field, value, "expected an ECR image URI like 123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag"
        )
    return value.strip()


def checked(check: Callable[[str, str], str]) -> AfterValidator:
    """``check(field, value)`` as a validator for ``Annotated``: it names the field it checks, and
    leaves an absent optional value alone."""

    def validate(value: Any, info: ValidationInfo) -> Any:
        return value if value is None else check(info.field_name or "value", value)

    return AfterValidator(validate)


# Put these in an argument's ``Annotated[...]``.
SageMakerName = checked(sagemaker_name)
S3Uri = checked(s3_uri)
ImageUri = checked(image_uri)
BucketName = checked(bucket_name)


def first_error(exc: ValidationError, tool: str | None = None) -> ToolInputError:
    """Turn pydantic's report into one line: the field, the value, what is allowed."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "args"
    value: Any = err.get("input")
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "extra_forbidden":
        return ToolInputError(field, value, f"unknown argument '{field}'", tool=tool)
    if kind == "missing":
        return ToolInputError(field, None, "this argument is required", tool=tool)
    return ToolInputError(field, value, msg[0].lower() + msg[1:] if msg else msg, tool=tool)
