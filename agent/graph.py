"""The opsbot graph: supervisor -> specialist -> (reads | gate -> approval -> executor) -> reply.

Two locks keep writes away from AWS: every write or destructive call goes through
``await_approval`` (a LangGraph interrupt, with no side effect before it), and the executor runs
the call under a grant bound to exactly that call, which the boto3 mutation guard checks.
"""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent.context import OpsbotContext
from agent.executor import run_approval
from agent.state import OpsbotState
from agent.tool_schemas import ROUTES, load_prompt, out_of_domain, route_tool_schema, specialist_tools, tool_schema
from agent.views import error_view
from tools import runtime as tool_runtime
from tools.errors import OpsbotError, ToolInputError
from tools.registry import get_tool

Ctx = Runtime[OpsbotContext]


# --------------------------------------------------------------------------- helpers
def _tool_ctx(c: OpsbotContext, requester: str | None = None, thread: str | None = None) -> Any:
    return tool_runtime.make_context(c.settings, requester=requester or c.user, thread=thread or c.thread)


def _last_human(state: OpsbotState) -> HumanMessage | None:
    return next((m for m in reversed(state["messages"]) if isinstance(m, HumanMessage)), None)


def _call_view(name: str, args: dict[str, Any], cost: float | None = None) -> dict[str, Any]:
    tool = get_tool(name)
    return {"name": name, "args": args, "effect": str(tool.effect), "risk": str(tool.risk), "cost_usd_per_hour": cost}


# ------------------------------------------------------------------------------ nodes
def supervisor(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Pick the specialist. A short answer to our own question stays with the specialist that asked."""
    c = runtime.context
    human = _last_human(state)
    text = str(human.content) if human else ""
    explicit = is_explicit_command(text)
    prompt = [SystemMessage(load_prompt("supervisor")), HumanMessage(text)]
    msg = _model(c, explicit).bind_tools([route_tool_schema()], tool_choice="route_request").invoke(prompt)
    route, focus = None, None
    if getattr(msg, "tool_calls", None):
        route = msg.tool_calls[0]["args"].get("route")
        focus = msg.tool_calls[0]["args"].get("focus")
    if route not in ROUTES:
        route = None
    if state.get("awaiting_answer") and state.get("route") in ROUTES and route in (None, state["route"]):
        # An answer to opsbot's own question ("4 nodes") stays with the specialist that asked it.
        route, focus = state["route"], state.get("focus")
    if route is None:
        text = out_of_domain()
        return {"route": None, "reply": text, "awaiting_answer": False, "messages": [AIMessage(text)]}
    return {"route": route, "focus": focus, "explicit": explicit}


def is_explicit_command(text: str) -> bool:
    """True for ``tool_name key=value ...`` (optionally after /opsbot or !): no model needs to read it."""
    from agent.models.intent import command_tool
    from agent.models.text import Utterance
    from agent.models.vocabulary import known_words
    from tools.registry import all_tools

    return command_tool(Utterance.of(text, known_words()), [t.name for t in all_tools()]) is not None


def _model(c: OpsbotContext, explicit: bool) -> Any:
    # Explicit commands skip the configured model: the offline parser reads them exactly, for free.
    if explicit:
        from agent.models.offline import OfflineChatModel

        return OfflineChatModel()
    return c.model


def specialist(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Ask the route's model for the next step: a tool call, a question back, or the answer."""
    c = runtime.context
    steps = state.get("steps", 0) + 1
    if steps > c.max_steps:
        text = f"I stopped after {c.max_steps} steps without finishing; please rephrase the request."
        return {"steps": steps, "reply": text, "messages": [AIMessage(text)]}
    route = state["route"]
    schemas = [tool_schema(t) for t in specialist_tools(route, state.get("focus"))]
    conversation = [m for m in state["messages"] if not isinstance(m, SystemMessage)]
    msg = (
        _model(c, bool(state.get("explicit")))
        .bind_tools(schemas)
        .invoke([SystemMessage(load_prompt(route)), *conversation])
    )
    update: dict[str, Any] = {"steps": steps, "messages": [msg]}
    if not getattr(msg, "tool_calls", None):
        # Bedrock content may be a list of blocks; .text joins the text parts.
        text = msg.content if isinstance(msg.content, str) else msg.text
        clarify = "opsbot_clarify" in (msg.additional_kwargs or {}) or text.rstrip().endswith("?")
        update |= {"reply": text, "clarify": clarify, "awaiting_answer": clarify}
    else:
        update["awaiting_answer"] = False
        # One action per turn: answer any extra calls so the conversation stays well-formed.
        extra = msg.tool_calls[1:]
        update["messages"] = [msg] + [
            ToolMessage("skipped: opsbot runs one action at a time", tool_call_id=tc["id"]) for tc in extra
        ]
    return update


def route_after_specialist(state: OpsbotState) -> Literal["reads", "gate", "__end__"]:
    msg = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
    if msg is None or not msg.tool_calls or state.get("reply"):
        return END
    call = msg.tool_calls[0]
    try:
        tool = get_tool(call["name"])
    except OpsbotError:
        return "reads"  # reads answers unknown tools with an error message
    return "gate" if tool.is_write else "reads"


def _current_call(state: OpsbotState) -> dict[str, Any]:
    msg = next(m for m in reversed(state["messages"]) if isinstance(m, AIMessage) and m.tool_calls)
    return msg.tool_calls[0]


def reads(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Run a read tool (or explain why it cannot run) and hand the result back to the specialist."""
    c = runtime.context
    call = _current_call(state)
    allowed = {t.name for t in specialist_tools(state["route"], state.get("focus"))}
    calls = list(state.get("calls", []))
    error = None
    if call["name"] not in allowed:
        content = f"error: {call['name']} is not a tool of the {state['route']} specialist"
    else:
        try:
            outcome = tool_runtime.run_read(call["name"], call["args"], _tool_ctx(c))
            parsed = tool_runtime.parse_args(get_tool(call["name"]), call["args"])
            calls.append(_call_view(call["name"], tool_runtime.args_dict(parsed)))
            content = outcome.text
            c.audit.record("read", c.user, thread=c.thread, data={"tool": call["name"], "args": call["args"]})
            return {
                "calls": calls,
                "result": outcome.result,
                "error": None,
                "messages": [ToolMessage(content, tool_call_id=call["id"], name=call["name"])],
            }
        except OpsbotError as exc:
            content = f"error: {exc}"
            # The kind of error travels with the state, so front ends can give it its exit code.
            error = error_view(exc).model_dump()
    return {
        "calls": calls,
        "error": error,
        "messages": [ToolMessage(content, tool_call_id=call["id"], name=call["name"])],
    }


def gate(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Plan the write and apply the policy. Reads AWS at most; writes nothing."""
    c = runtime.context
    call = _current_call(state)
    allowed = {t.name for t in specialist_tools(state["route"], state.get("focus"))}
    tool_ctx = _tool_ctx(c)
    try:
        if call["name"] not in allowed:
            raise OpsbotError(f"{call['name']} is not a tool of the {state['route']} specialist")
        args = tool_runtime.args_dict(tool_runtime.parse_args(get_tool(call["name"]), call["args"]))
        # The approval binds the normalised arguments, the same form run_approved hashes.
        plan = tool_runtime.plan(call["name"], args, tool_ctx).model_copy(update={"args": args})
    except ToolInputError as exc:
        if exc.value is None and exc.field in get_tool(call["name"]).args_model.model_fields:
            return _ask_back(call, exc)
        text = f"error: {exc}"
        return {
            "reply": text,
            "error": error_view(exc).model_dump(),
            "messages": [ToolMessage(text, tool_call_id=call["id"]), AIMessage(text)],
        }
    except OpsbotError as exc:
        text = f"error: {exc}"
        return {
            "reply": text,
            "error": error_view(exc).model_dump(),
            "messages": [ToolMessage(text, tool_call_id=call["id"]), AIMessage(text)],
        }
    findings = c.policy.evaluate(plan, c.user, tool_ctx.region)
    view = _call_view(plan.tool, plan.args, plan.cost_usd_per_hour)
    update: dict[str, Any] = {
        "calls": [*state.get("calls", []), view],
        "plan": plan.model_dump(mode="json"),
        "policy": [f.model_dump() for f in findings],
        "pending_call": {"name": plan.tool, "args": plan.args, "id": call["id"]},
    }
    if not plan.aws_operations:
        # Nothing to change (already in that state): nobody needs to approve a no-op.
        text = plan.summary if "nothing" in plan.summary.lower() else f"Nothing to change: {plan.summary}"
        return update | {
            "pending_call": None,
            "reply": text,
            "messages": [ToolMessage(text, tool_call_id=call["id"]), AIMessage(text)],
        }
    broken = [f for f in findings if not f.ok]
    if broken:
        text = (
            "Refused by policy: " + "; ".join(f"{f.rule}: {f.message}" for f in broken) + ". Nothing was asked or run."
        )
        c.audit.record(
            "policy_refused",
            c.user,
            thread=c.thread,
            data={"tool": plan.tool, "args": plan.args, "rules": [f.rule for f in broken]},
        )
        return update | {
            "refused": True,
            "reply": text,
            "messages": [ToolMessage(text, tool_call_id=call["id"]), AIMessage(text)],
        }
    return update


def _ask_back(call: dict[str, Any], exc: ToolInputError) -> dict[str, Any]:
    """A missing argument the schema could not mark required (e.g. one of two alternatives): ask for it."""
    question = f"To run {call['name']} I need {exc.field} ({exc.allowed}). What should {exc.field} be?"
    clarify = {
        "tool": call["name"],
        "args": {k: v for k, v in call["args"].items() if v is not None},
        "missing": [exc.field],
    }
    return {
        "reply": question,
        "clarify": True,
        "awaiting_answer": True,
        "messages": [
            ToolMessage(f"missing argument: {exc.field}", tool_call_id=call["id"]),
            AIMessage(question, additional_kwargs={"opsbot_clarify": clarify}),
        ],
    }


def route_after_gate(state: OpsbotState) -> Literal["request_approval", "__end__"]:
    return END if state.get("refused") or state.get("reply") else "request_approval"


def request_approval(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Open the approval request (its own node, so nothing runs again when the interrupt resumes)."""
    from tools.base import Plan

    c = runtime.context
    tool_ctx = _tool_ctx(c)
    record = c.approvals.open_request(
        Plan.model_validate(state["plan"]),
        requester=c.user,
        thread=c.thread,
        channel=c.channel,
        account=tool_ctx.account,
        region=tool_ctx.region,
        policy_findings=state.get("policy", []),
    )
    # A new write in a thread retires the older open requests its author may cancel (their own, or
    # any if they approve that tier): any change needs a new approval, and nobody cancels others'.
    c.approvals.supersede(c.thread, by=c.user, replaced_by=record.id)
    return {"approval_id": record.id}


def await_approval(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Stop until a decision arrives. Nothing may come before ``interrupt``: this node re-runs on resume."""
    decision = interrupt({"approval_id": state["approval_id"], "pending_call": state["pending_call"]})
    c = runtime.context
    if not isinstance(decision, dict) or decision.get("approval_id") != state["approval_id"]:
        return {"reply": "That decision is not for this request; nothing ran."}
    record = c.approvals.get(state["approval_id"])
    if record.status in ("approved", "executing"):
        return {}
    text = {
        "rejected": f"{record.tool} was rejected by {record.decisions[-1].user if record.decisions else 'someone'}; "
        "nothing ran.",
        "expired": f"The approval for {record.tool} expired at {record.expires_at}; nothing ran.",
    }.get(record.status, f"{record.tool} is {record.status}; nothing ran.")
    return {"reply": text, "messages": [ToolMessage(text, tool_call_id=state["pending_call"]["id"]), AIMessage(text)]}


def route_after_approval(state: OpsbotState) -> Literal["execute", "__end__"]:
    return END if state.get("reply") else "execute"


def execute(state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
    """Run exactly the approved call under its grant; record before and after."""
    text, result = run_approval(runtime.context, state["approval_id"])
    call_id = state["pending_call"]["id"]
    return {"reply": text, "result": result, "messages": [ToolMessage(text, tool_call_id=call_id), AIMessage(text)]}


def route_after_supervisor(state: OpsbotState) -> Literal["specialist", "__end__"]:
    return "specialist" if state.get("route") else END


def build_graph(checkpointer: Any) -> Any:
    """Compile the graph with a checkpointer (SQLite or DynamoDB)."""
    g = StateGraph(OpsbotState, context_schema=OpsbotContext)
    g.add_node("supervisor", supervisor)
    g.add_node("specialist", specialist)
    g.add_node("reads", reads)
    g.add_node("gate", gate)
    g.add_node("request_approval", request_approval)
    g.add_node("await_approval", await_approval)
    g.add_node("execute", execute)
    g.add_edge(START, "supervisor")
    g.add_conditional_edges("supervisor", route_after_supervisor)
    g.add_conditional_edges("specialist", route_after_specialist)
    g.add_edge("reads", "specialist")
    g.add_conditional_edges("gate", route_after_gate)
    g.add_edge("request_approval", "await_approval")
    g.add_conditional_edges("await_approval", route_after_approval)
    g.add_edge("execute", END)
    return g.compile(checkpointer=checkpointer)
