"""Rich rendering of plans, approval cards and results for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from agent.render import money
from agent.service import AskResult
from agent.stores.approvals import ApprovalRecord

RISK_STYLE = {"read": "green", "low": "green", "medium": "yellow", "high": "red", "critical": "bold red"}


def plan_table(plan: dict, policy: list[dict]) -> Table:
    """The plan card body: changes, cost, risk, policy findings."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("action", f"{plan['tool']} ({plan['effect']})")
    table.add_row("risk", f"[{RISK_STYLE.get(plan['risk'], '')}]{plan['risk']}[/]")
    table.add_row("what", plan.get("summary", ""))
    for change in plan.get("changes", []):
        table.add_row("", f"- {change}")
    if plan.get("cost_usd_per_hour") is not None:
        cost = f"{money(plan['cost_usd_per_hour'])}/hour"
        if plan.get("cost_usd_total") is not None:
            cost += f", {money(plan['cost_usd_total'])} for the run"
        table.add_row("cost", cost)
    if plan.get("cost_note"):
        table.add_row("", plan["cost_note"])
    for w in plan.get("warnings", []):
        table.add_row("warning", f"[yellow]{escape(w)}[/]")
    approvers = [f["message"] for f in policy if f["rule"] in ("approvers-for-tier", "no-self-approval")]
    if approvers:
        table.add_row("approvers", "; ".join(approvers))
    checks = [f for f in policy if f["rule"] not in ("approvers-for-tier", "no-self-approval")]
    broken = [f for f in checks if not f["ok"]]
    for f in broken:
        table.add_row("policy", f"[red]BROKEN[/] {f['rule']}: {escape(f['message'])}")
    if checks and not broken:
        table.add_row("policy", f"[green]ok[/] {', '.join(f['rule'] for f in checks)}")
    return table


def render_result(console: Console, result: AskResult) -> None:
    """A reply, with the plan card when a write was proposed."""
    if result.plan and result.approval.required:
        title = escape(f"approval {result.approval.id or ''} [{result.approval.status}]")
        console.print(Panel(plan_table(result.plan, [f.model_dump() for f in result.policy]), title=title))
    if result.reply:
        console.print(result.reply, markup=False, highlight=False)
    if result.approval.status == "pending":
        console.print(
            f"approve with: opsbot approvals approve {result.approval.id} --as <approver>   (thread {result.thread})",
            style="dim",
        )


def render_approval(console: Console, record: ApprovalRecord) -> None:
    """One approval request in full."""
    body = plan_table(record.plan, record.policy)
    body.add_row("requester", record.requester + (" (demo identity, sandbox only)" if record.demo else ""))
    body.add_row("approvals", f"{len(record.approved_by)}/{record.approvals_needed} {', '.join(record.approved_by)}")
    body.add_row("expires", record.expires_at)
    body.add_row("thread", record.thread)
    for d in record.decisions:
        body.add_row("decision", f"{d.at} {d.user}: {d.decision}")
    if record.reply:
        body.add_row("result", record.reply)
    console.print(Panel(body, title=escape(f"{record.id} [{record.status}]")))
