"""The live path: Athena start/poll/results and the S3 Metadata writes, checked with Stubber."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tools.base import ToolContext
from tools.config import Settings
from tools.data import athena as data_athena
from tools.data.enable import EnableS3MetadataArgs, plan_enable, run_enable
from tools.data.query import S3MetadataNotConfiguredError, plan_query, run_query
from tools.data.query_args import QueryS3MetadataArgs
from tools.errors import AwsCallError

ACCOUNT = "111122223333"
CONFIG = {
    "GetBucketMetadataConfigurationResult": {
        "MetadataConfigurationResult": {
            "DestinationResult": {
                "TableBucketType": "aws",
                "TableBucketArn": f"arn:aws:s3tables:us-east-1:{ACCOUNT}:bucket/aws-s3",
                "TableNamespace": "b_training_data",
            },
            "JournalTableConfigurationResult": {
                "TableStatus": "ACTIVE",
                "TableName": "journal",
                "RecordExpiration": {"Expiration": "DISABLED"},
            },
            "InventoryTableConfigurationResult": {
                "ConfigurationState": "ENABLED",
                "TableStatus": "ACTIVE",
                "TableName": "inventory",
            },
        }
    }
}


@dataclass
class FakeClock:
    """Time that only moves when slept on."""

    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


class StubClients:
    """Live-mode clients: real boto3 clients with Stubbers, no sandbox."""

    is_sandbox = False
    sandbox = None
    region = "us-east-1"
    account_id = ACCOUNT

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name="us-east-1")
        self.athena = boto3.client("athena", region_name="us-east-1")
        self.stubs = {"s3": Stubber(self.s3), "athena": Stubber(self.athena)}

    def client(self, service: str) -> Any:
        return {"s3": self.s3, "athena": self.athena}[service]


@pytest.fixture
def live() -> Any:
    clients = StubClients()
    settings = Settings(live=True, athena_workgroup="analytics", athena_output_s3="s3://athena-out/opsbot/")
    ctx = ToolContext(settings=settings, clients=clients)  # type: ignore[arg-type]
    for stub in clients.stubs.values():
        stub.activate()
    yield ctx, clients.stubs
    for stub in clients.stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(
        data_athena, "POLLING", data_athena.Polling(timeout_seconds=10, sleep=fake.sleep, monotonic=fake.monotonic)
    )
    return fake


def _get_config(s3: Stubber, bucket: str = "training-data", response: dict | None = None) -> None:
    s3.add_response(
        "get_bucket_metadata_configuration",
        response or CONFIG,
        {"Bucket": bucket, "ExpectedBucketOwner": ACCOUNT},
    )


def _execution(state: str, **status: Any) -> dict[str, Any]:
    return {"QueryExecution": {"QueryExecutionId": "q-1", "Status": {"State": state, **status},
                               "Statistics": {"DataScannedInBytes": 4096}}}  # fmt: skip


def _cells(*values: str | None) -> dict[str, Any]:
    return {"Data": [{"VarCharValue": v} if v is not None else {} for v in values]}


def _aggregate(athena: Stubber, objects: int, total: int, execution: str = "q-2") -> None:
    """The aggregate query that counts and sums the whole match: started, finished, one row."""
    athena.add_response("start_query_execution", {"QueryExecutionId": execution})
    done = _execution("SUCCEEDED")
    done["QueryExecution"]["QueryExecutionId"] = execution
    athena.add_response("get_query_execution", done, {"QueryExecutionId": execution})
    columns = {"ColumnInfo": [{"Name": "objects", "Type": "bigint"}, {"Name": "bytes", "Type": "bigint"}]}
    rows = [_cells("objects", "bytes"), _cells(str(objects), str(total))]
    athena.add_response(
        "get_query_results",
        {"ResultSet": {"ResultSetMetadata": columns, "Rows": rows}},
        {"QueryExecutionId": execution, "MaxResults": 1000},
    )


HEADER = _cells("key", "size", "last_modified_date", "storage_class", "object_tags")
COLUMNS = {"ColumnInfo": [{"Name": n, "Type": "varchar"} for n in ("key", "size", "last_modified_date", "storage_class",
                                                                  "object_tags")]}  # fmt: skip


def test_query_runs_on_athena_with_bound_parameters(live: Any, clock: FakeClock) -> None:
    ctx, stubs = live
    args = QueryS3MetadataArgs(bucket="training-data", min_size_bytes=1_000_000_000, tags={"pii": "it's"}, limit=3)
    # GIVEN the bucket's configuration names its namespace
    _get_config(stubs["s3"])
    sql = (
        "SELECT key, size, last_modified_date, storage_class, CAST(object_tags AS JSON) AS object_tags\n"
        'FROM "s3tablescatalog/aws-s3"."b_training_data"."inventory"\n'
        "WHERE bucket = ?\n  AND COALESCE(is_delete_marker, FALSE) = FALSE\n  AND size >= ?\n"
        "  AND CASE WHEN contains(map_keys(object_tags), ?) THEN object_tags[?] = ? ELSE FALSE END\n"
        "ORDER BY last_modified_date DESC, key\nLIMIT 3"
    )
    # THEN Athena gets the SQL with ? placeholders and the values as SQL literals
    stubs["athena"].add_response(
        "start_query_execution",
        {"QueryExecutionId": "q-1"},
        {
            "QueryString": sql,
            "ExecutionParameters": ["'training-data'", "1000000000", "'pii'", "'pii'", "'it''s'"],
            "WorkGroup": "analytics",
            "ResultConfiguration": {"OutputLocation": "s3://athena-out/opsbot/"},
            "ClientRequestToken": ANY,
        },
    )
    stubs["athena"].add_response("get_query_execution", _execution("QUEUED"), {"QueryExecutionId": "q-1"})
    stubs["athena"].add_response("get_query_execution", _execution("RUNNING"), {"QueryExecutionId": "q-1"})
    stubs["athena"].add_response("get_query_execution", _execution("SUCCEEDED"), {"QueryExecutionId": "q-1"})
    page1 = {"ResultSet": {"ResultSetMetadata": COLUMNS, "Rows": [
        HEADER, _cells("a.parquet", "2000000000", "2025-06-01 10:00:00.123000", "STANDARD", '{"pii":"it\'s"}')]},
        "NextToken": "t2"}  # fmt: skip
    page2 = {"ResultSet": {"Rows": [_cells("b.parquet", "1000000000", "2025-05-01 09:00:00.000", "GLACIER", None)]}}
    stubs["athena"].add_response("get_query_results", page1, {"QueryExecutionId": "q-1", "MaxResults": 1000})
    stubs["athena"].add_response(
        "get_query_results", page2, {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "t2"}
    )
    # AND the aggregate query counts every match (more than the rows returned)
    _aggregate(stubs["athena"], 7, 9_500_000_000)
    # WHEN the query runs
    result = run_query(ctx, args)
    # THEN the rows are typed, and the result carries the SQL, its parameters and Athena's statistics
    assert [(r.key, r.size_bytes, r.last_modified, r.tags) for r in result.rows] == [
        ("a.parquet", 2_000_000_000, "2025-06-01T10:00:00Z", {"pii": "it's"}),
        ("b.parquet", 1_000_000_000, "2025-05-01T09:00:00Z", {}),
    ]
    assert result.engine == "athena" and result.sql == sql and result.query_execution_id == "q-1"
    assert result.parameters == ["training-data", 1_000_000_000, "pii", "pii", "it's"]
    assert result.data_scanned_bytes == 2 * 4096 and result.row_count == 2
    assert (result.matched_count, result.total_size_bytes, result.limit_reached) == (7, 9_500_000_000, True)
    assert result.aggregate_sql.startswith("SELECT COUNT(*) AS objects, COALESCE(SUM(size), 0) AS bytes")
    assert clock.slept == [0.5, 1.0]  # polled with a growing delay, never really sleeping


def test_results_stop_at_the_limit(live: Any, clock: FakeClock) -> None:
    ctx, stubs = live
    _get_config(stubs["s3"])
    stubs["athena"].add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubs["athena"].add_response("get_query_execution", _execution("SUCCEEDED"))
    rows = [HEADER] + [_cells(f"k{i}", "1", "2025-06-01 10:00:00", "STANDARD", "{}") for i in range(3)]
    stubs["athena"].add_response(
        "get_query_results", {"ResultSet": {"ResultSetMetadata": COLUMNS, "Rows": rows}, "NextToken": "more"}
    )
    _aggregate(stubs["athena"], 3, 3)
    result = run_query(ctx, QueryS3MetadataArgs(bucket="training-data", limit=2))
    assert [r.key for r in result.rows] == ["k0", "k1"] and result.limit_reached


def test_a_failed_query_reports_athenas_reason(live: Any, clock: FakeClock) -> None:
    ctx, stubs = live
    _get_config(stubs["s3"])
    stubs["athena"].add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubs["athena"].add_response(
        "get_query_execution", _execution("FAILED", StateChangeReason="TABLE_NOT_FOUND: inventory")
    )
    with pytest.raises(AwsCallError, match="q-1 failed: TABLE_NOT_FOUND"):
        run_query(ctx, QueryS3MetadataArgs(bucket="training-data"))


def test_polling_is_bounded(live: Any, clock: FakeClock) -> None:
    ctx, stubs = live
    _get_config(stubs["s3"])
    stubs["athena"].add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    for _ in range(5):
        stubs["athena"].add_response("get_query_execution", _execution("RUNNING"))
    with pytest.raises(AwsCallError, match="q-1 still RUNNING after 10 s"):
        run_query(ctx, QueryS3MetadataArgs(bucket="training-data"))
    assert sum(clock.slept) <= 10 and len(clock.slept) == 4  # 0.5 + 1 + 2 + 4, the next 5 s would pass the deadline


def test_no_metadata_configuration_is_refused_before_athena(live: Any) -> None:
    ctx, stubs = live
    stubs["s3"].add_client_error("get_bucket_metadata_configuration", "MetadataConfigurationNotFound", "not found", 404)
    with pytest.raises(S3MetadataNotConfiguredError, match="enable_s3_metadata"):
        plan_query(ctx, QueryS3MetadataArgs(bucket="training-data"))


def test_a_failed_inventory_table_is_refused(live: Any) -> None:
    ctx, stubs = live
    failed = {"GetBucketMetadataConfigurationResult": {"MetadataConfigurationResult": {
        "DestinationResult": {"TableNamespace": "b_x"},
        "InventoryTableConfigurationResult": {"ConfigurationState": "ENABLED", "TableStatus": "FAILED",
                                              "Error": {"ErrorCode": "AccessDeniedCreatingResources"}}}}}  # fmt: skip
    _get_config(stubs["s3"], response=failed)
    with pytest.raises(S3MetadataNotConfiguredError, match="AccessDeniedCreatingResources"):
        run_query(ctx, QueryS3MetadataArgs(bucket="training-data"))


# ------------------------------------------------------------------- enable_s3_metadata
def test_enable_creates_the_configuration_field_by_field(live: Any) -> None:
    ctx, stubs = live
    s3 = stubs["s3"]
    s3.add_client_error("get_bucket_metadata_configuration", "MetadataConfigurationNotFound", "nope", 404,
                        expected_params={"Bucket": "corpus-raw", "ExpectedBucketOwner": ACCOUNT})  # fmt: skip
    s3.add_response(
        "create_bucket_metadata_configuration",
        {},
        {
            "Bucket": "corpus-raw",
            "ExpectedBucketOwner": ACCOUNT,
            "MetadataConfiguration": {
                "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "DISABLED"}},
                "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"},
            },
        },
    )
    _get_config(s3, "corpus-raw")
    result = run_enable(ctx, EnableS3MetadataArgs(bucket="corpus-raw"))
    assert result.action == "created" and result.inventory_table == "inventory"


def test_enable_plan_lists_exactly_the_write_run_makes(live: Any) -> None:
    ctx, stubs = live
    stubs["s3"].add_client_error("get_bucket_metadata_configuration", "MetadataConfigurationNotFound", "nope", 404)
    assert plan_enable(ctx, EnableS3MetadataArgs(bucket="corpus-raw")).operation_names() == [
        "s3:CreateBucketMetadataConfiguration"
    ]


def test_enable_adds_the_inventory_table_field_by_field(live: Any) -> None:
    ctx, stubs = live
    s3 = stubs["s3"]
    journal_only = {"GetBucketMetadataConfigurationResult": {"MetadataConfigurationResult": {
        "DestinationResult": {"TableNamespace": "b_corpus-raw"},
        "InventoryTableConfigurationResult": {"ConfigurationState": "DISABLED"}}}}  # fmt: skip
    _get_config(s3, "corpus-raw", journal_only)
    s3.add_response(
        "update_bucket_metadata_inventory_table_configuration",
        {},
        {
            "Bucket": "corpus-raw",
            "ExpectedBucketOwner": ACCOUNT,
            "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"},
        },
    )
    _get_config(s3, "corpus-raw")
    assert run_enable(ctx, EnableS3MetadataArgs(bucket="corpus-raw")).action == "inventory_enabled"


def test_enable_retried_after_a_lost_response_finds_its_configuration(live: Any) -> None:
    ctx, stubs = live
    s3 = stubs["s3"]
    s3.add_client_error("get_bucket_metadata_configuration", "MetadataConfigurationNotFound", "nope", 404)
    s3.add_client_error("create_bucket_metadata_configuration", "InvalidRequest", "already exists", 409)
    _get_config(s3, "corpus-raw")
    _get_config(s3, "corpus-raw")
    assert run_enable(ctx, EnableS3MetadataArgs(bucket="corpus-raw")).action == "created"


def test_enable_on_a_configured_bucket_makes_no_write(live: Any) -> None:
    ctx, stubs = live
    _get_config(stubs["s3"], "corpus-raw")
    _get_config(stubs["s3"], "corpus-raw")
    # Stubber fails on any call not queued: a create or update here would raise.
    assert run_enable(ctx, EnableS3MetadataArgs(bucket="corpus-raw")).action == "already_enabled"
