"""Approval requests, decisions and the exactly-once hand-off to execution.

A request covers one call (its SHA-256 ``call_hash``); a decision is checked against the policy
(approvers per tier, no self-approval at high and critical, distinct approvers for critical,
expiry); execution is claimed by compare-and-set so a call runs at most once even when two
decisions or a crash and a resume race.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.policy import Policy
from agent.stores.approvals import FINAL, ApprovalRecord, ApprovalStore, ConflictError, Decision, now_iso
from agent.stores.audit import AuditLog
from tools import guard
from tools.base import Plan
from tools.errors import NotFoundError, OpsbotError


class ApprovalError(OpsbotError):
    """A decision that may not be taken (not an approver, self-approval, expired, replayed)."""

    exit_code = 3


class ApprovalService:
    """The approval queue, shared by the CLI and Slack."""

    def __init__(self, store: ApprovalStore, audit: AuditLog, policy: Policy) -> None:
        self.store, self.audit, self.policy = store, audit, policy

    # ------------------------------------------------------------------ reads
    def get(self, approval_id: str) -> ApprovalRecord:
        """The record; an unknown id is an error that names it."""
        record = self.store.get(approval_id)
        if record is None:
            raise NotFoundError(f"approval {approval_id!r} does not exist")
        return self._expire_if_due(record)

    def list(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        """Newest first; pending requests past their expiry are shown as expired."""
        return [self._expire_if_due(r) for r in self.store.list(status=status, limit=limit)]

    def set_slack_ref(self, approval_id: str, channel: str, ts: str) -> None:
        """Remember the Slack message of the card so it can be updated after a decision."""
        self._update(approval_id, lambda r: r.model_copy(update={"slack_ref": {"channel": channel, "ts": ts}}))

    def claim_once(self, key: str) -> bool:
        """True the first time ``key`` is seen (deduplicates Slack retries)."""
        return self.store.claim_once(key)

    # --------------------------------------------------------------- requests
    def open_request(
        self,
        plan: Plan,
        *,
        requester: str,
        thread: str,
        channel: str,
        account: str,
        region: str,
        policy_findings: list[dict[str, Any]],
    ) -> ApprovalRecord:
        """A pending request for exactly this call (an identical open one in the thread is reused)."""
        chash = guard.call_hash(plan.tool, plan.args, account, region, requester, thread)
        for existing in self.store.list(status="pending"):
            if existing.call_hash == chash and existing.thread == thread and not existing.expired():
                return existing
        created = datetime.now(UTC)
        record = ApprovalRecord(
            id="ap-" + secrets.token_hex(5),
            call_hash=chash,
            tool=plan.tool,
            args=plan.args,
            account=account,
            region=region,
            requester=requester,
            thread=thread,
            channel=channel,
            effect=str(plan.effect),
            risk=str(plan.risk),
            plan=plan.model_dump(mode="json"),
            policy=policy_findings,
            approvals_needed=self.policy.approvals_needed(plan.risk),
            created_at=created.isoformat(timespec="seconds"),
            expires_at=(created + timedelta(minutes=self.policy.approval.expiry_minutes)).isoformat(timespec="seconds"),
        )
        self.store.create(record)
        self.audit.record(
            "approval_requested",
            requester,
            thread=thread,
            approval_id=record.id,
            data={
                "tool": plan.tool,
                "args": plan.args,
                "risk": record.risk,
                "call_hash": chash,
                "cost_usd_per_hour": plan.cost_usd_per_hour,
            },
        )
        return record

    def supersede(self, thread: str, by: str, new_id: str | None = None) -> list[str]:
        """Retire the open requests of ``thread`` other than ``new_id`` (the newer request that
        replaces them; each names it). Returns their ids."""
        retired = []
        for record in self.store.list(status="pending"):
            if record.thread != thread or record.id == new_id:
                continue
            update = {"status": "superseded", "error": "superseded", "superseded_by": new_id}
            try:
                self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue  # decided meanwhile; that decision stands
            self.audit.record("superseded", by, thread=thread, approval_id=record.id, data={"by": new_id})
            retired.append(record.id)
        return retired

    def withdraw(self, approval_id: str, user: str) -> ApprovalRecord:
        """The requester cancels their own pending request ("cancel that"); nothing will run."""
        record = self.get(approval_id)
        if record.status != "pending":
            raise ApprovalError(f"approval {approval_id} is already {record.status}; nothing to withdraw")
        if user != record.requester:
            raise ApprovalError(f"only the requester ({record.requester}) may withdraw {approval_id}")
        new = self._update(approval_id, lambda r: r.model_copy(update={"status": "withdrawn"}))
        self.audit.record("withdrawn", user, thread=new.thread, approval_id=approval_id)
        return new

    # -------------------------------------------------------------- decisions
    def can_decide(self, approval_id: str, user: str) -> str | None:
        """None if ``user`` may decide now, else the reason they may not."""
        record = self.get(approval_id)
        if record.status != "pending":
            return f"approval {approval_id} is already {record.status}; nothing to decide"
        reason = self.policy.may_approve(user, record.risk, record.requester)
        if reason:
            return reason
        if user in record.approved_by:
            return f"distinct-approvers: {user} already approved {approval_id}; another approver is needed"
        return None

    def decide(self, approval_id: str, user: str, approve: bool, note: str | None = None) -> ApprovalRecord:
        """Record a decision. Enough approvals move the request to ``approved``; one rejection ends it."""
        for _ in range(5):
            record = self.get(approval_id)
            if record.status == "expired":
                raise ApprovalError(f"approval {approval_id} expired at {record.expires_at}; nothing will run")
            reason = self.can_decide(approval_id, user)
            if reason and not (not approve and record.status == "pending" and user == record.requester):
                # The requester may always withdraw (reject) their own pending request.
                self.audit.record(
                    "decision_refused",
                    user,
                    thread=record.thread,
                    approval_id=approval_id,
                    data={"approve": approve, "reason": reason},
                )
                raise ApprovalError(reason)
            decision = Decision(user=user, decision="approve" if approve else "reject", at=now_iso(), note=note)
            update: dict[str, Any] = {"decisions": [*record.decisions, decision]}
            if approve:
                approved_by = [*record.approved_by, user]
                update["approved_by"] = approved_by
                if len(set(approved_by)) >= record.approvals_needed:
                    update["status"] = "approved"
            else:
                update["status"] = "rejected"
            try:
                new = self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue
            self.audit.record(
                "decision",
                user,
                thread=new.thread,
                approval_id=approval_id,
                data={"decision": decision.decision, "status": new.status, "note": note},
            )
            return new
        raise ApprovalError(f"approval {approval_id} is being decided by someone else; try again")

    # -------------------------------------------------------------- execution
    def claim_execution(self, approval_id: str) -> tuple[ApprovalRecord, bool] | None:
        """Move approved -> executing. Returns (record, resumed); ``resumed`` is True when a
        previous attempt was interrupted mid-execution. None when there is nothing to run."""
        for _ in range(5):
            record = self.get(approval_id)
            if record.status == "executing":
                return record, True
            if record.status != "approved":
                return None
            try:
                new = self.store.replace(record.model_copy(update={"status": "executing"}))
            except ConflictError:
                continue
            self.audit.record(
                "execution_started",
                "opsbot",
                thread=new.thread,
                approval_id=approval_id,
                data={"tool": new.tool, "call_hash": new.call_hash},
            )
            return new, False
        return None

    def grant(self, record: ApprovalRecord) -> guard.Grant:
        """The grant that lets exactly this call's AWS writes through, valid until the expiry."""
        if record.status not in ("approved", "executing"):
            raise ApprovalError(f"approval {record.id} is {record.status}; no grant")
        operations = frozenset(Plan.model_validate(record.plan).operation_names())
        # An approved call gets a bounded window to run even if the request expires meanwhile.
        until = max(record.expires_epoch, datetime.now(UTC).timestamp() + 15 * 60)
        return guard.Grant(record.id, record.call_hash, operations, until)

    def finish(
        self, approval_id: str, *, result: dict[str, Any] | None, reply: str, error: str | None
    ) -> ApprovalRecord:
        """Record the end of execution (executed or failed)."""

        def done(r: ApprovalRecord) -> ApprovalRecord:
            return r.model_copy(
                update={
                    "status": "failed" if error else "executed",
                    "result": result,
                    "reply": reply,
                    "error": error,
                    "executed_at": now_iso(),
                }
            )

        new = self._update(approval_id, done)
        self.audit.record(
            "execution_finished",
            "opsbot",
            thread=new.thread,
            approval_id=approval_id,
            data={"status": new.status, "error": error},
        )
        return new

    # ---------------------------------------------------------------- helpers
    def _update(self, approval_id: str, change: Any) -> ApprovalRecord:
        for _ in range(10):
            record = self.get(approval_id)
            try:
                return self.store.replace(change(record))
            except ConflictError:
                continue
        raise ApprovalError(f"approval {approval_id}: could not update, too many concurrent changes")

    def _expire_if_due(self, record: ApprovalRecord) -> ApprovalRecord:
        if record.status != "pending" or not record.expired():
            return record
        try:
            new = self.store.replace(record.model_copy(update={"status": "expired"}))
        except ConflictError:
            return self.store.get(record.id) or record
        self.audit.record(
            "expired", "opsbot", thread=record.thread, approval_id=record.id, data={"expires_at": record.expires_at}
        )
        return new


def is_final(record: ApprovalRecord) -> bool:
    """True when nothing more will happen to this request."""
    return record.status in FINAL
