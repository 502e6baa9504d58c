"""The recovery sweep (``Opsbot.sweep``): approved runs that stopped without an outcome are finished
once, through the same exactly-once path as a resume, and given up on after a bounded number of tries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.approvals import ApprovalService
from agent.service import Opsbot
from agent.stores.approvals import ApprovalRecord
from agent.views import Recovery
from tests.agent.fakes import ScriptedModel, bucket_tool, buckets, registered
from tools.base import Risk
from tools.config import Settings, get_settings

LATER = timedelta(minutes=16)  # past the default 15-minute execution lease


class Told:
    """A notifier that remembers what the facade told it."""

    def __init__(self) -> None:
        self.decisions: list[tuple[str, str]] = []
        self.recoveries: list[tuple[ApprovalRecord, Recovery]] = []

    def decided(self, record: ApprovalRecord, by: str) -> None:
        self.decisions.append((record.id, by))

    def recovered(self, record: ApprovalRecord, recovery: Recovery) -> None:
        self.recoveries.append((record, recovery))


def model() -> ScriptedModel:
    return ScriptedModel("data", lambda text: ("make_bucket", {"bucket": "swept-bucket"}))


def finish_fails(monkeypatch: pytest.MonkeyPatch, times: int) -> list[str]:
    """``ApprovalService.finish`` raises the next ``times`` calls (after the AWS call succeeded)."""
    real = ApprovalService.finish
    failures: list[str] = []

    def finish(self: ApprovalService, approval_id: str, **kw: object) -> ApprovalRecord:
        if len(failures) < times:
            failures.append(approval_id)
            raise RuntimeError("the store was unreachable while recording the outcome")
        return real(self, approval_id, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ApprovalService, "finish", finish)
    return failures


def test_a_run_killed_after_its_create_is_finished_once_when_its_lease_runs_out(settings: Settings) -> None:
    calls: list[str] = []
    with registered(bucket_tool(Risk.HIGH, calls=calls, crash_after_create=[True])):
        # GIVEN an approved run whose process died right after its AWS create (its lease is still live)
        pending = Opsbot(settings, model=model()).ask("make the bucket", user="dave", thread="slack:T1/C1:1.1")
        with pytest.raises(SystemExit):
            Opsbot(settings, model=model()).decide(pending.approval.id, user="alice", approve=True)
        told = Told()
        sweeper = Opsbot(get_settings(), model=model(), notifier=told)
        # WHEN the sweep runs while the lease holds THEN it leaves the run alone
        assert sweeper.sweep() == [] and told.recoveries == []
        # WHEN it runs after the lease ran out
        (outcome,) = sweeper.sweep(now=datetime.now(UTC) + LATER)
    # THEN the run was resumed and finished: the bucket exists once, created by the first run only
    assert outcome.action == "resumed" and outcome.status == "executed" and outcome.attempt == 1
    assert calls == ["swept-bucket"] and buckets(settings).count("swept-bucket") == 1
    record = sweeper.get_approval(pending.approval.id)
    assert record.status == "executed" and record.resume_attempts == 1 and record.lease is None
    # AND the notifier heard it, with the requester to tell, and the audit log verifies
    (told_record, told_outcome) = told.recoveries[0]
    assert told_record.status == "executed" and told_outcome.tell == {"dave": "U0000DAVE0"}
    assert "resumed" in told_outcome.message and "attempt 1 of 3" in told_outcome.message
    assert sweeper.verify_audit().ok
    kinds = [e.kind for e in sweeper.audit_entries(approval_id=record.id)]
    assert kinds.count("execution_started") == 1 and kinds.count("execution_resumed") == 1
    assert kinds[-1] == "execution_finished"


def test_an_error_after_the_aws_call_is_resumable_at_once(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    finish_fails(monkeypatch, times=1)
    with registered(bucket_tool(Risk.HIGH, calls=calls)):
        # GIVEN a run whose outcome could not be recorded after its create
        bot = Opsbot(settings, model=model(), notifier=Told())
        pending = bot.ask("make the bucket", user="dave")
        approval_id = str(pending.approval.id)
        with pytest.raises(RuntimeError, match="unreachable"):
            bot.decide(approval_id, user="alice", approve=True)
        # THEN it is interrupted at once (its lease released), with the reason, and may be resumed by the
        # requester or an approver only
        record = bot.get_approval(approval_id)
        assert record.interrupted() and "RuntimeError: the store was unreachable" in (record.interruption or "")
        assert bot.can_resume(approval_id, "alice") is None and bot.can_resume(approval_id, "dave") is None
        assert "may resume" in (bot.can_resume(approval_id, "erin") or "")
        # WHEN the sweep runs, without waiting for any lease
        (outcome,) = bot.sweep()
    # THEN it finished the run, and nothing was created twice
    assert outcome.action == "resumed" and bot.get_approval(approval_id).status == "executed"
    assert calls == ["swept-bucket"] and buckets(settings).count("swept-bucket") == 1
    assert "is executed; there is no interrupted run to resume" in (bot.can_resume(approval_id, "alice") or "")


def test_the_sweep_gives_up_after_its_tries_and_tells_the_requester_and_the_approvers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setenv("OPSBOT_RECOVERY_MAX_ATTEMPTS", "2")
    finish_fails(monkeypatch, times=100)  # every run's outcome is lost
    with registered(bucket_tool(Risk.HIGH, calls=calls)):
        told = Told()
        bot = Opsbot(get_settings(), model=model(), notifier=told)
        pending = bot.ask("make the bucket", user="dave")
        approval_id = str(pending.approval.id)
        with pytest.raises(RuntimeError):
            bot.decide(approval_id, user="alice", approve=True)
        # WHEN the sweep tries, and each resumed run stops again
        first, second = bot.sweep(), bot.sweep()
        assert [o.action for o in first + second] == ["interrupted_again", "interrupted_again"]
        assert [o.attempt for o in first + second] == [1, 2]
        assert bot.get_approval(approval_id).interrupted()
        # (the last try's failure is told to the approvers too: the next sweep gives up)
        assert set(second[0].tell) == {"dave", "alice"}
        # WHEN the sweep comes again after its last try
        (gave_up,) = bot.sweep()
    # THEN it stops: the request is failed with the reason, and requester and approvers are told
    record = bot.get_approval(approval_id)
    assert gave_up.action == "gave_up" and record.status == "failed" and record.lease is None
    assert "resumed it 2 time(s)" in (record.error or "") and "check the resource" in (record.error or "")
    assert gave_up.tell == {"dave": "U0000DAVE0", "alice": "U0000ALICE"}
    assert told.recoveries[-1][1].action == "gave_up"
    # AND nothing more happens, nothing was created twice, and the audit log verifies
    assert bot.sweep() == []
    assert calls == ["swept-bucket"] and bot.verify_audit().ok
    assert bot.audit_entries(approval_id=approval_id)[-1].kind == "recovery_abandoned"


def test_an_approval_whose_run_never_started_expires_with_its_grant(settings: Settings) -> None:
    calls: list[str] = []
    with registered(bucket_tool(Risk.HIGH, calls=calls)):
        # GIVEN an approval recorded by a process that died before it started the run
        told = Told()
        bot = Opsbot(settings, model=model(), notifier=told)
        pending = bot.ask("make the bucket", user="dave")
        bot.approvals.decide(str(pending.approval.id), "alice", True)
        # WHEN the sweep runs within a lease's time THEN it waits (the decision may still start it)
        assert bot.sweep() == []
        # WHEN it runs after the grant ended
        (outcome,) = bot.sweep(now=datetime.now(UTC) + LATER)
    # THEN the request expired, nothing ran, and its card is told
    assert outcome.action == "expired" and outcome.status == "expired" and calls == []
    assert told.recoveries[0][0].status == "expired"


def test_a_notifier_that_fails_does_not_stop_the_sweep(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(Told):
        def recovered(self, record: ApprovalRecord, recovery: Recovery) -> None:
            super().recovered(record, recovery)
            raise ConnectionError("Slack is unreachable")

    finish_fails(monkeypatch, times=2)
    with registered(bucket_tool(Risk.HIGH)):
        # GIVEN two interrupted runs and a notifier that cannot reach anyone
        told = Broken()
        bot = Opsbot(settings, notifier=told, model=ScriptedModel("data", lambda t: ("make_bucket", {"bucket": t})))
        ids = []
        for name in ("first-bucket", "second-bucket"):
            approval_id = str(bot.ask(name, user="dave").approval.id)
            with pytest.raises(RuntimeError):
                bot.decide(approval_id, user="alice", approve=True)
            ids.append(approval_id)
        # WHEN the sweep runs
        outcomes = bot.sweep()
    # THEN both were finished, though telling failed each time
    assert [o.action for o in outcomes] == ["resumed", "resumed"] and len(told.recoveries) == 2
    assert {bot.get_approval(i).status for i in ids} == {"executed"}
