"""The mutation guard: the second lock. No mutating AWS call leaves a tool's client without a grant.

A grant is created by the approval flow for exactly one approved call (see ``call_hash``) and
made active only while that call runs. The guard is a botocore ``before-call`` hook; it fails
closed: any operation that is not known to be read-only counts as mutating.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from tools.errors import MutationBlockedError

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head", "Select", "Lookup", "Query", "Scan")
# Operations whose names sound like writes but change nothing the user owns.
READ_ONLY_OPERATIONS = frozenset(
    {
        "athena:StartQueryExecution",  # runs a SELECT; results go to the query output location
    }
)


def is_mutating(service: str, operation: str) -> bool:
    """True unless the operation is known to only read."""
    if f"{service}:{operation}" in READ_ONLY_OPERATIONS:
        return False
    return not operation.startswith(READ_PREFIXES)


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def call_hash(tool: str, args: dict[str, Any], account: str, region: str, requester: str, thread: str) -> str:
    """SHA-256 of the canonical JSON of the call an approval covers."""
    payload = {
        "tool": tool,
        "args": args,
        "account": account,
        "region": region,
        "requester": requester,
        "thread": thread,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


@dataclass(frozen=True)
class Grant:
    """Permission to make the AWS writes of one approved call, until ``expires_at`` (epoch s)."""

    approval_id: str
    call_hash: str
    operations: frozenset[str]
    expires_at: float

    def allows(self, service: str, operation: str, now: float | None = None) -> str | None:
        """None if allowed, else why not."""
        if (now if now is not None else time.time()) > self.expires_at:
            return f"grant {self.approval_id} expired"
        if f"{service}:{operation}" not in self.operations:
            return f"grant {self.approval_id} does not cover {service}:{operation}"
        return None


_active: ContextVar[Grant | None] = ContextVar("opsbot_active_grant", default=None)

# Observers of every mutating call the guard sees: (service, operation, grant, refusal or None).
# The audit log and the eval suite's safety scorer listen here.
Listener = Callable[[str, str, "Grant | None", "str | None"], None]
LISTENERS: list[Listener] = []


def active_grant() -> Grant | None:
    """The grant in force for the current context, if any."""
    return _active.get()


@contextmanager
def activated(grant: Grant) -> Iterator[Grant]:
    """Make ``grant`` active for the duration of the block (this context only)."""
    token = _active.set(grant)
    try:
        yield grant
    finally:
        _active.reset(token)


def check(service: str, operation: str) -> None:
    """Raise MutationBlockedError if this call is a write that no active grant covers."""
    if not is_mutating(service, operation):
        return
    grant = _active.get()
    reason = "writes need an approved request (no active grant)" if grant is None else grant.allows(service, operation)
    for listener in list(LISTENERS):
        listener(service, operation, grant, reason)
    if reason:
        raise MutationBlockedError(f"blocked {service}:{operation}: {reason}")


def _before_call(model: Any, **_: Any) -> None:
    check(model.service_model.service_name, model.name)


def _athena_select_only(params: dict[str, Any], **_: Any) -> None:
    # StartQueryExecution counts as a read only while the query is one SELECT: CTAS, INSERT, DDL
    # and several statements are writes and need a grant like any other.
    query = str(params.get("QueryString", "")).strip().rstrip(";").strip()
    head = query.split(None, 1)[0].upper() if query else ""
    if head in ("SELECT", "WITH") and ";" not in query:
        return
    grant = _active.get()
    reason = (
        "this Athena query is not a single SELECT" if grant is None else grant.allows("athena", "StartQueryExecution")
    )
    if reason:
        raise MutationBlockedError(f"blocked athena:StartQueryExecution: {reason}")


def install(client: Any) -> Any:
    """Attach the guard to a boto3 client, ahead of every other before-call handler."""
    client.meta.events.register_first("before-call", _before_call, unique_id="opsbot-guard")
    client.meta.events.register_first(
        "before-parameter-build.athena.StartQueryExecution", _athena_select_only, unique_id="opsbot-guard-athena"
    )
    return client
