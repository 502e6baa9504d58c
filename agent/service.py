"""The one facade every front end uses: ask, decide, and read the queue and the audit log.

The CLI, the REPL, Slack, the Lambda handler and the evals all go through ``Opsbot``; none of
them touches the graph, the stores or a tool module directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.findings import PolicyFinding

__all__ = ["ApprovalView", "AskResult", "Opsbot", "PolicyFinding", "ToolCallView"]

ApprovalStatus = Literal[
    "none",
    "preview",
    "pending",
    "approved",
    "executing",
    "executed",
    "failed",
    "rejected",
    "withdrawn",
    "superseded",
    "expired",
    "refused",
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
    audit_head: str | None = Field(
        default=None, description="The audit chain's head (SEQ:HASH) after a decision, for witnesses to keep."
    )

    def public(self) -> dict[str, Any]:
        """The document ``opsbot ask --json`` prints."""
        return self.model_dump(mode="json")


class Opsbot:
    """opsbot for one settings object: the model, the stores, the policy and the compiled graph."""

    def __init__(self, settings: Any = None, model: Any = None) -> None:
        from agent.approvals import ApprovalService
        from agent.policy import load_policy
        from agent.stores import open_stores
        from tools.config import get_settings

        self.settings = settings or get_settings()
        self.policy = load_policy(self.settings)
        self.stores = open_stores(self.settings)
        self.audit = self.stores.audit
        # Decisions and runs are checked against the policy in force then, not the one read at start.
        self.approvals = ApprovalService(
            self.stores.approvals,
            self.audit,
            lambda: load_policy(self.settings),
            demo=self.settings.demo_identity,
        )
        self._model = model
        self._graph: Any = None

    # ----------------------------------------------------------------- parts
    @property
    def model(self) -> Any:
        if self._model is None:
            from agent.models import make_model

            self._model = make_model(self.settings)
        return self._model

    @property
    def graph(self) -> Any:
        if self._graph is None:
            from agent.graph import build_graph

            self._graph = build_graph(self.stores.checkpointer)
        return self._graph

    def _context(self, user: str, thread: str, channel: str, progress: Any = None) -> Any:
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
        """Handle one request in a thread (new thread when None). Writes always stop at their approval;
        ``dry_run`` only tells front ends not to offer the approval on the spot."""
        import uuid

        from botocore.exceptions import BotoCoreError, ClientError
        from langchain_core.messages import HumanMessage

        from agent.state import turn_input
        from tools.errors import OpsbotError, aws_error_message

        thread = thread or f"{channel}-{uuid.uuid4().hex[:12]}"
        demo = {"demo": True} if self.settings.demo_identity else {}
        self.audit.record("request", user, thread=thread, data={"text": text, "channel": channel, **demo})
        try:
            state = self.graph.invoke(
                turn_input([HumanMessage(text)]),
                self._config(thread),
                context=self._context(user, thread, channel, progress),
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
                audit_head=self.audit.head(),
            )
        result = self._resume(record.id, record.thread, user, progress)
        return result.model_copy(update={"audit_head": self.audit.head()})

    def resume(self, approval_id: str, *, user: str, progress: Any = None) -> AskResult:
        """Continue a thread whose approved call was interrupted (a crash, a lost container).
        Only its requester or an approver may; the run's lease and place are checked as it starts."""
        record = self.approvals.check_resume(approval_id, user)
        return self._resume(approval_id, record.thread, user, progress)

    def withdraw(self, approval_id: str, *, user: str) -> AskResult:
        """The requester cancels their own pending request."""
        record = self.approvals.withdraw(approval_id, user)
        return AskResult(
            thread=record.thread,
            approval=self._approval_view(record.id),
            plan=record.plan,
            reply=record.reply or f"{record.tool} was withdrawn; nothing ran.",
            audit_head=self.audit.head(),
        )

    def verify_audit(self, head: str | None = None) -> Any:
        """Check the audit chain, and that it still holds ``head`` (SEQ:HASH or HASH) when given."""
        return self.audit.verify(head)

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
