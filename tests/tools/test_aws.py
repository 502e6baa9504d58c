"""AWS access: tenacity retries throttling and 5xx, not validation; botocore does not retry; one way to
tell a missing resource, and to create a resource once."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tools.aws import AwsClients, create_once, describe_or_none, is_not_found, is_retryable
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


def _error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Describe")


@pytest.mark.parametrize(
    ("code", "message", "missing"),
    [
        ("ValidationException", 'Could not find endpoint "x".', True),
        ("ValidationException", "Cluster x does not exist.", True),
        ("ResourceNotFound", "", True),
        ("ReplicationGroupNotFoundFault", "", True),
        ("MetadataConfigurationNotFound", "", True),
        ("ValidationException", "1 validation error detected", False),
        ("ThrottlingException", "not found", False),
        ("AccessDenied", "", False),
    ],
)
def test_not_found_in_each_services_words(code: str, message: str, missing: bool) -> None:
    assert is_not_found(_error(code, message)) is missing


def test_describe_or_none_says_none_only_for_a_missing_resource() -> None:
    def missing() -> None:
        raise _error("ResourceNotFound")

    def denied() -> None:
        raise _error("AccessDenied")

    assert describe_or_none(missing) is None
    with pytest.raises(ClientError):
        describe_or_none(denied)


def test_create_once_describes_before_it_creates_and_after_a_lost_answer() -> None:
    # GIVEN a resource that is there already THEN nothing is created
    made: list[str] = []
    assert create_once(lambda: {"Name": "a"}, lambda: made.append("a")) == ({"Name": "a"}, "existing")
    assert made == []
    # GIVEN none WHEN it is created THEN the create's answer comes back
    assert create_once(lambda: None, lambda: {"Arn": "arn:a"}) == ({"Arn": "arn:a"}, "created")
    # GIVEN a create refused because the name is taken (an earlier attempt's lost answer) THEN it is found
    there: list[dict[str, str]] = []

    def refused() -> None:
        there.append({"Name": "a"})
        raise _error("ResourceInUse", "Resource Already Exists")

    assert create_once(lambda: there[0] if there else None, refused) == ({"Name": "a"}, "lost")
    # AND any other refusal is AWS's answer
    with pytest.raises(ClientError):
        create_once(lambda: None, lambda: (_ for _ in ()).throw(_error("ValidationException", "bad role")))
