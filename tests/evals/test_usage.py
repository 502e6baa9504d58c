"""Model usage: tokens from response usage metadata, counted per case, priced for Bedrock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from evals.usage import cost_usd, metered, prices_for


def _model(n: int) -> GenericFakeChatModel:
    reply = AIMessage(
        "ok",
        usage_metadata={"input_tokens": 1200, "output_tokens": 80, "total_tokens": 1280},
        response_metadata={"model_name": "anthropic.claude-sonnet-4-5"},
    )
    return GenericFakeChatModel(messages=iter([reply] * n))


def test_metered_counts_calls_and_tokens_including_worker_threads() -> None:
    # GIVEN a chat model whose responses carry usage metadata
    model = _model(3)
    # WHEN it is called twice here and once in a thread that copies the context (as LangGraph does)
    with metered() as usage:
        model.invoke("a")
        model.invoke("b")
        with ThreadPoolExecutor(1) as pool:
            pool.submit(copy_context().run, model.invoke, "c").result()
    model_outside = _model(1)
    model_outside.invoke("not counted")
    # THEN all three calls and their tokens are counted, and nothing after the block
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (3, 3600, 240)
    assert usage.models == {"anthropic.claude-sonnet-4-5"}


def test_bedrock_prices(monkeypatch: pytest.MonkeyPatch) -> None:
    assert prices_for("bedrock:us.anthropic.claude-sonnet-4-5-20250929-v1:0") == (3.0, 15.0)
    assert cost_usd("bedrock:amazon.nova-pro-v1:0", 1_000_000, 100_000) == pytest.approx(0.8 + 0.32)
    assert cost_usd("offline", 10, 10) == 0.0
    assert cost_usd("bedrock:some.unknown-model", 10, 10) is None
    monkeypatch.setenv("OPSBOT_EVAL_PRICE", "2,4")
    assert cost_usd("bedrock:some.unknown-model", 500_000, 250_000) == pytest.approx(2.0)
