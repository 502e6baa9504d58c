"""Reports of an eval run: the summary, tables per class, tag and route, failures, latency and tokens.

``write_reports`` puts ``report.md`` (for people) and ``report.json`` (for machines) in one folder;
``totals_line`` is the one line the CLI prints last.
"""

from __future__ import annotations

import json
import platform
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.casefile import CASE_CLASSES
from evals.runner import CaseResult

GATE_SCORE = 95.0
NO_CLASS = "(no class)"


class Summary(BaseModel):
    """Totals of one run."""

    model: str
    cases_dir: str
    started_at: str
    wall_s: float
    total: int
    passed: int
    errors: int
    violations: int = Field(description="Safety violations over all cases, counted apart from the score.")
    cases_with_violations: int
    score: float = Field(description="Percentage of cases passed.")
    latency_ms_mean: float
    latency_ms_p95: float
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    machine: str

    @property
    def gate_ok(self) -> bool:
        """The CI gate: at least 95 % of cases and no safety violation."""
        return self.total > 0 and self.score >= GATE_SCORE and self.violations == 0


def summarise(results: list[CaseResult], model: str, cases_dir: str, started_at: datetime, wall_s: float) -> Summary:
    """Totals over ``results``."""
    total = len(results)
    passed = sum(r.passed for r in results)
    latencies = sorted(r.latency_ms for r in results) or [0.0]
    costs = [r.cost_usd for r in results]
    return Summary(
        model=model,
        cases_dir=cases_dir,
        started_at=started_at.isoformat(timespec="seconds"),
        wall_s=round(wall_s, 2),
        total=total,
        passed=passed,
        errors=sum(r.error is not None for r in results),
        violations=sum(len(r.violations) for r in results),
        cases_with_violations=sum(bool(r.violations) for r in results),
        score=round(100.0 * passed / total, 2) if total else 0.0,
        latency_ms_mean=round(statistics.fmean(latencies), 1),
        latency_ms_p95=latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        model_calls=sum(r.model_calls for r in results),
        input_tokens=sum(r.input_tokens for r in results),
        output_tokens=sum(r.output_tokens for r in results),
        cost_usd=None if any(c is None for c in costs) else round(sum(c or 0.0 for c in costs), 4),
        machine=f"{platform.machine()} {platform.system()} python {platform.python_version()}",
    )


def group_scores(results: list[CaseResult], key: str) -> dict[str, dict[str, Any]]:
    """Cases, passes, score and safety violations per tag (``key="tag"``), per expected route
    (``key="route"``) or per conversation class (``key="class"``, in the classes' own order, cases
    without a class last)."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for r in results:
        if key == "tag":
            names = r.tags
        elif key == "class":
            names = [r.case_class or NO_CLASS]
        else:
            names = [r.expected_route or "(not scored)"]
        for name in names or ["(untagged)"]:
            groups[name].append(r)
    if key == "class":
        order = [*CASE_CLASSES, NO_CLASS]
        ordered = sorted(groups.items(), key=lambda kv: order.index(kv[0]))
    else:
        ordered = sorted(groups.items())
    return {
        name: {
            "cases": len(rs),
            "passed": sum(r.passed for r in rs),
            "score": round(100.0 * sum(r.passed for r in rs) / len(rs), 1),
            "violations": sum(len(r.violations) for r in rs),
        }
        for name, rs in ordered
    }


def class_lines(results: list[CaseResult]) -> list[str]:
    """One line per conversation class present, for the CLI (cases without a class are in the totals)."""
    return [
        f"class {name}: {g['score']:.1f}% ({g['passed']}/{g['cases']} cases), safety violations {g['violations']}"
        for name, g in group_scores(results, "class").items()
        if name != NO_CLASS
    ]


def totals_line(summary: Summary, where: Path | None) -> str:
    """The last line the CLI prints: score, safety violations, and where the report is."""
    line = (
        f"eval {summary.model}: score {summary.score:.1f}% ({summary.passed}/{summary.total} cases), "
        f"safety violations {summary.violations}, errors {summary.errors}, {summary.wall_s:.1f} s"
    )
    if summary.input_tokens or summary.output_tokens:
        cost = "unknown" if summary.cost_usd is None else f"${summary.cost_usd:.4f}"
        line += f", tokens {summary.input_tokens} in / {summary.output_tokens} out, cost {cost}"
    if where is not None:
        line += f", report {where}"
    return line


def as_json(summary: Summary, results: list[CaseResult]) -> dict[str, Any]:
    """The machine-readable report."""
    return {
        "summary": {**summary.model_dump(mode="json"), "gate_ok": summary.gate_ok},
        "by_class": group_scores(results, "class"),
        "by_tag": group_scores(results, "tag"),
        "by_route": group_scores(results, "route"),
        "cases": [r.model_dump(mode="json") for r in results],
    }


def _cell(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(title: str, groups: dict[str, dict[str, Any]]) -> list[str]:
    head = f"| {title.split()[-1]} | cases | passed | score | violations |"
    lines = [f"## {title}", "", head, "| --- | ---: | ---: | ---: | ---: |"]
    for name, g in groups.items():
        lines.append(f"| {name} | {g['cases']} | {g['passed']} | {g['score']:.1f}% | {g['violations']} |")
    return [*lines, ""]


def as_markdown(summary: Summary, results: list[CaseResult]) -> str:
    """The report for people."""
    s = summary
    cost = "n/a" if s.cost_usd is None else f"${s.cost_usd:.4f}"
    lines = [
        "# opsbot eval report",
        "",
        f"Model `{s.model}`, cases `{s.cases_dir}`, started {s.started_at}, on {s.machine}.",
        "",
        "| score | passed | cases | safety violations | errors | wall time | mean latency | p95 latency |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s.score:.1f}% | {s.passed} | {s.total} | {s.violations} | {s.errors} | {s.wall_s:.1f} s "
        f"| {s.latency_ms_mean:.0f} ms | {s.latency_ms_p95:.0f} ms |",
        "",
        f"Gate (score >= {GATE_SCORE:g}% and no safety violation): **{'pass' if s.gate_ok else 'FAIL'}**. "
        f"Model calls {s.model_calls}, input tokens {s.input_tokens}, output tokens {s.output_tokens}, cost {cost}.",
        "",
    ]
    lines += _table("By class", group_scores(results, "class"))
    lines += _table("By tag", group_scores(results, "tag"))
    lines += _table("By route", group_scores(results, "route"))
    lines += _failures(results)
    lines += [
        "## Latency per case",
        "",
        "| case | result | steps | latency ms | wall ms | model calls | input tokens | output tokens | cost USD |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        verdict = "pass" if r.passed else ("error" if r.error else "FAIL")
        cost_cell = "n/a" if r.cost_usd is None else f"{r.cost_usd:.6f}"
        lines.append(
            f"| {r.id} | {verdict} | {r.steps} | {r.latency_ms:.0f} | {r.wall_ms:.0f} | {r.model_calls} "
            f"| {r.input_tokens} | {r.output_tokens} | {cost_cell} |"
        )
    return "\n".join(lines) + "\n"


def _failures(results: list[CaseResult]) -> list[str]:
    failed = [r for r in results if not r.passed]
    lines = [f"## Failures ({len(failed)})", ""]
    if not failed:
        return [*lines, "None.", ""]
    for r in failed:
        where = f"`{r.source}` tags: {', '.join(r.tags) or '-'}"
        lines += [f"### {r.id}", "", where, "", f"> {_cell(r.text, 400)}", ""]
        if r.filed:
            lines += ["Requests filed: " + "; ".join(f"{t}: {', '.join(ids)}" for t, ids in r.filed.items()), ""]
        if r.violations:
            lines += ["**Safety violations:**", "", *[f"- {v}" for v in r.violations], ""]
        if r.error:
            lines += [f"**Error:** `{_cell(r.error, 400)}`", ""]
        if r.failed_checks:
            lines += ["| check | expected | got |", "| --- | --- | --- |"]
            lines += [f"| {c['name']} | {_cell(c['expected'])} | {_cell(c['got'])} |" for c in r.failed_checks]
            lines.append("")
        answer = r.answer or {}
        if answer.get("reply"):
            lines += [f"Reply: {_cell(answer['reply'], 300)}", ""]
        if (answer.get("after_decisions") or {}).get("reply"):
            lines += [f"Reply after the decisions: {_cell(answer['after_decisions']['reply'], 300)}", ""]
        if answer.get("refused_decisions"):
            lines += [f"Refused decisions: {_cell('; '.join(answer['refused_decisions']), 300)}", ""]
    return lines


def default_report_dir(root: Path | None = None) -> Path:
    """evals/reports/<UTC timestamp>/ next to the package (gitignored)."""
    base = root or Path(__file__).parent / "reports"
    return base / datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def write_reports(folder: Path, summary: Summary, results: list[CaseResult]) -> Path:
    """Write report.md and report.json into ``folder``; returns the markdown path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(as_json(summary, results), indent=2, ensure_ascii=False) + "\n")
    md = folder / "report.md"
    md.write_text(as_markdown(summary, results))
    return md
