"""Text for Slack: data escaped on the way out, decoded on the way in, measured and cut as Slack counts.

Slack treats ``&``, ``<`` and ``>`` as control characters in every text field: ``<!channel>`` notifies
a whole channel, ``<https://x|y>`` is a link. Everything opsbot sends that came from data (names,
S3 keys, tags, people's words) goes through ``escape``; everything it receives goes through
``incoming``, so ``r&d/`` typed in Slack (sent as ``r&amp;d/``) reaches opsbot as ``r&d/``.

Slack's limits are counted on the text as sent (entities included) in UTF-16 code units, so
``slack_len`` counts those, and cuts never land inside an entity or a ``<...>`` sequence. Long text
is never cut silently: lines are packed into sections, an over-long line is wrapped with a ``↪``
continuation mark, aligned tables go into code blocks, and a clip always ends with a marker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ELLIPSIS = "…"
CONTINUED = "↪ "
FENCE = "```"
_ENTITY_AHEAD = re.compile(r"&[#a-zA-Z0-9]{1,8};")
_INCOMING_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
_SEQUENCE = re.compile(r"<([^<>]*)>")
# A line of an aligned table: indented, or with a run of two or more spaces between words.
_TABLE_LINE = re.compile(r"^ {2,}\S|\S {2,}\S")


def escape(text: str) -> str:
    """``text`` with Slack's three control characters as entities, so data never becomes markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def incoming(text: str | None) -> str:
    """What a person typed, from the text Slack sends: mentions dropped, links and channel names
    as they were typed, and ``&amp;``, ``&lt;``, ``&gt;`` decoded (in that one pass, so a typed
    ``&lt;`` stays ``&lt;``)."""
    text = _MENTION.sub(" ", text or "")
    text = _SEQUENCE.sub(_plain_sequence, text)
    return _INCOMING_ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text).strip()


def _plain_sequence(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("#"):  # <#C123|ml-ops>
        return "#" + (label or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@leads>, <!date^...|fallback>
        return label or "@" + target[1:].split("^", 1)[0]
    return label or target  # <https://x>, <http://foo.com|foo.com>, <mailto:a@b|a@b>


def slack_len(text: str) -> int:
    """A length as Slack counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def cut_point(text: str, limit: int) -> int:
    """The longest prefix of ``text`` (as an index) within ``limit`` Slack units that does not end
    inside an entity (``&amp;``) or a control sequence (``<!date^...|...>``)."""
    units = 0
    end = len(text)
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            end = index
            break
    else:
        return end
    amp = text.rfind("&", 0, end)
    if amp != -1 and ";" not in text[amp:end] and _ENTITY_AHEAD.match(text, amp):
        end = amp
    lt = text.rfind("<", 0, end)
    if lt != -1 and ">" not in text[lt:end]:
        end = lt
    return end


def clip(text: str, limit: int, marker: str = ELLIPSIS) -> str:
    """``text`` within ``limit`` Slack units; when it is cut, it ends with ``marker``."""
    if slack_len(text) <= limit:
        return text
    return text[: cut_point(text, limit - slack_len(marker))].rstrip() + marker


def wrap_line(line: str, limit: int) -> list[str]:
    """One line as pieces within ``limit``; every piece after the first starts with ``↪``."""
    pieces: list[str] = []
    rest, prefix = line, ""
    while slack_len(prefix + rest) > limit:
        end = cut_point(rest, limit - slack_len(prefix))
        if end == 0:  # a single sequence longer than the limit: cut it anyway, it is text to read
            end = max(1, limit - slack_len(prefix))
        pieces.append(prefix + rest[:end])
        rest, prefix = rest[end:], CONTINUED
    pieces.append(prefix + rest)
    return pieces


def pack(lines: Iterable[str], limit: int) -> list[str]:
    """Lines joined with newlines into chunks within ``limit``, in order, none lost."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        for piece in wrap_line(line, limit):
            extra = slack_len(piece) + (1 if current else 0)
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, size = [], 0
                extra = slack_len(piece)
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    return chunks


def is_table_line(line: str) -> bool:
    """True for a line of an aligned table or an indented listing (kept in a code block)."""
    return bool(_TABLE_LINE.search(line))


def _segments(lines: list[str]) -> list[tuple[bool, list[str]]]:
    """Runs of prose and runs of two or more table lines (code)."""
    out: list[tuple[bool, list[str]]] = []
    run: list[str] = []

    def flush_run() -> None:
        if len(run) >= 2:
            out.append((True, list(run)))
        else:
            out.extend((False, [line]) for line in run)
        run.clear()

    for line in lines:
        if line.strip() and is_table_line(line):
            run.append(line)
            continue
        flush_run()
        out.append((False, [line]))
    flush_run()
    merged: list[tuple[bool, list[str]]] = []
    for code, part in out:
        if merged and not code and not merged[-1][0]:
            merged[-1][1].extend(part)
        else:
            merged.append((code, part))
    return merged


def layout(text: str, limit: int = 3000) -> list[str]:
    """Plain text (data, unescaped) as mrkdwn section texts within ``limit``: escaped, aligned tables
    in code blocks (closed and reopened across sections), every line kept."""
    lines = [escape(line) for line in text.strip("\n").splitlines()] or [""]
    chunks: list[str] = []
    for code, part in _segments(lines):
        if code:
            body = [line.replace(FENCE, "`\u200b`\u200b`") for line in part]
            overhead = slack_len(FENCE) * 2 + 2
            chunks += [f"{FENCE}\n{chunk}\n{FENCE}" for chunk in pack(body, limit - overhead)]
        else:
            chunks += pack(part, limit)
    sections: list[str] = []
    for chunk in chunks:
        if sections and slack_len(sections[-1]) + 1 + slack_len(chunk) <= limit:
            sections[-1] += "\n" + chunk
        else:
            sections.append(chunk)
    return [s for s in sections if s.strip()] or ["(no text)"]


def paginate(sections: list[str], max_blocks: int, budget: int) -> list[list[str]]:
    """Sections grouped into messages of at most ``max_blocks`` sections and ``budget`` units of text."""
    pages: list[list[str]] = [[]]
    size = 0
    for section in sections:
        length = slack_len(section)
        if pages[-1] and (len(pages[-1]) >= max_blocks or size + length > budget):
            pages.append([])
            size = 0
        pages[-1].append(section)
        size += length
    return pages
