"""The start of every turn: what the message does, and the acts that need no model.

``understand`` reads the account's names (once per turn), then the dialogue act of the message
against the thread's memory: an answer only when it fits opsbot's open question, and a question
that drops an open question says so. ``settle`` carries out confirmations and cancellations:
"yes"/"approve" decides the pending request through the approval service (never as its requester
at high or critical risk: it says why instead) or files what opsbot only showed; "cancel that"
withdraws the pending request, drops the open question, or says there is nothing to cancel.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, HumanMessage

from agent.account import facts_of_listings, read_names
from agent.approvals import ApprovalError
from agent.context import OpsbotContext
from agent.executor import run_approval
from agent.models.acts import Act
from agent.models.grammar import Grammar
from agent.models.reader_act import act_of
from agent.models.scene import Scene
from agent.state import OpsbotState
from agent.toolbox import Toolbox
from tools import runtime as tool_runtime


def last_human_text(state: OpsbotState) -> str:
    """The text of the newest human message."""
    human = next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)
    return str(human.content) if human is not None else ""


def understand(state: OpsbotState, c: OpsbotContext, box: Toolbox, g: Grammar) -> dict[str, Any]:
    """Names, dialogue act and memory bookkeeping for the new message."""
    text = last_human_text(state)
    memory = dict(state.get("memory") or {})
    memory["turn"] = int(memory.get("turn", 0)) + 1  # orders what is on the table (pending, offer)
    ctx = tool_runtime.make_context(c.settings, requester=c.user, thread=c.thread, clients=c.clients)
    names, results = read_names(box.resources, ctx)
    listed = facts_of_listings(box.resources, results)
    scene = Scene(
        now=_now(),
        names=names,
        nouns=g.nouns,
        memory=memory,
        known=g.known,
        listed=listed,
        descriptive=g.descriptive,
        domain_words=g.domain_words,
    )
    asked = memory.get("asked")
    turn = act_of(text, memory, g, scene)
    reading = turn.reading
    notes: list[str] = []
    if turn.retry and asked:
        # Neither an answer nor a request ("idk", "ASAP", a name of the wrong kind): ask once more,
        # then let the question go, so it never traps the thread.
        memory["asked"] = {**asked, "tries": int(asked.get("tries", 0)) + 1}
        return {
            "act": str(Act.ANSWER),
            "names": names,
            "listed": listed,
            "memory": memory,
            "notes": [],
            "asked_id": None,
        }
    if asked and reading.act not in (Act.ANSWER, Act.CANCELLATION):
        memory["asked"] = None
        if reading.act is not Act.CONFIRMATION:
            what = ", ".join(asked.get("missing") or []) or "which one you meant"
            about = f" about {asked['tool']}" if asked.get("tool") else ""
            notes.append(f"(I dropped my question{about}: {what}.)")
    return {
        "act": str(reading.act),
        "names": names,
        "listed": listed,
        "memory": memory,
        "notes": notes,
        "asked_id": reading.approval_id,
        "approve": reading.approve,
    }


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def route_after_understand(state: OpsbotState) -> str:
    """Confirmations and cancellations are settled here; everything else goes to the supervisor."""
    return "settle" if state.get("act") in (Act.CONFIRMATION, Act.CANCELLATION) else "supervisor"


def settle(state: OpsbotState, c: OpsbotContext, box: Toolbox) -> dict[str, Any]:
    """Carry out a confirmation or a cancellation against the thread's memory."""
    memory = dict(state.get("memory") or {})
    if state.get("act") == Act.CANCELLATION:
        return _cancel(memory, c)
    return _confirm(memory, c, box, state.get("asked_id"), approve=state.get("approve", True))


def _reply(text: str, memory: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"reply": text, "memory": memory, "messages": [AIMessage(text)], **more}


def _pending_id(memory: dict[str, Any], c: OpsbotContext) -> str | None:
    pending = memory.get("pending")
    if not pending:
        return None
    record = c.approvals.get(pending["id"])
    return record.id if record.status == "pending" else None


def _cancel(memory: dict[str, Any], c: OpsbotContext) -> dict[str, Any]:
    pending_id = _pending_id(memory, c)
    if pending_id is not None:
        record = c.approvals.withdraw(pending_id, c.user)
        memory["pending"] = None
        return _reply(
            f"Withdrew {record.id} ({record.tool}); nothing will run.",
            memory,
            approval_id=record.id,
        )
    if memory.get("asked"):
        asked = memory["asked"]
        memory["asked"] = None
        about = f" about {asked['tool']}" if asked.get("tool") else ""
        return _reply(f"OK, I dropped my question{about}; nothing was run.", memory)
    if memory.get("offer"):
        memory["offer"] = None
        return _reply("OK, nothing was filed.", memory)
    memory["pending"] = None
    return _reply("There is nothing to cancel in this thread: no request is waiting and I asked nothing.", memory)


def _confirm(
    memory: dict[str, Any], c: OpsbotContext, box: Toolbox, named: str | None, approve: bool = True
) -> dict[str, Any]:
    approval_id = named or _pending_id(memory, c)
    offer = memory.get("offer")
    if not approve:
        return _reject(memory, c, approval_id)
    # What was put on the table last is what "yes" means: a plan shown after the pending request
    # ("what would 2 cost?" ... "do that instead") is filed, and replaces it.
    newer = offer and int(offer.get("turn", 0)) > int((memory.get("pending") or {}).get("turn", -1))
    if (approval_id is None or (newer and not named)) and offer and offer.get("tool") in box.tools:
        # "do it" after a preview, "apply that" after a recommendation: file it as a request now.
        call = {"name": offer["tool"], "args": offer["args"], "id": f"offer-{len(memory)}", "type": "tool_call"}
        memory["offer"] = None
        route = box.route_of(offer["tool"]) or memory.get("route")
        return {
            "memory": memory,
            "route": route,
            "focus": box.focus_of(offer["tool"]),
            "act": Act.REQUEST.value,
            "messages": [AIMessage("", tool_calls=[call])],
        }
    if approval_id is None:
        return _reply("Nothing in this thread is waiting for a yes: there is no pending request to approve.", memory)
    try:
        record = c.approvals.get(approval_id)
    except Exception as exc:  # an unknown id: say so
        return _reply(f"error: {exc}", memory)
    reason = c.approvals.can_decide(approval_id, c.user)
    if reason:
        why = reason if c.user != record.requester else f"you filed it yourself and {reason}"
        return _reply(f"I cannot approve {approval_id} for {c.user}: {why}. Nothing ran.", memory)
    try:
        record = c.approvals.decide(approval_id, c.user, True, note="approved in the conversation")
    except ApprovalError as exc:
        return _reply(f"I cannot approve {approval_id}: {exc}. Nothing ran.", memory)
    if record.status == "pending":
        more = record.approvals_needed - len(set(record.approved_by))
        text = f"{c.user} approved {record.id}; {more} more approval(s) needed from a different approver."
        return _reply(text, memory, approval_id=record.id)
    text, result = run_approval(c, record.id)
    memory["pending"] = None
    return _reply(f"{c.user} approved {record.id}. {text}", memory, approval_id=record.id, result=result)


def _reject(memory: dict[str, Any], c: OpsbotContext, approval_id: str | None) -> dict[str, Any]:
    """ "reject": an approver decides against the pending request; its requester withdraws it."""
    if approval_id is None:
        return _reply("There is no pending request here to reject.", memory)
    record = c.approvals.get(approval_id)
    if c.user == record.requester:
        return _cancel(memory, c)
    reason = c.approvals.can_decide(approval_id, c.user)
    if reason:
        return _reply(f"I cannot reject {approval_id} for {c.user}: {reason}.", memory)
    record = c.approvals.decide(approval_id, c.user, False, note="rejected in the conversation")
    memory["pending"] = None
    return _reply(f"{c.user} rejected {record.id} ({record.tool}); nothing ran.", memory, approval_id=record.id)


def route_after_settle(state: OpsbotState) -> str:
    """A confirmed offer goes on to the approval gate; everything else is done."""
    return "gate" if not state.get("reply") and state.get("route") else "__end__"
