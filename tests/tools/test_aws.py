"""Client factory: tenacity retries throttling and 5xx, not validation; botocore does not retry."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tools.aws import AwsClients, is_retryable
from tools.config import get_settings


def _live_clients() -> AwsClients:
    return AwsClients(get_settings(live=True))


def test_throttling_is_retried_then_succeeds() -> None:
    clients = _live_clients()
    sm = clients.client("sagemaker")
    with Stubber(sm.raw) as stub:
        stub.add_client_error("list_clusters", service_error_code="ThrottlingException", http_status_code=400)
        stub.add_client_error("list_clusters", service_error_code="InternalFailure", http_status_code=500)
        stub.add_response("list_clusters", {"ClusterSummaries": []}, expected_params={})
        assert sm.list_clusters()["ClusterSummaries"] == []
        stub.assert_no_pending_responses()


def test_validation_error_is_not_retried() -> None:
    sm = _live_clients().client("sagemaker")
    with Stubber(sm.raw) as stub:
        stub.add_client_error("list_clusters", service_error_code="ValidationException", http_status_code=400)
        stub.add_response("list_clusters", {"ClusterSummaries": []})  # would be used by a wrong retry
        with pytest.raises(ClientError):
            sm.list_clusters()
        assert len(stub._queue) == 1  # the second response was never consumed


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSBOT_AWS_MAX_ATTEMPTS", "3")
    sm = _live_clients().client("sagemaker")
    with Stubber(sm.raw) as stub:
        for _ in range(3):
            stub.add_client_error("list_clusters", service_error_code="Throttling", http_status_code=400)
        stub.add_response("list_clusters", {"ClusterSummaries": []})
        with pytest.raises(ClientError):
            sm.list_clusters()
        assert len(stub._queue) == 1


def test_botocore_retries_are_off() -> None:
    config = _live_clients().botocore_config()
    assert config.retries["total_max_attempts"] == 1


def test_is_retryable_classification() -> None:
    def err(code: str, status: int) -> ClientError:
        return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op")

    assert is_retryable(err("ThrottlingException", 400))
    assert is_retryable(err("Whatever", 503))
    assert not is_retryable(err("ValidationException", 400))
    assert not is_retryable(err("ResourceInUse", 400))
