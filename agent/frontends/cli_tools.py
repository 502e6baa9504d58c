"""``opsbot tools``: the catalog, plans and direct reads. Never imports the agent graph or LangGraph."""

from __future__ import annotations

import json
from typing import Any

from agent.frontends.output import Column, Run, fit_table
from agent.service import plan_tool, run_tool, tool_catalog

# Narrow terminals drop "what it does" first, then the domain, then the effect; name and risk stay.
TOOL_COLUMNS = (
    Column("tool"),
    Column("domain", keep=2),
    Column("effect", keep=3),
    Column("risk"),
    Column("what it does", keep=1, wrap=True, min_width=24),
)


def _args(raw: str) -> dict[str, Any] | str:
    # Parsed here only to echo the arguments in the JSON envelope; the tool validates them.
    try:
        value = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, dict) else raw


def tools_list(run: Run) -> int:
    """``opsbot tools``: every tool with its domain, effect and risk."""
    rows = tool_catalog()
    if run.json:
        return run.emit({"tools": rows})
    table_rows = [(r["name"], r["domain"], r["effect"], r["risk"], r["description"].split(". ")[0]) for r in rows]
    run.out.print(fit_table(TOOL_COLUMNS, table_rows, run.out.width))
    run.note(f"{len(rows)} tools; `opsbot tools plan TOOL --args JSON` shows what a call would do")
    return 0


def tools_plan(run: Run, name: str, args: str) -> int:
    """``opsbot tools plan``: what a call would do and cost. Never writes."""
    data: dict[str, Any] = {"tool": name, "args": _args(args)}
    try:
        settings = run.settings()
        plan = plan_tool(settings, name, args, user=settings.identity)
    except Exception as exc:
        return run.fail(exc, data)
    if run.json:
        return run.emit({**data, "plan": plan.model_dump(mode="json")})
    from agent.render import plan_text

    run.say(plan_text(plan))
    return 0


def tools_run(run: Run, name: str, args: str) -> int:
    """``opsbot tools run``: run a read tool and print its answer (or its typed result with --json)."""
    data: dict[str, Any] = {"tool": name, "args": _args(args)}
    try:
        settings = run.settings()
        outcome = run_tool(settings, name, args, user=settings.identity)
    except Exception as exc:
        return run.fail(exc, data)
    if run.json:
        return run.emit({**data, "result": outcome.result, "text": outcome.text})
    run.say(outcome.text)
    return 0
