"""Model usage during a case: calls, input and output tokens (from the responses' usage metadata), cost.

The meter is a LangChain callback made active through a context variable, so every chat model the
graph calls inside ``metered()`` reports to it without the facade knowing. The offline model may
report no usage; then tokens stay 0. Costs use the on-demand Bedrock list prices below (USD per
million tokens, us-east-1, as recorded by the opsbot team); ``OPSBOT_EVAL_PRICE="IN,OUT"``
overrides them for a model not listed or after a price change.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from typing import Any

# (model id fragment, input USD / 1M tokens, output USD / 1M tokens); first match wins.
BEDROCK_PRICES: tuple[tuple[str, float, float], ...] = (
    ("claude-opus-4-5", 5.0, 25.0),
    ("claude-opus-4", 15.0, 75.0),
    ("claude-sonnet-4", 3.0, 15.0),
    ("claude-3-7-sonnet", 3.0, 15.0),
    ("claude-3-5-sonnet", 3.0, 15.0),
    ("claude-haiku-4-5", 1.0, 5.0),
    ("claude-3-5-haiku", 0.8, 4.0),
    ("claude-3-haiku", 0.25, 1.25),
    ("nova-micro", 0.035, 0.14),
    ("nova-lite", 0.06, 0.24),
    ("nova-pro", 0.8, 3.2),
    ("nova-premier", 2.5, 12.5),
    ("llama3-3-70b", 0.72, 0.72),
)


def prices_for(model: str) -> tuple[float, float] | None:
    """Input and output price per million tokens for ``model`` (``bedrock:ID`` or an id), or None."""
    override = os.environ.get("OPSBOT_EVAL_PRICE")
    if override:
        inp, out = (float(x) for x in override.split(","))
        return inp, out
    model_id = model.removeprefix("bedrock:")
    for fragment, inp, out in BEDROCK_PRICES:
        if fragment in model_id:
            return inp, out
    return None


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """What the tokens cost on ``model``; 0 offline; None when the price is unknown."""
    if not model.startswith("bedrock:"):
        return 0.0
    prices = prices_for(model)
    if prices is None:
        return None
    return round((input_tokens * prices[0] + output_tokens * prices[1]) / 1e6, 6)


@dataclass
class Usage:
    """Model calls and tokens counted during one case."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    models: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, model: str | None, input_tokens: int, output_tokens: int) -> None:
        """Count one model response."""
        with self._lock:
            self.calls += 1
            self.input_tokens += input_tokens
            self.output_tokens += output_tokens
            if model:
                self.models.add(model)


_current: ContextVar[Any] = ContextVar("opsbot_eval_usage", default=None)
_hook_installed = False


@cache
def _handler_class() -> type:
    from langchain_core.callbacks import BaseCallbackHandler

    class UsageHandler(BaseCallbackHandler):
        """Adds each chat model response's usage metadata to a ``Usage``."""

        def __init__(self, usage: Usage) -> None:
            super().__init__()
            self.usage = usage

        def on_llm_end(self, response: Any, **_: Any) -> None:
            try:
                message = response.generations[0][0].message
            except (AttributeError, IndexError):
                self.usage.add(None, 0, 0)
                return
            meta = getattr(message, "usage_metadata", None) or {}
            model = (getattr(message, "response_metadata", None) or {}).get("model_name")
            self.usage.add(model, int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0)))

    return UsageHandler


@contextmanager
def metered() -> Iterator[Usage]:
    """Count model usage of every chat model call made in this context (and its copies)."""
    global _hook_installed
    usage = Usage()
    try:
        from langchain_core.tracers.context import register_configure_hook
    except ImportError:  # no LangChain: nothing can report usage
        yield usage
        return
    if not _hook_installed:
        register_configure_hook(_current, inheritable=True)
        _hook_installed = True
    token = _current.set(_handler_class()(usage))
    try:
        yield usage
    finally:
        _current.reset(token)
