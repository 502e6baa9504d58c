"""What the offline model knows about the conversation besides the words: the scene of a turn.

The graph reads the account's resource names once per turn and keeps the thread's memory (the
resource in focus, the last call, the last listed results, the pending request, an open
question). It hands both to the model in a system message (``CONTEXT`` in its additional
kwargs); the Bedrock model reads the same facts as text. ``Scene`` is that context as the
recognisers use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

CONTEXT = "opsbot_context"


@dataclass
class Scene:
    """Names in the account, the thread's memory and the clock, for one reading of a message."""

    now: datetime
    names: dict[str, list[str]] = field(default_factory=dict)  # resource kind -> names (read this turn)
    nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resource kind -> how people call it
    memory: dict[str, Any] = field(default_factory=dict)
    act: str | None = None  # the dialogue act the graph read ("question", "follow-up", ...)
    known: frozenset[str] = frozenset()  # words of the grammar: never read as a name or as a typo
    listed: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> name -> listed facts
    descriptive: frozenset[str] = frozenset()  # domain words and nouns: "the pretrain job" names no job
    domain_words: dict[str, frozenset[str]] = field(default_factory=dict)  # route -> its keywords

    @property
    def focus(self) -> dict[str, Any] | None:
        """The resource the thread is about: {"kind", "name"}."""
        focus = self.memory.get("focus")
        return focus if isinstance(focus, dict) and focus.get("name") else None

    @property
    def results(self) -> dict[str, Any] | None:
        """The last listed result set: {"tool", "items", "ids"}."""
        results = self.memory.get("results")
        return results if isinstance(results, dict) and results.get("ids") else None

    def kinds_of_name(self, name: str) -> list[str]:
        """Resource kinds that have a resource called ``name`` (case-insensitive)."""
        low = name.lower()
        return [kind for kind, names in self.names.items() if any(n.lower() == low for n in names)]

    def knows(self, kind: str | None) -> bool:
        """True when the names of ``kind`` were read this turn (so an unknown name is really unknown)."""
        return kind is not None and kind in self.names


def context_of(messages: list[BaseMessage]) -> dict[str, Any]:
    """The graph's context for this turn, from the last system message that carries it."""
    for m in reversed(messages):
        if isinstance(m, SystemMessage) and isinstance(m.additional_kwargs.get(CONTEXT), dict):
            return m.additional_kwargs[CONTEXT]
    return {}


def context_message(text: str, data: dict[str, Any]) -> SystemMessage:
    """A system message with the context as text (for Bedrock) and as data (for the offline model)."""
    return SystemMessage(text, additional_kwargs={CONTEXT: data})
