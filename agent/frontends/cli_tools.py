"""``opsbot tools``: the catalog, plans and direct reads. Never imports the agent graph or LangGraph."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def _tool_call(
    run: Run,
    name: str,
    args: str,
    call: Callable[..., Any],
    as_json: Callable[[Any], dict[str, Any]],
    as_text: Callable[[Any], str],
) -> int:
    """Call ``call`` (plan_tool or run_tool) as the identified user and print its answer: ``as_json``'s keys
    next to the tool and arguments with --json, else ``as_text``; a failure in the one error shape."""
    data: dict[str, Any] = {"tool": name, "args": _args(args)}
    try:
        settings = run.settings()
        answer = call(settings, name, args, user=settings.identity)
    except Exception as exc:
        return run.fail(exc, data)
    if run.json:
        return run.emit({**data, **as_json(answer)})
    run.say(as_text(answer))
    return 0


def _plan_text(plan: Any) -> str:
    from agent.render import plan_text

    return plan_text(plan)


def tools_plan(run: Run, name: str, args: str) -> int:
    """``opsbot tools plan``: what a call would do and cost. Never writes."""
    return _tool_call(run, name, args, plan_tool, lambda plan: {"plan": plan.model_dump(mode="json")}, _plan_text)


def tools_run(run: Run, name: str, args: str) -> int:
    """``opsbot tools run``: run a read tool and print its answer (or its typed result with --json)."""
    return _tool_call(
        run, name, args, run_tool, lambda out: {"result": out.result, "text": out.text}, lambda out: out.text
    )
