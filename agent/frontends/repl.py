"""``opsbot chat``: the terminal REPL, a conversation people keep open.

Plan cards and the approval prompt inline, a spinner while AWS works, and slash commands for the
queue. At a terminal the line editor is prompt_toolkit: Ctrl-C clears the line (it never leaves),
Ctrl-D or ``/quit`` leaves, a multi-line paste is one message (bracketed paste), and history is
kept in OPSBOT_HOME. Without a terminal (a pipe, a script) lines are read plainly, one per message.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from agent.frontends.cards import render_approval, render_result
from agent.frontends.cli_agent import APPROVAL_COLUMNS, AUDIT_COLUMNS, banner, short_time, terminal_bot
from agent.frontends.output import fit_table
from agent.service import Opsbot
from agent.views import error_view
from tools.config import Settings

Reader = Callable[[str], str]
PROMPT = "opsbot> "
# Words people type without the slash, meaning the command.
BARE = {"help": "/help", "clear": "/clear", "quit": "/quit", "exit": "/quit", "bye": "/quit"}


@dataclass(frozen=True)
class Command:
    """A slash command: its usage line and whether it needs an approval id."""

    usage: str
    help: str
    needs_id: bool = False


COMMANDS = {
    "/approvals": Command("/approvals [STATUS]", "list requests (default: pending; or all, executed, ...)"),
    "/show": Command("/show ID", "show one request in full", needs_id=True),
    "/approve": Command("/approve ID [NOTE]", "approve a request as yourself; enough approvals run it", True),
    "/reject": Command("/reject ID [NOTE]", "reject a request; nothing runs", needs_id=True),
    "/withdraw": Command("/withdraw ID", "withdraw your own pending request", needs_id=True),
    "/audit": Command("/audit [N]", "the newest N audit entries (default 10)"),
    "/whoami": Command("/whoami", "who you are, where opsbot acts, and this conversation's thread"),
    "/new": Command("/new", "start a new conversation (thread)"),
    "/clear": Command("/clear", "clear the screen"),
    "/help": Command("/help", "this list"),
    "/quit": Command("/quit", "leave (or Ctrl-D)"),
}


def help_text() -> str:
    """The /help text."""
    width = max(len(c.usage) for c in COMMANDS.values())
    lines = ["commands:"] + [f"  {c.usage:<{width}}  {c.help}" for c in COMMANDS.values()]
    lines += [
        "help, clear and quit work without the slash too. Ctrl-C clears the line; Ctrl-D leaves.",
        'Anything else is a request, e.g. "list endpoints" or "create a hyperpod cluster named demo with 2 '
        'trn2.48xlarge". A multi-line paste is one request.',
    ]
    return "\n".join(lines)


def terminal_reader(settings: Settings) -> Reader:
    """A prompt_toolkit line editor with history in OPSBOT_HOME (Ctrl-C raises KeyboardInterrupt)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory

    session: PromptSession[str] = PromptSession(history=FileHistory(str(settings.home_dir / "history")))
    return lambda prompt: session.prompt(prompt)


class Repl:
    """One chat session: a thread, the facade, and the slash commands."""

    def __init__(self, settings: Settings, console: Console, read: Reader, bot: Opsbot | None = None) -> None:
        self.settings, self.console, self.read = settings, console, read
        self.bot = bot or terminal_bot(settings)
        self.user = settings.identity
        self.thread = self._new_thread()

    @staticmethod
    def _new_thread() -> str:
        return f"cli-{uuid.uuid4().hex[:12]}"

    def run(self, quiet: bool = False) -> int:
        """Read and answer until /quit or Ctrl-D. Ctrl-C clears the line being typed."""
        if not quiet:
            style = "bold red" if self.settings.live else "bold"
            self.console.print(banner(self.settings), style=style, markup=False, highlight=False, soft_wrap=True)
            self.console.print("type /help for commands; Ctrl-D leaves", style="dim")
        while True:
            try:
                line = self.read(PROMPT)
            except KeyboardInterrupt:
                continue  # the line is cleared; a new prompt follows
            except EOFError:
                self.console.print()
                return 0
            if not self.handle(line):
                return 0

    def handle(self, line: str) -> bool:
        """Answer one message; False when the session should end."""
        text = line.strip()
        if not text:
            return True
        command = BARE.get(text.lower().rstrip("!.?"), text) if "\n" not in text else text
        try:
            if command.startswith("/"):
                return self.slash(command)
            self.ask(text)
        except KeyboardInterrupt:
            self.console.print("interrupted", style="yellow")
        except Exception as exc:  # an error ends the message, never the session
            self.error(error_view(exc).message)
        return True

    def error(self, message: str) -> None:
        """An error line."""
        self.console.print(Text.assemble(("error: ", "red"), message), highlight=False)

    # -------------------------------------------------------------- commands
    def slash(self, text: str) -> bool:
        """Run a slash command; False for /quit."""
        name, _, rest = text.partition(" ")
        name, rest = name.lower(), rest.strip()
        spec = COMMANDS.get(name)
        if spec is None:
            self.error(f"unknown command {name}; /help lists the commands")
            return True
        if spec.needs_id and not rest:
            self.error(f"{name} needs an approval id: {spec.usage}")
            return True
        if name == "/quit":
            return False
        if name == "/help":
            self.console.print(help_text(), markup=False, highlight=False)
        elif name == "/clear":
            self.console.clear()
        elif name == "/new":
            self.thread = self._new_thread()
            self.console.print(f"new conversation {self.thread}", style="dim")
        elif name == "/whoami":
            self.console.print(
                f"{banner(self.settings)}\nthread {self.thread}", markup=False, highlight=False, soft_wrap=True
            )
        elif name == "/approvals":
            self.approvals(rest or "pending")
        elif name == "/show":
            render_approval(self.console, self.bot.get_approval(rest.split()[0]))
        elif name in ("/approve", "/reject"):
            approval_id, _, note = rest.partition(" ")
            self.decide(approval_id, name == "/approve", note.strip() or None)
        elif name == "/withdraw":
            render_result(self.console, self.bot.withdraw(rest.split()[0], user=self.user), hints=False)
        elif name == "/audit":
            self.audit(rest)
        return True

    def approvals(self, status: str) -> None:
        """The queue as a table that fits the terminal."""
        records = self.bot.list_approvals(status=None if status == "all" else status, limit=50)
        if not records:
            self.console.print(f"no {'' if status == 'all' else status + ' '}approval requests", style="dim")
            return
        rows = [
            (r.id, r.status, r.tool, r.risk, r.requester, ", ".join(r.approved_by) or "-",
             f"{len(set(r.approved_by))}/{r.approvals_needed}", short_time(r.expires_at))
            for r in records
        ]  # fmt: skip
        self.console.print(fit_table(APPROVAL_COLUMNS, rows, self.console.width))

    def audit(self, count: str) -> None:
        """The newest audit entries."""
        import json

        if count and not count.isdigit():
            self.error(f"/audit takes a number of entries, not {count!r}")
            return
        entries = self.bot.audit_entries(limit=int(count or 10))
        rows = [
            (str(e.seq), short_time(e.at), e.kind, e.actor, e.approval_id or "-", json.dumps(e.data)[:200])
            for e in entries
        ]
        self.console.print(fit_table(AUDIT_COLUMNS, rows, self.console.width))

    # -------------------------------------------------------------- requests
    def ask(self, text: str) -> None:
        """Send a request in this thread; offer the approval when the asker may give it."""
        with self.console.status("thinking...", spinner="dots"):
            result = self.bot.ask(text, user=self.user, thread=self.thread)
        render_result(self.console, result, hints=False)
        if result.error is not None:
            self.error(result.error.message)
        if result.approval.status == "pending" and result.approval.id:
            self.offer(result.approval.id)

    def offer(self, approval_id: str) -> None:
        """Approve on the spot when the policy lets this user approve their own request."""
        why_not = self.bot.can_decide(approval_id, self.user)
        if why_not:
            self.console.print(
                f"waiting for another approver ({why_not}); /show {approval_id} to follow it",
                style="yellow",
                markup=False,
                highlight=False,
            )
            return
        try:
            answer = self.read(f"approve {approval_id} now as {self.user}? [y/N] ").strip().lower()
        except (EOFError, KeyboardInterrupt):
            return
        if answer in ("y", "yes"):
            self.decide(approval_id, True, None)

    def decide(self, approval_id: str, approve: bool, note: str | None) -> None:
        """Approve or reject as this user; enough approvals run the call."""
        with self.console.status("working with AWS...", spinner="dots") as status:
            result = self.bot.decide(
                approval_id, user=self.user, approve=approve, note=note, progress=lambda m: status.update(m)
            )
        render_result(self.console, result, hints=False)
        if result.error is not None:
            self.error(result.error.message)


def run_repl(
    settings: Settings, console: Console | None = None, read: Reader | None = None, quiet: bool = False
) -> int:
    """Run the chat until /quit or Ctrl-D. ``read`` is injectable for tests; by default a line editor at
    a terminal, plain ``input`` otherwise."""
    console = console or Console()
    if read is None:
        import sys

        read = terminal_reader(settings) if sys.stdin.isatty() and sys.stdout.isatty() else input
    return Repl(settings, console, read).run(quiet=quiet)
