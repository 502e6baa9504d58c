"""Items a person points at in the last listed result: "the first one", "the cheapest", "#2".

The graph keeps the last result set of a listing read in the thread's memory (``ids`` in order,
and each item's data). Only the person's words pick the item; the data is read for ordering
("cheapest" sorts by the item's price in USD) and never for instructions.
"""

from __future__ import annotations

import re
from typing import Any

from agent.models.lexicon import DETERMINERS, ORDINALS, SUPERLATIVES
from agent.models.text import Token, Utterance, fuzzy_equal

_POINTER_WORDS = {"one", "option", "number", "no", "item", "#", "it", "that", "this"}
# Which fields of an item a superlative sorts by, found by how result data names them.
_SORT_FIELDS = {
    "price": re.compile(r"(usd|price|fee|cost)", re.I),
    "start": re.compile(r"(start|begin|created)", re.I),
    "size": re.compile(r"(size|bytes|count|memory)", re.I),
}


def _ordinal(t: Token) -> int | None:
    for word, index in ORDINALS.items():
        if t.low == word or (len(word) >= 5 and fuzzy_equal(t.low, word)):
            return index
    return None


def _sorted_by(items: list[dict[str, Any]], what: str, descending: bool) -> int | None:
    """Index of the item that comes first when sorted by ``what`` (price, start, size)."""
    pattern = _SORT_FIELDS[what]
    keys = [k for k in (items[0] if items else {}) if pattern.search(k)]
    key = next((k for k in keys if isinstance(items[0].get(k), (int, float, str))), None)
    if key is None:
        return None
    present = [(i, it.get(key)) for i, it in enumerate(items) if it.get(key) is not None]
    if not present:
        return None
    return (max if descending else min)(present, key=lambda p: p[1])[0]


def pick_item(toks: list[Token], results: dict[str, Any], nouns: tuple[str, ...], u: Utterance) -> str | None:
    """The id of the listed item ``toks`` point at, or None when they point at none."""
    ids: list[str] = list(results.get("ids") or [])
    items: list[dict[str, Any]] = list(results.get("items") or [])
    if not ids:
        return None
    words = [t for t in toks if t.low not in DETERMINERS]
    noun_words = {w for n in nouns for w in n.split()}
    rest = [t for t in words if not any(u.word_matches(t, w) for w in noun_words)]
    text = " ".join(t.low for t in rest)
    for phrase, (what, descending) in SUPERLATIVES.items():
        tail = set(text.split()[len(phrase.split()) :])
        if text == phrase or (text.startswith(phrase + " ") and tail <= _POINTER_WORDS):
            index = _sorted_by(items, what, descending) if len(items) == len(ids) else None
            return ids[index] if index is not None else None
    if rest and _ordinal(rest[0]) is not None and all(t.low in _POINTER_WORDS for t in rest[1:]):
        index = _ordinal(rest[0])
        assert index is not None
        return ids[index] if -len(ids) <= index < len(ids) else None
    m = re.fullmatch(r"(?:#|number |no |option |item )?(\d{1,2})", text)
    if m and 1 <= int(m.group(1)) <= len(ids):
        return ids[int(m.group(1)) - 1]
    if text in ("one", "it", "that", "that one", "this one", "this") and len(ids) == 1:
        return ids[0]
    return None
