"""Units people type: sizes (decimal and binary), durations, dates relative to a fixed now."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.models.units import find_date_range, find_durations, find_sizes, iso, normalise_numbers, parse_size
from tests.agent.models.conftest import NOW


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1 GB", 1_000_000_000),
        ("1GiB", 1_073_741_824),
        ("1.5 gib", 1_610_612_736),
        ("500 MB", 500_000_000),
        ("500MiB", 524_288_000),
        ("2 TB", 2_000_000_000_000),
        ("2 TiB", 2_199_023_255_552),
        ("64 KB", 64_000),
        ("64 KiB", 65_536),
        ("3 gigs", 3_000_000_000),
        ("12345", 12_345),
    ],
)
def test_sizes_in_bytes(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_sizes_inside_text_keep_their_place() -> None:
    found = find_sizes("objects over 1 GB and under 10 GiB")
    assert [(f.value, "objects over 1 GB and under 10 GiB"[f.start : f.end]) for f in found] == [
        (1_000_000_000, "1 GB"),
        (10_737_418_240, "10 GiB"),
    ]


def test_instance_names_and_model_sizes_are_not_sizes() -> None:
    assert find_sizes("8 trn2.48xlarge for a 70B model, 32k context") == []


@pytest.mark.parametrize(
    ("text", "hours"),
    [("for 48 hours", 48), ("2 days", 48), ("48h", 48), ("a week", 168), ("90 min", 1.5), ("3-day", 72)],
)
def test_durations_in_hours(text: str, hours: float) -> None:
    assert [f.value for f in find_durations(text)] == [hours]


def test_words_are_not_durations() -> None:
    assert find_durations("reading s3://b/x/ and writing to s3://c/ and more") == []


def d(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("added since 2026-11-01", d("2026-11-01"), None),
        ("modified this week", d("2026-11-09"), None),
        ("in the last 7 days", d("2026-11-05"), None),
        ("in the last 24 hours", d("2026-11-11T15:30:00"), None),
        ("uploaded yesterday", d("2026-11-11"), d("2026-11-12")),
        ("modified before October 1", None, d("2026-10-01")),
        ("before December 25", None, d("2025-12-25")),
        ("last week", d("2026-11-02"), d("2026-11-09")),
        ("last month", d("2026-10-01"), d("2026-11-01")),
        ("older than 30 days", None, d("2026-10-13")),
        ("between 2026-10-01 and 2026-10-31", d("2026-10-01"), d("2026-11-01")),
        ("in october 2025", d("2025-10-01"), d("2025-11-01")),
        ("since 1st of March", d("2026-03-01"), None),
        ("may I see the big ones", None, None),
    ],
)
def test_dates_relative_to_now(text: str, after: datetime | None, before: datetime | None) -> None:
    assert find_date_range(text.lower(), NOW) == (after, before)


def test_iso_output_follows_the_schema_format() -> None:
    assert iso(d("2026-11-09"), "date") == "2026-11-09"
    assert iso(d("2026-11-09"), "date|date-time") == "2026-11-09"
    assert iso(d("2026-11-11T15:30:00"), "date|date-time") == "2026-11-11T15:30:00Z"
    assert iso(d("2026-11-09"), "date-time") == "2026-11-09T00:00:00Z"


def test_number_words_and_separators() -> None:
    assert normalise_numbers("eight nodes, a dozen replicas, 5,000 instances") == "8 nodes, 12 replicas, 5000 instances"
