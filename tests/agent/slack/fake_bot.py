"""A small stand-in for the ``Opsbot`` facade, for listener tests that must not depend on the agent.

It offers exactly the facade's methods the Slack app uses (``ask``, ``decide``, ``withdraw``,
``resume``, ``can_decide``, ``can_resume``, ``get_approval``, ``list_approvals``, ``attach_card``,
``claim_delivery``, ``audit_entries``, ``identity``), keeps real ``ApprovalRecord`` objects, and follows the facade's
rules in miniature: bob and carol approve, nobody approves their own request, a request expires, a
decision is taken once, the same request again in a thread is the pending one, and a newer write in
a thread supersedes the pending one only when its author is that request's requester or an
approver (status ``superseded``, naming the new request and the time, and recorded in the audit log).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.service import ApprovalView, AskResult, PolicyFinding
from agent.stores.approvals import ApprovalRecord, Decision, Lease, now_iso
from agent.stores.audit import AuditEntry
from tools.errors import NotFoundError, OpsbotError

IDENTITIES = {"U0000ALICE": "alice", "U00000BOB0": "bob", "U000CAROL0": "carol", "U0000DAVE0": "dave"}
APPROVERS = {"bob", "carol"}
PLAN = {
    "tool": "create_hyperpod_cluster",
    "args": {"cluster_name": "demo", "instance_type": "ml.trn2.48xlarge", "instance_count": 2},
    "effect": "write",
    "risk": "high",
    "summary": "Create HyperPod cluster demo with 2 x ml.trn2.48xlarge",
    "changes": ["new HyperPod cluster demo (slurm)", "instance group workers: 2 x ml.trn2.48xlarge"],
    "aws_operations": ["sagemaker:CreateCluster"],
    "cost_usd_per_hour": 89.36,
    "cost_usd_total": None,
    "warnings": ["trn2 capacity is limited in us-east-1"],
}
POLICY = [
    {"rule": "region-allowed", "ok": True, "message": "region us-east-1 is allowed"},
    {"rule": "no-self-approval", "ok": True, "message": "alice cannot approve their own high-risk request"},
]


class FakeRecord(ApprovalRecord):
    """An approval record that names what superseded it and when, as the facade's records do."""

    replaced_by: str | None = None
    closed_at: str | None = None


class FakeOpsbot:
    """Records what it was asked; ``runs`` lists the approval ids whose action ran.

    ``plan`` is the plan the next write request gets (tests make it large); ``reply_text`` is the
    answer to a read; ``ask_progress`` lines are reported while a read runs."""

    def __init__(self) -> None:
        self.records: dict[str, ApprovalRecord] = {}
        self.claims: list[str] = []
        self.audit: list[AuditEntry] = []
        self.asks: list[dict[str, Any]] = []
        self.runs: list[str] = []
        self.withdrawn: list[tuple[str, str]] = []
        self.progress_messages = ["creating cluster demo", "cluster demo is InService"]
        self.plan: dict[str, Any] = copy.deepcopy(PLAN)
        self.reply_text: str | None = None
        self.ask_progress: list[str] = []

    # ------------------------------------------------------------------ audit
    def _record_audit(self, kind: str, actor: str, approval_id: str | None = None, **data: Any) -> None:
        prev = self.audit[-1].hash if self.audit else "0" * 64
        entry = AuditEntry(
            seq=len(self.audit) + 1, at=now_iso(), kind=kind, actor=actor, approval_id=approval_id, data=data,
            prev_hash=prev,
        )  # fmt: skip
        entry.hash = hashlib.sha256(f"{prev}{entry.seq}{kind}".encode()).hexdigest()
        self.audit.append(entry)

    def audit_entries(self, limit: int = 50, approval_id: str | None = None) -> list[AuditEntry]:
        items = [e for e in self.audit if approval_id is None or e.approval_id == approval_id]
        return items[-limit:]

    # ------------------------------------------------------------ the queue
    def get_approval(self, approval_id: str) -> ApprovalRecord:
        if approval_id not in self.records:
            raise NotFoundError(f"approval {approval_id!r} does not exist")
        record = self.records[approval_id]
        if record.status == "pending" and record.expired():
            record = self.records[approval_id] = record.model_copy(update={"status": "expired"})
        return record

    def list_approvals(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        records = [self.get_approval(i) for i in reversed(list(self.records))]
        return [r for r in records if status is None or r.status == status][:limit]

    def pending_in_thread(self, thread: str) -> list[ApprovalRecord]:
        records = [self.get_approval(i) for i in self.records]
        return [r for r in records if r.status == "pending" and r.thread == thread]

    def attach_card(self, approval_id: str, channel: str, ts: str) -> None:
        self.records[approval_id] = self.records[approval_id].model_copy(
            update={"slack_ref": {"channel": channel, "ts": ts}}
        )

    def claim_delivery(self, key: str) -> bool:
        if key in self.claims:
            return False
        self.claims.append(key)
        return True

    def expire(self, approval_id: str) -> None:
        """Move the expiry into the past (as if the approver came back too late)."""
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
        self.records[approval_id] = self.records[approval_id].model_copy(update={"expires_at": past})

    def identity(self, system: str, external_id: str) -> str:
        return IDENTITIES.get(external_id, f"{system}:{external_id}")

    # ------------------------------------------------------------------- ask
    def ask(self, text: str, *, user: str, thread: str, channel: str = "cli", progress: Any = None) -> AskResult:
        self.asks.append({"text": text, "user": user, "thread": thread, "channel": channel})
        self._record_audit("request", user, text=text)
        if text.startswith("scale"):
            return AskResult(thread=thread, route="inference", clarify=True, reply="Which endpoint should I scale?")
        if "create" not in text:
            for line in self.ask_progress:
                if progress:
                    progress(line)
            return AskResult(thread=thread, route="training", reply=self.reply_text or f"{user}: 2 HyperPod clusters.")
        if "9999" in text:
            finding = PolicyFinding(rule="max-instances-per-action", ok=False, message="9999 instances > limit 64")
            return AskResult(
                thread=thread,
                approval=ApprovalView(required=True, status="refused"),
                policy=[finding],
                reply="Refused by policy: max-instances-per-action",
            )
        args = copy.deepcopy(self.plan["args"])
        count = re.search(r"with (\d+) ", text)
        if count:
            args["instance_count"] = int(count.group(1))
        for same in self.list_approvals(status="pending"):
            if same.thread == thread and same.requester == user and same.args == args:
                view = ApprovalView(required=True, status="pending", id=same.id, expires_at=same.expires_at)
                return AskResult(thread=thread, route="training", approval=view, plan=same.plan, reply="needs approval")
        new_id = f"ap-{len(self.records) + 1:04d}"
        for old in self.list_approvals(status="pending"):
            if old.thread == thread and (user == old.requester or user in APPROVERS):
                update = {"status": "superseded", "replaced_by": new_id, "closed_at": now_iso()}
                self.records[old.id] = old.model_copy(update=update)
                self._record_audit("superseded", user, old.id, by=new_id)
        now = datetime.now(UTC)
        record = FakeRecord(
            id=new_id,
            call_hash="0" * 64,
            tool=self.plan["tool"],
            args=args,
            account="123456789012",
            region="us-east-1",
            requester=user,
            thread=thread,
            channel=channel,
            effect="write",
            risk="high",
            plan=copy.deepcopy(self.plan),
            policy=POLICY,
            approvals_needed=1,
            created_at=now.isoformat(timespec="seconds"),
            expires_at=(now + timedelta(minutes=15)).isoformat(timespec="seconds"),
        )
        self.records[record.id] = record
        self._record_audit("approval_requested", user, record.id)
        view = ApprovalView(
            required=True, status="pending", id=record.id, approvals_needed=1, expires_at=record.expires_at
        )
        return AskResult(
            thread=thread,
            route="training",
            approval=view,
            plan=self.plan,
            policy=[PolicyFinding(**f) for f in POLICY],
            reply="needs approval",
        )

    # ------------------------------------------------------------ decisions
    def can_decide(self, approval_id: str, user: str) -> str | None:
        record = self.get_approval(approval_id)
        if record.status != "pending":
            return f"approval {approval_id} is already {record.status}; nothing to decide"
        if user == record.requester:
            return f"no-self-approval: {user} requested this high-risk action and cannot approve it"
        if user not in APPROVERS:
            return f"approvers-for-tier: {user} may not approve high-risk actions (allowed: @platform-leads)"
        return None

    def withdraw(self, approval_id: str, *, user: str) -> AskResult:
        record = self.get_approval(approval_id)
        if record.status != "pending" or user != record.requester:
            raise OpsbotError(f"{user} cannot withdraw {approval_id} ({record.status})")
        self.records[approval_id] = record.model_copy(update={"status": "withdrawn", "closed_at": now_iso()})
        self.withdrawn.append((approval_id, user))
        self._record_audit("withdrawn", user, approval_id)
        return AskResult(thread=record.thread, reply=f"{approval_id} withdrawn")

    def decide(
        self, approval_id: str, *, user: str, approve: bool, progress: Callable[[str], None] | None = None
    ) -> AskResult:
        why = self.can_decide(approval_id, user)
        if why:
            raise OpsbotError(why)
        record = self.get_approval(approval_id)
        decision = Decision(user=user, decision="approve" if approve else "reject", at=now_iso())
        self._record_audit("decision", user, approval_id, approve=approve)
        if not approve:
            self.records[approval_id] = record.model_copy(update={"status": "rejected", "decisions": [decision]})
            return AskResult(thread=record.thread, reply=f"{user} rejected {approval_id}; nothing ran.")
        for message in self.progress_messages:
            if progress:
                progress(message)
        self.runs.append(approval_id)
        self.records[approval_id] = record.model_copy(
            update={
                "status": "executed",
                "decisions": [decision],
                "approved_by": [user],
                "executed_at": now_iso(),
                "reply": "Cluster demo created (2 x ml.trn2.48xlarge).",
                "result": {"cluster_name": "demo"},
            }
        )
        self._record_audit("execution_finished", "opsbot", approval_id)
        return AskResult(
            thread=record.thread, reply="Cluster demo created (2 x ml.trn2.48xlarge).", result={"cluster_name": "demo"}
        )

    # --------------------------------------------------------------- resume
    def interrupt(self, approval_id: str, reason: str = "RuntimeError: the container died") -> None:
        """Approve ``approval_id`` (as bob) and leave its run stopped without an outcome, its lease over."""
        record = self.get_approval(approval_id)
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
        decision = Decision(user="bob", decision="approve", at=now_iso())
        self.records[approval_id] = record.model_copy(
            update={
                "status": "executing",
                "decisions": [decision],
                "approved_by": ["bob"],
                "lease": Lease(owner="host:1:dead", by=record.requester, expires_at=past),
                "interruption": reason,
            }
        )

    def can_resume(self, approval_id: str, user: str) -> str | None:
        record = self.get_approval(approval_id)
        if not record.interrupted():
            return f"approval {approval_id} is {record.status}; there is no interrupted run to resume"
        if user != record.requester and user not in APPROVERS:
            return f"only the requester ({record.requester}) or an approver may resume {approval_id}; {user} may not"
        return None

    def resume(self, approval_id: str, *, user: str, progress: Callable[[str], None] | None = None) -> AskResult:
        why = self.can_resume(approval_id, user)
        if why:
            raise OpsbotError(why)
        record = self.get_approval(approval_id)
        self._record_audit("resume", user, approval_id)
        if progress:
            progress(f"resuming {record.tool} (approval {approval_id})")
        self.runs.append(approval_id)
        reply = "Cluster demo exists already (created before the interruption); nothing created twice."
        self.records[approval_id] = record.model_copy(
            update={"status": "executed", "executed_at": now_iso(), "reply": reply, "lease": None}
        )
        self._record_audit("execution_finished", "opsbot", approval_id)
        return AskResult(thread=record.thread, reply=reply)
