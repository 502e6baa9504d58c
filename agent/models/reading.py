"""Reading a request against the declared tools: an explicit command, or the best phrasing match.

An explicit command is a tool name (typos forgiven, ``-`` for ``_``) followed by ``key=value``,
``--key value`` or bare values, with the argument models as its grammar. A plain request is
aligned with every phrasing of every candidate tool (``agent.models.align``); the arguments the
phrasing leaves open are read from the rest (``agent.models.extras``). Candidates rank by how
much of the message they explain, then by the names the account has, then by how many phrasing
words matched; on a full tie the read wins over a write, a write over a destructive call.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from agent.models.align import Alignment, align, is_filler
from agent.models.coerce import coerce, match_field
from agent.models.extras import fill_rest
from agent.models.grammar import EFFECT_RANK, Declared
from agent.models.scene import Scene
from agent.models.schema import FieldSpec
from agent.models.slots import Fill, recognise
from agent.models.text import Utterance, edit_distance

HEADS = 3  # phrasings per tool completed with the rest of the message before choosing
# Kinds whose values say what they are: a message holding one is about the tool that takes it.
_TYPED = {"instance_type", "s3_uri", "arn", "image_uri", "bytes", "tokens", "params_billion", "tags", "mapping"}


@dataclass
class Candidate:
    """One tool's reading of a message."""

    tool: Declared
    fills: dict[str, Fill] = field(default_factory=dict)
    unexplained: int = 0
    quality: int = 0
    literals: int = 0
    explicit: bool = False
    phrasing: str = ""
    used: set[int] = field(default_factory=set)
    anchored: bool = True  # something in the message ties it to this tool (see ``Reader.anchored``)
    led: bool = False  # the message's first content word is part of this reading ("can you stop X, the loss...")

    @property
    def key(self) -> tuple[int, int, int, int, int, int, int, int]:
        """Sort key, higher is better: explicit, anchored, explains more, names fewer unknown
        resources, uses names the account has, starts where the message starts, matches more
        phrasing words; on a tie the read wins."""
        return (
            int(self.explicit),
            int(self.anchored),
            -self.unexplained,
            -len(self.status("unknown")),
            self.quality,
            int(self.led),
            self.literals,
            EFFECT_RANK[self.tool.effect],
        )

    @property
    def args(self) -> dict[str, Any]:
        """The arguments that have a value."""
        return {k: f.value for k, f in self.fills.items() if f.value is not None}

    def status(self, *statuses: str) -> list[tuple[str, Fill]]:
        """Fills in one of these statuses (unknown, missing, vague, invalid)."""
        return [(k, f) for k, f in self.fills.items() if f.status in statuses]

    @property
    def names(self) -> dict[str, tuple[str | None, Any]]:
        """Name arguments: field -> (resource kind, value)."""
        out = {}
        for k, f in self.fills.items():
            spec = self.tool.spec.field(k)
            if spec is not None and spec.kind == "name":
                out[k] = (spec.of, f.value)
        return out


class Reader:
    """Reads one message against some tools, with one cache of slot recognitions."""

    def __init__(self, u: Utterance, scene: Scene, anchors: frozenset[str] = frozenset()) -> None:
        self.u, self.scene, self.anchors = u, scene, anchors
        self._cache: dict[tuple[int, int, int], Fill | None] = {}
        self._present: dict[str, bool] = {}

    @property
    def first_content(self) -> int | None:
        """Index of the first token that is not a filler word (the head of an imperative)."""
        return next((k for k, t in enumerate(self.u.tokens) if not is_filler(t.low)), None)

    def present(self, word: str) -> bool:
        """True if some token is ``word`` (stems and typos forgiven)."""
        if word not in self._present:
            self._present[word] = any(self.u.word_matches(t, word) for t in self.u.tokens)
        return self._present[word]

    def slot(self, spec: FieldSpec, i: int, j: int) -> Fill | None:
        """``recognise`` with a cache: many phrasings try the same spans for the same argument."""
        key = (id(spec), i, j)
        if key not in self._cache:
            self._cache[key] = recognise(spec, self.u, i, j, self.scene)
        return self._cache[key]

    # ---------------------------------------------------------------- commands
    def command(self, tools: Iterable[Declared]) -> Candidate | None:
        """The explicit command ``u`` starts with, if it starts with a tool's name, or one quoted in
        backticks ("what does `delete_endpoint endpoint_name=x` do?")."""
        tools = list(tools)
        for quoted in re.findall(r"`([^`]+)`", self.u.raw):
            found = Reader(Utterance(quoted.strip(), self.u.known), self.scene, self.anchors).command(tools)
            if found is not None:
                return found
        by_name = {d.name: d for d in tools}
        toks = self.u.tokens
        if not toks:
            return None
        head = toks[0].low.replace("-", "_")
        name = head if head in by_name else None
        if name is None and "_" in head:
            # A typo in a command name: one or two slips in a name that has underscores.
            close = [n for n in by_name if edit_distance(head, n, 2) <= 2]
            name = close[0] if len(close) == 1 else None
        if name is None:
            return None
        d = by_name[name]
        rest = self.u.raw[toks[0].end :].strip()
        try:
            parts = shlex.split(rest)
        except ValueError:
            parts = rest.split()
        fills: dict[str, Fill] = {}
        positional: list[str] = []
        i = 0
        while i < len(parts):
            part = parts[i]
            if "=" in part and not part.startswith("s3://"):
                key, value = part.split("=", 1)
            elif part.startswith("--") and i + 1 < len(parts):
                key, value = part, parts[i + 1]
                i += 1
            else:
                positional.append(part)
                i += 1
                continue
            i += 1
            spec = match_field(key, d.spec)
            if spec is None:
                fills[key.lstrip("-")] = Fill(value)  # the tool's validation names the unknown argument
            else:
                fills[spec.name] = Fill(coerce(spec, value, self.scene.now))
        if positional:
            sub = Reader(Utterance(" ".join(positional), self.u.known), self.scene)
            rest_fills = fill_rest(sub.u, d.spec, d.phrasings, set(), fills, self.scene, sub.slot, sub.present)
            fills = rest_fills.fills
            open_fields = [f for f in d.spec.fields if f.name not in fills]
            for k in range(len(sub.u.tokens)):
                if k in rest_fills.used:
                    continue
                spec = next((f for f in open_fields if sub.slot(f, k, k + 1) is not None), None)
                if spec is not None:
                    fills[spec.name] = sub.slot(spec, k, k + 1)  # type: ignore[assignment]
                    open_fields.remove(spec)
        return Candidate(d, fills, explicit=True, phrasing=d.name)

    # ---------------------------------------------------------------- phrasings
    def best(self, d: Declared, heads: int = HEADS) -> Candidate | None:
        """The tool's best reading of the message, or None when no phrasing matches.

        The few best-aligned phrasings are each completed with what the rest of the message gives
        (``fill_rest``); the one that then explains the most wins.
        """
        found: list[Alignment] = []
        for p in d.phrasings:
            a = align(
                p, self.u, lambda name, i, j, spec=d.spec: self._slot_by_name(spec, name, i, j), present=self.present
            )
            if a is not None:
                found.append(a)
        found.sort(key=lambda a: a.score, reverse=True)
        best: Candidate | None = None
        for head in found[:heads]:
            rest = fill_rest(self.u, d.spec, d.phrasings, head.used, head.fills, self.scene, self.slot, self.present)
            unexplained = sum(1 for k, t in enumerate(self.u.tokens) if k not in rest.used and not is_filler(t.low))
            quality = sum(f.quality for f in rest.fills.values())
            c = Candidate(d, rest.fills, unexplained, quality, head.literals, phrasing=head.phrasing, used=rest.used)
            c.anchored = self.anchored(c)
            c.led = self.first_content is not None and self.first_content in c.used
            if best is None or c.key > best.key:
                best = c
        return best

    def anchored(self, c: Candidate) -> bool:
        """Something ties the message to this reading: a name the account has (or a name-shaped one),
        a value that says what it is (an instance type, a URI, a size), or a phrasing word few tools
        share. Generic words and a plain word taken for a name ("what's the weather in Seattle") do not."""
        for name, fill in c.fills.items():
            spec = c.tool.spec.field(name)
            if fill.value is None or spec is None:
                continue
            if fill.quality >= 3 or spec.kind in _TYPED:
                return True
            if fill.status == "unknown" and fill.quality >= 1:
                return True  # near a name the account has ("chatprod"): worth saying so
            if spec.kind in ("name", "id") and isinstance(fill.value, str) and re.search(r"[\d_.-]", fill.value):
                return True
        words = {t.low for k, t in enumerate(self.u.tokens) if k in c.used} | {
            t.stem for k, t in enumerate(self.u.tokens) if k in c.used
        }
        if words & self.anchors:
            return True
        # A word of the tool's own domain anywhere in the message ("evictions look bad, what should we change").
        domain = self.scene.domain_words.get(c.tool.route or "", frozenset())
        return any(t.low in domain or t.stem in domain for t in self.u.tokens)

    def _slot_by_name(self, spec: Any, name: str, i: int, j: int) -> Fill | None:
        field_spec = spec.field(name)
        return self.slot(field_spec, i, j) if field_spec is not None else None

    def candidates(self, tools: Iterable[Declared]) -> list[Candidate]:
        """Every tool's best reading, best first."""
        out = [c for d in tools if (c := self.best(d)) is not None]
        return sorted(out, key=lambda c: c.key, reverse=True)


_RECENT: dict[tuple[Any, ...], list[Candidate]] = {}


def read(u: Utterance, tools: list[Declared], scene: Scene, anchors: frozenset[str] = frozenset()) -> list[Candidate]:
    """Readings of ``u`` among ``tools``, best first (an explicit command alone when it is one).
    Readings with no anchor (see ``Reader.anchored``) are dropped. The same message read again
    against the same tools and scene (the supervisor, then the specialist) is not read twice."""
    key = (u.raw, tuple(d.name for d in tools), id(tools[0]) if tools else 0, _scene_key(scene), anchors)
    if key not in _RECENT:
        if len(_RECENT) > 32:
            _RECENT.clear()
        _RECENT[key] = _read(u, tools, scene, anchors)
    return [replace(c, fills=dict(c.fills), used=set(c.used)) for c in _RECENT[key]]


def _scene_key(scene: Scene) -> str:
    return json.dumps([scene.names, scene.memory, scene.act, scene.now.isoformat()], sort_keys=True, default=str)


def _read(u: Utterance, tools: list[Declared], scene: Scene, anchors: frozenset[str]) -> list[Candidate]:
    reader = Reader(u, scene, anchors)
    command = reader.command(tools)
    if command is not None:
        return [command]
    return [c for c in reader.candidates(tools) if c.anchored]


def tied(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates that tie with the best one on everything but their effect."""
    if not candidates:
        return []
    top = candidates[0].key[:-1]
    return [c for c in candidates if c.key[:-1] == top]
