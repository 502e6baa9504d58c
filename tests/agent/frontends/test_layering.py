"""The terminal front ends go through the facade only: no reaching into its parts or into tool internals."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FRONT_ENDS = [ROOT / "agent" / "cli.py", *sorted((ROOT / "agent" / "frontends").glob("*.py"))]
FORBIDDEN = re.compile(
    r"\.approvals\.|\.audit\.|\.stores\b|tools\.runtime|tools\.sandbox|agent\.slack\.(notify|cards|flows)"
)


def test_front_ends_use_only_the_facade() -> None:
    # GIVEN the CLI and the REPL WHEN their code is read THEN no line reaches past the facade
    offending = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in FRONT_ENDS
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert offending == []
