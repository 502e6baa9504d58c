"""Arguments a request gives outside the phrasing that matched it.

"spin up a hyperpod cluster called llama-pt with 8 trn2.48xlarge nodes": a phrasing explains
"spin up a hyperpod cluster called {cluster_name}"; the rest is read here, in order of trust:

1. ``key=value`` pairs (the argument by name);
2. the tool's other phrasings as cues for the arguments still open ("over {min_size_bytes}",
   "(name|call) it {plan_name}"), aligned strictly on the tokens left;
3. values that say what they are by their form: instance types, S3 URIs (their role told by the
   words before them), ARNs, images, enum values, "8 nodes" for a count of nodes, "8k context",
   "70B", and a duration, size or date when the tool has exactly one argument of that kind.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from agent.models.align import align
from agent.models.coerce import coerce, match_field
from agent.models.lexicon import FILE_TYPES, FILLER, S3_ROLE_CUES
from agent.models.phrasing import Compiled
from agent.models.scene import Scene
from agent.models.schema import FieldSpec, ToolSpec
from agent.models.slots import Fill, bool_synonym, fits_service, looks_like_name, other_number, recognise, unit_words
from agent.models.text import Utterance, stem
from agent.models.units import find_date_range, find_durations, find_sizes, iso
from agent.models.values import (
    ARN_RE,
    ECR_RE,
    MIME_RE,
    S3_RE,
    find_enum,
    find_instance_types,
    find_pairs,
    instance_for_field,
)

_FILE_NOUNS = {stem(w) for w in ("file", "object", "shard", "document", "one")}
_NEGATIONS = {"not", "no", "non", "except", "excluding", "without", "aren't", "isn't", "arent", "isnt"}

SlotFn = Callable[[FieldSpec, int, int], Fill | None]


class Rest:
    """The tokens of a message not yet explained, and the fills found so far."""

    def __init__(self, u: Utterance, spec: ToolSpec, used: set[int], fills: dict[str, Fill]) -> None:
        self.u, self.spec, self.used, self.fills = u, spec, set(used), dict(fills)

    def open(self, *kinds: str) -> list[FieldSpec]:
        """Arguments of these kinds (any kind when none given) without a value yet."""
        return [
            f
            for f in self.spec.fields
            if (not kinds or f.kind in kinds) and (f.name not in self.fills or self.fills[f.name].value is None)
        ]

    def free(self, start: int, end: int) -> list[int] | None:
        """Token indexes covering characters ``start..end`` if none of them is used, else None."""
        idx = [k for k, t in enumerate(self.u.tokens) if t.start < end and t.end > start]
        return idx if idx and not any(k in self.used for k in idx) else None

    def put(self, spec: FieldSpec, fill: Fill, tokens: list[int]) -> None:
        """Fill ``spec`` (once) and mark its tokens used."""
        if spec.name in self.fills and self.fills[spec.name].value is not None:
            return
        self.fills[spec.name] = fill
        self.used.update(tokens)


def fill_rest(
    u: Utterance,
    spec: ToolSpec,
    phrasings: tuple[Compiled, ...],
    used: set[int],
    fills: dict[str, Fill],
    scene: Scene,
    slot: SlotFn,
    present: Callable[[str], bool] | None = None,
) -> Rest:
    """Fills for the arguments the matched phrasing left open, from the tokens it left unused."""
    rest = Rest(u, spec, used, fills)
    _uri_keys(rest)
    _pairs(rest, scene.now)
    _cues(rest, phrasings, slot, present)
    _near_cues(rest, phrasings, slot)
    _by_form(rest, scene)
    _period_ends(rest, phrasings)
    return rest


def _uri_keys(rest: Rest) -> None:
    """A bucket given as "s3://bucket/key/" also gives the prefix."""
    for fill in list(rest.fills.values()):
        if fill.note.startswith("prefix:"):
            prefix = next(iter(rest.open("prefix")), None)
            if prefix is not None:
                rest.fills[prefix.name] = Fill(fill.note[len("prefix:") :])


def _pairs(rest: Rest, now: datetime) -> None:
    for key, value, start, end in find_pairs(rest.u.raw):
        tokens = rest.free(start, end)
        if tokens is None:
            continue
        spec = match_field(key, rest.spec)
        if spec is not None:
            # A pair that names the argument says which tool is meant ("endpoint_name=x").
            rest.put(spec, Fill(coerce(spec, value, now), quality=2 if key.lstrip("-") == spec.name else 1), tokens)
            continue
        # "tagged dataset=web-qa", "maxmemory-policy=allkeys-lru": a pair for the tool's mapping.
        target = next(iter(rest.open("tags", "mapping")), None) or next(
            (f for f in rest.spec.fields if f.kind in ("tags", "mapping")), None
        )
        if target is not None:
            merged = dict(_as_dict(rest.fills[target.name].value) if target.name in rest.fills else {})
            merged[key] = value
            rest.fills[target.name] = Fill(coerce(target, merged, now))
            rest.used.update(tokens)


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        out = {}
        for item in value:
            if isinstance(item, dict) and "key" in item:
                out[str(item["key"])] = item.get("value")
            elif isinstance(item, str) and "=" in item:
                k, v = item.split("=", 1)
                out[k] = v
        return out
    return {}


def _cues(rest: Rest, phrasings: tuple[Compiled, ...], slot: SlotFn, present: Callable[[str], bool] | None) -> None:
    """Other phrasings of the tool, aligned strictly on what is left, fill arguments still open."""
    progress = True
    while progress:
        progress = False
        open_names = {f.name for f in rest.open()}
        for p in phrasings:
            if not set(p.slots) & open_names or set(p.slots) - open_names:
                continue
            found = align(
                p,
                rest.u,
                lambda name, i, j: slot(rest.spec.field(name), i, j) if rest.spec.field(name) else None,  # type: ignore[arg-type]
                blocked=frozenset(rest.used),
                strict=True,
                present=present,
            )
            if found is None or not found.fills or found.unexplained:
                continue
            for name, fill in found.fills.items():
                spec = rest.spec.field(name)
                if spec is not None:
                    rest.put(spec, fill, sorted(found.used))
            rest.used.update(found.used)
            progress = True
            break


def _near_cues(rest: Rest, phrasings: tuple[Compiled, ...], slot: SlotFn) -> None:
    """A value right after one of its argument's cue words, even when another phrasing used that word
    ("objects under 10kb in checkpoints": "under" also fits "objects under ..."). A cue two arguments
    share decides only when the value fits one of them ("under 10kb" is a size, not a prefix)."""
    toks = rest.u.tokens
    cues = {
        f.name: {w for p in phrasings if p.slots == (f.name,) for w in p.words} - FILLER
        for f in rest.open()
        if f.kind not in ("name", "text", "id", "mapping", "tags")
    }
    for spec in rest.open():
        words = cues.get(spec.name)
        if not words:
            continue
        for i in range(1, len(toks)):
            cue = {w for w in words for k in range(max(0, i - 2), i) if rest.u.word_matches(toks[k], w)}
            if not cue:
                continue
            rivals = [rest.spec.field(n) for n, ws in cues.items() if n != spec.name and ws & cue]
            for j in range(min(len(toks), i + 3), i, -1):
                if any(k in rest.used for k in range(i, j)):
                    continue
                fill = slot(spec, i, j)
                if fill is None or fill.value is None:
                    continue
                if any(r is not None and slot(r, i, j) is not None for r in rivals):
                    break  # "over 1" could be either: leave it to the phrasings
                rest.put(spec, fill, list(range(i, j)))
                break
            if spec.name in rest.fills:
                break


def _by_form(rest: Rest, scene: Scene) -> None:
    u = rest.u
    _uris(rest)
    _known_names(rest, scene)
    for span in find_instance_types(u.low):
        tokens = rest.free(span.start, span.end)
        fields = rest.open("instance_type")
        if tokens is None or not fields:
            continue
        fitting = [f for f in fields if fits_service(instance_for_field(span.value, f), f)]
        if not fitting:
            continue
        spec = fitting[0]
        rest.put(spec, Fill(instance_for_field(span.value, spec)), tokens)
        _count_before(rest, tokens[0], scene)
        _count_after(rest, tokens[-1], scene)
    _models(rest, scene)
    _counts(rest, scene)
    _file_kinds(rest)
    for spec in rest.open("enum"):
        taken = [(t.start, t.end) for k, t in enumerate(u.tokens) if k in rest.used]
        span = find_enum(u, spec, taken)
        if span is not None and (tokens := rest.free(span.start, span.end)):
            rest.put(spec, Fill(span.value), tokens)
    _patterns(rest, scene)
    _aws_ids(rest)
    _shaped_names(rest, scene)
    _implied_flags(rest)


_AWS_ID = re.compile(r"^([a-z]+)-[0-9a-f]{8,17}$")


def _aws_ids(rest: Rest) -> None:
    """ "in subnet-0abc... and subnet-0def... with sg-0123...": AWS ids whose prefix names their kind (the
    kind itself, "subnet", or its initials, "sg" for security_group); every one for a list argument."""
    for spec in rest.open("id"):
        if not spec.of:
            continue
        prefixes = {spec.of.replace("_", ""), "".join(w[0] for w in spec.of.split("_"))}
        found = [
            (k, t.raw)
            for k, t in enumerate(rest.u.tokens)
            if k not in rest.used and (m := _AWS_ID.match(t.low)) and m.group(1) in prefixes
        ]
        if found:
            values = [v for _, v in found]
            rest.put(spec, Fill(values if spec.json_type == "array" else values[0]), [k for k, _ in found])


def _implied_flags(rest: Rest) -> None:
    """A flag a word implies, whatever else that word fills: "smallest files" also says descending=false.
    The word stays with the argument it filled (order_by=size)."""
    for spec in rest.open("bool"):
        for t in rest.u.tokens:
            value = bool_synonym(spec, t.low)
            if value is not None:
                rest.fills[spec.name] = Fill(value)
                break


_UPPER = {"before", "until", "till", "older", "prior", "through", "end"}


def _period_ends(rest: Rest, phrasings: tuple[Compiled, ...]) -> None:
    """ "added yesterday": a period that has ended also bounds the date argument the tool's own
    phrasings mark as an upper bound ("before {modified_before}")."""
    ended = next((f.note[len("until:") :] for f in rest.fills.values() if f.note.startswith("until:")), None)
    if ended is None:
        return
    for spec in rest.open("date"):
        if any(spec.name in p.slots and _UPPER & set(p.words) for p in phrasings):
            rest.fills[spec.name] = Fill(ended)
            return


def _shaped_names(rest: Rest, scene: Scene) -> None:
    """A required name of a kind nobody lists may be the name-shaped token left ("kv-cache-prod")."""
    for spec in rest.open("name"):
        if not spec.required or spec.new or scene.knows(spec.of):
            continue
        for k, t in enumerate(rest.u.tokens):
            if k in rest.used or not re.search(r"[\d_-]", t.low) or not looks_like_name(t, scene):
                continue
            if scene.kinds_of_name(t.raw) or find_instance_types(t.low) or "://" in t.low or "=" in t.low:
                continue
            rest.put(spec, Fill(t.raw, quality=0), [k])
            break


def _uris(rest: Rest) -> None:
    u = rest.u
    for m in S3_RE.finditer(u.raw):
        value = m.group().rstrip(".:!?")
        tokens = rest.free(m.start(), m.start() + len(value))
        if tokens is None:
            continue
        s3_fields = rest.open("s3_uri")
        if s3_fields:
            before = u.low[max(0, m.start() - 40) : m.start()]
            spec = max(s3_fields, key=lambda f: (_role_hits(f, before), -s3_fields.index(f)))
            rest.put(spec, Fill(value), tokens)
            continue
        bucket = next((f for f in rest.open("name") if f.of == "bucket"), None)
        if bucket is not None:
            name, _, key = value[5:].partition("/")
            rest.put(bucket, Fill(name), tokens)
            prefix = next(iter(rest.open("prefix")), None)
            if prefix is not None and key:
                rest.fills[prefix.name] = Fill(key)
    for rx, kind in ((ECR_RE, "image_uri"), (ARN_RE, "arn")):
        for m in rx.finditer(u.raw):
            tokens = rest.free(m.start(), m.end())
            fields = rest.open(kind)
            if tokens is not None and fields:
                text = m.group().lower()
                spec = max(fields, key=lambda f: (bool(f.of and f.of.split("_")[-1] in text), -fields.index(f)))
                rest.put(spec, Fill(m.group()), tokens)


def _known_names(rest: Rest, scene: Scene) -> None:
    """A name the account has for an open argument of that kind says what it is ("... kv-cache-prod ...")."""
    for spec in rest.open("name"):
        if spec.new or not spec.of:
            continue
        listed = {n.lower(): n for n in scene.names.get(spec.of, [])}
        for k, t in enumerate(rest.u.tokens):
            if k in rest.used:
                continue
            # The name itself, or said in the other number ("the latest checkpoint" of bucket "checkpoints").
            found = listed.get(t.low) or other_number(t.raw, list(listed.values()))
            if found is not None:
                rest.put(spec, Fill(found, quality=3), [k])
                break


def _role_hits(spec: FieldSpec, before: str) -> int:
    """How many words of the argument's role ("input", "output", ...) end the text before a URI."""
    cues = S3_ROLE_CUES.get(spec.role or "", ())
    tail = before[-24:]
    return sum(1 for c in cues if re.search(rf"\b{re.escape(c)}\b", tail))


def _count_before(rest: Rest, at: int, scene: Scene) -> None:
    """ "8 trn2.48xlarge", "8 x ml.trn2.48xlarge": the number before an instance type counts instances."""
    u = rest.u
    k = at - 1
    if k >= 0 and u.tokens[k].low in ("x", "×"):
        k -= 1
    if k < 0 or k in rest.used or not re.fullmatch(r"-?\d+x?", u.tokens[k].low):
        return
    fields = [f for f in rest.open("count") if f.unit in (None, "instance", "node")]
    if fields:
        fill = recognise(fields[0], u, k, k + 1, scene)
        if fill is not None:
            rest.put(fields[0], fill, list(range(k, at)))


def _file_kinds(rest: Rest) -> None:
    """ "parquet files", "*.jsonl", "text/plain": a content type (not after "not", "aren't", "non")."""
    fields = rest.open("content_type")
    if not fields:
        return
    toks = rest.u.tokens
    for k, t in enumerate(toks):
        if k in rest.used or (k > 0 and toks[k - 1].low in _NEGATIONS) or t.low.startswith("non-"):
            continue
        low = t.low.lstrip("*")
        nxt = toks[k + 1].stem if k + 1 < len(toks) else ""
        if MIME_RE.fullmatch(t.raw):
            rest.put(fields[0], Fill(t.low), [k])
            return
        if low.lstrip(".") in FILE_TYPES and (low.startswith(".") or nxt in _FILE_NOUNS):
            rest.put(fields[0], Fill(FILE_TYPES[low.lstrip(".")]), [k])
            return


def _count_after(rest: Rest, at: int, scene: Scene) -> None:
    """ "trn2.48xlarge x 4", "trn2.48xlarge x2": a multiplier after an instance type counts instances."""
    u = rest.u
    toks = u.tokens
    k = at + 1
    if k < len(toks) and toks[k].low in ("x", "×") and k + 1 < len(toks):
        span = [k, k + 1]
        text = toks[k + 1].low
    elif k < len(toks) and re.fullmatch(r"[x×]\d+", toks[k].low):
        span, text = [k], toks[k].low[1:]
    else:
        return
    if any(i in rest.used for i in span) or not re.fullmatch(r"\d+", text):
        return
    fields = [f for f in rest.open("count") if f.unit in (None, "instance", "node")]
    if fields:
        fill = recognise(fields[0], u, span[-1], span[-1] + 1, scene)
        if fill is not None:
            rest.put(fields[0], fill, span)


def _models(rest: Rest, scene: Scene) -> None:
    """ "mixtral 8x7b", "Llama-3.1-70B": a model the catalog has, anywhere, before its size is read as a
    bare number of parameters."""
    u = rest.u
    for spec in rest.open("model"):
        for i in range(len(u.tokens)):
            for j in range(min(len(u.tokens), i + 4), i, -1):
                if any(k in rest.used for k in range(i, j)):
                    continue
                fill = recognise(spec, u, i, j, scene)
                if fill is not None and fill.quality >= 3:
                    rest.put(spec, fill, list(range(i, j)))
                    return


def _counts(rest: Rest, scene: Scene) -> None:
    """ "8 nodes", "3 replicas", "16 concurrent users": a number with the unit a count declares."""
    u = rest.u
    for spec in rest.open("count"):
        units = unit_words(spec.unit)
        for i in range(len(u.tokens)):
            if i in rest.used or not re.fullmatch(r"-?\d+(?:\.\d+)?|a|an", u.tokens[i].low):
                continue
            for j in range(i + 2, min(len(u.tokens), i + 4) + 1):
                if any(k in rest.used for k in range(i, j)):
                    break
                fill = recognise(spec, u, i, j, scene)
                if fill is not None and any(u.word_matches(u.tokens[j - 1], w.split()[-1]) for w in units):
                    rest.put(spec, fill, list(range(i, j)))
                    break
            if spec.name in rest.fills:
                break


_PATTERNS: dict[str, list[str]] = {
    "tokens": [
        r"(?<![\w.])(\d+(?:\.\d+)?\s*k?)\s*(?:-?\s*tokens?\s*)?(?:of\s+)?(?:context|ctx|sequence)\b",
        r"\b(?:context|ctx|sequence)(?:[\s_-]*(?:length|window|len|size))?\s*(?:of|=|:|is)?\s*(\d+(?:\.\d+)?\s*k?)\b",
        r"(?<![\w.])(\d+(?:\.\d+)?\s*k)\s*tokens?\b",
    ],
    "params_billion": [
        r"(?<![\w.-])(\d+x\d+(?:\.\d+)?b)\b",
        r"(?<![\w.-])(\d+(?:\.\d+)?\s*(?:b|bn|billion|t|trillion))\b",
        r"(?:params|parameters)\s*(?:=|:|of|is)?\s*(\d+(?:\.\d+)?\s*(?:b|billion)?)\b",
    ],
    "limit": [
        r"\b(?:top|first|limit|at\s+most|only|up\s+to)\s*(?:of\s*)?(\d+)\b",
        r"(?<![\w.])(\d+)\s+(?:objects|files|results|keys|items|rows|entries)\b",
    ],
}


def _patterns(rest: Rest, scene: Scene) -> None:
    u = rest.u
    for kind, patterns in _PATTERNS.items():
        for spec in rest.open(kind):
            for rx in patterns:
                for m in re.finditer(rx, u.low):
                    tokens = rest.free(m.start(1), m.end(1))
                    if tokens is None:
                        continue
                    fill = recognise(spec, u, tokens[0], tokens[-1] + 1, scene)
                    if fill is not None:
                        whole = rest.free(m.start(), m.end()) or tokens
                        rest.put(spec, fill, whole)
                        break
                if spec.name in rest.fills:
                    break
    _single_kind(rest, "hours", lambda: [(d.start, d.end, d.value) for d in find_durations(u.low)])
    _single_kind(rest, "minutes", lambda: [(d.start, d.end, float(d.value) * 60) for d in find_durations(u.low)])
    _single_kind(rest, "bytes", lambda: [(s.start, s.end, s.value) for s in find_sizes(u.low)])
    dates = rest.open("date")
    if len(dates) == 1 and len([f for f in rest.spec.fields if f.kind == "date"]) == 1:
        after, _ = find_date_range(u.low, scene.now)
        if after is not None:
            rest.fills[dates[0].name] = Fill(iso(after, dates[0].fmt))


def _single_kind(rest: Rest, kind: str, spans: Callable[[], list[tuple[int, int, float]]]) -> None:
    """A duration or size fills the tool's argument of that kind when it has exactly one."""
    fields = rest.open(kind)
    if len(fields) != 1 or len([f for f in rest.spec.fields if f.kind == kind]) != 1:
        return
    for start, end, value in spans():
        tokens = rest.free(start, end)
        if tokens is not None:
            number = int(value) if float(value).is_integer() else value
            rest.put(fields[0], Fill(number), tokens)
            return
