"""The offline model: a deterministic ChatOps parser behind LangChain's chat model interface.

It needs no network and no credentials, and it answers the graph exactly as a Bedrock model
would: bound to ``route_request`` it routes; bound to a specialist's tools it returns one tool
call, a question back, a one-line error, a summary of tool results, or a plain "I did not
understand". Its grammar is derived from the toolsets it is given (``agent.models.grammar``);
the graph's context message gives it the account's names and the thread's memory
(``agent.models.scene``). See ``agent.models.dialogue`` for the message shapes and
``agent.models.turn`` for how one message is read.
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
from pydantic import Field, PrivateAttr

from agent.models.grammar import Grammar
from agent.models.turn import respond


class OfflineChatModel(BaseChatModel):
    """Deterministic ChatOps parser over the declarations of ``toolsets`` (default: the registry's).

    ``clock`` fixes "now" for relative dates (tests, evals).
    """

    clock: Callable[[], datetime] | None = Field(default=None, exclude=True)
    toolsets: Sequence[Any] | None = Field(default=None, exclude=True)
    _grammar: Grammar | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "opsbot-offline"

    @property
    def grammar(self) -> Grammar:
        """The grammar of this model's toolsets, built on first use."""
        if self._grammar is None:
            if self.toolsets is None:
                from agent.toolbox import default_toolsets

                self.toolsets = default_toolsets()
            self._grammar = Grammar.of(self.toolsets)
        return self._grammar

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools as a chat model does; the parser reads their names and JSON schemas."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        now = self.clock() if self.clock else datetime.now(UTC)
        message = respond(messages, kwargs.get("tools") or [], self.grammar, now)
        message.response_metadata["model_name"] = self._llm_type
        return ChatResult(generations=[ChatGeneration(message=message)])
