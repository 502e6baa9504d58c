"""Threads stay small: old messages leave the state, old checkpoints are pruned, memory stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent import memory as mem
from agent.models.offline import OfflineChatModel
from agent.service import Opsbot
from tests.agent.toy import Sea, registered, toolsets
from tools.config import Settings


@pytest.fixture
def bot(settings: Settings) -> Iterator[Opsbot]:
    """opsbot over the toy toolsets, keeping three turns of conversation."""
    sets = toolsets(Sea())
    kept = settings.model_copy(update={"history_turns": 3})
    with registered(*sets):
        yield Opsbot(kept, model=OfflineChatModel(toolsets=sets), toolsets=sets)


def _messages(bot: Opsbot, thread: str) -> list[object]:
    return bot.graph.get_state({"configurable": {"thread_id": thread}}).values["messages"]


def test_older_messages_are_cut_at_a_turns_start() -> None:
    # GIVEN three turns, the second with a tool call and its result
    turns = [
        HumanMessage("one", id="h1"),
        AIMessage("a1", id="a1"),
        HumanMessage("two", id="h2"),
        AIMessage("", id="a2", tool_calls=[{"name": "t", "args": {}, "id": "c1"}]),
        ToolMessage("r", tool_call_id="c1", id="t2"),
        AIMessage("a2b", id="a2b"),
        HumanMessage("three", id="h3"),
    ]
    # WHEN two turns are kept THEN only the first turn goes; keeping three or more drops nothing
    assert mem.older_messages(turns, 2) == ["h1", "a1"]
    assert mem.older_messages(turns, 1) == ["h1", "a1", "h2", "a2", "t2", "a2b"]
    assert mem.older_messages(turns, 3) == [] and mem.older_messages(turns, 9) == []


def test_a_long_thread_keeps_its_last_turns_and_one_checkpoint(bot: Opsbot) -> None:
    # GIVEN a thread about one boat, then many more turns
    first = bot.ask("describe demo boat", user="dave")
    thread = first.thread
    sizes = []
    for _ in range(12):
        assert bot.ask("list boats", user="dave", thread=thread).ok
        sizes.append(bot.stores.checkpointer.size_of_thread(thread))
    # THEN the state holds three turns' messages, starting at a human message
    messages = _messages(bot, thread)
    assert sum(isinstance(m, HumanMessage) for m in messages) == 3
    assert isinstance(messages[0], HumanMessage)
    # AND the store holds one checkpoint for the thread, whose size stopped growing
    rows = bot.stores.checkpointer.conn.execute(
        "SELECT count(*) FROM checkpoints WHERE thread_id = ?", (thread,)
    ).fetchone()[0]
    assert rows == 1
    assert max(sizes[5:]) <= 1.5 * min(sizes[5:])  # flat (a 12-turn history would be 4x a 3-turn one)
    # AND the thread memory still has its turn count and what the thread was about
    memory = bot.graph.get_state({"configurable": {"thread_id": thread}}).values["memory"]
    assert memory["turn"] == 13


def test_the_memory_outlives_the_trimmed_messages(bot: Opsbot) -> None:
    # GIVEN a boat in focus, then more turns than the conversation keeps, none naming a boat
    first = bot.ask("describe demo boat", user="dave")
    for _ in range(4):
        bot.ask("what can you do?", user="dave", thread=first.thread)
    assert not any("demo" in str(m.content) for m in _messages(bot, first.thread) if isinstance(m, HumanMessage))
    # WHEN a follow-up leans on the focus THEN it still finds the boat
    result = bot.ask("scale it to 2", user="dave", thread=first.thread)
    assert result.tool_calls and result.tool_calls[0].args == {"boat_name": "demo", "crew_count": 2}


def test_an_interrupted_request_still_resumes_after_pruning(bot: Opsbot) -> None:
    # GIVEN a request waiting for approval (the thread stops at its interrupt; older checkpoints pruned)
    asked = bot.ask("describe demo boat", user="dave")
    pending = bot.ask("scale it to 2", user="dave", thread=asked.thread)
    assert pending.approval.status == "pending"
    # WHEN an approver approves THEN the run resumes from the one checkpoint left and the call runs once
    done = bot.decide(str(pending.approval.id), user="alice", approve=True)
    assert done.approval.status == "executed", done.reply
