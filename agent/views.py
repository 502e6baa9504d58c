"""What front ends see of opsbot's work: the answer to a request and its parts, and errors as data.

A leaf of the agent package (pydantic and ``tools.errors`` only), so the graph, the policy and the
facade can all use these types without importing each other. ``agent.service`` re-exports them.

Errors have one shape everywhere (``opsbot ... --json``, ``AskResult.error``): a stable ``code``, a
one-line ``message`` and the ``field`` at fault when there is one. Each code has one exit code:

| code | exit | meaning |
| --- | --- | --- |
| ``bad_input`` | 2 | a value, an argument or an option is not valid |
| ``not_found`` | 2 | the named resource, approval or tool does not exist |
| ``needs_approval`` | 3 | a write or destructive tool was asked to run directly |
| ``blocked`` | 3 | the mutation guard refused an AWS call no approval covers |
| ``refused`` | 3 | the policy (or a decision rule) refused the request |
| ``aws_error`` | 1 | AWS refused or failed a call (credentials, throttling, a service error) |
| ``failed`` | 1 | an approved call ran and failed |
| ``tampered`` | 1 | the audit log's hash chain does not verify |
| ``runtime_error`` | 1 | anything else that went wrong inside opsbot |
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tools.errors import (
    ApprovalRequiredError,
    AwsCallError,
    MutationBlockedError,
    NotFoundError,
    OpsbotError,
    ToolInputError,
    UnknownToolError,
)

ErrorCode = Literal[
    "bad_input",
    "not_found",
    "needs_approval",
    "blocked",
    "refused",
    "aws_error",
    "failed",
    "tampered",
    "runtime_error",
]
EXIT_CODES: dict[str, int] = {
    "bad_input": 2,
    "not_found": 2,
    "needs_approval": 3,
    "blocked": 3,
    "refused": 3,
    "aws_error": 1,
    "failed": 1,
    "tampered": 1,
    "runtime_error": 1,
}
ApprovalStatus = Literal[
    "none",
    "preview",
    "pending",
    "approved",
    "executing",
    "executed",
    "failed",
    "rejected",
    "withdrawn",
    "superseded",
    "expired",
    "refused",
]


class ErrorView(BaseModel):
    """One error as data: what went wrong (``code``), in one line (``message``), and where (``field``)."""

    code: ErrorCode
    message: str
    field: str | None = None

    @property
    def exit_code(self) -> int:
        """The process exit code of this kind of error (see the module docstring)."""
        return EXIT_CODES[self.code]


def error_view(exc: BaseException) -> ErrorView:
    """Classify an exception raised while serving a request. Unknown exception types are runtime errors."""
    if isinstance(exc, NotFoundError):
        return ErrorView(code="not_found", message=str(exc), field=exc.field)
    if isinstance(exc, ToolInputError):
        return ErrorView(code="bad_input", message=str(exc), field=exc.field)
    if isinstance(exc, UnknownToolError):
        return ErrorView(code="not_found", message=str(exc), field="tool")
    if isinstance(exc, ApprovalRequiredError):
        return ErrorView(code="needs_approval", message=str(exc))
    if isinstance(exc, MutationBlockedError):
        return ErrorView(code="blocked", message=str(exc))
    if isinstance(exc, AwsCallError):
        return ErrorView(code="aws_error", message=str(exc))
    if isinstance(exc, OpsbotError):
        # Errors defined elsewhere (approval decisions, policy files, Slack setup) carry their exit code.
        by_exit: dict[int, ErrorCode] = {2: "bad_input", 3: "refused"}
        return ErrorView(code=by_exit.get(exc.exit_code, "runtime_error"), message=str(exc))
    from botocore.exceptions import BotoCoreError, ClientError

    from tools.errors import aws_error_message

    if isinstance(exc, ClientError) and exc.operation_name in ("Converse", "ConverseStream"):
        return ErrorView(code="aws_error", message=bedrock_error_message(exc))
    if isinstance(exc, BotoCoreError | ClientError):
        return ErrorView(code="aws_error", message=aws_error_message(exc))
    return ErrorView(code="runtime_error", message=f"{type(exc).__name__}: {exc}")


# What to do about the Bedrock errors people meet most (the model call, not a tool's AWS call).
BEDROCK_HINTS = {
    "ThrottlingException": "Bedrock kept throttling after opsbot's retries; try again shortly, or ask for a "
    "higher quota for this model",
    "AccessDeniedException": "this identity may not call the model: enable model access in the Bedrock console "
    "and allow bedrock:InvokeModel",
    "ResourceNotFoundException": "the model id is not available in this region (see docs/models.md)",
    "ValidationException": "Bedrock refused the request opsbot built; please report it with the thread id",
    "ModelNotReadyException": "the model is still loading; try again shortly",
    "ServiceUnavailableException": "Bedrock is unavailable right now; try again shortly",
}


def bedrock_error_message(exc: Any) -> str:
    """One line for an error of the Bedrock model call: that it was Bedrock, its code and message, what to do."""
    err = exc.response.get("Error", {})
    code = str(err.get("Code") or "error")
    message = str(err.get("Message") or "").strip()
    hint = BEDROCK_HINTS.get(code)
    return "; ".join(p for p in (f"Bedrock refused the model call: {code}", message, hint) if p)


class ToolCallView(BaseModel):
    """One tool call as the JSON document of ``opsbot ask`` shows it."""

    name: str
    args: dict[str, Any]
    effect: str
    risk: str
    cost_usd_per_hour: float | None = None


class ApprovalView(BaseModel):
    """Whether the request needs an approval, where it stands, and its id."""

    required: bool = False
    status: ApprovalStatus = "none"
    id: str | None = None
    approvals_needed: int = 0
    approved_by: list[str] = Field(default_factory=list)
    expires_at: str | None = None


class PolicyFinding(BaseModel):
    """One policy rule applied to the request."""

    rule: str
    ok: bool
    message: str


class AskResult(BaseModel):
    """The answer to one request: the JSON document of ``opsbot ask --json`` plus what front ends render."""

    thread: str
    route: str | None = None
    tool_calls: list[ToolCallView] = Field(default_factory=list)
    approval: ApprovalView = Field(default_factory=ApprovalView)
    policy: list[PolicyFinding] = Field(default_factory=list)
    reply: str = ""
    clarify: bool = False
    plan: dict[str, Any] | None = Field(default=None, description="tools.base.Plan as data, for cards.")
    result: dict[str, Any] | None = Field(default=None, description="Typed result of a tool that ran.")
    error: ErrorView | None = None
    audit_head: str | None = Field(
        default=None, description="The audit chain's head (SEQ:HASH) after a decision, for witnesses to keep."
    )

    @property
    def ok(self) -> bool:
        """True unless the request ended in an error or a refusal."""
        return self.error is None

    @property
    def exit_code(self) -> int:
        """0, or the exit code of the error (a request waiting for approval is 0)."""
        return 0 if self.error is None else self.error.exit_code

    def public(self) -> dict[str, Any]:
        """The document ``opsbot ask --json`` prints: ``ok`` and ``error`` first, then the answer."""
        body = self.model_dump(mode="json")
        return {"ok": self.ok, "error": body.pop("error"), **body}


class Recovery(BaseModel):
    """What the recovery sweep did with one approved call that nobody was running."""

    approval_id: str
    thread: str
    tool: str
    action: Literal["resumed", "interrupted_again", "gave_up", "expired", "skipped"] = Field(
        description="resumed: it ran to an outcome; interrupted_again: the resumed run stopped again (retried "
        "later); gave_up: marked failed after the last try; expired: approved but never started before its grant "
        "ended; skipped: someone else holds it, or it belongs to another account or region."
    )
    status: str = Field(description="The request's status afterwards.")
    attempt: int = Field(description="Runs resumed so far.")
    max_attempts: int
    message: str = Field(description="One line for people, plain text.")
    tell: dict[str, str | None] = Field(
        default_factory=dict, description="People to alert: identity -> Slack user id (None when unknown)."
    )
