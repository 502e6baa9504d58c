"""The Bedrock back end: ``ChatBedrockConverse`` on opsbot's own bedrock-runtime client.

Retries: botocore's own retries are switched off on this client and throttling is retried by
tenacity around the whole Converse call (random exponential backoff, bounded by
``settings.aws_max_attempts`` and ``settings.retry_max_seconds``). Reasons: one retry layer
(botocore and tenacity together would multiply attempts), the same policy and settings as the
tool clients in ``tools.aws``, a log line per retry, and a retry that botocore's Stubber can
test (the Stubber answers before botocore's retry handler runs, so botocore retries are not
testable offline). A Converse call has no side effect, so repeating it is safe.

This client is not a guarded tool client: Converse is not an AWS change and needs no approval.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from tenacity import Retrying, before_sleep_log, retry_if_exception, stop_after_attempt, wait_random_exponential

from tools.aws import is_retryable
from tools.config import Settings

log = logging.getLogger("opsbot.bedrock")

# Bedrock-specific transient errors on top of the throttling and 5xx codes tools.aws retries.
BEDROCK_TRANSIENT = frozenset({"ModelNotReadyException", "ModelTimeoutException", "ServiceUnavailableException"})
# Model families whose toolResult may say ``status: error`` (Bedrock's ToolResultBlock reference).
TOOL_STATUS_MODELS = ("anthropic.claude", "amazon.nova")


def retryable(exc: BaseException) -> bool:
    """Throttling, 5xx, network blips and a model that is still loading are retried."""
    if isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") in BEDROCK_TRANSIENT:
        return True
    return is_retryable(exc)


class OpsbotBedrockConverse(ChatBedrockConverse):
    """``ChatBedrockConverse`` with bounded, jittered retries and a forced-tool fallback."""

    retry_attempts: int = 5
    retry_base_seconds: float = 0.5
    retry_max_seconds: float = 8.0

    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.retry_attempts),
            wait=wait_random_exponential(multiplier=self.retry_base_seconds, max=self.retry_max_seconds),
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )

    @property
    def supports_tool_status(self) -> bool:
        """True when toolResult blocks may carry ``status: error`` (Claude and Nova, see docs/models.md)."""
        return self._get_base_model().startswith(TOOL_STATUS_MODELS)

    def _sendable(self, messages: list[BaseMessage]) -> list[BaseMessage]:
        """``messages`` as this model accepts them: an error status only where it is supported (the
        text of an error result says "error:" anyway)."""
        if self.supports_tool_status:
            return messages
        return [
            m.model_copy(update={"status": "success"}) if isinstance(m, ToolMessage) and m.status == "error" else m
            for m in messages
        ]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        messages = self._sendable(messages)
        for attempt in self._retrying():
            with attempt:
                return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)
        raise AssertionError("unreachable: tenacity reraises the last error")  # pragma: no cover

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        messages = self._sendable(messages)
        # Retry only until the first chunk: after that, output has reached the caller.
        first: ChatGenerationChunk | None = None
        chunks: Iterator[ChatGenerationChunk] = iter(())
        for attempt in self._retrying():
            with attempt:
                chunks = super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)
                first = next(chunks, None)
        if first is not None:
            yield first
            yield from chunks

    def bind_tools(
        self, tools: Any, *, tool_choice: Any = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """As ``ChatBedrockConverse.bind_tools``; a model that cannot be forced to one named tool
        is asked for "any" tool instead, or left to choose, rather than failing."""
        supported = self.supports_tool_choice_values or ()
        named = isinstance(tool_choice, str) and tool_choice not in ("auto", "any")
        if named and "tool" not in supported:
            tool_choice = "any" if "any" in supported else None
        return super().bind_tools(tools, tool_choice=tool_choice, **kwargs)


_sessions: dict[str | None, boto3.Session] = {}
_sessions_lock = threading.Lock()


def _session(profile: str | None) -> boto3.Session:
    """One session per profile: a session parses the service models once, which takes a second."""
    with _sessions_lock:
        if profile not in _sessions:
            _sessions[profile] = boto3.Session(profile_name=profile) if profile else boto3.Session()
        return _sessions[profile]


def bedrock_clients(settings: Settings) -> tuple[Any, Any]:
    """(bedrock-runtime, bedrock) clients from ``settings.bedrock_profile`` in the Bedrock region."""
    session = _session(settings.bedrock_profile)
    region = settings.bedrock_region or settings.region
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},  # tenacity retries, see the module docstring
        connect_timeout=10,
        read_timeout=120,
        user_agent_extra="opsbot",
    )
    return session.client("bedrock-runtime", region_name=region, config=config), session.client(
        "bedrock", region_name=region, config=config
    )


def make_bedrock_model(settings: Settings, model_id: str, client: Any = None) -> OpsbotBedrockConverse:
    """A Converse chat model for ``model_id``; ``client`` overrides the bedrock-runtime client (tests)."""
    runtime, control = bedrock_clients(settings)
    return OpsbotBedrockConverse(
        model=model_id,
        region_name=settings.bedrock_region or settings.region,
        client=client or runtime,
        bedrock_client=control,
        temperature=0,
        retry_attempts=settings.aws_max_attempts,
        retry_base_seconds=settings.retry_base_seconds,
        retry_max_seconds=settings.retry_max_seconds,
    )
