"""Input tokens per Bedrock call: each specialist (its prompt and tool schemas) against one agent that
holds every tool, counted the same way.

Run by hand: ``.venv/bin/python benchmarks/tokens.py [--json]``. Nothing is downloaded, so tokens
are estimated, not read from a vocabulary: see ``approx_tokens``. A second estimate (characters / 4)
is printed beside it; both count every side identically, so the ratio is what the figures are for.

What a call holds (as ``agent.graph`` builds it):
- supervisor: ``prompts/supervisor.md`` + the ``route_request`` tool schema;
- specialist: ``prompts/<route>.md`` + the schemas of ``specialist_tools(route, focus)`` (own tools, narrowed
  to one focus for training, + estimate_cost);
- one agent with every tool: the four specialist prompts together + all catalog schemas.
The user's message and the conversation are the same for every design and are left out.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Runs of letters, of digits, and of other visible characters; whitespace attaches to the next piece.
PIECE = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]+")


def approx_tokens(text: str) -> int:
    """Estimate BPE tokens: a word of up to 7 letters is one token, longer words one per 5 letters,
    digits one token per 3, runs of punctuation one token per 2 characters (JSON's ``":"`` and ``"}``
    are merged tokens in BPE vocabularies). On English prose and JSON this lands within about 20 %
    of the Claude, Llama and Nova tokenizers."""
    total = 0
    for piece in PIECE.findall(text):
        if piece[0].isalpha():
            total += 1 if len(piece) <= 7 else math.ceil(len(piece) / 5)
        elif piece[0].isdigit():
            total += math.ceil(len(piece) / 3)
        else:
            total += math.ceil(len(piece) / 2)
    return total


def chars_over_4(text: str) -> int:
    """The common rule of thumb: four characters per token."""
    return math.ceil(len(text) / 4)


def _prompt(name: str) -> tuple[str, bool]:
    from agent.tool_schemas import load_prompt

    try:
        return load_prompt(name), True
    except FileNotFoundError:
        return "", False


def _schemas_text(schemas: list[dict[str, Any]]) -> str:
    return json.dumps(schemas, separators=(",", ":"), ensure_ascii=False)


def measure() -> dict[str, Any]:
    """Token estimates per call for the supervisor, each specialist, and one agent with every tool."""
    from agent.tool_schemas import FOCUS, ROUTES, route_tool_schema, specialist_tools, tool_schema
    from tools.registry import all_tools

    rows: dict[str, dict[str, Any]] = {}
    missing: list[str] = []

    def row(name: str, prompt: str, schemas: list[dict[str, Any]]) -> dict[str, Any]:
        text = prompt + "\n" + _schemas_text(schemas)
        return {
            "tools": len(schemas),
            "prompt_tokens": approx_tokens(prompt),
            "schema_tokens": approx_tokens(_schemas_text(schemas)),
            "tokens": approx_tokens(text),
            "tokens_chars_over_4": chars_over_4(text),
        }

    sup, ok = _prompt("supervisor")
    missing += [] if ok else ["supervisor"]
    rows["supervisor"] = row("supervisor", sup, [route_tool_schema()])
    prompts = []
    calls: list[str] = []
    for route in ROUTES:
        text, ok = _prompt(route)
        missing += [] if ok else [route]
        prompts.append(text)
        # A domain with focuses (training: clusters, jobs) is called with one focus's tools at a time.
        for focus in FOCUS.get(route) or [None]:
            name = f"{route}/{focus}" if focus else route
            rows[name] = row(name, text, [tool_schema(t) for t in specialist_tools(route, focus)])
            calls.append(name)
    single = row("one agent", "\n\n".join(prompts), [tool_schema(t) for t in all_tools()])
    for route in calls:
        r = rows[route]
        r["smaller_by"] = round(single["tokens"] / r["tokens"], 2)
        r["smaller_by_chars_over_4"] = round(single["tokens_chars_over_4"] / r["tokens_chars_over_4"], 2)
        # A request costs a routing call plus a specialist call; the single agent needs one call.
        r["with_supervisor_smaller_by"] = round(single["tokens"] / (r["tokens"] + rows["supervisor"]["tokens"]), 2)
    return {"calls": rows, "one_agent": single, "catalog_tools": len(all_tools()), "missing_prompts": missing}


def main(argv: list[str] | None = None) -> int:
    """Print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    ns = parser.parse_args(argv)
    data = measure()
    if ns.json:
        print(json.dumps(data, indent=2))
        return 0
    one = data["one_agent"]
    print(f"{'call':<18} {'tools':>5} {'prompt':>7} {'schemas':>8} {'tokens':>7} {'chars/4':>8} {'x smaller':>10}")
    for name, r in data["calls"].items():
        ratio = f"{r['smaller_by']:.1f}x" if "smaller_by" in r else "-"
        print(
            f"{name:<18} {r['tools']:>5} {r['prompt_tokens']:>7} {r['schema_tokens']:>8} {r['tokens']:>7} "
            f"{r['tokens_chars_over_4']:>8} {ratio:>10}"
        )
    print(
        f"{'one agent':<18} {one['tools']:>5} {one['prompt_tokens']:>7} {one['schema_tokens']:>8} "
        f"{one['tokens']:>7} {one['tokens_chars_over_4']:>8} {'1.0x':>10}"
    )
    worst = min(r["smaller_by"] for n, r in data["calls"].items() if n != "supervisor")
    print(f"smallest gain over one agent: {worst:.1f}x per specialist call (goal >= 3x)")
    if data["missing_prompts"]:
        print(f"note: prompts not found, counted as empty: {', '.join(data['missing_prompts'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
