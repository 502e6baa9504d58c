"""Aligning one compiled phrasing with a message: which words match, which spans fill which slots.

The alignment walks the phrasing's states and the message's tokens together. A phrasing word
matches one token (stems and typos forgiven); a slot takes a span its kind's recogniser explains
in full; any token may be skipped, at no cost when it is a filler word ("please", "the", "can")
and at the cost of one unexplained token otherwise. The best alignment explains the most of the
message, then uses the names the account has, then matches the most phrasing words: coverage of
what the person wrote, not a tuned weight.

``strict`` alignments (an argument's cue found in what is left of a message, e.g. "over {size}")
may skip filler words inside but no content, and never reuse tokens of another alignment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from agent.models.lexicon import FILLER
from agent.models.phrasing import Compiled, Slot, Word
from agent.models.slots import Fill
from agent.models.text import Utterance

MAX_SLOT_TOKENS = 6
Score = tuple[int, int, int]  # (-unexplained, quality, phrasing words matched)


@dataclass
class Alignment:
    """How a phrasing explains a message."""

    phrasing: str
    fills: dict[str, Fill] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)  # tokens taken by phrasing words and slots
    unexplained: int = 0
    quality: int = 0
    literals: int = 0

    @property
    def score(self) -> Score:
        """Higher is better."""
        return (-self.unexplained, self.quality, self.literals)


def is_filler(word: str) -> bool:
    """A token that carries no content (it may be skipped anywhere)."""
    return word in FILLER or not any(c.isalnum() for c in word)


def align(
    phrasing: Compiled,
    u: Utterance,
    slot: Callable[[str, int, int], Fill | None],
    blocked: frozenset[int] = frozenset(),
    strict: bool = False,
    present: Callable[[str], bool] | None = None,
) -> Alignment | None:
    """The best alignment of ``phrasing`` with ``u``, or None when it cannot match.

    ``slot(field, i, j)`` recognises tokens ``i..j`` as the argument ``field``; ``blocked`` tokens
    belong to another alignment and may only be skipped outside this one. ``present(word)`` says
    whether a word occurs at all: a phrasing with none of its words present is not tried.
    """
    if present is not None and phrasing.needs_word and phrasing.words and not any(present(w) for w in phrasing.words):
        return None
    toks = u.tokens
    n = len(toks)
    states = len(phrasing.edges)
    NONE: Score | None = None
    best: list[list[Score | None]] = [[NONE] * (n + 1) for _ in range(states)]
    back: list[list[tuple[int, int, str, object] | None]] = [[None] * (n + 1) for _ in range(states)]
    best[0][0] = (0, 0, 0)

    def offer(s: int, i: int, score: Score, how: tuple[int, int, str, object]) -> None:
        """Keep ``score`` for (state, token) if it beats what is there."""
        current = best[s][i]
        if current is None or score > current:
            best[s][i] = score
            back[s][i] = how

    for i in range(n + 1):
        for s in range(states):
            score = best[s][i]
            if score is None:
                continue
            # Skip token i: free outside the phrasing (strict) or for a filler word, else one unexplained.
            if i < n:
                outside = s == 0 or s == phrasing.final
                if i in blocked:
                    if outside:
                        offer(s, i + 1, score, (s, i, "gap", 0))
                elif is_filler(toks[i].low):
                    offer(s, i + 1, score, (s, i, "gap", 0))
                elif outside:
                    # Outside a strict (cue) alignment the rest of the message is someone else's business.
                    cost = 0 if strict else 1
                    offer(s, i + 1, (score[0] - cost, score[1], score[2]), (s, i, "gap", cost))
                elif not strict:
                    offer(s, i + 1, (score[0] - 3, score[1], score[2]), (s, i, "gap", 1))
            for edge in phrasing.edges[s]:
                if edge.label is None:
                    offer(edge.target, i, score, (s, i, "eps", None))
                elif isinstance(edge.label, Word):
                    if i < n and i not in blocked and u.word_matches(toks[i], edge.label.text):
                        offer(edge.target, i + 1, (score[0], score[1], score[2] + 1), (s, i, "word", None))
                elif isinstance(edge.label, Slot):
                    for j in range(i + 1, min(n, i + MAX_SLOT_TOKENS) + 1):
                        if j - 1 in blocked:
                            break
                        fill = slot(edge.label.field, i, j)
                        if fill is not None:
                            offer(edge.target, j, (score[0], score[1] + fill.quality, score[2]), (s, i, "slot", fill))
    end = best[phrasing.final][n]
    if end is None:
        return None
    return _trace(phrasing, back, n)


def _trace(phrasing: Compiled, back: list[list[tuple[int, int, str, object] | None]], n: int) -> Alignment:
    """Follow the back pointers from the end to collect fills, used tokens and counts."""
    out = Alignment(phrasing.text)
    s, i = phrasing.final, n
    while (s, i) != (0, 0):
        how = back[s][i]
        assert how is not None
        ps, pi, kind, payload = how
        if kind == "gap":
            out.unexplained += int(payload)  # type: ignore[call-overload]
        elif kind == "word":
            out.used.add(pi)
            out.literals += 1
        elif kind == "slot":
            fill = payload
            assert isinstance(fill, Fill)
            edge = next(e for e in phrasing.edges[ps] if isinstance(e.label, Slot) and e.target == s)
            assert isinstance(edge.label, Slot)
            out.fills[edge.label.field] = fill
            out.used.update(range(pi, i))
            out.quality += fill.quality
        s, i = ps, pi
    return out
