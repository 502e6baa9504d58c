"""The opsbot graph: understand -> (settle | supervisor -> specialist -> reads | gate -> approval) -> reply.

``understand`` reads the account's names and the dialogue act of the message (``agent.turns``);
confirmations and cancellations are settled without a model. Every other message is routed by
the supervisor and answered by one specialist, which sees this turn's context (act, memory and
names) next to its prompt, as text for Bedrock and as data for the offline model.

Two locks keep writes away from AWS: every write or destructive call goes through
``await_approval`` (a LangGraph interrupt, with no side effect before it), and the executor runs
the call under a grant bound to exactly that call, which the boto3 mutation guard checks. A
question about a write, and any write of a dry run, stops at ``preview``: its plan and the
approval it would need are shown, marked "not requested", and nothing is filed.

The graph is handed its toolsets; it names no tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from langchain_core.messages import AIMessage, RemoveMessage, SystemMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from agent import memory as mem
from agent import proposals
from agent.context import OpsbotContext
from agent.executor import run_approval
from agent.history import awaiting, for_model
from agent.models.acts import Act
from agent.models.grammar import Grammar
from agent.models.slots import INT64
from agent.prompting import turn_context
from agent.state import OpsbotState
from agent.tool_schemas import load_prompt, out_of_domain, route_tool_schema, tool_schema
from agent.toolbox import Toolbox, default_toolsets
from agent.turns import last_human_text, route_after_settle, route_after_understand, settle, understand
from agent.verify import unknown_name
from agent.views import ErrorView, error_view
from tools import runtime as tool_runtime
from tools.base import Plan, Tool, Toolset
from tools.errors import OpsbotError, ToolInputError

Ctx = Runtime[OpsbotContext]


class Nodes:
    """The graph's nodes over one set of toolsets."""

    def __init__(self, toolsets: Sequence[Toolset]) -> None:
        self.box = Toolbox(toolsets)
        self.grammar = Grammar.of(self.box.toolsets)

    # ---------------------------------------------------------------- helpers
    def _tool(self, name: str) -> Tool:
        try:
            return self.box.tools[name]
        except KeyError:
            raise OpsbotError(f"unknown tool {name!r}") from None

    def _view(self, name: str, args: dict[str, Any], cost: float | None = None) -> dict[str, Any]:
        tool = self._tool(name)
        return {
            "name": name,
            "args": args,
            "effect": str(tool.effect),
            "risk": str(tool.risk),
            "cost_usd_per_hour": cost,
        }

    def _context(self, state: OpsbotState, tools: Sequence[Tool] = (), rules: bool = False) -> SystemMessage:
        return turn_context(
            state.get("act"),
            state.get("memory") or {},
            state.get("names") or {},
            self.grammar.nouns,
            tools,
            rules,
            state.get("listed") or {},
        )

    def _prompt(self, route: str) -> str:
        """The specialist's prompt file, or one made from its toolset when it has none (a plugin's)."""
        toolset = next((ts for ts in self.box.toolsets if ts.route == route and not ts.shared), None)
        try:
            return load_prompt(route, self.box.toolsets)
        except FileNotFoundError:
            covers = f" You handle {toolset.covers.strip().rstrip('.')}." if toolset and toolset.covers else ""
            return f"You are opsbot's {route} specialist.{covers} Use one tool at a time; ask for what is missing."

    def _model(self, c: OpsbotContext, explicit: bool) -> Any:
        # Explicit commands skip the configured model: the offline parser reads them exactly, for free.
        if explicit:
            from agent.models.offline import OfflineChatModel

            return OfflineChatModel(toolsets=self.box.toolsets)
        return c.model

    def is_explicit_command(self, text: str) -> bool:
        """True for ``tool_name key=value ...`` (optionally after /opsbot or !): no model needs to read it."""
        from agent.models.reading import Reader
        from agent.models.scene import Scene
        from agent.models.text import Utterance

        reader = Reader(Utterance.of(text, self.grammar.known), Scene(now=_now()))
        return reader.command(self.grammar.tools.values()) is not None

    # ------------------------------------------------------------------ nodes
    def understand(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Names, dialogue act and memory bookkeeping (``agent.turns.understand``); messages older than
        the last ``history_turns`` turns leave the state, so a thread's checkpoints stay bounded."""
        update = understand(state, runtime.context, self.box, self.grammar)
        old = mem.older_messages(state.get("messages") or [], runtime.context.settings.history_turns)
        return update | {"messages": [RemoveMessage(id=i) for i in old]} if old else update

    def settle(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Confirmations and cancellations (``agent.turns.settle``)."""
        return settle(state, runtime.context, self.box)

    def supervisor(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Pick the specialist. An answer to opsbot's own question stays with the specialist that asked."""
        c = runtime.context
        text = last_human_text(state)
        explicit = self.is_explicit_command(text)
        memory = state.get("memory") or {}
        asked = memory.get("asked")
        if state.get("act") == Act.ANSWER and asked and asked.get("tool") and memory.get("route") in self.box.routes:
            return {"route": memory["route"], "focus": memory.get("focus_group"), "explicit": False}
        shown = for_model(state["messages"], c.approvals)
        prompt = [
            SystemMessage(load_prompt("supervisor", self.box.toolsets)),
            self._context(state),
            *_last_question(shown),
            *shown[-1:],
        ]
        schema = route_tool_schema(self.box.toolsets)
        msg = self._model(c, explicit).bind_tools([schema], tool_choice="route_request").invoke(prompt)
        route, focus = None, None
        if getattr(msg, "tool_calls", None):
            route = msg.tool_calls[0]["args"].get("route")
            focus = msg.tool_calls[0]["args"].get("focus")
        if route not in self.box.routes:
            route = None
        if route is None and state.get("act") == Act.FOLLOW_UP and memory.get("route") in self.box.routes:
            route = memory["route"]  # "same but bigger": stays with the specialist of the last call
        if route is None:
            text_out = _with_notes(state, out_of_domain(self.box.toolsets))
            return {"route": None, "reply": text_out, "messages": [AIMessage(text_out)]}
        return {"route": route, "focus": focus, "explicit": explicit}

    def specialist(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Ask the route's model for the next step: a tool call, a question back, or the answer."""
        c = runtime.context
        steps = state.get("steps", 0) + 1
        if steps > c.max_steps:
            text = f"I stopped after {c.max_steps} steps without finishing; please rephrase the request."
            return {"steps": steps, "reply": text, "messages": [AIMessage(text)]}
        route = state["route"]
        tools = self.box.specialist_tools(route, state.get("focus"))
        schemas = [tool_schema(t) for t in tools]
        prompt = [
            SystemMessage(self._prompt(route)),
            self._context(state, tools, rules=True),
            *for_model(state["messages"], c.approvals),
        ]
        msg = self._model(c, bool(state.get("explicit"))).bind_tools(schemas).invoke(prompt)
        memory = dict(state.get("memory") or {})
        update: dict[str, Any] = {"steps": steps}
        if not getattr(msg, "tool_calls", None):
            # Bedrock content may be a list of blocks; .text joins the text parts.
            text = msg.content if isinstance(msg.content, str) else msg.text
            if not text.strip():
                text = _empty_answer(state)
            asked = (msg.additional_kwargs or {}).get("opsbot_clarify")
            wrong = (msg.additional_kwargs or {}).get("opsbot_error")
            clarify = asked is not None or text.rstrip().endswith("?")
            memory["asked"] = asked if asked else ({"tool": None, "missing": [], "free": True} if clarify else None)
            memory["route"], memory["focus_group"] = route, state.get("focus")
            memory = self._focus_from(memory, asked)
            reply = _with_notes(state, text)
            if isinstance(wrong, dict):
                # A value no argument can hold: bad input naming the field, as the tool's own check would say.
                error = ErrorView(code="bad_input", message=wrong["message"], field=wrong.get("field"))
                update["error"] = error.model_dump()
            return update | {
                "reply": reply,
                "clarify": clarify,
                "memory": memory,
                "messages": [AIMessage(reply, additional_kwargs=msg.additional_kwargs)],
            }
        msg, skipped_writes = self._one_call(msg)
        if skipped_writes:
            update["notes"] = [*(state.get("notes") or []), *skipped_writes]
            state = {**state, "notes": update["notes"]}  # type: ignore[typeddict-item]
        problem = self._problem(msg.tool_calls[0], state, c)
        if problem:
            text = _with_notes(state, ("error: " if problem.code == "bad_input" else "") + problem.message)
            return update | {"reply": text, "error": problem.model_dump(), "messages": [AIMessage(text)]}
        memory["asked"] = None
        # One action per turn: answer any extra calls so the conversation stays well-formed.
        extra = msg.tool_calls[1:]
        return update | {
            "memory": memory,
            "messages": [msg]
            + [ToolMessage(_skipped(tc, self.box), tool_call_id=tc["id"], name=tc["name"]) for tc in extra],
        }

    def _one_call(self, msg: AIMessage) -> tuple[AIMessage, list[str]]:
        """The call to run first, and what to tell the person of writes left out. Of parallel calls a
        write goes first (a read can be asked again; a write must never vanish), and every other write
        the model asked for is said plainly, never dropped in silence."""
        calls = list(msg.tool_calls)
        if len(calls) < 2:
            return msg, []
        writes = [tc for tc in calls if (t := self.box.tools.get(tc["name"])) is not None and t.is_write]
        first = writes[0] if writes else calls[0]
        rest = [tc for tc in calls if tc is not first]
        told = [
            f"(I did not file {tc['name']} {_args_text(tc)}: opsbot files one request at a time; "
            "ask for it again once this one is settled.)"
            for tc in writes[1:]
        ]
        return msg.model_copy(update={"tool_calls": [first, *rest]}), told

    def _focus_from(self, memory: dict[str, Any], asked: dict[str, Any] | None) -> dict[str, Any]:
        """A question about a named resource ("how many instances for chat-prod?") puts it in focus."""
        tool = self.box.tools.get(str((asked or {}).get("tool")))
        if tool is None:
            return memory
        named = mem.names_in_call(tool, (asked or {}).get("args") or {})
        return memory | {"focus": {"kind": named[0][0], "name": named[0][1]}} if named else memory

    def _problem(self, call: dict[str, Any], state: OpsbotState, c: OpsbotContext) -> ErrorView | None:
        """Why a proposed call cannot go on (a number no argument can hold, a name the account lacks)."""
        for key, value in call.get("args", {}).items():
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64:
                return ErrorView(code="bad_input", message=f"{key} {value} is far beyond what it can be", field=key)
        tool = self.box.tools.get(call["name"])
        if tool is None:
            return None
        names, nouns = state.get("names") or {}, self.grammar.nouns
        found = unknown_name(tool, call.get("args", {}), names, nouns, c.settings.region, c.policy.limits.regions)
        return ErrorView(code="not_found", message=found[1], field=found[0]) if found else None

    def reads(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Run a read tool (or explain why it cannot run) and hand the result back to the specialist."""
        c = runtime.context
        call = _current_call(state)
        allowed = {t.name for t in self.box.specialist_tools(state["route"], state.get("focus"))}
        calls = list(state.get("calls", []))
        if call["name"] not in allowed:
            content = f"error: {call['name']} is not a tool of the {state['route']} specialist"
            error = ToolMessage(content, tool_call_id=call["id"], name=call["name"], status="error")
            return {"calls": calls, "messages": [error]}
        try:
            tool = self._tool(call["name"])
            outcome = tool_runtime.run_read(call["name"], call["args"], _tool_ctx(c))
            args = tool_runtime.args_dict(tool_runtime.parse_args(tool, call["args"]))
        except OpsbotError as exc:
            content = f"error: {exc}"
            # The kind of error travels with the state, so front ends can give it its exit code.
            return {
                "calls": calls,
                "error": error_view(exc).model_dump(),
                # status "error" reaches models that support it (agent.models.bedrock decides which).
                "messages": [ToolMessage(content, tool_call_id=call["id"], name=call["name"], status="error")],
            }
        calls.append(self._view(call["name"], args))
        c.audit.record("read", c.user, thread=c.thread, data={"tool": call["name"], "args": call["args"]})
        memory = mem.after_call(state.get("memory") or {}, tool, args, state.get("route"))
        memory = mem.after_result(
            memory,
            tool,
            outcome.result,
            self.box.resources,
            set(self.box.tools),
            mem.listed_ids(list(self.box.tools.values())),
        )
        return {
            "calls": calls,
            "result": outcome.result,
            "memory": memory,
            "messages": [ToolMessage(outcome.text, tool_call_id=call["id"], name=call["name"])],
        }

    def gate(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Plan the write and apply the policy. Reads AWS at most; writes nothing."""
        c = runtime.context
        call = _current_call(state)
        allowed = {t.name for t in self.box.specialist_tools(state["route"], state.get("focus"))}
        tool_ctx = _tool_ctx(c)
        try:
            if call["name"] not in allowed:
                raise OpsbotError(f"{call['name']} is not a tool of the {state['route']} specialist")
            tool = self._tool(call["name"])
            plan = proposals.plan_call(tool, call["args"], tool_ctx)
            args = plan.args
        except ToolInputError as exc:
            if exc.value is None and exc.field in self._tool(call["name"]).args_model.model_fields:
                return _ask_back(call, exc, state)
            if not state.get("corrections"):
                # As for a read: the model is shown what was wrong and may correct the call, once a turn.
                content = f"error: {exc}"
                return {
                    "corrections": 1,
                    "error": error_view(exc).model_dump(),
                    "messages": [ToolMessage(content, tool_call_id=call["id"], name=call["name"], status="error")],
                }
            return _error(call, exc, state)
        except OpsbotError as exc:
            return _error(call, exc, state)
        assessment = proposals.assess(c.policy, plan, c.user, tool_ctx.region)
        findings = assessment.findings
        memory = mem.after_call(state.get("memory") or {}, tool, args, state.get("route"))
        update: dict[str, Any] = {
            "calls": [*state.get("calls", []), self._view(plan.tool, plan.args, plan.cost_usd_per_hour)],
            "plan": plan.model_dump(mode="json"),
            "policy": [f.model_dump() for f in findings],
            "pending_call": {"name": plan.tool, "args": plan.args, "id": call["id"]},
            "memory": memory,
            "error": None,  # a call the model corrected this turn carries no error of its first try
        }
        if assessment.noop:
            # Nothing to change (already in that state): nobody needs to approve a no-op. A plan of the
            # same tool shown before is replaced by this answer: "yes" must not file the older one.
            if (memory.get("offer") or {}).get("tool") == plan.tool:
                memory = {**memory, "offer": None}
                update["memory"] = memory
            return update | _said(call, _with_notes(state, assessment.noop_reply())) | {"pending_call": None}
        broken = assessment.broken
        if state.get("act") == Act.QUESTION or (c.dry_run and not broken) or _revises_preview(state, plan.tool):
            return update | self._preview(state, c, plan, call, broken, memory)
        if broken:
            proposals.record_refusal(c.audit, assessment, user=c.user, thread=c.thread)
            return update | _said(call, _with_notes(state, assessment.refusal_reply())) | {"refused": True}
        return update

    def _preview(
        self,
        state: OpsbotState,
        c: OpsbotContext,
        plan: Plan,
        call: dict[str, Any],
        broken: list[Any],
        memory: dict[str, Any],
    ) -> dict[str, Any]:
        """A plan shown and not filed: for a question about a write, or a dry run. The policy's verdict
        is part of the answer ("would policy even allow that?"). ``memory`` already holds the call as
        the thread's last call, so "actually make it 6" corrects the plan shown."""
        memory = dict(memory)
        memory["offer"] = {"tool": plan.tool, "args": plan.args, "source": "preview", "turn": memory.get("turn", 0)}
        needed = c.policy.approvals_needed(plan.risk)
        cost = f", ${plan.cost_usd_per_hour:,.2f}/hour" if plan.cost_usd_per_hour is not None else ""
        why = "dry run" if c.dry_run else "you asked, so nothing is requested"
        if not c.dry_run and state.get("act") == Act.FOLLOW_UP:
            why = "a change to the plan shown, still not requested"
        if broken:
            memory["offer"] = None
            rules = "; ".join(f"{f.rule}: {f.message}" for f in broken)
            text = (
                f"Not requested ({why}): {plan.tool} would {plan.summary}{cost}, but policy would refuse it: {rules}."
            )
        else:
            text = (
                f"Not requested ({why}): {plan.tool} would {plan.summary}. It would need approval "
                f"(risk {plan.risk}, {needed} approver(s){cost})."
            )
            if not c.dry_run:
                text += ' Say "do it" to file it as a request.'
        return _said(call, _with_notes(state, text)) | {"preview": True, "pending_call": None, "memory": memory}

    def request_approval(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Open the approval request (its own node, so nothing runs again when the interrupt resumes)."""
        c = runtime.context
        tool_ctx = _tool_ctx(c)
        filed = proposals.file_request(
            c.approvals,
            Plan.model_validate(state["plan"]),
            requester=c.user,
            thread=c.thread,
            channel=c.channel,
            account=tool_ctx.account,
            region=tool_ctx.region,
            findings=state.get("policy", []),
        )
        record, replaced = filed.record, [r.id for r in filed.replaced]
        memory = dict(state.get("memory") or {})
        memory["pending"] = {
            "id": record.id,
            "tool": record.tool,
            "args": record.args,
            "risk": record.risk,
            "turn": memory.get("turn", 0),
        }
        memory["offer"] = None
        notes = list(state.get("notes") or [])
        if replaced:
            notes.append(f"(This replaces {', '.join(replaced)}, now superseded by {record.id}.)")
        # The write's call is answered now, so the thread stays well-formed for Bedrock while it waits;
        # once decided, agent.history shows its outcome in this same result.
        summary = str(record.plan.get("summary") or "make the change shown in its plan")
        said = f"{record.tool} needs approval {record.id} (risk {record.risk}); nothing runs until it is approved."
        messages = [awaiting(record.id, record.tool, summary, state["pending_call"]["id"]), AIMessage(said)]
        return {"approval_id": record.id, "memory": memory, "notes": notes, "messages": messages}

    def await_approval(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Stop until a decision arrives. Nothing may come before ``interrupt``: this node re-runs on resume."""
        decision = interrupt({"approval_id": state["approval_id"], "pending_call": state["pending_call"]})
        c = runtime.context
        if not isinstance(decision, dict) or decision.get("approval_id") != state["approval_id"]:
            return {"reply": "That decision is not for this request; nothing ran."}
        record = c.approvals.get(state["approval_id"])
        if record.status in ("approved", "executing"):
            return {}
        who = record.decisions[-1].user if record.decisions else "someone"
        text = {
            "rejected": f"{record.tool} was rejected by {who}; nothing ran.",
            "expired": f"The approval for {record.tool} expired at {record.expires_at}; nothing ran.",
        }.get(record.status, f"{record.tool} is {record.status}; nothing ran.")
        # The call was answered at the gate ("awaiting approval"); the outcome is said, not answered twice.
        return {"reply": text, "messages": [AIMessage(text)]}

    def execute(self, state: OpsbotState, runtime: Ctx) -> dict[str, Any]:
        """Run exactly the approved call under its grant; record before and after."""
        text, result = run_approval(runtime.context, state["approval_id"])
        memory = dict(state.get("memory") or {})
        memory["pending"] = None
        return {
            "reply": text,
            "result": result,
            "memory": memory,
            "messages": [AIMessage(text)],
        }

    # ------------------------------------------------------------------ edges
    def after_specialist(self, state: OpsbotState) -> Literal["reads", "gate", "__end__"]:
        """A read runs, a write goes to the gate, a reply ends the turn."""
        msg = next((m for m in reversed(state["messages"]) if isinstance(m, AIMessage)), None)
        if msg is None or not msg.tool_calls or state.get("reply"):
            return END
        tool = self.box.tools.get(msg.tool_calls[0]["name"])
        if tool is None:
            return "reads"  # reads answers unknown tools with an error message
        return "gate" if tool.is_write else "reads"


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _args_text(call: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in (call.get("args") or {}).items())


def _skipped(call: dict[str, Any], box: Toolbox) -> str:
    tool = box.tools.get(call["name"])
    if tool is not None and tool.is_write:
        return "not filed: opsbot files one request at a time; the person was told to ask for it again"
    return "skipped: opsbot runs one action at a time; call it again if it is still needed"


def _last_question(shown: list[Any]) -> list[SystemMessage]:
    """opsbot's question just before the new message, for the router: "chat-prod, 3" answers it."""
    if len(shown) < 2 or not isinstance(shown[-2], AIMessage) or shown[-2].tool_calls:
        return []
    said = shown[-2].text.strip()
    if not (said.endswith("?") or (shown[-2].additional_kwargs or {}).get("opsbot_clarify")):
        return []
    return [SystemMessage(f"The new message may answer opsbot's last question in this thread: {said!r}")]


def _empty_answer(state: OpsbotState) -> str:
    """The reply when the model said nothing: this turn's tool results as they are, else a sentence."""
    results: list[str] = []
    for m in reversed(state["messages"]):
        if not isinstance(m, ToolMessage):
            break
        results.append(m.text.strip())
    shown = "\n\n".join(r for r in reversed(results) if r)
    return shown or 'The model gave no answer to that. Please rephrase, or name what you want, e.g. "list endpoints".'


def _with_notes(state: OpsbotState, text: str) -> str:
    notes = list(state.get("notes") or [])
    return "\n".join([*notes, text]) if notes else text


def _tool_ctx(c: OpsbotContext) -> Any:
    return tool_runtime.make_context(c.settings, requester=c.user, thread=c.thread, clients=c.clients)


def _revises_preview(state: OpsbotState, tool: str) -> bool:
    """True for a follow-up that changes the plan just shown and not filed ("should we scale X to 8?"
    ... "actually make it 6"): the correction is shown as a plan too, and "do it" files it."""
    if state.get("act") != Act.FOLLOW_UP:
        return False
    memory = state.get("memory") or {}
    offer = memory.get("offer") or {}
    if offer.get("source") != "preview" or offer.get("tool") != tool:
        return False
    return int(offer.get("turn", 0)) > int((memory.get("pending") or {}).get("turn", -1))


def _current_call(state: OpsbotState) -> dict[str, Any]:
    msg = next(m for m in reversed(state["messages"]) if isinstance(m, AIMessage) and m.tool_calls)
    return msg.tool_calls[0]


def _said(call: dict[str, Any], text: str) -> dict[str, Any]:
    return {"reply": text, "messages": [ToolMessage(text, tool_call_id=call["id"]), AIMessage(text)]}


def _error(call: dict[str, Any], exc: OpsbotError, state: OpsbotState) -> dict[str, Any]:
    return _said(call, _with_notes(state, f"error: {exc}")) | {"error": error_view(exc).model_dump()}


def _ask_back(call: dict[str, Any], exc: ToolInputError, state: OpsbotState) -> dict[str, Any]:
    """A missing argument the schema could not mark required (e.g. one of two alternatives): ask for it."""
    question = f"To run {call['name']} I need {exc.field} ({exc.allowed}). What should {exc.field} be?"
    asked = {
        "tool": call["name"],
        "args": {k: v for k, v in call["args"].items() if v is not None},
        "missing": [exc.field],
    }
    memory = dict(state.get("memory") or {})
    memory["asked"] = asked
    return {
        "reply": _with_notes(state, question),
        "clarify": True,
        "memory": memory,
        "messages": [
            ToolMessage(f"missing argument: {exc.field}", tool_call_id=call["id"]),
            AIMessage(question, additional_kwargs={"opsbot_clarify": asked}),
        ],
    }


def route_after_gate(state: OpsbotState) -> Literal["request_approval", "specialist", "__end__"]:
    """A refused, previewed or no-op write ends the turn; a call with a bad argument goes back to the
    specialist to correct; any other one waits for approval."""
    if state.get("refused") or state.get("reply") or state.get("preview"):
        return END
    return "request_approval" if state.get("pending_call") else "specialist"


def route_after_approval(state: OpsbotState) -> Literal["execute", "__end__"]:
    """Approved: execute; rejected or expired: done."""
    return END if state.get("reply") else "execute"


def route_after_supervisor(state: OpsbotState) -> Literal["specialist", "__end__"]:
    """A route goes to its specialist; no route has been answered already."""
    return "specialist" if state.get("route") else END


def build_graph(checkpointer: Any, toolsets: Sequence[Toolset] | None = None) -> Any:
    """Compile the graph over ``toolsets`` (default: the registry's) with a checkpointer (SQLite or DynamoDB)."""
    nodes = Nodes(toolsets if toolsets is not None else default_toolsets())
    g = StateGraph(OpsbotState, context_schema=OpsbotContext)
    g.add_node("understand", nodes.understand)
    g.add_node("settle", nodes.settle)
    g.add_node("supervisor", nodes.supervisor)
    g.add_node("specialist", nodes.specialist)
    g.add_node("reads", nodes.reads)
    g.add_node("gate", nodes.gate)
    g.add_node("request_approval", nodes.request_approval)
    g.add_node("await_approval", nodes.await_approval)
    g.add_node("execute", nodes.execute)
    g.add_edge(START, "understand")
    g.add_conditional_edges("understand", route_after_understand)
    g.add_conditional_edges("settle", route_after_settle)
    g.add_conditional_edges("supervisor", route_after_supervisor)
    g.add_conditional_edges("specialist", nodes.after_specialist)
    g.add_edge("reads", "specialist")
    g.add_conditional_edges("gate", route_after_gate)
    g.add_edge("request_approval", "await_approval")
    g.add_conditional_edges("await_approval", route_after_approval)
    g.add_edge("execute", END)
    return g.compile(checkpointer=checkpointer)
