"""Rich rendering of plans, approval cards and results for the terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from agent.render import changes_beyond_summary, money
from agent.service import ApprovalRecord, AskResult

RISK_STYLE = {"read": "green", "low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}
APPROVER_RULES = ("approvers-for-tier", "no-self-approval")


def plan_table(plan: dict[str, Any], policy: list[dict[str, Any]]) -> Table:
    """The plan card body: changes, cost, risk, who may approve, and each policy check in words."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("action", escape(f"{plan['tool']} ({plan['effect']})"))
    table.add_row("risk", f"[{RISK_STYLE.get(plan['risk'], '')}]{plan['risk']}[/]")
    table.add_row("what", escape(plan.get("summary", "")))
    for change in changes_beyond_summary(plan.get("summary", ""), plan.get("changes", [])):
        table.add_row("", escape(f"- {change}"))
    if plan.get("cost_usd_per_hour") is not None:
        cost = f"{money(plan['cost_usd_per_hour'])}/hour"
        if plan.get("cost_usd_total") is not None:
            cost += f", {money(plan['cost_usd_total'])} for the run"
        table.add_row("cost", cost)
    if plan.get("cost_note"):
        table.add_row("", escape(plan["cost_note"]))
    for w in plan.get("warnings", []):
        table.add_row("warning", f"[yellow]{escape(w)}[/]")
    approvers = [f["message"] for f in policy if f["rule"] in APPROVER_RULES]
    if approvers:
        table.add_row("approvers", escape("; ".join(approvers)))
    # Each check in its own words ("... is not denied by policy"), never a bare rule name that could
    # read as its opposite; a broken check names its rule, which is what the policy file calls it.
    for f in policy:
        if f["rule"] in APPROVER_RULES:
            continue
        if f["ok"]:
            table.add_row("policy", f"[green]pass[/] {escape(f['message'])}")
        else:
            table.add_row("policy", f"[red]REFUSED[/] {escape(f['rule'])}: {escape(f['message'])}")
    return table


def card_title(result: AskResult) -> str:
    """What the card is: a request waiting for approval (with its id), a refusal, or a preview."""
    approval = result.approval
    if approval.status == "refused":
        return "refused by policy (nothing was filed or run)"
    if approval.status == "preview" or not approval.id:
        return "plan preview (nothing was filed)"
    return f"approval {approval.id} [{approval.status}]"


def render_result(console: Console, result: AskResult, hints: bool = True) -> None:
    """A reply, with the plan card when a write was proposed. An error's line is left to the caller."""
    if result.plan and result.approval.required:
        body = plan_table(result.plan, [f.model_dump() for f in result.policy])
        console.print(Panel(body, title=escape(card_title(result)), title_align="left"))
    if result.reply and result.error is None:
        console.print(result.reply, markup=False, highlight=False, soft_wrap=True)
    if hints and result.approval.status == "pending" and result.approval.id:
        hint = f"approve with: opsbot approvals approve {result.approval.id} --as APPROVER   (thread {result.thread})"
        Console(stderr=True).print(hint, style="dim", markup=False, highlight=False, soft_wrap=True)


def render_approval(console: Console, record: ApprovalRecord) -> None:
    """One approval request in full."""
    body = plan_table(record.plan, record.policy)
    body.add_row("requester", escape(record.requester) + (" (demo identity, sandbox only)" if record.demo else ""))
    approved = ", ".join(record.approved_by)
    body.add_row("approvals", escape(f"{len(set(record.approved_by))}/{record.approvals_needed} {approved}".strip()))
    body.add_row("expires", record.expires_at)
    body.add_row("thread", escape(record.thread))
    for d in record.decisions:
        note = f" ({d.note})" if d.note else ""
        body.add_row("decision", escape(f"{d.at} {d.user}: {d.decision}{note}"))
    if record.reply:
        body.add_row("result", escape(record.reply))
    if record.error and record.status == "failed":
        body.add_row("error", f"[red]{escape(record.error)}[/]")
    console.print(Panel(body, title=escape(f"{record.id} [{record.status}]"), title_align="left"))
