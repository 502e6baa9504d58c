"""Speed and size of opsbot: turn latency, thread growth, growth curves and memory.

Run: ``.venv/bin/python benchmarks/perf.py [turns|thread|curves|all] [--quick]``

Each part prints a markdown table with the machine and the date. Everything runs in process, on a
private temporary ``OPSBOT_HOME`` per part, with the offline model on the sandbox; nothing is
written outside that home. To compare two checkouts, run the same command with each checkout's
interpreter (``/path/to/checkout/.venv/bin/python benchmarks/perf.py turns``): the parts only use
opsbot's facade (``agent.service``) and the sandbox, so they run on older checkouts too (the
curves need ``opsbot sandbox reset --objects/--endpoints`` and are skipped where it is missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

READS = ("list endpoints", "list caches", "list hyperpod clusters", "list training jobs")
WRITE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


def machine() -> str:
    """Date, CPU, cores, Python and load: the line every table starts with."""
    load = os.getloadavg()[0]
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load:.1f}"
    )


@contextmanager
def home() -> Iterator[Path]:
    """A private OPSBOT_HOME for one part, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as path:
        old = os.environ.get("OPSBOT_HOME")
        os.environ["OPSBOT_HOME"] = path
        os.environ.setdefault("OPSBOT_USER", "alice")
        try:
            yield Path(path)
        finally:
            if old is None:
                os.environ.pop("OPSBOT_HOME", None)
            else:
                os.environ["OPSBOT_HOME"] = old


def timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def rss_mib() -> float:
    """This process's peak resident memory in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def store_bytes(path: Path) -> int:
    """Bytes of the files in OPSBOT_HOME outside the sandbox folder (stores, WAL files)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and "sandbox" not in p.relative_to(path).parts)


# ------------------------------------------------------------------------------------------ turns
def turns(n: int) -> None:
    """p50/p95 of in-process read turns (a new thread each) and of write turns that file a request."""
    from agent.service import Opsbot

    with home():
        bot = Opsbot()
        for text in READS:  # warm: imports, graph, clients, sandbox state
            bot.ask(text, user="alice")
        reads = [timed(lambda i=i: bot.ask(READS[i % len(READS)], user="alice")) for i in range(n)]
        writes = [timed(lambda: bot.ask(WRITE, user="dave", dry_run=True)) for _ in range(max(10, n // 4))]
    print(f"\n### In-process turns ({machine()})\n")
    print("| turn | n | p50 wall | p95 wall | p50 CPU |\n| --- | ---: | ---: | ---: | ---: |")
    for label, samples in (("read (list ...)", reads), ("write, dry run (create cluster)", writes)):
        walls, cpus = [s[0] for s in samples], [s[1] for s in samples]
        p50, p95, cpu = pct(walls, 0.5), pct(walls, 0.95), pct(cpus, 0.5)
        print(f"| {label} | {len(samples)} | {p50:.1f} ms | {p95:.1f} ms | {cpu:.1f} ms |")
    print(f"\npeak RSS {rss_mib():.0f} MiB")


# ----------------------------------------------------------------------------------------- thread
def thread(n: int) -> None:
    """``n`` REPL turns of "list endpoints" in one thread: turn time along the way, stores left behind."""
    from agent.service import Opsbot

    marks = {m for m in (1, 25, 50, 100, 200, n) if m <= n}
    with home() as path:
        bot = Opsbot()
        rows = []
        window: list[float] = []
        for i in range(1, n + 1):
            wall, _ = timed(lambda: bot.ask("list endpoints", user="alice", thread="repl-bench"))
            window = [*window, wall][-10:]
            if i in marks:
                rows.append((i, statistics.median(window), store_bytes(path)))
    print(f"\n### {n} REPL turns in one thread ({machine()})\n")
    print("| after turn | turn time (median of last 10) | stores outside the sandbox |\n| ---: | ---: | ---: |")
    for i, wall, size in rows:
        print(f"| {i} | {wall:.1f} ms | {size / 2**20:.2f} MiB |")
    print(f"\npeak RSS {rss_mib():.0f} MiB")


# ----------------------------------------------------------------------------------------- curves
def curves(quick: bool) -> None:
    """Growth curves: time of one operation as the account or the stores grow."""
    import inspect

    from agent import service

    print(f"\n### Growth curves ({machine()})\n")
    print("| what | size | time (median of 5) | expected |\n| --- | ---: | ---: | --- |")
    if "objects" in inspect.signature(service.reset_sandbox).parameters:
        for n in (10, 100, 1000) if quick else (10, 100, 1000, 10_000):
            print(f"| `list_endpoints`, in process | {n} endpoints | {_endpoints(n):.1f} ms | O(n): a describe each |")
        for n in (100, 1000, 10_000) if quick else (100, 1000, 10_000, 100_000):
            first, then = _objects(n)
            print(
                f"| 10 largest objects (`query_s3_metadata`), in process | {n} objects | {then:.1f} ms "
                f"(after a write: {first:.0f} ms) | O(1) per query; O(n) once per change of the bucket |"
            )
    else:
        print("| (this checkout has no `sandbox reset --objects/--endpoints`: account curves skipped) | | | |")
    for n in (1000, 10_000) if quick else (1000, 10_000, 100_000):
        print(f"| `audit list` (newest 50), in process | {n} entries | {_audit(n):.1f} ms | O(1): LIMIT on the key |")
    for n in (100, 1000, 10_000):
        print(f"| `approvals list` (newest 100), in process | {n} pending | {_pending(n):.1f} ms | O(1): index |")


def _median_of(fn: Callable[[], Any], runs: int = 5) -> float:
    fn()
    return statistics.median(timed(fn)[0] for _ in range(runs))


def _endpoints(n: int) -> float:
    from agent.service import reset_sandbox, run_tool
    from tools.config import get_settings

    with home():
        settings = get_settings()
        reset_sandbox(settings, endpoints=max(0, n - 2))
        # One describe per endpoint: large accounts are timed once (after a warm-up run).
        return _median_of(lambda: run_tool(settings, "list_endpoints", {}, user="alice"), 5 if n < 1000 else 1)


def _objects(n: int) -> tuple[float, float]:
    from agent.service import reset_sandbox, run_tool
    from tools import guard
    from tools.config import get_settings
    from tools.runtime import make_context

    args = {"bucket": "training-data", "order_by": "size", "limit": 10}
    with home():
        settings = get_settings()
        reset_sandbox(settings, objects=max(0, n - 109))
        then = _median_of(lambda: run_tool(settings, "query_s3_metadata", args, user="alice"))
        grant = guard.Grant("bench", "h", frozenset({"s3:PutObject"}), time.time() + 60)
        with guard.activated(grant):
            make_context(settings).clients.client("s3").put_object(Bucket="training-data", Key="x/new", Body=b"x")
        first, _ = timed(lambda: run_tool(settings, "query_s3_metadata", args, user="alice"))
        return first, then


def _audit(n: int) -> float:
    from agent.service import Opsbot
    from agent.stores.approvals import now_iso
    from agent.stores.audit import GENESIS, AuditEntry

    with home():
        bot = Opsbot()
        conn = bot.stores.audit.backend.conn
        prev, rows = GENESIS, []
        for seq in range(1, n + 1):
            entry = AuditEntry(seq=seq, at=now_iso(), kind="read", actor="alice", data={"n": seq}, prev_hash=prev)
            entry.hash = entry.compute_hash()
            rows.append((seq, entry.hash, entry.model_dump_json()))
            prev = entry.hash
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO audit (seq, hash, doc) VALUES (?, ?, ?)", rows)
        conn.execute("INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (0, ?, ?)", (n, prev))
        conn.execute("COMMIT")
        return _median_of(lambda: bot.audit_entries(limit=50))


def _pending(n: int) -> float:
    from datetime import timedelta

    from agent.service import Opsbot
    from agent.stores.approvals import ApprovalRecord

    with home():
        bot = Opsbot()
        store = bot.stores.approvals
        start = datetime.now(UTC)
        conn = store.conn
        conn.execute("BEGIN")
        for i in range(n):
            created = start + timedelta(microseconds=i)
            record = ApprovalRecord(
                id=f"ap-{i:06d}",
                call_hash=f"h{i}",
                tool="scale_endpoint",
                args={"endpoint_name": "chat-prod", "instance_count": 2},
                account="123456789012",
                region="us-east-1",
                requester="dave",
                thread=f"t-{i}",
                effect="write",
                risk="medium",
                plan={},
                status="pending",
                created_at=created.isoformat(),
                expires_at=(created + timedelta(days=1)).isoformat(),
            )
            store.create(record)
        conn.execute("COMMIT")
        return _median_of(lambda: bot.list_approvals(limit=100))


def main(argv: list[str] | None = None) -> int:
    """Run the parts asked for."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("part", nargs="?", default="all", choices=("turns", "thread", "curves", "all"))
    parser.add_argument("--quick", action="store_true", help="fewer samples and smaller sizes (a minute)")
    parser.add_argument("--turns", type=int, default=None, help="read turns to time (default 100; 40 quick)")
    parser.add_argument("--thread-turns", type=int, default=None, help="turns in one thread (default 200; 100 quick)")
    ns = parser.parse_args(argv)
    if ns.part in ("turns", "all"):
        turns(ns.turns or (40 if ns.quick else 100))
    if ns.part in ("thread", "all"):
        thread(ns.thread_turns or (100 if ns.quick else 200))
    if ns.part in ("curves", "all"):
        curves(ns.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
