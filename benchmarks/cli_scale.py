"""Fresh-process CLI times on a large account and a long queue, next to the demo account.

Run: ``.venv/bin/python benchmarks/cli_scale.py [--objects 100000] [--pending 10000] [--runs 5]``

Builds four homes: the demo account, the demo account with ``--objects`` more S3 objects
(``opsbot sandbox reset --objects N``), and stores with 100 and with ``--pending`` pending
approval requests. Then times each command in new processes, alternating between the homes so
that a busy machine slows both sides alike, and prints the medians and their ratio.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from perf import machine

OPSBOT = str(Path(sys.executable).with_name("opsbot"))
QUERY = '{"bucket":"training-data","order_by":"size","limit":10}'
QUERY_ARGS = ("tools", "run", "query_s3_metadata", "--args", QUERY)
HEADER = "| command | small | large | small: median | large: median | ratio |\n| --- | --- | --- | ---: | ---: | ---: |"


def run(home: str, *args: str) -> float:
    """Wall seconds of one ``opsbot`` command in a new process on ``home`` (it must succeed)."""
    env = {**os.environ, "OPSBOT_HOME": home, "OPSBOT_USER": "alice"}
    start = time.perf_counter()
    subprocess.run([OPSBOT, *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def fill_pending(home: str, count: int) -> None:
    """``count`` pending requests in the home's approval store (written directly, one transaction)."""
    code = f"""
import os
from datetime import UTC, datetime, timedelta
os.environ["OPSBOT_HOME"] = {home!r}
from agent.service import Opsbot
from agent.stores.approvals import ApprovalRecord
bot = Opsbot()
store = bot.stores.approvals
start = datetime.now(UTC)
store.conn.execute("BEGIN")
for i in range({count}):
    created = start + timedelta(microseconds=i)
    store.create(ApprovalRecord(id=f"ap-{{i:06d}}", call_hash=f"h{{i}}", tool="scale_endpoint",
        args={{"endpoint_name": "chat-prod", "instance_count": 2}}, account="123456789012", region="us-east-1",
        requester="dave", thread=f"t-{{i}}", effect="write", risk="medium", plan={{}}, status="pending",
        created_at=created.isoformat(), expires_at=(created + timedelta(days=1)).isoformat()))
store.conn.execute("COMMIT")
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def main(argv: list[str] | None = None) -> int:
    """Build the homes, time the commands, print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    ns = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="opsbot-cli-scale-") as root:
        homes = {name: str(Path(root) / name) for name in ("demo", "large", "queue-100", "queue-large")}
        build = time.perf_counter()
        run(homes["demo"], "sandbox", "reset")
        run(homes["large"], "sandbox", "reset", "--objects", str(ns.objects))
        built = time.perf_counter() - build
        fill_pending(homes["queue-100"], 100)
        fill_pending(homes["queue-large"], ns.pending)
        checks = [
            ("`opsbot tools run list_endpoints`", ("tools", "run", "list_endpoints"), "demo", "large"),
            ("10 largest objects (`tools run query_s3_metadata`)", QUERY_ARGS, "demo", "large"),
            ("`opsbot approvals list`", ("approvals", "list"), "queue-100", "queue-large"),
        ]
        print(f"\n### CLI on a large account and a long queue ({machine()})\n")
        print(f"`opsbot sandbox reset` plus `sandbox reset --objects {ns.objects}`: {built:.1f} s\n")
        print(HEADER)
        for label, args, small, large in checks:
            a, b = [], []
            run(homes[small], *args)  # warm: the OS file cache, and the first query's inventory table
            run(homes[large], *args)
            for _ in range(ns.runs):  # alternate, so load falls on both sides alike
                a.append(run(homes[small], *args))
                b.append(run(homes[large], *args))
            ma, mb = statistics.median(a), statistics.median(b)
            sizes = {"demo": "demo account", "large": f"+{ns.objects:,} objects", "queue-100": "100 pending",
                     "queue-large": f"{ns.pending:,} pending"}  # fmt: skip
            print(f"| {label} | {sizes[small]} | {sizes[large]} | {ma:.2f} s | {mb:.2f} s | {mb / ma:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
