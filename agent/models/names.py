"""Resource names in a request: which token is the cluster, the endpoint, the job or the bucket.

In order of trust: a naming word ("named demo", "called demo", "call it demo", "id kv-1"); the
resource's noun next to a token ("cluster llama-pretrain", "the chat-prod endpoint"); a second
name right after the first ("scale llama-pretrain workers to 8" -> group "workers"); any
name-looking token left ("scale chat-prod to 3"). Only required names are filled from a bare
token; in an answer to opsbot's question, any leftover word will do.
"""

from __future__ import annotations

import re
from functools import cache

from agent.models.schema import FieldSpec, ToolSpec
from agent.models.text import Token, Utterance, fuzzy_equal, stem
from agent.models.values import Found, enum_forms, find_instance_types, overlaps
from agent.models.vocabulary import KNOWN_VALUES, STOP_WORDS, TOOL_WORDS, instance_families

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_VALUE_LIKE = re.compile(
    r"^(\d+(\.\d+)?[a-z]{0,3}|\d{4}-\d{2}-\d{2}.*|[a-z]+/[\w./+-]+"
    r"|jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sept?(ember)?|oct(ober)?|nov(ember)?"
    r"|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"
)
_NAMING = {"named", "called", "name", "id"}
_SKIP_AFTER_CUE = {"name", "named", "called", "id", "is", "=", ":", "-"}
_NOT_NAMES = {"a", "an", "the", "it", "is", "as", "to", "with", "on", "in", "for", "and", "by", "of"}
_PLACE_CUES = {"in", "from", "on", "of", "for"}  # "objects in checkpoints": where, for a bucket
_COMPOUND = {"instance", "instances", "node", "nodes"}
_SECOND_NAME_FOLLOWERS = {"to", "group", "at", "by", "with", "from", "down", "up"}


@cache
def _action_words() -> frozenset[str]:
    """Verbs and nouns of every tool: never a name on their own."""
    words = {w for tw in TOOL_WORDS.values() for phrase in (*tw.verbs, *tw.nouns) for w in phrase.split()}
    return frozenset(words | {w + "s" for w in words})


@cache
def _noun_words() -> frozenset[str]:
    """Single words of tool nouns ("hyperpod", "valkey"), which may stand between a name and its noun."""
    return frozenset(stem(w) for tw in TOOL_WORDS.values() for n in tw.nouns for w in n.split())


@cache
def _value_words() -> frozenset[str]:
    words = set(instance_families())
    for values in KNOWN_VALUES.values():
        for v in values:
            words.update(enum_forms(v))
    return frozenset(words)


def _value_like(t: Token) -> bool:
    return bool(_VALUE_LIKE.match(t.low) or t.low in _value_words() or find_instance_types(t.low))


def loose_ok(t: Token, found: Found) -> bool:
    """Could be a name when something says it is one (a naming word, a noun, a question)."""
    return (
        bool(NAME_RE.match(t.raw))
        and not t.low.isdigit()
        and t.low not in STOP_WORDS
        and t.low not in _action_words()
        and not _value_like(t)
        and not overlaps(t.start, t.end, found.taken)
        and not _typo_of_action(t.low)
    )


@cache
def _typo_of_action(word: str) -> bool:
    """ "lsit", "delet", "frist": a mistyped verb, noun or filler word is not a name."""
    if not word.isalpha():
        return False
    return any(fuzzy_equal(word, w) for w in _action_words()) or any(
        fuzzy_equal(word, w) for w in STOP_WORDS if len(w) >= 5
    )


def named_ok(t: Token, found: Found) -> bool:
    """After "named" or "called" almost any word is the name ("called huge"), but not "a" or "4"."""
    return (
        bool(NAME_RE.match(t.raw))
        and not t.low.isdigit()
        and t.low not in _NOT_NAMES
        and not _value_like(t)
        and not overlaps(t.start, t.end, found.taken)
    )


def strict_ok(t: Token, u: Utterance, found: Found) -> bool:
    """Looks like a name on its own: letters with digits, hyphens or underscores, not a known word."""
    return loose_ok(t, found) and bool(re.search(r"[\d_-]", t.low)) and t.low not in u.known


def fill_names(u: Utterance, tool: ToolSpec, found: Found, loose: bool = False) -> None:
    """Fill the tool's name arguments (``*_name``, ``*_id``, ``bucket``) from ``u``."""
    fields = tool.of_kind("name")
    if not fields:
        return
    primary = next((f for f in fields if f.required), fields[0])
    toks = u.tokens
    used: dict[int, str] = {}

    def take(i: int, spec: FieldSpec) -> bool:
        """Use token ``i`` as the value of ``spec`` unless either is taken already."""
        if i in used or spec.name in found.args:
            return False
        found.put(spec, toks[i].raw, toks[i].start, toks[i].end)
        used[i] = spec.name
        return True

    def open_fields() -> list[FieldSpec]:
        """Name arguments still without a value."""
        return [f for f in fields if f.name not in found.args]

    _naming_words(u, fields, primary, found, take)
    own = {f.name: f.noun.split()[-1] for f in fields}
    for spec in open_fields():
        _noun_cues(u, spec, {own[spec.name]}, set(own.values()), found, take)
    if primary.name not in found.args and tool.name in TOOL_WORDS:
        nouns = {n for n in TOOL_WORDS[tool.name].nouns if " " not in n} - set(own.values())
        _noun_cues(u, primary, nouns, set(own.values()), found, take, strict_only=True)
    bucket = tool.field("bucket")
    if bucket is not None and bucket.name not in found.args:
        _noun_cues(u, bucket, _PLACE_CUES, set(own.values()), found, take, after_only=True)
    pool = [i for i, t in enumerate(toks) if i not in used and strict_ok(t, u, found)]
    if primary.name not in found.args and pool:
        take(pool.pop(0), primary)
    _second_name(u, fields, primary, found, used, take)
    for spec in open_fields():
        if not (spec.required or loose):
            continue
        pool = [i for i, t in enumerate(toks) if i not in used and strict_ok(t, u, found)]
        if not pool and loose:
            pool = [i for i, t in enumerate(toks) if i not in used and loose_ok(t, found) and t.low not in u.known]
        if pool:
            take(pool[0], spec)


def _naming_words(u: Utterance, fields: list[FieldSpec], primary: FieldSpec, found: Found, take: object) -> None:
    toks = u.tokens
    for i, t in enumerate(toks):
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
        if (t.low in ("call", "name") and nxt == "it") or (t.low == "name" and nxt == "is"):
            j = i + 2
        elif t.low in _NAMING or t.low == "as":
            j = i + 1
        else:
            continue
        if j >= len(toks) or not named_ok(toks[j], found):
            continue
        if t.low == "as" and not strict_ok(toks[j], u, found):
            continue
        k = i - 1
        while k >= 0 and toks[k].low in STOP_WORDS - {"group", "instance"}:
            k -= 1
        target = next((f for f in fields if k >= 0 and u.word_matches(toks[k], f.noun.split()[-1])), None)
        if target is None or target.name in found.args:
            target = (
                primary
                if primary.name not in found.args
                else next((f for f in fields if f.name not in found.args), None)
            )
        if target is not None:
            take(j, target)  # type: ignore[operator]


def _noun_cues(
    u: Utterance,
    spec: FieldSpec,
    cues: set[str],
    others: set[str],
    found: Found,
    take: object,
    after_only: bool = False,
    strict_only: bool = False,
) -> None:
    """ "cluster llama-pretrain", "the chat-prod endpoint": a token next to the resource's noun.
    A name-looking token wins over a plain word; after the noun wins over before it."""
    toks = u.tokens
    hits = [i for i, t in enumerate(toks) if any(u.word_matches(t, c) for c in cues)]
    options: list[tuple[int, int]] = []
    for i in hits:
        j = i + 1
        while j < len(toks) and toks[j].low in _SKIP_AFTER_CUE:
            j += 1
        if j < len(toks):
            options.append((0, j))
        j = i - 1
        while j >= 0 and i - j <= 2 and (toks[j].low in _COMPOUND or toks[j].stem in _noun_words()):
            j -= 1  # "workers instance group", "the demo hyperpod cluster"
        if j >= 0 and not after_only:
            options.append((1, j))
    ranked = []
    for where, j in options:
        t = toks[j]
        if not loose_ok(t, found) or any(u.word_matches(t, c) for c in cues | others):
            continue
        if strict_ok(t, u, found) or (isinstance(spec.default, str) and t.low == spec.default.lower()):
            ranked.append((0, where, j))
        elif t.low not in u.known and not strict_only:
            ranked.append((1, where, j))
    for _, _, j in sorted(ranked):
        if take(j, spec):  # type: ignore[operator]
            return


def _second_name(
    u: Utterance, fields: list[FieldSpec], primary: FieldSpec, found: Found, used: dict[int, str], take: object
) -> None:
    """ "scale llama-pretrain workers to 8": the word after the first name is the second one."""
    rest = [f for f in fields if f.name not in found.args and f is not primary]
    at = next((i for i, name in used.items() if name == primary.name), None)
    if not rest or at is None or at + 1 >= len(u.tokens):
        return
    toks = u.tokens
    nxt = toks[at + 1]
    follower = toks[at + 2].low if at + 2 < len(toks) else ""
    if loose_ok(nxt, found) and (follower in _SECOND_NAME_FOLLOWERS or follower == "" or follower.isdigit()):
        take(at + 1, rest[0])  # type: ignore[operator]
