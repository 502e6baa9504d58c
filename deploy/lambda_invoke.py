"""A minimal Lambda ``Invoke`` client for bolt's lazy listeners.

bolt's Lambda runner builds ``boto3.client("lambda")`` on the first lazy start of a container, on
the acknowledgement path. Building a boto3 client loads Lambda's service model and endpoint rules,
about 0.1 s of CPU on every cold start. This client signs the one request it needs with botocore's
SigV4 signer instead (no service model) and sends it with urllib; it has the ``invoke`` method the
runner calls. Throttling and 5xx answers are retried by tenacity a few times with a short,
jittered exponential backoff.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

RETRY_STATUS = {429, 500, 502, 503, 504}


class LambdaInvokeError(RuntimeError):
    """Lambda refused the invocation; the message has the HTTP status and Lambda's answer."""


class _Retryable(LambdaInvokeError):
    """Throttled or a 5xx: worth another attempt."""


def _credentials() -> Any:
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:  # always the case inside Lambda
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN"))
    import boto3  # elsewhere (a laptop with a profile): the full credential chain

    creds = boto3.Session().get_credentials()
    if creds is None:
        raise LambdaInvokeError("no AWS credentials to invoke the lazy listener with")
    return creds


def endpoint_for(function_arn: str) -> tuple[str, str]:
    """(region, endpoint URL) for a function ARN; ``AWS_ENDPOINT_URL_LAMBDA`` overrides the URL."""
    parts = function_arn.split(":")
    region = parts[3] if len(parts) > 3 and parts[0] == "arn" else os.environ.get("AWS_REGION", "us-east-1")
    suffix = "amazonaws.com.cn" if len(parts) > 1 and parts[1] == "aws-cn" else "amazonaws.com"
    override = os.environ.get("AWS_ENDPOINT_URL_LAMBDA") or os.environ.get("AWS_ENDPOINT_URL")
    return region, (override or f"https://lambda.{region}.{suffix}").rstrip("/")


class LambdaInvoker:
    """``invoke(FunctionName=..., InvocationType=..., Payload=...)`` as boto3's Lambda client has it."""

    def __init__(self, attempts: int = 3, backoff_seconds: float = 0.2, timeout: float = 5.0) -> None:
        self.attempts, self.backoff_seconds, self.timeout = attempts, backoff_seconds, timeout
        self._creds: Any = None

    def invoke(self, FunctionName: str, InvocationType: str = "RequestResponse", Payload: str | bytes = b"") -> dict:
        """Start the function; returns ``{"StatusCode": ...}`` (202 for an asynchronous ``Event``)."""
        if self._creds is None:
            self._creds = _credentials()
        region, endpoint = endpoint_for(FunctionName)
        url = f"{endpoint}/2015-03-31/functions/{quote(FunctionName, safe='')}/invocations"
        body = Payload.encode() if isinstance(Payload, str) else Payload
        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self.attempts),
            wait=wait_random_exponential(multiplier=self.backoff_seconds, max=2),
            reraise=True,
        )
        return retrying(self._attempt, url, body, InvocationType, region, FunctionName)

    def _attempt(self, url: str, body: bytes, invocation_type: str, region: str, function: str) -> dict:
        status, answer = self._send(url, body, invocation_type, region)
        if status < 300:
            return {"StatusCode": status}
        error = _Retryable if status in RETRY_STATUS else LambdaInvokeError
        raise error(f"Lambda Invoke of {function} failed: HTTP {status}: {answer[:500]}")

    def _send(self, url: str, body: bytes, invocation_type: str, region: str) -> tuple[int, str]:
        headers = {"X-Amz-Invocation-Type": invocation_type, "Content-Type": "application/json"}
        request = AWSRequest(method="POST", url=url, data=body, headers=headers)
        # Refreshable credentials (outside Lambda) give a frozen copy; plain ones are used as they are.
        creds = self._creds.get_frozen_credentials() if hasattr(self._creds, "get_frozen_credentials") else self._creds
        SigV4Auth(creds, "lambda", region).add_auth(request)
        prepared = urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(prepared, timeout=self.timeout) as response:
                response.read()
                return response.status, ""
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
