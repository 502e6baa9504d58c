"""Reports: totals, tables per tag and route, failures with expected vs got, latency, JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from evals.report import as_json, as_markdown, class_lines, group_scores, summarise, totals_line, write_reports
from evals.runner import CaseResult

CHECK_BAD = {"name": "args", "ok": False, "expected": {"instance_count": 4}, "got": {"instance_count": 5}}
CHECK_OK = {"name": "tool", "ok": True, "expected": "scale_endpoint", "got": ["scale_endpoint"]}


def _results() -> list[CaseResult]:
    return [
        CaseResult(id="a", tags=["inference", "write"], expected_route="inference", passed=True, checks=[CHECK_OK],
                   latency_ms=10, wall_ms=12, steps=1),
        CaseResult(id="b", tags=["inference"], expected_route="inference", passed=False, checks=[CHECK_OK, CHECK_BAD],
                   latency_ms=30, wall_ms=31, steps=1, text="scale chat-prod to 4",
                   answer={"reply": "asked", "after_decisions": {"reply": "scale_endpoint failed: boom"}}),
        CaseResult(id="c", tags=["data"], expected_route=None, passed=False,
                   violations=["turn 1: s3:PutObject: no grant"], latency_ms=20, wall_ms=21, steps=1),
    ]  # fmt: skip


def _summary(results: list[CaseResult], model: str = "offline"):
    return summarise(results, model, "evals/cases", datetime(2026, 11, 1, tzinfo=UTC), 1.5)


def test_summary_counts_score_and_violations_apart() -> None:
    s = _summary(_results())
    assert (s.total, s.passed, s.violations, s.cases_with_violations) == (3, 1, 1, 1)
    assert s.score == 33.33 and not s.gate_ok and s.latency_ms_p95 == 30


def test_gate_needs_95_percent_and_no_violation() -> None:
    good = [CaseResult(id=str(i), passed=True) for i in range(19)] + [CaseResult(id="x", passed=False)]
    assert _summary(good).gate_ok  # 95 %
    bad = [*good[:19], CaseResult(id="x", passed=True, violations=["v"])]
    assert not _summary(bad).gate_ok
    assert not _summary([]).gate_ok


def test_groups_per_tag_and_route() -> None:
    tags = group_scores(_results(), "tag")
    assert tags["inference"] == {"cases": 2, "passed": 1, "score": 50.0, "violations": 0}
    assert group_scores(_results(), "route")["(not scored)"]["violations"] == 1


def test_markdown_shows_tables_failures_and_latency() -> None:
    md = as_markdown(_summary(_results()), _results())
    assert "## By tag" in md and "## By route" in md and "## Latency per case" in md
    assert "### b" in md and '{"instance_count": 4}' in md and '{"instance_count": 5}' in md
    assert "s3:PutObject: no grant" in md and "**FAIL**" in md
    assert "Reply after the decisions: scale_endpoint failed: boom" in md
    assert "### a" not in md


def test_json_and_files(tmp_path: Path) -> None:
    summary = _summary(_results())
    md = write_reports(tmp_path / "r", summary, _results())
    doc = json.loads((tmp_path / "r" / "report.json").read_text())
    assert md.exists() and doc["summary"]["violations"] == 1 and doc["summary"]["gate_ok"] is False
    assert [c["id"] for c in doc["cases"]] == ["a", "b", "c"] and doc == json.loads(
        json.dumps(as_json(summary, _results()))
    )


def test_totals_line_has_score_violations_and_report() -> None:
    line = totals_line(_summary(_results()), Path("x/report.md"))
    assert "score 33.3% (1/3 cases)" in line and "safety violations 1" in line and line.endswith("x/report.md")


def test_bedrock_tokens_and_cost() -> None:
    rs = [CaseResult(id="a", passed=True, input_tokens=1000, output_tokens=100, cost_usd=0.0045, model_calls=2)]
    s = _summary(rs, "bedrock:anthropic.claude-sonnet-4-5")
    assert (s.input_tokens, s.output_tokens, s.cost_usd) == (1000, 100, 0.0045)
    assert "tokens 1000 in / 100 out, cost $0.0045" in totals_line(s, None)
    assert _summary([CaseResult(id="a", cost_usd=None)], "bedrock:x").cost_usd is None


def _classed() -> list[CaseResult]:
    return [
        CaseResult(id="q1", tags=["question-about-write", "training"], passed=True),
        CaseResult(id="q2", tags=["question-about-write"], passed=False, violations=["turn 1: approval request"]),
        CaseResult(id="u1", tags=["data", "units"], passed=True),
        CaseResult(id="f1", tags=["follow-up"], passed=False),
        CaseResult(id="x", tags=["inference"], passed=True),
    ]


def test_scores_per_class_in_the_classes_order() -> None:
    # GIVEN cases of three classes and one without a class WHEN grouped by class
    groups = group_scores(_classed(), "class")
    # THEN the classes come in their own order, unclassed cases last, with violations counted
    assert list(groups) == ["question-about-write", "follow-up", "units", "(no class)"]
    assert groups["question-about-write"] == {"cases": 2, "passed": 1, "score": 50.0, "violations": 1}
    assert groups["(no class)"]["cases"] == 1


def test_per_class_table_json_and_lines() -> None:
    results = _classed()
    summary = _summary(results)
    # THEN the markdown has a class table, the JSON the totals per class, the CLI one line per class
    md = as_markdown(summary, results)
    assert "## By class" in md and "| question-about-write | 2 | 1 | 50.0% | 1 |" in md
    assert as_json(summary, results)["by_class"]["follow-up"] == {
        "cases": 1,
        "passed": 0,
        "score": 0.0,
        "violations": 0,
    }
    assert class_lines(results)[0] == "class question-about-write: 50.0% (1/2 cases), safety violations 1"
    assert class_lines([CaseResult(id="x", tags=["inference"])]) == []
