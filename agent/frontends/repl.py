"""``opsbot chat``: the terminal REPL. Plan cards, the approval prompt inline, a spinner while AWS
works, and line history kept in OPSBOT_HOME."""

from __future__ import annotations

import contextlib
import uuid

from rich.console import Console

from agent.frontends.cards import render_approval, render_result
from agent.frontends.cli_agent import banner
from agent.service import Opsbot
from tools.config import Settings
from tools.errors import OpsbotError

HELP = """commands:
  /new                  start a new conversation (thread)
  /approvals            list pending approval requests
  /approve ID, /reject ID   decide a request as yourself
  /show ID              show one request
  /help, /quit
anything else is a request, e.g. "list endpoints" or "spin up a hyperpod cluster called demo with 2 trn2.48xlarge"."""


def _history(settings: Settings) -> None:
    with contextlib.suppress(ImportError, OSError):
        import readline

        path = settings.home_dir / "history"
        with contextlib.suppress(FileNotFoundError):
            readline.read_history_file(path)
        readline.set_history_length(1000)
        import atexit

        atexit.register(readline.write_history_file, path)


def run_repl(settings: Settings, console: Console | None = None, read=input) -> int:
    """Run until /quit or end of input. ``read`` is injectable for tests."""
    console = console or Console()
    _history(settings)
    bot = Opsbot(settings)
    user = settings.identity
    thread = f"cli-{uuid.uuid4().hex[:12]}"
    console.print(f"[bold]{banner(settings)}[/bold]")
    console.print("type /help for commands", style="dim")
    while True:
        try:
            line = read("opsbot> ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return 0
        if not line:
            continue
        try:
            if line in ("/quit", "/exit"):
                return 0
            if line == "/help":
                console.print(HELP, markup=False)
            elif line == "/new":
                thread = f"cli-{uuid.uuid4().hex[:12]}"
                console.print(f"new conversation {thread}", style="dim")
            elif line == "/approvals":
                for r in bot.approvals.list(status="pending"):
                    console.print(f"{r.id}  {r.tool}  risk {r.risk}  by {r.requester}  expires {r.expires_at}")
            elif line.startswith("/show "):
                render_approval(console, bot.approvals.get(line.split(maxsplit=1)[1]))
            elif line.startswith(("/approve ", "/reject ")):
                command, approval_id = line.split(maxsplit=1)
                _decide(console, bot, approval_id, user, command == "/approve")
            else:
                with console.status("thinking...", spinner="dots"):
                    result = bot.ask(line, user=user, thread=thread)
                render_result(console, result)
                if result.approval.status == "pending" and result.approval.id:
                    _offer_approval(console, bot, result.approval.id, user, read)
        except OpsbotError as exc:
            console.print(f"[red]error:[/red] {exc}", highlight=False)


def _offer_approval(console: Console, bot: Opsbot, approval_id: str, user: str, read) -> None:
    why_not = bot.can_decide(approval_id, user)
    if why_not:
        console.print(f"waiting for another approver ({why_not})", style="yellow", highlight=False)
        return
    try:
        answer = read(f"approve {approval_id} now as {user}? [y/N] ").strip().lower()
    except (EOFError, KeyboardInterrupt):
        return
    if answer in ("y", "yes"):
        _decide(console, bot, approval_id, user, True)


def _decide(console: Console, bot: Opsbot, approval_id: str, user: str, approve: bool) -> None:
    with console.status("working with AWS...", spinner="dots") as status:
        result = bot.decide(approval_id, user=user, approve=approve, progress=lambda m: status.update(m))
    render_result(console, result)
