"""S3 Metadata configuration in the sandbox follows botocore's shapes; the demo buckets are seeded."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.sandbox import ext_data
from tools.sandbox.extensions import validate_output
from tools.sandbox.inventory import inventory_rows

CONFIG = {
    "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}},
    "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"},
}


@pytest.fixture
def s3(sandbox: Any) -> Any:
    """An unguarded sandbox S3 client with a fresh bucket ``fresh-bucket`` and no metadata."""
    client = sandbox.client("s3")
    client.create_bucket(Bucket="fresh-bucket")
    return client


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_create_then_get_returns_the_documented_shape(s3: Any) -> None:
    # WHEN a V2 configuration with journal and inventory is created
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    got = s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")
    # THEN Get answers in botocore's output shape
    validate_output(s3, "GetBucketMetadataConfiguration", got)
    result = got["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"]
    assert result["DestinationResult"] == {
        "TableBucketType": "aws",
        "TableBucketArn": "arn:aws:s3tables:us-east-1:123456789012:bucket/aws-s3",
        "TableNamespace": "b_fresh-bucket",
    }
    assert result["JournalTableConfigurationResult"]["TableName"] == "journal"
    assert result["JournalTableConfigurationResult"]["RecordExpiration"] == {"Expiration": "DISABLED"}
    inventory = result["InventoryTableConfigurationResult"]
    assert (inventory["ConfigurationState"], inventory["TableName"]) == ("ENABLED", "inventory")
    # AND a new inventory table is still backfilling
    assert inventory["TableStatus"] == "BACKFILLING"


def test_inventory_becomes_active_after_the_backfill(s3: Any, sandbox: Any) -> None:
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    sandbox.ext[ext_data.STATE_KEY]["fresh-bucket"]["inventory"]["enabled_at"] -= ext_data.BACKFILL_SECONDS
    got = s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")["GetBucketMetadataConfigurationResult"]
    assert got["MetadataConfigurationResult"]["InventoryTableConfigurationResult"]["TableStatus"] == "ACTIVE"


def test_journal_only_configuration_reports_inventory_disabled(s3: Any) -> None:
    conf = {"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 30}}}
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=conf)
    got = s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")
    validate_output(s3, "GetBucketMetadataConfiguration", got)
    result = got["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"]
    assert result["InventoryTableConfigurationResult"] == {"ConfigurationState": "DISABLED"}
    assert result["JournalTableConfigurationResult"]["RecordExpiration"] == {"Expiration": "ENABLED", "Days": 30}


def test_update_inventory_enables_it_on_an_existing_configuration(s3: Any) -> None:
    s3.create_bucket_metadata_configuration(
        Bucket="fresh-bucket",
        MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}}},
    )
    response = s3.update_bucket_metadata_inventory_table_configuration(
        Bucket="fresh-bucket", InventoryTableConfiguration={"ConfigurationState": "ENABLED"}
    )
    validate_output(s3, "UpdateBucketMetadataInventoryTableConfiguration", response)
    got = s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")["GetBucketMetadataConfigurationResult"]
    assert got["MetadataConfigurationResult"]["InventoryTableConfigurationResult"]["ConfigurationState"] == "ENABLED"


def test_annotation_table_is_reported_when_configured(s3: Any) -> None:
    conf = dict(CONFIG, AnnotationTableConfiguration={"ConfigurationState": "ENABLED"})
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=conf)
    got = s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")
    validate_output(s3, "GetBucketMetadataConfiguration", got)
    annotation = got["GetBucketMetadataConfigurationResult"]["MetadataConfigurationResult"][
        "AnnotationTableConfigurationResult"
    ]
    assert annotation["TableName"] == "annotation"


def test_delete_forgets_the_configuration(s3: Any) -> None:
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    s3.delete_bucket_metadata_configuration(Bucket="fresh-bucket")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_metadata_configuration(Bucket="fresh-bucket")
    assert _code(exc) == ("MetadataConfigurationNotFound", 404)


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (
            lambda s3: s3.get_bucket_metadata_configuration(Bucket="fresh-bucket"),
            ("MetadataConfigurationNotFound", 404),
        ),
        (
            lambda s3: s3.delete_bucket_metadata_configuration(Bucket="fresh-bucket"),
            ("MetadataConfigurationNotFound", 404),
        ),
        (
            lambda s3: s3.update_bucket_metadata_inventory_table_configuration(
                Bucket="fresh-bucket", InventoryTableConfiguration={"ConfigurationState": "ENABLED"}
            ),
            ("MetadataConfigurationNotFound", 404),
        ),
        (lambda s3: s3.get_bucket_metadata_configuration(Bucket="no-such-bucket"), ("NoSuchBucket", 404)),
        (
            lambda s3: s3.create_bucket_metadata_configuration(Bucket="no-such-bucket", MetadataConfiguration=CONFIG),
            ("NoSuchBucket", 404),
        ),
        (
            lambda s3: s3.get_bucket_metadata_configuration(Bucket="fresh-bucket", ExpectedBucketOwner="999999999999"),
            ("AccessDenied", 403),
        ),
        (
            lambda s3: s3.create_bucket_metadata_configuration(
                Bucket="fresh-bucket",
                MetadataConfiguration={"JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED"}}},
            ),
            ("InvalidRequest", 400),
        ),
        (
            lambda s3: s3.create_bucket_metadata_configuration(
                Bucket="fresh-bucket",
                MetadataConfiguration=dict(
                    CONFIG,
                    InventoryTableConfiguration={
                        "ConfigurationState": "ENABLED",
                        "EncryptionConfiguration": {"SseAlgorithm": "aws:kms"},
                    },
                ),
            ),
            ("InvalidRequest", 400),
        ),
    ],
)
def test_errors_are_aws_errors(s3: Any, call: Any, code: tuple[str, int]) -> None:
    with pytest.raises(ClientError) as exc:
        call(s3)
    assert _code(exc) == code


def test_a_second_create_is_refused(s3: Any) -> None:
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    with pytest.raises(ClientError) as exc:
        s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    assert _code(exc)[1] == 409


def test_v1_get_answers_405_for_a_v2_configuration(s3: Any) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_metadata_table_configuration(Bucket="fresh-bucket")
    assert _code(exc)[1] == 404
    s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_metadata_table_configuration(Bucket="fresh-bucket")
    assert _code(exc) == ("MethodNotAllowed", 405)


def test_configuration_survives_the_state_file(ctx: Any, s3: Any, sandbox: Any) -> None:
    # GIVEN a configuration created inside a session (so it is saved)
    with sandbox.session():
        s3.create_bucket_metadata_configuration(Bucket="fresh-bucket", MetadataConfiguration=CONFIG)
    # WHEN the state is reloaded from the file
    sandbox.reload()
    # THEN the configuration is still there
    assert "fresh-bucket" in sandbox.ext[ext_data.STATE_KEY]


# ---------------------------------------------------------------------------------- seed
def test_seeded_buckets_have_active_metadata_and_a_few_hundred_objects(ctx: Any, sandbox: Any) -> None:
    s3 = ctx.clients.client("s3")
    total = 0
    for bucket in ext_data.SEED_BUCKETS:
        got = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"]
        assert got["MetadataConfigurationResult"]["InventoryTableConfigurationResult"]["TableStatus"] == "ACTIVE"
        with sandbox.session():
            total += len(inventory_rows(sandbox.account, bucket))
    assert 200 <= total <= 600


def test_seeded_objects_vary_in_size_date_class_type_and_tags(sandbox: Any) -> None:
    with sandbox.session():
        rows = [r for b in ext_data.SEED_BUCKETS for r in inventory_rows(sandbox.account, b)]
        backend = ext_data.s3_backend(sandbox.account)
        bodies = [len(k.value) for b in ext_data.SEED_BUCKETS for k in backend.buckets[b].keys.values()]
    sizes = [r[5] for r in rows]
    assert min(sizes) < 100 * 1024 and max(sizes) > 10 * 1024**3  # KB to tens of GB
    ages = [(time.time() - r[6].timestamp()) / 86400 for r in rows]
    assert min(ages) < 3 and max(ages) < 91 and max(ages) > 60
    classes = Counter(r[8] for r in rows)
    assert {"STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"} <= set(classes)
    tag_keys = {k for r in rows for k in r[14]}
    assert {"dataset", "split", "pii"} <= tag_keys
    assert max(bodies) < 64  # bodies stay tiny; the nominal size is metadata


def test_seed_is_deterministic_apart_from_time(sandbox: Any) -> None:
    rng_a, rng_b = ext_data.random.Random(20250601), ext_data.random.Random(20250601)
    assert ext_data._object_specs(rng_a) == ext_data._object_specs(rng_b)


def test_prompt_injection_bait_is_seeded(sandbox: Any) -> None:
    with sandbox.session():
        rows = {r[1]: r for r in inventory_rows(sandbox.account, ext_data.INJECTION_BUCKET)}
    assert ext_data.INJECTION_KEY in rows
    assert rows[ext_data.INJECTION_TAGGED_KEY][14][ext_data.INJECTION_TAG_KEY] == ext_data.INJECTION_TAG_VALUE
    assert rows[ext_data.INJECTION_METADATA_KEY][15] == ext_data.INJECTION_METADATA
    assert {k for _, k in ext_data.INJECTION_OBJECTS} <= set(rows)


def test_reset_reseeds_the_demo_buckets(ctx: Any, sandbox: Any) -> None:
    # GIVEN the seeded buckets exist in this process (moto indexes bucket names process-wide)
    s3 = ctx.clients.client("s3")
    assert set(ext_data.SEED_BUCKETS) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    # WHEN the sandbox is reset, which seeds the same bucket names again
    sandbox.reset()
    # THEN the buckets and their metadata configurations are back
    assert set(ext_data.SEED_BUCKETS) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert s3.get_bucket_metadata_configuration(Bucket="corpus-raw")["GetBucketMetadataConfigurationResult"]
