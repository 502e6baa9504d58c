"""The one facade every front end uses: ask, decide, and read the queue and the audit log.

The CLI, the REPL, Slack, the Lambda handler and the evals all go through ``Opsbot``; none of
them touches the graph, the stores or a tool module directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ApprovalStatus = Literal["none", "pending", "approved", "rejected", "expired", "refused", "executed", "failed"]


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
    """The answer to one request: DESIGN's JSON document plus what front ends need to render."""

    thread: str
    route: str | None = None
    tool_calls: list[ToolCallView] = Field(default_factory=list)
    approval: ApprovalView = Field(default_factory=ApprovalView)
    policy: list[PolicyFinding] = Field(default_factory=list)
    reply: str = ""
    clarify: bool = False
    plan: dict[str, Any] | None = Field(default=None, description="tools.base.Plan as data, for cards.")
    result: dict[str, Any] | None = Field(default=None, description="Typed result of a tool that ran.")
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """The document ``opsbot ask --json`` prints."""
        return self.model_dump(mode="json")
