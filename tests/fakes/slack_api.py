"""A strict fake of the Slack Web API: an HTTP server on 127.0.0.1 that checks every call as Slack would.

Point a ``WebClient(base_url=server.base_url)`` (or ``OPSBOT_SLACK_API_URL``) at it. Every request is
recorded with its method name, parameters, headers and answer; tests read ``calls`` or wait for a
call with ``wait_for`` (bounded, woken by each new call, no sleeping).

What it enforces (``check_message`` can be called directly on blocks built without a server):

- Block Kit: at most 50 blocks; a section's text at most 3,000 and at most 10 fields of 2,000;
  a header's plain_text at most 150; context at most 10 elements; actions at most 25 elements;
  a button's text (plain_text) at most 75, ``value`` at most 2,000, ``url`` at most 3,000;
  ``action_id`` and ``block_id`` unique in the message and at most 255; a confirm dialog's title,
  text, confirm and deny all plain_text (100, 300, 30, 30); no empty text object; known block types.
  Any breach is answered ``invalid_blocks``. The summed text of all blocks above 13,000 is answered
  ``msg_blocks_too_long`` (undocumented, observed on real Slack around 13,200).
- Messages: ``text`` present whenever ``blocks`` are (``no_text``); ``text`` at most 40,000
  (``msg_too_long``).
- Web API rules: ``chat.update`` only of an existing message opsbot posted (``message_not_found``,
  ``cant_update_message``); ``chat.postEphemeral`` needs a ``user`` who is a member
  (``user_not_in_channel``); ``thread_ts`` must name an existing parent message of that channel,
  never a reply (``thread_not_found``; Slack's docs say to use the parent's ts).
- Lengths are counted in Slack's units: UTF-16 code units of the text as sent, entities included
  (``&amp;`` is five, an emoji outside the BMP two).
- Control sequences: every text field (top-level ``text``, every text object in the blocks, the
  text of a response_url post) is scanned; a ``<...>`` sequence that is not a date token, a
  mention of a workspace member, or a link into this workspace is *flagged* in ``flags`` (Slack
  would render it: a ``<!channel>`` from an S3 key would notify everyone). A bare ``&`` that starts
  no entity, and a stray ``<`` or ``>``, are flagged too: data was sent unescaped.
- On demand: ``rate_limit(method, times, retry_after)`` answers HTTP 429 ``ratelimited`` with
  ``Retry-After``; ``fail_next(method, error, times)`` answers ``ok: false`` with ``error``;
  ``failures[method] = error`` fails every call of ``method``.

Rule breaches the test did not ask for are kept in ``rejections``; ``assert_clean()`` (called by
the Slack fixtures after each test) fails the test when there is any rejection or flag.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"
WORKSPACE_URL = "https://opsbot-test.slack.com/"

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_URL = 3000
MAX_ID = 255
MAX_MESSAGE_TEXT = 40_000
MAX_BLOCKS_TEXT = 13_000  # observed: real Slack answers msg_blocks_too_long a little above this
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}
BLOCK_TYPES = {"section", "header", "context", "actions", "divider", "image", "rich_text", "markdown", "input"}

SEQUENCE = re.compile(r"<([^<>\n]*)>")
ENTITY = re.compile(r"&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);")


def slack_len(text: str) -> int:
    """A length as Slack counts it: UTF-16 code units of the text as sent (entities count in full)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Flag:
    """A raw control sequence (or unescaped character) found in a text field Slack received."""

    method: str
    where: str
    found: str


@dataclass
class ApiCall:
    """One recorded request: ``method`` is the Web API method (``chat.postMessage``) or the path."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    response: dict[str, Any] = field(default_factory=dict)
    status: int = 200

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The Block Kit blocks sent with the call (decoded when they came as JSON text)."""
        return _blocks(self.params)

    @property
    def ok(self) -> bool:
        """True when the fake answered ``ok: true``."""
        return bool(self.response.get("ok"))


@dataclass
class Message:
    """A message the fake knows: posted by opsbot, or by a person (as the harness reports it)."""

    channel: str
    ts: str
    user: str | None
    thread_ts: str | None = None
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_reply(self) -> bool:
        """True for a message inside a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts


def _blocks(params: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


# ------------------------------------------------------------------------------ Block Kit checks
def check_message(text: str | None, blocks: list[dict[str, Any]] | None) -> tuple[str | None, list[str]]:
    """(Slack's error code or None, the problems found) for one message's ``text`` and ``blocks``."""
    problems: list[str] = []
    blocks = blocks or []
    if not text and not blocks:
        return "no_text", ["neither text nor blocks"]
    if blocks and not (text or "").strip():
        return "no_text", ["blocks without a top-level text (the notification fallback)"]
    if text and slack_len(text) > MAX_MESSAGE_TEXT:
        return "msg_too_long", [f"text is {slack_len(text)} long; at most {MAX_MESSAGE_TEXT}"]
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; at most {MAX_BLOCKS}")
    block_ids: set[str] = set()
    action_ids: set[str] = set()
    for i, block in enumerate(blocks):
        problems += _check_block(f"blocks[{i}]", block, block_ids, action_ids)
    if problems:
        return "invalid_blocks", problems
    total = sum(slack_len(t) for _, t in text_fields(None, blocks))
    if total > MAX_BLOCKS_TEXT:
        return "msg_blocks_too_long", [f"blocks carry {total} of text; Slack refuses above ~{MAX_BLOCKS_TEXT}"]
    return None, []


def _text_object(where: str, obj: Any, limit: int, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{where}: not a text object"]
    if plain_only and obj["type"] != "plain_text":
        return [f"{where}: must be plain_text, is {obj['type']}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: empty text"]
    if slack_len(text) > limit:
        return [f"{where}: {slack_len(text)} long; at most {limit}"]
    return []


def _check_id(where: str, value: Any, seen: set[str], what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        return [f"{where}: bad {what} {value!r}"]
    if value in seen:
        return [f"{where}: duplicate {what} {value!r}"]
    seen.add(value)
    return []


def _check_block(where: str, block: dict[str, Any], block_ids: set[str], action_ids: set[str]) -> list[str]:
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        return [f"{where}: unknown block type {kind!r}"]
    problems = _check_id(where, block.get("block_id"), block_ids, "block_id")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.append(f"{where}: a section needs text or fields")
        if "text" in block:
            problems += _text_object(f"{where}.text", block["text"], MAX_SECTION_TEXT)
        fields = block.get("fields") or []
        if len(fields) > MAX_FIELDS:
            problems.append(f"{where}: {len(fields)} fields; at most {MAX_FIELDS}")
        for j, f in enumerate(fields):
            problems += _text_object(f"{where}.fields[{j}]", f, MAX_FIELD_TEXT)
        if "accessory" in block:
            problems += _check_element(f"{where}.accessory", block["accessory"], action_ids)
    elif kind == "header":
        problems += _text_object(f"{where}.text", block.get("text"), MAX_HEADER_TEXT, plain_only=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_CONTEXT_ELEMENTS:
            problems.append(f"{where}: {len(elements)} elements; 1 to {MAX_CONTEXT_ELEMENTS}")
        for j, e in enumerate(elements):
            if isinstance(e, dict) and e.get("type") == "image":
                continue
            problems += _text_object(f"{where}.elements[{j}]", e, MAX_SECTION_TEXT)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not 1 <= len(elements) <= MAX_ACTIONS_ELEMENTS:
            problems.append(f"{where}: {len(elements)} elements; 1 to {MAX_ACTIONS_ELEMENTS}")
        for j, e in enumerate(elements):
            problems += _check_element(f"{where}.elements[{j}]", e, action_ids)
    return problems


def _check_element(where: str, element: dict[str, Any], action_ids: set[str]) -> list[str]:
    problems = _check_id(where, element.get("action_id"), action_ids, "action_id")
    if element.get("type") != "button":
        return problems
    problems += _text_object(f"{where}.text", element.get("text"), MAX_BUTTON_TEXT, plain_only=True)
    if "value" in element and slack_len(str(element["value"])) > MAX_BUTTON_VALUE:
        problems.append(f"{where}.value: {slack_len(str(element['value']))} long; at most {MAX_BUTTON_VALUE}")
    if "url" in element and slack_len(str(element["url"])) > MAX_URL:
        problems.append(f"{where}.url: too long")
    if element.get("style") not in (None, "primary", "danger"):
        problems.append(f"{where}.style: {element.get('style')!r}")
    confirm = element.get("confirm")
    if confirm is not None:
        for key, limit in CONFIRM_LIMITS.items():
            if key in confirm or key in ("title", "text"):
                problems += _text_object(f"{where}.confirm.{key}", confirm.get(key), limit, plain_only=True)
    return problems


def text_fields(method: str | None, blocks: list[dict[str, Any]], text: str | None = None) -> list[tuple[str, str]]:
    """(where, text) of every text field: the top-level text and every text object in the blocks."""
    found: list[tuple[str, str]] = [("text", text)] if text else []

    def walk(path: str, node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                found.append((path, node["text"]))
                return
            for key, value in node.items():
                walk(f"{path}.{key}", value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(f"{path}[{i}]", value)

    walk("blocks", blocks)
    return found


def raw_sequences(text: str, members: set[str]) -> list[str]:
    """Control sequences and unescaped characters Slack would act on, except opsbot's allowed ones:
    date tokens, mentions of workspace members, and links into this workspace."""
    found = []
    for match in SEQUENCE.finditer(text):
        inner = match.group(1)
        target = inner.split("|", 1)[0]
        if target.startswith("!date^"):
            continue
        if target.startswith("@") and target[1:] in members:
            continue
        if target.startswith(WORKSPACE_URL):
            continue
        found.append(match.group())
    rest = SEQUENCE.sub("", text)
    found += [f"stray {c!r}" for c in "<>" if c in rest]
    for match in re.finditer("&", rest):
        if not ENTITY.match(rest, match.start()):
            found.append(f"bare '&' in {rest[max(0, match.start() - 10) : match.start() + 10]!r}")
    return found


# ---------------------------------------------------------------------------------- the server
class FakeSlackApi:
    """The server. Use as a context manager or call ``start``/``stop``."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.failures: dict[str, str] = {}  # method -> Slack error code to answer with, every time
        self.flags: list[Flag] = []
        self.rejections: list[ApiCall] = []
        self.messages: dict[tuple[str, str], Message] = {}
        self.members: set[str] = {BOT_USER_ID}
        self._fail_next: dict[str, list[str]] = {}
        self._rate_limits: dict[str, list[int]] = {}
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

    # ------------------------------------------------------------ test controls
    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        with self._changed:
            self._fail_next.setdefault(method, []).extend([error] * times)

    def rate_limit(self, method: str, times: int = 1, retry_after: int = 0) -> None:
        """Answer the next ``times`` calls of ``method`` with HTTP 429 ``ratelimited`` and ``Retry-After``."""
        with self._changed:
            self._rate_limits.setdefault(method, []).extend([retry_after] * times)

    def add_message(self, channel: str, ts: str, user: str | None, thread_ts: str | None = None) -> None:
        """A message a person posted (Slack has it before any event reaches opsbot)."""
        with self._changed:
            if user:
                self.members.add(user)
            if thread_ts and (channel, thread_ts) not in self.messages:
                self.messages[(channel, thread_ts)] = Message(channel, thread_ts, user)
            self.messages.setdefault((channel, ts), Message(channel, ts, user, thread_ts))

    def add_bot_message(self, channel: str, ts: str, thread_ts: str | None = None) -> None:
        """A message opsbot posted earlier (e.g. a card from another process)."""
        with self._changed:
            self.messages[(channel, ts)] = Message(channel, ts, None, thread_ts)

    def observe_request(self, body: str) -> None:
        """Learn what Slack knows before it sends ``body`` to the app: who the sender is, and the
        message an event is about (so replies to it can name it as their thread)."""
        try:
            data: dict[str, Any] = json.loads(body)
        except ValueError:
            form = dict(parse_qsl(body, keep_blank_values=True))
            data = json.loads(form["payload"]) if "payload" in form else form
        event = data.get("event") or {}
        if event.get("channel") and event.get("ts") and event.get("user") and not event.get("bot_id"):
            self.add_message(event["channel"], event["ts"], event["user"], event.get("thread_ts"))
        user = data["user"].get("id") if isinstance(data.get("user"), dict) else data.get("user_id")
        if user:
            with self._changed:
                self.members.add(user)

    def assert_clean(self) -> None:
        """Fail when Slack would have refused a call the test did not provoke, or rendered a raw sequence."""
        problems = [f"{c.method}: {c.response.get('error')} {c.response.get('problems', '')}" for c in self.rejections]
        problems += [f"{f.method} {f.where}: raw {f.found}" for f in self.flags]
        assert not problems, "Slack would not accept this:\n" + "\n".join(problems)

    # ------------------------------------------------------------------ queries
    def calls_to(self, method: str) -> list[ApiCall]:
        """Every recorded call of ``method``, oldest first."""
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def ok_calls_to(self, method: str) -> list[ApiCall]:
        """The calls of ``method`` that Slack accepted."""
        return [c for c in self.calls_to(method) if c.ok]

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

    def message(self, channel: str, ts: str) -> Message:
        """The message as it stands now (after every accepted update)."""
        with self._changed:
            return self.messages[(channel, ts)]

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """The messages of a thread, parent first, in posting order."""
        with self._changed:
            return [
                m
                for m in self.messages.values()
                if m.channel == channel and (m.ts == thread_ts or m.thread_ts == thread_ts)
            ]

    def texts_received(self) -> list[str]:
        """Every text field of every call Slack received (to search for raw data)."""
        with self._changed:
            out = []
            for c in self.calls:
                out += [t for _, t in text_fields(c.method, c.blocks, c.params.get("text"))]
            return out

    # ------------------------------------------------------------------ answers
    def _next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts:.6f}"

    def _thread_ok(self, channel: str, thread_ts: str | None) -> bool:
        if not thread_ts:
            return True
        parent = self.messages.get((channel, thread_ts))
        return parent is not None and not parent.is_reply

    def _check(self, method: str, params: dict[str, Any]) -> tuple[str | None, list[str]]:
        """Slack's refusal of a well-formed call, if any, for the methods opsbot uses."""
        channel = params.get("channel") or ""
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "/response"):
            error, problems = check_message(params.get("text"), _blocks(params))
            if error:
                return error, problems
        if method in ("chat.postMessage", "chat.postEphemeral", "chat.update") and not channel:
            return "channel_not_found", ["no channel"]
        posts = ("chat.postMessage", "chat.postEphemeral")
        if method in posts and not self._thread_ok(channel, params.get("thread_ts")):
            return "thread_not_found", [f"thread_ts {params.get('thread_ts')} is not a parent message in {channel}"]
        if method == "chat.postEphemeral":
            user = params.get("user")
            if not user or user not in self.members:
                return "user_not_in_channel", [f"user {user!r}"]
        if method == "chat.update":
            message = self.messages.get((channel, params.get("ts") or ""))
            if message is None:
                return "message_not_found", [f"no message {params.get('ts')} in {channel}"]
            if message.user is not None:
                return "cant_update_message", ["a person's message"]
        if method == "chat.getPermalink" and (channel, params.get("message_ts") or "") not in self.messages:
            return "message_not_found", [f"no message {params.get('message_ts')} in {channel}"]
        return None, []

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(HTTP status, JSON body, extra headers) Slack would send back for ``method``."""
        if self._rate_limits.get(method):
            retry_after = self._rate_limits[method].pop(0)
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)}
        if self._fail_next.get(method):
            return 200, {"ok": False, "error": self._fail_next[method].pop(0)}, {}
        if method in self.failures:
            return 200, {"ok": False, "error": self.failures[method]}, {}
        error, problems = self._check(method, params)
        if error:
            return 200, {"ok": False, "error": error, "problems": problems, "rejected": True}, {}
        return 200, self._accept(method, params), {}

    def _accept(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if method == "auth.test":
            return {
                "ok": True,
                "url": WORKSPACE_URL,
                "team": "opsbot-test",
                "user": "opsbot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            thread_ts = params.get("thread_ts") or None
            text = params.get("text", "")
            self.messages[(channel, ts)] = Message(channel, ts, None, thread_ts, text, _blocks(params))
            message = {"type": "message", "text": params.get("text", ""), "ts": ts, "bot_id": BOT_ID}
            if thread_ts:
                message["thread_ts"] = thread_ts
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "chat.update":
            message = self.messages[(channel, params["ts"])]
            message.history.append({"text": message.text, "blocks": message.blocks})
            message.text, message.blocks = params.get("text", ""), _blocks(params)
            return {"ok": True, "channel": channel, "ts": params["ts"], "text": params.get("text")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "chat.getPermalink":
            message = self.messages[(channel, params["message_ts"])]
            link = f"{WORKSPACE_URL}archives/{channel}/p{message.ts.replace('.', '')}"
            if message.is_reply:
                link += f"?thread_ts={message.thread_ts}&cid={channel}"
            return {"ok": True, "channel": channel, "permalink": link}
        return {"ok": True}

    def _record(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict, dict]:
        with self._changed:
            status, response, extra = self.answer(method, params)
            call = ApiCall(method, params, headers, response, status)
            self.calls.append(call)
            if response.pop("rejected", False):
                self.rejections.append(call)
            for where, text in text_fields(method, _blocks(params), params.get("text")):
                self.flags += [Flag(method, where, found) for found in raw_sequences(text, self.members)]
            self._changed.notify_all()
            return status, response, extra

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
                status, response, extra = fake._record(method, params, dict(self.headers.items()))
                body = json.dumps(response).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for key, value in extra.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

        return Handler
