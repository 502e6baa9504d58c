"""Run every benchmark in this folder, one after the other (``make bench``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = ("perf.py", "cli_scale.py", "cli_latency.py", "lambda_cold_ack.py", "tokens.py", "eval_suite.py")


def main() -> int:
    """Run each script with this interpreter; stop at the first failure."""
    here = Path(__file__).parent
    for name in SCRIPTS:
        print(f"\n## {name}\n", flush=True)
        result = subprocess.run([sys.executable, str(here / name)], check=False)
        if result.returncode != 0:
            return result.returncode
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
