"""The agent's CLI commands: ask, approvals and audit. Imported only when one of them runs."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from agent.service import AskResult, Opsbot
from tools.config import Settings

console = Console()


def banner(settings: Settings) -> str:
    """One line saying where opsbot acts: sandbox or live, account, region, model, user."""
    if settings.live:
        from tools.aws import AwsClients

        clients = AwsClients(settings)
        where = f"LIVE AWS account {clients.account_id}, {settings.region}"
    else:
        where = f"sandbox (offline demo account 123456789012, {settings.region}; state in {settings.home_dir})"
    who = f"{settings.identity} (demo identity, sandbox only)" if settings.demo_identity else settings.identity
    return f"opsbot on {where} | model {settings.model} | you are {who}"


def _live_banner(settings: Settings, as_json: bool) -> None:
    # Acting on a real account is never silent; on stderr so --json output stays one document.
    if settings.live:
        Console(stderr=True).print(f"[bold red]{banner(settings)}[/bold red]", highlight=False)
    elif not as_json:
        console.print(f"[dim]{banner(settings)}[/dim]", highlight=False)


def print_result(result: AskResult, as_json: bool) -> None:
    """The JSON document, or the reply with the plan card for people."""
    if as_json:
        print(json.dumps(result.public(), indent=2))
        return
    from agent.frontends.cards import render_result

    render_result(console, result)


def ask(settings: Settings, text: str, *, as_json: bool, dry_run: bool, thread: str | None) -> int:
    """``opsbot ask``: one request, one answer."""
    _live_banner(settings, as_json)
    bot = Opsbot(settings)
    result = bot.ask(text, user=settings.identity, thread=thread, dry_run=dry_run)
    print_result(result, as_json)
    interactive = not dry_run and not as_json and sys.stdin.isatty()
    # At a terminal, someone allowed to approve their own request (low risk) may do it here.
    if interactive and result.approval.status == "pending" and result.approval.id:
        approval_id = result.approval.id
        if bot.can_decide(approval_id, settings.identity) is None:
            answer = console.input(f"approve {approval_id} now as {settings.identity}? [y/N] ")
            if answer.strip().lower() in ("y", "yes"):
                return approvals_decide(settings, approval_id, True, None, as_json)
    if result.error:
        return 2
    return 3 if result.approval.status == "refused" else 0


def approvals_list(settings: Settings, status: str | None, as_json: bool) -> int:
    """``opsbot approvals list``."""
    records = Opsbot(settings).approvals.list(status=status)
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in records], indent=2))
        return 0
    table = Table("id", "status", "tool", "risk", "requester", "approved by", "needed", "expires")
    for r in records:
        table.add_row(
            r.id, r.status, r.tool, r.risk, r.requester, ", ".join(r.approved_by), str(r.approvals_needed), r.expires_at
        )
    console.print(table if records else "no approval requests")
    return 0


def approvals_show(settings: Settings, approval_id: str, as_json: bool) -> int:
    """``opsbot approvals show ID``."""
    record = Opsbot(settings).approvals.get(approval_id)
    if as_json:
        print(record.model_dump_json(indent=2))
        return 0
    from agent.frontends.cards import render_approval

    render_approval(console, record)
    return 0


def approvals_decide(settings: Settings, approval_id: str, approve: bool, note: str | None, as_json: bool) -> int:
    """``opsbot approvals approve|reject ID``: decide, and run the call once enough people approved."""
    _live_banner(settings, as_json)
    bot = Opsbot(settings)
    with console.status("working with AWS...", spinner="dots") if not as_json else _null():
        result = bot.decide(approval_id, user=settings.identity, approve=approve, note=note)
    record = bot.approvals.get(approval_id)
    if record.slack_ref:
        from agent.slack.notify import sync_card

        sync_card(record, settings.identity)
    print_result(result, as_json)
    if not as_json and result.audit_head:
        console.print(f"audit head {result.audit_head}", style="dim", highlight=False)
    return 1 if result.approval.status == "failed" else 0


def approvals_resume(settings: Settings, approval_id: str, as_json: bool) -> int:
    """``opsbot approvals resume ID``: continue an approved call that was interrupted."""
    _live_banner(settings, as_json)
    bot = Opsbot(settings)
    record = bot.approvals.get(approval_id)
    if record.status not in ("approved", "executing"):
        from tools.errors import OpsbotError

        raise OpsbotError(f"approval {approval_id} is {record.status}; only an approved request can be resumed")
    with console.status("working with AWS...", spinner="dots") if not as_json else _null():
        result = bot.resume(approval_id, user=settings.identity)
    print_result(result, as_json)
    return 1 if result.approval.status == "failed" else 0


def audit_list(settings: Settings, limit: int, approval_id: str | None, as_json: bool) -> int:
    """``opsbot audit list``."""
    entries = Opsbot(settings).audit.list(limit=limit, approval_id=approval_id)
    if as_json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return 0
    table = Table("seq", "at", "kind", "actor", "approval", "details")
    for e in entries:
        table.add_row(str(e.seq), e.at, e.kind, e.actor, e.approval_id or "", json.dumps(e.data)[:80])
    console.print(table)
    return 0


def audit_verify(settings: Settings, as_json: bool, head: str | None = None) -> int:
    """``opsbot audit verify [--head SEQ:HASH]``: exit 0 when the chain is intact (and holds the
    witnessed head), 1 when not or when there is no audit log."""
    report = Opsbot(settings).verify_audit(head)
    if as_json:
        print(report.model_dump_json(indent=2))
    elif report.ok:
        anchored = f", contains witnessed head {report.anchored}" if report.anchored else ""
        console.print(f"audit log intact: {report.entries} entries, hash chain verified{anchored}; head {report.head}")
    elif report.entries == 0:
        console.print(f"[red]{report.problems[0]}[/red]")
    else:
        console.print(f"[red]audit log TAMPERED[/red] ({report.entries} entries):")
        for p in report.problems:
            console.print(f"  - {p}")
    return 0 if report.ok else 1


class _null:
    def __enter__(self) -> Any:
        return None

    def __exit__(self, *_: Any) -> None:
        return None
