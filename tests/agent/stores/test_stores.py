"""Approval and audit stores: the same behaviour on SQLite and on DynamoDB (moto)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from agent.stores import Stores, open_stores
from agent.stores.approvals import ApprovalRecord, ConflictError
from tests.agent.stores.records import approval_record
from tools.config import Settings, get_settings


def create_tables(settings: Settings) -> None:
    """The three DynamoDB tables with the key schemas documented in agent.stores."""
    ddb = boto3.client("dynamodb", region_name=settings.region)
    pending = ("pending-by-thread", [("pending_thread", "HASH"), ("pending_call", "RANGE")])
    in_flight = ("in-flight", [("inflight", "HASH")])
    specs = {
        settings.ddb_checkpoint_table: ([("PK", "HASH"), ("SK", "RANGE")], [("PK", "S"), ("SK", "S")], []),
        settings.ddb_approvals_table: (
            [("id", "HASH")],
            [("id", "S"), ("pending_thread", "S"), ("pending_call", "S"), ("inflight", "S")],
            [pending, in_flight],
        ),
        settings.ddb_audit_table: ([("stream", "HASH"), ("seq", "RANGE")], [("stream", "S"), ("seq", "N")], []),
    }
    for name, (keys, attrs, indexes) in specs.items():
        extra = {}
        if indexes:
            extra["GlobalSecondaryIndexes"] = [
                {
                    "IndexName": index_name,
                    "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in index_keys],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for index_name, index_keys in indexes
            ]
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in attrs],
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )


@pytest.fixture(params=["sqlite", "dynamodb"])
def stores(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stores]:
    if request.param == "sqlite":
        yield open_stores(get_settings())
        return
    # moto is process-wide and the sandbox keeps it running, so each test gets its own tables.
    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("OPSBOT_STORE", "dynamodb")
    for var in ("CHECKPOINT", "APPROVALS", "AUDIT"):
        monkeypatch.setenv(f"OPSBOT_DDB_{var}_TABLE", f"opsbot-{var.lower()}-{suffix}")
    with mock_aws():
        create_tables(get_settings())
        yield open_stores(get_settings())


def _record(rid: str = "ap-1", status: str = "pending") -> ApprovalRecord:
    return approval_record(id=rid, status=status)


def test_create_get_list(stores: Stores) -> None:
    stores.approvals.create(_record("ap-1"))
    stores.approvals.create(_record("ap-2", status="executed"))
    assert stores.approvals.get("ap-1").requester == "dave"
    assert stores.approvals.get("nope") is None
    assert [r.id for r in stores.approvals.list(status="executed")] == ["ap-2"]


def test_replace_is_compare_and_set(stores: Stores) -> None:
    stores.approvals.create(_record())
    first = stores.approvals.get("ap-1")
    second = stores.approvals.get("ap-1")
    stores.approvals.replace(first.model_copy(update={"status": "approved"}))
    with pytest.raises(ConflictError):
        stores.approvals.replace(second.model_copy(update={"status": "rejected"}))
    assert stores.approvals.get("ap-1").status == "approved"


def test_claim_once(stores: Stores) -> None:
    assert stores.approvals.claim_once("slack-event-1") is True
    assert stores.approvals.claim_once("slack-event-1") is False


def test_audit_chain_verifies_and_detects_tampering(stores: Stores) -> None:
    for i in range(3):
        stores.audit.record("request", "dave", data={"n": i})
    assert stores.audit.verify().ok
    assert [e.seq for e in stores.audit.list()] == [1, 2, 3]
    # WHEN one record is edited in the store
    backend = stores.audit.backend
    entry = backend.entries()[1]
    edited = entry.model_copy(update={"data": {"n": 999}})
    if hasattr(backend, "conn"):
        backend.conn.execute("UPDATE audit SET doc = ? WHERE seq = 2", (edited.model_dump_json(),))
    else:
        backend.ddb.put_item(
            TableName=backend.table,
            Item={"stream": {"S": "audit"}, "seq": {"N": "2"}, "doc": {"S": edited.model_dump_json()}},
        )
    # THEN verify fails and names it
    report = stores.audit.verify()
    assert not report.ok and "entry 2" in report.problems[0]


@pytest.mark.parametrize(("seq", "says"), [(3, ""), (2, "missing")], ids=["last", "middle"])
def test_audit_detects_a_deleted_record(stores: Stores, seq: int, says: str) -> None:
    # GIVEN three audit entries WHEN one is deleted behind the log's back
    for i in range(3):
        stores.audit.record("request", "dave", data={"n": i})
    backend = stores.audit.backend
    if hasattr(backend, "conn"):
        backend.conn.execute("DELETE FROM audit WHERE seq = ?", (seq,))
    else:
        backend.ddb.delete_item(TableName=backend.table, Key={"stream": {"S": "audit"}, "seq": {"N": str(seq)}})
    # THEN verify fails (a gap in the middle is named as missing)
    report = stores.audit.verify()
    assert not report.ok and says in report.problems[0]


def _pending(rid: str, thread: str, call_hash: str, created_at: str) -> ApprovalRecord:
    return _record(rid).model_copy(update={"thread": thread, "call_hash": call_hash, "created_at": created_at})


def test_pending_for_thread_and_for_call_are_exact_beyond_any_window(stores: Stores) -> None:
    # GIVEN two old pending requests in thread A, then 120 newer pending requests elsewhere
    stores.approvals.create(_pending("ap-a1", "A", "h1", "2026-01-01T00:00:00+00:00"))
    stores.approvals.create(_pending("ap-a2", "A", "h2", "2026-01-01T00:00:01+00:00"))
    for i in range(120):
        stores.approvals.create(_pending(f"ap-x{i}", f"X{i}", "h1", f"2026-01-02T00:{i // 60:02d}:{i % 60:02d}+00:00"))
    # WHEN one of A's requests leaves pending
    a2 = stores.approvals.get("ap-a2")
    stores.approvals.replace(a2.model_copy(update={"status": "superseded"}))
    # THEN thread A has exactly its one pending request, found by thread and by call
    assert [r.id for r in stores.approvals.pending_for_thread("A")] == ["ap-a1"]
    assert [r.id for r in stores.approvals.pending_for_call("A", "h1")] == ["ap-a1"]
    assert stores.approvals.pending_for_call("A", "h2") == []
    assert len(stores.approvals.pending_for_thread("X7")) == 1


def test_in_flight_lists_exactly_the_approved_and_executing_records(stores: Stores) -> None:
    # GIVEN records in every stage, the in-flight ones among many others
    for i, status in enumerate(["pending", "approved", "executing", "executed", "failed", "rejected"] * 20):
        created = f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00"
        stores.approvals.create(_record(f"ap-{i:03d}", status=status).model_copy(update={"created_at": created}))
    # WHEN one executing record records its outcome
    done = stores.approvals.get("ap-002")
    stores.approvals.replace(done.model_copy(update={"status": "executed"}))
    # THEN the in-flight query has the other 39, oldest first, and nothing else
    found = stores.approvals.in_flight()
    assert len(found) == 39 and {r.status for r in found} == {"approved", "executing"}
    assert "ap-002" not in [r.id for r in found]
    assert [r.created_at for r in found] == sorted(r.created_at for r in found)


def test_sqlite_answers_pending_queries_from_an_index(settings: Settings) -> None:
    stores = open_stores(settings)
    plan = stores.approvals.conn.execute(
        "EXPLAIN QUERY PLAN SELECT doc FROM approvals WHERE status = 'pending' AND thread = ? AND call_hash = ?",
        ("A", "h"),
    ).fetchall()
    assert "approvals_pending_by_thread" in str(plan)


def test_audit_verify_with_a_witnessed_head_detects_removed_newest_entries(stores: Stores) -> None:
    # GIVEN five entries and the head a witness kept after the fifth
    for i in range(5):
        stores.audit.record("decision", "alice", data={"n": i})
    witnessed = stores.audit.head()
    assert witnessed.startswith("5:") and stores.audit.verify(head=witnessed).ok
    # WHEN someone who can write the store removes the two newest entries and moves the head pointer back
    backend = stores.audit.backend
    third = backend.entries()[2]
    if hasattr(backend, "conn"):
        backend.conn.execute("DELETE FROM audit WHERE seq > 3")
        backend.conn.execute("UPDATE audit_head SET seq = 3, hash = ? WHERE id = 0", (third.hash,))
    else:
        for seq in ("4", "5"):
            backend.ddb.delete_item(TableName=backend.table, Key={"stream": {"S": "audit"}, "seq": {"N": seq}})
        backend.ddb.put_item(
            TableName=backend.table,
            Item={"stream": {"S": "audit"}, "seq": {"N": "0"}, "last_seq": {"N": "3"}, "last_hash": {"S": third.hash}},
        )
    # THEN the log alone still looks intact, but not against the witnessed head (with or without its seq)
    assert stores.audit.verify().ok
    report = stores.audit.verify(head=witnessed)
    assert not report.ok and "newest entries were removed" in report.problems[0]
    assert not stores.audit.verify(head=witnessed.split(":")[1]).ok
    assert stores.audit.verify(head=f"3:{third.hash}").ok


def test_an_empty_or_missing_audit_log_is_not_intact(stores: Stores) -> None:
    report = stores.audit.verify()
    assert not report.ok and report.entries == 0 and "no audit log" in report.problems[0]


def test_audit_list_reads_only_the_newest_entries(stores: Stores) -> None:
    # GIVEN 30 entries, every third one about approval ap-7
    for i in range(30):
        stores.audit.record("decision", "alice", approval_id="ap-7" if i % 3 == 0 else None, data={"n": i})

    class NoFullReads:
        """The backend, strict: reading the whole log for a short list is a failure."""

        def __init__(self, inner: object) -> None:
            self.inner = inner

        def entries(self) -> list[object]:
            raise AssertionError("audit list read the whole log")

        def __getattr__(self, name: str) -> object:
            return getattr(self.inner, name)

    stores.audit.backend = NoFullReads(stores.audit.backend)  # type: ignore[assignment]
    # WHEN the newest five, and the newest two of ap-7, are listed
    newest = stores.audit.list(limit=5)
    of_one = stores.audit.list(limit=2, approval_id="ap-7")
    # THEN they come oldest first, bounded by the store's query
    assert [e.data["n"] for e in newest] == [25, 26, 27, 28, 29]
    assert [e.data["n"] for e in of_one] == [24, 27]


def test_sqlite_durability_per_store(settings: Settings) -> None:
    # GIVEN the SQLite stores WHEN their connections are opened
    stores = open_stores(settings)
    durable = stores.approvals.conn.execute("PRAGMA synchronous").fetchone()[0]
    rebuildable = stores.checkpointer.conn.execute("PRAGMA synchronous").fetchone()[0]
    # THEN approvals and audit sync every commit (FULL = 2); checkpoints only at WAL checkpoints (NORMAL = 1)
    assert (durable, rebuildable) == (2, 1)
    assert stores.checkpointer.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_sqlite_lists_approvals_and_audit_from_an_index(settings: Settings) -> None:
    conn = open_stores(settings).approvals.conn
    newest = "SELECT doc FROM approvals ORDER BY created_at DESC, rowid DESC LIMIT 5"
    assert "approvals_by_created" in str(conn.execute("EXPLAIN QUERY PLAN " + newest).fetchall())
    query = "SELECT doc FROM audit WHERE json_extract(doc, '$.approval_id') = ? ORDER BY seq DESC LIMIT 5"
    assert "audit_by_approval" in str(conn.execute("EXPLAIN QUERY PLAN " + query, ("ap-1",)).fetchall())
