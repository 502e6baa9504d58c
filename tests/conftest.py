"""Shared fixtures: fake AWS credentials, a fixed region, and a fresh OPSBOT_HOME per test."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.config import Settings, get_settings


@pytest.fixture(autouse=True)
def opsbot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """GIVEN fake credentials, us-east-1, no retry sleeps and a private OPSBOT_HOME for each test."""
    for key in list(os.environ):
        if key.startswith("OPSBOT_") or key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("OPSBOT_HOME", str(tmp_path / "opsbot-home"))
    monkeypatch.setenv("OPSBOT_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("OPSBOT_USER", "alice")
    yield tmp_path


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Tests may only talk to loopback; anything else is a bug (tests marked ``live`` excepted)."""
    if request.node.get_closest_marker("live"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise RuntimeError(f"test tried to reach the network: {address}")
        return real_connect(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def slack_api() -> Iterator[Any]:
    """GIVEN the strict fake Slack Web API on 127.0.0.1 (and THEN, after the test, Slack accepted everything),
    for the Slack app's tests and the Lambda's."""
    from tests.fakes.slack_api import FakeSlackApi

    with FakeSlackApi() as api:
        yield api
        api.assert_clean()


@pytest.fixture
def settings() -> Settings:
    """Settings as the environment gives them (sandbox, us-east-1)."""
    return get_settings()


@pytest.fixture
def ctx(settings: Settings):
    """A tool context on a freshly seeded sandbox, requester alice."""
    from tools.runtime import make_context

    return make_context(settings, requester="alice", thread="t-test")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``live`` need real AWS: skipped unless OPSBOT_LIVE_TESTS=1."""
    if os.environ.get("OPSBOT_LIVE_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="live AWS test; set OPSBOT_LIVE_TESTS=1 to run")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)
