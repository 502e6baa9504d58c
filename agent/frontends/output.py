"""How every ``opsbot`` command answers: one JSON envelope with ``--json``, text for people otherwise.

The envelope is the same for every command and every outcome, failures included::

    {"ok": true, "error": null, ...the command's data...}
    {"ok": false, "error": {"code": "not_found", "message": "...", "field": null}, ...}

Without ``--json`` results go to stdout and errors to stderr as one line (``error: ...``); the
banner, spinners and hints go to stderr too, so ``opsbot ... | grep`` sees only the answer.
Tables fit the terminal: columns that cannot fit drop in a stated order, ids are never cut.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from agent.views import ErrorView, error_view

if TYPE_CHECKING:
    from tools.config import Settings


@dataclass
class Run:
    """One invocation's global options: settings overrides, ``--json`` and ``--quiet``."""

    overrides: dict[str, Any] = field(default_factory=dict)
    json: bool = False
    quiet: bool = False
    out: Console = field(default_factory=Console)
    err: Console = field(default_factory=lambda: Console(stderr=True))

    def settings(self) -> Settings:
        """Settings from the environment with the command line's options applied (bad values raise),
        acting as the person at the terminal: the AWS caller when live (``--as`` is refused there),
        a labelled demo identity on the sandbox."""
        from agent.identity import settings_with_identity
        from tools.config import get_settings

        overrides = dict(self.overrides)
        as_user = overrides.pop("user", None)
        return settings_with_identity(get_settings(**overrides), as_user)

    # ----------------------------------------------------------------- results
    def emit(self, data: dict[str, Any], error: ErrorView | None = None) -> int:
        """Print the JSON envelope (``--json`` only) and return the exit code of the outcome."""
        if self.json:
            document = {"ok": error is None, "error": error.model_dump() if error else None, **data}
            print(json.dumps(document, indent=2, default=str))
        return 0 if error is None else error.exit_code

    def fail(self, exc: BaseException, data: dict[str, Any] | None = None) -> int:
        """Report an exception as the outcome: the JSON envelope, or one line on stderr."""
        return self.error(error_view(exc), data)

    def error(self, error: ErrorView, data: dict[str, Any] | None = None) -> int:
        """Report an error as the outcome: the JSON envelope, or one line on stderr."""
        if self.json:
            return self.emit(data or {}, error)
        self.err.print(f"error: {error.message}", markup=False, highlight=False, soft_wrap=True)
        return error.exit_code

    # ------------------------------------------------------------------ people
    def say(self, text: str, style: str = "") -> None:
        """A line for people on stdout (never with ``--json``)."""
        if not self.json:
            self.out.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    def note(self, text: str, style: str = "dim") -> None:
        """A hint or status line on stderr, left out with ``--quiet`` or ``--json``."""
        if not (self.quiet or self.json):
            self.err.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    @contextmanager
    def working(self, what: str) -> Iterator[Any]:
        """A spinner on stderr while something slow runs (none with ``--quiet``, ``--json`` or no terminal)."""
        if self.quiet or self.json or not self.err.is_terminal:
            yield None
            return
        with self.err.status(what, spinner="dots") as status:
            yield status


def argv_wants_json(args: Sequence[str]) -> bool:
    """True when ``--json`` is among the options (before any ``--``)."""
    args = list(args)
    return "--json" in (args[: args.index("--")] if "--" in args else args)


# ---------------------------------------------------------------------- tables
@dataclass(frozen=True)
class Column:
    """A table column. ``keep`` orders what stays when the terminal is narrow: the lowest drops first;
    ``keep=None`` never drops. A ``wrap`` column folds its text; any other column shows every cell whole."""

    header: str
    keep: int | None = None
    wrap: bool = False
    min_width: int = 10


def fit_table(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> Table:
    """A table no wider than ``width``: whole cells in fixed columns, wrapping columns folded, and columns
    dropped lowest ``keep`` first until the rest fit."""
    need = []
    for i, col in enumerate(columns):
        longest = max([len(col.header), *(len(str(r[i])) for r in rows)])
        need.append(min(longest, col.min_width) if col.wrap else longest)
    shown = list(range(len(columns)))

    def total(indexes: list[int]) -> int:
        # no box and no edge padding: two spaces between columns
        return sum(need[i] for i in indexes) + 2 * (len(indexes) - 1)

    while total(shown) > width:
        droppable = [i for i in shown if columns[i].keep is not None]
        if not droppable:
            break
        shown.remove(min(droppable, key=lambda i: (columns[i].keep, -i)))
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    for i in shown:
        col = columns[i]
        if col.wrap:
            table.add_column(col.header, overflow="fold", min_width=need[i])
        else:
            table.add_column(col.header, no_wrap=True, width=need[i])
    for row in rows:
        table.add_row(*(Text(str(row[i])) for i in shown))
    return table
