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

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from langchain_aws import ChatBedrockConverse
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.utils.function_calling import convert_to_openai_tool
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
        """As ``ChatBedrockConverse.bind_tools``, and a forced choice of one named tool holds on every model.

        A model that cannot be forced to a named tool is asked for "any" tool when it can be (Mistral
        Large); one that cannot be forced at all (Llama, Cohere) is left to choose, told to answer with
        the tool's arguments as JSON if it does not call it, and its text answer is read into that call
        (``parsed_call``). So "list endpoints" is routed on Llama as on Claude (docs/models.md)."""
        supported = self.supports_tool_choice_values or ()
        named = isinstance(tool_choice, str) and tool_choice not in ("auto", "any")
        if not named or "tool" in supported:
            return super().bind_tools(tools, tool_choice=tool_choice, **kwargs)
        if "any" in supported:
            return super().bind_tools(tools, tool_choice="any", **kwargs)
        schemas = [convert_to_openai_tool(t)["function"] for t in tools]
        schema = next((f for f in schemas if f["name"] == tool_choice), None)
        bound = super().bind_tools(tools, tool_choice=None, **kwargs)
        if schema is None:
            return bound
        instruction = SystemMessage(
            f"Answer by calling the tool {schema['name']}. If you do not call it, reply with only one JSON "
            f"object of its arguments (properties: {', '.join(schema['parameters'].get('properties', {}))}) "
            "and nothing else."
        )

        def choose(messages: Any) -> AIMessage:
            answer = bound.invoke([*_as_messages(messages), instruction])
            if answer.tool_calls:
                return answer
            call = parsed_call(schema, answer.text)
            return answer if call is None else AIMessage(answer.text, tool_calls=[call])

        return RunnableLambda(choose)


def _as_messages(value: Any) -> list[BaseMessage]:
    if isinstance(value, str):
        return [HumanMessage(value)]
    if hasattr(value, "to_messages"):
        return list(value.to_messages())
    return list(value)


def parsed_call(schema: dict[str, Any], text: str) -> dict[str, Any] | None:
    """A tool call of ``schema`` (an OpenAI function) read from a model's text answer: the first JSON
    object in it, else every enum argument whose one allowed value the text names as a word. None when
    the text gives neither."""
    properties: dict[str, Any] = (schema.get("parameters") or {}).get("properties") or {}
    args: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(text) if ch == "{"):
        try:
            value, _ = decoder.raw_decode(text[start:])
        except ValueError:
            continue
        if isinstance(value, dict):
            args = {k: v for k, v in value.items() if k in properties}
            break
    if not args:
        words = set(re.findall(r"[a-z0-9_-]+", text.lower()))
        for name, spec in properties.items():
            named = [v for v in spec.get("enum") or [] if isinstance(v, str) and v.lower() in words]
            if len(named) == 1:
                args[name] = named[0]
    for name, spec in properties.items():
        allowed = spec.get("enum")
        if name in args and allowed and args[name] not in allowed:
            del args[name]  # a value the tool does not take is no answer
    if not args:
        return None
    digest = hashlib.sha256(json.dumps([schema.get("name"), args], sort_keys=True).encode()).hexdigest()[:16]
    return {"name": schema["name"], "args": args, "id": f"parsed-{digest}", "type": "tool_call"}


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
