"""``opsbot mcp``: opsbot's tools for Amazon Q Developer CLI and other MCP clients, over stdio.

The tool list is derived from the toolsets (``agent.service.tool_specs``): each tool's name, label,
description and the JSON schema of its arguments, with MCP annotations saying what it does to AWS
(``readOnlyHint`` for reads, ``destructiveHint`` for destructive tools, ``idempotentHint`` where
running it again changes nothing more). A tool added to a toolset is offered here with no change.

What a call does depends on the tool's effect:

- a read runs and returns its answer: text for people and, as structured content, the document of
  ``opsbot tools run --json`` (the typed result as data);
- a write or destructive call never runs from here: it is filed as a request exactly as ``opsbot ask``
  files it (``Opsbot.propose``: the same plan, policy checks, approval record and id) and returns the
  plan, the cost, who may approve and the id. The MCP caller is its requester; approvers decide in
  Slack or with ``opsbot approvals``. A call the policy refuses returns the rules that refused it.

Two more tools follow requests: ``approval_status`` and ``list_pending_approvals``. With
``read_only`` only the reads (and those two) are offered. Every result names the account, the region
and the identity it was served as. Failures (bad arguments, unknown names, AWS errors) are tool
results marked ``isError`` with one line naming the field, never a protocol error or a traceback.

Only the facade is used; the MCP SDK is imported by this module alone, which ``opsbot mcp`` imports
when it runs (so ``opsbot --help`` never loads it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.server import Server

from agent.service import AskResult, ErrorView, Opsbot, ToolSpec, run_tool, target, tool_specs
from agent.views import error_view

if TYPE_CHECKING:
    from collections.abc import Sequence

    from tools.base import Toolset
    from tools.config import Settings

APPROVAL_STATUS = "approval_status"
LIST_PENDING = "list_pending_approvals"
APPROVAL_ID_HINT = "an approval id as filed by a write tool, e.g. ap-3f9c0a1b2d"

INSTRUCTIONS = (
    "opsbot runs LLM training and inference operations on AWS (HyperPod, Trainium training, Inf2 and "
    "P6-B200 endpoints, ElastiCache, S3 Metadata). Read tools answer at once. Write and destructive tools "
    "never run from here: each call files an approval request with its plan and cost, and returns its id; "
    "the approvers named in the result decide in Slack or with `opsbot approvals approve ID`, and the call "
    "then runs once. Follow a request with approval_status; list_pending_approvals shows the queue."
)


def acting(settings: Settings) -> Settings:
    """``settings`` acting as the MCP caller, who requests every write filed here.

    The one place the MCP server learns its identity. ``opsbot mcp`` hands in the settings of its
    command line, already resolved; any other settings are resolved as the CLI resolves them: on live
    AWS the AWS caller (STS, asked when first needed; ``--as`` and ``OPSBOT_USER`` are refused there),
    on the sandbox a labelled demo identity (``--as``, ``OPSBOT_USER`` or the OS user)."""
    if settings.resolved_identity is not None:
        return settings
    from agent.identity import settings_with_identity

    return settings_with_identity(settings)


@dataclass
class OpsbotMcp:
    """The MCP face of one facade: the tools it offers and what a call of each returns.

    Calls are synchronous (they talk to AWS and the stores); the server runs them in a worker thread.
    """

    bot: Opsbot
    user: str
    read_only: bool = False
    toolsets: Sequence[Toolset] | None = None
    specs: dict[str, ToolSpec] = field(init=False)
    _scope: dict[str, Any] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        specs = tool_specs(self.toolsets)
        taken = sorted({APPROVAL_STATUS, LIST_PENDING} & {s.name for s in specs})
        if taken:
            raise ValueError(f"tools named {', '.join(taken)} would hide the MCP server's own approval tools")
        self.specs = {s.name: s for s in specs if not (self.read_only and s.is_write)}

    # ------------------------------------------------------------------ the list
    def tools(self) -> list[types.Tool]:
        """Every tool offered: the catalog's (reads only when read-only), then the two approval tools."""
        return [*(mcp_tool(spec) for spec in self.specs.values()), *approval_tools()]

    # ----------------------------------------------------------------- a call
    def call(self, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        """The result of calling tool ``name``; every failure is a result marked ``isError``."""
        arguments = arguments or {}
        try:
            if name == APPROVAL_STATUS:
                return self._approval_status(arguments)
            if name == LIST_PENDING:
                return self._list_pending(arguments)
            spec = self.specs.get(name)
            if spec is None:
                return self._error(self._unknown(name), {"tool": name, "args": arguments})
            return self._propose(spec, arguments) if spec.is_write else self._read(spec, arguments)
        except Exception as exc:  # every failure is an answer the caller can read, never a traceback
            return self._error(error_view(exc), {"tool": name, "args": arguments})

    def _unknown(self, name: str) -> ErrorView:
        if self.read_only and name in {s.name for s in tool_specs(self.toolsets)}:
            message = f"{name} writes to AWS and this server is read-only (opsbot mcp --read-only); nothing was filed"
            return ErrorView(code="refused", message=message, field="name")
        known = ", ".join([*self.specs, APPROVAL_STATUS, LIST_PENDING])
        return ErrorView(code="not_found", message=f"unknown tool {name!r}; tools: {known}", field="name")

    def _read(self, spec: ToolSpec, arguments: dict[str, Any]) -> types.CallToolResult:
        outcome = run_tool(self.bot.settings, spec.name, arguments, user=self.user)
        data = {"ok": True, "error": None, "tool": spec.name, "args": arguments, "result": outcome.result}
        return self._answer(outcome.text, data | {"text": outcome.text})

    def _propose(self, spec: ToolSpec, arguments: dict[str, Any]) -> types.CallToolResult:
        result = self.bot.propose(spec.name, arguments, user=self.user, channel="mcp")
        document = result.public()
        if result.error is not None and result.error.code != "refused":
            return self._error(result.error, {"tool": spec.name, "args": arguments})
        approvers = _finding(result, "approvers-for-tier")
        self_rule = _finding(result, "no-self-approval")
        lines = [result.reply]
        if result.plan and result.approval.status == "pending":
            lines.append(_plan_lines(result.plan))
            lines.append(f"Who may approve: {approvers}" + (f"; {self_rule}" if self_rule else "") + ".")
            lines.append(
                f"Approvers decide in Slack or with `opsbot approvals approve {result.approval.id}`; "
                f"follow it with {APPROVAL_STATUS}."
            )
            document |= {"approvers": approvers, "decide_with": f"opsbot approvals approve {result.approval.id}"}
        return self._answer("\n".join(lines), document, is_error=result.error is not None)

    def _approval_status(self, arguments: dict[str, Any]) -> types.CallToolResult:
        bad = _only(APPROVAL_STATUS, arguments, {"id"})
        value = arguments.get("id")
        if bad is None and (not isinstance(value, str) or not value.strip()):
            bad = ErrorView(
                code="bad_input",
                message=f"{APPROVAL_STATUS}: id={value!r} is not valid; expected {APPROVAL_ID_HINT}",
                field="id",
            )
        if bad is not None:
            return self._error(bad, {"args": arguments})
        record = self.bot.get_approval(str(value).strip())
        data = record.model_dump(mode="json")
        text = _record_line(data)
        if record.status in ("executed", "failed") and (record.reply or record.error):
            text += "\n" + (record.reply or record.error or "")
        return self._answer(text, {"ok": True, "error": None, "approval": data})

    def _list_pending(self, arguments: dict[str, Any]) -> types.CallToolResult:
        bad = _only(LIST_PENDING, arguments, set())
        if bad is not None:
            return self._error(bad, {"args": arguments})
        records = [r.model_dump(mode="json") for r in self.bot.list_approvals(status="pending")]
        text = "\n".join(_record_line(r) for r in records) or "no pending approval requests"
        return self._answer(text, {"ok": True, "error": None, "approvals": records})

    # ----------------------------------------------------------------- results
    def scope(self) -> dict[str, Any]:
        """Where and as whom this server acts: on every result (the account is asked of STS once, when live)."""
        if self._scope is None:
            where = target(self.bot.settings)
            self._scope = {
                "live": where.live,
                "account": where.account,
                "region": where.region,
                "user": self.user,
                "demo": where.demo and where.user == self.user,
            }
        return self._scope

    def _scope_line(self) -> str:
        s = self.scope()
        where = "LIVE AWS account" if s["live"] else "sandbox account"
        who = f"{s['user']} (demo identity)" if s["demo"] else s["user"]
        return f"[{where} {s['account']}, {s['region']}; as {who}]"

    def _answer(self, text: str, data: dict[str, Any], *, is_error: bool = False) -> types.CallToolResult:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"{text}\n{self._scope_line()}")],
            structured_content={**data, **self.scope()},
            is_error=is_error,
        )

    def _error(self, error: ErrorView, data: dict[str, Any]) -> types.CallToolResult:
        document = {"ok": False, "error": error.model_dump(), **data}
        return self._answer(f"error: {error.message}", document, is_error=True)


# ------------------------------------------------------------------------ tools
def mcp_tool(spec: ToolSpec) -> types.Tool:
    """One catalog tool as MCP lists it. The annotations say what the call does to AWS once approved
    (from MCP a write only files its request)."""
    write = spec.is_write
    description = spec.description
    if write:
        description += (
            f" [{spec.effect}, risk {spec.risk}: calling this files an approval request (plan, cost, approvers, "
            "id) and changes nothing; it runs once approvers approve it.]"
        )
    return types.Tool(
        name=spec.name,
        title=spec.label[:1].upper() + spec.label[1:],
        description=description,
        input_schema=spec.input_schema,
        annotations=types.ToolAnnotations(
            title=spec.label[:1].upper() + spec.label[1:],
            read_only_hint=not write,
            destructive_hint=spec.effect == "destructive",
            idempotent_hint=spec.idempotent,
            open_world_hint=False,  # one AWS account's resources, not the open web
        ),
    )


def approval_tools() -> list[types.Tool]:
    """The two tools that follow requests: one request's status, and the queue of pending ones."""
    read = types.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    return [
        types.Tool(
            name=APPROVAL_STATUS,
            title="Approval status",
            description=(
                "Where one approval request stands: pending (with who approved so far), approved, executed "
                "(with the result), failed, rejected, expired. Use the id a write tool returned."
            ),
            input_schema={
                "type": "object",
                "properties": {"id": {"type": "string", "description": f"The approval id: {APPROVAL_ID_HINT}."}},
                "required": ["id"],
                "additionalProperties": False,
            },
            annotations=read.model_copy(update={"title": "Approval status"}),
        ),
        types.Tool(
            name=LIST_PENDING,
            title="Pending approvals",
            description="Every approval request waiting for a decision, newest first: id, tool, risk, requester.",
            input_schema={"type": "object", "properties": {}, "additionalProperties": False},
            annotations=read.model_copy(update={"title": "Pending approvals"}),
        ),
    ]


# ---------------------------------------------------------------------- helpers
def _only(tool: str, arguments: dict[str, Any], allowed: set[str]) -> ErrorView | None:
    extra = sorted(set(arguments) - allowed)
    if not extra:
        return None
    takes = f"takes only {', '.join(sorted(allowed))}" if allowed else "takes no arguments"
    return ErrorView(
        code="bad_input",
        message=f"{tool}: {extra[0]}={arguments[extra[0]]!r} is not valid; {tool} {takes}",
        field=extra[0],
    )


def _finding(result: AskResult, rule: str) -> str:
    return next((f.message for f in result.policy if f.rule == rule), "")


def _plan_lines(plan: dict[str, Any]) -> str:
    lines = ["Plan:", *(f"  - {c}" for c in plan.get("changes", []))]
    cost = plan.get("cost_usd_per_hour")
    if cost is not None:
        total = plan.get("cost_usd_total")
        lines.append(f"  cost: ${cost:,.2f}/hour" + (f", ${total:,.2f} for the run" if total is not None else ""))
    if plan.get("cost_note"):
        lines.append(f"  note: {plan['cost_note']}")
    lines += [f"  warning: {w}" for w in plan.get("warnings", [])]
    return "\n".join(lines)


def _record_line(r: dict[str, Any]) -> str:
    approved = len(set(r.get("approved_by", [])))
    return (
        f"{r['id']} {r['status']}: {r['tool']} {json.dumps(r['args'], sort_keys=True)} (risk {r['risk']}, "
        f"requested by {r['requester']}, {approved}/{r['approvals_needed']} approvals, expires {r['expires_at']})"
    )


# ----------------------------------------------------------------------- server
def build_server(front: OpsbotMcp) -> Server[Any]:
    """The MCP server over ``front``: tools/list and tools/call, nothing else."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        own_version = version("opsbot")
    except PackageNotFoundError:
        own_version = "0"

    async def list_tools(_ctx: Any, _params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=front.tools())

    async def call_tool(_ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        # A worker thread keeps the event loop answering (pings, cancellations) while AWS is slow.
        return await anyio.to_thread.run_sync(front.call, params.name, params.arguments)

    return Server(
        "opsbot",
        version=own_version,
        title="opsbot",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def make_front(settings: Settings, *, read_only: bool = False) -> OpsbotMcp:
    """The MCP face for ``settings``, calling as their identity (see ``acting``). Its facade has the
    terminal's notifier: a decision taken through it keeps the request's Slack card true."""
    from agent.notify import SlackCardSync

    settings = acting(settings)
    bot = Opsbot(settings, notifier=SlackCardSync.from_settings(settings, where="MCP"))
    return OpsbotMcp(bot, user=settings.identity, read_only=read_only)


def serve(settings: Settings, *, read_only: bool = False) -> int:
    """Serve MCP over this process's stdin and stdout until the client closes them."""
    from mcp.server.stdio import stdio_server

    server = build_server(make_front(settings, read_only=read_only))

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
    return 0
