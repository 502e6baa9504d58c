"""The lazy listeners' Invoke client: a correctly signed asynchronous Invoke, retries, clear errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from deploy.lambda_invoke import LambdaInvokeError, LambdaInvoker, endpoint_for

ARN = "arn:aws:lambda:us-east-1:123456789012:function:opsbot-slack"


class FakeLambdaApi:
    """Records requests; answers with the next status of ``statuses`` (202 once they run out)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                status = fake.statuses.pop(0) if fake.statuses else 202
                answer = b"" if status < 300 else json.dumps({"Message": "Rate exceeded"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeLambdaApi]:
    fake = FakeLambdaApi()
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", fake.url)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def expected_signature(request: dict[str, Any], url: str) -> str:
    """Sign what arrived again, with the same credentials and time, as Lambda would check it."""
    auth = request["headers"]["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {k: v for k, v in request["headers"].items() if k.lower() in signed and k.lower() != "host"}
    aws = AWSRequest(method="POST", url=url + request["path"], data=request["body"], headers=headers)
    when = datetime.strptime(request["headers"]["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(Credentials("testing", "testing", "testing"), "lambda", "us-east-1").add_auth(aws)
    return aws.headers["Authorization"].split("Signature=")[1]


def test_async_invoke_is_signed_for_lambda_and_carries_the_event(api: FakeLambdaApi) -> None:
    result = LambdaInvoker().invoke(FunctionName=ARN, InvocationType="Event", Payload=json.dumps({"a": 1}))
    assert result == {"StatusCode": 202}
    (req,) = api.requests
    assert (
        req["path"]
        == "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aopsbot-slack/invocations"
    )
    assert req["headers"]["X-Amz-Invocation-Type"] == "Event" and json.loads(req["body"]) == {"a": 1}
    assert req["headers"]["X-Amz-Security-Token"] == "testing"
    auth = req["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=testing/") and "/us-east-1/lambda/aws4_request" in auth
    assert auth.split("Signature=")[1] == expected_signature(req, api.url)


def test_throttling_is_retried_then_succeeds(api: FakeLambdaApi) -> None:
    api.statuses = [429, 503]
    assert LambdaInvoker(backoff_seconds=0).invoke(FunctionName=ARN, InvocationType="Event", Payload="{}") == {
        "StatusCode": 202
    }
    assert len(api.requests) == 3


def test_refusal_is_a_clear_error(api: FakeLambdaApi) -> None:
    api.statuses = [403]
    with pytest.raises(LambdaInvokeError, match="HTTP 403"):
        LambdaInvoker(backoff_seconds=0).invoke(FunctionName=ARN, InvocationType="Event", Payload="{}")
    assert len(api.requests) == 1


def test_endpoint_follows_the_function_region_and_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_LAMBDA", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert endpoint_for("arn:aws:lambda:eu-west-1:1:function:f:live") == (
        "eu-west-1",
        "https://lambda.eu-west-1.amazonaws.com",
    )
    assert endpoint_for("arn:aws-cn:lambda:cn-north-1:1:function:f")[1] == "https://lambda.cn-north-1.amazonaws.com.cn"
