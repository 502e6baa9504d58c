"""A small stand-in for the ``Opsbot`` facade, for listener tests that must not depend on the agent.

It keeps real ``ApprovalRecord`` objects and follows the facade's rules in miniature: bob and carol
approve, nobody approves their own request, a request expires, a decision is taken once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.service import ApprovalView, AskResult, PolicyFinding
from agent.stores.approvals import ApprovalRecord, Decision, now_iso
from tools.errors import OpsbotError

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


class FakeApprovals:
    """The facade's ``approvals``: records, the card reference, and delivery claims."""

    def __init__(self) -> None:
        self.records: dict[str, ApprovalRecord] = {}
        self.claims: list[str] = []

    def get(self, approval_id: str) -> ApprovalRecord:
        record = self.records[approval_id]
        if record.status == "pending" and record.expired():
            record = self.records[approval_id] = record.model_copy(update={"status": "expired"})
        return record

    def set_slack_ref(self, approval_id: str, channel: str, ts: str) -> None:
        self.records[approval_id] = self.records[approval_id].model_copy(
            update={"slack_ref": {"channel": channel, "ts": ts}}
        )

    def claim_once(self, key: str) -> bool:
        if key in self.claims:
            return False
        self.claims.append(key)
        return True

    def expire(self, approval_id: str) -> None:
        """Move the expiry into the past (as if the approver came back too late)."""
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
        self.records[approval_id] = self.records[approval_id].model_copy(update={"expires_at": past})


class FakeOpsbot:
    """Records what it was asked; ``runs`` lists the approval ids whose action ran."""

    def __init__(self) -> None:
        self.approvals = FakeApprovals()
        self.asks: list[dict[str, Any]] = []
        self.runs: list[str] = []
        self.progress_messages = ["creating cluster demo", "cluster demo is InService"]

    def identity(self, system: str, external_id: str) -> str:
        return IDENTITIES.get(external_id, f"{system}:{external_id}")

    def ask(self, text: str, *, user: str, thread: str, channel: str = "cli", progress: Any = None) -> AskResult:
        self.asks.append({"text": text, "user": user, "thread": thread, "channel": channel})
        if "create" not in text:
            return AskResult(thread=thread, route="training", reply=f"{user}: there are 2 HyperPod clusters.")
        if "9999" in text:
            finding = PolicyFinding(rule="max-instances-per-action", ok=False, message="9999 instances > limit 64")
            return AskResult(
                thread=thread,
                approval=ApprovalView(required=True, status="refused"),
                policy=[finding],
                reply="Refused by policy: max-instances-per-action",
            )
        now = datetime.now(UTC)
        record = ApprovalRecord(
            id=f"ap-{len(self.approvals.records) + 1:04d}",
            call_hash="0" * 64,
            tool=PLAN["tool"],
            args=copy.deepcopy(PLAN["args"]),
            account="123456789012",
            region="us-east-1",
            requester=user,
            thread=thread,
            channel=channel,
            effect="write",
            risk="high",
            plan=copy.deepcopy(PLAN),
            policy=POLICY,
            approvals_needed=1,
            created_at=now.isoformat(timespec="seconds"),
            expires_at=(now + timedelta(minutes=15)).isoformat(timespec="seconds"),
        )
        self.approvals.records[record.id] = record
        view = ApprovalView(
            required=True, status="pending", id=record.id, approvals_needed=1, expires_at=record.expires_at
        )
        return AskResult(
            thread=thread,
            route="training",
            approval=view,
            plan=PLAN,
            policy=[PolicyFinding(**f) for f in POLICY],
            reply="needs approval",
        )

    def can_decide(self, approval_id: str, user: str) -> str | None:
        record = self.approvals.get(approval_id)
        if record.status != "pending":
            return f"approval {approval_id} is already {record.status}; nothing to decide"
        if user == record.requester:
            return f"no-self-approval: {user} requested this high-risk action and cannot approve it"
        if user not in APPROVERS:
            return f"approvers-for-tier: {user} may not approve high-risk actions (allowed: @platform-leads)"
        return None

    def decide(
        self, approval_id: str, *, user: str, approve: bool, progress: Callable[[str], None] | None = None
    ) -> AskResult:
        why = self.can_decide(approval_id, user)
        if why:
            raise OpsbotError(why)
        record = self.approvals.get(approval_id)
        decision = Decision(user=user, decision="approve" if approve else "reject", at=now_iso())
        if not approve:
            self.approvals.records[approval_id] = record.model_copy(
                update={"status": "rejected", "decisions": [decision]}
            )
            return AskResult(thread=record.thread, reply=f"{user} rejected {approval_id}; nothing ran.")
        for message in self.progress_messages:
            if progress:
                progress(message)
        self.runs.append(approval_id)
        self.approvals.records[approval_id] = record.model_copy(
            update={
                "status": "executed",
                "decisions": [decision],
                "approved_by": [user],
                "executed_at": now_iso(),
                "reply": "Cluster demo created (2 x ml.trn2.48xlarge).",
                "result": {"cluster_name": "demo"},
            }
        )
        return AskResult(
            thread=record.thread, reply="Cluster demo created (2 x ml.trn2.48xlarge).", result={"cluster_name": "demo"}
        )
