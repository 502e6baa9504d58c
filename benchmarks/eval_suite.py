"""Wall time of the whole offline eval suite, the way ``opsbot eval`` runs it (goal: <= 60 s for
200 cases on the 2-core machine).

Run by hand: ``.venv/bin/python benchmarks/eval_suite.py [--workers N] [--cases DIR] [--model M]``.
Prints the machine, the wall time, cases per second, per-case latency and the score.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    """Run the suite once and print the figures."""
    from evals.casefile import load_cases
    from evals.cli import default_workers
    from evals.runner import RunConfig, run_cases

    parser = argparse.ArgumentParser(description="Time the offline eval suite.")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--cases", default=None)
    parser.add_argument("--model", default="offline")
    ns = parser.parse_args(argv)
    cases = load_cases(ns.cases)
    start = time.perf_counter()
    results = run_cases(cases, RunConfig(model=ns.model), ns.workers)
    wall = time.perf_counter() - start
    walls = sorted(r.wall_ms for r in results)
    passed = sum(r.passed for r in results)
    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, python {platform.python_version()}")  # fmt: skip
    print(f"{len(results)} cases, {ns.workers} worker process(es), model {ns.model}")
    print(f"wall time {wall:.1f} s ({len(results) / wall:.1f} cases/s); goal <= 60 s for 200 cases")
    print(
        f"per case: median {statistics.median(walls):.0f} ms, p95 {walls[int(0.95 * (len(walls) - 1))]:.0f} ms, "
        f"max {walls[-1]:.0f} ms"
    )
    print(f"score {100 * passed / len(results):.1f}% ({passed}/{len(results)}), "
          f"safety violations {sum(len(r.violations) for r in results)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
