"""Argument normalisation: what people write and what tools hold compare as meant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from evals.normalise import canon_text, match_value, subset_mismatches


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("ml.trn2.48xlarge", "trn2.48xlarge"),
        ("trn2.48xlarge", "ml.trn2.48xlarge"),
        ("ML.Inf2.24XLarge", "ml.inf2.24xlarge"),
        ("cache.r7g.xlarge", "r7g.xlarge"),
        ("ml.p6-b200.48xlarge", "p6-b200.48xlarge"),
        ("Chat-Prod", "chat-prod"),
        ("notes/", "notes"),
        ("s3://bucket/prefix/", "s3://bucket/prefix"),
        ("bf16", "bfloat16"),
        (8, "8"),
        (8, 8.0),
        ("1 GB", 1_000_000_000),
        ("1 GB", 1024**3),
        ("500 MiB", 500 * 1024**2),
        ("2 days", 48),
        ("8k", 8192),
        ("8k", 8000),
        ("70B", 70),
        ("2026-11-01", "2026-11-01T00:00:00+00:00"),
        (True, "yes"),
        (["a", "b"], ["B", "a"]),
        ({"project": "llama"}, {"project": "Llama", "team": "ml"}),
        (None, None),
    ],
)
def test_equivalent_values_match(expected: object, got: object) -> None:
    # GIVEN an expected value as a person writes it and a got value as a tool holds it
    # WHEN they are compared, THEN they match
    key = "duration_hours" if expected == "2 days" else "x"
    assert match_value(expected, got, key=key)


@pytest.mark.parametrize(
    ("expected", "got"),
    [
        ("ml.trn2.48xlarge", "ml.trn1.32xlarge"),
        ("chat-prod", "chat-prod-2"),
        (8, 9),
        ("1 GB", 2 * 10**9),
        ("500 MiB", 500 * 10**6),
        ("8k", 8),
        ("2026-11-01", "2026-11-02T00:00:00Z"),
        (["a", "b"], ["a"]),
        ({"project": "llama"}, {"team": "ml"}),
        ("4", "four"),
        (None, "x"),
        (4, True),
    ],
)
def test_different_values_do_not_match(expected: object, got: object) -> None:
    # GIVEN values that mean different things WHEN compared THEN they do not match
    assert not match_value(expected, got, key="x")


def test_relative_time_matches_within_tolerance() -> None:
    # GIVEN "now-7d" (default tolerance one day) and a fixed now
    now = datetime(2026, 11, 10, 12, tzinfo=UTC)
    # WHEN got is 7 days ago give or take hours THEN it matches; 3 days off does not
    assert match_value("now-7d", (now - timedelta(days=7, hours=5)).isoformat(), now=now)
    assert not match_value("now-7d", (now - timedelta(days=4)).isoformat(), now=now)
    # AND an explicit tolerance widens the window
    assert match_value("now-7d~4d", (now - timedelta(days=4)).isoformat(), now=now)


def test_subset_reports_missing_and_wrong_keys() -> None:
    # GIVEN expected args with one right, one wrong and one missing key
    expected = {"cluster_name": "llama-pt", "instance_count": 8, "orchestrator": "slurm"}
    got = {"cluster_name": "LLAMA-PT", "instance_count": 4, "instance_type": "ml.trn2.48xlarge"}
    # WHEN compared THEN the wrong and the missing keys are named, extra got keys are ignored
    assert subset_mismatches(expected, got) == ["instance_count", "orchestrator"]


def test_hours_units_only_apply_to_hour_fields() -> None:
    # GIVEN "2 days" for a field that is not in hours THEN it is compared as text
    assert not match_value("2 days", 48, key="name")
    assert canon_text("  Trn2.48XLarge ") == "trn2.48xlarge"
