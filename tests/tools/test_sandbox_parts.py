"""The sandbox at scale: one part per service and per bucket's objects, loaded only when a call needs it;
the inventory table kept per state version; a large account on request."""

from __future__ import annotations

import shutil
import time
from typing import Any

import pytest

from agent.service import reset_sandbox
from tools import guard
from tools.config import Settings
from tools.errors import ToolInputError
from tools.runtime import make_context
from tools.sandbox import core, inventory
from tools.sandbox.core import EVERYTHING, Touch, touched


def _grant(*ops: str) -> guard.Grant:
    return guard.Grant("ap-test", "h", frozenset(ops), time.time() + 60)


class LoadLog:
    """Records every part the sandbox loads (wraps the real loader, which still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parts: list[str] = []
        real = core.Sandbox._load_part

        def logged(sandbox: core.Sandbox, part: str, blob: bytes | None) -> None:
            self.parts.append(part)
            real(sandbox, part, blob)

        monkeypatch.setattr(core.Sandbox, "_load_part", logged)


def test_each_call_touches_its_services_parts() -> None:
    # GIVEN calls on several services THEN each names only the parts (and buckets) it reads or writes
    assert touched("sagemaker", "ListEndpoints", {}) == Touch(("sagemaker", "ext"), frozenset())
    assert touched("elasticache", "DescribeReplicationGroups", {}).parts == ("elasticache", "cloudwatch", "ext")
    assert touched("s3", "GetBucketMetadataConfiguration", {"Bucket": "b"}).buckets == frozenset()
    assert touched("s3", "ListBuckets", {}).buckets == frozenset()
    assert touched("s3", "ListObjectsV2", {"Bucket": "b"}).buckets == frozenset({"b"})
    assert touched("s3", "DeleteBucket", {"Bucket": "b"}).buckets == frozenset({"b"})
    copy = touched("s3", "CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "a/x"})
    assert copy.buckets == frozenset({"a", "b"})
    # AND a service the sandbox does not know touches everything
    assert touched("lambda", "Invoke", {}) == EVERYTHING


def test_a_sagemaker_call_in_a_new_process_loads_no_s3_part(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a seeded sandbox, and a process that has not loaded it yet
    make_context(settings).clients.client("s3").list_buckets()
    fresh = core.Sandbox(core.get_sandbox(settings).home, core.SEED_REGION)
    log = LoadLog(monkeypatch)
    monkeypatch.setattr(core, "_current", fresh)
    # WHEN it lists endpoints
    names = [
        e["EndpointName"] for e in make_context(settings).clients.client("sagemaker").list_endpoints()["Endpoints"]
    ]
    # THEN only SageMaker's part and the extensions' store were loaded
    assert "chat-prod" in names
    assert sorted(log.parts) == ["ext", "sagemaker"]


def test_a_bucket_call_loads_no_objects_and_a_write_keeps_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an object put in training-data, then a new process that has loaded nothing
    sandbox = core.get_sandbox(settings)
    with sandbox.session(Touch(("s3", "ext"), frozenset({"training-data"}))):
        sandbox.client("s3").put_object(Bucket="training-data", Key="new/one.txt", Body=b"x")
    monkeypatch.setattr(core, "_current", core.Sandbox(sandbox.home, core.SEED_REGION))
    log = LoadLog(monkeypatch)
    s3 = make_context(settings).clients.client("s3")
    # WHEN it makes a bucket-level read and a bucket tag write
    s3.get_bucket_metadata_configuration(Bucket="training-data")
    with guard.activated(_grant("s3:PutBucketTagging")):
        s3.put_bucket_tagging(Bucket="training-data", Tagging={"TagSet": [{"Key": "team", "Value": "ml"}]})
    # THEN no bucket's objects were loaded
    assert sorted(log.parts) == ["ext", "s3"]
    # AND saving the bucket part kept the objects: the next object call loads and finds them
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="training-data", Prefix="new/")["Contents"]]
    assert keys == ["new/one.txt"]
    assert core.OBJECTS + "training-data" in log.parts


def test_the_inventory_table_is_built_once_per_state_version(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.data.sql import InventoryFilters, build_inventory_query

    sandbox = core.get_sandbox(settings)
    built: list[str] = []
    real = inventory._build

    def counted(path: Any, rows: Any, version: str) -> None:
        built.append(version)
        real(path, rows, version)

    monkeypatch.setattr(inventory, "_build", counted)
    query = build_inventory_query(InventoryFilters(bucket="training-data"), "s3tablescatalog/aws-s3", "b_t")
    # GIVEN a first query WHEN the same query runs again, also in a "new process" (no open table)
    first = inventory.run_query(sandbox, query, "training-data")
    inventory._open.clear()
    again = inventory.run_query(sandbox, query, "training-data")
    # THEN the table was built once, and the answers agree
    assert len(built) == 1 and first == again
    # WHEN an object is added THEN the next query builds the table again and sees it
    with guard.activated(_grant("s3:PutObject")):
        make_context(settings).clients.client("s3").put_object(Bucket="training-data", Key="zz/new.txt", Body=b"x")
    rows = inventory.run_query(sandbox, query, "training-data")
    assert len(built) == 2
    assert "zz/new.txt" in [r["key"] for r in rows] and "zz/new.txt" not in [r["key"] for r in first]


@pytest.mark.parametrize(
    ("objects", "endpoints", "field"),
    [(-1, 0, "--objects"), (1_000_001, 0, "--objects"), (0, -3, "--endpoints"), (0, 10_001, "--endpoints")],
)
def test_a_large_account_refuses_sizes_it_cannot_build(
    settings: Settings, objects: int, endpoints: int, field: str
) -> None:
    # WHEN a size is out of range THEN the error names the option, the value and what is allowed
    with pytest.raises(ToolInputError, match="expected a whole number from 0 to") as err:
        reset_sandbox(settings, objects=objects, endpoints=endpoints)
    assert err.value.field == field


def test_a_large_account_has_the_objects_and_endpoints_asked_for(settings: Settings) -> None:
    # GIVEN a reset with 300 more objects and 5 more endpoints
    reset_sandbox(settings, objects=300, endpoints=5)
    ctx = make_context(settings)
    # THEN the endpoints are listed, InService
    endpoints = ctx.clients.client("sagemaker").list_endpoints(MaxResults=100)["Endpoints"]
    bulk = [e for e in endpoints if e["EndpointName"].startswith("bulk-")]
    assert len(bulk) == 5 and {e["EndpointStatus"] for e in bulk} == {"InService"}
    # AND the objects are in training-data under bulk/
    listed = ctx.clients.client("s3").list_objects_v2(Bucket="training-data", Prefix="bulk/", MaxKeys=1000)
    assert listed["KeyCount"] == 300


def test_a_state_file_of_an_earlier_version_is_migrated_to_parts(settings: Settings) -> None:
    # GIVEN a sandbox whose state is one signed file, as earlier versions kept it, with a bucket in it
    sandbox = core.get_sandbox(settings)
    with guard.activated(_grant("s3:CreateBucket")):
        make_context(settings).clients.client("s3").create_bucket(Bucket="from-before")
    with sandbox.session():
        old = sandbox._sign(sandbox._dump())
    shutil.rmtree(sandbox.parts_dir)
    sandbox.state_file.write_bytes(old)
    # WHEN another process uses the sandbox
    fresh = core.Sandbox(sandbox.home, core.SEED_REGION)
    with fresh.session():
        names = [b["Name"] for b in fresh.client("s3").list_buckets()["Buckets"]]
    # THEN the account is the same, kept as parts, and the old file is gone
    assert "from-before" in names and "training-data" in names
    assert fresh.part_file("s3").exists() and not sandbox.state_file.exists()
