"""The one facade every front end uses: ask, decide, and read the queue and the audit log.

The CLI, the REPL, Slack, the Lambda handler and the evals all go through ``Opsbot`` (and the small
functions at the end of this module for the tool catalog and the sandbox); none of them touches the
graph, the stores, the approval service or a tool module directly.

Importing this module is cheap: the graph, the model and LangGraph are imported the first time a
request needs them, so ``opsbot approvals``, ``opsbot audit`` and ``opsbot tools`` never load them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel

from agent.notify import NoNotifier, Notifier
from agent.stores.approvals import ApprovalRecord
from agent.views import (
    ApprovalStatus,
    ApprovalView,
    AskResult,
    ErrorView,
    PolicyFinding,
    Recovery,
    ToolCallView,
    error_view,
)

if TYPE_CHECKING:
    from datetime import datetime

    from langchain_core.language_models import BaseChatModel

    from agent.approvals import ApprovalService
    from agent.context import OpsbotContext
    from agent.policy import Policy
    from agent.stores import Stores
    from agent.stores.audit import AuditEntry, AuditLog, VerifyReport
    from tools.base import Plan, ToolOutcome, Toolset
    from tools.config import Settings

__all__ = [
    "ApprovalRecord",
    "ApprovalStatus",
    "ApprovalView",
    "AskResult",
    "ErrorView",
    "Opsbot",
    "PolicyFinding",
    "Progress",
    "Recovery",
    "Target",
    "ToolCallView",
    "ToolSpec",
    "plan_tool",
    "reset_sandbox",
    "run_tool",
    "target",
    "tool_catalog",
    "tool_specs",
]

Progress = Callable[[str], None]
log = logging.getLogger("opsbot")


class Opsbot:
    """opsbot for one settings object: the model, the stores, the policy and the compiled graph.

    ``notifier`` is told of every decision taken through this facade (the terminal hands in the Slack
    card sync); ``toolsets`` are the domains the graph may use (default: the registry's)."""

    def __init__(
        self,
        settings: Settings | None = None,
        model: BaseChatModel | None = None,
        toolsets: Sequence[Toolset] | None = None,
        notifier: Notifier | None = None,
    ) -> None:
        from agent.approvals import ApprovalService
        from agent.policy import load_policy
        from agent.stores import open_stores
        from tools.config import get_settings

        self.settings: Settings = settings or get_settings()
        self.policy: Policy = load_policy(self.settings)
        self.stores: Stores = open_stores(self.settings)
        # The parts below are the facade's own; front ends use the methods, tests may look inside.
        self.audit: AuditLog = self.stores.audit
        # Decisions and runs are checked against the policy in force then, not the one read at start.
        self.approvals: ApprovalService = ApprovalService(
            self.stores.approvals,
            self.audit,
            lambda: load_policy(self.settings),
            demo=self.settings.demo_identity,
        )
        self.toolsets: tuple[Toolset, ...] | None = tuple(toolsets) if toolsets is not None else None
        self.notifier: Notifier = notifier or NoNotifier()
        self._model = model
        self._graph: Any = None  # a compiled LangGraph graph, built on first use
        # One set of AWS clients per key (live or sandbox, credentials, region), made on first use and
        # reused by every node and turn: a boto3 client costs ~7 ms to make, a turn needs several.
        self._clients: dict[tuple[object, ...], Any] = {}

    # ----------------------------------------------------------------- parts
    @property
    def model(self) -> BaseChatModel:
        """The chat model of the settings (offline or Bedrock), made on first use."""
        if self._model is None:
            from agent.models import make_model

            self._model = make_model(self.settings, self.toolsets)
        return self._model

    def clients(self) -> Any:
        """The AWS clients (``tools.aws.AwsClients``) for this facade's settings, shared across turns."""
        from tools.aws import AwsClients, clients_key

        key = clients_key(self.settings)
        found = self._clients.get(key)
        if found is None:
            found = self._clients[key] = AwsClients(self.settings)
        return found

    @property
    def graph(self) -> Any:
        """The compiled graph on this facade's checkpointer, built on first use."""
        if self._graph is None:
            from agent.graph import build_graph

            self._graph = build_graph(self.stores.checkpointer, self.toolsets)
        return self._graph

    def _context(
        self, user: str, thread: str, channel: str, progress: Progress | None = None, dry_run: bool = False
    ) -> OpsbotContext:
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
            clients=self.clients(),
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
        progress: Progress | None = None,
    ) -> AskResult:
        """Handle one message in a thread (new thread when None). Writes stop at their approval; with
        ``dry_run`` they stop before it: the plan and the approval it would need, nothing filed."""
        thread = thread or f"{channel}-{uuid.uuid4().hex[:12]}"
        if not text.strip():
            message = 'the request is empty; ask something, e.g. "list endpoints"'
            return AskResult(
                thread=thread,
                reply=f"error: {message}",
                error=ErrorView(code="bad_input", message=message, field="text"),
            )
        from langchain_core.messages import HumanMessage

        from agent.state import turn_input
        from tools.errors import OpsbotError

        demo = {"demo": True} if self.settings.demo_identity else {}
        self.audit.record("request", user, thread=thread, data={"text": text, "channel": channel, **demo})
        try:
            state = self.graph.invoke(
                turn_input([HumanMessage(text)]),
                self._config(thread),
                context=self._context(user, thread, channel, progress, dry_run),
            )
        except OpsbotError as exc:
            return self._failed(thread, exc)
        except Exception as exc:  # botocore errors, e.g. Bedrock without credentials or model access
            view = error_view(exc)
            if view.code != "aws_error":
                raise
            return AskResult(thread=thread, reply=f"error: {view.message}", error=view)
        return self._result(thread, state)

    @staticmethod
    def _failed(thread: str, exc: Exception) -> AskResult:
        view = error_view(exc)
        return AskResult(thread=thread, reply=f"error: {view.message}", error=view)

    def has_thread(self, thread: str) -> bool:
        """True if a conversation with this id has been held (its state is kept), e.g. to continue it."""
        return bool(self.graph.get_state(self._config(thread)).values)

    # --------------------------------------------------------------- propose
    def propose(
        self,
        tool: str,
        args: dict[str, Any] | str | None,
        *,
        user: str,
        thread: str | None = None,
        channel: str = "mcp",
    ) -> AskResult:
        """File a request for one write or destructive call named directly (no model reads it).

        The call becomes a request exactly as through ``ask``: the same plan, the same policy checks,
        the same approval record and id, decided by the approvers with ``decide``; nothing runs here.
        ``user`` is the requester. Bad arguments come back as ``bad_input`` naming the field, a read
        tool as ``bad_input`` (run it with ``run_tool``), a call the policy forbids as ``refused`` with
        its rules (nothing filed), and a call that would change nothing files nothing."""
        from agent import proposals
        from tools import registry, runtime
        from tools.errors import OpsbotError, ToolInputError, UnknownToolError

        thread = thread or f"{channel}-{uuid.uuid4().hex[:12]}"
        self.audit.record("request", user, thread=thread, data={"tool": tool, "args": args, "channel": channel})
        try:
            if self.toolsets is not None and tool not in {t.name for t in registry.tools(list(self.toolsets))}:
                raise UnknownToolError(f"unknown tool {tool!r}")
            declared = registry.get(tool)
            if not declared.is_write:
                raise ToolInputError(
                    "tool", tool, "is a read tool: nothing to approve, run it directly (opsbot tools run)"
                )
            tool_ctx = runtime.make_context(self.settings, requester=user, thread=thread, clients=self.clients())
            plan = proposals.plan_call(declared, args, tool_ctx)
        except OpsbotError as exc:
            return self._failed(thread, exc)
        assessment = proposals.assess(self.policy, plan, user, tool_ctx.region)
        answer = AskResult(
            thread=thread,
            route=registry.route_of(tool),
            tool_calls=[
                ToolCallView(
                    name=declared.name,
                    args=plan.args,
                    effect=str(declared.effect),
                    risk=str(declared.risk),
                    cost_usd_per_hour=plan.cost_usd_per_hour,
                )
            ],
            policy=assessment.findings,
            plan=plan.model_dump(mode="json"),
        )
        if assessment.noop:
            return answer.model_copy(update={"reply": assessment.noop_reply()})
        if assessment.broken:
            proposals.record_refusal(self.audit, assessment, user=user, thread=thread)
            text = assessment.refusal_reply()
            return answer.model_copy(
                update={
                    "approval": ApprovalView(required=True, status="refused"),
                    "reply": text,
                    "error": ErrorView(code="refused", message=text),
                }
            )
        record = proposals.file_request(
            self.approvals,
            plan,
            requester=user,
            thread=thread,
            channel=channel,
            account=tool_ctx.account,
            region=tool_ctx.region,
            findings=[f.model_dump() for f in assessment.findings],
        ).record
        approval = self._approval_view(record.id)
        return answer.model_copy(update={"approval": approval, "reply": _pending_reply(record.plan, approval)})

    # ---------------------------------------------------------------- decide
    def can_decide(self, approval_id: str, user: str) -> str | None:
        """None if ``user`` may decide this request now, else why not."""
        return self.approvals.can_decide(approval_id, user)

    def decide(
        self,
        approval_id: str,
        *,
        user: str,
        approve: bool,
        note: str | None = None,
        progress: Progress | None = None,
    ) -> AskResult:
        """Approve or reject. When enough approvals are in, the thread resumes and the call runs once.

        A decision the rules forbid raises (``ApprovalError``, exit 3); an unknown id raises
        ``NotFoundError`` (exit 2). A run that fails returns a result whose ``error`` says why."""
        record = self.approvals.decide(approval_id, user, approve, note)
        if record.status == "pending":
            self.notifier.decided(record, user)
            more = record.approvals_needed - len(set(record.approved_by))
            return AskResult(
                thread=record.thread,
                approval=self._approval_view(record.id),
                plan=record.plan,
                reply=f"{user} approved {record.id}; {more} more approval(s) needed from a different approver.",
                audit_head=self.audit.head(),
            )
        result = self._resume(record.id, record.thread, user, progress)
        self.notifier.decided(self.approvals.get(record.id), user)
        # The chain's head after this decision, for witnesses (the terminal, the Slack thread) to keep.
        return result.model_copy(update={"audit_head": self.audit.head()})

    def withdraw(self, approval_id: str, *, user: str) -> AskResult:
        """The requester cancels their own pending request (status ``withdrawn``); nothing runs.
        Others may not (exit 3)."""
        record = self.approvals.withdraw(approval_id, user)
        result = self._resume(record.id, record.thread, user, None)
        self.notifier.decided(self.approvals.get(record.id), user)
        return result.model_copy(update={"audit_head": self.audit.head()})

    def can_resume(self, approval_id: str, user: str) -> str | None:
        """None if ``user`` may resume this request's run now, else why not: only its requester or an
        approver, and only an approved call nobody is running (a run that stopped without an outcome)."""
        from agent.approvals import ApprovalError

        record = self.approvals.get(approval_id)
        if record.status == "executing" and record.lease is not None and not record.interrupted(self.approvals.now()):
            return f"its run is in progress (its lease holds until {record.lease.expires_at}); it does not run twice"
        if record.status not in ("approved", "executing"):
            return f"approval {approval_id} is {record.status}; there is no interrupted run to resume"
        try:
            self.approvals.check_resume(approval_id, user)
        except ApprovalError as exc:
            return str(exc)
        return None

    def resume(self, approval_id: str, *, user: str, progress: Progress | None = None) -> AskResult:
        """Continue a thread whose approved call was interrupted (a crash, a lost container). ``user`` is
        who asked to resume; the call still runs as its requester, once."""
        from tools.errors import ToolInputError

        record = self.get_approval(approval_id)
        if record.status not in ("approved", "executing"):
            raise ToolInputError(
                "approval_id",
                approval_id,
                f"only an approved request whose run was interrupted can be resumed; this one is {record.status}",
            )
        # Only its requester or an approver may; the run's lease and place are checked as it starts.
        self.approvals.check_resume(approval_id, user)
        self.audit.record("resume", user, thread=record.thread, approval_id=approval_id)
        return self._resume(approval_id, record.thread, user, progress)

    def _resume(self, approval_id: str, thread: str, by: str, progress: Progress | None) -> AskResult:
        try:
            return self._continue(approval_id, thread, by, progress)
        except Exception as exc:
            # The run (if this process started one) is over: end its lease now rather than make everyone
            # wait for it to run out, so an approver may press Resume and the recovery sweep takes it.
            self.approvals.release_lease(approval_id, _reason(exc))
            raise

    def _continue(self, approval_id: str, thread: str, by: str, progress: Progress | None) -> AskResult:
        from langgraph.types import Command

        record = self.approvals.get(approval_id)
        config = self._config(thread)
        snapshot = self.graph.get_state(config)
        values = snapshot.values or {}
        ctx = self._context(record.requester, thread, record.channel, progress)
        if values.get("approval_id") != approval_id or not snapshot.next:
            # The thread moved on to other questions (or has nothing left to run): the approval still
            # covers exactly its call, and the executor runs it once or reports what came of it.
            from agent.executor import run_approval

            text, result = run_approval(ctx, approval_id)
            view = self._approval_view(approval_id)
            return AskResult(
                thread=thread,
                approval=view,
                plan=record.plan,
                reply=text,
                result=result,
                error=self._run_error(approval_id, view),
            )
        if "await_approval" in (snapshot.next or ()):
            state = self.graph.invoke(Command(resume={"approval_id": approval_id, "by": by}), config, context=ctx)
        elif "execute" in (snapshot.next or ()):
            state = self.graph.invoke(None, config, context=ctx)
        else:
            state = values
        return self._result(thread, state)

    # -------------------------------------------------------------- recovery
    def sweep(self, now: datetime | None = None) -> list[Recovery]:
        """Finish the approved calls nobody is running: runs that stopped without an outcome (a killed
        container, an error after the AWS call) once their lease is over, and approvals whose run never
        started. Each is resumed through the same exactly-once path as ``resume`` (the tools' client
        tokens, deterministic names and describe-before-create keep a create from happening twice).

        A run resumed ``recovery_max_attempts`` times that stops again is marked failed with the reason,
        and its requester and approvers are told. The notifier hears of every outcome (the Slack card
        and its thread). ``now`` judges leases and grants at that moment (default: the clock); the
        recovery sweep of the Lambda function calls this every few minutes."""
        with self.approvals.pinned(now):
            return [self._recover(record) for record in self.approvals.stalled()]

    def _recover(self, record: ApprovalRecord) -> Recovery:
        from agent.approvals import ApprovalError

        limit = self.settings.recovery_max_attempts
        if record.status == "executing" and record.resume_attempts >= limit:
            reason = (
                f"opsbot resumed it {record.resume_attempts} time(s) and each run stopped without an outcome "
                f"(last: {record.interruption or 'its lease ran out'}), so it stopped trying. The AWS call may "
                "have happened: check the resource before asking again"
            )
            failed = self.approvals.give_up(record.id, reason)
            if failed is None:  # someone resumed it meanwhile
                return self._recovery(record, "skipped", "another run took it first")
            return self._tell(failed, "gave_up", f"{record.id} ({record.tool}) failed: {reason}.", everyone=True)
        self.audit.record("resume", "opsbot", thread=record.thread, approval_id=record.id, data={"by": "sweep"})
        try:
            self._resume(record.id, record.thread, "opsbot", None)
        except ApprovalError as exc:  # a live lease elsewhere, or another account or region
            return self._recovery(self.approvals.get(record.id), "skipped", str(exc))
        except Exception as exc:  # this run stopped too; its lease is released, the next sweep tries again
            after = self.approvals.get(record.id)
            message = (
                f"opsbot resumed {record.id} ({record.tool}), attempt {after.resume_attempts} of {limit}, and the "
                f"run stopped again ({_reason(exc)}). It tries again at the next sweep; the requester or an "
                "approver may press Resume."
            )
            return self._tell(after, "interrupted_again", message, everyone=after.resume_attempts >= limit)
        after = self.approvals.get(record.id)
        if after.status == "expired":
            return self._tell(after, "expired", f"{record.id} ({record.tool}): {after.error or 'expired'}")
        done = after.status in ("executed", "failed")
        outcome = (after.error if after.status == "failed" else after.reply) or after.status
        first = outcome.strip().splitlines()[0] if outcome.strip() else after.status
        message = (
            f"opsbot resumed {record.id} ({record.tool}) after its run was interrupted"
            + (f" (attempt {after.resume_attempts} of {limit})" if after.resume_attempts else "")
            + f": {after.status}: {first}"
        )
        if not done:
            return self._recovery(after, "skipped", f"{record.id} is {after.status}; nothing ran")
        return self._tell(after, "resumed", message, everyone=after.status == "failed")

    def _recovery(self, record: ApprovalRecord, action: str, message: str) -> Recovery:
        return Recovery(
            approval_id=record.id,
            thread=record.thread,
            tool=record.tool,
            action=action,  # type: ignore[arg-type]
            status=record.status,
            attempt=record.resume_attempts,
            max_attempts=self.settings.recovery_max_attempts,
            message=message,
        )

    def _tell(self, record: ApprovalRecord, action: str, message: str, everyone: bool = False) -> Recovery:
        """The sweep's outcome for ``record``, told to the notifier: the requester always, and the
        approvers too when ``everyone`` (the request failed or is about to)."""
        people = [record.requester, *(record.approved_by if everyone else [])]
        policy = self.approvals.policy
        tell: dict[str, str | None] = {}
        for name in dict.fromkeys(people):
            person = policy.people.get(name)
            if person is not None:
                tell[name] = person.slack
            else:  # someone the policy does not list is still reachable by their Slack id
                tell[name] = name.removeprefix("slack:") if name.startswith("slack:") else None
        recovery = self._recovery(record, action, message).model_copy(update={"tell": tell})
        try:
            self.notifier.recovered(record, recovery)
        except Exception:  # telling people must never stop the sweep from finishing the other runs
            log.exception("could not tell anyone about the recovery of %s", record.id)
        return recovery

    # ----------------------------------------------------------------- reads
    def get_approval(self, approval_id: str) -> ApprovalRecord:
        """One approval request; an unknown id raises ``NotFoundError`` (exit 2)."""
        return self.approvals.get(approval_id)

    def list_approvals(self, status: str | None = None, limit: int = 100) -> list[ApprovalRecord]:
        """Approval requests, newest first, optionally of one status (an unknown status is bad input)."""
        from agent.stores.approvals import Status
        from tools.errors import ToolInputError

        known = get_args(Status)
        if status is not None and status not in known:
            raise ToolInputError("status", status, f"expected one of: {', '.join(known)}")
        if limit < 1:
            raise ToolInputError("limit", limit, "expected a whole number of at least 1")
        return self.approvals.list(status=status, limit=limit)

    def pending_in_thread(self, thread: str) -> list[ApprovalRecord]:
        """Every request of ``thread`` that may still be approved, oldest first (an exact, indexed query)."""
        return self.approvals.pending_in_thread(thread)

    def attach_card(self, approval_id: str, channel: str, ts: str) -> None:
        """Remember the Slack message that shows this request, so a decision elsewhere can update it."""
        self.approvals.set_slack_ref(approval_id, channel, ts)

    def claim_delivery(self, key: str) -> bool:
        """True the first time a Slack delivery (event, command or click) is seen; False for a retry."""
        return self.approvals.claim_once(key)

    def audit_entries(self, limit: int = 50, approval_id: str | None = None) -> list[AuditEntry]:
        """The newest audit entries, oldest first, optionally only one request's (which must exist)."""
        from tools.errors import ToolInputError

        if limit < 1:
            raise ToolInputError("limit", limit, "expected a whole number of at least 1")
        if approval_id is not None:
            self.get_approval(approval_id)
        return self.audit.list(limit=limit, approval_id=approval_id)

    def verify_audit(self, head: str | None = None) -> VerifyReport:
        """Check the audit log's hash chain. ``head`` is a head noted earlier (``SEQ:HASH`` printed with
        a decision, or a hash alone): the chain must still contain it, so a log rewritten from scratch
        or cut back past that point is caught even though it links up again. An empty log is not
        intact ("no audit log"); a malformed head is bad input."""
        return self.audit.verify(head)

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

    def _run_error(self, approval_id: str, view: ApprovalView) -> ErrorView | None:
        if view.status != "failed":
            return None
        record = self.approvals.get(approval_id)
        return ErrorView(code="failed", message=f"{record.tool} failed: {record.error or 'unknown error'}")

    def _result(self, thread: str, state: dict[str, Any]) -> AskResult:
        approval = self._approval_view(state.get("approval_id"))
        reply = state.get("reply", "")
        error: ErrorView | None = None
        if state.get("refused"):
            approval = ApprovalView(required=True, status="refused")
            error = ErrorView(code="refused", message=reply)
        elif state.get("preview"):
            approval = ApprovalView(required=True, status="preview")
        elif state.get("error"):
            error = ErrorView.model_validate(state["error"])
        elif reply.startswith("error: "):
            # A reply the graph marked as an error without saying which kind.
            error = ErrorView(code="runtime_error", message=reply.removeprefix("error: "))
        elif approval.id:
            error = self._run_error(approval.id, approval)
        if not reply and approval.status == "pending" and state.get("plan"):
            reply = "\n".join([*state.get("notes", []), _pending_reply(state["plan"], approval)])
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
            error=error,
        )


def _pending_reply(plan: dict[str, Any], approval: ApprovalView) -> str:
    """One line for a request now waiting for approval: the call, its risk, approvers, cost and expiry."""
    cost = plan.get("cost_usd_per_hour")
    return (
        f"{plan['tool']} needs approval {approval.id} (risk {plan['risk']}, "
        f"{approval.approvals_needed} approver(s)"
        + (f", ${cost:,.2f}/hour" if cost is not None else "")
        + f"): {plan['summary']}. Nothing runs until it is approved; it expires at {approval.expires_at}."
    )


def _reason(exc: BaseException) -> str:
    """An error as one short line for a record and a card: its kind and its first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


# ------------------------------------------------------------- tools and sandbox
# Plain functions, not methods: they need no stores, no policy and no graph, so ``opsbot tools`` and
# ``opsbot sandbox`` stay fast and never import LangGraph.


class Target(BaseModel):
    """Where opsbot acts and as whom: what the banner and ``/whoami`` say."""

    live: bool
    account: str
    region: str
    model: str
    user: str
    home: str
    demo: bool = False  # the user is a demo identity (sandbox --as / OPSBOT_USER / OS user)


def target(settings: Settings) -> Target:
    """The account (from STS when live), region, model and user of these settings."""
    if settings.live:
        from tools.aws import AwsClients

        account = AwsClients(settings).account_id
    else:
        from tools.config import SANDBOX_ACCOUNT_ID

        account = SANDBOX_ACCOUNT_ID
    return Target(
        live=settings.live,
        account=account,
        region=settings.region,
        model=settings.model,
        user=settings.identity,
        home=str(settings.home_dir),
        demo=settings.demo_identity,
    )


def tool_catalog() -> list[dict[str, str]]:
    """Every tool: name, domain, effect, risk and its one-paragraph description."""
    from tools.registry import all_tools

    return [
        {"name": t.name, "domain": t.domain, "effect": str(t.effect), "risk": str(t.risk), "description": t.description}
        for t in all_tools()
    ]


class ToolSpec(BaseModel):
    """One tool as a client outside opsbot is told of it: what it does, what it does to AWS, and the JSON
    schema of its arguments (the cleaned schema the Bedrock specialists get: no references, no titles)."""

    name: str
    domain: str
    label: str
    description: str
    effect: str
    risk: str
    idempotent: bool
    input_schema: dict[str, Any]

    @property
    def is_write(self) -> bool:
        """True for write and destructive tools: they run only after approval."""
        return self.effect != "read"


def tool_specs(toolsets: Sequence[Toolset] | None = None) -> list[ToolSpec]:
    """Every tool of ``toolsets`` (default: the registry's), in catalog order, with its argument schema."""
    from agent.tool_schemas import tool_schema
    from tools.registry import tools

    return [
        ToolSpec(
            name=t.name,
            domain=t.domain,
            label=t.label or t.name.replace("_", " "),
            description=t.description,
            effect=str(t.effect),
            risk=str(t.risk),
            # A read changes nothing, so repeating it changes nothing more.
            idempotent=t.idempotent or not t.is_write,
            input_schema=tool_schema(t)["function"]["parameters"],
        )
        for t in tools(None if toolsets is None else list(toolsets))
    ]


def plan_tool(settings: Settings, name: str, args: dict[str, Any] | str | None, *, user: str) -> Plan:
    """What a call would do and cost, as ``user``; validates the arguments and never writes."""
    from tools import runtime

    return runtime.plan(name, args, runtime.make_context(settings, requester=user))


def run_tool(settings: Settings, name: str, args: dict[str, Any] | str | None, *, user: str) -> ToolOutcome:
    """Run a read tool as ``user``. A write or destructive tool raises ``ApprovalRequiredError`` (exit 3)."""
    from tools import runtime

    return runtime.run_read(name, args, runtime.make_context(settings, requester=user))


def reset_sandbox(settings: Settings, objects: int = 0, endpoints: int = 0) -> Path:
    """Throw away the sandbox state and reseed the demo account, with ``objects`` more S3 objects and
    ``endpoints`` more endpoints (a large account; bad sizes are bad input); returns the sandbox folder."""
    from tools.sandbox import get_sandbox
    from tools.sandbox.scale import check_scale, grow

    check_scale(objects, endpoints)
    sandbox = get_sandbox(settings)
    sandbox.reset()
    if objects or endpoints:
        grow(sandbox, objects=objects, endpoints=endpoints)
    return settings.home_dir / "sandbox"
