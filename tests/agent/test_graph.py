"""The graph and the facade with a scripted model: gate, approvals, policy, locks, exactly once."""

from __future__ import annotations

import pytest

from agent import graph as graph_module
from agent.approvals import ApprovalError
from agent.service import Opsbot
from tests.agent.fakes import ScriptedModel, bucket_tool, buckets, registered
from tools import guard
from tools.base import Risk


def bucket_model(name: str = "approved-bucket", count: int = 1) -> ScriptedModel:
    return ScriptedModel("data", lambda text: ("make_bucket", {"bucket": name, "instance_count": count}))


@pytest.fixture
def high_tool():
    with registered(bucket_tool(Risk.HIGH)) as tool:
        yield tool


def test_write_stops_at_approval_and_nothing_is_created(settings, high_tool) -> None:
    # GIVEN a request for a write WHEN asked THEN it waits for approval and AWS is untouched
    bot = Opsbot(settings, model=bucket_model())
    result = bot.ask("make the bucket", user="dave")
    assert result.approval.required and result.approval.status == "pending" and result.approval.id
    assert result.tool_calls[0].name == "make_bucket" and result.route == "data"
    assert "approved-bucket" not in buckets(settings)


def test_approved_by_allowed_person_runs_once(settings, high_tool) -> None:
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    done = bot.decide(pending.approval.id, user="alice", approve=True)
    assert done.approval.status == "executed"
    assert "approved-bucket" in buckets(settings)
    kinds = [e.kind for e in bot.audit.list(approval_id=pending.approval.id)]
    assert kinds == ["approval_requested", "decision", "execution_started", "aws_call", "execution_finished"]
    # a replayed approval runs nothing more
    with pytest.raises(ApprovalError, match="already executed"):
        bot.decide(pending.approval.id, user="bob", approve=True)
    assert bot.audit.verify().ok


def test_self_approval_refused_at_high(settings, high_tool) -> None:
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="alice")
    with pytest.raises(ApprovalError, match="no-self-approval"):
        bot.decide(pending.approval.id, user="alice", approve=True)
    assert "approved-bucket" not in buckets(settings)


def test_non_approver_refused(settings, high_tool) -> None:
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    assert "approvers-for-tier" in (bot.can_decide(pending.approval.id, "erin") or "")
    with pytest.raises(ApprovalError):
        bot.decide(pending.approval.id, user="erin", approve=True)
    assert "approved-bucket" not in buckets(settings)


# alice, an approver, rejects; dave is not a platform lead and may not approve his own high-risk
# request, but he may take it back.
@pytest.mark.parametrize("user", ["alice", "dave"], ids=["an-approver-rejects", "the-requester-withdraws"])
def test_reject_runs_nothing(settings, high_tool, user: str) -> None:
    # GIVEN dave's pending high-risk request
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    # WHEN it is rejected THEN nothing runs
    done = bot.decide(pending.approval.id, user=user, approve=False)
    assert done.approval.status == "rejected" and "nothing ran" in done.reply
    assert "approved-bucket" not in buckets(settings)


def test_critical_needs_two_distinct_approvers(settings) -> None:
    with registered(bucket_tool(Risk.CRITICAL)):
        bot = Opsbot(settings, model=bucket_model())
        pending = bot.ask("make the bucket", user="dave")
        first = bot.decide(pending.approval.id, user="alice", approve=True)
        assert first.approval.status == "pending" and "1 more" in first.reply
        assert "approved-bucket" not in buckets(settings)
        with pytest.raises(ApprovalError, match="distinct-approvers"):
            bot.decide(pending.approval.id, user="alice", approve=True)
        done = bot.decide(pending.approval.id, user="bob", approve=True)
        assert done.approval.status == "executed" and "approved-bucket" in buckets(settings)


def test_expired_request_is_denied(settings, high_tool, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    record = bot.stores.approvals.get(pending.approval.id)
    bot.stores.approvals.replace(record.model_copy(update={"expires_at": "2000-01-01T00:00:00+00:00"}))
    with pytest.raises(ApprovalError, match="expired"):
        bot.decide(pending.approval.id, user="alice", approve=True)
    assert bot.approvals.get(pending.approval.id).status == "expired"
    assert "approved-bucket" not in buckets(settings)


def test_an_edit_needs_a_new_approval(settings, high_tool) -> None:
    # GIVEN a pending request WHEN the requester changes it in the same thread
    names = iter(["first-bucket", "edited-bucket"])
    bot = Opsbot(settings, model=ScriptedModel("data", lambda t: ("make_bucket", {"bucket": next(names)})))
    first = bot.ask("make first", user="dave")
    second = bot.ask("no, make edited instead", user="dave", thread=first.thread)
    # THEN the old approval is retired and approving it runs nothing
    assert second.approval.id != first.approval.id
    with pytest.raises(ApprovalError):
        bot.decide(first.approval.id, user="alice", approve=True)
    bot.decide(second.approval.id, user="alice", approve=True)
    assert "edited-bucket" in buckets(settings) and "first-bucket" not in buckets(settings)


def test_grant_bound_to_call_hash(settings, high_tool) -> None:
    # A grant for one call cannot run another (tampered args in the store)
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    record = bot.stores.approvals.get(pending.approval.id)
    bot.stores.approvals.replace(record.model_copy(update={"args": {"bucket": "evil-bucket", "instance_count": 1}}))
    done = bot.decide(pending.approval.id, user="alice", approve=True)
    assert done.approval.status == "failed" and "another call" in done.reply
    assert "evil-bucket" not in buckets(settings)


def test_policy_refuses_before_asking(settings, high_tool) -> None:
    bot = Opsbot(settings, model=bucket_model(count=5000))
    result = bot.ask("make 5000", user="dave", dry_run=True)
    assert result.approval.status == "refused"
    assert "max-instances-per-action" in result.reply
    assert bot.approvals.list() == []


def test_lock_one_alone_graph_gate(settings, high_tool, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the boto3 guard switched off WHEN a write is requested THEN the gate still stops it
    monkeypatch.setattr(guard, "check", lambda service, operation: None)
    bot = Opsbot(settings, model=bucket_model())
    bot.ask("make the bucket", user="dave")
    assert "approved-bucket" not in buckets(settings)


def test_lock_two_alone_mutation_guard(settings, high_tool, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a graph whose gate is gone and whose executor runs without approval or grant
    from tools import runtime

    def buggy_run_approved(name, raw, ctx, grant):
        tool = runtime.get_tool(name)
        return tool.run(ctx, runtime.parse_args(tool, raw))  # no grant activated

    monkeypatch.setattr(graph_module.Nodes, "await_approval", lambda self, state, runtime: {})
    monkeypatch.setattr("agent.approvals.ApprovalService.claim_execution", lambda self, aid: (self.get(aid), False))
    monkeypatch.setattr("agent.approvals.ApprovalService.grant", lambda self, record: None)
    monkeypatch.setattr(runtime, "run_approved", buggy_run_approved)
    bot = Opsbot(settings, model=bucket_model())
    # WHEN a write is requested
    result = bot.ask("make the bucket", user="dave")
    # THEN the mutation guard alone blocks it
    assert "blocked s3:CreateBucket" in result.reply
    assert "approved-bucket" not in buckets(settings)


def test_crash_between_approval_and_execution_then_resume_creates_once(settings) -> None:
    calls: list[str] = []
    crash = [True]
    with registered(bucket_tool(Risk.HIGH, calls=calls, crash_after_create=crash)):
        bot = Opsbot(settings, model=bucket_model())
        pending = bot.ask("make the bucket", user="dave")
        with pytest.raises(SystemExit):
            bot.decide(pending.approval.id, user="alice", approve=True)
        record = bot.approvals.get(pending.approval.id)
        assert record.status == "executing"
        # WHEN a fresh process resumes once the crashed run's lease has run out
        stale = record.lease.model_copy(update={"expires_at": "2000-01-01T00:00:00+00:00"})
        bot.stores.approvals.replace(record.model_copy(update={"lease": stale}))
        fresh = Opsbot(settings, model=bucket_model())
        done = fresh.resume(pending.approval.id, user="alice")
    assert done.approval.status == "executed"
    assert calls == ["approved-bucket"]  # created once; the resume found it
    assert buckets(settings).count("approved-bucket") == 1


def test_out_of_domain(settings) -> None:
    bot = Opsbot(settings, model=ScriptedModel(None, lambda t: "unused"))
    result = bot.ask("what's the weather", user="dave")
    assert result.route is None and result.tool_calls == [] and "outside" in result.reply


def test_bad_input_is_a_clear_error(settings, high_tool) -> None:
    bot = Opsbot(settings, model=ScriptedModel("data", lambda t: ("make_bucket", {"bucket": "b", "instance_count": 0})))
    result = bot.ask("make", user="dave")
    assert "instance_count" in result.reply and "greater than or equal to 1" in result.reply
    assert result.approval.required is False


def test_a_question_in_the_thread_keeps_the_pending_request(settings, high_tool) -> None:
    # GIVEN a pending write, then a read question in the same thread (e.g. an approver asking)
    def decide(text: str):
        if "cost" in text:
            return ("estimate_cost", {"instance_type": "ml.trn2.48xlarge"})
        return ("make_bucket", {"bucket": "approved-bucket"})

    bot = Opsbot(settings, model=ScriptedModel("data", decide))
    pending = bot.ask("make the bucket", user="dave")
    bot.ask("what does a trn2 cost?", user="alice", thread=pending.thread)
    assert bot.approvals.get(pending.approval.id).status == "pending"
    # WHEN it is approved THEN exactly the approved call runs
    done = bot.decide(pending.approval.id, user="alice", approve=True)
    assert done.approval.status == "executed"
    assert buckets(settings).count("approved-bucket") == 1


def test_an_outsider_may_not_reject(settings, high_tool) -> None:
    bot = Opsbot(settings, model=bucket_model())
    pending = bot.ask("make the bucket", user="dave")
    with pytest.raises(ApprovalError, match="approvers-for-tier"):
        bot.decide(pending.approval.id, user="erin", approve=False)
    assert bot.approvals.get(pending.approval.id).status == "pending"
