"""Recognisers for typed values in a request: instance types, URIs, enums, key=value pairs.

They know nothing about tools; ``extract`` decides which argument a value belongs to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cache
from typing import Any

from agent.models.schema import FieldSpec
from agent.models.text import Utterance, fuzzy_equal
from agent.models.vocabulary import ENUM_SYNONYMS, KNOWN_VALUES, instance_families
from tools.catalog import catalog

INSTANCE_RE = re.compile(
    r"(?<![\w.-])((?:ml\.|cache\.)?[a-z][a-z0-9]*(?:-[a-z0-9]+)?\."
    r"(?:\d+xlarge|xlarge|large|medium|small|micro|nano|metal))(?![\w-])"
)
S3_RE = re.compile(r"s3://[a-z0-9][a-z0-9.-]*[a-z0-9](?:/[^\s,;\"'<>`]*)?", re.I)
ARN_RE = re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:[\w/.:+=@-]+")
ECR_RE = re.compile(
    r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/[a-z0-9._/-]+(?::[\w.-]+|@sha256:[a-f0-9]{64})?"
)
MIME_RE = re.compile(r"(?<![\w/:])((?:application|text|image|audio|video)/[\w.+-]+)", re.I)
KV_RE = re.compile(r"(?<![\w/:.-])(--)?([a-z_][\w.-]*)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s,;]+)", re.I)


@dataclass(frozen=True)
class Span:
    """A value found in the text and where."""

    value: Any
    start: int
    end: int


@dataclass
class Found:
    """Arguments found so far in a request, and the text spans already used for a value."""

    args: dict[str, Any] = field(default_factory=dict)
    taken: list[tuple[int, int]] = field(default_factory=list)
    extra_pairs: list[tuple[str, str]] = field(default_factory=list)

    def put(self, spec: FieldSpec, value: Any, start: int = -1, end: int = -1) -> None:
        """Set an argument once (the first, most explicit finding wins) and mark its text used."""
        if value is None or spec.name in self.args:
            return
        self.args[spec.name] = value
        if start >= 0:
            self.taken.append((start, end))


def overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True if [start, end) touches any taken span."""
    return any(start < e and end > s for s, e in spans)


def find_uris(raw: str) -> list[Span]:
    """s3:// URIs (trailing sentence punctuation dropped)."""
    return [
        Span(m.group().rstrip(".:!?"), m.start(), m.start() + len(m.group().rstrip(".:!?")))
        for m in S3_RE.finditer(raw)
    ]


def find_regex(rx: re.Pattern[str], raw: str) -> list[Span]:
    """Matches of ``rx`` as spans."""
    return [Span(m.group(1) if rx.groups else m.group(), m.start(), m.end()) for m in rx.finditer(raw)]


@cache
def _family_sizes() -> dict[str, list[str]]:
    sizes: dict[str, list[str]] = {}
    for row in catalog().instances:
        parts = row.name.split(".")
        family = parts[1] if parts[0] in ("ml", "cache") else parts[0]
        sizes.setdefault(family, []).append(row.name)
    return sizes


def find_instance_types(low: str) -> list[Span]:
    """Instance types ("trn2.48xlarge", "ml.p6-b200.48xlarge") and bare families with one size ("8 trn2")."""
    found = [Span(m.group(1), m.start(1), m.end(1)) for m in INSTANCE_RE.finditer(low)]
    taken = [(s.start, s.end) for s in found]
    for family in instance_families():
        names = [n for n in _family_sizes()[family] if n.startswith(("ml.", "cache."))]
        if len(names) != 1:
            continue
        for m in re.finditer(rf"(?<![\w.-])(?:ml\.)?{re.escape(family)}s?(?![\w.-])", low):
            if not overlaps(m.start(), m.end(), taken):
                found.append(Span(names[0], m.start(), m.end()))
    return sorted(found, key=lambda s: s.start)


def instance_for_field(value: str, spec: FieldSpec) -> str:
    """The instance type with the prefix this argument takes ("trn2.48xlarge" -> "ml.trn2.48xlarge")."""
    name = value.strip().lower()
    for option in spec.enum:
        if isinstance(option, str) and (option.lower() == name or option.lower().endswith("." + name)):
            return option
    if name.startswith(("ml.", "cache.")):
        return name
    hint = f"{spec.description} {spec.default or ''}"
    if spec.name == "node_type" or ("cache." in hint and "ml." not in hint):
        prefixes = ["cache."]
    elif "ml." in hint and "cache." not in hint:
        prefixes = ["ml."]
    else:
        prefixes = ["ml.", "cache."]
    for prefix in prefixes:
        if catalog().get(prefix + name):
            return prefix + name
    return prefixes[0] + name if len(prefixes) == 1 else ("ml." + name if catalog().get("ml." + name) else name)


def enum_options(spec: FieldSpec) -> list[str]:
    """Allowed values of an enum-like argument (schema enum, else the vocabulary's list)."""
    if spec.enum:
        return [str(v) for v in spec.enum]
    return list(KNOWN_VALUES.get(spec.name, ()))


def _key(value: str) -> str:
    return value.lower().replace("-", "").replace("_", "").replace(" ", "")


def enum_forms(option: str) -> list[str]:
    """How people write one enum value, longest first."""
    forms = {option.lower(), option.lower().replace("_", "-"), option.lower().replace("_", " ").replace("-", " ")}
    forms.update(ENUM_SYNONYMS.get(_key(option), ()))
    return sorted(forms, key=len, reverse=True)


def find_enum(u: Utterance, spec: FieldSpec, taken: list[tuple[int, int]]) -> Span | None:
    """The first enum value mentioned (by value, synonym or a typo of either)."""
    hits: list[Span] = []
    for option in enum_options(spec):
        for form in enum_forms(option):
            for m in re.finditer(rf"(?<![\w-]){re.escape(form)}(?![\w-])", u.low):
                if not overlaps(m.start(), m.end(), taken):
                    hits.append(Span(option, m.start(), m.end()))
            if " " not in form and form.isalpha() and len(form) >= 5:
                for t in u.tokens:
                    if t.low not in u.known and fuzzy_equal(t.low, form) and not overlaps(t.start, t.end, taken):
                        hits.append(Span(option, t.start, t.end))
    if not hits:
        return None
    # Earliest mention wins; at one place the longest form ("standard-ia" over "standard").
    return min(hits, key=lambda s: (s.start, -(s.end - s.start)))


def match_enum(value: str, spec: FieldSpec) -> str:
    """An explicit value matched to the enum (case, synonyms, typos); unchanged if nothing fits."""
    key = _key(value)
    for option in enum_options(spec):
        if key == _key(option) or any(key == _key(f) for f in enum_forms(option)):
            return option
    close = get_close_matches(value.lower(), [o.lower() for o in enum_options(spec)], n=1, cutoff=0.75)
    if close:
        return next(o for o in enum_options(spec) if o.lower() == close[0])
    return value


def find_pairs(raw: str) -> list[tuple[str, str, int, int]]:
    """``key=value`` and ``--key=value`` pairs: (key, value, start, end)."""
    out = []
    for m in KV_RE.finditer(raw):
        value = m.group(3)
        quoted = value[:1] in "\"'" and value[-1:] == value[:1]
        value = value[1:-1] if quoted else value.rstrip(".,;:!?")
        out.append((m.group(2), value, m.start(), m.end()))
    return out


def parse_mapping(value: str) -> dict[str, str] | None:
    """A JSON object or ``k=v,k2=v2`` / ``k:v`` text as a dict."""
    text = value.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            return None
        return {str(k): v for k, v in data.items()} if isinstance(data, dict) else None
    pairs = [p for p in re.split(r"[,;]\s*|\s+and\s+", text) if p]
    out: dict[str, str] = {}
    for pair in pairs:
        m = re.match(r"\s*([\w.+/-]+)\s*[=:]\s*(.+?)\s*$", pair)
        if not m:
            return None
        out[m.group(1)] = m.group(2)
    return out or None
