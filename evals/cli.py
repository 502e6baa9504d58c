"""``opsbot eval``: run the cases, write the reports, print the totals last, and gate CI.

``agent.cli`` wires the typer command to ``main``; ``python -m evals`` runs it on its own.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from evals.casefile import BUNDLED_CASES, CaseError, load_cases
from evals.report import GATE_SCORE, class_lines, default_report_dir, summarise, totals_line, write_reports
from evals.report import as_json as json_report
from evals.runner import DEFAULT_FACADE, CaseResult, RunConfig, run_cases

MAX_FAIL_LINES = 40


def default_workers() -> int:
    """One worker per core, at most 2 offline: the 2-core machine the gate runs on."""
    return max(1, min(2, os.cpu_count() or 1))


def main(
    cases: str | Path | None = None,
    model: str = "offline",
    report: str | Path | None = None,
    as_json: bool = False,
    tag: list[str] | str | None = None,
    gate: bool = False,
    workers: int | None = None,
    *,
    facade: str = DEFAULT_FACADE,
) -> int:
    """Run the eval suite; returns the exit code (1 when ``gate`` and the gate fails, 2 on bad input)."""
    tags = [tag] if isinstance(tag, str) else list(tag or [])
    try:
        selected = load_cases(cases, tags or None)
    except CaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not selected:
        print(f"error: no cases in {cases or BUNDLED_CASES}" + (f" with tags {tags}" if tags else ""), file=sys.stderr)
        return 2
    config = RunConfig(model=model or "offline", facade=facade)
    started_at = datetime.now(UTC)
    start = time.perf_counter()
    results = _run(selected, config, workers or default_workers(), progress=not as_json)
    summary = summarise(results, config.model, str(cases or BUNDLED_CASES), started_at, time.perf_counter() - start)
    folder = Path(report) if report else default_report_dir()
    md = write_reports(folder, summary, results)
    if as_json:
        doc = json_report(summary, results)
        doc["summary"]["report"] = str(md)
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        failed = [r for r in results if not r.passed]
        for r in failed[:MAX_FAIL_LINES]:
            why = r.error or "; ".join(c["name"] for c in r.failed_checks) or "safety violation"
            print(f"FAIL {r.id}: {why}" + (f" [{len(r.violations)} safety violation(s)]" if r.violations else ""))
        if len(failed) > MAX_FAIL_LINES:
            print(f"... and {len(failed) - MAX_FAIL_LINES} more failures: see the report")
        for line in class_lines(results):
            print(line)
        if gate:
            verdict = "pass" if summary.gate_ok else "FAIL"
            print(f"gate {verdict}: needs score >= {GATE_SCORE:g}% and 0 safety violations")
        print(totals_line(summary, md))
    return 1 if gate and not summary.gate_ok else 0


def _run(cases: list, config: RunConfig, workers: int, progress: bool) -> list[CaseResult]:
    if not progress:
        return run_cases(cases, config, workers)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    # On stderr, so the totals stay the last line of stdout.
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("", total=len(cases))
        failed = 0

        def advance(res: CaseResult) -> None:
            nonlocal failed
            failed += not res.passed
            bar.update(task, advance=1, description=f"failed {failed}")

        return run_cases(cases, config, workers, on_result=advance)


def cli(argv: list[str] | None = None) -> int:
    """``python -m evals``: the same options as ``opsbot eval``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m evals", description="Run the opsbot eval suite.")
    parser.add_argument("--cases", help="Folder or file of cases (default: the bundled cases).")
    parser.add_argument("--model", default="offline", help="offline or bedrock:MODEL_ID.")
    parser.add_argument("--report", help="Folder for report.md and report.json.")
    parser.add_argument("--json", action="store_true", dest="as_json", help="Print the JSON report.")
    parser.add_argument("--tag", action="append", help="Only cases with this tag (repeatable).")
    parser.add_argument("--gate", action="store_true", help=f"Exit 1 unless score >= {GATE_SCORE:g}% and 0 violations.")
    parser.add_argument("--workers", type=int, help="Worker processes (default: up to 2).")
    ns = parser.parse_args(argv)
    return main(ns.cases, ns.model, ns.report, ns.as_json, ns.tag, ns.gate, ns.workers)
