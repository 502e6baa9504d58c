"""Approval records and the store interface.

Updates are compare-and-set on a version number, so two people clicking at once, or a replayed
Slack action, cannot both move a request forward: exactly one writer wins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Status = Literal[
    "pending",
    "approved",
    "executing",
    "executed",
    "failed",
    "rejected",
    "withdrawn",
    "superseded",
    "expired",
    "refused",
]
OPEN = ("pending",)
IN_FLIGHT = ("approved", "executing")  # approved calls that have not recorded an outcome yet
FINAL = ("rejected", "withdrawn", "superseded", "expired", "refused", "executed", "failed")


class Decision(BaseModel):
    user: str
    decision: Literal["approve", "reject"]
    at: str
    note: str | None = None


class Lease(BaseModel):
    """Who is running an approved call, and until when nobody else may (an in-progress record)."""

    owner: str = Field(description="host:pid:token of the executing process.")
    by: str = Field(description="The requester on whose behalf it runs.")
    expires_at: str

    def live(self, now: datetime | None = None) -> bool:
        """True while the lease holds."""
        return (now or datetime.now(UTC)) <= datetime.fromisoformat(self.expires_at)


class ApprovalRecord(BaseModel):
    """One request for approval of exactly one tool call."""

    id: str
    call_hash: str
    tool: str
    args: dict[str, Any]
    account: str
    region: str
    requester: str
    thread: str
    channel: str = "cli"
    effect: str
    risk: str
    plan: dict[str, Any]
    policy: list[dict[str, Any]] = Field(default_factory=list)
    policy_hash: str | None = Field(default=None, description="SHA-256 of the policy the request was filed under.")
    demo: bool = Field(default=False, description="Filed under a demo identity (sandbox --as / OPSBOT_USER).")
    status: Status = "pending"
    approvals_needed: int = 1
    approved_by: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    created_at: str
    expires_at: str
    approved_at: str | None = None
    grant_expires_at: str | None = Field(
        default=None, description="An approved call that has not started by then expires with its grant."
    )
    lease: Lease | None = None
    resume_attempts: int = Field(default=0, description="Runs started after an earlier run was interrupted.")
    interruption: str | None = Field(
        default=None, description="Why the last run stopped without recording an outcome (an error, a lost lease)."
    )
    closed_at: str | None = Field(default=None, description="When it left pending without running (real time).")
    replaced_by: str | None = Field(default=None, description="The newer request that superseded this one.")
    executed_at: str | None = None
    result: dict[str, Any] | None = None
    reply: str | None = None
    error: str | None = None
    slack_ref: dict[str, str] | None = None
    version: int = 0

    def expired(self, now: datetime | None = None) -> bool:
        """True once the expiry time has passed."""
        return (now or datetime.now(UTC)) > datetime.fromisoformat(self.expires_at)

    def interrupted(self, now: datetime | None = None) -> bool:
        """True when a run started and stopped without an outcome: executing, and nobody holds the lease."""
        return self.status == "executing" and (self.lease is None or not self.lease.live(now))

    @property
    def expires_epoch(self) -> float:
        return datetime.fromisoformat(self.expires_at).timestamp()


class ConflictError(Exception):
    """Someone else updated the record first; re-read and decide again."""


class ApprovalStore(Protocol):
    """Persistence of approval records."""

    def create(self, record: ApprovalRecord) -> None:
        """Insert a new record (its id must be new)."""

    def get(self, approval_id: str) -> ApprovalRecord | None:
        """The record, or None."""

    def list(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        """Newest first, optionally only one status (for people; decisions use the exact queries below)."""

    def pending_for_thread(self, thread: str) -> list[ApprovalRecord]:
        """Every pending record of ``thread``, however many there are (an indexed query)."""

    def pending_for_call(self, thread: str, call_hash: str) -> list[ApprovalRecord]:
        """Every pending record for exactly this call in ``thread`` (an indexed query)."""

    def in_flight(self) -> list[ApprovalRecord]:
        """Every approved or executing record, oldest first (an indexed query; the recovery sweep's input)."""

    def replace(self, record: ApprovalRecord) -> ApprovalRecord:
        """Write ``record`` if its version is still current; returns it with version+1, else ConflictError."""

    def claim_once(self, key: str) -> bool:
        """Record ``key`` (e.g. a Slack event id); True the first time, False for a repeat."""


def now_iso() -> str:
    """Now, UTC, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")
