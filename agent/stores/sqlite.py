"""SQLite stores under OPSBOT_HOME: approvals, audit and checkpoints, shared by every local process."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from agent.stores.approvals import ApprovalRecord, ConflictError, now_iso
from agent.stores.audit import GENESIS, AuditEntry, AuditLog
from tools.config import Settings, private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL,
  thread TEXT NOT NULL DEFAULT '', call_hash TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY CHECK (id = 0), seq INTEGER NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS once (key TEXT PRIMARY KEY, at TEXT NOT NULL);
"""
# Decisions ask "what is pending in this thread / for this call" exactly; these indexes answer it
# without reading the whole table (and without a newest-N window that could miss older requests).
INDEXES = """
CREATE INDEX IF NOT EXISTS approvals_by_status ON approvals (status, created_at);
CREATE INDEX IF NOT EXISTS approvals_pending_by_thread ON approvals (status, thread, call_hash);
CREATE INDEX IF NOT EXISTS approvals_by_created ON approvals (created_at);
CREATE INDEX IF NOT EXISTS audit_by_approval ON audit (json_extract(doc, '$.approval_id'), seq);
"""


def _migrate(conn: sqlite3.Connection) -> None:
    # Stores made before thread and call_hash were columns: add them, filled from each record.
    columns = {row[1] for row in conn.execute("PRAGMA table_info(approvals)")}
    for column in ("thread", "call_hash"):
        if column not in columns:
            try:
                conn.execute(f"ALTER TABLE approvals ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise
            conn.execute(f"UPDATE approvals SET {column} = coalesce(json_extract(doc, '$.{column}'), '')")
    conn.executescript(INDEXES)


def connect(path: Path, durable: bool = True) -> sqlite3.Connection:
    """A connection usable from several threads, in WAL mode for several processes.

    ``durable`` (approvals, audit): ``synchronous=FULL``, every commit is on disk before it returns.
    An approval decided or an audit entry written must survive a power cut: losing one would run a
    write nobody approved again, or leave a hole in the hash chain that looks like tampering.
    Otherwise (checkpoints): ``synchronous=NORMAL``, WAL is synced at checkpoints only, so a crash may
    lose the last turns' conversation state but never corrupts the file; that state can be rebuilt
    (the approval records hold what a resumed run needs), and skipping the fsync per commit is most
    of a read turn's store time.

    The file is created 0600 (SQLite gives its -wal and -shm files the same mode), and one that
    another user owns, or that group or others may write, is refused.
    """
    private_file(path)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    # Fold the WAL into the database every 128 pages (512 KiB, not SQLite's 4 MiB) and cut the file
    # back to 512 KiB afterwards: a long REPL session leaves small files, at no measurable cost per turn.
    conn.execute("PRAGMA wal_autocheckpoint=128")
    conn.execute("PRAGMA journal_size_limit=524288")
    return conn


class SqliteApprovalStore:
    """Approval records in SQLite; see agent.stores.approvals.ApprovalStore."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def create(self, record: ApprovalRecord) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT INTO approvals (id, status, created_at, version, doc, thread, call_hash)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.id,
                    record.status,
                    record.created_at,
                    record.version,
                    record.model_dump_json(),
                    record.thread,
                    record.call_hash,
                ),
            )

    def get(self, approval_id: str) -> ApprovalRecord | None:
        with self.lock:
            row = self.conn.execute("SELECT doc FROM approvals WHERE id = ?", (approval_id,)).fetchone()
        return ApprovalRecord.model_validate_json(row[0]) if row else None

    def list(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        query = "SELECT doc FROM approvals" + (" WHERE status = ?" if status else "")
        query += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        params = (status, limit) if status else (limit,)
        with self.lock:
            rows = self.conn.execute(query, params).fetchall()
        return [ApprovalRecord.model_validate_json(r[0]) for r in rows]

    def pending_for_thread(self, thread: str) -> list[ApprovalRecord]:
        return self._pending("thread = ?", (thread,))

    def pending_for_call(self, thread: str, call_hash: str) -> list[ApprovalRecord]:
        return self._pending("thread = ? AND call_hash = ?", (thread, call_hash))

    def _pending(self, where: str, params: tuple[str, ...]) -> list[ApprovalRecord]:
        query = f"SELECT doc FROM approvals WHERE status = 'pending' AND {where} ORDER BY created_at, rowid"
        with self.lock:
            rows = self.conn.execute(query, params).fetchall()
        return [ApprovalRecord.model_validate_json(r[0]) for r in rows]

    def in_flight(self) -> list[ApprovalRecord]:
        # approvals_by_status (status, created_at) answers this without reading other records.
        query = "SELECT doc FROM approvals WHERE status IN ('approved', 'executing') ORDER BY created_at, rowid"
        with self.lock:
            rows = self.conn.execute(query).fetchall()
        return [ApprovalRecord.model_validate_json(r[0]) for r in rows]

    def replace(self, record: ApprovalRecord) -> ApprovalRecord:
        new = record.model_copy(update={"version": record.version + 1})
        with self.lock:
            cur = self.conn.execute(
                "UPDATE approvals SET status = ?, version = ?, doc = ? WHERE id = ? AND version = ?",
                (new.status, new.version, new.model_dump_json(), record.id, record.version),
            )
        if cur.rowcount != 1:
            raise ConflictError(record.id)
        return new

    def claim_once(self, key: str) -> bool:
        with self.lock:
            cur = self.conn.execute("INSERT OR IGNORE INTO once (key, at) VALUES (?, ?)", (key, now_iso()))
        return cur.rowcount == 1


class SqliteAuditBackend:
    """Audit entries and their head pointer in SQLite."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.lock = threading.Lock()

    def append(self, entry: AuditEntry, expected_head_seq: int) -> bool:
        with self.lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                row = self.conn.execute("SELECT seq FROM audit_head WHERE id = 0").fetchone()
                if (row[0] if row else 0) != expected_head_seq:
                    self.conn.execute("ROLLBACK")
                    return False
                self.conn.execute(
                    "INSERT INTO audit (seq, hash, doc) VALUES (?, ?, ?)",
                    (entry.seq, entry.hash, entry.model_dump_json()),
                )
                self.conn.execute(
                    "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (0, ?, ?)", (entry.seq, entry.hash)
                )
                self.conn.execute("COMMIT")
                return True
            except sqlite3.IntegrityError:
                self.conn.execute("ROLLBACK")
                return False

    def head(self) -> tuple[int, str]:
        with self.lock:
            row = self.conn.execute("SELECT seq, hash FROM audit_head WHERE id = 0").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def entries(self) -> list[AuditEntry]:
        with self.lock:
            rows = self.conn.execute("SELECT doc FROM audit ORDER BY seq").fetchall()
        return [AuditEntry.model_validate_json(r[0]) for r in rows]

    def recent(self, limit: int, approval_id: str | None = None) -> list[AuditEntry]:
        # Newest first with LIMIT (the primary key, or audit_by_approval), then turned oldest first.
        if approval_id is None:
            query, params = "SELECT doc FROM audit ORDER BY seq DESC LIMIT ?", (limit,)
        else:
            query = "SELECT doc FROM audit WHERE json_extract(doc, '$.approval_id') = ? ORDER BY seq DESC LIMIT ?"
            params = (approval_id, limit)  # type: ignore[assignment]
        with self.lock:
            rows = self.conn.execute(query, params).fetchall()
        return [AuditEntry.model_validate_json(r[0]) for r in reversed(rows)]


def open_sqlite_stores(settings: Settings):
    """Approvals and audit in OPSBOT_HOME/opsbot.sqlite, checkpoints in OPSBOT_HOME/checkpoints.sqlite."""
    from agent.stores import Stores

    home = settings.home_dir
    conn = connect(home / "opsbot.sqlite")
    conn.executescript(SCHEMA)
    _migrate(conn)

    def open_checkpointer() -> Any:
        from agent.stores.checkpoints import PrunedSqliteSaver

        # Pruning frees pages the next checkpoints reuse, so the file stays about the size of the
        # threads' newest states.
        checkpointer = PrunedSqliteSaver(connect(home / "checkpoints.sqlite", durable=False))
        checkpointer.setup()
        return checkpointer

    return Stores(
        approvals=SqliteApprovalStore(conn),
        audit=AuditLog(SqliteAuditBackend(conn)),
        open_checkpointer=open_checkpointer,
    )
