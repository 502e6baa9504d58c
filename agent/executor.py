"""The executor: runs exactly one approved call under its grant, once, recording before and after.

Used by the graph's ``execute`` node, and by the facade when a decision arrives after its thread
has moved on to other questions (the approval is still valid; the conversation is elsewhere).

Before anything is claimed the call must be in the account and region it was approved for: a
resume elsewhere runs nothing and leaves the record as it is, so a write that happened in the
right region is never marked failed. The claim re-checks the policy and takes the execution lease.
"""

from __future__ import annotations

from typing import Any

from agent.context import OpsbotContext
from tools import guard
from tools import runtime as tool_runtime
from tools.errors import OpsbotError


def run_approval(c: OpsbotContext, approval_id: str) -> tuple[str, dict[str, Any] | None]:
    """(reply, result) of running the approved call; a call already run or not approved runs nothing.

    Raises ``ApprovalError`` (nothing run, record unchanged) in the wrong account or region, or
    while another run holds the lease."""
    before = c.approvals.get(approval_id)
    tool_ctx = tool_runtime.make_context(
        c.settings, requester=before.requester, thread=before.thread, clients=c.clients
    )
    c.approvals.check_place(approval_id, tool_ctx.account, tool_ctx.region)
    claimed = c.approvals.claim_execution(approval_id)
    if claimed is None:
        record = c.approvals.get(approval_id)
        return record.reply or f"{record.tool} is {record.status}; nothing more to run.", record.result
    record, resumed = claimed
    c.progress(f"{'resuming' if resumed else 'running'} {record.tool} (approval {record.id})")

    def log_call(service: str, operation: str, grant: guard.Grant | None, refusal: str | None) -> None:
        if grant is not None and grant.approval_id == record.id:
            c.audit.record(
                "aws_call",
                "opsbot",
                thread=record.thread,
                approval_id=record.id,
                data={"operation": f"{service}:{operation}", "refused": refusal},
            )

    guard.LISTENERS.append(log_call)
    try:
        outcome = tool_runtime.run_approved(record.tool, record.args, tool_ctx, c.approvals.grant(record))
        error, text, result = None, outcome.text, outcome.result
    except OpsbotError as exc:
        error, text, result = str(exc), f"{record.tool} failed: {exc}", None
    finally:
        guard.LISTENERS.remove(log_call)
    c.approvals.finish(record.id, result=result, reply=text, error=error)
    c.progress(text)
    return text, result
