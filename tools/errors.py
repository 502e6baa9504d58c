"""Errors that opsbot shows to people as one clear line, never as a traceback."""

from __future__ import annotations

from typing import Any


class OpsbotError(Exception):
    """Base of every error opsbot reports to a user."""

    exit_code = 1


class ToolInputError(OpsbotError):
    """Bad input: names the field, the value and what is allowed. Nothing was changed."""

    exit_code = 2

    def __init__(self, field: str, value: Any, allowed: str, tool: str | None = None) -> None:
        self.field, self.value, self.allowed, self.tool = field, value, allowed, tool
        super().__init__(field, value, allowed)

    def __str__(self) -> str:
        where = f"{self.tool}: " if self.tool else ""
        return f"{where}{self.field}={self.value!r} is not valid; {self.allowed}"


class UnknownToolError(OpsbotError):
    """A tool name that the registry does not have."""

    exit_code = 2


class ApprovalRequiredError(OpsbotError):
    """A write or destructive tool was asked to run without an approval."""

    exit_code = 3


class MutationBlockedError(OpsbotError):
    """The mutation guard refused an AWS call that no active grant covers."""

    exit_code = 3


class AwsCallError(OpsbotError):
    """AWS refused a call; the message carries AWS's code and text."""


class NotFoundError(OpsbotError):
    """The named resource does not exist; ``field`` names the argument that named it, when one did."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def aws_error_message(exc: Exception) -> str:
    """One line for an error raised by botocore, with what to do about the common ones."""
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

    if isinstance(exc, NoCredentialsError):
        return (
            "no AWS credentials found: set AWS_PROFILE (or OPSBOT_PROFILE) or log in, "
            "or leave out --live to use the sandbox"
        )
    if isinstance(exc, ProfileNotFound):
        return f"{exc}; check OPSBOT_PROFILE / AWS_PROFILE"
    if isinstance(exc, NoRegionError):
        return "no AWS region set: use --region or OPSBOT_REGION"
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"AWS refused {exc.operation_name}: {err.get('Code')}: {err.get('Message')}"
    return f"AWS call failed: {exc}"
