"""The strict fake Slack Web API refuses what Slack refuses, and flags what Slack would render as markup."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakes.slack_api import FakeSlackApi, check_message

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


@pytest.fixture
def api() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        fake.add_message("C1", "1.1", user="U0000ALICE")
        yield fake


def client(api: FakeSlackApi) -> WebClient:
    return WebClient(base_url=api.base_url)


def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as info:
        call()  # type: ignore[operator]
    return str(info.value.response["error"])


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ([SECTION] * 51, "51 blocks"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "3001 long"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "🚀" * 1501}}], "3002 long"),  # UTF-16 units
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "151 long"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "must be plain_text"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "empty text"),
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "11 fields"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "A"}},
                        {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "B"}},
                    ],
                }
            ],
            "duplicate action_id",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "A"}, "value": "v" * 2001},
                    ],
                }
            ],
            "2001 long",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "A"},
                            "confirm": {
                                "title": {"type": "plain_text", "text": "Sure?"},
                                "text": {"type": "mrkdwn", "text": "*really*"},
                            },
                        }
                    ],
                }
            ],
            "confirm.text: must be plain_text",
        ),
        ([{"type": "banner"}], "unknown block type"),
    ],
)
def test_block_kit_limits_are_enforced(blocks: list[dict], problem: str) -> None:
    error, problems = check_message("fallback", blocks)
    assert error == "invalid_blocks" and problem in " ".join(problems)


def test_message_rules(api: FakeSlackApi) -> None:
    c = client(api)
    with pytest.warns(UserWarning, match="top-level `text`"):
        assert error_of(lambda: c.chat_postMessage(channel="C1", blocks=[SECTION])) == "no_text"
    assert error_of(lambda: c.chat_postMessage(channel="C1", text="x" * 40_001)) == "msg_too_long"
    many = [{"type": "section", "text": {"type": "mrkdwn", "text": "m" * 2900}}] * 5
    assert error_of(lambda: c.chat_postMessage(channel="C1", text="t", blocks=many)) == "msg_blocks_too_long"
    assert error_of(lambda: c.chat_update(channel="C1", ts="9.9", text="t")) == "message_not_found"
    assert error_of(lambda: c.chat_update(channel="C1", ts="1.1", text="t")) == "cant_update_message"
    assert error_of(lambda: c.chat_postEphemeral(channel="C1", user="", text="t")) == "user_not_in_channel"
    assert error_of(lambda: c.chat_postMessage(channel="C1", thread_ts="5.5", text="t")) == "thread_not_found"
    reply = c.chat_postMessage(channel="C1", thread_ts="1.1", text="reply")
    assert error_of(lambda: c.chat_postMessage(channel="C1", thread_ts=reply["ts"], text="t")) == "thread_not_found"
    # THEN every refusal the test did not ask for is kept, for assert_clean to report
    assert len(api.rejections) == 8
    with pytest.raises(AssertionError, match="no_text"):
        api.assert_clean()


def test_raw_control_sequences_from_data_are_flagged_in_every_text_field(api: FakeSlackApi) -> None:
    c = client(api)
    c.chat_postMessage(
        channel="C1",
        text="key <!channel> & more",
        blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://evil.example|x> <@U0EVIL>"}]}],
    )
    found = sorted(f.found for f in api.flags)
    assert "<!channel>" in found and "<https://evil.example|x>" in found and "<@U0EVIL>" in found
    assert any("bare '&'" in f for f in found)
    api.flags.clear()
    # opsbot's own sequences pass: a date token, a mention of a member, a link into the workspace, entities
    c.chat_postMessage(
        channel="C1",
        text="<@U0000ALICE> asked: r&amp;d &lt;!channel&gt; <!date^1700000000^{time}|x> "
        "<https://opsbot-test.slack.com/archives/C1/p1|plan>",
    )
    assert api.flags == []


def test_failures_on_demand(api: FakeSlackApi) -> None:
    c = client(api)
    api.fail_next("chat.postMessage", "invalid_blocks")
    assert error_of(lambda: c.chat_postMessage(channel="C1", text="t")) == "invalid_blocks"
    assert c.chat_postMessage(channel="C1", text="t")["ok"]
    api.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        c.chat_postMessage(channel="C1", text="t")  # a client without the retry handler fails
    headers = {k.lower(): v for k, v in info.value.response.headers.items()}
    assert info.value.response.status_code == 429 and headers["retry-after"] in ("7", ["7"])
    assert api.rejections == []
