"""One set of AWS clients per Opsbot, reused by every node and turn, and no grant shared with them."""

from __future__ import annotations

import threading
import time

import pytest

from agent.service import Opsbot
from tools import guard
from tools.aws import clients_key
from tools.config import Settings
from tools.errors import MutationBlockedError
from tools.sandbox.core import Sandbox

CREATE = "create a hyperpod cluster named demo with 2 trn2.48xlarge"


class CountingClients:
    """Counts the boto3 clients the sandbox makes (wraps the real ``Sandbox.client``, strict: same answer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        real = Sandbox.client

        def counted(sandbox: Sandbox, service: str, config: object = None) -> object:
            self.made += 1
            return real(sandbox, service, config)

        monkeypatch.setattr(Sandbox, "client", counted)


def test_turns_reuse_one_set_of_clients(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an Opsbot that has answered one read turn
    counting = CountingClients(monkeypatch)
    bot = Opsbot(settings)
    assert bot.ask("list endpoints", user="alice").ok
    made_by_first_turn = counting.made
    clients = bot.clients()
    # WHEN more read turns run, in this thread and in a new one
    for text in ("list endpoints", "list caches", "list endpoints"):
        assert bot.ask(text, user="alice").ok
    # THEN no new boto3 client was made for a service already used, and the set is the same object
    assert made_by_first_turn >= 1
    assert counting.made <= made_by_first_turn + 2  # list caches may add elasticache and cloudwatch
    assert bot.clients() is clients
    again = counting.made
    assert bot.ask("list caches", user="alice").ok
    assert counting.made == again


def test_the_key_separates_sandbox_live_region_and_profile(settings: Settings) -> None:
    # GIVEN settings that differ in region, mode or profile THEN their clients are never shared
    base = clients_key(settings)
    assert clients_key(settings.model_copy(update={"region": "eu-west-2"})) != base
    live = settings.model_copy(update={"live": True})
    assert clients_key(live) != base
    assert clients_key(live.model_copy(update={"profile": "other"})) != clients_key(live)
    assert clients_key(settings.model_copy()) == base


def test_an_approved_write_on_shared_clients_leaves_no_grant_behind(settings: Settings) -> None:
    # GIVEN an approved write run by the facade on its shared clients
    bot = Opsbot(settings)
    asked = bot.ask(CREATE, user="dave")
    done = bot.decide(str(asked.approval.id), user="alice", approve=True)
    assert done.approval.status == "executed", done.reply
    # WHEN the same clients are asked for another write after the run
    sagemaker = bot.clients().client("sagemaker")
    # THEN the guard refuses it: the grant ended with its call
    with pytest.raises(MutationBlockedError, match="no active grant"):
        sagemaker.delete_cluster(ClusterName="demo")
    assert guard.active_grant() is None


def _bound(bucket: str) -> guard.Grant:
    ops = [{"operation": "s3:CreateBucket", "params": {"Bucket": bucket}}]
    return guard.Grant.for_operations("ap-1", "h", ops, time.time() + 60)


def test_a_reused_client_checks_each_calls_own_parameters(settings: Settings) -> None:
    # GIVEN one shared client that just made an allowed write under a grant bound to bucket "one"
    s3 = Opsbot(settings).clients().client("s3")
    with guard.activated(_bound("one")):
        s3.create_bucket(Bucket="one")
        # WHEN the next call on the same client names another bucket under the same grant
        # THEN it is judged on its own parameters, not the previous call's
        with pytest.raises(MutationBlockedError, match='only for Bucket="one"'):
            s3.create_bucket(Bucket="two")
    # AND after the block, nothing is allowed any more
    with pytest.raises(MutationBlockedError, match="no active grant"):
        s3.create_bucket(Bucket="one-more")


def test_a_grant_in_one_thread_does_not_cover_another_threads_calls(settings: Settings) -> None:
    # GIVEN a grant active in this thread and one client shared with another thread
    s3 = Opsbot(settings).clients().client("s3")
    seen: list[BaseException | None] = []

    def other_thread() -> None:
        try:
            s3.create_bucket(Bucket="from-elsewhere")
            seen.append(None)
        except MutationBlockedError as exc:
            seen.append(exc)

    with guard.activated(_bound("from-elsewhere")):
        # WHEN the other thread writes through the shared client while the grant is active here
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    # THEN its write is refused: grants belong to the call's context, not to the client
    assert len(seen) == 1 and isinstance(seen[0], MutationBlockedError)
    assert "from-elsewhere" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
