"""A policy finding: one rule applied to a request. Its own module so that the policy (agent core)
and the facade's answers both use it without importing each other."""

from __future__ import annotations

from pydantic import BaseModel


class PolicyFinding(BaseModel):
    """One policy rule applied to the request."""

    rule: str
    ok: bool
    message: str
