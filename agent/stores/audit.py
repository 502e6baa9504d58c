"""The audit log: append-only and hash-chained, so an edited or deleted record is detected.

Each entry carries the hash of the one before it; the hash covers the entry's canonical JSON.
A head pointer (last sequence number and hash) is kept apart from the entries, so removing the
newest entries is detected too.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from pydantic import BaseModel, Field

from agent.stores.approvals import now_iso
from tools.guard import canonical_json

GENESIS = "0" * 64


class AuditEntry(BaseModel):
    seq: int
    at: str
    kind: str
    actor: str
    thread: str | None = None
    approval_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    prev_hash: str
    hash: str = ""

    def compute_hash(self) -> str:
        body = self.model_dump(mode="json", exclude={"hash"})
        return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class VerifyReport(BaseModel):
    ok: bool
    entries: int
    problems: list[str] = Field(default_factory=list)


class AuditBackend(Protocol):
    """Raw storage of audit entries; AuditLog does the chaining."""

    def append(self, entry: AuditEntry, expected_head_seq: int) -> bool:
        """Store entry and move the head if it is still at ``expected_head_seq``; False on a race."""

    def head(self) -> tuple[int, str]:
        """(last seq, last hash); (0, GENESIS) when empty."""

    def entries(self) -> list[AuditEntry]:
        """All entries in sequence order."""


class AuditLog:
    """Append and verify. Safe against concurrent writers (retry on a lost race)."""

    def __init__(self, backend: AuditBackend) -> None:
        self.backend = backend

    def record(
        self,
        kind: str,
        actor: str,
        *,
        thread: str | None = None,
        approval_id: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry to the chain."""
        for _ in range(50):
            seq, prev = self.backend.head()
            entry = AuditEntry(
                seq=seq + 1,
                at=now_iso(),
                kind=kind,
                actor=actor,
                thread=thread,
                approval_id=approval_id,
                data=data or {},
                prev_hash=prev,
            )
            entry.hash = entry.compute_hash()
            if self.backend.append(entry, seq):
                return entry
        raise RuntimeError("audit log: too many concurrent writers")

    def list(self, limit: int = 50, approval_id: str | None = None) -> list[AuditEntry]:
        """The newest entries, optionally for one approval."""
        items = [e for e in self.backend.entries() if approval_id is None or e.approval_id == approval_id]
        return items[-limit:]

    def verify(self) -> VerifyReport:
        """Walk the chain: contiguous sequence, each hash right, each link right, head matches."""
        entries = self.backend.entries()
        problems: list[str] = []
        prev = GENESIS
        for index, entry in enumerate(entries, start=1):
            if entry.seq != index:
                problems.append(f"entry {index}: sequence number is {entry.seq} (a record is missing)")
                break
            if entry.prev_hash != prev:
                problems.append(f"entry {entry.seq}: does not link to the entry before it")
            if entry.compute_hash() != entry.hash:
                problems.append(f"entry {entry.seq}: content does not match its hash (edited)")
            prev = entry.hash
        head_seq, head_hash = self.backend.head()
        if not problems and (head_seq != len(entries) or head_hash != prev):
            problems.append(f"head says {head_seq} entries, found {len(entries)} (records removed or added)")
        return VerifyReport(ok=not problems, entries=len(entries), problems=problems)
