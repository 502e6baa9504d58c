"""The tunable parameter allowlist: names, types, values, families."""

from __future__ import annotations

import pytest

from tools.cache.params import check_parameters, dedicated_group_name, parameter_group_family, tunable_parameters
from tools.errors import ToolInputError


def test_allowlist_is_loaded_from_data() -> None:
    params = tunable_parameters()
    assert params["maxmemory-policy"].type == "enum" and "allkeys-lfu" in params["maxmemory-policy"].values
    assert params["lazyfree-lazy-eviction"].type == "boolean"
    assert params["reserved-memory-percent"].max == 100


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"maxmemory-policy": "AllKeys-LRU "}, {"maxmemory-policy": "allkeys-lru"}),
        ({"lazyfree-lazy-eviction": True}, {"lazyfree-lazy-eviction": "yes"}),
        ({"lazyfree-lazy-expire": "off"}, {"lazyfree-lazy-expire": "no"}),
        ({"maxmemory-samples": "10"}, {"maxmemory-samples": "10"}),
        ({"timeout": 0, "tcp-keepalive": 60}, {"timeout": "0", "tcp-keepalive": "60"}),
        ({"Timeout": 300}, {"timeout": "300"}),
    ],
)
def test_values_are_normalised_to_what_elasticache_takes(raw: dict, expected: dict) -> None:
    assert check_parameters(raw) == expected


@pytest.mark.parametrize(
    ("raw", "field", "allowed"),
    [
        ({"maxmemory": "10gb"}, "parameters.maxmemory", "tunable: activedefrag"),
        ({"maxmemory-policy": "lru"}, "parameters.maxmemory-policy", "one of volatile-lru, allkeys-lru"),
        ({"lazyfree-lazy-eviction": "maybe"}, "parameters.lazyfree-lazy-eviction", "yes or no"),
        ({"timeout": 5}, "parameters.timeout", "an integer 0 or 20..86400"),
        ({"maxmemory-samples": True}, "parameters.maxmemory-samples", "an integer 1..64"),
        ({"reserved-memory-percent": "12.5"}, "parameters.reserved-memory-percent", "0..100"),
        ({}, "parameters", "give at least one"),
    ],
)
def test_bad_names_and_values_name_the_field_value_and_allowed(raw: dict, field: str, allowed: str) -> None:
    with pytest.raises(ToolInputError) as exc:
        check_parameters(raw)
    assert exc.value.field == field
    assert allowed in str(exc.value)
    if raw:
        assert repr(next(iter(raw.values()))) in str(exc.value)


def test_more_than_twenty_parameters_are_refused() -> None:
    raw = {f"p{i}": 1 for i in range(21)}
    with pytest.raises(ToolInputError, match="at most 20"):
        check_parameters(raw)


@pytest.mark.parametrize(
    ("engine", "version", "family"),
    [
        ("valkey", "8.0", "valkey8"),
        ("valkey", "7.2", "valkey7"),
        ("redis", "7.1", "redis7"),
        ("redis", "6.2", "redis6.x"),
    ],
)
def test_parameter_group_family(engine: str, version: str, family: str) -> None:
    assert parameter_group_family(engine, version) == family


def test_dedicated_group_name_is_deterministic() -> None:
    assert dedicated_group_name("kv-cache-prod") == "opsbot-kv-cache-prod"
