"""Block Kit for Slack: the approval card, its state after decisions, the full plan, and replies.

The card is always rendered from the approval record (the single source of truth), so the card
posted with the request and the card updated after a click, in another process or container an
hour later, show the same facts: what will change, cost per hour and in total, risk, policy
findings, requester, expiry, who decided what and when, and the audit log's head.

Nothing is cut silently. A plan that does not fit on one card (50 blocks, 3,000 per section, and
about 13,000 of text per message) shows what fits, says how many changes are left out, and points
to the full plan, which opsbot posts in the card's thread just before the card. Every piece of
data is escaped (``text.escape``), every length is counted in Slack's units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.render import changes_beyond_summary
from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION, RESUME_ACTION, button_value
from agent.slack.text import ELLIPSIS, clip, escape, layout, pack, paginate, slack_len
from tools.catalog import money

if TYPE_CHECKING:
    from agent.service import AskResult
    from agent.stores.approvals import ApprovalRecord

ACTIONS_BLOCK = "opsbot_actions"
STATUS_BLOCK = "opsbot_status"
MORE_BLOCK = "opsbot_more"
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
MAX_BLOCKS = 50
# Text per message: Slack refuses a message whose blocks carry a little over 13,000 (observed).
MESSAGE_BUDGET = 11_000
FALLBACK_LIMIT = 300  # the top-level text: the notification line; the blocks carry the rest
MAX_PAGES = 10  # a longer answer is posted in part, with a marker saying what is left out
TITLES = {
    "pending": "Approval needed",
    "approved": "Approved, running",
    "executing": "Approved, running",
    "interrupted": "Interrupted",
    "executed": "Done",
    "failed": "Failed",
    "rejected": "Rejected",
    "expired": "Expired",
    "superseded": "Superseded",
    "withdrawn": "Withdrawn",
}
RISK_EMOJI = {
    "read": ":large_green_circle:",
    "low": ":large_green_circle:",
    "medium": ":large_yellow_circle:",
    "high": ":red_circle:",
    "critical": ":rotating_light:",
}
HOW_TO_ANSWER = "To answer, reply in this thread and mention @opsbot (replies without the mention do not reach me)."


@dataclass(frozen=True)
class Retirement:
    """A pending request replaced by a newer one: the new request's id and when (ISO), when known."""

    by: str | None = None
    at: str | None = None


def slack_date(iso: str | None) -> str:
    """An ISO time as a Slack date token (shown in the reader's time zone), with the ISO text as fallback."""
    if not iso:
        return "-"
    try:
        epoch = int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return escape(iso)
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{escape(iso)}>"


def status_of(record: ApprovalRecord) -> str:
    """The record's status as people should read it: a request replaced by a newer one is
    ``superseded`` even where the store still calls it expired, and a run that stopped without an
    outcome (executing, but nobody holds its lease) is ``interrupted``."""
    if record.status == "expired" and record.error == "superseded":
        return "superseded"
    if record.interrupted():
        return "interrupted"
    return str(record.status)


def superseded_by(record: ApprovalRecord) -> str | None:
    """The id of the request that replaced this one, when the record names it (``replaced_by``)."""
    value = getattr(record, "replaced_by", None)
    return str(value) if value else None


def closed_at(record: ApprovalRecord) -> str | None:
    """When the request left pending without running (``closed_at``), when the record says."""
    value = getattr(record, "closed_at", None)
    return str(value) if value else None


def blocks_text_len(blocks: list[dict[str, Any]]) -> int:
    """The text the blocks carry, in Slack's units (what the per-message budget counts)."""
    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                total += slack_len(node["text"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return total


def fits(blocks: list[dict[str, Any]]) -> bool:
    """True when one message can carry ``blocks``."""
    return len(blocks) <= MAX_BLOCKS and blocks_text_len(blocks) <= MESSAGE_BUDGET


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


# ----------------------------------------------------------------------- card
def _bullet(change: str) -> str:
    # Plans indent the details of a change; show them as sub-items.
    depth = (len(change) - len(change.lstrip(" "))) // 2
    return ("    " * depth) + ("◦ " if depth else "• ") + escape(change.strip())


def change_lines(record: ApprovalRecord) -> list[str]:
    """The plan's changes as mrkdwn bullets (escaped), less those its summary (the card's title line) says."""
    plan = record.plan or {}
    changes = [str(c) for c in plan.get("changes") or []]
    return [_bullet(c) for c in changes_beyond_summary(str(plan.get("summary") or ""), changes)]


def policy_lines(record: ApprovalRecord) -> list[str]:
    """One line per policy finding (escaped)."""
    return [
        f"{':white_check_mark:' if f.get('ok') else ':x:'} `{escape(str(f.get('rule')))}` "
        f"{escape(str(f.get('message', '')))}"
        for f in record.policy or []
    ]


def note_lines(record: ApprovalRecord) -> list[str]:
    """Warnings and the cost note of the plan (escaped)."""
    plan = record.plan or {}
    notes = [f":warning: {escape(str(w))}" for w in plan.get("warnings") or []]
    if plan.get("cost_note"):
        notes.append(f":moneybag: {escape(str(plan['cost_note']))}")
    return notes


def approval_card(
    record: ApprovalRecord,
    working: str | None = None,
    *,
    retired: Retirement | None = None,
    audit_head: str | None = None,
    plan_link: str | None = None,
) -> list[dict[str, Any]]:
    """The card of one approval request in its current state; buttons only while it is pending.

    ``working`` replaces the buttons with that line while a decision is being processed, so nobody
    clicks again while AWS works. ``retired`` says what replaced a superseded request,
    ``audit_head`` is the audit log's head (``SEQ:HASH``) to witness, ``plan_link`` links the full
    plan when the card cannot show all of it."""
    changes, policy, notes = change_lines(record), policy_lines(record), note_lines(record)
    counts = [len(changes), len(policy), len(notes)]
    shown = list(counts)
    blocks = _card(record, working, retired, audit_head, plan_link, shown, counts)
    if fits(blocks):
        return blocks
    # Too much for one message: cut the changes first, then the policy findings, then the notes.
    for index in range(3):
        low, high = 0, shown[index]
        while low < high:
            mid = (low + high + 1) // 2
            trial = [*shown[:index], mid, *shown[index + 1 :]]
            if fits(_card(record, working, retired, audit_head, plan_link, trial, counts)):
                low = mid
            else:
                high = mid - 1
        shown[index] = low
        blocks = _card(record, working, retired, audit_head, plan_link, shown, counts)
        if fits(blocks):
            return blocks
    return blocks


def compact_card(
    record: ApprovalRecord, working: str | None = None, *, retired: Retirement | None = None
) -> list[dict[str, Any]]:
    """A small card (title, summary, status, buttons while pending), for when Slack refuses the full one."""
    status = status_of(record)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": clip(f"{TITLES.get(status, 'Approval')}: {record.tool}", HEADER_LIMIT),
            },
        },
        _section(f"*{escape(str((record.plan or {}).get('summary') or record.tool))}*"),
        _context(f"Request `{escape(record.id)}` · the full card could not be shown; `opsbot approvals show` has it"),
    ]
    status_line = "\n".join(line for line in (status_text(record, retired), working) if line)
    if status_line:
        blocks.append(_section(status_line, STATUS_BLOCK))
    if status == "pending" and not working:
        blocks.append(decision_buttons(record.id, record.thread, str(record.risk)))
    elif status == "interrupted" and not working:
        blocks.append(resume_buttons(record.id, record.thread))
    return blocks


def card_omits(record: ApprovalRecord) -> bool:
    """True when the card of ``record`` cannot show the whole plan (so the full plan goes in the thread)."""
    return any(b.get("block_id") == MORE_BLOCK for b in approval_card(record))


def _card(
    record: ApprovalRecord,
    working: str | None,
    retired: Retirement | None,
    audit_head: str | None,
    plan_link: str | None,
    shown: list[int],
    counts: list[int],
) -> list[dict[str, Any]]:
    plan: dict[str, Any] = record.plan or {}
    risk = str(record.risk)
    status = status_of(record)
    title = TITLES.get(status, "Approval request")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(f"{title}: {record.tool}", HEADER_LIMIT)}},
        _section(f"*{escape(str(plan.get('summary') or record.tool))}*"),
    ]
    changes, policy, notes = change_lines(record), policy_lines(record), note_lines(record)
    if changes:
        blocks += [_section(chunk) for chunk in pack(["*What will change*", *changes[: shown[0]]], SECTION_LIMIT)]
    total = plan.get("cost_usd_total")
    fields = [
        f"*Cost per hour*\n{money(plan.get('cost_usd_per_hour'))}",
        f"*Total*\n{money(total) if total is not None else 'open-ended'}",
        f"*Risk*\n{RISK_EMOJI.get(risk, '')} {escape(risk)} ({escape(str(record.effect))})",
        f"*Requester*\n{escape(record.requester)}",
        f"*Expires*\n{slack_date(record.expires_at)}",
        f"*Approvals*\n{len(set(record.approved_by))} of {record.approvals_needed}",
    ]
    blocks.append({"type": "section", "fields": [{"type": "mrkdwn", "text": clip(f, FIELD_LIMIT)} for f in fields]})
    if policy and shown[1]:
        blocks += [_section(chunk) for chunk in pack(["*Policy*", *policy[: shown[1]]], SECTION_LIMIT)]
    blocks += [_context(chunk) for chunk in pack(notes[: shown[2]], SECTION_LIMIT)]
    left = [count - n for count, n in zip(counts, shown, strict=True)]
    if any(left):
        blocks.append(_section(_more_text(left, counts, plan_link), MORE_BLOCK))
    pending_note = " · nothing runs until it is approved" if status == "pending" else ""
    head = f" · audit head `{escape(audit_head)}`" if audit_head else ""
    blocks.append(_context(f"Request `{escape(record.id)}`{pending_note}{head}"))
    status_line = "\n".join(line for line in (status_text(record, retired), working) if line)
    if status_line:
        blocks.append(_section(status_line, STATUS_BLOCK))
    if status == "pending" and not working:
        blocks.append(decision_buttons(record.id, record.thread, risk))
    elif status == "interrupted" and not working:
        blocks.append(resume_buttons(record.id, record.thread))
    return blocks


def _more_text(left: list[int], counts: list[int], plan_link: str | None) -> str:
    names = ("change", "policy finding", "note")
    parts = [
        f"{n} more {name}{'s' if n != 1 else ''} ({total} in all)"
        for n, name, total in zip(left, names, counts, strict=True)
        if n
    ]
    where = f"<{plan_link}|open the full plan>" if plan_link else "the message(s) just above this card"
    return f"{ELLIPSIS} and {' and '.join(parts)}. *The full plan is in this thread*: {where}."


def decision_buttons(approval_id: str, thread: str, risk: str) -> dict[str, Any]:
    """Approve and Reject; high and critical risks ask for a confirmation before approving."""
    value = button_value(approval_id, thread)
    approve: dict[str, Any] = {
        "type": "button",
        "action_id": APPROVE_ACTION,
        "text": {"type": "plain_text", "text": "Approve"},
        "style": "primary",
        "value": value,
    }
    if risk in ("high", "critical"):
        approve["confirm"] = {
            "title": {"type": "plain_text", "text": "Approve this change?"},
            "text": {"type": "plain_text", "text": f"This is a {risk}-risk action on AWS. It runs once approved."},
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    reject = {
        "type": "button",
        "action_id": REJECT_ACTION,
        "text": {"type": "plain_text", "text": "Reject"},
        "style": "danger",
        "value": value,
    }
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [approve, reject]}


def resume_buttons(approval_id: str, thread: str) -> dict[str, Any]:
    """Resume, on the card of an interrupted run: bound to the request and its thread like Approve."""
    resume = {
        "type": "button",
        "action_id": RESUME_ACTION,
        "text": {"type": "plain_text", "text": "Resume"},
        "style": "primary",
        "value": button_value(approval_id, thread),
    }
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": [resume]}


def status_text(record: ApprovalRecord, retired: Retirement | None = None) -> str:
    """Who decided, when, and what came of it; empty while nobody has decided."""
    lines = []
    for d in record.decisions:
        verb = "Approved" if d.decision == "approve" else "Rejected"
        icon = ":thumbsup:" if d.decision == "approve" else ":no_entry:"
        note = f" ({escape(d.note)})" if d.note else ""
        lines.append(f"{icon} {verb} by *{escape(d.user)}* {slack_date(d.at)}{note}")
    status = status_of(record)
    if status == "pending" and record.approved_by:
        more = record.approvals_needed - len(set(record.approved_by))
        lines.append(f":hourglass: {more} more approval(s) needed from a different approver")
    elif status in ("approved", "executing"):
        lines.append(":gear: Running on AWS…")
    elif status == "interrupted":
        why = escape(record.interruption or "its run stopped without recording an outcome")
        tries = record.resume_attempts
        so_far = f" It was resumed {tries} time(s) so far." if tries else ""
        lines.append(
            f":warning: *Interrupted*: {why}.{so_far} opsbot resumes it on its own within a few minutes; the "
            "requester or an approver may press Resume now. A resumed run checks what already happened and "
            "never creates anything twice."
        )
    elif status == "executed":
        lines.append(f":white_check_mark: *Done* {slack_date(record.executed_at)}{_first_line(record.reply)}")
    elif status == "failed":
        lines.append(f":x: *Failed* {slack_date(record.executed_at)}: {escape(record.error or 'unknown error')}")
    elif status == "rejected":
        lines.append(":no_entry_sign: *Rejected*; nothing ran")
    elif status == "withdrawn":
        when = f" at {slack_date(closed_at(record))}" if closed_at(record) else ""
        lines.append(f":leftwards_arrow_with_hook: *Withdrawn* by its requester{when}; nothing ran")
    elif status == "superseded":
        by = (retired.by if retired else None) or superseded_by(record)
        at = (retired.at if retired else None) or closed_at(record)
        what = f"replaced by `{escape(by)}`" if by else "replaced by a newer request in this thread"
        when = f" at {slack_date(at)}" if at else ""
        lines.append(f":arrows_counterclockwise: *Superseded*: {what}{when}; nothing ran")
    elif status == "expired":
        lines.append(f":hourglass_flowing_sand: *Expired* at {slack_date(record.expires_at)}; nothing ran")
    elif status == "refused":
        # The policy in force at approval or just before the run forbids it (the rule is in ``error``).
        lines.append(f":no_entry: *Refused by policy*: {escape(record.error or 'a rule now forbids it')}")
    return "\n".join(lines)


def _first_line(text: str | None) -> str:
    if not text or not text.strip():
        return ""
    return ": " + escape(text.strip().splitlines()[0])


def card_text(record: ApprovalRecord) -> str:
    """The notification text of the card (shown where blocks are not)."""
    plan = record.plan or {}
    cost = plan.get("cost_usd_per_hour")
    cost_txt = f", {money(cost)}/hour" if cost is not None else ""
    summary = escape(str(plan.get("summary", "")))
    line = f"Approval {status_of(record)}: {record.tool} (risk {escape(str(record.risk))}{cost_txt}) {summary}"
    return clip(line.strip(), FALLBACK_LIMIT)


def full_plan_messages(record: ApprovalRecord) -> list[tuple[str, list[dict[str, Any]]]]:
    """The whole plan of ``record`` as thread messages (text, blocks), for a card that cannot hold it."""
    lines = [f"*Full plan of request `{escape(record.id)}`* ({escape(record.tool)})"]
    plan = record.plan or {}
    lines.append(f"*{escape(str(plan.get('summary') or record.tool))}*")
    changes, policy, notes = change_lines(record), policy_lines(record), note_lines(record)
    if changes:
        lines += ["*What will change*", *changes]
    if policy:
        lines += ["*Policy*", *policy]
    lines += notes
    pages = paginate(pack(lines, SECTION_LIMIT), MAX_BLOCKS - 1, MESSAGE_BUDGET - 200)
    messages = []
    for number, page in enumerate(pages, start=1):
        part = f" (part {number} of {len(pages)})" if len(pages) > 1 else ""
        text = f"Full plan of {escape(record.id)}: {len(changes)} change(s){part}"
        blocks = [_section(chunk) for chunk in page]
        if part:
            blocks.append(_context(f"Full plan of `{escape(record.id)}`{part}"))
        messages.append((text, blocks))
    return messages


# ---------------------------------------------------------------------- replies
def reply_messages(
    result: AskResult, how_to_answer: bool = False, footer: str | None = None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """An answer as one or more messages (text, blocks): every line kept, tables in code blocks,
    split into parts when it is long; refused requests list the broken rules; a question asked in
    a channel says how to answer it; ``footer`` (mrkdwn) closes the last message."""
    text = result.reply or result.error or "Done."
    extra: list[dict[str, Any]] = []
    broken = [f for f in result.policy if not f.ok]
    if result.approval.status == "refused" and broken:
        lines = ["*Refused by policy*", *[f":x: `{escape(f.rule)}` {escape(f.message)}" for f in broken]]
        extra += [_section(chunk) for chunk in pack(lines, SECTION_LIMIT)]
    if how_to_answer:
        extra.append(_context(f":speech_balloon: {HOW_TO_ANSWER}"))
    if footer:
        extra.append(_context(footer))
    room = MESSAGE_BUDGET - blocks_text_len(extra) - 400
    # One block stays free for the "part i of n" line and one for the marker of an answer too long to post.
    pages = paginate(layout(text, SECTION_LIMIT), MAX_BLOCKS - 2 - len(extra), room)
    if len(pages) > MAX_PAGES:
        left = sum(_content_lines(s) for page in pages[MAX_PAGES:] for s in page)
        pages = pages[:MAX_PAGES]
        pages[-1].append(
            f"{ELLIPSIS} and {left} more line(s) not shown: the answer is longer than {MAX_PAGES} messages. "
            "Narrow the request (for example a smaller limit) to see the rest."
        )
    first = clip(escape(text.strip().splitlines()[0] if text.strip() else "Done."), FALLBACK_LIMIT - 20)
    messages = []
    for number, page in enumerate(pages, start=1):
        part = f" (part {number} of {len(pages)})" if len(pages) > 1 else ""
        blocks = [_section(section) for section in page]
        if part:
            blocks.append(_context(f"part {number} of {len(pages)}"))
        if number == len(pages):
            blocks += extra
        messages.append((first + part, blocks))
    return messages


def _content_lines(section: str) -> int:
    return sum(1 for line in section.splitlines() if line.strip() != "```")


def reply_blocks(result: AskResult) -> tuple[str, list[dict[str, Any]]]:
    """The first message of ``reply_messages`` (for callers that post one message)."""
    return reply_messages(result)[0]
