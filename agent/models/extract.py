"""Fill a tool's arguments from a request, using only the tool's schema and generic extractors.

Values that are unambiguous by form (key=value pairs, URIs, instance types, sizes) are taken
first and their text is marked as used, so a later extractor cannot read "48" out of
"trn2.48xlarge" or a resource name out of a URI. Names come last (``names.fill_names``).
Optional arguments are filled only when the request mentions them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.models.coerce import coerce, match_field, to_type
from agent.models.names import fill_names
from agent.models.schema import FieldSpec, ToolSpec
from agent.models.text import Utterance
from agent.models.units import find_date_range, find_durations, find_sizes, iso, parse_date
from agent.models.values import (
    ARN_RE,
    ECR_RE,
    MIME_RE,
    Found,
    find_enum,
    find_instance_types,
    find_pairs,
    find_regex,
    find_uris,
    instance_for_field,
    overlaps,
)
from agent.models.vocabulary import COUNT_UNITS, FILE_TYPES, S3_FIELD_CUES, STOP_WORDS

NUM = r"(\d+(?:\.\d+)?)"
_MIN_BEFORE = re.compile(
    r"(?:over|above|more\s+than|larger\s+than|bigger\s+than|greater\s+than|at\s+least|exceeding|>=?|min(?:imum)?"
    r"|from|starting\s+at|no\s+smaller\s+than)\s*$"
)
_MAX_BEFORE = re.compile(
    r"(?:under|below|less\s+than|smaller\s+than|at\s+most|up\s+to|<=?|max(?:imum)?|no\s+more\s+than"
    r"|no\s+(?:larger|bigger)\s+than|within|to)\s*$"
)
_MIN_AFTER = re.compile(r"^\s*(?:\+|or\s+(?:more|larger|bigger|above|over))")
_MAX_AFTER = re.compile(r"^\s*or\s+(?:less|smaller|under|below)")
_UNIT_AFTER = r"(?!\s*(?:%|gb|gib|mb|mib|tb|tib|kb|hours?|h\b|days?|d\b|weeks?|k\b|b\b))"


def extract(
    u: Utterance,
    tool: ToolSpec,
    now: datetime,
    answer_for: list[str] | None = None,
    seed: dict[str, Any] | None = None,
) -> Found:
    """Arguments of ``tool`` that ``u`` mentions, added to ``seed`` (which they never override).
    ``answer_for`` names the arguments a question of opsbot asked for: then a bare value ("4",
    "demo") is taken as the answer."""
    found = Found(args=dict(seed or {}))
    _pairs(u, tool, now, found)
    _uris(u, tool, found)
    _instance_types(u, tool, found)
    for spec in tool.fields:
        if spec.name not in found.args and spec.kind in _BY_KIND:
            _BY_KIND[spec.kind](u, tool, spec, now, found)
    fill_names(u, tool, found, loose=bool(answer_for))
    if answer_for:
        _bare_answer(u, tool, now, found, answer_for)
    return found


def _pairs(u: Utterance, tool: ToolSpec, now: datetime, found: Found) -> None:
    for key, value, start, end in find_pairs(u.raw):
        spec = match_field(key, tool)
        found.taken.append((start, end))
        if spec is None:
            found.extra_pairs.append((key, value))
        else:
            found.put(spec, coerce(spec, value, now))


def _uris(u: Utterance, tool: ToolSpec, found: Found) -> None:
    s3_fields = [f for f in tool.of_kind("s3_uri") if f.name not in found.args]
    for uri in find_uris(u.raw):
        if overlaps(uri.start, uri.end, found.taken):
            continue
        found.taken.append((uri.start, uri.end))
        bucket, _, key = uri.value[5:].partition("/")
        if s3_fields:
            context = u.low[max(0, uri.start - 40) : uri.start] + " " + key.lower()
            best = max(s3_fields, key=lambda f: (_cue_hits(f, context), -s3_fields.index(f)))
            found.put(best, uri.value)
            s3_fields.remove(best)
        elif (bucket_field := tool.field("bucket")) is not None and "bucket" not in found.args:
            found.put(bucket_field, bucket)
            if (prefix_field := tool.field("prefix")) is not None and key:
                found.put(prefix_field, key)
    for spec in tool.of_kind("image"):
        for span in find_regex(ECR_RE, u.raw):
            if not overlaps(span.start, span.end, found.taken):
                found.put(spec, span.value, span.start, span.end)
                break
    arn_fields = [f for f in tool.of_kind("arn") if f.name not in found.args]
    for span in find_regex(ARN_RE, u.raw):
        if arn_fields and not overlaps(span.start, span.end, found.taken):
            # The ARN says what it is: "...:eks:...:cluster/x" for eks_cluster_arn, "training-plan/" for a plan.
            text = span.value.lower()
            best = max(arn_fields, key=lambda f: (sum(w in text for w in f.words if w != "arn"), -arn_fields.index(f)))
            found.put(best, span.value, span.start, span.end)
            arn_fields.remove(best)


def _cue_hits(spec: FieldSpec, context: str) -> int:
    """How many of the argument's cue words ("input", "output", "model", ...) start a word in ``context``."""
    words = [w for w in spec.words if w not in ("s3", "uri")]
    cues = [c for w in words for c in (w, *S3_FIELD_CUES.get(w, ()))]
    return sum(1 for c in cues if re.search(rf"\b{re.escape(c)}", context))


def _instance_types(u: Utterance, tool: ToolSpec, found: Found) -> None:
    fields = [f for f in tool.of_kind("instance_type") if f.name not in found.args]
    for span in find_instance_types(u.low):
        if overlaps(span.start, span.end, found.taken):
            continue
        if fields:
            spec = fields.pop(0)
            found.put(spec, instance_for_field(span.value, spec))
        found.taken.append((span.start, span.end))  # also when unused: its digits are no count


def _free(found: Found, m: re.Match[str], group: int = 1) -> bool:
    return not overlaps(m.start(group), m.end(group), found.taken)


def _first(patterns: list[str], u: Utterance, found: Found) -> re.Match[str] | None:
    """The first free match of the first pattern that has one."""
    for rx in patterns:
        for m in re.finditer(rx, u.low):
            if _free(found, m):
                return m
    return None


def _count(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    units = COUNT_UNITS.get(spec.noun, (spec.noun,))
    unit_rx = "(?:" + "|".join(re.escape(w) + "(?:e?s)?" for w in sorted(units, key=len, reverse=True)) + r")\b"
    key_rx = "(?:" + unit_rx + r"|" + r"\s*[_ ]?\s*".join(spec.words) + r")"
    patterns = [
        rf"(?<![\w.])(\d+)\s+(?:more\s+|total\s+)?(?:[\w.-]+\s+)?{unit_rx}",
        rf"{key_rx}\s*(?:count)?\s*(?:=|:|of|to|at|is)?\s*(\d+)\b{_UNIT_AFTER}",
    ]
    if spec.noun == "instance":
        spans = [(s.start, s.end) for s in find_instance_types(u.low)]
        for m in re.finditer(r"(?<![\w.])(\d+)\s*(?:x\s*)?(?=\S)", u.low):
            if any(m.end() == s for s, _ in spans) and _free(found, m):
                found.put(spec, int(m.group(1)), m.start(1), m.end(1))
                return
        patterns = [r"(?<![\w.])(\d+)\s*x(?![\w])", r"(?<![\w.])x\s*(\d+)\b", *patterns]
    if len(tool.of_kind("count")) == 1:
        patterns.append(rf"\b(?:to|at)\s+(\d+)\b{_UNIT_AFTER}")
    m = _first(patterns, u, found)
    if m:
        found.put(spec, to_type(spec, float(m.group(1))), m.start(1), m.end(1))


def _hours(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    for d in find_durations(u.low):
        if not overlaps(d.start, d.end, found.taken):
            found.put(spec, to_type(spec, float(d.value)), d.start, d.end)
            return


def _bytes(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    wants_max = "max" in spec.words
    between = re.search(r"between\s+(.+?)\s+and\s+(.+?)(?=$|[,;]|\s+(?:and|in|with|since|added|modified)\b)", u.low)
    sizes = [s for s in find_sizes(u.low) if not overlaps(s.start, s.end, found.taken)]
    if between:
        inside = [s for s in sizes if between.start() <= s.start < between.end()]
        if len(inside) == 2:
            chosen = inside[1] if wants_max else inside[0]
            found.put(spec, int(chosen.value))
            return
    for s in sizes:
        before, after = u.low[max(0, s.start - 24) : s.start], u.low[s.end : s.end + 16]
        is_max = bool(_MAX_BEFORE.search(before) or _MAX_AFTER.match(after))
        is_min = bool(_MIN_BEFORE.search(before) or _MIN_AFTER.match(after))
        if (wants_max and is_max) or (not wants_max and (is_min or not is_max)):
            found.put(spec, int(s.value), s.start, s.end)
            return


def _date(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    after, before = find_date_range(u.low, now)
    is_before = any(w in spec.words for w in ("before", "until", "end", "to"))
    value = before if is_before else after
    if value is not None:
        found.put(spec, iso(value, spec.fmt))


def _enum(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    span = find_enum(u, spec, found.taken)
    if span:
        found.put(spec, span.value, span.start, span.end)


def _pattern(*patterns: str, scale: Callable[[re.Match[str]], float] | None = None) -> Callable[..., None]:
    """An extractor from regexes whose group 1 is the number (``scale`` turns a match into the value)."""

    def run(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
        """Put the first free match, converted to the argument's type."""
        m = _first(list(patterns), u, found)
        if m:
            value = scale(m) if scale else float(m.group(1))
            found.put(spec, to_type(spec, value), m.start(), m.end())

    return run


def _kilo(m: re.Match[str]) -> float:
    suffix = (m.group(2) or "").lower()
    return float(m.group(1)) * {"k": 1024, "m": 1024 * 1024}.get(suffix, 1)


def _billions(m: re.Match[str]) -> float:
    if m.lastindex and m.lastindex >= 2 and m.group(2) and m.group(2)[0].isdigit():
        return float(m.group(1)) * float(m.group(2))  # mixture of experts: 8x7b
    unit = (m.group(2) or "b").lower()
    return float(m.group(1)) * (1000 if unit[0] == "t" else 0.001 if unit[0] == "m" else 1)


_context = _pattern(
    rf"(?<![\w.]){NUM}\s*(k|m)?\s*(?:-?\s*tokens?\s*)?(?:of\s+)?(?:context|ctx|sequence|seq\b)",
    rf"(?:context|ctx|sequence)(?:[\s_-]*(?:length|window|len|size))?\s*(?:of|=|:|is)?\s*{NUM}\s*(k|m)?\b",
    rf"(?<![\w.]){NUM}\s*(k)\s*tokens?",
    scale=_kilo,
)
_concurrency = _pattern(
    rf"(?<![\w.]){NUM}\s*(?:concurrent|simultaneous|parallel)",
    rf"concurren(?:cy|t\s+users|t\s+requests)\s*(?:of|=|:|is)?\s*{NUM}",
    rf"(?<![\w.]){NUM}\s+(?:users|requests|sessions|streams|clients)\b",
)
_params = _pattern(
    r"(?<![\w.-])(\d+)x(\d+(?:\.\d+)?)b\b",
    rf"(?<![\w.-]){NUM}\s*(b|bn|billion|t|trillion)\b",
    rf"(?<![\w.-]){NUM}\s*(m|million)\s+param",
    rf"(?:params|parameters)\s*(?:=|:|of|is)?\s*{NUM}\s*(b|billion)?\b",
    scale=_billions,
)
_limit = _pattern(
    rf"\b(?:top|first|limit|at\s+most|max(?:imum)?|only|up\s+to)\s*(?:of\s*)?(\d+)\b{_UNIT_AFTER}",
    r"(?<![\w.])(\d+)\s+(?:objects|files|results|keys|items|rows|entries)\b",
)


def _number(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    name_rx = r"[\s_-]*".join(map(re.escape, spec.words))
    _pattern(rf"{name_rx}\s*(?:=|:|of|to|is)?\s*{NUM}")(u, tool, spec, now, found)


def _prefix(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    m = _first(
        [
            r"\bprefix\s*(?:=|:|is|of)?\s*([\w./-]+)",
            r"\b(?:under|in)\s+(?:the\s+)?(?:folder|directory|dir|path)?\s*([\w.-]+/[\w./-]*)",
            r"\b(?:folder|directory|dir|path)\s+([\w./-]+)",
        ],
        u,
        found,
    )
    if m:
        found.put(spec, u.raw[m.start(1) : m.end(1)], m.start(1), m.end(1))


def _content_type(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    m = _first([MIME_RE.pattern.lower(), r"content[\s_-]*type\s*(?:=|:|is|of)?\s*([\w./+-]+)"], u, found)
    if m:
        found.put(spec, m.group(1), m.start(1), m.end(1))
        return
    kinds = "|".join(sorted(FILE_TYPES, key=len, reverse=True))
    m = _first(
        [
            rf"(?<![\w-])\*?\.?({kinds})\s+(?:files?|objects?|shards?|documents?|data)\b",
            rf"(?<![\w/-])\*?\.({kinds})\b",
        ],
        u,
        found,
    )
    if m:
        found.put(spec, FILE_TYPES[m.group(1)], m.start(1), m.end(1))


def _mapping(u: Utterance, tool: ToolSpec, spec: FieldSpec, now: datetime, found: Found) -> None:
    """Cache parameters and tags: "set maxmemory-policy to allkeys-lru", "tagged team=llm"."""
    other = {w for f in tool.fields if f is not spec for w in (*f.words, *COUNT_UNITS.get(f.noun, ()))}
    nouns = "|".join(re.escape(f.noun.split()[-1]) for f in tool.of_kind("name")) or "(?!)"
    values: dict[str, str] = {}
    if spec.kind == "tags":
        for m in re.finditer(
            r"\btag(?:ged|s)?\s+(?:with\s+)?(?:key\s+)?([\w.+-]+)\s*(?:=|:|is|as)\s*([\w.:/+-]+)", u.raw, re.I
        ):
            values[m.group(1)] = m.group(2)
    else:
        for rx in (
            r"\bset\s+([a-z][\w.-]*)\s+(?:to|=|as)\s+([^\s,;]+)",
            r"(?<![\w.-])([a-z][\w]*(?:-[\w]+)+)\s*(?:=|:|to)\s*([^\s,;]+)",
        ):
            for m in re.finditer(rx, u.low, re.I):
                key, value = m.group(1), u.raw[m.start(2) : m.end(2)].rstrip(".")
                if key.rstrip("s") in other or key in other or overlaps(m.start(2), m.end(2), found.taken):
                    continue
                # "cache kv-cache-prod to node type ...": a resource name, not a parameter.
                if (
                    value.lower() in u.known
                    or value.lower() in STOP_WORDS
                    or re.search(r"\b(?:" + nouns + r")\s*$", u.low[: m.start()])
                ):
                    continue
                if key not in values and not re.search(r"\d", key[-2:]):
                    values[key] = value
                    found.taken.append((m.start(), m.end()))
    values.update(dict(found.extra_pairs))
    if values:
        found.put(spec, coerce(spec, values, now))


def _bare_answer(u: Utterance, tool: ToolSpec, now: datetime, found: Found, answer_for: list[str]) -> None:
    """The answer to opsbot's question may be the bare value: "4", "demo", "2026-11-01"."""
    text = u.raw.strip().rstrip(".!")
    for name in answer_for:
        spec = tool.field(name)
        if spec is None or name in found.args:
            continue
        if spec.kind in ("count", "limit", "concurrency", "number", "hours", "bytes", "context", "params_billion"):
            m = re.search(r"(?<![\w.])(\d+(?:\.\d+)?(?:\s*[a-z]+)?)\b", u.low)
            if m and not overlaps(m.start(), m.end(), found.taken):
                found.put(spec, coerce(spec, m.group(1), now), m.start(), m.end())
        elif spec.kind == "date":
            value = parse_date(text, now)
            if value:
                found.put(spec, iso(value, spec.fmt))
        elif spec.kind in ("string", "prefix", "content_type") and text and " " not in text:
            found.put(spec, text)


_BY_KIND: dict[str, Callable[[Utterance, ToolSpec, FieldSpec, datetime, Found], None]] = {
    "count": _count,
    "hours": _hours,
    "bytes": _bytes,
    "date": _date,
    "enum": _enum,
    "context": _context,
    "concurrency": _concurrency,
    "params_billion": _params,
    "limit": _limit,
    "number": _number,
    "prefix": _prefix,
    "content_type": _content_type,
    "mapping": _mapping,
    "tags": _mapping,
}


def evidence(found: Found, tool: ToolSpec) -> int:
    """How many non-name arguments the request gave: a hint that it is about this tool."""
    return sum(1 for name in found.args if (f := tool.field(name)) is not None and f.kind != "name")
