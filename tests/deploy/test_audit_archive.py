"""The template's audit archive function: each audit entry from the table's stream becomes a locked
object named by its sequence number and hash, from which a head can be read for ``audit verify``."""

from __future__ import annotations

import json
import types
from typing import Any

import boto3
import pytest
from moto import mock_aws

from agent.stores import open_stores
from tests.deploy.conftest import load_template
from tools.config import get_settings


def archive_module(monkeypatch: pytest.MonkeyPatch, bucket: str) -> Any:
    """The function's inline code, loaded as a module."""
    monkeypatch.setenv("ARCHIVE_BUCKET", bucket)
    code = load_template()["Resources"]["AuditArchiveFunction"]["Properties"]["InlineCode"]
    module = types.ModuleType("audit_archive")
    exec(compile(code, "audit_archive", "exec"), module.__dict__)
    return module


def stream_event(entries: list[Any], head: tuple[int, str]) -> dict[str, Any]:
    """What DynamoDB Streams delivers for these appends: each entry's item, then the head item."""
    records = [
        {
            "eventName": "INSERT",
            "dynamodb": {
                "NewImage": {"stream": {"S": "audit"}, "seq": {"N": str(e.seq)}, "doc": {"S": e.model_dump_json()}}
            },
        }
        for e in entries
    ]
    records.append(
        {
            "eventName": "MODIFY",
            "dynamodb": {"NewImage": {"seq": {"N": "0"}, "last_seq": {"N": str(head[0])}, "last_hash": {"S": head[1]}}},
        }
    )
    return {"Records": records}


def test_each_entry_is_copied_once_under_its_sequence_and_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    with mock_aws():
        # GIVEN an Object Lock bucket and three audit entries
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="opsbot-audit-archive", ObjectLockEnabledForBucket=True)
        audit = open_stores(get_settings()).audit
        for i in range(3):
            audit.record("request", "dave", data={"n": i})
        entries = audit.backend.entries()
        seq, digest = audit.head().split(":")
        # WHEN the stream delivers them to the archive function
        result = archive_module(monkeypatch, "opsbot-audit-archive").handler(
            stream_event(entries, (int(seq), digest)), None
        )
        # THEN each entry is an object named SEQ-HASH holding the entry, and the newest name is the head
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="opsbot-audit-archive")["Contents"]]
        assert result == {"copied": 3}
        assert keys == [f"audit/{e.seq:012d}-{e.hash}.json" for e in entries]
        body = s3.get_object(Bucket="opsbot-audit-archive", Key=keys[-1])["Body"].read()
        assert json.loads(body)["hash"] == digest
        newest = keys[-1].removeprefix("audit/").removesuffix(".json")
        assert audit.verify(head=f"{int(newest.split('-')[0])}:{newest.split('-')[1]}").ok
