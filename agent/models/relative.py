"""Counts said relative to what is there: "double it", "add two more", "one fewer", "halve it".

The new count is worked out from the current one (the last call's, or what the last read showed of
the resource in focus); without a current count the change is not guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CHANGES: list[tuple[re.Pattern[str], Callable[[int, int], int]]] = [
    (re.compile(r"\b(?:double|twice\s+as\s+many|x\s*2)\b", re.I), lambda cur, n: cur * 2),
    (re.compile(r"\b(?:halve|half\s+as\s+many|cut\s+(?:it\s+)?in\s+half)\b", re.I), lambda cur, n: cur // 2),
    (
        re.compile(r"\b(?:add|another|plus|\+)\s*(\d+)(?:\s+more)?\b|\b(\d+)\s+more\b", re.I),
        lambda cur, n: cur + n,
    ),
    (
        re.compile(r"\b(?:remove|drop|take\s+away|minus|subtract)\s+(\d+)\b|\b(\d+)\s+(?:fewer|less)\b", re.I),
        lambda cur, n: cur - n,
    ),
]


def relative_count(text: str) -> Callable[[int], int] | None:
    """A function from the current count to the one the message asks for, or None."""
    for rx, change in _CHANGES:
        m = rx.search(text)
        if m:
            number = next((int(g) for g in m.groups() if g), 0) if m.groups() else 0
            return lambda current, change=change, number=number: change(current, number)
    return None
