"""Where opsbot keeps its state: checkpoints, approvals and the audit log.

SQLite files under ``OPSBOT_HOME`` on one machine; DynamoDB tables in Lambda. Both back ends
offer the same interfaces, so the graph and the front ends cannot tell them apart.

DynamoDB key schemas (the SAM template creates these tables):
- checkpoints (``ddb_checkpoint_table``): PK (S) hash, SK (S) range, TTL attribute ``ttl``;
  the layout of ``langgraph_checkpoint_aws.DynamoDBSaver`` (values gzipped; values over 350 KB in the
  S3 bucket ``ddb_checkpoint_bucket``, under ``checkpoints/``, expired by the bucket's lifecycle).
- approvals (``ddb_approvals_table``): ``id`` (S) hash; attributes ``doc`` (JSON), ``version`` (N),
  ``status`` (S), TTL attribute ``ttl``; a sparse global secondary index ``pending-by-thread`` with
  ``pending_thread`` (S) hash and ``pending_call`` (S) range, both set only while a record is pending;
  a sparse global secondary index ``in-flight`` with ``inflight`` (S) hash, the status, set only while a
  record is approved or executing (the recovery sweep's query).
- audit (``ddb_audit_table``): ``stream`` (S) hash (always "audit"), ``seq`` (N) range; the head
  pointer is the item with ``seq`` = 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.stores.approvals import ApprovalStore
from agent.stores.audit import AuditLog
from tools.config import Settings


@dataclass
class Stores:
    """The three stores of one opsbot instance."""

    approvals: ApprovalStore
    audit: AuditLog
    # Opened on first use: only the graph needs checkpoints, and opening them imports langgraph,
    # which the approval queue and the audit commands must not pay for.
    open_checkpointer: Callable[[], Any]
    _checkpointer: Any = field(default=None, init=False, repr=False)

    @property
    def checkpointer(self) -> Any:
        """The LangGraph checkpointer, opened the first time it is asked for."""
        if self._checkpointer is None:
            self._checkpointer = self.open_checkpointer()
        return self._checkpointer


def open_stores(settings: Settings) -> Stores:
    """Open the stores the settings ask for (sqlite or dynamodb)."""
    if settings.store == "dynamodb":
        from agent.stores.dynamodb import open_dynamodb_stores

        return open_dynamodb_stores(settings)
    from agent.stores.sqlite import open_sqlite_stores

    return open_sqlite_stores(settings)
