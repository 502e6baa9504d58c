"""How the sandbox adds AWS operations that moto lacks or rejects.

An extension is a function registered for one ``service:Operation``. The sandbox hooks it into
botocore so the real client still validates the request against botocore's service model; the
extension gets the request parameters and returns the response dict (shaped as the service
model's output) or raises ``ExtensionError`` which becomes an AWS error response.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.validate import ParamValidator


class ExtensionError(Exception):
    """An AWS error from an extension: code, message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass
class Call:
    """What an extension handler gets."""

    service: str
    operation: str
    params: dict[str, Any]
    account: str
    region: str
    state: dict[str, Any] = field(default_factory=dict)  # the sandbox's own store, persisted
    # A read handler that advances a lifecycle (Creating -> InService on describe) sets this so the
    # sandbox persists the change; writes are persisted anyway.
    changed: bool = False


# The modules that register extensions and seed the demo account, in seeding order.
EXTENSION_MODULES = (
    "tools.sandbox.ext_account",
    "tools.sandbox.ext_training",
    "tools.sandbox.ext_inference",
    "tools.sandbox.ext_cache",
    "tools.sandbox.ext_data",
)

Handler = Callable[[Call], dict[str, Any]]
HANDLERS: dict[tuple[str, str], Handler] = {}


def extension(service: str, operation: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the sandbox's implementation of ``service:operation``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[(service, operation)] = fn
        return fn

    return register


def validate_output(client: Any, operation: str, response: dict[str, Any]) -> None:
    """Raise if ``response`` does not fit the operation's output shape (used by tests)."""
    shape = client.meta.service_model.operation_model(operation).output_shape
    if shape is None:
        return
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, shape)
    if report.has_errors():
        raise AssertionError(report.generate_report())
