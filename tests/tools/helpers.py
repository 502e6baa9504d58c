"""Helpers the tool tests share: record the requests a tool makes, and run a write the way the
executor does (planned, granted exactly its operations for exactly this call, run)."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ReadTimeoutError

from tools import guard, runtime
from tools.base import Plan, ToolContext, ToolOutcome
from tools.registry import get


class Recorder:
    """Every API call a client makes (operation and the caller's top-level parameters), retries included."""

    def __init__(self, ctx: ToolContext, service: str) -> None:
        self.service = service
        self.calls: list[tuple[str, dict[str, Any]]] = []
        ctx.clients.client(service).raw.meta.events.register(f"before-parameter-build.{service}", self._record)

    def _record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))

    def ops(self) -> list[str]:
        """Operation names in call order."""
        return [op for op, _ in self.calls]

    def write_calls(self) -> list[tuple[str, dict[str, Any]]]:
        """The mutating calls, as (service:Operation, parameters)."""
        return [(f"{self.service}:{op}", p) for op, p in self.calls if guard.is_mutating(self.service, op)]

    def writes(self) -> list[str]:
        """The mutating operations, as service:Operation."""
        return [op for op, _ in self.write_calls()]

    def params(self, operation: str) -> dict[str, Any]:
        """Parameters of the only call of ``operation``."""
        found = [p for op, p in self.calls if op == operation]
        assert len(found) == 1, f"{operation} was called {len(found)} times: {self.ops()}"
        return found[0]


def record(ctx: ToolContext, service: str = "sagemaker") -> Recorder:
    """Start recording the calls ``ctx`` makes to ``service``."""
    return Recorder(ctx, service)


def grant_for(
    ctx: ToolContext, name: str, raw: dict[str, Any], operations: list[str], approval_id: str = "ap-1"
) -> guard.Grant:
    """A grant of ``operations`` for exactly this call of ``name``, valid for a minute."""
    args = runtime.parse_args(get(name), raw)
    call = guard.call_hash(
        name, runtime.args_dict(args), ctx.account, ctx.region, ctx.requester or "", ctx.thread or ""
    )
    return guard.Grant(approval_id, call, frozenset(operations), time.time() + 60)


def approve_and_run(
    ctx: ToolContext, name: str, raw: dict[str, Any], approval_id: str = "ap-1"
) -> tuple[Plan, ToolOutcome]:
    """Plan a write, grant exactly its AWS operations for exactly the planned call, and run that call (the
    plan's arguments, a relative change already made absolute, as the executor runs an approved record)."""
    plan = runtime.plan(name, raw, ctx)
    grant = grant_for(ctx, name, plan.args, plan.operation_names(), approval_id)
    return plan, runtime.run_approved(name, plan.args, ctx, grant)


@contextmanager
def grant_all(*operations: str) -> Iterator[guard.Grant]:
    """Activate a grant for raw sandbox writes (setting up a test, or testing an extension)."""
    with guard.activated(guard.Grant("ap-test", "h", frozenset(operations), time.time() + 60)) as grant:
        yield grant


def lose_first_answer(ctx: ToolContext, service: str, operation: str) -> list[str]:
    """Make the first successful ``operation`` look like a read timeout (AWS did it, the answer was
    lost), as a flaky network does; the list returned names each answer lost."""
    lost: list[str] = []

    def lose(model: Any, **_: Any) -> None:
        if not lost:
            lost.append(model.name)
            raise ReadTimeoutError(endpoint_url=f"https://api.{service}.us-east-1.amazonaws.com")

    ctx.clients.client(service).raw.meta.events.register_last(f"after-call.{service}.{operation}", lose)
    return lost
