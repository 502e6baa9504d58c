"""The facade front ends use: typed errors on AskResult, the queue, the audit log and withdrawals."""

from __future__ import annotations

import pytest

from agent.approvals import ApprovalError
from agent.service import Opsbot
from agent.stores.approvals import ApprovalRecord
from tools.config import Settings
from tools.errors import NotFoundError, ToolInputError

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


class RecordingNotifier:
    """A notifier that remembers what it was told."""

    def __init__(self) -> None:
        self.told: list[tuple[str, str, str]] = []

    def decided(self, record: ApprovalRecord, by: str) -> None:
        self.told.append((record.id, record.status, by))


@pytest.fixture
def bot(settings: Settings) -> Opsbot:
    return Opsbot(settings)


def test_ask_errors_carry_their_kind(bot: Opsbot) -> None:
    # a missing resource is not_found (exit 2), like `opsbot tools run`
    missing = bot.ask("describe_endpoint endpoint_name=nope", user="dave")
    assert missing.error is not None and missing.error.code == "not_found" and missing.exit_code == 2
    # a refusal by policy is refused (exit 3) with the rule in the message
    refused = bot.ask("create a hyperpod cluster named big with 100 trn2.48xlarge", user="dave")
    assert refused.error is not None and refused.exit_code == 3 and "max-instances-per-action" in refused.error.message
    # a request waiting for approval is no error
    pending = bot.ask(CREATE, user="dave")
    assert pending.ok and pending.exit_code == 0 and pending.approval.status == "pending"


def test_public_document_puts_ok_and_error_first(bot: Opsbot) -> None:
    doc = bot.ask("list endpoints", user="dave").public()
    assert list(doc)[:2] == ["ok", "error"] and doc["ok"] is True and doc["route"] == "inference"


def test_get_and_list_approvals(bot: Opsbot) -> None:
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    assert bot.get_approval(approval_id).requester == "dave"
    assert [r.id for r in bot.list_approvals(status="pending")] == [approval_id]
    with pytest.raises(NotFoundError):
        bot.get_approval("ap-nope")
    with pytest.raises(ToolInputError, match="status='bogus'"):
        bot.list_approvals(status="bogus")


def test_attach_card_and_claim_delivery(bot: Opsbot) -> None:
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    bot.attach_card(approval_id, "C1", "1.2")
    assert bot.get_approval(approval_id).slack_ref == {"channel": "C1", "ts": "1.2"}
    assert bot.claim_delivery("slack-event:E1") is True
    assert bot.claim_delivery("slack-event:E1") is False


def test_audit_entries_and_verify(bot: Opsbot) -> None:
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    kinds = [e.kind for e in bot.audit_entries(approval_id=approval_id)]
    assert kinds == ["approval_requested"]
    with pytest.raises(NotFoundError):
        bot.audit_entries(approval_id="ap-nope")
    head = bot.audit_entries(limit=1)[-1].hash
    assert bot.verify_audit().ok and bot.verify_audit(head=head).ok
    report = bot.verify_audit(head="0" * 64)
    assert not report.ok and "no longer contains" in report.problems[-1]


def test_decisions_are_told_to_the_notifier(settings: Settings) -> None:
    notifier = RecordingNotifier()
    bot = Opsbot(settings, notifier=notifier)
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    done = bot.decide(approval_id, user="alice", approve=True)
    assert done.approval.status == "executed" and notifier.told == [(approval_id, "executed", "alice")]


def test_withdraw_is_the_requesters_alone(settings: Settings) -> None:
    notifier = RecordingNotifier()
    bot = Opsbot(settings, notifier=notifier)
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    with pytest.raises(ApprovalError, match="only its requester"):
        bot.withdraw(approval_id, user="alice")
    result = bot.withdraw(approval_id, user="dave")
    assert "nothing ran" in result.reply and bot.get_approval(approval_id).status in ("rejected", "withdrawn")
    assert notifier.told[-1][0] == approval_id
    with pytest.raises(ApprovalError, match="already"):
        bot.withdraw(approval_id, user="dave")


def test_resume_only_what_was_approved(bot: Opsbot) -> None:
    approval_id = str(bot.ask(CREATE, user="dave").approval.id)
    with pytest.raises(ToolInputError, match="only an approved request"):
        bot.resume(approval_id, user="alice")
