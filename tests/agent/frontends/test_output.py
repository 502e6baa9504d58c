"""Tables that fit the terminal: whole ids, wrapping columns, and columns dropped in a stated order."""

from __future__ import annotations

from rich.console import Console

from agent.frontends.output import Column, fit_table

COLUMNS = (
    Column("id"),
    Column("status", keep=3),
    Column("notes", keep=1, wrap=True, min_width=10),
    Column("owner", keep=2),
)
ROWS = [("ap-0123456789", "pending", "a long note " * 8, "somebody-with-a-long-name")]


def render(width: int) -> str:
    console = Console(width=width, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(fit_table(COLUMNS, ROWS, width))
    return console.export_text()


def test_wide_terminal_shows_every_column() -> None:
    out = render(200)
    assert all(h in out for h in ("id", "status", "notes", "owner"))


def test_narrow_terminal_drops_lowest_keep_first_and_never_cuts_the_id() -> None:
    # GIVEN 60 columns: everything but the notes fits WHEN rendered THEN notes drop, the rest stays whole
    out = render(60)
    assert "notes" not in out and "somebody-with-a-long-name" in out and "ap-0123456789" in out
    # GIVEN 30 columns THEN owner drops next; the id is never dropped nor cut
    out = render(30)
    assert "owner" not in out and "ap-0123456789" in out
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 30


def test_wrapping_column_folds_instead_of_cutting() -> None:
    out = render(75)
    assert "notes" in out and out.count("note") >= 8
    assert max(len(line.rstrip()) for line in out.splitlines()) <= 75
