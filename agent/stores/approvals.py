"""Approval records and the store interface.

Updates are compare-and-set on a version number, so two people clicking at once, or a replayed
Slack action, cannot both move a request forward: exactly one writer wins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

Status = Literal[
    "pending", "approved", "rejected", "expired", "executing", "executed", "failed", "withdrawn", "superseded"
]
OPEN = ("pending",)
FINAL = ("rejected", "expired", "executed", "failed", "withdrawn", "superseded")


class Decision(BaseModel):
    user: str
    decision: Literal["approve", "reject"]
    at: str
    note: str | None = None


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
    status: Status = "pending"
    approvals_needed: int = 1
    approved_by: list[str] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    created_at: str
    expires_at: str
    executed_at: str | None = None
    result: dict[str, Any] | None = None
    reply: str | None = None
    error: str | None = None
    slack_ref: dict[str, str] | None = None
    superseded_by: str | None = None  # the newer request of the same thread that replaced this one
    version: int = 0

    def expired(self, now: datetime | None = None) -> bool:
        """True once the expiry time has passed."""
        return (now or datetime.now(UTC)) > datetime.fromisoformat(self.expires_at)

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
        """Newest first, optionally only one status."""

    def replace(self, record: ApprovalRecord) -> ApprovalRecord:
        """Write ``record`` if its version is still current; returns it with version+1, else ConflictError."""

    def claim_once(self, key: str) -> bool:
        """Record ``key`` (e.g. a Slack event id); True the first time, False for a repeat."""


def now_iso() -> str:
    """Now, UTC, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")
