"""The audit log: append-only and hash-chained, so an edited or deleted record is detected.

Each entry carries the hash of the one before it; the hash covers the entry's canonical JSON.
A head pointer (last sequence number and hash) is kept apart from the entries. Whoever can write
the store can rewrite that pointer too, so the head is also given out: printed with every decision,
carried on the Slack card and thread, copied to an append-only store when deployed. ``verify`` with
such a head (``SEQ:HASH``, or the hash alone) proves the log still holds it: removing the newest
entries and moving the pointer back is detected.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from pydantic import BaseModel, Field

from agent.stores.approvals import now_iso
from tools.errors import ToolInputError
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
    head: str | None = Field(default=None, description="The log's head now, SEQ:HASH (None: no audit log).")
    anchored: str | None = Field(default=None, description="The witnessed head that was checked, if one was given.")


def parse_head(text: str) -> tuple[int | None, str]:
    """``SEQ:HASH`` or ``HASH`` -> (seq or None, hash); a bad head is a one-line error."""
    seq_text, _, digest = text.strip().rpartition(":")
    digest = digest.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ToolInputError("--head", text, "expected SEQ:HASH or HASH, the 64-hex-digit hash of an audit entry")
    if not seq_text:
        return None, digest
    if not seq_text.isdigit() or int(seq_text) < 1:
        raise ToolInputError("--head", text, "expected SEQ:HASH with SEQ a positive entry number")
    return int(seq_text), digest


class AuditBackend(Protocol):
    """Raw storage of audit entries; AuditLog does the chaining."""

    def append(self, entry: AuditEntry, expected_head_seq: int) -> bool:
        """Store entry and move the head if it is still at ``expected_head_seq``; False on a race."""

    def head(self) -> tuple[int, str]:
        """(last seq, last hash); (0, GENESIS) when empty."""

    def entries(self) -> list[AuditEntry]:
        """All entries in sequence order."""

    def recent(self, limit: int, approval_id: str | None = None) -> list[AuditEntry]:
        """The newest ``limit`` entries (of one approval, if given), oldest first, read without the rest."""


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

    def head(self) -> str:
        """The chain's head as ``SEQ:HASH`` (``0:000...`` when nothing was recorded)."""
        seq, digest = self.backend.head()
        return f"{seq}:{digest}"

    def list(self, limit: int = 50, approval_id: str | None = None) -> list[AuditEntry]:
        """The newest entries, optionally for one approval, oldest first. The store reads only these
        (bounded in its query), so the time does not grow with the log."""
        return self.backend.recent(limit, approval_id)

    def verify(self, head: str | None = None) -> VerifyReport:
        """Walk the chain: contiguous sequence, each hash right, each link right, head matches; and,
        given a head witnessed earlier (``SEQ:HASH`` or ``HASH``), that the log still contains it.
        An empty or missing log is not intact: it reports "no audit log"."""
        anchor = parse_head(head) if head else None
        entries = self.backend.entries()
        if not entries:
            seq, _ = self.backend.head()
            why = "no audit log: the store holds no entries"
            if seq:
                why += f" but its head says {seq} (all of them were removed)"
            return VerifyReport(ok=False, entries=0, problems=[why], anchored=head)
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
        if anchor is not None:
            problems += _anchor_problems(entries, *anchor)
        return VerifyReport(
            ok=not problems,
            entries=len(entries),
            problems=problems,
            head=f"{entries[-1].seq}:{entries[-1].hash}",
            anchored=head,
        )


def _anchor_problems(entries: list[AuditEntry], seq: int | None, digest: str) -> list[str]:
    """Why the log does not contain the witnessed head (empty: it does)."""
    if seq is None:
        if any(e.hash == digest for e in entries):
            return []
        return [f"the chain no longer contains the witnessed head {digest[:12]}... (entries were removed or rewritten)"]
    if seq > len(entries) or entries[seq - 1].seq != seq:
        return [
            f"the chain no longer contains the witnessed head {seq}:{digest[:12]}...: it ends at entry "
            f"{len(entries)}, so the newest entries were removed"
        ]
    if entries[seq - 1].hash != digest:
        return [
            f"the chain no longer contains the witnessed head {seq}:{digest[:12]}...: entry {seq} differs "
            "(the log was rewritten from there)"
        ]
    return []
