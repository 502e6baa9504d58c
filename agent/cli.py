"""The ``opsbot`` command line. Heavy modules are imported inside commands, never at the top,
so ``opsbot --help``, ``approvals``, ``audit`` and ``tools`` never load the agent graph.

Global options (``--json``, ``--quiet``, ``--live``, ``--region``, ``--model``, ``--as``) may stand
anywhere on the line: before the command runs they are moved in front of it. Every command ends in
one outcome with one exit code (see ``agent.views``): 0 ok, 1 AWS or runtime error, 2 bad input,
3 refused for safety. With ``--json`` that outcome is one JSON document on stdout, failures included.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

GLOBAL_FLAGS = frozenset({"--live", "--json", "--quiet", "-q", "--version"})
GLOBAL_VALUED = frozenset({"--region", "--model", "--as"})
GLOBAL_HELP = (
    "Global options, anywhere on the line: --json, --quiet, --live, --region REGION, --model MODEL, --as USER."
)


def hoist_global_options(args: Sequence[str]) -> list[str]:
    """Move the global options (and their values) in front of the command; ``--`` ends options."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg in GLOBAL_FLAGS or (arg.split("=", 1)[0] in GLOBAL_VALUED and "=" in arg):
            front.append(arg)
        elif arg in GLOBAL_VALUED:
            front += args[i : i + 2]
            i += 1
        else:
            rest.append(arg)
        i += 1
    return front + rest


_TYPE_TAG = re.compile(r" <[a-z][a-z|\[\], ]*>")
_BRACED = re.compile(r"\{([A-Z][A-Z_]*)\}")


def plain_help(text: str) -> str:
    """Help text without the type tags (``<str>``, ``<bool>``) and braces the help formatter adds."""
    return _BRACED.sub(r"\1", _TYPE_TAG.sub("", text))


class HelpCommand(TyperCommand):
    """A command whose help shows metavars (TEXT, ID, N), never type tags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Click's help, without type tags."""
        super().format_help(ctx, formatter)
        formatter.buffer[:] = [plain_help(part) for part in formatter.buffer]


class HelpGroup(TyperGroup):
    """A command group whose help shows no type tags."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Click's help, without type tags."""
        super().format_help(ctx, formatter)
        formatter.buffer[:] = [plain_help(part) for part in formatter.buffer]


class OpsbotGroup(HelpGroup):
    """The root command: global options anywhere, and usage errors as one line (or JSON)."""

    def main(self, args: Sequence[str] | None = None, *pos: Any, standalone_mode: bool = True, **kw: Any) -> Any:
        """Run the command line; exits with the outcome's code (returns it when not standalone)."""
        argv = hoist_global_options(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(argv, *pos, standalone_mode=False, **kw)
        except typer.TyperException as exc:  # usage errors: unknown option, missing argument, ...
            code = _usage_error(exc, argv)
        except typer.Abort:
            code = 130
        except Exception as exc:  # a failure outside any command (e.g. reading settings): one line, no traceback
            from agent.frontends.output import Run, argv_wants_json

            code = Run(json=argv_wants_json(argv)).fail(exc)
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _usage_error(exc: typer.TyperException, argv: list[str]) -> int:
    from agent.frontends.output import Run, argv_wants_json
    from agent.views import ErrorView

    if type(exc).__name__ == "NoArgsIsHelpError":  # a group given no command: show its help
        if not argv_wants_json(argv):
            typer.echo(exc.format_message(), err=True)
            return 2
        message = "a command is needed; opsbot --help lists them"
    else:
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            message += f" (see {ctx.command_path} --help)"
    param = getattr(exc, "param", None)
    field = getattr(param, "name", None)
    return Run(json=argv_wants_json(argv)).error(ErrorView(code="bad_input", message=message, field=field))


app = typer.Typer(
    name="opsbot",
    cls=OpsbotGroup,
    help="ChatOps for LLM training and inference on AWS. Runs on the offline sandbox unless --live.",
    epilog=GLOBAL_HELP + " Exit codes: 0 ok, 1 AWS or runtime error, 2 bad input, 3 refused for safety.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
GROUP: dict[str, Any] = {"cls": HelpGroup, "rich_markup_mode": None, "epilog": GLOBAL_HELP}
tools_app = typer.Typer(
    help="The tool catalog: list, plan and run tools directly.", invoke_without_command=True, **GROUP
)
sandbox_app = typer.Typer(help="The offline AWS sandbox.", no_args_is_help=True, **GROUP)
approvals_app = typer.Typer(help="The approval queue (shared with Slack).", no_args_is_help=True, **GROUP)
audit_app = typer.Typer(help="The audit log of requests, decisions and AWS calls.", no_args_is_help=True, **GROUP)
app.add_typer(tools_app, name="tools")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(approvals_app, name="approvals")
app.add_typer(audit_app, name="audit")

COMMAND: dict[str, Any] = {"cls": HelpCommand, "epilog": GLOBAL_HELP}
IdArg = Annotated[str, typer.Argument(metavar="ID", help="The approval id (ap-...).", show_default=False)]
NoteOpt = Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why (kept in the audit log).")]
ArgsOpt = Annotated[str, typer.Option("--args", metavar="JSON", help="Arguments as a JSON object.")]
ToolArg = Annotated[str, typer.Argument(metavar="TOOL", help="A tool name (see `opsbot tools`).", show_default=False)]


def handled(fn: Callable[..., int | None]) -> Callable[..., None]:
    """Run a command body and end with its outcome: its exit code, or any error reported once
    (JSON envelope or one line on stderr) with that error's exit code. Never a traceback."""

    @wraps(fn)
    def wrapper(ctx: typer.Context, *args: Any, **kwargs: Any) -> None:
        run = run_of(ctx)
        try:
            code = fn(ctx, *args, **kwargs) or 0
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as exc:  # every failure is an outcome with its exit code, never a traceback
            code = run.fail(exc)
        if code:
            raise typer.Exit(code)

    return wrapper


def run_of(ctx: typer.Context) -> Any:
    """The ``Run`` (global options) of this invocation, set by the root callback."""
    from agent.frontends.output import Run

    run = ctx.find_root().obj
    return run if isinstance(run, Run) else Run()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"opsbot {version('opsbot')}")
        except PackageNotFoundError:
            typer.echo("opsbot (not installed)")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, errors included.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No banner, spinners or hints; only the answer.")
    ] = False,
    live: Annotated[bool, typer.Option("--live", help="Use real AWS (needs credentials).")] = False,
    region: Annotated[str | None, typer.Option("--region", metavar="REGION", help="AWS region.")] = None,
    model: Annotated[str | None, typer.Option("--model", metavar="MODEL", help="offline or bedrock:MODEL_ID.")] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", metavar="USER", help="Act as this user (sandbox demo identity).")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Global options (accepted anywhere on the line)."""
    from agent.frontends.output import Run

    overrides = {"live": live or None, "model": model, "region": region, "user": as_user}
    ctx.obj = Run(overrides={k: v for k, v in overrides.items() if v is not None}, json=as_json, quiet=quiet)


# ---------------------------------------------------------------------------- tools
@tools_app.callback()
@handled
def tools_list(ctx: typer.Context) -> int | None:
    """List every tool with its effect and risk."""
    if ctx.invoked_subcommand:
        return None
    from agent.frontends import cli_tools

    return cli_tools.tools_list(run_of(ctx))


@tools_app.command("plan", **COMMAND)
@handled
def tools_plan(ctx: typer.Context, name: ToolArg, args: ArgsOpt = "{}") -> int:
    """Show what a tool call would do and cost. Never writes."""
    from agent.frontends import cli_tools

    return cli_tools.tools_plan(run_of(ctx), name, args)


@tools_app.command("run", **COMMAND)
@handled
def tools_run(ctx: typer.Context, name: ToolArg, args: ArgsOpt = "{}") -> int:
    """Run a read tool. Write and destructive tools are refused (exit 3): they go through approvals."""
    from agent.frontends import cli_tools

    return cli_tools.tools_run(run_of(ctx), name, args)


# ---------------------------------------------------------------------------- agent
@app.command(**COMMAND)
@handled
def ask(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The request, in plain words.", show_default=False)],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Run reads; show what each write would do and need; file nothing.")
    ] = False,
    thread: Annotated[str | None, typer.Option("--thread", metavar="ID", help="Continue this conversation.")] = None,
) -> int:
    """Send one request; print the answer. Exit 0 also when it now waits for approval."""
    from agent.frontends import cli_agent

    return cli_agent.ask(run_of(ctx), text, dry_run=dry_run, thread=thread)


@app.command(**COMMAND)
@handled
def chat(ctx: typer.Context) -> int:
    """Open the chat REPL (plan cards, approvals inline, slash commands, history)."""
    run = run_of(ctx)
    if run.json:
        from agent.views import ErrorView

        return run.error(
            ErrorView(code="bad_input", message="chat is interactive; --json does not apply", field="json")
        )
    from agent.frontends.repl import run_repl

    return run_repl(run.settings(), quiet=run.quiet)


@app.command(**COMMAND)
@handled
def slack(ctx: typer.Context) -> int:
    """Serve the Slack app over Socket Mode (SLACK_APP_TOKEN and SLACK_BOT_TOKEN, or OPSBOT_SLACK_*)."""
    from agent.slack.socket import run as serve

    run = run_of(ctx)
    settings = run.settings()
    run.note(f"opsbot slack: Socket Mode, {'LIVE AWS' if settings.live else 'sandbox'}; Ctrl-C stops")
    serve(settings)
    return 0


@app.command("mcp", **COMMAND)
@handled
def mcp_server(
    ctx: typer.Context,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Offer only the read tools (and the approval status tools).")
    ] = False,
) -> int:
    """Serve opsbot's tools to MCP clients over stdio (Amazon Q Developer CLI, ...). Reads run; every
    write is filed as an approval request, never run."""
    run = run_of(ctx)
    if run.json:
        from agent.views import ErrorView

        message = "mcp speaks MCP on stdout; --json does not apply"
        return run.error(ErrorView(code="bad_input", message=message, field="json"))
    from agent.frontends.mcp_server import serve

    settings = run.settings()
    where = "LIVE AWS" if settings.live else "sandbox"
    who = f"{settings.identity} (demo identity)" if settings.demo_identity else settings.identity
    run.note(f"opsbot mcp: stdio, {where}{', read-only' if read_only else ''}, requests filed as {who}")
    return serve(settings, read_only=read_only)


@approvals_app.command("list", **COMMAND)
@handled
def approvals_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", metavar="STATUS", help="Only this status (pending, executed, ...).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="At most this many, newest first.")] = 100,
) -> int:
    """List approval requests, newest first."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_list(run_of(ctx), status, limit)


@approvals_app.command("show", **COMMAND)
@handled
def approvals_show(ctx: typer.Context, approval_id: IdArg) -> int:
    """Show one approval request in full."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_show(run_of(ctx), approval_id)


@approvals_app.command("approve", **COMMAND)
@handled
def approvals_approve(ctx: typer.Context, approval_id: IdArg, note: NoteOpt = None) -> int:
    """Approve a request; with enough approvals it runs, once."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_decide(run_of(ctx), approval_id, True, note)


@approvals_app.command("reject", **COMMAND)
@handled
def approvals_reject(ctx: typer.Context, approval_id: IdArg, note: NoteOpt = None) -> int:
    """Reject a request; nothing runs."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_decide(run_of(ctx), approval_id, False, note)


@approvals_app.command("withdraw", **COMMAND)
@handled
def approvals_withdraw(ctx: typer.Context, approval_id: IdArg) -> int:
    """Withdraw your own pending request; nothing runs."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_withdraw(run_of(ctx), approval_id)


@approvals_app.command("resume", **COMMAND)
@handled
def approvals_resume(ctx: typer.Context, approval_id: IdArg) -> int:
    """Finish an approved request whose run was interrupted (a crash); it never runs twice."""
    from agent.frontends import cli_agent

    return cli_agent.approvals_resume(run_of(ctx), approval_id)


@audit_app.command("list", **COMMAND)
@handled
def audit_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="How many of the newest entries.")] = 50,
    approval_id: Annotated[
        str | None, typer.Option("--approval", metavar="ID", help="Only this approval's entries.")
    ] = None,
) -> int:
    """List the newest audit entries."""
    from agent.frontends import cli_agent

    return cli_agent.audit_list(run_of(ctx), limit, approval_id)


@audit_app.command("verify", **COMMAND)
@handled
def audit_verify(
    ctx: typer.Context,
    head: Annotated[
        str | None,
        typer.Option("--head", metavar="SEQ:HASH", help="A head noted earlier (printed with decisions) to find."),
    ] = None,
) -> int:
    """Check the audit log's hash chain; exit 1 if a record was edited or removed."""
    from agent.frontends import cli_agent

    return cli_agent.audit_verify(run_of(ctx), head)


@app.command("eval", **COMMAND)
def eval_(
    ctx: typer.Context,
    cases: Annotated[str | None, typer.Option("--cases", metavar="DIR", help="Folder (or file) of eval cases.")] = None,
    report: Annotated[str | None, typer.Option("--report", metavar="DIR", help="Where to write the reports.")] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", metavar="TAG", help="Only cases with this tag (repeatable).")
    ] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Exit 1 unless >= 95 % pass and 0 safety violations.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", metavar="N", help="Worker processes.")] = None,
) -> None:
    """Run the eval suite (--model offline by default) and print the score, the safety violations
    and where the report is."""
    from evals.cli import main as run_evals

    run = run_of(ctx)
    model = run.overrides.get("model", "offline")
    raise typer.Exit(run_evals(cases, model, report, run.json, tag, gate, workers))


# -------------------------------------------------------------------------- sandbox
@sandbox_app.command("reset", **COMMAND)
@handled
def sandbox_reset(
    ctx: typer.Context,
    objects: Annotated[
        int, typer.Option("--objects", metavar="N", help="Add N S3 objects to training-data (a large account).")
    ] = 0,
    endpoints: Annotated[int, typer.Option("--endpoints", metavar="N", help="Add N InService endpoints.")] = 0,
) -> int:
    """Throw away the sandbox state and reseed the demo account (optionally a large one)."""
    from agent.service import reset_sandbox

    run = run_of(ctx)
    path = reset_sandbox(run.settings(), objects=objects, endpoints=endpoints)
    more = ", ".join(f"{n:,} {what}" for n, what in ((objects, "objects"), (endpoints, "endpoints")) if n)
    run.say(f"sandbox reset: {path}" + (f" (with {more} more)" if more else ""))
    return run.emit({"sandbox": str(path), "objects_added": objects, "endpoints_added": endpoints})


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
