"""The phrasing syntax of tool declarations, parsed and compiled into a small automaton.

A phrasing is what people type for a tool, with slots: ``"(scale|resize) [endpoint] {endpoint_name}
to {instance_count} [instances]"``. Words match as words, ``{field}`` is the argument ``field``,
``(a|b c)`` a choice of words or short phrases, ``[x]`` or ``[a|b]`` optional; groups nest.

``compile_phrasing`` turns one phrasing into states and edges (a word, a slot, or nothing) whose
state numbers only grow along an edge, so a matcher can walk them in order (``agent.models.align``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_TOKEN = re.compile(r"\{[^{}]*\}|[()\[\]|]|[^\s{}()\[\]|]+")


class PhrasingError(ValueError):
    """A phrasing that does not follow the syntax, with the place that broke it."""


@dataclass(frozen=True)
class Word:
    """A literal word."""

    text: str


@dataclass(frozen=True)
class Slot:
    """An argument of the tool, recognised by its kind."""

    field: str


@dataclass(frozen=True)
class Group:
    """A choice between sequences; optional when written in brackets."""

    alternatives: tuple[tuple[Node, ...], ...]
    optional: bool


Node = Word | Slot | Group


def parse(text: str) -> tuple[Node, ...]:
    """The nodes of ``text``; a syntax error raises ``PhrasingError`` naming the phrasing."""
    tokens = _TOKEN.findall(text)
    nodes, at = _sequence(tokens, 0, text, closer=None)
    if at != len(tokens):
        raise PhrasingError(f"phrasing {text!r}: unexpected {tokens[at]!r}")
    if not nodes:
        raise PhrasingError(f"phrasing {text!r} is empty")
    return nodes


def _sequence(tokens: list[str], at: int, text: str, closer: str | None) -> tuple[tuple[Node, ...], int]:
    out: list[Node] = []
    while at < len(tokens):
        tok = tokens[at]
        if tok in (")", "]", "|"):
            if closer is None:
                raise PhrasingError(f"phrasing {text!r}: {tok!r} without an opening bracket")
            return tuple(out), at
        if tok in ("(", "["):
            group, at = _group(tokens, at + 1, text, ")" if tok == "(" else "]")
            out.append(group)
            continue
        if tok.startswith("{"):
            name = tok[1:-1].strip()
            if not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise PhrasingError(f"phrasing {text!r}: slot {tok!r} is not an argument name")
            out.append(Slot(name))
        else:
            out.append(Word(tok.lower()))
        at += 1
    if closer is not None:
        raise PhrasingError(f"phrasing {text!r}: missing {closer!r}")
    return tuple(out), at


def _group(tokens: list[str], at: int, text: str, closer: str) -> tuple[Group, int]:
    alternatives: list[tuple[Node, ...]] = []
    while True:
        seq, at = _sequence(tokens, at, text, closer)
        if at >= len(tokens):
            raise PhrasingError(f"phrasing {text!r}: missing {closer!r}")
        alternatives.append(seq)
        if tokens[at] == "|":
            at += 1
            continue
        if tokens[at] != closer:
            raise PhrasingError(f"phrasing {text!r}: {tokens[at]!r} closes a group opened with the other bracket")
        if not any(alternatives) and closer == ")":
            raise PhrasingError(f"phrasing {text!r}: empty choice")
        return Group(tuple(alternatives), optional=closer == "]"), at + 1


def slots_of(nodes: tuple[Node, ...]) -> list[str]:
    """Every slot name in the phrasing, in order of appearance."""
    return [n.field for n in _leaves(nodes) if isinstance(n, Slot)]


def words_of(nodes: tuple[Node, ...]) -> list[str]:
    """Every literal word in the phrasing."""
    return [n.text for n in _leaves(nodes) if isinstance(n, Word)]


def _leaves(nodes: tuple[Node, ...]) -> list[Word | Slot]:
    """The words and slots of the phrasing, every alternative's too, in order."""
    out: list[Word | Slot] = []
    for node in nodes:
        if isinstance(node, Group):
            for alt in node.alternatives:
                out += _leaves(alt)
        else:
            out.append(node)
    return out


def check(text: str, fields: set[str]) -> list[str]:
    """Problems of one phrasing for a tool with these argument names (empty when it is fine)."""
    try:
        nodes = parse(text)
    except PhrasingError as exc:
        return [str(exc)]
    problems = [f"phrasing {text!r}: slot {{{s}}} is not an argument" for s in slots_of(nodes) if s not in fields]
    if not words_of(nodes):
        problems.append(f"phrasing {text!r} has no words, only slots")
    return problems


@dataclass(frozen=True)
class Edge:
    """One step of a compiled phrasing: a word, a slot, or nothing (``label`` None)."""

    target: int
    label: Word | Slot | None


@dataclass(frozen=True)
class Compiled:
    """A phrasing as states 0..final; ``edges[s]`` leave state ``s`` and lead to higher states."""

    text: str
    edges: tuple[tuple[Edge, ...], ...]
    final: int
    slots: tuple[str, ...]
    words: tuple[str, ...]
    needs_word: bool = True  # every way through passes a word (else slots alone can match: "{factor} {name}")


@cache
def compile_phrasing(text: str) -> Compiled:
    """The automaton of one phrasing (cached: phrasings are declared once)."""
    nodes = parse(text)
    edges: list[list[Edge]] = [[]]

    def new_state() -> int:
        """A fresh state, numbered after every existing one."""
        edges.append([])
        return len(edges) - 1

    def build(seq: tuple[Node, ...], start: int) -> int:
        """Compile ``seq`` from ``start``; returns its end state."""
        at = start
        for node in seq:
            if isinstance(node, Group):
                ends = []
                for alt in node.alternatives:
                    first = new_state()
                    edges[at].append(Edge(first, None))
                    ends.append(build(alt, first))
                end = new_state()
                for e in ends:
                    edges[e].append(Edge(end, None))
                if node.optional:
                    edges[at].append(Edge(end, None))
                at = end
            else:
                nxt = new_state()
                edges[at].append(Edge(nxt, node))
                at = nxt
        return at

    final = build(nodes, 0)
    # States reachable from the start without matching a word: when the final one is, slots alone match.
    wordless, todo = {0}, [0]
    while todo:
        for e in edges[todo.pop()]:
            if not isinstance(e.label, Word) and e.target not in wordless:
                wordless.add(e.target)
                todo.append(e.target)
    return Compiled(
        text=text,
        edges=tuple(tuple(e) for e in edges),
        final=final,
        slots=tuple(dict.fromkeys(slots_of(nodes))),
        words=tuple(dict.fromkeys(words_of(nodes))),
        needs_word=final not in wordless,
    )
