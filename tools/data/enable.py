"""enable_s3_metadata: turn on a bucket's S3 Metadata (journal and live inventory tables).

Also reads a bucket's S3 Metadata configuration, which ``query_s3_metadata`` needs to find the
inventory table it queries.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, Field

from tools.aws import error_code, is_not_found
from tools.base import AwsOperation, Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.data.sql import default_namespace
from tools.errors import NotFoundError
from tools.kinds import Name
from tools.validation import BucketName

# Journal records are kept (no expiration); encryption is S3's default, SSE-S3.
METADATA_CONFIGURATION: dict[str, Any] = {
    "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}},
    "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"},
}
ENABLE_INVENTORY: dict[str, Any] = {"ConfigurationState": "ENABLED"}
S3_TABLES_COST_NOTE = (
    "no hourly cost; billed by use: S3 Tables storage and requests for the metadata tables, "
    "the one-time inventory backfill, and a monthly inventory fee above one billion objects"
)

EnableAction = Literal["create", "enable_inventory", "none"]
_OPERATIONS: dict[str, list[str]] = {
    "create": ["s3:CreateBucketMetadataConfiguration"],
    "enable_inventory": ["s3:UpdateBucketMetadataInventoryTableConfiguration"],
    "none": [],
}


class EnableS3MetadataArgs(ToolArgs):
    """enable_s3_metadata's arguments."""

    bucket: Annotated[
        str, Name("bucket"), BucketName, Field(description="Bucket to turn S3 Metadata on for, e.g. corpus-raw.")
    ]


def metadata_configuration(ctx: ToolContext, bucket: str) -> dict[str, Any] | None:
    """The bucket's MetadataConfigurationResult, or None when S3 Metadata is not configured."""
    s3 = ctx.clients.client("s3")
    try:
        response = s3.get_bucket_metadata_configuration(Bucket=bucket, ExpectedBucketOwner=ctx.account)
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucket":
            raise NotFoundError(f"bucket {bucket} does not exist in account {ctx.account}") from None
        if is_not_found(exc):  # MetadataConfigurationNotFound
            return None
        raise
    return dict(response["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"])


class EnableS3MetadataResult(BaseModel):
    """What enable_s3_metadata did, and where the tables are."""

    bucket: str
    action: Literal["created", "inventory_enabled", "already_enabled"]
    namespace: str | None = None
    journal_table: str | None = None
    inventory_table: str | None = None
    inventory_status: str | None = None
    table_bucket_arn: str | None = None
    message: str


def _action(config: dict[str, Any] | None) -> EnableAction:
    if config is None:
        return "create"
    inventory = config.get("InventoryTableConfigurationResult") or {}
    return "none" if inventory.get("ConfigurationState") == "ENABLED" else "enable_inventory"


def plan_enable(ctx: ToolContext, args: EnableS3MetadataArgs) -> Plan:
    """What enabling would create (or that nothing is needed); reads the configuration only."""
    bucket = args.bucket
    config = metadata_configuration(ctx, bucket)
    action = _action(config)
    namespace = ((config or {}).get("DestinationResult") or {}).get("TableNamespace") or default_namespace(bucket)
    where = f"in the AWS managed table bucket aws-s3, namespace {namespace}"
    backfill = (
        "live inventory table 'inventory' " + where + ": backfilled from the bucket's current objects "
        "(at least 15 minutes, longer for big buckets), then updated within about an hour of each change"
    )
    if action == "create":
        summary = f"turn on S3 Metadata for s3://{bucket} (journal and live inventory tables)"
        changes = [
            f"create the S3 Metadata configuration of s3://{bucket}",
            f"journal table 'journal' {where}: records every object change from now on; records are kept",
            backfill,
            "tables are encrypted with SSE-S3 (AES256)",
        ]
    elif action == "enable_inventory":
        summary = f"add the live inventory table to the S3 Metadata configuration of s3://{bucket}"
        changes = [backfill]
    else:
        status = (config or {}).get("InventoryTableConfigurationResult", {}).get("TableStatus", "UNKNOWN")
        summary = f"S3 Metadata is already enabled for s3://{bucket} (inventory {status}); nothing to do"
        changes = []
    return Plan(
        summary=summary,
        changes=changes,
        aws_operations=[
            AwsOperation(operation=operation, params={"Bucket": bucket, "ExpectedBucketOwner": ctx.account})
            for operation in _OPERATIONS[action]
        ],
        cost_usd_per_hour=0.0 if action != "none" else None,
        cost_note=S3_TABLES_COST_NOTE if action != "none" else None,
        facts={"bucket": bucket, "action": action, "namespace": namespace}
        | ({"billed": "S3 Tables storage and requests"} if action != "none" else {}),
    )


def run_enable(ctx: ToolContext, args: EnableS3MetadataArgs) -> EnableS3MetadataResult:
    """Create the configuration (or add the inventory table); a configured bucket is left alone."""
    bucket = args.bucket
    s3 = ctx.clients.client("s3")
    action = _action(metadata_configuration(ctx, bucket))
    if action == "create":
        try:
            s3.create_bucket_metadata_configuration(
                Bucket=bucket, ExpectedBucketOwner=ctx.account, MetadataConfiguration=METADATA_CONFIGURATION
            )
        except ClientError:
            # A create retried after a lost response finds its own configuration: that is success.
            if metadata_configuration(ctx, bucket) is None:
                raise
    elif action == "enable_inventory":
        s3.update_bucket_metadata_inventory_table_configuration(
            Bucket=bucket, ExpectedBucketOwner=ctx.account, InventoryTableConfiguration=ENABLE_INVENTORY
        )
    after = metadata_configuration(ctx, bucket) or {}
    destination = after.get("DestinationResult") or {}
    inventory = after.get("InventoryTableConfigurationResult") or {}
    journal = after.get("JournalTableConfigurationResult") or {}
    outcome: Literal["created", "inventory_enabled", "already_enabled"] = {
        "create": "created",
        "enable_inventory": "inventory_enabled",
        "none": "already_enabled",
    }[action]  # type: ignore[assignment]
    message = {
        "created": f"S3 Metadata is on for s3://{bucket}; the inventory table backfills before it is complete",
        "inventory_enabled": f"the live inventory table of s3://{bucket} is on and backfilling",
        "already_enabled": f"S3 Metadata was already enabled for s3://{bucket}; nothing changed",
    }[outcome]
    return EnableS3MetadataResult(
        bucket=bucket,
        action=outcome,
        namespace=destination.get("TableNamespace"),
        journal_table=journal.get("TableName"),
        inventory_table=inventory.get("TableName"),
        inventory_status=inventory.get("TableStatus"),
        table_bucket_arn=destination.get("TableBucketArn"),
        message=message,
    )


def render_enable(r: EnableS3MetadataResult) -> str:
    """One line on what happened, one on where the tables are."""
    lines = [r.message]
    if r.namespace:
        tables = ", ".join(t for t in (r.journal_table, r.inventory_table) if t)
        status = f" (inventory {r.inventory_status})" if r.inventory_status else ""
        lines.append(f"tables {tables} in namespace {r.namespace} of {r.table_bucket_arn}{status}")
    return "\n".join(lines)


ENABLE_TOOL = Tool(
    name="enable_s3_metadata",
    description=(
        "Turn on S3 Metadata for a bucket (journal and live inventory tables in S3 Tables) so that "
        "query_s3_metadata can answer for it. Does nothing if already enabled."
    ),
    label="enable S3 Metadata on a bucket",
    phrasings=(
        "(enable|turn on|activate|configure|set up|setup|switch on|start) [the] [s3] metadata "
        "[tables|table|configuration] (on|for|in) [the] [bucket] {bucket}",
        "(enable|turn on|activate|configure|set up|switch on) [the] [s3] metadata "
        "[tables|table|journal|inventory]",
        "(enable|turn on) {bucket} metadata",
    ),
    effect=Effect.WRITE,
    risk=Risk.LOW,
    idempotent=True,
    args_model=EnableS3MetadataArgs,
    plan=plan_enable,
    run=run_enable,
    render=render_enable,
)
