"""Which tool a request is for: explicit commands first, then vocabulary scores over the bound tools.

A command is a tool name (typos forgiven) followed by ``key=value``, ``--key value`` or bare
values: ``create_hyperpod_cluster cluster_name=demo instance_type=trn2.48xlarge instance_count=2``.
A plain request is scored per tool: nouns (2), verbs (1), cues (0.5 each, at most 1), how many of
the tool's arguments it mentions (0.25 each, at most 1), and whether it names the resource the
tool needs. A tool qualifies only with a noun, a strong verb, or a verb and the resource's name.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from difflib import get_close_matches
from typing import Any

from agent.models.coerce import coerce, match_field
from agent.models.extract import evidence, extract
from agent.models.names import strict_ok
from agent.models.schema import ToolSpec
from agent.models.text import Utterance
from agent.models.values import Found, find_instance_types, find_uris
from agent.models.vocabulary import all_nouns, words_for


@dataclass
class Intent:
    """A chosen tool with the arguments found and the required ones still missing."""

    tool: str
    args: dict[str, Any]
    missing: list[str] = field(default_factory=list)
    score: float = 0.0
    explicit: bool = False
    verb: bool = False
    noun: bool = False

    @property
    def strong(self) -> bool:
        """A complete request on its own (a command, or an action and a resource)."""
        return self.explicit or (self.verb and self.noun)


@dataclass(frozen=True)
class Score:
    """How well a request's words fit one tool's vocabulary."""

    tool: str
    total: float
    verb: bool
    noun: bool
    strong: bool


def vocab_score(u: Utterance, tool: str) -> Score:
    """Score of ``u`` for ``tool`` from the vocabulary alone (no schema needed)."""
    w = words_for(tool)
    shadow = _shadowed(u)
    covered = {i + k for n in w.nouns for i in u.find_phrase(n) if (i, n) not in shadow for k in range(len(n.split()))}
    # A word inside a noun phrase is not also a verb: "training run" is a noun, not "run".
    verb = any(i not in covered for v in w.verbs for i in u.find_phrase(v))
    noun = bool(covered)
    cues = min(1.0, 0.5 * sum(1 for c in w.cues if u.has(c)))
    strong = any(u.has(v) for v in w.strong)
    return Score(tool, 1.0 * verb + 2.0 * noun + cues + w.prior, verb, noun, strong)


def _shadowed(u: Utterance) -> set[tuple[int, str]]:
    """Noun hits inside a longer noun phrase of any tool: in "endpoint instance" the noun is the
    instance (sizing), not the endpoint; in "cache cluster" it is the cache, not a HyperPod cluster."""
    hits = [(i, n, len(n.split())) for n in all_nouns() for i in u.find_phrase(n)]
    return {
        (i, n) for i, n, size in hits if any(j <= i and i + size <= j + other and other > size for j, _, other in hits)
    }


def command_tool(u: Utterance, names: list[str]) -> str | None:
    """The tool a command starts with ("create_hyperpod_cluster", "/opsbot describe-endpoint", typos)."""
    if not u.tokens:
        return None
    head = u.tokens[0].low.replace("-", "_")
    if head in names:
        return head
    if "_" not in head:
        return None
    close = get_close_matches(head, names, n=1, cutoff=0.85)
    return close[0] if close else None


def parse_command(u: Utterance, specs: list[ToolSpec], now: datetime) -> Intent | None:
    """An explicit command for one of ``specs``, or None if ``u`` does not start with a tool name."""
    name = command_tool(u, [s.name for s in specs])
    if name is None:
        return None
    spec = next(s for s in specs if s.name == name)
    rest = u.raw[u.tokens[0].end :].strip()
    try:
        parts = shlex.split(rest)
    except ValueError:
        parts = rest.split()
    args: dict[str, Any] = {}
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
        spec_field = match_field(key, spec)
        if spec_field is None:
            args[key.lstrip("-")] = value  # the tool's validation names the unknown argument
        else:
            args[spec_field.name] = coerce(spec_field, value, now)
    if positional:
        missing = [f.name for f in spec.required if f.name not in args]
        found = extract(Utterance.of(" ".join(positional), u.known), spec, now, answer_for=missing, seed=args)
        args = found.args
    return Intent(name, args, [f.name for f in spec.required if f.name not in args], 10.0, explicit=True)


def name_tokens_left(u: Utterance) -> bool:
    """True if some token looks like a resource name (after instance types and URIs are set aside)."""
    found = Found()
    found.taken += [(s.start, s.end) for s in find_instance_types(u.low)]
    found.taken += [(s.start, s.end) for s in find_uris(u.raw)]
    return any(strict_ok(t, u, found) for t in u.tokens)


def best_intent(u: Utterance, specs: list[ToolSpec], now: datetime) -> Intent | None:
    """The plain-request reading of ``u`` among ``specs``, or None if no tool qualifies."""
    has_name = name_tokens_left(u)
    best: Intent | None = None
    for spec in specs:
        s = vocab_score(u, spec.name)
        found = extract(u, spec, now)
        named = [f for f in spec.required if f.kind == "name"]
        got_name = any(f.name in found.args for f in named)
        total = s.total + min(1.0, 0.25 * evidence(found, spec))
        if named:
            total += 0.75 if got_name else -0.5
        elif not spec.required and has_name:
            total -= 0.75  # a listing does not take a resource name
        complete = bool(spec.required) and all(f.name in found.args for f in spec.required)
        if complete:
            total += 0.5  # the request says everything this tool needs
        if not (s.noun or s.strong or (s.verb and (got_name or complete))):
            continue
        missing = [f.name for f in spec.required if f.name not in found.args]
        if best is None or total > best.score:
            best = Intent(spec.name, found.args, missing, total, verb=s.verb, noun=s.noun)
    return best
