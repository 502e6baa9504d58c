"""The mutation guard: the second lock. No mutating AWS call leaves a tool's client without a grant.

A grant is created by the approval flow for exactly one approved call (see ``call_hash``) and
made active only while that call runs. It names the operations the plan listed and, for each, the
top-level parameters that identify what it touches (names, ARNs, counts): a call whose parameters
differ from every granted operation of that name is refused, so a CreateCluster grant does not let
another cluster be created. Parameters a plan does not list are free. The guard is a botocore
``before-call`` hook (with the caller's parameters kept at ``before-parameter-build``); it fails
closed: any operation that is not known to be read-only counts as mutating.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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


_MISSING = "<not given>"
PARAMS_KEY = "opsbot_guard_params"  # where the caller's parameters wait in botocore's request context


@dataclass(frozen=True)
class Grant:
    """Permission to make the AWS writes of one approved call, until ``expires_at`` (epoch s).

    ``bindings`` maps an operation to the parameter sets it was approved with (canonical JSON per
    key). An operation with no binding, or with an empty parameter set, is bound by name only.
    """

    approval_id: str
    call_hash: str
    operations: frozenset[str]
    expires_at: float
    bindings: Mapping[str, tuple[Mapping[str, str], ...]] = field(default_factory=dict)

    @classmethod
    def for_operations(
        cls, approval_id: str, call_hash: str, operations: Iterable[Any], expires_at: float
    ) -> Grant:
        """A grant for a plan's operations: ``AwsOperation``s, their dicts, or plain names (old records)."""
        names: set[str] = set()
        bindings: dict[str, list[dict[str, str]]] = {}
        for item in operations:
            if isinstance(item, str):
                name, params = item, {}
            elif isinstance(item, Mapping):
                name, params = str(item["operation"]), dict(item.get("params") or {})
            else:  # an AwsOperation
                name, params = str(item.operation), dict(item.params)
            names.add(name)
            bindings.setdefault(name, []).append({k: canonical_json(v) for k, v in params.items()})
        frozen = {name: tuple(sets) for name, sets in bindings.items()}
        return cls(approval_id, call_hash, frozenset(names), expires_at, frozen)

    def allows(
        self, service: str, operation: str, now: float | None = None, params: Mapping[str, Any] | None = None
    ) -> str | None:
        """None if allowed, else why not. ``params`` are the call's top-level request parameters."""
        if (now if now is not None else time.time()) > self.expires_at:
            return f"grant {self.approval_id} expired"
        name = f"{service}:{operation}"
        if name not in self.operations:
            return f"grant {self.approval_id} does not cover {name}"
        granted = self.bindings.get(name, ())
        if not granted or any(not bound for bound in granted):
            return None
        if params is None:
            return f"grant {self.approval_id} covers {name} only with approved parameters, and these are unknown"
        for bound in granted:
            differs = [k for k, v in bound.items() if _canonical_param(params, k) != v]
            if not differs:
                return None
        key = differs[0]
        return (
            f"grant {self.approval_id} covers {name} only for {key}={granted[0].get(key, _MISSING)}, "
            f"not {key}={_canonical_param(params, key)}"
        )


def _canonical_param(params: Mapping[str, Any], key: str) -> str:
    return canonical_json(params[key]) if key in params else _MISSING


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


def check(service: str, operation: str, params: Mapping[str, Any] | None = None) -> None:
    """Raise MutationBlockedError if this call is a write that no active grant covers (with these
    top-level ``params``, when the grant binds them)."""
    if not is_mutating(service, operation):
        return
    grant = _active.get()
    reason = (
        "writes need an approved request (no active grant)"
        if grant is None
        else grant.allows(service, operation, params=params)
    )
    for listener in list(LISTENERS):
        listener(service, operation, grant, reason)
    if reason:
        raise MutationBlockedError(f"blocked {service}:{operation}: {reason}")


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    # before-call sees only the serialized request; keep the caller's own top-level parameters
    # (before botocore fills in client tokens and the like) for the check.
    context[PARAMS_KEY] = dict(params)


def _before_call(model: Any, context: dict[str, Any] | None = None, **_: Any) -> None:
    service, operation = model.service_model.service_name, model.name
    if not is_mutating(service, operation):
        return
    check(service, operation, (context or {}).get(PARAMS_KEY))


def _athena_select_only(params: dict[str, Any], **_: Any) -> None:
    # StartQueryExecution counts as a read only while the query is one SELECT: CTAS, INSERT, DDL
    # and several statements are writes and need a grant like any other.
    query = str(params.get("QueryString", "")).strip().rstrip(";").strip()
    head = query.split(None, 1)[0].upper() if query else ""
    if head in ("SELECT", "WITH") and ";" not in query:
        return
    grant = _active.get()
    reason = (
        "this Athena query is not a single SELECT"
        if grant is None
        else grant.allows("athena", "StartQueryExecution", params=params)
    )
    if reason:
        raise MutationBlockedError(f"blocked athena:StartQueryExecution: {reason}")


def install(client: Any) -> Any:
    """Attach the guard to a boto3 client, ahead of every other before-call handler."""
    client.meta.events.register_first("before-parameter-build", _keep_params, unique_id="opsbot-guard-params")
    client.meta.events.register_first("before-call", _before_call, unique_id="opsbot-guard")
    client.meta.events.register_first(
        "before-parameter-build.athena.StartQueryExecution", _athena_select_only, unique_id="opsbot-guard-athena"
    )
    return client
