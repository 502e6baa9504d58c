"""The offline model: a deterministic ChatOps parser behind LangChain's chat model interface.

It needs no network and no credentials, and it answers the graph exactly as a Bedrock model
would: bound to ``route_request`` it routes; bound to a specialist's tools it returns one tool
call, a question for a missing required argument, a summary of tool results, or a plain "I did
not understand". See ``agent.models.dialogue`` for the message shapes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

from agent.models import dialogue, references, routing
from agent.models.extract import extract
from agent.models.intent import Intent, best_intent, parse_command
from agent.models.routing import cost_route, family_routes, route, strong_request, tool_domain
from agent.models.schema import ToolSpec
from agent.models.text import Utterance
from agent.models.vocabulary import CANCEL_PHRASES, known_words
from agent.tool_schemas import FOCUS, focus_of


class OfflineChatModel(BaseChatModel):
    """Deterministic ChatOps parser. ``clock`` fixes "now" for relative dates (tests, evals)."""

    clock: Callable[[], datetime] | None = Field(default=None, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "opsbot-offline"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as a chat model does; the parser reads their JSON schemas."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        specs = [ToolSpec.from_openai(t) for t in kwargs.get("tools") or []]
        now = self.clock() if self.clock else datetime.now(UTC)
        message = respond(messages, specs, now)
        message.response_metadata["model_name"] = self._llm_type
        return ChatResult(generations=[ChatGeneration(message=message)])


def respond(messages: list[BaseMessage], specs: list[ToolSpec], now: datetime) -> AIMessage:
    """The offline model's reply to ``messages`` with ``specs`` bound."""
    msgs = dialogue.visible(messages)
    if [s.name for s in specs] == [dialogue.ROUTE_TOOL]:
        route_name, reason = _route(msgs)
        return dialogue.route_message(messages, route_name, reason, _focus(msgs, route_name))
    results = dialogue.trailing_results(msgs)
    if results:
        return dialogue.summary(results)
    h = dialogue.last_human(msgs)
    if h is None or not specs:
        return dialogue.unsupported("" if h is None else dialogue.text_of(msgs[h]), specs)
    text = dialogue.text_of(msgs[h])
    u = Utterance.of(text, known_words())
    pending = dialogue.pending_clarify(msgs)
    by_name = {s.name: s for s in specs}
    if pending and pending["tool"] in by_name:
        return _continue(messages, u, by_name[pending["tool"]], pending, specs, now)
    intent = parse_command(u, specs, now) or best_intent(u, specs, now)
    if intent is None:
        return dialogue.unsupported(text, specs)
    return _finish(messages, intent, by_name[intent.tool], u)


def _finish(messages: list[BaseMessage], intent: Intent, spec: ToolSpec, u: Utterance) -> AIMessage:
    intent.args = references.resolve(u, spec, intent.args, messages)
    missing = spec.missing(intent.args)
    if missing:
        return dialogue.clarify(spec, intent.args, missing)
    return dialogue.tool_call(messages, intent.tool, intent.args)


def _is_cancel(u: Utterance) -> bool:
    words = " ".join(t.low for t in u.tokens)
    return any(words == p or words.startswith(p + " ") for p in CANCEL_PHRASES) and len(u.tokens) <= 4


def _continue(
    messages: list[BaseMessage],
    u: Utterance,
    spec: ToolSpec,
    pending: dict[str, Any],
    specs: list[ToolSpec],
    now: datetime,
) -> AIMessage:
    """The message after opsbot's question: the answer to it, a cancel, or a new request."""
    new = parse_command(u, specs, now) or best_intent(u, specs, now)
    if new is not None and new.strong and new.tool != spec.name:
        return _finish(messages, new, next(s for s in specs if s.name == new.tool), u)
    if _is_cancel(u):
        return AIMessage(content="Cancelled; nothing was run.")
    before = dict(pending.get("args") or {})
    missing = [m for m in pending.get("missing") or [] if spec.field(m) is not None]
    found = extract(u, spec, now, answer_for=missing, seed=before)
    found.args = references.resolve(u, spec, found.args, messages)
    if new is not None and new.tool == spec.name:
        found.args = {**new.args, **found.args}
    if found.args == before:
        if new is not None and new.tool != spec.name:
            return _finish(messages, new, next(s for s in specs if s.name == new.tool), u)
        still = spec.missing(before) or missing
        return dialogue.clarify(spec, before, still, prefix="I did not catch that. ")
    return _finish(messages, Intent(spec.name, found.args), spec, u)


def _focus(msgs: list[BaseMessage], route_name: str) -> str | None:
    """Which part of a domain the request is about (training: clusters or jobs)."""
    if route_name not in FOCUS:
        return None
    pending = dialogue.pending_clarify(msgs)
    h = dialogue.last_human(msgs)
    u = Utterance.of(dialogue.text_of(msgs[h]) if h is not None else "", known_words())
    if pending is not None and not strong_request(u):
        return focus_of(str(pending["tool"]))
    return routing.focus(u, FOCUS[route_name])


def _route(msgs: list[BaseMessage]) -> tuple[str, str]:
    h = dialogue.last_human(msgs)
    if h is None:
        return "none", "no request"
    u = Utterance.of(dialogue.text_of(msgs[h]), known_words())
    pending = dialogue.pending_clarify(msgs)
    if pending is None or strong_request(u):
        return route(u)
    # An answer to opsbot's question goes back to the specialist that asked it.
    domain = tool_domain(str(pending["tool"]))
    reason = f"answers the question about {', '.join(pending.get('missing') or [])}"
    if domain == "cost":
        args = pending.get("args") if isinstance(pending.get("args"), dict) else None
        if family_routes(u) or (args and args.get("instance_type")):
            return cost_route(u, args), reason
        return cost_route(Utterance.of(dialogue.pending_request(msgs), known_words())), reason
    return (domain, reason) if domain != "none" else route(u)
