"""Recognisers for typed values in a request: instance types, URIs, enums, key=value pairs.

They know nothing about tools; the slot recognisers (``agent.models.slots``) decide which argument
a value belongs to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from agent.models.lexicon import SPELLINGS
from agent.models.schema import FieldSpec
from agent.models.text import Utterance, fuzzy_equal
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


def overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """True if [start, end) touches any taken span."""
    return any(start < e and end > s for s, e in spans)


@cache
def instance_families() -> dict[str, tuple[str, ...]]:
    """Instance family -> what the catalog says it is for ("trn2" -> training, hyperpod)."""
    out: dict[str, set[str]] = {}
    for row in catalog().instances:
        out.setdefault(family_of(row.name), set()).update(row.uses)
    return {family: tuple(sorted(uses)) for family, uses in out.items()}


def family_of(instance_type: str) -> str:
    """ "ml.trn2.48xlarge" -> "trn2"; "cache.r7g.large" -> "r7g"."""
    parts = instance_type.lower().split(".")
    return parts[1] if parts[0] in ("ml", "cache") and len(parts) > 2 else parts[0]


@cache
def _family_sizes() -> dict[str, list[str]]:
    sizes: dict[str, list[str]] = {}
    for row in catalog().instances:
        sizes.setdefault(family_of(row.name), []).append(row.name)
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
    """The catalog name of ``value`` for this argument's service ("trn2.48xlarge" -> "ml.trn2.48xlarge").

    The declared service (``InstanceType("cache")``) picks among catalog rows with that name; a
    type the catalog does not know is passed on as typed, for the tool to explain.
    """
    name = value.strip().lower()
    for option in spec.enum:
        if isinstance(option, str) and (option.lower() == name or option.lower().endswith("." + name)):
            return option
    rows = [r for r in catalog().instances if r.name == name or r.name.endswith("." + name)]
    if spec.of:
        fitting = [r for r in rows if spec.of in r.uses]
        rows = fitting or rows
    if rows:
        return rows[0].name
    return name


def enum_options(spec: FieldSpec) -> list[str]:
    """Allowed values of an enum argument: the schema's enum, else the values its synonyms name."""
    return [str(v) for v in spec.enum] or list(spec.synonyms)


def _key(value: str) -> str:
    return value.lower().replace("-", "").replace("_", "").replace(" ", "")


def enum_forms(option: str, synonyms: tuple[str, ...] = ()) -> list[str]:
    """How people write one enum value (its declared synonyms first), longest first."""
    forms = {
        *(s.lower() for s in synonyms),
        option.lower(),
        option.lower().replace("_", "-"),
        option.lower().replace("_", " ").replace("-", " "),
    }
    forms.update(SPELLINGS.get(_key(option), ()))
    return sorted(forms, key=len, reverse=True)


def find_enum(u: Utterance, spec: FieldSpec, taken: list[tuple[int, int]]) -> Span | None:
    """The first enum value mentioned (by value, synonym or a typo of either)."""
    hits: list[Span] = []
    for option in enum_options(spec):
        for form in enum_forms(option, spec.synonyms.get(option, ())):
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
        if key == _key(option) or any(key == _key(f) for f in enum_forms(option, spec.synonyms.get(option, ()))):
            return option
    typos = [o for o in enum_options(spec) if o.isalpha() and fuzzy_equal(value.lower(), o.lower())]
    return typos[0] if len(typos) == 1 else value


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
