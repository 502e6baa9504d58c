"""DynamoDB stores for Lambda: the same interfaces as SQLite, state shared by every container."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from agent.stores.approvals import IN_FLIGHT, ApprovalRecord, ConflictError, now_iso
from agent.stores.audit import GENESIS, AuditEntry, AuditLog
from tools.config import Settings

STREAM = "audit"
RECORD_TTL_SECONDS = 90 * 24 * 3600  # approvals and dedupe keys are kept 90 days
# A sparse global secondary index over pending requests only: its keys (thread, call hash) are
# written while a record is pending and removed when it leaves pending, so "pending in this
# thread" and "pending for this call" are exact queries, never a scan with a window.
PENDING_INDEX = "pending-by-thread"
PENDING_THREAD, PENDING_CALL = "pending_thread", "pending_call"
# A second sparse index over approved calls without an outcome (approved, executing): its key, the
# status, is written only while a record is in flight, so the recovery sweep reads exactly those.
IN_FLIGHT_INDEX = "in-flight"
IN_FLIGHT_KEY = "inflight"


def _client(settings: Settings) -> Any:
    # opsbot's own state, not a user resource: a plain client with botocore's standard retries,
    # outside the mutation guard.
    session = boto3.Session(profile_name=settings.profile) if settings.profile else boto3.Session()
    return session.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.endpoint_url,
        config=Config(retries={"mode": "standard", "max_attempts": 5}),
    )


class DynamoApprovalStore:
    """Approval records in DynamoDB with conditional writes on ``version``."""

    def __init__(self, client: Any, table: str) -> None:
        self.ddb, self.table = client, table

    def _item(self, record: ApprovalRecord) -> dict[str, Any]:
        item = {
            "id": {"S": record.id},
            "status": {"S": record.status},
            "created_at": {"S": record.created_at},
            "version": {"N": str(record.version)},
            "doc": {"S": record.model_dump_json()},
            "ttl": {"N": str(int(time.time()) + RECORD_TTL_SECONDS)},
        }
        if record.status == "pending":
            item[PENDING_THREAD] = {"S": record.thread}
            item[PENDING_CALL] = {"S": record.call_hash}
        if record.status in IN_FLIGHT:
            item[IN_FLIGHT_KEY] = {"S": record.status}
        return item

    def create(self, record: ApprovalRecord) -> None:
        self.ddb.put_item(TableName=self.table, Item=self._item(record), ConditionExpression="attribute_not_exists(id)")

    def get(self, approval_id: str) -> ApprovalRecord | None:
        item = self.ddb.get_item(TableName=self.table, Key={"id": {"S": approval_id}}, ConsistentRead=True)
        doc = item.get("Item", {}).get("doc")
        return ApprovalRecord.model_validate_json(doc["S"]) if doc else None

    def list(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        records: list[ApprovalRecord] = []
        kwargs: dict[str, Any] = {"TableName": self.table}
        if status:
            kwargs |= {
                "FilterExpression": "#s = :s",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":s": {"S": status}},
            }
        for page in self.ddb.get_paginator("scan").paginate(**kwargs):
            records += [ApprovalRecord.model_validate_json(i["doc"]["S"]) for i in page["Items"] if "doc" in i]
        records.sort(key=lambda r: r.created_at, reverse=True)
        return records[:limit]

    def pending_for_thread(self, thread: str) -> list[ApprovalRecord]:
        return self._pending("#t = :t", {":t": {"S": thread}})

    def pending_for_call(self, thread: str, call_hash: str) -> list[ApprovalRecord]:
        return self._pending("#t = :t AND #c = :c", {":t": {"S": thread}, ":c": {"S": call_hash}})

    def _pending(self, condition: str, values: dict[str, Any]) -> list[ApprovalRecord]:
        pages = self.ddb.get_paginator("query").paginate(
            TableName=self.table,
            IndexName=PENDING_INDEX,
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#t": PENDING_THREAD, **({"#c": PENDING_CALL} if "#c" in condition else {})},
            ExpressionAttributeValues=values,
            ProjectionExpression="id",
        )
        ids = [item["id"]["S"] for page in pages for item in page["Items"]]
        # A global index is eventually consistent: re-read each record and keep those still pending.
        records = [r for r in (self.get(i) for i in ids) if r is not None and r.status == "pending"]
        return sorted(records, key=lambda r: r.created_at)

    def in_flight(self) -> list[ApprovalRecord]:
        ids: list[str] = []
        for status in IN_FLIGHT:
            pages = self.ddb.get_paginator("query").paginate(
                TableName=self.table,
                IndexName=IN_FLIGHT_INDEX,
                KeyConditionExpression="#f = :s",
                ExpressionAttributeNames={"#f": IN_FLIGHT_KEY},
                ExpressionAttributeValues={":s": {"S": status}},
                ProjectionExpression="id",
            )
            ids += [item["id"]["S"] for page in pages for item in page["Items"]]
        # The index is eventually consistent: re-read each record and keep those still in flight.
        records = [r for r in (self.get(i) for i in dict.fromkeys(ids)) if r is not None and r.status in IN_FLIGHT]
        return sorted(records, key=lambda r: r.created_at)

    def replace(self, record: ApprovalRecord) -> ApprovalRecord:
        new = record.model_copy(update={"version": record.version + 1})
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item=self._item(new),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(record.version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ConflictError(record.id) from None
            raise
        return new

    def claim_once(self, key: str) -> bool:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "id": {"S": f"once#{key}"},
                    "at": {"S": now_iso()},
                    "ttl": {"N": str(int(time.time()) + RECORD_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(id)",
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise


class DynamoAuditBackend:
    """Audit entries under one partition; the head item (seq 0) moves with a conditional transaction."""

    def __init__(self, client: Any, table: str) -> None:
        self.ddb, self.table = client, table

    def append(self, entry: AuditEntry, expected_head_seq: int) -> bool:
        head_cond: dict[str, Any] = (
            {"ConditionExpression": "attribute_not_exists(seq)"}
            if expected_head_seq == 0
            else {
                "ConditionExpression": "last_seq = :s",
                "ExpressionAttributeValues": {":s": {"N": str(expected_head_seq)}},
            }
        )
        try:
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": {
                                "stream": {"S": STREAM},
                                "seq": {"N": str(entry.seq)},
                                "doc": {"S": entry.model_dump_json()},
                            },
                            "ConditionExpression": "attribute_not_exists(seq)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": {
                                "stream": {"S": STREAM},
                                "seq": {"N": "0"},
                                "last_seq": {"N": str(entry.seq)},
                                "last_hash": {"S": entry.hash},
                            },
                            **head_cond,
                        }
                    },
                ]
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("TransactionCanceledException", "ConditionalCheckFailedException"):
                return False
            raise

    def head(self) -> tuple[int, str]:
        item = self.ddb.get_item(
            TableName=self.table, Key={"stream": {"S": STREAM}, "seq": {"N": "0"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return 0, GENESIS
        return int(item["last_seq"]["N"]), item["last_hash"]["S"]

    def entries(self) -> list[AuditEntry]:
        out: list[AuditEntry] = []
        pages = self.ddb.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="#st = :st AND seq > :zero",
            ExpressionAttributeNames={"#st": "stream"},
            ExpressionAttributeValues={":st": {"S": STREAM}, ":zero": {"N": "0"}},
            ConsistentRead=True,
        )
        for page in pages:
            out += [AuditEntry.model_validate(json.loads(i["doc"]["S"])) for i in page["Items"]]
        return out

    def recent(self, limit: int, approval_id: str | None = None) -> list[AuditEntry]:
        # Newest first, page by page, stopping once ``limit`` entries are found: a short log view never
        # reads the whole table (with ``approval_id``, pages are filtered, so it reads until it has enough).
        out: list[AuditEntry] = []
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#st = :st AND seq > :zero",
            "ExpressionAttributeNames": {"#st": "stream"},
            "ExpressionAttributeValues": {":st": {"S": STREAM}, ":zero": {"N": "0"}},
            "ScanIndexForward": False,
            "ConsistentRead": True,
            "Limit": max(limit, 25),
        }
        while len(out) < limit:
            page = self.ddb.query(**kwargs)
            for item in page.get("Items", []):
                entry = AuditEntry.model_validate(json.loads(item["doc"]["S"]))
                if approval_id is None or entry.approval_id == approval_id:
                    out.append(entry)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return list(reversed(out[:limit]))


# Checkpoint values above the saver's threshold (350 KB) go to S3 under this prefix; the bucket's
# lifecycle rule expires them with the same TTL as the table (see deploy/template.yaml).
CHECKPOINT_S3_PREFIX = "checkpoints"


def checkpoint_ttl_seconds(settings: Settings) -> int:
    """How long a conversation's checkpoints live in DynamoDB (its ``ttl`` attribute)."""
    return settings.ddb_checkpoint_ttl_days * 24 * 3600


def s3_lifecycle_rule_id(settings: Settings) -> str:
    """The id the saver gives its S3 expiry rule; the template creates the rule under this id, so the
    saver finds it and never needs permission to change the bucket's lifecycle."""
    return f"{CHECKPOINT_S3_PREFIX}-ttl-expiration-{settings.ddb_checkpoint_ttl_days}d"


def checkpointer_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of ``DynamoDBSaver`` for these settings: table, TTL, compression, S3 offload.

    Bounded by construction: every item gets a TTL, values are gzipped (a conversation's messages
    shrink several times), and a value that would still exceed 350 KB goes to S3 instead of failing
    at DynamoDB's 400 KB item limit (when ``ddb_checkpoint_bucket`` is set, as the template does)."""
    options: dict[str, Any] = {
        "table_name": settings.ddb_checkpoint_table,
        "region_name": settings.region,
        "endpoint_url": settings.endpoint_url,
        "ttl_seconds": checkpoint_ttl_seconds(settings),
        "enable_checkpoint_compression": settings.ddb_checkpoint_compression,
    }
    if settings.ddb_checkpoint_bucket:
        options["s3_offload_config"] = {
            "bucket_name": settings.ddb_checkpoint_bucket,
            "key_prefix": CHECKPOINT_S3_PREFIX,
            "endpoint_url": settings.endpoint_url,
        }
    return options


def open_dynamodb_stores(settings: Settings):
    """Stores on the DynamoDB tables named in settings."""
    from agent.stores import Stores

    client = _client(settings)

    def open_checkpointer() -> Any:
        from langgraph_checkpoint_aws import DynamoDBSaver

        return DynamoDBSaver(**checkpointer_options(settings))

    return Stores(
        approvals=DynamoApprovalStore(client, settings.ddb_approvals_table),
        audit=AuditLog(DynamoAuditBackend(client, settings.ddb_audit_table)),
        open_checkpointer=open_checkpointer,
    )
