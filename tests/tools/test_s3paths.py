"""The S3 path checks of write plans, where opsbot may not read the path (the sandbox always can)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tools.s3paths import check_bucket, check_model_data, check_objects


class DeniedS3:
    """A strict fake S3 client: every call it knows is denied, any other is an error."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _deny(self, operation: str) -> None:
        self.calls.append(operation)
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, operation)

    def list_objects_v2(self, **_: Any) -> None:
        self._deny("ListObjectsV2")

    def head_object(self, **_: Any) -> None:
        self._deny("HeadObject")

    def head_bucket(self, **_: Any) -> None:
        self._deny("HeadBucket")


@pytest.fixture
def denied() -> tuple[Any, DeniedS3]:
    s3 = DeniedS3()

    def client(service: str) -> DeniedS3:
        assert service == "s3", service
        return s3

    return SimpleNamespace(clients=SimpleNamespace(client=client), account="123456789012"), s3


@pytest.mark.parametrize(
    ("check", "operation"),
    [
        (lambda ctx: check_objects(ctx, "input_s3_uri", "s3://data/sft/", "training data"), "ListObjectsV2"),
        (lambda ctx: check_bucket(ctx, "output_s3_uri", "s3://data/out/", "artifacts destination"), "HeadBucket"),
        (lambda ctx: check_model_data(ctx, "model_s3_uri", "s3://data/model.tar.gz"), "HeadObject"),
    ],
)
def test_a_path_opsbot_may_not_read_is_not_checked_and_says_so(denied: Any, check: Any, operation: str) -> None:
    # GIVEN an S3 client that is denied every read
    ctx, s3 = denied
    # WHEN a path is checked
    result = check(ctx)
    # THEN the plan is not refused: the check reports it could not tell, as a warning
    assert result.ok is None and s3.calls == [operation]
    assert "not checked" in (result.warning() or "") and "AccessDenied" in result.note()
