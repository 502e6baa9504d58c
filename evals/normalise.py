"""Normalising argument values so that an expected value and a got value compare as people mean them.

Case authors write what a careful person would extract ("1 GB", "2 days", "trn2.48xlarge", "8k");
tools may hold the same thing as bytes, hours, ``ml.trn2.48xlarge`` or 8192. Each expected value
becomes a matcher; a got value passes if the matcher accepts it. Where common speech is ambiguous
(GB as 10^9 or 2^30 bytes, "8k" as 8000 or 8192) every reading is accepted.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

INSTANCE_TYPE = re.compile(r"^(?:ml\.|cache\.)?([a-z][a-z0-9-]*\.\d*x?large|[a-z][a-z0-9-]*\.(?:micro|small|medium))$")
SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]i?b|b|bytes?)\s*$", re.I)
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|mins|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\s*$", re.I)
COUNT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmb])\s*$", re.I)
RELATIVE = re.compile(r"^now(?:([+-]\d+)([hdw]))?(?:~(\d+)([hdw]))?$")
DTYPES = {
    "bf16": "bfloat16",
    "bfloat16": "bfloat16",
    "fp16": "float16",
    "float16": "float16",
    "half": "float16",
    "fp32": "float32",
    "float32": "float32",
    "fp8": "fp8",
    "float8": "fp8",
    "int8": "int8",
    "int4": "int4",
}
_SIZE_UNITS = {"b": 1, "byte": 1, "bytes": 1}
for _i, _p in enumerate("kmgtp", 1):
    _SIZE_UNITS[f"{_p}ib"] = 1024**_i
    _SIZE_UNITS[f"{_p}b"] = 1000**_i  # decimal; the binary reading is added as an alternative
_HOURS = {"m": 1 / 60, "h": 1, "d": 24, "w": 168}
_MISSING = object()


def strip_instance_prefix(text: str) -> str:
    """``ml.trn2.48xlarge`` and ``trn2.48xlarge`` compare equal (likewise ``cache.``)."""
    m = INSTANCE_TYPE.match(text)
    return m.group(1) if m else text


def canon_text(value: str) -> str:
    """Case, surrounding blanks, instance-type prefixes, trailing slashes and dtype spellings."""
    text = value.strip().lower()
    text = strip_instance_prefix(text)
    if len(text) > 1 and text.endswith("/"):
        text = text.rstrip("/")
    return DTYPES.get(text, text)


def size_readings(text: str) -> set[float] | None:
    """Byte counts a size like '1 GB' may mean, or None if it is not a size."""
    m = SIZE.match(text)
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2).lower()
    readings = {number * _SIZE_UNITS[unit]}
    if len(unit) == 2 and unit[0] in "kmgtp":  # "GB" in speech often means GiB
        readings.add(number * 1024 ** ("kmgtp".index(unit[0]) + 1))
    return readings


def hours_of(text: str) -> float | None:
    """Hours in a duration like '2 days' or '90 min', or None."""
    m = DURATION.match(text)
    if not m:
        return None
    return float(m.group(1)) * _HOURS[m.group(2).lower()[0]]


def count_readings(text: str) -> set[float] | None:
    """Numbers '8k' may mean (8000 or 8192), '70B' (70e9 or 70 billions as 70), or None."""
    m = COUNT.match(text)
    if not m:
        return None
    number, suffix = float(m.group(1)), m.group(2).lower()
    if suffix == "k":
        return {number * 1000, number * 1024}
    if suffix == "m":
        return {number * 1e6, number * 1024**2}
    return {number * 1e9, number}


def to_number(value: Any) -> float | None:
    """A number from an int, float or numeric string; bools are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "").replace("_", ""))
        except ValueError:
            return None
    return None


def to_datetime(value: Any) -> datetime | None:
    """An aware datetime from a datetime, a date or ISO text, or None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _numbers_match(expected: set[float], got: Any) -> bool:
    number = to_number(got)
    return number is not None and any(math.isclose(number, e, rel_tol=1e-6, abs_tol=1e-9) for e in expected)


def match_value(expected: Any, got: Any, key: str = "", now: datetime | None = None) -> bool:
    """True if ``got`` is what ``expected`` means for argument ``key``."""
    if expected is None:
        return got is None or got is _MISSING
    if got is _MISSING:
        return False
    if isinstance(expected, dict):
        return isinstance(got, dict) and subset_mismatches(expected, got, now=now) == []
    if isinstance(expected, list):
        return _list_match(expected, got, key, now)
    if isinstance(expected, bool) or isinstance(got, bool):
        return _bool(expected) == _bool(got)
    if isinstance(expected, int | float):
        return _numbers_match({float(expected)}, got)
    if isinstance(expected, datetime | date):
        return _dates_match(to_datetime(expected), got, exact_day=not isinstance(expected, datetime))
    return _text_match(str(expected), got, key, now or datetime.now(UTC))


def _text_match(expected: str, got: Any, key: str, now: datetime) -> bool:
    rel = RELATIVE.match(expected.strip())
    if rel:
        offset = timedelta(hours=int(rel.group(1) or 0) * _HOURS[rel.group(2) or "h"])
        tolerance = timedelta(hours=int(rel.group(3) or 1) * _HOURS[rel.group(4) or "d"])
        got_time = to_datetime(got)
        return got_time is not None and abs(got_time - (now + offset)) <= tolerance
    if (sizes := size_readings(expected)) is not None:
        return _numbers_match(sizes, got) or canon_text(expected) == canon_text(str(got))
    if key.endswith("hours") and (hours := hours_of(expected)) is not None:
        return _numbers_match({hours}, got)
    if (counts := count_readings(expected)) is not None and to_number(got) is not None:
        return _numbers_match(counts, got)
    if (number := to_number(expected)) is not None and to_number(got) is not None:
        return _numbers_match({number}, got)
    if (day := _iso_day(expected)) is not None:
        return _dates_match(day, got, exact_day=True)
    if isinstance(got, int | float):
        return False
    return canon_text(expected) == canon_text(str(got))


def _iso_day(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text.strip()):
        return None
    return to_datetime(text)


def _dates_match(expected: datetime | None, got: Any, exact_day: bool) -> bool:
    got_time = to_datetime(got)
    if expected is None or got_time is None:
        return False
    if exact_day:
        return got_time.date() == expected.date()
    return abs(got_time - expected) <= timedelta(seconds=1)


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "false", "no", "off"):
        return value.strip().lower() in ("true", "yes", "on")
    return value


def _list_match(expected: list[Any], got: Any, key: str, now: datetime | None) -> bool:
    if not isinstance(got, list | tuple):
        # One expected element may stand for a scalar ("tags: [x]" against "x").
        return len(expected) == 1 and match_value(expected[0], got, key, now)
    if len(expected) != len(got):
        return False
    remaining = list(got)
    for item in expected:
        hit = next((i for i, g in enumerate(remaining) if match_value(item, g, key, now)), None)
        if hit is None:
            return False
        remaining.pop(hit)
    return True


def subset_mismatches(expected: dict[str, Any], got: dict[str, Any], now: datetime | None = None) -> list[str]:
    """Keys of ``expected`` whose values ``got`` does not match (missing keys included)."""
    return [key for key, value in expected.items() if not match_value(value, got.get(key, _MISSING), key=key, now=now)]
