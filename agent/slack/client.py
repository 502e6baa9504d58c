"""The Slack Web API client opsbot uses everywhere, and the quieting of bolt's token warning.

Slack answers HTTP 429 ``ratelimited`` with a ``Retry-After`` header when an app posts too fast
(a burst of progress lines, a card and its full plan). slack_sdk's ``RateLimitErrorRetryHandler``
waits that long and tries again; without it the call fails and, since the delivery was already
claimed, nothing would retry it.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

RATE_LIMIT_RETRIES = 2
# bolt warns that a token "will be unused" when SLACK_BOT_TOKEN is set and the app authorizes with
# its own function (as opsbot does, to skip auth.test on the acknowledgement path): the token is
# used, through ``authorize``. The warning is true of bolt's defaults, not of opsbot.
_BOLT_TOKEN_WARNINGS = ("`token` will be unused", "`token` (or SLACK_BOT_TOKEN env variable) will be ignored")


def web_client(token: str | None = None, base_url: str | None = None) -> WebClient:
    """A ``WebClient`` that waits out rate limits (429 with Retry-After), besides slack_sdk's
    default retry of connection errors. ``base_url`` points it at a local fake in tests."""
    client = WebClient(token=token, base_url=base_url or WebClient.BASE_URL)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


class _TokenWarningFilter(logging.Filter):
    """Drops bolt's "token will be unused/ignored" warnings (see ``_BOLT_TOKEN_WARNINGS``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(text in message for text in _BOLT_TOKEN_WARNINGS)


def quiet_bolt_token_warning() -> None:
    """Install the filter on bolt's App logger (once per process)."""
    logger = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _TokenWarningFilter) for f in logger.filters):
        logger.addFilter(_TokenWarningFilter())
