"""Approval requests, decisions and the exactly-once hand-off to execution.

A request covers one call (its SHA-256 ``call_hash``) and records the hash of the policy it was
filed under. A decision is checked against the policy in force *now* (approvers per tier, no
self-approval at high and critical, distinct approvers for critical, expiry, and every limit
again); so is the run, just before it starts. Execution is a lease (an owner and an expiry, like
an in-progress idempotency record): while it is live nobody else runs the call, and afterwards only
the requester or an approver may resume it, in the call's own account and region.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.policy import Policy
from agent.stores.approvals import FINAL, ApprovalRecord, ApprovalStore, ConflictError, Decision, Lease
from agent.stores.audit import AuditLog
from agent.views import PolicyFinding
from tools import guard
from tools.base import Plan
from tools.errors import NotFoundError, OpsbotError


class ApprovalError(OpsbotError):
    """A decision that may not be taken (not an approver, self-approval, expired, replayed)."""

    exit_code = 3


class PolicyRefusedError(ApprovalError):
    """The request breaks the policy in force now; it is refused and nothing runs."""


PolicySource = Policy | Callable[[], Policy]
Clock = Callable[[], datetime]
# A moment pinned for one piece of work (the recovery sweep's "now"), per thread of execution.
_PINNED: ContextVar[datetime | None] = ContextVar("opsbot_approvals_now", default=None)


def utc_now() -> datetime:
    """The real time, UTC (the default clock)."""
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


class ApprovalService:
    """The approval queue, shared by the CLI and Slack.

    ``policy`` is the policy or, better, a function returning the policy in force (it is asked at
    every decision and before every run, so a long-lived process follows policy changes).
    ``demo`` marks requests filed by demo identities (sandbox ``--as``). ``clock`` tells the time
    (default: the real time); tests hand in a clock instead of sleeping.
    """

    def __init__(
        self,
        store: ApprovalStore,
        audit: AuditLog,
        policy: PolicySource,
        *,
        demo: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.store, self.audit, self.demo = store, audit, demo
        self._policy = policy
        self.clock: Clock = clock or utc_now
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

    # ------------------------------------------------------------------- time
    def now(self) -> datetime:
        """The time every decision and lease is judged by: the pinned moment, else the clock."""
        return _PINNED.get() or self.clock()

    def now_iso(self) -> str:
        """``now()`` as ISO 8601 to the second, as records store times."""
        return _iso(self.now())

    @contextlib.contextmanager
    def pinned(self, moment: datetime | None) -> Iterator[None]:
        """Judge everything inside the block at ``moment`` (None: the clock, as usual)."""
        if moment is None:
            yield
            return
        token = _PINNED.set(moment)
        try:
            yield
        finally:
            _PINNED.reset(token)

    @property
    def policy(self) -> Policy:
        """The policy in force now."""
        return self._policy if isinstance(self._policy, Policy) else self._policy()

    @policy.setter
    def policy(self, value: PolicySource) -> None:
        self._policy = value

    # ------------------------------------------------------------------ reads
    def get(self, approval_id: str) -> ApprovalRecord:
        """The record; an unknown id is an error that names it."""
        record = self.store.get(approval_id)
        if record is None:
            raise NotFoundError(f"approval {approval_id!r} does not exist")
        return self._expire_if_due(record)

    def list(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        """Newest first. Pending requests past their expiry are expired first, so a list of
        ``pending`` shows exactly what may still be approved."""
        records = [self._expire_if_due(r) for r in self.store.list(status=status, limit=limit)]
        return [r for r in records if status is None or r.status == status]

    def pending_in_thread(self, thread: str) -> list[ApprovalRecord]:
        """Every request of ``thread`` that may still be approved, oldest first."""
        records = [self._expire_if_due(r) for r in self.store.pending_for_thread(thread)]
        return [r for r in records if r.status == "pending"]

    def head(self) -> str:
        """The audit chain's head as ``SEQ:HASH``, for people and Slack to keep as witnesses."""
        return self.audit.head()

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
        for existing in self.store.pending_for_call(thread, chash):
            if self._expire_if_due(existing).status != "pending":
                continue
            return existing
        policy = self.policy
        created = self.now()
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
            policy_hash=policy.digest,
            demo=self.demo,
            approvals_needed=policy.approvals_needed(plan.risk),
            created_at=_iso(created),
            expires_at=_iso(created + timedelta(minutes=policy.approval.expiry_minutes)),
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
                "policy_hash": record.policy_hash,
                "cost_usd_per_hour": plan.cost_usd_per_hour,
                **({"demo": True} if self.demo else {}),
            },
        )
        return record

    def supersede(
        self,
        thread: str,
        by: str,
        replaced_by: str | None = None,
        only: Callable[[ApprovalRecord], bool] | None = None,
    ) -> list[ApprovalRecord]:
        """Retire the open requests of ``thread`` that ``by`` may cancel (their requester or an
        approver of their tier) and that ``only`` accepts (all, without it): a newer request,
        ``replaced_by``, takes their place. Returns the retired records, so front ends can tell their
        requesters and update their cards."""
        retired = []
        policy = self.policy
        for record in self.store.pending_for_thread(thread):
            if record.id == replaced_by or (only is not None and not only(record)):
                continue
            if by != record.requester and not policy.is_approver(by, record.risk):
                continue  # someone else's request: a newcomer in the thread does not cancel it
            update = {"status": "superseded", "replaced_by": replaced_by, "closed_at": self.now_iso()}
            try:
                new = self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue  # decided meanwhile; that decision stands
            self.audit.record("superseded", by, thread=thread, approval_id=record.id, data={"replaced_by": replaced_by})
            retired.append(new)
        return retired

    def withdraw(self, approval_id: str, user: str) -> ApprovalRecord:
        """The requester cancels their own pending request; nothing runs."""
        for _ in range(5):
            record = self.get(approval_id)
            if user != record.requester:
                raise ApprovalError(
                    f"only its requester ({record.requester}) may withdraw {approval_id}; {user} may not"
                )
            if record.status != "pending":
                raise ApprovalError(f"approval {approval_id} is already {record.status}; nothing to withdraw")
            reply = f"{record.tool} was withdrawn by {user}"
            update = {"status": "withdrawn", "closed_at": self.now_iso(), "reply": reply}
            try:
                new = self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue
            self.audit.record("withdrawn", user, thread=new.thread, approval_id=approval_id)
            return new
        raise ApprovalError(f"approval {approval_id} is being decided by someone else; try again")

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
        """Record a decision. Enough approvals move the request to ``approved``; one rejection ends it.

        An approval first re-checks the request against the policy in force now: a request that
        breaks a rule is refused (status ``refused``, ``PolicyRefusedError`` naming the rule)."""
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
            if approve:
                broken = self.recheck(record)
                if broken:
                    self._refuse(record, broken, "approval", user)
            decision = Decision(user=user, decision="approve" if approve else "reject", at=self.now_iso(), note=note)
            update: dict[str, Any] = {"decisions": [*record.decisions, decision]}
            if approve:
                approved_by = [*record.approved_by, user]
                needed = max(record.approvals_needed, self.policy.approvals_needed(record.risk))
                update |= {"approved_by": approved_by, "approvals_needed": needed}
                if len(set(approved_by)) >= needed:
                    now = self.now()
                    window = now + timedelta(minutes=self.policy.approval.grant_minutes)
                    update |= {
                        "status": "approved",
                        "approved_at": _iso(now),
                        "grant_expires_at": _iso(max(window, _when(record.expires_at))),
                    }
            else:
                update |= {"status": "rejected", "closed_at": self.now_iso()}
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

    def recheck(self, record: ApprovalRecord) -> list[PolicyFinding]:
        """The rules the request breaks under the policy in force now (empty: it may go on)."""
        try:
            # Operations are not a policy matter, and their stored form changes between versions.
            plan = Plan.model_validate({**record.plan, "aws_operations": []})
        except ValueError:
            return [PolicyFinding(rule="plan-readable", ok=False, message="the stored plan cannot be read")]
        findings = self.policy.evaluate(plan, record.requester, record.region)
        return [f for f in findings if not f.ok]

    def _refuse(self, record: ApprovalRecord, broken: list[PolicyFinding], stage: str, actor: str) -> None:
        rules = "; ".join(f"{f.rule}: {f.message}" for f in broken)
        text = f"Refused by policy at {stage}: {rules}. Nothing ran."
        update = {"status": "refused", "error": text, "reply": text, "closed_at": self.now_iso(), "lease": None}
        # Someone else may have moved it first; it is refused all the same below.
        with contextlib.suppress(ConflictError):
            self.store.replace(record.model_copy(update=update))
        self.audit.record(
            "policy_refused",
            actor,
            thread=record.thread,
            approval_id=record.id,
            data={
                "stage": stage,
                "rules": [f.rule for f in broken],
                "filed_under": record.policy_hash,
                "policy_hash": self.policy.digest,
            },
        )
        raise PolicyRefusedError(f"approval {record.id}: {text}")

    # -------------------------------------------------------------- execution
    def check_resume(self, approval_id: str, user: str) -> ApprovalRecord:
        """The record, if ``user`` may resume its run: the requester, or an approver of its tier."""
        record = self.get(approval_id)
        if record.status not in ("approved", "executing"):
            raise ApprovalError(f"approval {approval_id} is {record.status}; only an approved request can be resumed")
        allowed = user == record.requester or user in record.approved_by or self.policy.is_approver(user, record.risk)
        if not allowed:
            raise ApprovalError(
                f"only the requester ({record.requester}) or an approver of {record.risk}-risk actions may resume "
                f"{approval_id}; {user} may not"
            )
        return record

    def check_place(self, approval_id: str, account: str, region: str) -> None:
        """Refuse to run an approved call anywhere but in the account and region it was approved for."""
        record = self.get(approval_id)
        if record.status in ("approved", "executing") and (record.account, record.region) != (account, region):
            raise ApprovalError(
                f"approval {approval_id} is for account {record.account} in {record.region}; opsbot here acts on "
                f"{account} in {region}, so it runs nothing (its status is unchanged: run it there)"
            )

    def claim_execution(self, approval_id: str) -> tuple[ApprovalRecord, bool] | None:
        """Take the execution lease: approved -> executing. Returns (record, resumed); ``resumed``
        is True when an earlier run's lease had ended without a result (it crashed). None when there
        is nothing to run (already run, expired, refused). ``ApprovalError`` while another run's lease
        is live."""
        for _ in range(5):
            record = self.get(approval_id)
            now = self.now()
            if record.status == "executing":
                if record.lease is not None and record.lease.live(now) and not self._lease_is_orphaned(record.lease):
                    raise ApprovalError(
                        f"approval {approval_id} is being run by {record.lease.owner} (for {record.lease.by}) until "
                        f"{record.lease.expires_at}; it does not run twice. Resume it after that if that run died."
                    )
                resumed = True
            elif record.status == "approved":
                resumed = False
                if record.grant_expires_at and now > _when(record.grant_expires_at):
                    text = (
                        f"approval {approval_id} was approved but did not start before its grant expired at "
                        f"{record.grant_expires_at}; nothing ran. Ask again."
                    )
                    update = {"status": "expired", "error": text, "reply": text, "closed_at": self.now_iso()}
                    try:
                        self.store.replace(record.model_copy(update=update))
                    except ConflictError:
                        continue
                    self.audit.record(
                        "expired",
                        "opsbot",
                        thread=record.thread,
                        approval_id=approval_id,
                        data={"grant_expires_at": record.grant_expires_at},
                    )
                    return None
                broken = self.recheck(record)
                if broken:
                    try:
                        self._refuse(record, broken, "execution", "opsbot")
                    except PolicyRefusedError:
                        return None
            else:
                return None
            minutes = self.policy.approval.execution_lease_minutes
            lease = Lease(owner=self._owner, by=record.requester, expires_at=_iso(now + timedelta(minutes=minutes)))
            update: dict[str, Any] = {"status": "executing", "lease": lease}
            if resumed:
                # Counted so the recovery sweep gives up after a bounded number of tries.
                update |= {
                    "resume_attempts": record.resume_attempts + 1,
                    "interruption": record.interruption or _lost_lease(record),
                }
            try:
                new = self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue
            data: dict[str, Any] = {"tool": new.tool, "call_hash": new.call_hash, "lease": lease.model_dump()}
            if resumed:
                data |= {"attempt": new.resume_attempts, "interruption": new.interruption}
            self.audit.record(
                "execution_resumed" if resumed else "execution_started",
                "opsbot",
                thread=new.thread,
                approval_id=approval_id,
                data=data,
            )
            return new, resumed
        return None

    def release_lease(self, approval_id: str, reason: str) -> ApprovalRecord | None:
        """End this process's lease on a run that stopped with an error before recording its outcome.

        The run is over (the error reached us), so nobody needs to wait for the lease to run out: the
        requester or an approver may resume at once, and so may the recovery sweep. A lease held by
        someone else is left alone. Returns the record when the lease was released."""
        for _ in range(5):
            record = self.get(approval_id)
            if record.status != "executing" or record.lease is None or record.lease.owner != self._owner:
                return None
            ended = record.lease.model_copy(update={"expires_at": self.now_iso()})
            try:
                new = self.store.replace(record.model_copy(update={"lease": ended, "interruption": reason}))
            except ConflictError:
                continue
            self.audit.record(
                "execution_interrupted", "opsbot", thread=new.thread, approval_id=approval_id, data={"reason": reason}
            )
            return new
        return None

    def stalled(self) -> list[ApprovalRecord]:
        """Approved calls that nobody is running now, oldest first: runs that stopped without an outcome
        (executing, lease over), and approvals whose run never started within a lease's time (the
        process that took the decision died before it claimed the run)."""
        now = self.now()
        window = timedelta(minutes=self.policy.approval.execution_lease_minutes)

        def never_started(record: ApprovalRecord) -> bool:
            return record.status == "approved" and now > _when(record.approved_at or record.created_at) + window

        return [r for r in self.store.in_flight() if r.interrupted(now) or never_started(r)]

    def give_up(self, approval_id: str, reason: str, by: str = "opsbot") -> ApprovalRecord | None:
        """Mark an interrupted run failed with ``reason``: nothing will resume it. Only a run nobody holds
        may be given up; returns None when someone holds its lease or it has an outcome already."""
        for _ in range(5):
            record = self.get(approval_id)
            if not record.interrupted(self.now()):
                return None
            update = {
                "status": "failed",
                "error": reason,
                "reply": f"{record.tool} failed: {reason}",
                "executed_at": self.now_iso(),
                "lease": None,
            }
            try:
                new = self.store.replace(record.model_copy(update=update))
            except ConflictError:
                continue
            self.audit.record(
                "recovery_abandoned",
                by,
                thread=new.thread,
                approval_id=approval_id,
                data={"attempts": new.resume_attempts, "reason": reason},
            )
            return new
        return None

    @staticmethod
    def _lease_is_orphaned(lease: Lease) -> bool:
        # A lease held by a process of this machine that no longer exists can be taken at once (a
        # crash on a laptop); elsewhere opsbot cannot tell, so it waits for the lease to run out.
        # In Lambda every container looks alike (the same few host names and process ids), so a
        # lease there is only ever over when it runs out.
        if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            return False
        host, _, rest = lease.owner.partition(":")
        pid = rest.split(":", 1)[0]
        if host != socket.gethostname() or not pid.isdigit():
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def grant(self, record: ApprovalRecord) -> guard.Grant:
        """The grant that lets exactly this call's AWS writes through, bound to each operation's
        identifying parameters. A run holds it until its lease ends; an approved call that never
        started holds it until ``grant_expires_at``."""
        if record.status not in ("approved", "executing"):
            raise ApprovalError(f"approval {record.id} is {record.status}; no grant")
        if record.status == "executing" and record.lease is not None:
            until = _when(record.lease.expires_at).timestamp()
        elif record.grant_expires_at:
            until = _when(record.grant_expires_at).timestamp()
        else:
            until = record.expires_epoch
        return guard.Grant.for_operations(record.id, record.call_hash, record.plan.get("aws_operations", []), until)

    def finish(
        self, approval_id: str, *, result: dict[str, Any] | None, reply: str, error: str | None
    ) -> ApprovalRecord:
        """Record the end of execution (executed or failed) and release the lease."""

        def done(r: ApprovalRecord) -> ApprovalRecord:
            return r.model_copy(
                update={
                    "status": "failed" if error else "executed",
                    "result": result,
                    "reply": reply,
                    "error": error,
                    "executed_at": self.now_iso(),
                    "lease": None,
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

    def _expires_at(self, record: ApprovalRecord) -> str:
        # The expiry belongs to the deployment: a request filed under a looser policy (a longer
        # expiry_minutes) expires when the policy in force says so.
        try:
            cap = _when(record.created_at) + timedelta(minutes=self.policy.approval.expiry_minutes)
        except OpsbotError:
            return record.expires_at
        return min(record.expires_at, _iso(cap), key=_when)

    def _expire_if_due(self, record: ApprovalRecord) -> ApprovalRecord:
        if record.status != "pending":
            return record
        expires_at = self._expires_at(record)
        if self.now() <= _when(expires_at):
            return record
        update = {"status": "expired", "expires_at": expires_at, "closed_at": self.now_iso()}
        try:
            new = self.store.replace(record.model_copy(update=update))
        except ConflictError:
            return self.store.get(record.id) or record
        self.audit.record(
            "expired", "opsbot", thread=record.thread, approval_id=record.id, data={"expires_at": expires_at}
        )
        return new


def _lost_lease(record: ApprovalRecord) -> str:
    until = f" at {record.lease.expires_at}" if record.lease else ""
    return f"its run stopped without recording an outcome (its lease ran out{until})"


def is_final(record: ApprovalRecord) -> bool:
    """True when nothing more will happen to this request."""
    return record.status in FINAL
