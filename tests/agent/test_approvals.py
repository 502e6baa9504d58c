"""Approvals: the policy in force decides at every step, execution is a lease, and requests in a
thread are retired only by their requester or an approver, with who replaced them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.approvals import ApprovalError, ApprovalService, PolicyRefusedError
from agent.policy import load_policy
from agent.service import Opsbot
from agent.stores import open_stores
from tests.agent.fakes import ScriptedModel, bucket_tool, buckets, dies_after_the_run, registered
from tools.base import Effect, Plan, Risk
from tools.config import get_settings

DEFAULT = Path("agent/policy.default.toml").read_text()
PAST = "2000-01-01T00:00:00+00:00"


def _plan(count: int = 1, risk: Risk = Risk.HIGH, bucket: str = "b") -> Plan:
    return Plan(
        tool="make_bucket",
        args={"bucket": bucket, "instance_count": count},
        effect=Effect.WRITE,
        risk=risk,
        summary="create a bucket",
        aws_operations=["s3:CreateBucket"],
        instance_type="ml.trn2.48xlarge",
        instance_count=count,
        cost_usd_per_hour=1.0 * count,
    )


def _service(policy=None) -> ApprovalService:
    stores = open_stores(get_settings())
    return ApprovalService(stores.approvals, stores.audit, policy or (lambda: load_policy(get_settings())))


def _open(svc: ApprovalService, thread: str = "t1", requester: str = "dave", **plan_kw):
    return svc.open_request(
        _plan(**plan_kw),
        requester=requester,
        thread=thread,
        channel="cli",
        account="123456789012",
        region="us-east-1",
        policy_findings=[],
    )


def _loose_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = DEFAULT.replace("max_instances_per_action = 64", "max_instances_per_action = 1000")
    text = text.replace("max_hourly_usd_per_action = 2000", "max_hourly_usd_per_action = 100000")
    text = text.replace("max_added_hourly_usd_per_action = 2000", "max_added_hourly_usd_per_action = 100000")
    text = text.replace("expiry_minutes = 15", "expiry_minutes = 1440")
    (tmp_path / "loose.toml").write_text(text)
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "loose.toml"))


# ------------------------------------------------------------------------ the policy in force
def test_a_request_filed_under_a_loose_policy_is_refused_at_approval(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with registered(bucket_tool(Risk.HIGH)):
        # GIVEN a 500-instance request filed under the requester's own loose policy
        _loose_policy(tmp_path, monkeypatch)
        model = ScriptedModel("data", lambda t: ("make_bucket", {"bucket": "five-hundred", "instance_count": 500}))
        pending = Opsbot(get_settings(), model=model).ask("make it", user="dave")
        assert pending.approval.status == "pending"
        # WHEN a platform lead approves it under the deployment's (default) policy
        monkeypatch.delenv("OPSBOT_POLICY_FILE")
        bot = Opsbot(get_settings(), model=model)
        with pytest.raises(PolicyRefusedError, match="max-instances-per-action"):
            bot.decide(pending.approval.id, user="alice", approve=True)
        # THEN it is refused by the rule's name and nothing was created
        record = bot.approvals.get(pending.approval.id)
        assert record.status == "refused" and "max-instances-per-action" in (record.error or "")
        assert record.policy_hash != load_policy(get_settings()).digest  # filed under another policy
        assert "five-hundred" not in buckets(settings)


def test_the_requester_cannot_set_the_expiry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a request filed 20 minutes ago under a policy with a 24-hour expiry
    _loose_policy(tmp_path, monkeypatch)
    svc = _service()
    record = _open(svc)
    created = (datetime.now(UTC) - timedelta(minutes=20)).isoformat(timespec="seconds")
    svc.store.replace(record.model_copy(update={"created_at": created}))
    # WHEN the deployment's policy (15 minutes) is in force THEN it has expired, and cannot be approved
    monkeypatch.delenv("OPSBOT_POLICY_FILE")
    assert svc.get(record.id).status == "expired"
    with pytest.raises(ApprovalError, match="expired"):
        svc.decide(record.id, "alice", True)


def test_a_request_the_policy_now_forbids_is_refused_just_before_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an approved request
    svc = _service()
    record = _open(svc)
    assert svc.decide(record.id, "alice", True).status == "approved"
    # WHEN the tool is denied before it starts
    (tmp_path / "deny.toml").write_text(DEFAULT.replace("deny = []", 'deny = ["make_bucket"]'))
    monkeypatch.setenv("OPSBOT_POLICY_FILE", str(tmp_path / "deny.toml"))
    # THEN nothing is claimed and it is refused by name
    assert svc.claim_execution(record.id) is None
    refused = svc.get(record.id)
    assert refused.status == "refused" and "tool-denied" in (refused.error or "")
    assert "policy_refused" in [e.kind for e in svc.audit.list(approval_id=record.id)]


# ------------------------------------------------------------------------------ execution lease
def test_a_live_lease_refuses_a_second_executor() -> None:
    # GIVEN an approved call that one executor has claimed
    svc = _service()
    record = _open(svc)
    svc.decide(record.id, "alice", True)
    claimed, resumed = svc.claim_execution(record.id)
    assert claimed.status == "executing" and not resumed and claimed.lease is not None
    # WHEN a second executor (another process) tries while the lease is live THEN it is refused
    other = _service()
    with pytest.raises(ApprovalError, match="does not run twice"):
        other.claim_execution(record.id)
    # AND once the lease has run out, it may resume
    stale = claimed.lease.model_copy(update={"expires_at": PAST})
    svc.store.replace(svc.get(record.id).model_copy(update={"lease": stale}))
    again, resumed = other.claim_execution(record.id)
    assert resumed and again.lease.owner != claimed.lease.owner


def test_an_approved_call_that_never_started_expires_with_its_grant() -> None:
    svc = _service()
    record = _open(svc)
    approved = svc.decide(record.id, "alice", True)
    assert approved.grant_expires_at is not None
    svc.store.replace(svc.get(record.id).model_copy(update={"grant_expires_at": PAST}))
    # WHEN someone tries to run it after the grant expired THEN it expires and nothing runs
    assert svc.claim_execution(record.id) is None
    assert svc.get(record.id).status == "expired"


def test_only_the_requester_or_an_approver_may_resume() -> None:
    svc = _service()
    record = _open(svc, risk=Risk.HIGH)
    svc.decide(record.id, "alice", True)
    for who in ("dave", "alice", "bob"):  # requester, the approver, another platform lead
        assert svc.check_resume(record.id, who).id == record.id
    for who in ("carol-not", "erin", "aws:alice"):
        with pytest.raises(ApprovalError, match="may resume"):
            svc.check_resume(record.id, who)


def test_resuming_in_another_region_runs_nothing_and_never_marks_the_write_failed(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with registered(bucket_tool(Risk.HIGH)):
        # GIVEN a run in us-east-1 that created its bucket, then died before recording it
        model = ScriptedModel("data", lambda t: ("make_bucket", {"bucket": "east-bucket"}))
        bot = Opsbot(settings, model=model)
        pending = bot.ask("make it", user="dave")
        with dies_after_the_run(monkeypatch, "died after CreateBucket"):
            bot.decide(pending.approval.id, user="alice", approve=True)
        record = bot.approvals.get(pending.approval.id)
        bot.stores.approvals.replace(
            record.model_copy(update={"lease": record.lease.model_copy(update={"expires_at": PAST})})
        )
        # WHEN it is resumed from opsbot pointed at another region
        west = Opsbot(get_settings(region="us-west-2"), model=model)
        with pytest.raises(ApprovalError, match="us-east-1"):
            west.resume(pending.approval.id, user="dave")
        # THEN nothing ran there and the record is not marked failed; in its own region it finishes
        assert bot.approvals.get(pending.approval.id).status == "executing"
        done = Opsbot(settings, model=model).resume(pending.approval.id, user="dave")
        assert done.approval.status == "executed" and buckets(settings).count("east-bucket") == 1


# ----------------------------------------------------------------------------- threads and queue
def test_a_newcomer_in_the_thread_does_not_supersede_someone_elses_request() -> None:
    svc = _service()
    mine = _open(svc, requester="dave", bucket="mine")
    # WHEN erin files a request in dave's thread THEN dave's request stays pending
    theirs = _open(svc, requester="erin", bucket="theirs")
    assert svc.supersede("t1", by="erin", replaced_by=theirs.id) == []
    assert svc.get(mine.id).status == "pending"
    # WHEN dave files a newer one THEN his older one is superseded, says by what and when, and is returned
    newer = _open(svc, requester="dave", bucket="newer")
    retired = svc.supersede("t1", by="dave", replaced_by=newer.id)
    assert [r.id for r in retired] == [mine.id]
    old = svc.get(mine.id)
    assert old.status == "superseded" and old.replaced_by == newer.id and old.closed_at is not None
    # AND an approver of its tier may retire erin's (a lead cleaning up the thread)
    assert [r.id for r in svc.supersede("t1", by="alice", replaced_by=newer.id)] == [theirs.id]


def test_withdraw_is_the_requesters_alone() -> None:
    svc = _service()
    record = _open(svc)
    with pytest.raises(ApprovalError, match=r"only its requester \(dave\)"):
        svc.withdraw(record.id, "alice")
    assert svc.withdraw(record.id, "dave").status == "withdrawn"
    with pytest.raises(ApprovalError, match="already withdrawn"):
        svc.withdraw(record.id, "dave")
    with pytest.raises(ApprovalError):
        svc.decide(record.id, "alice", True)


def test_duplicates_and_supersedes_see_every_pending_request_not_the_newest_100() -> None:
    # GIVEN dave's pending request, then 150 newer pending requests in other threads
    svc = _service()
    first = _open(svc, thread="old-thread")
    for i in range(150):
        _open(svc, thread=f"busy-{i}")
    # WHEN dave asks for the same call again THEN it is the same request, not a second one
    assert _open(svc, thread="old-thread").id == first.id
    # AND a newer request in his thread retires it
    newer = _open(svc, thread="old-thread", bucket="other")
    assert [r.id for r in svc.supersede("old-thread", by="dave", replaced_by=newer.id)] == [first.id]


def test_the_pending_list_and_the_store_agree() -> None:
    # GIVEN a request past its expiry WHEN the pending list is read THEN it is not listed as pending
    svc = _service()
    record = _open(svc)
    svc.store.replace(record.model_copy(update={"expires_at": PAST}))
    assert svc.list(status="pending") == [] and svc.pending_in_thread("t1") == []
    assert svc.get(record.id).status == "expired"


# ---------------------------------------------------------------------------------- recovery
class Clock:
    """A clock the test moves by hand (no sleeps)."""

    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, minutes: float) -> None:
        self.at += timedelta(minutes=minutes)


def _claimed(clock: Clock | None = None) -> tuple[ApprovalService, str]:
    stores = open_stores(get_settings())
    svc = ApprovalService(stores.approvals, stores.audit, lambda: load_policy(get_settings()), clock=clock)
    record = _open(svc)
    svc.decide(record.id, "alice", True)
    svc.claim_execution(record.id)
    return svc, record.id


def test_a_run_that_stopped_with_an_error_releases_its_lease_so_it_can_be_resumed_at_once() -> None:
    # GIVEN a run in progress, and another process
    svc, approval_id = _claimed()
    other = _service()
    # WHEN the other process tries to release it THEN nothing changes: the lease is not its own
    assert other.release_lease(approval_id, "not mine") is None
    assert not svc.get(approval_id).interrupted()
    # WHEN the run's own process sees its run stop with an error
    released = svc.release_lease(approval_id, "RuntimeError: finish failed")
    # THEN the run is interrupted (its lease over, with the reason), so a resume need not wait
    assert released is not None and released.interrupted() and released.interruption == "RuntimeError: finish failed"
    again, resumed = other.claim_execution(approval_id)
    assert resumed and again.resume_attempts == 1 and again.interruption == "RuntimeError: finish failed"
    assert [e.kind for e in svc.audit.list(approval_id=approval_id)][-2:] == [
        "execution_interrupted",
        "execution_resumed",
    ]


def test_stalled_finds_runs_whose_lease_ran_out_and_approvals_that_never_started() -> None:
    clock = Clock()
    # GIVEN a run in progress and an approval whose run never started
    svc, running = _claimed(clock)
    never = _open(svc, thread="t2", bucket="b2")
    svc.decide(never.id, "alice", True)
    # THEN while the lease holds, and before a run should have started, nothing is stalled
    assert svc.stalled() == []
    # WHEN the lease time (15 minutes) passes with no outcome
    clock.advance(16)
    # THEN both are stalled, and the run counts as interrupted
    assert {r.id for r in svc.stalled()} == {running, never.id}
    assert svc.get(running).interrupted(clock())
    # AND pinning another moment judges at that moment
    with svc.pinned(clock() - timedelta(minutes=10)):
        assert svc.stalled() == []


def test_give_up_fails_only_a_run_nobody_holds() -> None:
    clock = Clock()
    svc, approval_id = _claimed(clock)
    # WHEN the lease still holds THEN the run cannot be given up
    assert svc.give_up(approval_id, "tried enough") is None and svc.get(approval_id).status == "executing"
    # WHEN it has run out
    clock.advance(16)
    failed = svc.give_up(approval_id, "tried enough")
    # THEN the request is failed with the reason, its lease gone, and the audit log says so
    assert failed is not None and failed.status == "failed" and failed.error == "tried enough" and failed.lease is None
    assert svc.audit.list(approval_id=approval_id)[-1].kind == "recovery_abandoned"
    assert svc.claim_execution(approval_id) is None  # nothing runs it any more


def test_in_lambda_a_lease_is_over_only_when_it_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from agent.stores.approvals import Lease

    # GIVEN a lease held by a process id that does not exist on this host
    lease = Lease(owner=f"{socket.gethostname()}:999999999:abcd", by="dave", expires_at="2999-01-01T00:00:00+00:00")
    assert ApprovalService._lease_is_orphaned(lease)  # on one machine, a dead process frees it at once
    # WHEN it is seen from a Lambda container (host names and process ids repeat across containers)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "opsbot-slack")
    # THEN it is not taken for orphaned: another container may still be running it
    assert not ApprovalService._lease_is_orphaned(lease)
