"""Block Kit for Slack: the approval card, its state after decisions, and plain replies.

The card is always rendered from the approval record (the single source of truth), so the card
posted with the request and the card updated after a click, in another process or container an
hour later, show the same facts: what will change, cost per hour and in total, risk, policy
findings, requester, expiry, and who decided what, when, with which result.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from agent.slack.refs import APPROVE_ACTION, REJECT_ACTION, button_value

if TYPE_CHECKING:
    from agent.service import AskResult
    from agent.stores.approvals import ApprovalRecord

ACTIONS_BLOCK = "opsbot_actions"
STATUS_BLOCK = "opsbot_status"
MAX_TEXT = 2900  # Slack allows 3000 characters in a section; leave room for the ellipsis
TITLES = {
    "pending": "Approval needed",
    "approved": "Approved, running",
    "executing": "Approved, running",
    "executed": "Done",
    "failed": "Failed",
    "rejected": "Rejected",
    "expired": "Expired",
}
RISK_EMOJI = {
    "read": ":large_green_circle:",
    "low": ":large_green_circle:",
    "medium": ":large_yellow_circle:",
    "high": ":red_circle:",
    "critical": ":rotating_light:",
}


def money(value: float | None) -> str:
    """USD with cents, or a dash when unknown."""
    return "-" if value is None else f"${value:,.2f}"


def slack_date(iso: str | None) -> str:
    """An ISO time as a Slack date token (shown in the reader's time zone), with the ISO text as fallback."""
    if not iso:
        return "-"
    try:
        epoch = int(datetime.fromisoformat(iso).timestamp())
    except ValueError:
        return iso
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{iso}>"


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Text with Slack's mrkdwn control characters escaped, so names never become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text)}}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text)}]}


# ----------------------------------------------------------------------- card
def approval_card(record: ApprovalRecord, working: str | None = None) -> list[dict[str, Any]]:
    """The card of one approval request in its current state; buttons only while it is pending.

    ``working`` replaces the buttons with that line while a decision is being processed, so nobody
    clicks again while AWS works."""
    plan: dict[str, Any] = record.plan or {}
    risk = str(record.risk)
    title = TITLES.get(record.status, "Approval request")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(f"{title}: {record.tool}", 150)}},
        _section(f"*{escape(plan.get('summary') or record.tool)}*"),
    ]
    changes = plan.get("changes") or []
    if changes:
        blocks.append(_section("*What will change*\n" + "\n".join(_bullet(str(c)) for c in changes)))
    total = plan.get("cost_usd_total")
    blocks.append(
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Cost per hour*\n{money(plan.get('cost_usd_per_hour'))}"},
                {"type": "mrkdwn", "text": f"*Total*\n{money(total) if total is not None else 'open-ended'}"},
                {"type": "mrkdwn", "text": f"*Risk*\n{RISK_EMOJI.get(risk, '')} {risk} ({record.effect})"},
                {"type": "mrkdwn", "text": f"*Requester*\n{escape(record.requester)}"},
                {"type": "mrkdwn", "text": f"*Expires*\n{slack_date(record.expires_at)}"},
                {
                    "type": "mrkdwn",
                    "text": f"*Approvals*\n{len(set(record.approved_by))} of {record.approvals_needed}",
                },
            ],
        }
    )
    findings = record.policy or []
    if findings:
        lines = [
            f"{':white_check_mark:' if f.get('ok') else ':x:'} `{f.get('rule')}` {escape(str(f.get('message', '')))}"
            for f in findings
        ]
        blocks.append(_section("*Policy*\n" + "\n".join(lines)))
    notes = [f":warning: {escape(str(w))}" for w in plan.get("warnings") or []]
    if plan.get("cost_note"):
        notes.append(f":moneybag: {escape(str(plan['cost_note']))}")
    if notes:
        blocks.append(_context("\n".join(notes)))
    pending_note = " · nothing runs until it is approved" if record.status == "pending" else ""
    blocks.append(_context(f"Request `{record.id}`{pending_note}"))
    status = "\n".join(line for line in (status_text(record), working) if line)
    if status:
        blocks.append(_section(status, STATUS_BLOCK))
    if record.status == "pending" and not working:
        blocks.append(decision_buttons(record.id, record.thread, risk))
    return blocks


def _bullet(change: str) -> str:
    # Plans indent the details of a change; show them as sub-items.
    depth = (len(change) - len(change.lstrip(" "))) // 2
    return ("    " * depth) + ("◦ " if depth else "• ") + escape(change.strip())


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
            "text": {"type": "mrkdwn", "text": f"This is a *{risk}-risk* action on AWS."},
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


def status_text(record: ApprovalRecord) -> str:
    """Who decided, when, and what came of it; empty while nobody has decided."""
    lines = []
    for d in record.decisions:
        verb = "Approved" if d.decision == "approve" else "Rejected"
        icon = ":thumbsup:" if d.decision == "approve" else ":no_entry:"
        note = f" ({escape(d.note)})" if d.note else ""
        lines.append(f"{icon} {verb} by *{escape(d.user)}* {slack_date(d.at)}{note}")
    status = record.status
    if status == "pending" and record.approved_by:
        more = record.approvals_needed - len(set(record.approved_by))
        lines.append(f":hourglass: {more} more approval(s) needed from a different approver")
    elif status in ("approved", "executing"):
        lines.append(":gear: Running on AWS…")
    elif status == "executed":
        lines.append(f":white_check_mark: *Done* {slack_date(record.executed_at)}{_first_line(record.reply)}")
    elif status == "failed":
        lines.append(f":x: *Failed* {slack_date(record.executed_at)}: {escape(record.error or 'unknown error')}")
    elif status == "rejected":
        lines.append(":no_entry_sign: *Rejected*; nothing ran")
    elif status == "expired":
        lines.append(f":hourglass_flowing_sand: *Expired* {slack_date(record.expires_at)}; nothing ran")
    elif status == "superseded":
        by = f" {escape(record.replaced_by)}" if record.replaced_by else ""
        when = f" {slack_date(record.closed_at)}" if record.closed_at else ""
        lines.append(f":twisted_rightwards_arrows: *Superseded*: replaced by a newer request{by}{when}; nothing ran")
    elif status == "withdrawn":
        lines.append(f":leftwards_arrow_with_hook: *Withdrawn* by {escape(record.requester)}; nothing ran")
    elif status == "refused":
        lines.append(f":no_entry: *Refused by policy*: {escape(record.error or 'a rule now forbids it')}")
    return "\n".join(lines)


def _first_line(text: str | None) -> str:
    if not text:
        return ""
    return ": " + escape(text.strip().splitlines()[0])


def card_text(record: ApprovalRecord) -> str:
    """The notification text of the card (shown where blocks are not)."""
    plan = record.plan or {}
    cost = plan.get("cost_usd_per_hour")
    cost_txt = f", {money(cost)}/hour" if cost is not None else ""
    return f"Approval {record.status}: {record.tool} (risk {record.risk}{cost_txt}) {plan.get('summary', '')}".strip()


# ---------------------------------------------------------------------- replies
def reply_blocks(result: AskResult) -> tuple[str, list[dict[str, Any]]]:
    """A plain answer: the reply text, plus the policy findings that refused a request."""
    text = result.reply or result.error or "Done."
    blocks = [_section(escape(text))]
    broken = [f for f in result.policy if not f.ok]
    if result.approval.status == "refused" and broken:
        lines = [f":x: `{f.rule}` {escape(f.message)}" for f in broken]
        blocks.append(_section("*Refused by policy*\n" + "\n".join(lines)))
    return _clip(text, 3000), blocks
