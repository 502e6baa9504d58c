"""Units people type, turned into what tools take: bytes, hours and UTC datetimes.

Sizes follow the SI/IEC split: KB, MB, GB, TB are powers of 1000, KiB, MiB, GiB, TiB powers of
1024; a bare "B" is not bytes ("70B" is a model size). Relative dates ("this week", "last 7 days",
"yesterday") are resolved against a clock the caller passes in, in UTC; day-sized periods start at
midnight so the same request gives the same arguments all day long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1000}
# Fixed phrases for small counts; "a few" or "several" are no number and stay words (asked back).
_PHRASES = {"a dozen": 12, "a couple of": 2, "a couple": 2, "a pair of": 2, "a single": 1}
_SIMPLE = "|".join([*_UNITS, *_TENS])
_NUMBER_WORDS_RE = re.compile(
    rf"\b(?:(?P<sign>minus|negative)\s+)?(?P<words>(?:a\s+)?(?:{_SIMPLE}|hundred|thousand)"
    rf"(?:(?:\s+and\s+|[\s-]+)(?:{_SIMPLE}|hundred|thousand))*)\b",
    re.I,
)
_PHRASE_RE = re.compile(r"\b(" + "|".join(sorted(_PHRASES, key=len, reverse=True)) + r")\b", re.I)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_SIGN_RE = re.compile(r"\b(?:minus|negative)\s+(\d)", re.I)
# "the one called X", "the cheapest one", "one of them": "one" is a pronoun there, not a number.
_PRONOUN_ONE = re.compile(
    r"\b(?:the|this|that|which|each|any|every|no|cheapest|first|second|last|same|other|new|old|latest|newest"
    r"|oldest|another|right|wrong|biggest|smallest|only|current|previous|next)\s+$",
    re.I,
)


_THE_X = re.compile(r"\bthe\s+[\w.-]+\s+$", re.I)  # "the inf2 one", "the p6 one"
_COUNTED_AFTER = re.compile(r"^\s*[a-z]", re.I)
_ONE_AS_PRONOUN_AFTER = re.compile(
    r"^\s+(?:of|that|which|who|is|was|with|in|on|for|and|or|please|pls|instead|too|as|from|here|there|i|we)\b",
    re.I,
)
_NUMBER_BEFORE_END = re.compile(r"(?:^|\b(?:to|at|of|with|just|only|it|be|is|exactly|by))\s*$", re.I)


def _pronoun_one(text: str, start: int, end: int) -> bool:
    """ "the one called x", "the cheapest one", "one of them", "the p6 one": a pronoun, not the number 1."""
    before, after = text[:start], text[end:]
    if _PRONOUN_ONE.search(before) or _ONE_AS_PRONOUN_AFTER.match(after) or _THE_X.search(before):
        return True
    if _COUNTED_AFTER.match(after):
        return False  # "one instance", "one node"
    # At the end of a phrase: a number after "to", "at", ... ("scale it to one"), else a pronoun.
    return not _NUMBER_BEFORE_END.search(before)


def _words_value(words: str) -> int | None:
    """ "twenty-four" -> 24, "a hundred and twenty" -> 120, "two thousand" -> 2000."""
    parts = [w for w in re.split(r"[\s-]+|\s+and\s+", words.lower()) if w and w != "and"]
    if parts and parts[0] == "a":
        parts = ["one", *parts[1:]] if len(parts) > 1 and parts[1] in _SCALES else parts[1:]
    total, current = 0, 0
    for w in parts:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0
        else:
            return None
    return total + current if parts else None


def normalise_numbers(text: str) -> str:
    """Digits for number words ("twenty-four nodes" -> "24 nodes", "minus two" -> "-2") and no
    thousands separators. "one" as a pronoun ("the one called x", "the cheapest one") stays."""
    text = _THOUSANDS.sub("", text)
    text = _PHRASE_RE.sub(lambda m: str(_PHRASES[" ".join(m.group(1).lower().split())]), text)

    def repl(m: re.Match[str]) -> str:
        """The digits for one run of number words (unchanged when it is the pronoun "one")."""
        words = m.group("words")
        if words.lower() == "one" and _pronoun_one(text, m.start(), m.end()):
            return m.group(0)
        if words.lower() in ("a", "hundred", "thousand"):
            return m.group(0)
        value = _words_value(words)
        if value is None:
            return m.group(0)
        return f"-{value}" if m.group("sign") else str(value)

    text = _NUMBER_WORDS_RE.sub(repl, text)
    return _SIGN_RE.sub(r"-\1", text)


NUMBER = r"\d+(?:\.\d+)?"

_SIZE_UNITS: dict[str, int] = {
    "bytes": 1,
    "byte": 1,
    "kb": 10**3,
    "kilobytes": 10**3,
    "kilobyte": 10**3,
    "kib": 2**10,
    "mb": 10**6,
    "megabytes": 10**6,
    "megabyte": 10**6,
    "megs": 10**6,
    "meg": 10**6,
    "mib": 2**20,
    "gb": 10**9,
    "gigabytes": 10**9,
    "gigabyte": 10**9,
    "gigs": 10**9,
    "gig": 10**9,
    "gib": 2**30,
    "tb": 10**12,
    "terabytes": 10**12,
    "terabyte": 10**12,
    "tib": 2**40,
    "pb": 10**15,
    "pib": 2**50,
}
SIZE_RE = re.compile(
    rf"(?<![\w.])({NUMBER})\s*(" + "|".join(sorted(_SIZE_UNITS, key=len, reverse=True)) + r")(?![a-z0-9])", re.I
)


@dataclass(frozen=True)
class Found:
    """A value found in text, with the span it came from."""

    value: float | int | datetime
    start: int
    end: int


def find_sizes(text: str) -> list[Found]:
    """Every size with a unit, in bytes."""
    return [
        Found(round(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]), m.start(), m.end())
        for m in SIZE_RE.finditer(text)
    ]


def parse_size(text: str) -> int | None:
    """``"1.5GB"`` -> 1500000000; a bare number is bytes; None if it is not a size."""
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = SIZE_RE.fullmatch(text)
    return round(float(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]) if m else None


_HOURS_PER = {"minute": 1 / 60, "min": 1 / 60, "m": 1 / 60, "hour": 1, "hr": 1, "h": 1, "day": 24, "d": 24, "week": 168}
_HOURS_PER |= {"wk": 168, "w": 168, "month": 720, "fortnight": 336}
# "48 hours", "48h", "2-day"; "a week" and "an hour" only with the whole unit word ("and" is no duration).
DURATION_RE = re.compile(
    rf"(?<![\w.])(?:({NUMBER})\s*-?\s*(minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|fortnights?)"
    r"|\b(an?)\s+(minute|hour|day|week|month|fortnight)s?)(?![a-z0-9])",
    re.I,
)


def _duration(m: re.Match[str]) -> float:
    if m.group(3):
        return _unit_hours(m.group(4))
    return float(m.group(1)) * _unit_hours(m.group(2))


def _unit_hours(unit: str) -> float:
    unit = unit.lower()
    return _HOURS_PER.get(unit, _HOURS_PER.get(unit.rstrip("s"), 0.0))


def find_durations(text: str) -> list[Found]:
    """Every duration ("48 hours", "2 days", "48h", "a week"), in hours."""
    return [Found(_duration(m), m.start(), m.end()) for m in DURATION_RE.finditer(text)]


def parse_duration(text: str) -> float | None:
    """``"48h"`` or ``"2 days"`` -> hours; a bare number is hours already."""
    text = text.strip()
    if re.fullmatch(NUMBER, text):
        return float(text)
    m = DURATION_RE.fullmatch(text)
    return _duration(m) if m else None


def as_int_if_whole(value: float) -> int | float:
    """48.0 -> 48, 1.5 stays 1.5."""
    return int(value) if float(value).is_integer() else value


# ---- dates -------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = r"(\d{4}-\d{2}-\d{2})(?:[t ](\d{2}:\d{2}(?::\d{2})?)(z|[+-]\d{2}:?\d{2})?)?"
_REL_UNIT = r"(hours?|days?|weeks?|months?)"
_ATOMS: list[tuple[str, str]] = [
    ("iso", _ISO),
    ("month_day", _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?"),
    ("day_month", r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(\d{4}))?"),
    ("month", _MONTH + r"(?:\s+(\d{4}))?"),
    ("last_n", r"(?:the\s+)?(?:last|past|previous)\s+(\d+)\s+" + _REL_UNIT),
    ("last_one", r"the\s+(?:last|past|previous)\s+(hour|day|week|month)"),  # rolling: "in the last week"
    ("ago", r"(\d+|an?)\s+" + _REL_UNIT + r"\s+ago"),
    ("period", r"(today|yesterday|(?:this|last|past|previous)\s+(?:week|month|year))"),
    ("age", r"(\d+|an?)\s+" + _REL_UNIT),  # only after "older/newer than"
]
_ATOM_RE = "|".join(f"(?P<{name}>{rx})" for name, rx in _ATOMS)
_AFTER_CUES = r"since|after|from|newer\s+than|later\s+than|starting"
_BEFORE_CUES = r"before|prior\s+to|earlier\s+than|older\s+than|until|till|through|up\s+to"
_CUE_RE = re.compile(rf"\b(?:(?P<after>{_AFTER_CUES})|(?P<before>{_BEFORE_CUES}))\s+(?:the\s+)?(?:{_ATOM_RE})\b", re.I)
_BETWEEN_RE = re.compile(r"\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?)(?=$|[,;.]|\s+(?:and|with|in|under|over)\b)", re.I)
_BARE_RE = re.compile(rf"\b(?:{_ATOM_RE})\b", re.I)


@dataclass(frozen=True)
class Period:
    """A resolved date expression: [start, end); end None for an open-ended period."""

    start: datetime
    end: datetime | None


def _midnight(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_start(year: int, month: int) -> datetime:
    return datetime(year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)


def _delta(amount: float, unit: str) -> timedelta:
    unit = unit.lower().rstrip("s")
    return timedelta(hours=amount * {"hour": 1, "day": 24, "week": 168, "month": 720}[unit])


def _past_year(year: str | None, month: int, day: int, now: datetime) -> datetime:
    """A month/day without a year is the most recent one (people query data already written)."""
    if year:
        return datetime(int(year), month, day, tzinfo=UTC)
    guess = datetime(now.year, month, day, tzinfo=UTC)
    return guess if guess <= now else datetime(now.year - 1, month, day, tzinfo=UTC)


def _resolve(m: re.Match[str], now: datetime) -> Period | None:
    g = m.groupdict()
    today = _midnight(now)
    if g.get("iso"):
        sub = re.match(_ISO, g["iso"], re.I)
        assert sub is not None
        day = datetime.fromisoformat(sub.group(1)).replace(tzinfo=UTC)
        if sub.group(2):
            clock = datetime.fromisoformat(f"{sub.group(1)}T{sub.group(2)}{(sub.group(3) or 'Z').upper()}")
            return Period(clock.astimezone(UTC), None)
        return Period(day, day + timedelta(days=1))
    if g.get("month_day"):
        sub = re.match(_MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?", g["month_day"], re.I)
        assert sub is not None
        start = _past_year(sub.group(3), _MONTHS[sub.group(1).lower()], int(sub.group(2)), now)
        return Period(start, start + timedelta(days=1))
    if g.get("day_month"):
        sub = re.match(r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(\d{4}))?", g["day_month"], re.I)
        assert sub is not None
        start = _past_year(sub.group(3), _MONTHS[sub.group(2).lower()], int(sub.group(1)), now)
        return Period(start, start + timedelta(days=1))
    if g.get("month"):
        sub = re.match(_MONTH + r"(?:\s+(\d{4}))?", g["month"], re.I)
        assert sub is not None
        start = _past_year(sub.group(2), _MONTHS[sub.group(1).lower()], 1, now)
        return Period(start, _month_start(start.year, start.month + 1))
    if g.get("last_one"):
        unit = g["last_one"].split()[-1]
        start = now - _delta(1, unit)
        return Period(start if unit == "hour" else _midnight(start), None)
    if g.get("last_n"):
        sub = re.search(r"(\d+)\s+" + _REL_UNIT, g["last_n"], re.I)
        assert sub is not None
        start = now - _delta(float(sub.group(1)), sub.group(2))
        return Period(start if sub.group(2).lower().startswith("hour") else _midnight(start), None)
    if g.get("ago") or g.get("age"):
        sub = re.match(r"(\d+|an?)\s+" + _REL_UNIT, g.get("ago") or g["age"], re.I)
        assert sub is not None
        amount = 1.0 if sub.group(1).lower() in ("a", "an") else float(sub.group(1))
        start = now - _delta(amount, sub.group(2))
        if sub.group(2).lower().startswith("hour"):
            return Period(start, None)
        return Period(_midnight(start), _midnight(start) + timedelta(days=1))
    word = " ".join(g["period"].lower().split()).replace("past ", "last ").replace("previous ", "last ")
    monday = today - timedelta(days=today.weekday())
    periods = {
        "today": Period(today, None),
        "yesterday": Period(today - timedelta(days=1), today),
        "this week": Period(monday, None),
        "last week": Period(monday - timedelta(days=7), monday),
        "this month": Period(_month_start(now.year, now.month), None),
        "last month": Period(_month_start(now.year, now.month - 1), _month_start(now.year, now.month)),
        "this year": Period(datetime(now.year, 1, 1, tzinfo=UTC), None),
        "last year": Period(datetime(now.year - 1, 1, 1, tzinfo=UTC), datetime(now.year, 1, 1, tzinfo=UTC)),
    }
    return periods.get(word)


def find_date_range(text: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(modified_after, modified_before) asked for in ``text``; either may be None."""
    after: datetime | None = None
    before: datetime | None = None
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        """True if the match overlaps no date expression used already."""
        return all(m.end() <= s or m.start() >= e for s, e in taken)

    for m in _BETWEEN_RE.finditer(text):
        a, b = _BARE_RE.fullmatch(m.group("a").strip()), _BARE_RE.fullmatch(m.group("b").strip())
        pa, pb = (_resolve(a, now) if a else None), (_resolve(b, now) if b else None)
        if pa and pb:
            after, before = pa.start, pb.end or pb.start
            taken.append(m.span())
    for m in _CUE_RE.finditer(text):
        if not free(m) or (m.group("age") and not re.match(r"(older|newer)", m.group(0), re.I)):
            continue
        period = _resolve(m, now)
        if period is None:
            continue
        cue = (m.group("after") or m.group("before")).lower()
        if m.group("after"):
            after = period.start
        elif cue.startswith(("until", "till", "through", "up")):
            before = period.end or period.start  # "until October 31" includes that day
        else:
            before = period.start
        taken.append(m.span())
    for m in _BARE_RE.finditer(text):
        if not free(m) or m.group("age"):
            continue
        if m.group("month") and not re.search(r"\b(?:in|during)\s+$", text[: m.start()], re.I):
            continue  # a lone "may" or "march" is a word; "in october" is a month
        period = _resolve(m, now)
        if period is None:
            continue
        after = after or period.start
        if period.end is not None and period.end <= _midnight(now) + timedelta(days=1) and before is None:
            before = period.end if period.end <= now else None
        taken.append(m.span())
    return after, before


def iso(value: datetime, fmt: str | None) -> str:
    """ISO 8601 as the schema asks: a date for ``format: date`` (or for a midnight when the schema
    takes a date or a date-time), else a UTC timestamp with Z."""
    midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
    if fmt == "date" or (fmt and "date" in fmt.split("|") and midnight):
        return value.date().isoformat()
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_period(text: str, now: datetime) -> Period | None:
    """One date expression on its own as a period: "yesterday" is [yesterday, today)."""
    m = _BARE_RE.fullmatch(text.strip())
    return _resolve(m, now) if m else None


def parse_date(text: str, now: datetime) -> datetime | None:
    """One date expression on its own ("2026-11-01", "yesterday", "this week") -> its start."""
    m = _BARE_RE.fullmatch(text.strip())
    period = _resolve(m, now) if m else None
    return period.start if period else None
