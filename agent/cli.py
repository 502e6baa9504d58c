"""The ``opsbot`` command line. Heavy modules are imported inside commands, never at the top,
so ``opsbot --help`` stays fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any

import typer

app = typer.Typer(
    name="opsbot",
    help="ChatOps for LLM training and inference on AWS. Runs on the offline sandbox unless --live.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
tools_app = typer.Typer(help="The tool catalog: list, plan and run tools directly.", invoke_without_command=True)
sandbox_app = typer.Typer(help="The offline AWS sandbox.", no_args_is_help=True)
approvals_app = typer.Typer(help="The approval queue (shared with Slack).", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log of requests, decisions and AWS calls.", no_args_is_help=True)
app.add_typer(tools_app, name="tools")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(approvals_app, name="approvals")
app.add_typer(audit_app, name="audit")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def settings_from(ctx: typer.Context) -> Any:
    """Settings with the global flags applied."""
    from tools.config import get_settings

    return get_settings(**(ctx.obj or {}))


def friendly_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Show opsbot errors as one line with their exit code, never as a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        from tools.errors import OpsbotError, aws_error_message

        try:
            return fn(*args, **kwargs)
        except OpsbotError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (BotoCoreError, ClientError) as exc:
            typer.echo(f"error: {aws_error_message(exc)}", err=True)
            raise typer.Exit(1) from None

    return wrapper


@app.callback()
def main_options(
    ctx: typer.Context,
    live: Annotated[bool, typer.Option("--live", help="Use real AWS (needs credentials).")] = False,
    model: Annotated[str | None, typer.Option("--model", help="offline or bedrock:MODEL_ID.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", help="Act as this user (default: OS user).")] = None,
) -> None:
    """Global options."""
    ctx.obj = {"live": live or None, "model": model, "region": region, "user": as_user}


# ---------------------------------------------------------------------------- tools
@tools_app.callback()
@friendly_errors
def tools_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List every tool with its effect and risk."""
    if ctx.invoked_subcommand:
        return
    from tools.registry import all_tools

    rows = [
        {"name": t.name, "domain": t.domain, "effect": str(t.effect), "risk": str(t.risk), "description": t.description}
        for t in all_tools()
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for header, width in (("tool", 28), ("domain", 9), ("effect", 11), ("risk", 8)):
        table.add_column(header, no_wrap=True, min_width=width)
    table.add_column("what it does", no_wrap=True, overflow="ellipsis", max_width=60)
    for r in rows:
        table.add_row(r["name"], r["domain"], r["effect"], r["risk"], r["description"].split(". ")[0])
    Console().print(table)
    Console().print(f"{len(rows)} tools; `opsbot tools plan NAME --args JSON` shows what a call would do", style="dim")


@tools_app.command("plan")
@friendly_errors
def tools_plan(
    ctx: typer.Context,
    name: str,
    args: Annotated[str, typer.Option("--args", help="Arguments as a JSON object.")] = "{}",
    as_json: JsonOpt = False,
) -> None:
    """Show what a tool call would do and cost. Never writes."""
    from tools import runtime

    settings = settings_from(ctx)
    plan = runtime.plan(name, args, runtime.make_context(settings, requester=settings.identity))
    if as_json:
        typer.echo(plan.model_dump_json(indent=2))
        return
    from agent.render import plan_text

    typer.echo(plan_text(plan))


@tools_app.command("run")
@friendly_errors
def tools_run(
    ctx: typer.Context,
    name: str,
    args: Annotated[str, typer.Option("--args", help="Arguments as a JSON object.")] = "{}",
    as_json: JsonOpt = False,
) -> None:
    """Run a read tool. Write and destructive tools go through the approval flow instead."""
    from tools import runtime

    settings = settings_from(ctx)
    outcome = runtime.run_read(name, args, runtime.make_context(settings, requester=settings.identity))
    if as_json:
        typer.echo(outcome.model_dump_json(indent=2))
    else:
        typer.echo(outcome.text)


# ---------------------------------------------------------------------------- agent
AsOpt = Annotated[str | None, typer.Option("--as", help="Act as this user (default: OS user).")]


def _agent_settings(ctx: typer.Context, as_user: str | None) -> Any:
    from agent.identity import settings_with_identity
    from tools.config import get_settings

    return settings_with_identity(get_settings(**(ctx.obj or {})), as_user or (ctx.obj or {}).get("user"))


@app.command()
@friendly_errors
def ask(
    ctx: typer.Context,
    text: str,
    as_json: JsonOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run reads; stop every write at its approval.")] = False,
    thread: Annotated[str | None, typer.Option("--thread", help="Continue this conversation.")] = None,
    as_user: AsOpt = None,
) -> None:
    """Send one request; print the answer (JSON with --json)."""
    from agent.frontends import cli_agent

    raise typer.Exit(
        cli_agent.ask(_agent_settings(ctx, as_user), text, as_json=as_json, dry_run=dry_run, thread=thread)
    )


@app.command()
@friendly_errors
def chat(ctx: typer.Context, as_user: AsOpt = None) -> None:
    """Open the chat REPL (plan cards, approvals inline, history)."""
    from agent.frontends.repl import run_repl

    raise typer.Exit(run_repl(_agent_settings(ctx, as_user)))


@app.command()
@friendly_errors
def slack(ctx: typer.Context) -> None:
    """Serve the Slack app over Socket Mode (OPSBOT_SLACK_APP_TOKEN and OPSBOT_SLACK_BOT_TOKEN)."""
    from agent.slack.socket import run

    settings = settings_from(ctx)
    typer.echo(f"opsbot slack: Socket Mode, {'live AWS' if settings.live else 'sandbox'}; Ctrl-C stops")
    run(settings)


@approvals_app.command("list")
@friendly_errors
def approvals_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="Only this status (pending, executed, ...).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List approval requests, newest first."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.approvals_list(_agent_settings(ctx, None), status, as_json))


@approvals_app.command("show")
@friendly_errors
def approvals_show(ctx: typer.Context, approval_id: str, as_json: JsonOpt = False) -> None:
    """Show one approval request in full."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.approvals_show(_agent_settings(ctx, None), approval_id, as_json))


@approvals_app.command("approve")
@friendly_errors
def approvals_approve(
    ctx: typer.Context,
    approval_id: str,
    as_user: AsOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve a request; with enough approvals it runs, once."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.approvals_decide(_agent_settings(ctx, as_user), approval_id, True, note, as_json))


@approvals_app.command("reject")
@friendly_errors
def approvals_reject(
    ctx: typer.Context,
    approval_id: str,
    as_user: AsOpt = None,
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reject a request; nothing runs."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.approvals_decide(_agent_settings(ctx, as_user), approval_id, False, note, as_json))


@approvals_app.command("resume")
@friendly_errors
def approvals_resume(ctx: typer.Context, approval_id: str, as_json: JsonOpt = False) -> None:
    """Finish an approved request whose run was interrupted (a crash); it never runs twice."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.approvals_resume(_agent_settings(ctx, None), approval_id, as_json))


@audit_app.command("list")
@friendly_errors
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many of the newest entries.")] = 50,
    approval_id: Annotated[str | None, typer.Option("--approval", help="Only this approval's entries.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the newest audit entries."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.audit_list(_agent_settings(ctx, None), limit, approval_id, as_json))


@audit_app.command("verify")
@friendly_errors
def audit_verify(
    ctx: typer.Context,
    head: Annotated[
        str | None, typer.Option("--head", help="A head seen earlier (SEQ:HASH or HASH): prove the log still has it.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Check the audit log's hash chain; exit 1 if a record was edited or removed, or there is no log."""
    from agent.frontends import cli_agent

    raise typer.Exit(cli_agent.audit_verify(_agent_settings(ctx, None), as_json, head))


@app.command("eval")
def eval_(
    ctx: typer.Context,
    cases: Annotated[str | None, typer.Option("--cases", help="Folder (or file) of eval cases.")] = None,
    model: Annotated[str, typer.Option("--model", help="offline or bedrock:MODEL_ID.")] = "offline",
    report: Annotated[str | None, typer.Option("--report", help="Where to write the reports.")] = None,
    as_json: JsonOpt = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Only cases with this tag (repeatable).")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 unless >= 95 % pass and 0 safety violations.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes.")] = None,
) -> None:
    """Run the eval suite and print the score, the safety violations and where the report is."""
    from evals.cli import main as run_evals

    raise typer.Exit(run_evals(cases, model, report, as_json, tag, gate, workers))


# -------------------------------------------------------------------------- sandbox
@sandbox_app.command("reset")
@friendly_errors
def sandbox_reset(ctx: typer.Context) -> None:
    """Throw away the sandbox state and reseed the demo account."""
    from tools.sandbox import get_sandbox

    settings = settings_from(ctx)
    get_sandbox(settings).reset()
    typer.echo(f"sandbox reset: {settings.home_dir / 'sandbox'}")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
