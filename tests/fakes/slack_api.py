"""A fake Slack Web API: an HTTP server on 127.0.0.1 that records every call it receives.

Point a ``WebClient(base_url=server.base_url)`` (or ``OPSBOT_SLACK_API_URL``) at it. Every request
is recorded with its method name, parameters and headers; tests read ``calls`` or wait for a call
with ``wait_for`` (bounded, woken by each new call, no sleeping).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class ApiCall:
    """One recorded request: ``method`` is the Web API method (``chat.postMessage``) or the path."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The Block Kit blocks sent with the call (decoded when they came as JSON text)."""
        blocks = self.params.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else blocks


class FakeSlackApi:
    """The server. Use as a context manager or call ``start``/``stop``."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.failures: dict[str, str] = {}  # method -> Slack error code to answer with
        self._changed = threading.Condition()
        self._ts = 1_700_000_000.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> FakeSlackApi:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """The Web API base URL, with the trailing slash slack_sdk expects."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    # ------------------------------------------------------------------ queries
    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of ``method``, oldest first."""
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[ApiCall]:
        """Block until ``method`` was called ``count`` times (or raise after ``timeout`` seconds)."""
        with self._changed:
            ok = self._changed.wait_for(lambda: len([c for c in self.calls if c.method == method]) >= count, timeout)
            if not ok:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"{method} was not called {count} time(s) within {timeout}s; calls: {seen}")
            return [c for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        """The method names of all calls, in order."""
        with self._changed:
            return [c.method for c in self.calls]

    # ------------------------------------------------------------------ answers
    def _next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts:.6f}"

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The JSON body Slack would send back for ``method``."""
        if method in self.failures:
            return {"ok": False, "error": self.failures[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://opsbot-test.slack.com/",
                "team": "opsbot-test",
                "user": "opsbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            message = {"type": "message", "text": params.get("text", ""), "ts": ts, "bot_id": BOT_ID}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"), "text": params.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        return {"ok": True}

    def _record(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        with self._changed:
            response = self.answer(method, params)
            self.calls.append(ApiCall(method, params, headers, response))
            self._changed.notify_all()
            return response

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = dict(parse_qsl(raw, keep_blank_values=True))
                path = self.path.split("?", 1)[0]
                method = path[len("/api/") :] if path.startswith("/api/") else path
                body = json.dumps(fake._record(method, params, dict(self.headers.items()))).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

        return Handler
