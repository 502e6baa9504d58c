"""Typed slot recognisers: does this stretch of a message hold a value of the argument's kind?

One recogniser per declared ``Kind`` (``tools.kinds``). Each looks at a span of tokens and either
explains all of it (a ``Fill``) or refuses (None), so the phrasing matcher can try spans and keep
the one that fits. A fill may hold no value yet: "the endpoint" names the kind without saying
which (``missing``), "a few nodes" is no number (``vague``), a name the account does not have is
``unknown`` (with the closest ones), a number the schema cannot hold is ``invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from agent.models.coerce import mapping_out
from agent.models.lexicon import (
    COUNT_UNITS,
    DECREASE,
    DETERMINERS,
    FACTORS,
    FEWER,
    FILE_TYPES,
    INCREASE,
    MORE,
    NAMING,
    PRONOUNS,
    STOP_WORDS,
    VAGUE,
)
from agent.models.references import pick_item
from agent.models.scene import Scene
from agent.models.schema import FieldSpec
from agent.models.text import Token, Utterance, fuzzy_equal, stem
from agent.models.units import DURATION_RE, SIZE_RE, iso, parse_duration, parse_period, parse_size
from agent.models.values import (
    ARN_RE,
    ECR_RE,
    MIME_RE,
    S3_RE,
    enum_options,
    find_instance_types,
    instance_for_field,
    match_enum,
    parse_mapping,
)
from tools.catalog import catalog
from tools.catalog.models import find_model

INT64 = 2**63 - 1
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_ID_RE = re.compile(r"(?=.*\d)(?=.*[a-z])[a-z0-9]+(?:[-_][a-z0-9]+)+", re.I)  # "tpo-3f9a...", not "3pm"


@dataclass(frozen=True)
class Fill:
    """What a span holds for one argument."""

    value: Any
    quality: int = 0  # 3: a name the account has (or the resource in focus); 1: near one; 0: other
    status: str = "ok"  # ok | unknown | missing | vague | invalid
    note: str = ""
    closest: tuple[str, ...] = field(default=())


Recogniser = Callable[[FieldSpec, Utterance, int, int, Scene], "Fill | None"]


def _roots(*words: str) -> frozenset[str]:
    return frozenset(stem(w) for w in words)


def recognise(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """The value of ``spec`` held by tokens ``i..j`` of ``u``, or None when the span is not one."""
    if i >= j:
        return None
    return _BY_KIND.get(spec.kind, _text)(spec, u, i, j, scene)


def span_text(u: Utterance, i: int, j: int) -> str:
    """The original text of tokens ``i..j``."""
    return u.raw[u.tokens[i].start : u.tokens[j - 1].end]


# ------------------------------------------------------------------------------------ names
def _peel(toks: list[Token], nouns: tuple[str, ...], u: Utterance) -> tuple[list[Token], bool, bool]:
    """Tokens left after determiners, naming words and one noun phrase on each side.
    Returns (rest, had_noun, definite)."""
    rest = list(toks)
    definite = False
    while rest and (rest[0].low in DETERMINERS or rest[0].low in NAMING or rest[0].low in ("one", "is", ":")):
        definite = definite or rest[0].low in ("the", "this", "that", "our", "my", "your", "their")
        rest = rest[1:]
    had_noun = False
    for side in (0, -1):
        for noun in sorted(nouns, key=lambda n: -len(n.split())):
            words = noun.split()
            if len(rest) < len(words):
                continue
            part = rest[: len(words)] if side == 0 else rest[len(rest) - len(words) :]
            if all(u.word_matches(t, w) for t, w in zip(part, words, strict=True)):
                rest = rest[len(words) :] if side == 0 else rest[: len(rest) - len(words)]
                had_noun = True
                break
        while side == 0 and rest and (rest[0].low in NAMING or rest[0].low in ("is", ":", "one")):
            rest = rest[1:]
    return rest, had_noun, definite


def looks_like_name(t: Token, scene: Scene) -> bool:
    """Could be a resource's name: not a word of the grammar or of chat, or a typo of one."""
    if not NAME_RE.match(t.raw) or t.low.isdigit() or _NUMBER.match(t.low):
        return False
    if t.low in STOP_WORDS or t.low in scene.known or t.stem in scene.known:
        return False
    if SIZE_RE.fullmatch(t.low) or DURATION_RE.fullmatch(t.low):
        return False  # "10kb", "48h": values, not names
    if re.search(r"[\d_.-]", t.low):
        return not find_instance_types(t.low) or len(t.low) > 30
    # A misspelt word of the grammar ("delet", "clustr") is no name either.
    return not (len(t.low) >= 5 and any(fuzzy_equal(t.low, w) for w in scene.known if len(w) >= 5))


def other_number(word: str, names: list[str]) -> str | None:
    """The one name that is ``word`` in the singular or the plural ("checkpoint" for "checkpoints"), for
    words long enough to say so."""
    low = word.lower()
    if len(low) < 6 or not low.isalpha():
        return None
    found = [n for n in names if n.lower() in (low + "s", low[:-1] if low.endswith("s") else "")]
    return found[0] if len(found) == 1 else None


def closest_names(name: str, names: list[str], n: int = 3) -> tuple[str, ...]:
    """The names most like ``name``, best first (at most ``n``)."""
    low = name.lower()
    ranked = sorted(names, key=lambda x: -SequenceMatcher(None, low, x.lower()).ratio())
    return tuple(ranked[:n])


def partial(word: str, names: list[str]) -> list[str]:
    """Names that contain ``word`` as a part ("llama" in "llama8b-inf2"), when it is long enough to say."""
    low = word.lower()
    if len(low) < 3 or not low.isalnum():
        return []
    return [n for n in names if low in n.lower() and low != n.lower()]


_NOT_NAMES = {"a", "an", "the", "it", "is", "as", "to", "with", "on", "in", "for", "and", "by", "of", "that", "this"}
_PLACE_WORDS = {"in", "on", "for", "from", "to", "under", "of", "into", "inside", "at"}
_HOLDER_WORDS = {"by", "in", "objects", "files", "keys", "shards"}  # after a name of a place that holds things
_DESCRIBERS = {"one", "ones", "that", "which", "is", "that's", "thats", "still", "who", "the"}


def _described(spec: FieldSpec, rest: list[Token], scene: Scene, by_noun: bool = False) -> Fill | None:
    """ "the other one" (of two), "the p6 one", "the llama one": a resource told apart by what it is.

    With ``by_noun`` ("the p6 endpoint": the noun was peeled off) only what the resource is counts,
    never its name, so "the pretrain job" still asks which one."""
    words = [t.low for t in rest]
    names = scene.names.get(spec.of or "", [])
    if by_noun and len(words) == 1 and words[0] not in scene.known:
        words = [*words, "one"]
    elif by_noun:
        return None
    if not names or not words or (words[-1] not in ("one", "ones") and "other" not in words):
        return None
    if words[0] == "other" and set(words[1:]) <= _DESCRIBERS:
        focus = scene.focus
        others = [n for n in names if not focus or n != focus.get("name")]
        return Fill(others[0], quality=3, note="other") if len(others) == 1 and focus else None
    hints = [w for w in words if w not in _DESCRIBERS and w not in PRONOUNS]
    if len(hints) != 1:
        return None
    hint = hints[0]
    items = dict(scene.listed.get(spec.of or "", {}))
    results = scene.results
    if results and results.get("kind") == spec.of:
        items |= dict(zip(results.get("ids", []), results.get("items", []), strict=False))
    if by_noun and any(re.search(rf"(?<![a-z0-9]){re.escape(hint)}", n.lower()) for n in names):
        return None  # part of a name: the name reading below decides
    found = [
        n
        for n in names
        if re.search(rf"(?<![a-z0-9]){re.escape(hint)}", n.lower())
        or any(
            isinstance(v, str) and re.search(rf"(?<![a-z0-9]){re.escape(hint)}", v.lower())
            for v in items.get(n, {}).values()
        )
    ]
    return Fill(found[0], quality=3, note="described") if len(found) == 1 else None


def _focus_fill(spec: FieldSpec, scene: Scene) -> Fill | None:
    focus = scene.focus
    if focus and focus.get("kind") == spec.of:
        return Fill(focus["name"], quality=3, note="focus")
    return None


def _name(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    toks = u.tokens[i:j]
    nouns = scene.nouns.get(spec.of or "", ())
    rest, had_noun, definite = _peel(toks, nouns, u)
    if spec.new:
        # A resource to create is named, never pointed at ("make it quick" names nothing).
        if not rest:
            return Fill(None, status="missing") if had_noun else None
        if rest[0].low in PRONOUNS:
            return None
    if not rest:
        if not had_noun and not any(t.low in PRONOUNS for t in toks):
            return None
        if had_noun and not definite:
            return Fill(None, status="missing")  # "delete an endpoint": which one?
        return _focus_fill(spec, scene) or Fill(None, status="missing")
    if len(rest) == 1 and rest[0].low in PRONOUNS:
        return _focus_fill(spec, scene) or Fill(None, status="missing")
    described = _described(spec, rest, scene)
    if described is not None:
        return described
    if had_noun and definite and not spec.new and (by_kind := _described(spec, rest, scene, by_noun=True)):
        return by_kind  # "the p6 endpoint": the one endpoint on p6
    if had_noun and definite and len(rest) == 1 and rest[0].low in scene.known and not spec.new:
        return Fill(None, status="missing")  # "the pretrain job": which one is not said
    if len(rest) != 1:
        return None
    t = rest[0]
    raw = t.raw
    note = ""
    named = any(x.low in NAMING for x in toks[: toks.index(t)])
    if not named and had_noun and (t.low in scene.descriptive or t.stem in scene.descriptive) and not spec.new:
        return Fill(None, status="missing")  # "the pretrain job", "the kv cache": which one is not said
    if spec.of == "bucket" and raw.lower().startswith("s3://") and S3_RE.fullmatch(raw):
        raw, _, key = raw[5:].partition("/")
        note = f"prefix:{key}" if key else ""
    elif named and NAME_RE.match(raw) and not raw.isdigit() and t.low not in _NOT_NAMES:
        pass  # after "named" or "called" almost any word is the name: "called huge", "named big"
    elif not spec.new and (number := other_number(raw, scene.names.get(spec.of or "", []))) is not None:
        return Fill(number, quality=3)  # "the latest checkpoint" in a bucket called "checkpoints"
    elif not looks_like_name(t, scene):
        # A word of the grammar may still be a name when something says it is one: "the checkpoints
        # bucket". A misspelt word of the grammar ("trainig") only after "called".
        plain = NAME_RE.match(raw) and not raw.isdigit() and t.low not in STOP_WORDS
        typo = t.low not in scene.known and t.stem not in scene.known
        if not (plain and (named or (had_noun and not typo))):
            return None
    names = scene.names.get(spec.of or "", [])
    exact = next((n for n in names if n.lower() == raw.lower()), None)
    if exact is not None:
        return Fill(exact, quality=3, note=note)
    shaped = bool(re.search(r"[\d_.-]", raw)) or bool(note)
    said = named or had_noun  # something in the message says this word is a name
    if spec.new:
        # A word of the grammar ("list", "scale") names nothing new unless "called" or "named" says so.
        if (t.low in scene.known or t.low in STOP_WORDS) and not named:
            return None
        return Fill(raw, quality=1) if shaped or said else None
    if scene.kinds_of_name(raw):
        return None  # the account has it, as something else: "llama-pretrain" is no endpoint
    if not scene.knows(spec.of):
        # Nobody listed this kind: a name-shaped token ("kv-cache-prod"), or a word something calls a
        # name, or a new word right after a word of the phrasing ("in checkpoints").
        before = u.tokens[i - 1].low if i > 0 else ""
        after_name = bool(scene.kinds_of_name(before)) if before else False  # "llama-pretrain workers"
        after = u.tokens[j].low if j < len(u.tokens) else ""  # "checkpoints by class", "checkpoints objects"
        cued = (before in _PLACE_WORDS or after in _HOLDER_WORDS or after_name) and t.low not in scene.known
        said = said or cued
        if not (shaped or said):
            return None
        return Fill(raw, quality=int(shaped) + int(said), note=note)
    if t.low in scene.known and not named:
        return None  # a word of the grammar ("a moe expert cache") is no name the account lacks
    indefinite = toks[0].low in ("a", "an") or (i > 0 and u.tokens[i - 1].low in ("a", "an"))
    if not named and indefinite and find_model(raw) is not None:
        return None  # "get a llama-3.1-70b endpoint": a catalog model, not a name the account lacks
    part = partial(raw, names)
    if len(part) == 1:
        return Fill(part[0], quality=2, note="partial")  # "the llama one": the only endpoint with llama
    if len(part) > 1:
        return Fill(None, quality=1, status="ambiguous", closest=tuple(part), note=raw)
    closest = closest_names(raw, names)
    near = [c for c in closest if SequenceMatcher(None, raw.lower(), c.lower()).ratio() >= 0.75]
    if not (shaped or said or near):
        return None  # "delete my gmail account": a plain word, like no name here
    # A name close to one the account has is probably that kind, misspelt ("chatprod").
    return Fill(raw, quality=1 if near else 0, status="unknown", closest=tuple(near) or closest)


def _id(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """An id another tool listed: by value, or by pointing at the last listing ("the cheapest one")."""
    toks = u.tokens[i:j]
    results = scene.results
    if results and (spec.listed_by is None or results.get("tool") == spec.listed_by):
        picked = pick_item(toks, results, scene.nouns.get(spec.of or "", ()), u)
        if picked is not None:
            return Fill(picked, quality=3, note="result")
    nouns = scene.nouns.get(spec.of or "", ())
    rest, had_noun, _ = _peel(toks, nouns, u)
    if len(rest) == 1 and _ID_RE.fullmatch(rest[0].raw):
        return Fill(rest[0].raw, quality=1)
    if not rest and had_noun:
        return Fill(None, status="missing")
    return None


# ----------------------------------------------------------------------------------- numbers
def _bounded(spec: FieldSpec, value: float, text: str) -> Fill:
    """A number checked against what the schema can hold."""
    whole = float(value).is_integer()
    if spec.json_type == "integer" and not whole:
        return Fill(None, status="invalid", note=f"{spec.name} must be a whole number; got {text}")
    number: int | float = int(value) if whole else value
    if abs(number) > INT64:
        return Fill(None, status="invalid", note=f"{spec.name} {text} is far beyond what it can be")
    if spec.minimum is not None and number < spec.minimum:
        return Fill(None, status="invalid", note=f"{spec.name} must be at least {_n(spec.minimum)}; got {text}")
    if spec.maximum is not None and number > spec.maximum:
        return Fill(None, status="invalid", note=f"{spec.name} must be at most {_n(spec.maximum)}; got {text}")
    return Fill(number)


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def unit_words(unit: str | None) -> tuple[str, ...]:
    """How people name what a count counts ("instance" -> instance, node, machine, ...)."""
    if not unit:
        return tuple(dict.fromkeys(w for words in COUNT_UNITS.values() for w in words))
    return COUNT_UNITS.get(unit, (unit,))


def _ends_with_unit(toks: list[Token], units: tuple[str, ...], u: Utterance) -> int:
    """How many trailing tokens name the unit (0 if none)."""
    for unit in sorted(units, key=lambda w: -len(w.split())):
        words = unit.split()
        if len(toks) >= len(words) and all(
            u.word_matches(t, w) for t, w in zip(toks[len(toks) - len(words) :], words, strict=True)
        ):
            return len(words)
    return 0


def _count(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    toks = u.tokens[i:j]
    text = " ".join(t.low for t in toks)
    for vague in VAGUE:
        if text == vague or text.startswith(vague + " "):
            rest = toks[len(vague.split()) :]
            if not rest or _ends_with_unit(rest, unit_words(spec.unit), u) == len(rest):
                return Fill(None, status="vague", note=span_text(u, i, j))
    n = _ends_with_unit(toks, unit_words(spec.unit), u)
    body = toks[: len(toks) - n]
    # "4 more nodes" is a change, not a count (a DELTA argument reads it).
    while len(body) > 1 and body[-1].low in ("total", "concurrent", "simultaneous", "parallel"):
        body = body[:-1]
    if len(body) == 2 and body[0].low in ("x", "×") and _NUMBER.match(body[1].low):
        body = body[1:]
    if len(body) != 1:
        if not body and n and toks[0].low in ("a", "an"):
            return Fill(1)
        return None
    m = re.fullmatch(r"(?:x|×)?(-?\d+(?:\.\d+)?)(?:x|×)?", body[0].low)
    if not m:
        return None
    return _bounded(spec, float(m.group(1)), m.group(1))


def _number(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    if j - i != 1 or not _NUMBER.match(u.tokens[i].low):
        return None
    return _bounded(spec, float(u.tokens[i].low), u.tokens[i].low)


def _limit(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    toks = u.tokens[i:j]
    if len(toks) == 2 and toks[1].stem in _roots("object", "file", "result", "key", "item", "row", "entry"):
        toks = toks[:1]
    if len(toks) != 1 or not _NUMBER.match(toks[0].low):
        return None
    return _bounded(spec, float(toks[0].low), toks[0].low)


_KILO = re.compile(r"^(\d+(?:\.\d+)?)\s*(k|m)?$")


def _tokens(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """ "4k" is 4,096 tokens, "8192" is 8,192, "32k tokens", "128k context"."""
    toks = u.tokens[i:j]
    unit = False
    while len(toks) > 1 and toks[-1].stem in _roots("token", "context", "ctx", "window", "length"):
        toks, unit = toks[:-1], True
    text = "".join(t.low for t in toks)
    m = _KILO.match(text)
    if not m:
        return None
    cued = i > 0 and u.tokens[i - 1].low in ("context", "ctx", "length", "window", "of", "=", ":", "sequence")
    if not (m.group(2) or unit or cued):
        return None  # a bare number is no context length unless something says so
    scale = {"k": 1024, "m": 1024 * 1024}.get(m.group(2) or "", 1)
    return _bounded(spec, float(m.group(1)) * scale, span_text(u, i, j))


_PARAMS = re.compile(r"^(?:(\d+)x)?(\d+(?:\.\d+)?) ?(b|bn|billion|t|trillion|m|million)?$")


def _params(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """Model size in billions: "70B", "8x7b" (56), "1.5T", "70 billion params"."""
    toks = u.tokens[i:j]
    while len(toks) > 1 and toks[-1].stem in _roots("param", "parameter", "model", "weight"):
        toks = toks[:-1]
    m = _PARAMS.match(" ".join(t.low for t in toks))
    if not m or (m.group(3) is None and len(toks) == 1 and not m.group(1)):
        return None
    value = float(m.group(2)) * (float(m.group(1)) if m.group(1) else 1)
    unit = (m.group(3) or "b")[0]
    value *= {"t": 1000, "m": 0.001}.get(unit, 1)
    return _bounded(spec, round(value, 3), span_text(u, i, j))


def _bytes(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    text = span_text(u, i, j)
    if not (SIZE_RE.fullmatch(text) or re.fullmatch(r"\d+", text)):
        return None
    size = parse_size(text)
    return None if size is None else _bounded(spec, size, text)


def _hours(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """A duration with its unit ("48 hours", "2 days", "a week", "half a day"); a bare number is no
    duration here ("for 8" is more likely a count), only as the answer to "for how many hours?"."""
    text = span_text(u, i, j)
    if re.fullmatch(r"half\s+an?\s+(hour|day|week)", text, re.I):
        hours = {"hour": 0.5, "day": 12.0, "week": 84.0}[text.split()[-1].lower()]
    elif re.fullmatch(r"hour|day|week", text, re.I) and i > 0 and u.tokens[i - 1].low in ("last", "past", "next"):
        hours = {"hour": 1.0, "day": 24.0, "week": 168.0}[text.lower()]  # "over the last day"
    elif DURATION_RE.fullmatch(text):
        hours = parse_duration(text)
    else:
        return None
    if hours is None:
        return None
    return _bounded(spec, hours * 60 if spec.kind == "minutes" else hours, text)


def _date(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """A day or a period; a period that has ended ("yesterday", "last week") also says its end."""
    text = span_text(u, i, j)
    if i > 0 and u.tokens[i - 1].low == "the":
        text = "the " + text  # "in the last week" is the last seven days, not last calendar week
    period = parse_period(text, scene.now)
    if period is None:
        return None
    ended = period.end is not None and period.end <= scene.now
    # "since 2026-11-01" opens a period; "yesterday", "on 2026-11-01" is one that has ended.
    opened = i > 0 and u.tokens[i - 1].low in ("since", "after", "from", "starting", "than")
    return Fill(iso(period.start, spec.fmt), note=f"until:{iso(period.end, spec.fmt)}" if ended and not opened else "")


# -------------------------------------------------------------------------------- by form
def _single(u: Utterance, i: int, j: int) -> Token | None:
    return u.tokens[i] if j - i == 1 else None


def _s3(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    return Fill(t.raw) if t is not None and S3_RE.fullmatch(t.raw) else None


def _image(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    return Fill(t.raw) if t is not None and ECR_RE.fullmatch(t.raw) else None


def _arn(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    return Fill(t.raw) if t is not None and ARN_RE.fullmatch(t.raw) else None


def _instance_type(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    if t is None:
        return None
    found = find_instance_types(t.low)
    if len(found) != 1 or (found[0].start, found[0].end) != (0, len(t.low)):
        return None
    value = instance_for_field(found[0].value, spec)
    if not fits_service(value, spec):
        return None  # an inf2 type is no cache node type
    return Fill(value)


def fits_service(instance_type: str, spec: FieldSpec) -> bool:
    """False when the catalog knows the type and says it is not for the argument's service."""
    row = catalog().get(instance_type)
    return row is None or not spec.of or spec.of in row.uses


def _enum(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    text = span_text(u, i, j)
    value = match_enum(text, spec)
    if value in enum_options(spec):
        return Fill(value)
    return None


def _mapping(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """ "maxmemory-policy to allkeys-lru", "team=llm and env=prod", "dataset: web-qa"."""
    text = span_text(u, i, j)
    if "://" in text:
        return None
    m = re.fullmatch(r"([A-Za-z][\w.-]*)\s+(?:to|as|=|:)\s+(\S+)", text)
    mapping = {m.group(1): m.group(2)} if m else parse_mapping(text)
    if not mapping or not all(re.fullmatch(r"[A-Za-z][\w.+/-]*", k) for k in mapping):
        return None
    if not all(re.fullmatch(r"[^\s,;]+", str(v)) for v in mapping.values()):
        return None
    return Fill(mapping_out(spec, mapping))


def _prefix(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    if t is None or t.raw.lower().startswith("s3://") or not re.fullmatch(r"[\w.+=-]+(?:/[\w.+=-]*)*/?", t.raw):
        return None
    if spec.role == "contains":
        # A part of the key ("for run-0520", "matching step-016000"): a name-shaped word with a digit,
        # after a word that says so, and not the name of something the account has.
        before = u.tokens[i - 1].low if i > 0 else ""
        if before not in _CONTAINS or not re.search(r"\d", t.raw) or scene.kinds_of_name(t.raw):
            return None
        return Fill(t.raw) if looks_like_name(t, scene) or "/" in t.raw else None
    if "/" not in t.raw:
        # A word without a slash is a prefix only when the message says so ("prefix tmp", "under tmp").
        before = u.tokens[i - 1].low if i > 0 else ""
        if before not in ("prefix", "folder", "directory", "dir", "path", "under") or not looks_like_name(t, scene):
            return None
    return Fill(t.raw)


_CONTAINS = frozenset(("for", "matching", "containing", "contains", "with", "of", "like", "named"))


def _content_type(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    toks = u.tokens[i:j]
    if len(toks) == 2 and toks[1].stem in _roots("file", "object", "shard", "document"):
        toks = toks[:1]
    if len(toks) != 1:
        return None
    low = toks[0].low.lstrip("*").lstrip(".")
    if MIME_RE.fullmatch(toks[0].raw):
        return Fill(toks[0].low)
    return Fill(FILE_TYPES[low]) if low in FILE_TYPES else None


def _bool(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    t = _single(u, i, j)
    value = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}.get(t.low if t else "")
    if value is None:
        value = bool_synonym(spec, span_text(u, i, j).lower())
    return None if value is None else Fill(value)


def bool_synonym(spec: FieldSpec, text: str) -> bool | None:
    """The value a declared synonym of a flag says ("smallest" is descending=false), else None."""
    for value, forms in spec.synonyms.items():
        if text in forms:
            return value.lower() == "true"
    return None


def _direction(t: Token) -> int:
    """+1 for a word that says "more" ("add", "grow"), -1 for one that says "fewer", else 0."""
    if t.low in INCREASE or t.stem in _UP:
        return 1
    if t.low in DECREASE or t.stem in _DOWN:
        return -1
    return 0


_UP = frozenset(stem(w) for w in INCREASE if w.isalpha())
_DOWN = frozenset(stem(w) for w in DECREASE if w.isalpha())


def _delta(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """A signed change of a count: "add 2 instances" (+2), "remove a node" (-1), "2 more", "one fewer",
    "another replica", "+3"; a bare number only after a word that says which way ("add", "reduce ... by").
    A change without a number ("add more nodes") is vague: asked, not guessed."""
    toks = u.tokens[i:j]
    sign = 0
    if toks and _direction(toks[0]) and toks[0].low not in ("another", "extra", "up", "down"):
        sign, toks = _direction(toks[0]), toks[1:]
    toks = toks[: len(toks) - _ends_with_unit(toks, unit_words(None), u)]  # "replicas" of an endpoint too
    if toks and toks[-1].low in MORE | FEWER:
        sign = sign or (1 if toks[-1].low in MORE else -1)
        toks = toks[:-1]
    text = " ".join(t.low for t in toks)
    if sign and (text in VAGUE or (not toks and u.tokens[j - 1].low in MORE)):
        return Fill(None, status="vague", note=span_text(u, i, j))
    if text == "another":
        return Fill(1)
    if len(toks) != 1:
        return None
    word = toks[0].low
    m = re.fullmatch(r"([+-]?)(\d+(?:\.\d+)?)", word)
    if word in ("a", "an", "1") and j - i > 1:
        magnitude, signed = 1.0, ""
    elif m:
        magnitude, signed = float(m.group(2)), m.group(1)
    else:
        return None
    if signed:
        sign = -1 if signed == "-" else (sign or 1)
    elif not sign and i > 0:
        # "reduce chat-prod by 2", "scale it up by 3": the word that says which way comes before "by".
        before = u.tokens[i - 1]
        if before.low == "by":
            sign = next((d for t in reversed(u.tokens[max(0, i - 5) : i - 1]) if (d := _direction(t))), 0)
        else:
            sign = _direction(before) if before.low not in ("up", "down") else 0
    if not sign:
        return None
    return _bounded(spec, sign * magnitude, span_text(u, i, j))


_TIMES = re.compile(r"^(?:x|×)(\d+(?:\.\d+)?)$|^(\d+(?:\.\d+)?)(?:x|×)$")


def _factor(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """A multiplier of a count: "double" (2), "triple", "halve" (0.5), "2x", "x3", "cut in half"."""
    toks = u.tokens[i:j]
    text = " ".join(t.low for t in toks)
    if text in ("cut in half", "cut it in half", "in half", "by half"):
        return Fill(0.5)
    if text.startswith("twice") and text in ("twice", "twice as many", "twice as much"):
        return Fill(2.0)
    if toks and toks[0].low == "by":
        toks = toks[1:]
    if len(toks) != 1:
        return None
    t = toks[0]
    factor = next((f for w, f in FACTORS.items() if t.low == w or t.stem == stem(w)), None)
    if factor is None and t.low not in scene.known:  # "doubel", "trippel"
        factor = next((f for w, f in FACTORS.items() if len(w) >= 5 and fuzzy_equal(t.low, w)), None)
    if factor is None:
        m = _TIMES.match(t.low)
        if not m:
            return None
        factor = float(m.group(1) or m.group(2))
    return _bounded(spec, factor, span_text(u, i, j))


def _model(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    """A model of the catalog, as people write it: "llama-3.1-70b", "Llama 3.1 70B", "mixtral 8x7b",
    "llama3.1 70b", "deepseek v3". A model-shaped word the catalog lacks is passed on for the tool to
    name the catalog."""
    toks = u.tokens[i:j]
    if len(toks) > 4:
        return None
    joined = "-".join(t.low for t in toks)
    for key in (joined, re.sub(r"(?<=[a-z])(?=\d)", "-", joined)):
        found = find_model(key)
        if found is not None:
            return Fill(found.name, quality=3)
    # Not in the catalog but shaped like a model ("falcon-40b", "gemma 2 9b"): its size says so.
    if len(toks) > 3 or not re.match(r"[a-z]{3}", toks[0].low) or not re.search(r"\d+(?:\.\d+)?b$", joined):
        return None
    if any(t.low in STOP_WORDS or t.low in scene.known for t in toks):
        return None
    return Fill(joined)


def _text(spec: FieldSpec, u: Utterance, i: int, j: int, scene: Scene) -> Fill | None:
    return Fill(span_text(u, i, j))


_BY_KIND: dict[str, Recogniser] = {
    "name": _name,
    "id": _id,
    "count": _count,
    "delta": _delta,
    "factor": _factor,
    "number": _number,
    "limit": _limit,
    "tokens": _tokens,
    "params_billion": _params,
    "bytes": _bytes,
    "hours": _hours,
    "minutes": _hours,
    "date": _date,
    "s3_uri": _s3,
    "image_uri": _image,
    "arn": _arn,
    "instance_type": _instance_type,
    "enum": _enum,
    "tags": _mapping,
    "mapping": _mapping,
    "prefix": _prefix,
    "content_type": _content_type,
    "bool": _bool,
    "model": _model,
    "text": _text,
}
