"""Approval records for tests that need one without filing a request."""

from __future__ import annotations

from typing import Any

from agent.stores.approvals import ApprovalRecord


def approval_record(**changes: Any) -> ApprovalRecord:
    """A pending high-risk write request of dave's, with valid made-up fields; ``changes`` override them."""
    fields: dict[str, Any] = {
        "id": "ap-1",
        "call_hash": "h",
        "tool": "t",
        "args": {},
        "account": "1",
        "region": "us-east-1",
        "requester": "dave",
        "thread": "th",
        "effect": "write",
        "risk": "high",
        "plan": {},
        "status": "pending",
        "created_at": "2026-01-01T00:00:00+00:00",
        "expires_at": "2026-01-01T00:15:00+00:00",
    }
    return ApprovalRecord(**(fields | changes))
