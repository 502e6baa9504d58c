"""``opsbot chat``: slash commands, bare words, errors that never end the session, and a real terminal."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from agent.frontends.repl import Repl
from agent.service import Opsbot
from tools.config import Settings

ANSI = re.compile(r"\x1b\[[0-9;?<=>]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>]|\r")


class Script:
    """A reader that types the given lines, then Ctrl-D."""

    def __init__(self, *lines: str) -> None:
        self.lines: Iterator[str] = iter(lines)

    def __call__(self, prompt: str) -> str:
        try:
            return next(self.lines)
        except StopIteration:
            raise EOFError from None


def chat(settings: Settings, *lines: str) -> tuple[int, str, Repl]:
    console = Console(record=True, width=100, file=open(os.devnull, "w"))  # noqa: SIM115
    repl = Repl(settings, console, Script(*lines), bot=Opsbot(settings))
    code = repl.run()
    return code, console.export_text(), repl


def test_unknown_slash_command_is_an_error_not_a_request(settings: Settings) -> None:
    code, out, repl = chat(settings, "/bogus")
    assert code == 0 and "error: unknown command /bogus; /help lists the commands" in out
    assert repl.bot.audit_entries() == []  # nothing was asked


def test_bare_words_work_like_their_slash_commands(settings: Settings) -> None:
    _, out, _ = chat(settings, "help", "Quit", "list endpoints")
    assert "/approvals [STATUS]" in out and "outside what I do" not in out
    assert "chat-prod" not in out  # quit ended the session before the request


def test_new_starts_another_thread_and_whoami_names_it(settings: Settings) -> None:
    _, out, repl = chat(settings, "/whoami", "/new", "/whoami")
    threads = re.findall(r"thread (cli-[0-9a-f]{12})", out)
    assert len(threads) == 2 and threads[0] != threads[1] and threads[1] == repl.thread
    assert "you are alice" in out


def test_queue_commands(settings: Settings) -> None:
    bot = Opsbot(settings)
    approval_id = str(bot.ask("create a hyperpod cluster named demo with 2 trn2.48xlarge", user="dave").approval.id)
    _, out, _ = chat(
        settings, "/approvals", f"/show {approval_id}", "/approve", f"/approve {approval_id} ok", "/audit 5"
    )
    assert approval_id in out and "create_hyperpod_cluster" in out
    assert "error: /approve needs an approval id" in out
    assert bot.get_approval(approval_id).status == "executed"
    assert "decision" in out  # the audit table


def test_an_error_ends_the_message_not_the_session(settings: Settings) -> None:
    _, out, _ = chat(settings, "/show ap-nope", "list endpoints")
    assert "error: approval 'ap-nope' does not exist" in out and "chat-prod" in out


# ------------------------------------------------------------------ a real terminal
class Terminal:
    """``opsbot chat`` on a pseudo-terminal: type keys, wait for text (bounded, no sleeping)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.fd, child = pty.openpty()
        os.set_blocking(self.fd, False)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent.cli", "chat"],
            stdin=child,
            stdout=child,
            stderr=child,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(child)
        self.seen = ""
        self.pos = 0  # where the last match ended: the next expect looks only after it

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def expect(self, pattern: str, timeout: float = 120) -> str:
        """Read until ``pattern`` appears after the last match; returns the text up to the end of the match."""
        start = self.pos
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.seen[start:])):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{pattern!r} not shown; screen:\n{self.seen[-2000:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk and self.proc.poll() is not None:
                    raise AssertionError(f"opsbot exited before {pattern!r}; screen:\n{self.seen[-2000:]}")
                self.seen += ANSI.sub("", chunk.decode(errors="replace"))
        self.pos = start + found.end()
        return self.seen[start : self.pos]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self.fd)


@pytest.fixture
def terminal(opsbot_env: Path) -> Iterator[Terminal]:
    env = {k: v for k, v in os.environ.items()}
    env.update(
        TERM="xterm",
        COLUMNS="100",
        LINES="40",
        PROMPT_TOOLKIT_NO_CPR="1",  # the test terminal does not answer cursor position requests
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
    )
    term = Terminal(env)
    yield term
    term.close()


def test_the_repl_in_a_real_terminal(terminal: Terminal) -> None:
    # GIVEN opsbot chat on a terminal
    terminal.expect(r"you are alice")
    terminal.expect(r"opsbot>")
    # WHEN a half-typed line gets Ctrl-C THEN the line is cleared and the session goes on
    terminal.type("scale everything to zer")
    terminal.expect(r"zer")
    terminal.type("\x03")
    terminal.type("/whoami\r")
    assert "you are alice" in terminal.expect(r"thread cli-[0-9a-f]{12}")
    # WHEN an unknown slash command is typed THEN it is an error, not a request
    terminal.type("/bogus\r")
    terminal.expect(r"error: unknown command /bogus")
    # WHEN "help" is typed without a slash THEN the commands are listed
    terminal.type("help\r")
    terminal.expect(r"/approvals \[STATUS\]")
    # WHEN two lines are pasted (bracketed paste) THEN they are one message with one answer
    terminal.type("\x1b[200~list\nendpoints\x1b[201~\r")
    answer = terminal.expect(r"endpoint\(s\) in us-east-1(.|\n)*opsbot>")
    assert "chat-prod" in answer and "outside what I do" not in answer
    # WHEN Ctrl-D is pressed THEN the REPL leaves cleanly
    terminal.type("\x04")
    assert terminal.proc.wait(timeout=60) == 0
