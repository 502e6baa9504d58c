"""What a model is shown of a thread: its messages, made well-formed and kept small.

Bedrock's Converse API refuses a conversation in which a toolUse is not answered by a toolResult in
the next user message, a toolResult has no toolUse, or roles do not alternate. A thread breaks those
rules when a write waits for its approval across later messages, when a turn fails half-way, or when
a checkpoint predates these rules; one refused request would break the thread for good. So every
call a model asked for is shown closed:

- a write that went to approval is closed at the gate with "awaiting approval ap-..." (a tool message
  marked with its approval id, ``APPROVAL``); once decided, the same result shows the outcome, read
  from the approval record (the source of truth, whichever front end decided it): ran and its result,
  failed (``status: error``), rejected, withdrawn, expired or superseded;
- a call no result was recorded for (a failed turn) is closed as not run, and a turn that ended
  without an answer is marked, so its text is never read as part of the next message;
- a result with no call before it is left out.

Large results of earlier turns (a 1,000-row listing) are shortened for later calls; the person saw
them in full when they were read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

APPROVAL = "opsbot_approval"  # additional_kwargs key of the tool message that closes a write at the gate
FAILED_TURN = "(opsbot could not finish answering that message; nothing more was done about it.)"
NOT_RUN = "not run: the turn ended before this call ran"
KEEP_CHARS = 2000  # how much of an earlier turn's long text later calls still carry


def awaiting(approval_id: str, tool: str, summary: str, call_id: str) -> ToolMessage:
    """The result that closes a write at the gate: it waits for approval ``approval_id``."""
    text = f"awaiting approval {approval_id}: {tool} would {summary}. Nothing has run; it runs only once approved."
    return ToolMessage(text, tool_call_id=call_id, name=tool, additional_kwargs={APPROVAL: approval_id})


def outcome(record: Any) -> tuple[str, str]:
    """(text, status) of a decided request, for the tool result of its call."""
    who = record.decisions[-1].user if record.decisions else "someone"
    first = (record.reply or "").strip()
    match record.status:
        case "pending":
            return f"awaiting approval {record.id}; nothing has run yet.", "success"
        case "approved" | "executing":
            return f"{record.id} was approved by {', '.join(record.approved_by) or who} and is running.", "success"
        case "executed":
            ran = f"{record.id} was approved by {', '.join(record.approved_by) or who} and ran"
            return f"{ran}: {first}" if first else f"{ran}.", "success"
        case "failed":
            return f"{record.id} was approved and failed: {record.error or 'unknown error'}", "error"
        case "rejected":
            return f"{record.id} was rejected by {who}; nothing ran.", "success"
        case "withdrawn":
            return f"{record.id} was withdrawn by {record.requester}; nothing ran.", "success"
        case "expired":
            return f"{record.id} expired at {record.expires_at} without a decision; nothing ran.", "success"
        case "superseded":
            return f"{record.id} was superseded by {record.replaced_by}; nothing ran.", "success"
    return f"{record.id} is {record.status}; nothing ran.", "success"


def for_model(messages: Sequence[BaseMessage], approvals: Any = None, keep: int = KEEP_CHARS) -> list[BaseMessage]:
    """The thread as a model may be shown it: well-formed for Converse, decided writes closed with their
    outcome (from ``approvals``, an ``ApprovalService``), failed turns marked, earlier long texts shortened."""
    convo = [m for m in messages if not isinstance(m, SystemMessage)]
    last_human = max((i for i, m in enumerate(convo) if isinstance(m, HumanMessage)), default=len(convo))
    out: list[BaseMessage] = []
    open_calls: dict[str, str] = {}  # id -> tool name of the latest AI message's calls not yet answered

    def close_open() -> None:
        for call_id, name in open_calls.items():
            out.append(ToolMessage(NOT_RUN, tool_call_id=call_id, name=name, status="error"))
        open_calls.clear()

    for i, m in enumerate(convo):
        earlier = i < last_human
        if isinstance(m, ToolMessage):
            if m.tool_call_id not in open_calls:
                continue  # no call of the message before asked for it (e.g. a second result for one call)
            open_calls.pop(m.tool_call_id)
            out.append(_shown_result(m, approvals, keep if earlier else None))
            continue
        if open_calls:
            close_open()
        if isinstance(m, HumanMessage):
            if out and not (isinstance(out[-1], AIMessage) and not out[-1].tool_calls):
                out.append(AIMessage(FAILED_TURN))  # the turn before ended without an answer
            out.append(m)
        elif isinstance(m, AIMessage):
            if not out:
                continue  # a conversation starts with the person
            if earlier and not m.tool_calls:
                m = _shortened(m, keep)
            if not m.tool_calls and not _text(m).strip():
                continue  # nothing to show; an empty text block is refused
            out.append(m)
            open_calls = {c["id"]: c["name"] for c in m.tool_calls if c.get("id")}
        else:
            out.append(m)
    if open_calls:
        close_open()
    return out


def _shown_result(m: ToolMessage, approvals: Any, keep: int | None) -> ToolMessage:
    approval_id = (m.additional_kwargs or {}).get(APPROVAL)
    if approval_id and approvals is not None:
        try:
            record = approvals.get(approval_id)
        except Exception:  # a record gone from the store: the result as written at the gate
            record = None
        if record is not None and record.status != "pending":
            text, status = outcome(record)
            return m.model_copy(update={"content": text, "status": status})
    if not _text(m).strip():
        return m.model_copy(update={"content": "(no output)"})
    return _shortened(m, keep) if keep is not None else m


def _text(m: BaseMessage) -> str:
    if isinstance(m.content, str):
        return m.content
    return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in m.content)


def _shortened(m: BaseMessage, keep: int) -> Any:
    """``m`` with at most ``keep`` characters of text, cut at a line, saying how much was left out."""
    text = _text(m)
    if len(text) <= keep:
        return m
    lines = text.splitlines()
    kept: list[str] = []
    size = 0
    for line in lines:
        if size + len(line) + 1 > keep and kept:
            break
        kept.append(line[:keep])
        size += len(line) + 1
    left = len(lines) - len(kept)
    note = f"[... {left} more line(s) ({len(text) - size:,} characters) shown to the person then, not repeated here]"
    return m.model_copy(update={"content": "\n".join([*kept, note])})
