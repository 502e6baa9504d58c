"""Text of a chat message made ready for the offline parser: cleaned, tokenised, fuzzy-matchable.

People type commands with a bot prefix, odd case, punctuation and typos. ``Utterance`` keeps the
original text (names keep their case) next to a lower-case copy of the same length, so a match
found in the lower-case text can be cut out of the original.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from agent.models.units import normalise_numbers

# A Slack mention, the slash command or a "!" in front of a command carry no meaning.
_PREFIX = re.compile(r"^\s*(?:<@[A-Z0-9]+>\s*|/opsbot\b\s*|@?opsbot\b[\s,:]*|!\s*)+", re.IGNORECASE)
# Separators between tokens. Dots, colons, slashes, hyphens and underscores stay inside tokens
# (instance types, URIs, names); trailing sentence punctuation is stripped afterwards.
_TOKEN = re.compile(r"[^\s,;()\[\]{}<>\"'`]+")
_TRAILING = ".:!?"
_CONTRACTIONS = [
    (re.compile(r"\b(what|how|where|who|that|there)s\b", re.I), r"\1 is"),  # "whats up", typed without '

    (re.compile(r"\b(what|how|where|who|that|it|there|here|which)'s\b", re.I), r"\1 is"),
    (re.compile(r"\b(\w+)n't\b", re.I), r"\1 not"),
    (re.compile(r"\b(\w+)'re\b", re.I), r"\1 are"),
    (re.compile(r"\b(\w+)'ll\b", re.I), r"\1 will"),
    (re.compile(r"\b(\w+)'d\b", re.I), r"\1 would"),
]


def strip_prefix(text: str) -> str:
    """The message without a bot mention, ``/opsbot`` or ``!`` in front."""
    return _PREFIX.sub("", text, count=1).strip()


def flatten_json(text: str) -> str:
    """A pasted JSON object as ``key=value`` pairs: '{"endpoint_name": "x", "instance_count": 3}'
    -> "endpoint_name=x instance_count=3"."""

    def pairs(m: re.Match[str]) -> str:
        """The pairs of one object, or the text unchanged when it is no flat JSON object (or sits
        inside a list, like the value of an explicit argument)."""
        before = text[: m.start()]
        if before.count("[") > before.count("]"):
            return m.group()
        try:
            data = json.loads(m.group())
        except json.JSONDecodeError:
            return m.group()
        if not isinstance(data, dict) or not all(isinstance(v, (str, int, float)) for v in data.values()):
            return m.group()
        return " ".join(f"{k}={v}" for k, v in data.items())

    return re.sub(r"\{[^{}]*\}", pairs, text)


def expand_contractions(text: str) -> str:
    """ "how's" -> "how is", "don't" -> "do not": phrasings use the long forms."""
    for rx, repl in _CONTRACTIONS:
        text = rx.sub(repl, text)
    return text


def lower_same_length(text: str) -> str:
    """Lower case, one character for one character, so offsets stay valid in the original."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def stem(word: str) -> str:
    """A crude root, applied to both sides of every comparison: plurals, -ing, -ed and a final e go
    ("scaling", "scaled", "scales" and "scale" are all "scal"; "stopping" is "stop")."""
    w = word
    if not w.isalpha() or len(w) <= 3:
        return w
    if w.endswith("ing") and len(w) > 5:
        w = w[:-3]
    elif w.endswith("ied") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("ed") and len(w) > 4:
        w = w[:-2]
    elif w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousl":
        w = w[:-1]
    return w


def is_wordlike(word: str) -> bool:
    """Plain letters only: the tokens a typo can hide in (names and values never are)."""
    return word.isalpha()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (a swap of two letters counts once), stopping above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def fuzzy_equal(word: str, target: str) -> bool:
    """A typo of ``target``: same first letter, one slip (two in long words), both at least 4 letters."""
    if not (is_wordlike(word) and is_wordlike(target)) or word[0] != target[0]:
        return False
    if min(len(word), len(target)) < 4 or (len(word) > len(target) and word.startswith(target)):
        return False  # too short to tell, or a longer word ("server" is not a typo of "serve")
    limit = 2 if min(len(word), len(target)) >= 8 else 1
    return edit_distance(word, target, limit) <= limit


@dataclass(frozen=True)
class Token:
    """One token: its text in the original case, lower case and stemmed, and where it is."""

    raw: str
    low: str
    stem: str
    start: int
    end: int


@dataclass
class Utterance:
    """A message prepared for matching. ``known`` words are never taken as typos of others."""

    raw: str
    known: frozenset[str] = field(default_factory=frozenset)
    _phrases: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _matches: dict[tuple[str, str], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, text: str, known: frozenset[str] = frozenset()) -> Utterance:
        """Clean ``text`` (prefix, pasted JSON, number words, thousands separators) and wrap it."""
        return cls(normalise_numbers(expand_contractions(flatten_json(strip_prefix(text)))), known)

    @cached_property
    def low(self) -> str:
        """The text in lower case, same length as ``raw``."""
        return lower_same_length(self.raw)

    @cached_property
    def tokens(self) -> list[Token]:
        """Whitespace and punctuation separated tokens, sentence punctuation stripped."""
        out: list[Token] = []
        for m in _TOKEN.finditer(self.raw):
            raw, start = m.group(), m.start()
            while raw and raw[-1] in _TRAILING:
                raw = raw[:-1]
            if raw:
                low = lower_same_length(raw)
                out.append(Token(raw, low, stem(low), start, start + len(raw)))
        return out

    def word_matches(self, token: Token, word: str) -> bool:
        """True if ``token`` is ``word`` (stemmed) or an unknown word that looks like its typo."""
        key = (token.low, word)
        if key not in self._matches:
            self._matches[key] = self._word_matches(token, word)
        return self._matches[key]

    def _word_matches(self, token: Token, word: str) -> bool:
        target = stem(word)
        if token.stem == target or token.low == word:
            return True
        if token.low in self.known or token.stem in self.known:
            return False
        return fuzzy_equal(token.stem, target) or fuzzy_equal(token.low, word)

    def find_phrase(self, phrase: str) -> list[int]:
        """Token indexes where ``phrase`` (one or more words, hyphen or space joined) starts."""
        if phrase not in self._phrases:
            self._phrases[phrase] = self._find_phrase(phrase)
        return self._phrases[phrase]

    def _find_phrase(self, phrase: str) -> list[int]:
        words = phrase.split()
        hits: list[int] = []
        n = len(words)
        for i in range(len(self.tokens) - n + 1):
            if all(self.word_matches(self.tokens[i + k], words[k]) for k in range(n)):
                hits.append(i)
        if n > 1:  # "kv cache" also matches the single token "kv-cache" or "kvcache"
            for joined in ("-".join(words), "".join(words)):
                hits += [i for i, t in enumerate(self.tokens) if t.low == joined or t.stem == stem(joined)]
        return sorted(set(hits))

    def has(self, phrase: str) -> bool:
        """True if the phrase occurs anywhere."""
        return bool(self.find_phrase(phrase))

