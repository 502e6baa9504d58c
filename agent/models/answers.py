"""Answers to opsbot's own questions: accepted only when they fit what was asked.

opsbot asks back for a missing argument ("how many instances?") or between candidates ("the
HyperPod cluster demo or the endpoint demo?"). The next message is an answer only when it gives
a value of the asked argument's kind ("3", "3 nodes", "on model-artifacts", "call it llama-pt")
or picks one of the candidates ("the endpoint", "the second one"). Anything else is read as what
it is: a new request, a question, a cancellation.
"""

from __future__ import annotations

import re
from typing import Any

from agent.models.extras import fill_rest
from agent.models.grammar import Declared
from agent.models.lexicon import ORDINALS, STOP_WORDS
from agent.models.reading import Reader
from agent.models.scene import Scene
from agent.models.slots import NAME_RE, Fill
from agent.models.text import Utterance

# Words that may open an answer without being part of the value: "on model-artifacts", "call it x".
LEAD = {"on", "in", "for", "to", "with", "use", "using", "it", "is", "it's", "its", "make", "call", "name", "named"}
LEAD |= {"called", "the", "a", "an", "one", "as", "set", "should", "be", "just", "ok", "okay", "um", "uh", "let's"}
LEAD |= {"lets", "go", "try", "say", "about", "bucket", "from"}


_CORRECTION = re.compile(
    r"\b(?:wait,?\s+no|no,?\s+wait|i\s+mean|i\s+meant|sorry|scratch\s+that|correction)\b[,:;.!]*", re.I
)


def after_correction(text: str) -> str:
    """The part after the last self-correction: "chat-prod. wait no, llama8b-inf2" -> "llama8b-inf2"."""
    parts = _CORRECTION.split(text)
    tail = parts[-1].strip(" ,.;:!")
    return tail if len(parts) > 1 and tail else text


def answer_fills(
    u: Utterance, d: Declared, missing: list[str], scene: Scene, given: dict[str, Any] | None = None
) -> dict[str, Fill]:
    """Values ``u`` gives for the tool ``d`` (any argument), the asked ones read from bare values too.
    ``given`` are the arguments the question already had: they are not up for grabs again."""
    reader = Reader(u, scene)
    whole = reader.best(d)
    seeded = {k: Fill(v) for k, v in (given or {}).items() if k not in missing}
    fills: dict[str, Fill] = seeded | (dict(whole.fills) if whole is not None else {})
    used = set(whole.used) if whole is not None else set()
    rest = fill_rest(u, d.spec, d.phrasings, used, fills, scene, reader.slot)
    fills, used = rest.fills, rest.used
    toks = u.tokens
    for name in missing:
        spec = d.spec.field(name)
        if spec is None or (name in fills and fills[name].value is not None):
            continue
        start = 0
        while start < len(toks) and toks[start].low in LEAD and start not in used:
            start += 1
        end = len(toks)
        found = reader.slot(spec, start, end) if start < end and not used & set(range(start, end)) else None
        if found is None and start < end and not used & set(range(start, end)):
            found = _bare(spec, u, start, end, scene)
        if found is None:
            for k in range(start, end):
                if k not in used and (one := reader.slot(spec, k, k + 1)) is not None and one.status != "missing":
                    found, start, end = one, k, k + 1
                    break
        if found is not None and found.status != "missing":
            fills[name] = found
            used.update(range(start, end))
    return {k: f for k, f in fills.items() if f.status != "missing" and (k not in seeded or f is not seeded[k])}


def _bare(spec: Any, u: Utterance, start: int, end: int, scene: Scene) -> Fill | None:
    """A bare value that only the question makes one: "8" for hours, "checkpoints" for a bucket."""
    toks = u.tokens[start:end]
    if len(toks) != 1:
        return None
    t = toks[0]
    if spec.kind in ("hours", "minutes") and re.fullmatch(r"\d+(?:\.\d+)?", t.low):
        return Fill(int(float(t.low)) if float(t.low).is_integer() else float(t.low))
    if spec.kind == "name" and NAME_RE.match(t.raw) and not t.low.isdigit() and t.low not in STOP_WORDS:
        if spec.of and scene.kinds_of_name(t.raw) and spec.of not in scene.kinds_of_name(t.raw):
            return None  # "chat-prod" is an endpoint: no answer to "which bucket?"
        return Fill(t.raw)
    return None


def pick_choice(u: Utterance, choices: list[dict[str, Any]], nouns: dict[str, tuple[str, ...]]) -> int | None:
    """Which of the offered candidates the answer picks: by a value it names, its kind's noun, its
    tool's words or its place in the list."""
    words = list(u.tokens)
    by_value = [
        n for n, c in enumerate(choices) if any(str(v).lower() in {t.low for t in words} for v in c["args"].values())
    ]
    if len(by_value) == 1:
        return by_value[0]
    for t in words:
        if t.low in ORDINALS and ORDINALS[t.low] < len(choices):
            return ORDINALS[t.low] % len(choices)
        if t.low.isdigit() and 1 <= int(t.low) <= len(choices):
            return int(t.low) - 1
    hits = []
    for index, choice in enumerate(choices):
        kind_nouns = nouns.get(str(choice.get("kind") or ""), ())
        noun_words = {w for n in kind_nouns for w in n.split()} | set(str(choice.get("tool", "")).split("_"))
        if any(u.word_matches(t, w) for t in words for w in noun_words if len(w) > 2):
            hits.append(index)
    return hits[0] if len(hits) == 1 else None


def fits(text: str, asked: dict[str, Any], tools: dict[str, Declared], scene: Scene) -> bool:
    """True when ``text`` answers the open question ``asked`` (a value of its kind, or a choice)."""
    u = Utterance.of(after_correction(text), scene.known)
    if asked.get("choices"):
        return pick_choice(u, list(asked["choices"]), scene.nouns) is not None
    d = tools.get(str(asked.get("tool")))
    if d is None:
        return False
    missing = [m for m in asked.get("missing") or [] if d.spec.field(m) is not None]
    given = asked.get("args") or {}
    got = answer_fills(u, d, missing, scene, given)
    # A value for what was asked, or another value for what was given ("llama8b-inf2", not chat-prod).
    return any(k in missing or (k in given and given[k] != f.value) or k not in given for k, f in got.items())
