"""Sandbox ElastiCache Serverless: create, describe (creating, then available), delete, and metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.sandbox import get_sandbox
from tools.sandbox.extensions import validate_output


@pytest.fixture
def ec(settings) -> Iterator[Any]:
    """GIVEN an ElastiCache client on the seeded sandbox."""
    sandbox = get_sandbox(settings)
    with sandbox.session():
        yield sandbox.client("elasticache")


def test_the_seed_has_a_valkey_serverless_cache(ec) -> None:
    answer = ec.describe_serverless_caches()
    validate_output(ec, "DescribeServerlessCaches", answer)
    [cache] = answer["ServerlessCaches"]
    assert (cache["ServerlessCacheName"], cache["Engine"], cache["Status"]) == ("expert-cache", "valkey", "available")


def test_a_new_cache_is_creating_then_available_and_can_be_deleted(ec) -> None:
    created = ec.create_serverless_cache(ServerlessCacheName="new", Engine="redis")
    validate_output(ec, "CreateServerlessCache", created)
    assert created["ServerlessCache"]["Status"] == "creating"
    assert ec.describe_serverless_caches(ServerlessCacheName="new")["ServerlessCaches"][0]["Status"] == "creating"
    assert ec.describe_serverless_caches(ServerlessCacheName="new")["ServerlessCaches"][0]["Status"] == "available"
    ec.delete_serverless_cache(ServerlessCacheName="new")
    with pytest.raises(ClientError) as err:
        ec.describe_serverless_caches(ServerlessCacheName="new")
    assert err.value.response["Error"]["Code"] == "ServerlessCacheNotFoundFault"


def test_names_are_unique_and_engines_known(ec) -> None:
    with pytest.raises(ClientError, match="already exists"):
        ec.create_serverless_cache(ServerlessCacheName="expert-cache", Engine="valkey")
    with pytest.raises(ClientError, match="Engine must be"):
        ec.create_serverless_cache(ServerlessCacheName="x", Engine="mysql")


def test_the_seeded_cache_publishes_its_hour(ec, settings) -> None:
    from moto.backends import get_backend

    data = get_backend("cloudwatch")["123456789012"]["us-east-1"].metric_data
    mine = [m for m in data if any(d.name == "clusterId" and d.value == "expert-cache" for d in m.dimensions)]
    assert {m.name for m in mine} == {"BytesUsedForCache", "ElastiCacheProcessingUnits"}
    assert len(mine) >= 2 * 59
