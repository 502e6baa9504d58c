"""enable_s3_metadata against the sandbox: plan, run under its grant, idempotency, the guard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.data.sandbox import new_bucket, query
from tests.tools.helpers import approve_and_run
from tools import guard, runtime
from tools.base import Effect, Risk
from tools.data.query import S3MetadataNotConfiguredError
from tools.errors import MutationBlockedError, NotFoundError, ToolInputError
from tools.registry import get_tool


# ------------------------------------------------------------------- enable_s3_metadata
def test_enable_plans_the_create_and_its_billing(ctx: Any) -> None:
    new_bucket(ctx, "new-data")
    plan = runtime.plan("enable_s3_metadata", {"bucket": "new-data"}, ctx)
    assert plan.effect == Effect.WRITE and plan.risk == Risk.LOW
    assert plan.operation_names() == ["s3:CreateBucketMetadataConfiguration"]
    text = " ".join(plan.changes)
    assert "journal" in text and "inventory" in text and "b_new-data" in text
    assert "S3 Tables" in (plan.cost_note or "") and plan.facts["billed"].startswith("S3 Tables")


def test_enable_runs_under_its_grant_and_then_the_bucket_can_be_queried(ctx: Any) -> None:
    new_bucket(ctx, "new-data")
    outcome = approve_and_run(ctx, "enable_s3_metadata", {"bucket": "new-data"})[1]
    assert outcome.result["action"] == "created" and outcome.result["namespace"] == "b_new-data"
    assert outcome.result["inventory_status"] == "BACKFILLING"
    assert "S3 Metadata is on" in outcome.text
    result = query(ctx, bucket="new-data")
    assert result["row_count"] == 0 and "BACKFILLING" in result["warnings"][0]


def test_enable_is_idempotent(ctx: Any) -> None:
    # GIVEN a bucket that already has S3 Metadata
    plan = runtime.plan("enable_s3_metadata", {"bucket": "training-data"}, ctx)
    assert plan.operation_names() == [] and "nothing to do" in plan.summary
    # WHEN it is run anyway, THEN it says so and makes no write
    writes: list[str] = []
    ctx.clients.client("s3").meta.events.register(
        "before-call", lambda model, **_: writes.append(model.name) if guard.is_mutating("s3", model.name) else None
    )
    outcome = approve_and_run(ctx, "enable_s3_metadata", {"bucket": "training-data"})[1]
    assert outcome.result["action"] == "already_enabled" and writes == []
    assert "already enabled" in outcome.text


def test_enable_adds_a_missing_inventory_table(ctx: Any) -> None:
    new_bucket(ctx, "journal-only")
    sandbox = ctx.clients.sandbox
    with sandbox.session():
        sandbox.client("s3").create_bucket_metadata_configuration(
            Bucket="journal-only",
            MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}},
        )
    with pytest.raises(S3MetadataNotConfiguredError, match="without a live inventory table"):
        runtime.run_read("query_s3_metadata", {"bucket": "journal-only"}, ctx)
    plan = runtime.plan("enable_s3_metadata", {"bucket": "journal-only"}, ctx)
    assert plan.operation_names() == ["s3:UpdateBucketMetadataInventoryTableConfiguration"]
    outcome = approve_and_run(ctx, "enable_s3_metadata", {"bucket": "journal-only"})[1]
    assert outcome.result["action"] == "inventory_enabled"


def test_enable_without_a_grant_is_blocked_by_the_guard(ctx: Any) -> None:
    new_bucket(ctx, "new-data")
    tool = get_tool("enable_s3_metadata")
    with pytest.raises(MutationBlockedError):
        tool.run(ctx, runtime.parse_args(tool, {"bucket": "new-data"}))
    with pytest.raises(S3MetadataNotConfiguredError):
        runtime.run_read("query_s3_metadata", {"bucket": "new-data"}, ctx)


def test_enable_is_refused_by_run_read(ctx: Any) -> None:
    from tools.errors import ApprovalRequiredError

    with pytest.raises(ApprovalRequiredError):
        runtime.run_read("enable_s3_metadata", {"bucket": "training-data"}, ctx)


def test_enable_bad_bucket_is_refused(ctx: Any) -> None:
    with pytest.raises(ToolInputError) as exc:
        runtime.plan("enable_s3_metadata", {"bucket": "x"}, ctx)
    assert exc.value.field == "bucket"
    with pytest.raises(NotFoundError):
        runtime.plan("enable_s3_metadata", {"bucket": "no-such-bucket"}, ctx)
