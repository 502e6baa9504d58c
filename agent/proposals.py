"""From a proposed write to a filed approval request: plan it, measure it against the policy, file it.

The one path by which a write or destructive call becomes a request, whoever proposes it: the
graph's gate and approval nodes (a call a model chose) and the facade's ``propose`` (a call named
directly, e.g. by an MCP client) both come through here, so a request looks the same, is checked
by the same rules and gets the same record and id whichever way it was asked. Nothing here writes
to AWS; planning reads at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.approvals import ApprovalService
from agent.policy import Policy
from agent.stores.approvals import ApprovalRecord
from agent.stores.audit import AuditLog
from agent.views import PolicyFinding
from tools import registry
from tools import runtime as tool_runtime
from tools.base import Plan, Tool, ToolContext
from tools.errors import UnknownToolError


def plan_call(tool: Tool, raw_args: dict[str, Any] | str | None, tool_ctx: ToolContext) -> Plan:
    """The plan of a call, its arguments validated, normalised and made absolute.

    The plan's ``args`` are what the approval binds and what runs (the form
    ``tools.runtime.run_approved`` hashes): a relative change ("add 2 instances") is already resolved to
    its absolute target there (``instance_count=3``), so the approver sees the exact call that will run
    and a change of the resource before the run cannot change it. What was asked stays in the plan's
    ``facts['resolved_from']``. Bad arguments raise ``ToolInputError`` naming the field; a missing
    resource or an AWS failure raise their own ``OpsbotError``."""
    return tool_runtime.plan(tool.name, raw_args, tool_ctx)


@dataclass(frozen=True)
class Assessment:
    """A planned call and every policy rule applied to it."""

    plan: Plan
    findings: list[PolicyFinding]

    @property
    def broken(self) -> list[PolicyFinding]:
        """The rules the call breaks; any one of them refuses it."""
        return [f for f in self.findings if not f.ok]

    @property
    def noop(self) -> bool:
        """True when the call would change nothing (already in that state): nobody needs to approve it."""
        return not self.plan.aws_operations

    def noop_reply(self) -> str:
        """What to say about a call that would change nothing."""
        summary = self.plan.summary
        return summary if "nothing" in summary.lower() else f"Nothing to change: {summary}"

    def refusal_reply(self) -> str:
        """What to say about a refused call: every broken rule by name, and that nothing happened."""
        rules = "; ".join(f"{f.rule}: {f.message}" for f in self.broken)
        return f"Refused by policy: {rules}. Nothing was asked or run."

    def approvers(self) -> str:
        """Who may approve it, in words (the policy's ``approvers-for-tier`` finding)."""
        return next((f.message for f in self.findings if f.rule == "approvers-for-tier"), "")


def assess(policy: Policy, plan: Plan, requester: str, region: str) -> Assessment:
    """Apply every policy rule to a planned call, before anyone is asked."""
    return Assessment(plan=plan, findings=policy.evaluate(plan, requester, region))


def record_refusal(audit: AuditLog, assessment: Assessment, *, user: str, thread: str) -> None:
    """Write the refusal to the audit log: the call and the rules that refused it."""
    plan = assessment.plan
    audit.record(
        "policy_refused",
        user,
        thread=thread,
        data={"tool": plan.tool, "args": plan.args, "rules": [f.rule for f in assessment.broken]},
    )


def same_target(older: ApprovalRecord, newer: ApprovalRecord) -> bool:
    """Whether a newer request acts on a resource the older one acts on (so it replaces it).

    Calls that name no resource (none of their arguments is a NAME, ARN or ID) match by tool."""
    old_targets = _targets(older)
    new_targets = _targets(newer)
    if not old_targets or not new_targets:
        return older.tool == newer.tool
    return bool(old_targets & new_targets)


def _targets(record: ApprovalRecord) -> frozenset[tuple[str, str]]:
    try:
        return registry.get(record.tool).targets(record.args)
    except UnknownToolError:  # a tool no longer in the catalog: compare by name alone
        return frozenset()


@dataclass(frozen=True)
class Filed:
    """A request just filed, and the older requests of its thread it replaced (for front ends to tell)."""

    record: ApprovalRecord
    replaced: list[ApprovalRecord]


def file_request(
    approvals: ApprovalService,
    plan: Plan,
    *,
    requester: str,
    thread: str,
    channel: str,
    account: str,
    region: str,
    findings: list[dict[str, Any]],
) -> Filed:
    """Open the pending request for exactly this call (an identical open one in the thread is reused).

    A new write in a thread then retires the thread's older open requests on the same resource that
    its author may cancel (their own, or any if they approve that tier): a changed call needs a new
    approval, and nobody cancels others'. Requests on other resources stay open: "scale chat-prod to
    2" and then "scale llama8b-inf2 to 2" are two wanted changes, not a correction.
    """
    record = approvals.open_request(
        plan,
        requester=requester,
        thread=thread,
        channel=channel,
        account=account,
        region=region,
        policy_findings=findings,
    )
    replaced = approvals.supersede(
        thread, by=requester, replaced_by=record.id, only=lambda older: same_target(older, record)
    )
    return Filed(record=record, replaced=replaced)
