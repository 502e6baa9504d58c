"""AWS access in one place: sessions, clients, retries, the mutation guard and the sandbox.

Retries are done by tenacity (exponential backoff with jitter, bounded, logged); botocore's
own retries are switched off so the two never multiply. Validation errors are not retried.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from tenacity import (
    Retrying,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from tools import guard
from tools.config import SANDBOX_ACCOUNT_ID, Settings

log = logging.getLogger("opsbot.aws")

THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
    }
)
TRANSIENT_NETWORK = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)
# Helpers on a client that are not API calls and must not be wrapped.
_NOT_API = frozenset({"get_paginator", "get_waiter", "can_paginate", "close", "generate_presigned_url"})


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx and network blips are retried; everything else is final."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        return code in THROTTLE_CODES or status >= 500
    return isinstance(exc, TRANSIENT_NETWORK)


def error_code(exc: ClientError) -> str:
    """AWS's error code of a ClientError."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")).lower()


def is_not_found(exc: BaseException) -> bool:
    """True when AWS says the resource asked for does not exist.

    Services say it in their own words: ``ResourceNotFound`` and ``...NotFoundFault`` codes, or
    (SageMaker) a ``ValidationException`` whose message says "could not find" or "does not exist".
    """
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    if code.endswith(("NotFound", "NotFoundException", "NotFoundFault")):
        return True
    return code == "ValidationException" and any(
        words in _message(exc) for words in ("not found", "could not find", "does not exist")
    )


def is_already_exists(exc: BaseException) -> bool:
    """True when a create failed because the name is taken (possibly by our own earlier attempt)."""
    if not isinstance(exc, ClientError):
        return False
    code = error_code(exc)
    return (
        code in ("ResourceInUse", "ResourceInUseException")
        or code.endswith("AlreadyExists")
        or ("already exists" in _message(exc))
    )


def describe_or_none(call: Any, **kwargs: Any) -> Any:
    """``call(**kwargs)`` (a Describe or Get operation), or None when the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as exc:
        if is_not_found(exc):
            return None
        raise


def create_once(
    find: Callable[[], Any], create: Callable[[], Any], taken: Callable[[BaseException], bool] = is_already_exists
) -> tuple[Any, str]:
    """Describe before create, so that a retried or resumed write makes its resource at most once.

    ``find`` describes the resource (None: there is none), ``create`` makes it. Returns what there is
    and how it came to be: ``(description, "existing")`` when ``find`` found it first, ``(create's
    answer, "created")``, or ``(description, "lost")`` when the create was refused because the name is
    ``taken`` and ``find`` now finds it (an earlier attempt whose answer was lost, or someone else's:
    the caller tells which).
    """
    found = find()
    if found is not None:
        return found, "existing"
    try:
        return create(), "created"
    except ClientError as exc:
        found = find() if taken(exc) else None
        if found is None:
            raise
        return found, "lost"


def paged(call: Any, key: str, limit: int = 1000, token: str = "NextToken", **kwargs: Any) -> list[Any]:
    """All items under ``key`` of a paged List or Describe operation, up to ``limit``.

    ``token`` names the paging parameter, the same in request and response (``NextToken``, or
    ``Marker`` for ElastiCache). A loop rather than a botocore paginator: each page goes through
    the retrying client.
    """
    items: list[Any] = []
    while True:
        page = call(**kwargs)
        items.extend(page.get(key, []))
        following = page.get(token)
        if not following or len(items) >= limit:
            return items[:limit]
        kwargs[token] = following


class RetryingClient:
    """A boto3 client whose API calls are retried by tenacity. Everything else passes through."""

    def __init__(self, client: Any, settings: Settings, around: Any = None) -> None:
        self._client = client
        self._settings = settings
        self._around = around  # the sandbox wraps each call to load and persist its state

    @property
    def raw(self) -> Any:
        """The boto3 client underneath (guarded, not retried)."""
        return self._client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name.startswith("_") or name in _NOT_API or not callable(attr):
            return attr
        return functools.partial(self._call, attr)

    def _call(self, fn: Any, /, **kwargs: Any) -> Any:
        s = self._settings
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(s.aws_max_attempts),
            wait=wait_random_exponential(multiplier=s.retry_base_seconds, max=s.retry_max_seconds),
            before_sleep=before_sleep_log(log, logging.WARNING),
            reraise=True,
        )
        if self._around is None:
            return retrying(fn, **kwargs)
        return retrying(self._around, fn, kwargs)


def clients_key(settings: Settings) -> tuple[object, ...]:
    """What makes two sets of clients interchangeable: live or sandbox (and whose), credentials, region.

    Clients made for one key may serve every call with the same key: the mutation guard keeps no
    state on a client (the grant in force lives in a context variable of the call), so sharing
    clients never shares a grant.
    """
    if settings.live:
        return ("live", settings.profile, settings.region, settings.endpoint_url)
    return ("sandbox", str(settings.home_dir), settings.region)


class AwsClients:
    """Client factory for one run: region, profile, endpoint, sandbox or live."""

    def __init__(self, settings: Settings, sandbox: Any = None) -> None:
        self.settings = settings
        self.region = settings.region
        self._account: str | None = SANDBOX_ACCOUNT_ID if not settings.live else None
        self._cache: dict[str, RetryingClient] = {}
        self._sandbox = sandbox
        if not settings.live and sandbox is None:
            from tools.sandbox import get_sandbox

            self._sandbox = get_sandbox(settings)
        self._session = (
            boto3.Session(profile_name=settings.profile, region_name=settings.region) if settings.live else None
        )

    @property
    def is_sandbox(self) -> bool:
        return self._sandbox is not None

    @property
    def sandbox(self) -> Any:
        return self._sandbox

    @property
    def account_id(self) -> str:
        """The AWS account the tools act on (sandbox: the demo account)."""
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def botocore_config(self) -> Config:
        # total_max_attempts=1: tenacity owns retries, so botocore must not add its own.
        return Config(
            region_name=self.region,
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            user_agent_extra="opsbot",
        )

    def client(self, service: str) -> RetryingClient:
        """A guarded, retrying client for ``service`` (cached for this factory)."""
        if service not in self._cache:
            if self._sandbox is not None:
                raw = self._sandbox.client(service, config=self.botocore_config())
                around = self._sandbox.call
            else:
                assert self._session is not None
                raw = self._session.client(
                    service, config=self.botocore_config(), endpoint_url=self.settings.endpoint_url
                )
                around = None
            guard.install(raw)
            self._cache[service] = RetryingClient(raw, self.settings, around)
        return self._cache[service]
