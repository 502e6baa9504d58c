"""Helpers shared by the training-domain sandbox extensions: time, ARNs, paging, botocore enums.

State transitions in the sandbox happen when a resource is next read, never by sleeping: every
handler that touches a resource first "advances" it (Creating -> InService and so on), so a
describe right after a create already shows the settled state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from tools.sandbox.extensions import Call, ExtensionError

T = TypeVar("T")


def now() -> datetime:
    """The current time, timezone-aware UTC (boto3 returns aware datetimes too)."""
    return datetime.now(UTC)


def as_datetime(value: Any) -> datetime:
    """A request timestamp (datetime, ISO text or epoch seconds) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return as_datetime(datetime.fromisoformat(str(value)))


def short_hash(*parts: object, length: int = 12) -> str:
    """A stable lower-case hex id from ``parts`` (deterministic ids keep the seed reproducible)."""
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).hexdigest()[:length]


def arn(call: Call, resource: str, name: str) -> str:
    """A SageMaker ARN in the caller's account and region."""
    return f"arn:aws:sagemaker:{call.region}:{call.account}:{resource}/{name}"


def sagemaker_backend(call: Call) -> Any:
    """moto's SageMaker backend for the caller's account and region."""
    return sagemaker_backend_for(call.account, call.region)


def sagemaker_backend_for(account: str, region: str) -> Any:
    """moto's SageMaker backend for ``account`` and ``region``."""
    from moto.backends import get_backend

    return get_backend("sagemaker")[account][region]


@cache
def enum_values(shape_name: str) -> frozenset[str]:
    """The values botocore's SageMaker model allows for an enum shape (AWS checks them server side)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.shape_for(shape_name).enum)


def check_enum(value: str, shape_name: str, where: str) -> None:
    """Reject ``value`` as AWS would when it is not in the enum."""
    allowed = enum_values(shape_name)
    if value not in allowed:
        raise ExtensionError(
            "ValidationException",
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(sorted(allowed))}]",
        )


def not_found(message: str) -> ExtensionError:
    """SageMaker's error for a resource that does not exist."""
    return ExtensionError("ResourceNotFound", message, 400)


def paginate(call: Call, items: Sequence[T], default_max: int = 10) -> tuple[list[T], dict[str, str]]:
    """One page of ``items`` following MaxResults/NextToken, and the NextToken to return (if any)."""
    token = call.params.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ExtensionError("ValidationException", f"Invalid pagination token {token!r}") from None
    size = int(call.params.get("MaxResults") or default_max)
    page = list(items[start : start + size])
    more = {"NextToken": str(start + size)} if start + size < len(items) else {}
    return page, more


def sort_items(items: list[T], key: Callable[[T], Any], order: str | None) -> list[T]:
    """Sort ascending unless the request says Descending."""
    return sorted(items, key=key, reverse=order == "Descending")


def within(items: list[T], params: dict[str, Any], after: str, before: str, when: Callable[[T], datetime]) -> list[T]:
    """The items whose time ``when`` is later than ``params[after]`` and earlier than ``params[before]``,
    each bound applied only when given: the time filters of SageMaker's List* operations."""
    if params.get(after):
        start = as_datetime(params[after])
        items = [i for i in items if when(i) > start]
    if params.get(before):
        end = as_datetime(params[before])
        items = [i for i in items if when(i) < end]
    return items


def tags_of(call: Call) -> list[dict[str, str]]:
    """The request's tags as a fresh list (so later edits do not alias the caller's params)."""
    return [dict(t) for t in call.params.get("Tags") or []]
