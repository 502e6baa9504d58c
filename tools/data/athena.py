"""Running an inventory query on Athena: start it, poll it (bounded), read its rows.

StartQueryExecution is allowed by the mutation guard as read-only (it runs a SELECT). Polling has
a deadline and a growing delay; the clock and the sleep are injectable (``POLLING``) so tests never
wait. A query that outlives the deadline is reported with its id and left alone: stopping it would
be a write the guard refuses.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tools.data.sql import InventoryQuery
from tools.errors import AwsCallError

_PAGE = 1000  # GetQueryResults' largest page


@dataclass
class Polling:
    """How long and how often to ask Athena whether the query is done."""

    timeout_seconds: float = 120.0
    first_delay_seconds: float = 0.5
    max_delay_seconds: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    monotonic: Callable[[], float] = field(default=time.monotonic)


POLLING = Polling()


@dataclass
class AthenaRows:
    """The answer of one query: rows as column -> text (None for SQL NULL), and its statistics."""

    query_execution_id: str
    rows: list[dict[str, str | None]]
    data_scanned_bytes: int | None = None


def start(client: Any, query: InventoryQuery, workgroup: str, output_s3: str | None) -> str:
    """Start ``query``; the id of its execution. One request token per query, so a retried start
    after a lost response does not run the query twice."""
    request: dict[str, Any] = {
        "QueryString": query.sql,
        "WorkGroup": workgroup,
        "ClientRequestToken": str(uuid.uuid4()),
    }
    if query.params:
        request["ExecutionParameters"] = query.athena_parameters()
    if output_s3:
        request["ResultConfiguration"] = {"OutputLocation": output_s3}
    return str(client.start_query_execution(**request)["QueryExecutionId"])


def wait(client: Any, query_execution_id: str, polling: Polling | None = None) -> dict[str, Any]:
    """Poll until the query succeeds; its QueryExecution. Failure, cancellation or the deadline
    raise AwsCallError naming the query and Athena's reason."""
    p = polling or POLLING
    deadline = p.monotonic() + p.timeout_seconds
    delay = p.first_delay_seconds
    while True:
        execution = client.get_query_execution(QueryExecutionId=query_execution_id)["QueryExecution"]
        status = execution.get("Status", {})
        state = status.get("State", "")
        if state == "SUCCEEDED":
            return dict(execution)
        if state in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage") or "no reason"
            raise AwsCallError(f"Athena query {query_execution_id} {state.lower()}: {reason}")
        if p.monotonic() + delay > deadline:
            raise AwsCallError(
                f"Athena query {query_execution_id} still {state or 'unknown'} after {p.timeout_seconds:g} s; "
                "it keeps running in Athena, look it up in the console or retry later"
            )
        p.sleep(delay)
        delay = min(delay * 2, p.max_delay_seconds)


def results(client: Any, query_execution_id: str, limit: int) -> list[dict[str, str | None]]:
    """Up to ``limit`` rows of a finished query, following NextToken. The first row of the first
    page is the header and is dropped."""
    rows: list[dict[str, str | None]] = []
    names: list[str] = []
    token: str | None = None
    first = True
    while len(rows) < limit:
        request: dict[str, Any] = {"QueryExecutionId": query_execution_id, "MaxResults": _PAGE}
        if token:
            request["NextToken"] = token
        page = client.get_query_results(**request)
        result_set = page.get("ResultSet", {})
        if first:
            names = [c["Name"] for c in result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        data_rows = result_set.get("Rows", [])
        if first and data_rows:
            data_rows = data_rows[1:]
        first = False
        for row in data_rows:
            values = [cell.get("VarCharValue") for cell in row.get("Data", [])]
            rows.append(dict(zip(names, values, strict=False)))
        token = page.get("NextToken")
        if not token:
            break
    return rows[:limit]


def run(
    client: Any,
    query: InventoryQuery,
    workgroup: str,
    output_s3: str | None,
    limit: int,
    polling: Polling | None = None,
) -> AthenaRows:
    """Start, wait for and read ``query``."""
    query_execution_id = start(client, query, workgroup, output_s3)
    execution = wait(client, query_execution_id, polling)
    scanned = execution.get("Statistics", {}).get("DataScannedInBytes")
    return AthenaRows(query_execution_id, results(client, query_execution_id, limit), scanned)
