"""The one facade every front end uses: ask, decide, and read the queue and the audit log.

The CLI, the REPL, Slack, the Lambda handler and the evals all go through ``Opsbot``; none of
them touches the graph, the stores or a tool module directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ApprovalStatus = Literal[
    "none", "preview", "pending", "approved", "rejected", "expired", "refused", "executed", "failed", "withdrawn",
    "superseded",
]


class ToolCallView(BaseModel):
    """One tool call as the JSON document of ``opsbot ask`` shows it."""

    name: str
    args: dict[str, Any]
    effect: str
    risk: str
    cost_usd_per_hour: float | None = None


class ApprovalView(BaseModel):
    """Whether the request needs an approval, where it stands, and its id."""

    required: bool = False
    status: ApprovalStatus = "none"
    id: str | None = None
    approvals_needed: int = 0
    approved_by: list[str] = Field(default_factory=list)
    expires_at: str | None = None


class PolicyFinding(BaseModel):
    """One policy rule applied to the request."""

    rule: str
    ok: bool
    message: str


class AskResult(BaseModel):
    """The answer to one request: the JSON document of `opsbot ask --json` plus what front ends need to render."""

    thread: str
    route: str | None = None
    tool_calls: list[ToolCallView] = Field(default_factory=list)
    approval: ApprovalView = Field(default_factory=ApprovalView)
    policy: list[PolicyFinding] = Field(default_factory=list)
    reply: str = ""
    clarify: bool = False
    plan: dict[str, Any] | None = Field(default=None, description="tools.base.Plan as data, for cards.")
    result: dict[str, Any] | None = Field(default=None, description="Typed result of a tool that ran.")
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """The document ``opsbot ask --json`` prints."""
        return self.model_dump(mode="json")


class Opsbot:
    """opsbot for one settings object: the model, the stores, the policy and the compiled graph."""

    def __init__(self, settings: Any = None, model: Any = None, toolsets: Any = None) -> None:
        from agent.approvals import ApprovalService
        from agent.policy import load_policy
        from agent.stores import open_stores
        from tools.config import get_settings

        self.settings = settings or get_settings()
        self.policy = load_policy(self.settings)
        self.stores = open_stores(self.settings)
        self.audit = self.stores.audit
        self.approvals = ApprovalService(self.stores.approvals, self.audit, self.policy)
        self._model = model
        self.toolsets = toolsets
        self._graph: Any = None

    # ----------------------------------------------------------------- parts
    @property
    def model(self) -> Any:
        if self._model is None:
            from agent.models import make_model

            self._model = make_model(self.settings, self.toolsets)
        return self._model

    @property
    def graph(self) -> Any:
        if self._graph is None:
            from agent.graph import build_graph

            self._graph = build_graph(self.stores.checkpointer, self.toolsets)
        return self._graph

    def _context(self, user: str, thread: str, channel: str, progress: Any = None, dry_run: bool = False) -> Any:
        from agent.context import OpsbotContext

        return OpsbotContext(
            settings=self.settings,
            user=user,
            thread=thread,
            model=self.model,
            approvals=self.approvals,
            audit=self.audit,
            policy=self.policy,
            channel=channel,
            progress=progress or (lambda _m: None),
            dry_run=dry_run,
        )

    @staticmethod
    def _config(thread: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": thread}, "recursion_limit": 40}

    def identity(self, system: str, external_id: str) -> str:
        """The person behind another system's user id (policy ``[identities.<system>]``)."""
        return self.policy.identity(system, external_id)

    # ------------------------------------------------------------------- ask
    def ask(
        self,
        text: str,
        *,
        user: str,
        thread: str | None = None,
        dry_run: bool = False,
        channel: str = "cli",
        progress: Any = None,
    ) -> AskResult:
        """Handle one message in a thread (new thread when None). Writes stop at their approval; with
        ``dry_run`` they stop before it: the plan and the approval it would need, nothing filed."""
        import uuid

        from botocore.exceptions import BotoCoreError, ClientError
        from langchain_core.messages import HumanMessage

        from agent.state import turn_input
        from tools.errors import OpsbotError, aws_error_message

        thread = thread or f"{channel}-{uuid.uuid4().hex[:12]}"
        self.audit.record("request", user, thread=thread, data={"text": text, "channel": channel})
        try:
            state = self.graph.invoke(
                turn_input([HumanMessage(text)]),
                self._config(thread),
                context=self._context(user, thread, channel, progress, dry_run),
            )
        except OpsbotError as exc:
            return AskResult(thread=thread, reply=f"error: {exc}", error=str(exc))
        except (BotoCoreError, ClientError) as exc:  # e.g. Bedrock without credentials or model access
            message = aws_error_message(exc)
            return AskResult(thread=thread, reply=f"error: {message}", error=message)
        return self._result(thread, state)

    # ---------------------------------------------------------------- decide
    def can_decide(self, approval_id: str, user: str) -> str | None:
        """None if ``user`` may decide this request now, else why not."""
        return self.approvals.can_decide(approval_id, user)

    def decide(
        self, approval_id: str, *, user: str, approve: bool, note: str | None = None, progress: Any = None
    ) -> AskResult:
        """Approve or reject. When enough approvals are in, the thread resumes and the call runs once."""
        record = self.approvals.decide(approval_id, user, approve, note)
        if record.status == "pending":
            view = self._approval_view(record.id)
            more = record.approvals_needed - len(set(record.approved_by))
            return AskResult(
                thread=record.thread,
                approval=view,
                plan=record.plan,
                reply=f"{user} approved {record.id}; {more} more approval(s) needed from a different approver.",
            )
        return self._resume(record.id, record.thread, user, progress)

    def resume(self, approval_id: str, user: str = "opsbot", progress: Any = None) -> AskResult:
        """Continue a thread whose approved call was interrupted (a crash, a lost container)."""
        record = self.approvals.get(approval_id)
        return self._resume(approval_id, record.thread, user, progress)

    def _resume(self, approval_id: str, thread: str, user: str, progress: Any) -> AskResult:
        from langgraph.types import Command

        record = self.approvals.get(approval_id)
        config = self._config(thread)
        snapshot = self.graph.get_state(config)
        values = snapshot.values or {}
        ctx = self._context(record.requester, thread, record.channel, progress)
        if values.get("approval_id") != approval_id:
            # The thread moved on to other questions; the approval still covers exactly its call.
            from agent.executor import run_approval

            text, result = run_approval(ctx, approval_id)
            return AskResult(
                thread=thread,
                route=None,
                approval=self._approval_view(approval_id),
                plan=record.plan,
                reply=text,
                result=result,
            )
        if "await_approval" in (snapshot.next or ()):
            state = self.graph.invoke(Command(resume={"approval_id": approval_id, "by": user}), config, context=ctx)
        elif "execute" in (snapshot.next or ()):
            state = self.graph.invoke(None, config, context=ctx)
        else:
            state = values
        return self._result(thread, state)

    def get_approval(self, approval_id: str) -> Any:
        """The approval record; an unknown id is a NotFoundError."""
        return self.approvals.get(approval_id)

    def list_approvals(self, status: str | None = None, limit: int = 100) -> list[Any]:
        """Approval records, newest first."""
        return self.approvals.list(status=status, limit=limit)

    def withdraw(self, approval_id: str, *, user: str) -> AskResult:
        """The requester cancels their own pending request; nothing will run."""
        record = self.approvals.withdraw(approval_id, user)
        return AskResult(
            thread=record.thread,
            approval=self._approval_view(record.id),
            plan=record.plan,
            reply=f"Withdrew {record.id} ({record.tool}); nothing will run.",
        )

    # ------------------------------------------------------------------ views
    def _approval_view(self, approval_id: str | None) -> ApprovalView:
        if not approval_id:
            return ApprovalView()
        r = self.approvals.get(approval_id)
        return ApprovalView(
            required=True,
            status=r.status if r.status != "executing" else "approved",
            id=r.id,
            approvals_needed=r.approvals_needed,
            approved_by=r.approved_by,
            expires_at=r.expires_at,
        )

    def _result(self, thread: str, state: dict[str, Any]) -> AskResult:
        approval = self._approval_view(state.get("approval_id"))
        if state.get("refused"):
            approval = ApprovalView(required=True, status="refused")
        elif state.get("preview"):
            approval = ApprovalView(required=True, status="preview")
        reply = state.get("reply", "")
        if not reply and approval.status == "pending" and state.get("plan"):
            plan = state["plan"]
            cost = plan.get("cost_usd_per_hour")
            reply = (
                f"{plan['tool']} needs approval {approval.id} (risk {plan['risk']}, "
                f"{approval.approvals_needed} approver(s)"
                + (f", ${cost:,.2f}/hour" if cost is not None else "")
                + f"): {plan['summary']}. Nothing runs until it is approved; it expires at {approval.expires_at}."
            )
            reply = "\n".join([*state.get("notes", []), reply])
        return AskResult(
            thread=thread,
            route=state.get("route"),
            tool_calls=[ToolCallView(**c) for c in state.get("calls", [])],
            approval=approval,
            policy=[PolicyFinding(**f) for f in state.get("policy", [])],
            reply=reply,
            clarify=bool(state.get("clarify")),
            plan=state.get("plan"),
            result=state.get("result"),
        )
