"""Wall time of common CLI commands in fresh processes (median of N), as a person at a terminal feels it.

Run: .venv/bin/python benchmarks/cli_latency.py [--runs 5]
Each command runs in a new process on its own OPSBOT_HOME that was seeded once beforehand, so the
figures include Python start-up, imports, loading the sandbox state and the work itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OPSBOT = str(Path(sys.executable).with_name("opsbot"))
COMMANDS = {
    "opsbot --help": ["--help"],
    "opsbot tools --json": ["tools", "--json"],
    "opsbot tools run list_endpoints --json": ["tools", "run", "list_endpoints", "--json"],
    "opsbot tools run query_s3_metadata (>= 1 GB)": [
        "tools",
        "run",
        "query_s3_metadata",
        "--args",
        '{"bucket":"training-data","min_size_bytes":1000000000}',
        "--json",
    ],
    "opsbot ask --json --dry-run (create cluster)": [
        "ask",
        "--json",
        "--dry-run",
        "create a hyperpod cluster named demo with 2 trn2.48xlarge",
    ],
}


def main() -> int:
    """Print a markdown table of median and min-max wall times."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "OPSBOT_HOME": home}
        subprocess.run([OPSBOT, "sandbox", "reset"], env=env, check=True, capture_output=True)
        print("| command | median | min-max |\n| --- | ---: | ---: |")
        for label, args in COMMANDS.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run([OPSBOT, *args], env=env, check=False, capture_output=True)
                times.append(time.perf_counter() - start)
            print(f"| `{label}` | {statistics.median(times):.2f} s | {min(times):.2f}-{max(times):.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
