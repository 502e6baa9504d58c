"""Cold-start acknowledgement of a Slack slash command through deploy/handler.py (goal: <= 0.5 s),
next to the time a fresh process takes to import the full agent.

Each sample is a fresh Python process, as a new Lambda container would run it: import the handler,
read the secrets, build the bolt app, verify the signature, call ``auth.test`` (first request of a
container), acknowledge, and start the lazy self-invocation with a real boto3 Lambda client. Slack's
Web API and Lambda's Invoke API are local fakes on 127.0.0.1, so network latency is not measured.

Run by hand: ``.venv/bin/python benchmarks/lambda_cold_ack.py [--runs 10]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The child prints ACK the moment the handler returns, then its own split of the time.
ACK_CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
from types import SimpleNamespace
import deploy.handler as h
t_import = time.perf_counter()
event = json.loads(sys.stdin.read())
context = SimpleNamespace(function_name="opsbot-slack",
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:opsbot-slack")
if os.environ.get("BENCH_BOTO3_CLIENT"):  # bolt's default: build boto3.client("lambda") on the ack path
    h.request_handler().app.listener_runner.lazy_listener_runner.lambda_client = None
response = h.handler(event, context)
t_ack = time.perf_counter()
print("ACK", response["statusCode"], flush=True)
print(json.dumps({"import": t_import - t0, "handle": t_ack - t_import}), flush=True)
"""
AGENT_CHILD = r"""
import time
t0 = time.perf_counter()
from agent.service import Opsbot
from tools.config import get_settings
bot = Opsbot(get_settings())
bot.graph
bot.model
print("READY", flush=True)
"""


class LambdaInvokeStub(BaseHTTPRequestHandler):
    """Answers Lambda's Invoke API like an accepted asynchronous invocation."""

    calls = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).calls += 1
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def timed_child(code: str, marker: str, env: dict[str, str], stdin: str = "") -> tuple[float, float, list[str]]:
    """Seconds from spawning a fresh interpreter until it prints ``marker``, the CPU seconds the
    process used in all (less sensitive to a busy machine than wall time), and its output lines."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    first = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    rest = proc.stdout.read().splitlines()
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or not first.startswith(marker):
        raise RuntimeError(f"child failed: {first!r} {err[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime, [first.strip(), *rest]


def cpu_model() -> str:
    """The CPU's model name (Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"


def main(argv: list[str] | None = None) -> int:
    """Measure and print the figures."""
    from tests.agent.slack.payloads import BOT_TOKEN, SIGNING_SECRET, signed_headers, slash_command
    from tests.deploy.conftest import http_event
    from tests.fakes.slack_api import FakeSlackApi

    parser = argparse.ArgumentParser(description="Cold-start ack of a slash command through deploy/handler.py.")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--boto3-client",
        action="store_true",
        help="Let bolt build boto3.client('lambda') (its default) for comparison.",
    )
    ns = parser.parse_args(argv)

    lam = ThreadingHTTPServer(("127.0.0.1", 0), LambdaInvokeStub)
    threading.Thread(target=lam.serve_forever, daemon=True).start()
    with FakeSlackApi() as slack:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{lam.server_address[1]}",
            "OPSBOT_SLACK_BOT_TOKEN": BOT_TOKEN, "OPSBOT_SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "OPSBOT_SLACK_API_URL": slack.base_url,
            **({"BENCH_BOTO3_CLIENT": "1"} if ns.boto3_client else {}),
        }  # fmt: skip
        acks, cpus, imports, handles = [], [], [], []
        for _ in range(ns.runs):
            body = slash_command("create a hyperpod cluster named demo with 2 trn2.48xlarge")
            event = http_event("function_url", body, signed_headers(body))
            elapsed, cpu, lines = timed_child(ACK_CHILD, "ACK 200", env, json.dumps(event))
            split = json.loads(lines[1])
            acks.append(elapsed)
            cpus.append(cpu)
            imports.append(split["import"])
            handles.append(split["handle"])
        home = str(Path("/tmp") / f"opsbot-bench-{os.getpid()}")
        agent_figures = {}
        from tools.config import DEFAULT_BEDROCK_MODEL  # the parent only; children are timed cold

        for model in ("offline", DEFAULT_BEDROCK_MODEL):
            agent_env = {**env, "OPSBOT_HOME": home, "OPSBOT_MODEL": model}
            runs = [timed_child(AGENT_CHILD, "READY", agent_env) for _ in range(max(3, ns.runs // 2))]
            agent_figures[model.split(":")[0]] = ([r[0] for r in runs], [r[1] for r in runs])
    lam.shutdown()

    print(f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {cpu_model()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    invoker = "boto3.client('lambda')" if ns.boto3_client else "deploy.lambda_invoke (SigV4)"
    print(f"{ns.runs} cold starts, lazy start via {invoker}; invocations accepted: {LambdaInvokeStub.calls}")
    print(f"process start -> ack (HTTP 200): {summary(acks)}; goal <= 0.5 s")
    print(f"  CPU time of that process: {summary(cpus)}")
    print(f"  of which import deploy.handler: {summary(imports)}")
    print(f"  of which first request (secrets, app, verify, ack, Lambda client, invoke): {summary(handles)}")
    for model, (walls, cpu_times) in agent_figures.items():
        print(f"process start -> full agent ready (Opsbot + graph + {model} model): {summary(walls)}")
        print(f"  CPU time of that process: {summary(cpu_times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
