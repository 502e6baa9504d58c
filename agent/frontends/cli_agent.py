"""The agent's CLI commands: ask, approvals and audit, all through the ``Opsbot`` facade.

``approvals`` and ``audit`` never import the graph or LangGraph (only ``ask`` and the decisions that
run a call do). Decisions taken here update the request's Slack card through the core notifier.
"""

from __future__ import annotations

import shlex
import sys
from datetime import datetime

from agent.frontends.output import Column, Run, fit_table
from agent.notify import SlackCardSync
from agent.service import AskResult, Opsbot, target
from agent.views import ErrorView
from tools.config import Settings

# Narrow terminals drop columns in this order: expires, approved by, approvals, requester, risk, tool,
# status. The id is never dropped nor cut: it is what people copy to approve.
APPROVAL_COLUMNS = (
    Column("id"),
    Column("status", keep=7),
    Column("tool", keep=6),
    Column("risk", keep=5),
    Column("requester", keep=4, wrap=True, min_width=9),
    Column("approved by", keep=2, wrap=True, min_width=11),
    Column("approvals", keep=3),
    Column("expires (UTC)", keep=1),
)
# Audit entries drop details first, then the actor, the approval id and the kind; seq and time stay.
AUDIT_COLUMNS = (
    Column("seq"),
    Column("at (UTC)"),
    Column("kind", keep=4),
    Column("actor", keep=2, wrap=True, min_width=8),
    Column("approval", keep=3),
    Column("details", keep=1, wrap=True, min_width=16),
)


def banner(settings: Settings) -> str:
    """One line saying where opsbot acts: sandbox or live, account, region, model, user."""
    t = target(settings)
    if t.live:
        where = f"LIVE AWS account {t.account}, {t.region}"
    else:
        where = f"sandbox (offline demo account {t.account}, {t.region}; state in {t.home})"
    who = f"{t.user} (demo identity, sandbox only)" if t.demo else t.user
    return f"opsbot on {where} | model {t.model} | you are {who}"


def show_banner(run: Run, settings: Settings) -> None:
    """The banner on stderr. Acting on a real account is never silent, whatever --quiet or --json say."""
    if settings.live:
        run.err.print(banner(settings), style="bold red", markup=False, highlight=False, soft_wrap=True)
    else:
        run.note(banner(settings))


def short_time(iso: str | None) -> str:
    """An ISO time as ``YYYY-MM-DD HH:MM:SS`` in UTC (every opsbot time is UTC)."""
    if not iso:
        return "-"
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def terminal_bot(settings: Settings) -> Opsbot:
    """The facade for a person at the terminal: decisions update Slack cards of requests filed there."""
    # Decisions taken in the terminal keep the Slack card of a request true.
    return Opsbot(settings, notifier=SlackCardSync.from_settings(settings))


def report(run: Run, result: AskResult) -> int:
    """The outcome of a request or decision: the JSON envelope, or the card and reply for people."""
    if run.json:
        return run.emit(result.model_dump(mode="json", exclude={"error"}), result.error)
    from agent.frontends.cards import render_result

    render_result(run.out, result, hints=not run.quiet)
    if result.error is not None:
        return run.error(result.error)
    return 0


# ------------------------------------------------------------------------ ask
# The global options a later `opsbot ask --thread` must repeat to continue as the same person, there.
CONTINUE_OPTIONS = (("live", "--live"), ("region", "--region"), ("model", "--model"), ("user", "--as"))


def continue_hint(run: Run, result: AskResult, dry_run: bool) -> str:
    """The command that continues this conversation, with what to say next when opsbot asked for something."""
    if result.clarify:
        say = "ANSWER"
    elif result.approval.status == "preview" and not dry_run and all(f.ok for f in result.policy):
        say = "do it"  # the preview offered to file it
    else:
        say = "..."
    options = []
    for key, flag in CONTINUE_OPTIONS:
        value = run.overrides.get(key)
        if value is True:
            options.append(flag)
        elif value:
            options.append(f"{flag} {shlex.quote(str(value))}")
    words = ["opsbot", *options, "ask", "--thread", shlex.quote(result.thread), f'"{say}"']
    return "continue with: " + " ".join(words)


def ask(run: Run, text: str, *, dry_run: bool, thread: str | None) -> int:
    """``opsbot ask``: one request, one answer. ``--thread`` must name a conversation held before."""
    settings = run.settings()
    show_banner(run, settings)
    bot = terminal_bot(settings)
    if thread is not None and not bot.has_thread(thread):
        # A mistyped id would otherwise start a new conversation in which "do it" or "scale it" mean nothing.
        message = (
            f"thread={thread!r} is not a conversation opsbot has held; use the id printed after "
            '"continue with:" (or "thread" with --json), or leave out --thread to start a new one'
        )
        return run.error(ErrorView(code="not_found", message=message, field="thread"), {"thread": thread})
    with run.working("thinking..."):
        result = bot.ask(text, user=settings.identity, thread=thread, dry_run=dry_run)
    code = report(run, result)
    if result.error is None:
        run.note(continue_hint(run, result, dry_run))
    interactive = not dry_run and not run.json and sys.stdin.isatty()
    # At a terminal, someone allowed to approve their own request (low risk) may do it here.
    if interactive and result.approval.status == "pending" and result.approval.id:
        approval_id = result.approval.id
        if bot.can_decide(approval_id, settings.identity) is None:
            answer = run.out.input(f"approve {approval_id} now as {settings.identity}? [y/N] ")
            if answer.strip().lower() in ("y", "yes"):
                return _decide(run, bot, settings, approval_id, True, None)
    return code


# ------------------------------------------------------------------ approvals
def approvals_list(run: Run, status: str | None, limit: int) -> int:
    """``opsbot approvals list``."""
    records = Opsbot(run.settings()).list_approvals(status=status, limit=limit)
    if run.json:
        return run.emit({"approvals": [r.model_dump(mode="json") for r in records]})
    if not records:
        run.say(f"no {status + ' ' if status else ''}approval requests")
        return 0
    rows = [
        (
            r.id,
            r.status,
            r.tool,
            r.risk,
            r.requester,
            ", ".join(r.approved_by) or "-",
            f"{len(set(r.approved_by))}/{r.approvals_needed}",
            short_time(r.expires_at),
        )
        for r in records
    ]
    run.out.print(fit_table(APPROVAL_COLUMNS, rows, run.out.width))
    return 0


def approvals_show(run: Run, approval_id: str) -> int:
    """``opsbot approvals show ID``."""
    record = Opsbot(run.settings()).get_approval(approval_id)
    if run.json:
        return run.emit({"approval": record.model_dump(mode="json")})
    from agent.frontends.cards import render_approval

    render_approval(run.out, record)
    return 0


def approvals_decide(run: Run, approval_id: str, approve: bool, note: str | None) -> int:
    """``opsbot approvals approve|reject ID``: decide, and run the call once enough people approved."""
    settings = run.settings()
    show_banner(run, settings)
    return _decide(run, terminal_bot(settings), settings, approval_id, approve, note)


def _decide(run: Run, bot: Opsbot, settings: Settings, approval_id: str, approve: bool, note: str | None) -> int:
    with run.working("working with AWS...") as status:
        progress = (lambda m: status.update(m)) if status is not None else None
        result = bot.decide(approval_id, user=settings.identity, approve=approve, note=note, progress=progress)
    code = report(run, result)
    if result.audit_head:
        # Printed with every decision so the terminal's scrollback is a witness: see docs/audit.md.
        run.note(f"audit head {result.audit_head}")
    return code


def approvals_withdraw(run: Run, approval_id: str) -> int:
    """``opsbot approvals withdraw ID``: the requester cancels their own pending request."""
    settings = run.settings()
    result = terminal_bot(settings).withdraw(approval_id, user=settings.identity)
    return report(run, result)


def approvals_resume(run: Run, approval_id: str) -> int:
    """``opsbot approvals resume ID``: continue an approved call that was interrupted."""
    settings = run.settings()
    show_banner(run, settings)
    bot = terminal_bot(settings)
    with run.working("working with AWS...") as status:
        progress = (lambda m: status.update(m)) if status is not None else None
        result = bot.resume(approval_id, user=settings.identity, progress=progress)
    return report(run, result)


# ---------------------------------------------------------------------- audit
def audit_list(run: Run, limit: int, approval_id: str | None) -> int:
    """``opsbot audit list``."""
    import json

    entries = Opsbot(run.settings()).audit_entries(limit=limit, approval_id=approval_id)
    if run.json:
        return run.emit({"entries": [e.model_dump(mode="json") for e in entries]})
    if not entries:
        run.say("the audit log is empty")
        return 0
    rows = [
        (str(e.seq), short_time(e.at), e.kind, e.actor, e.approval_id or "-", json.dumps(e.data)[:200]) for e in entries
    ]
    run.out.print(fit_table(AUDIT_COLUMNS, rows, run.out.width))
    return 0


def audit_verify(run: Run, head: str | None) -> int:
    """``opsbot audit verify``: exit 0 when the chain is intact, 1 when not."""
    report_ = Opsbot(run.settings()).verify_audit(head=head)
    data = {"checked": report_.entries, "problems": report_.problems, "head": report_.head}
    if report_.ok:
        anchored = f", contains the witnessed head {report_.anchored}" if report_.anchored else ""
        run.say(f"audit log intact: {report_.entries} entries, hash chain verified{anchored}")
        run.note(f"head {report_.head} (pass it to --head next time to catch a rewrite or a cut)")
        return run.emit(data)
    if report_.entries == 0:
        return run.error(ErrorView(code="tampered", message=report_.problems[0]), data)
    run.say(f"audit log TAMPERED ({report_.entries} entries):")
    for problem in report_.problems:
        run.say(f"  - {problem}")
    error = ErrorView(code="tampered", message=f"the audit log does not verify: {report_.problems[0]}")
    return run.error(error, data)
