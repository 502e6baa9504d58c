"""What a run of the graph gets besides its state: settings, who asks, the model and the services.

Passed as LangGraph's runtime context, so nodes and tools read settings from the run, never
from globals, and a resumed run in another process gets a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.approvals import ApprovalService
from agent.policy import Policy
from agent.stores.audit import AuditLog
from tools.config import Settings


@dataclass
class OpsbotContext:
    """Runtime context of one graph invocation."""

    settings: Settings
    user: str
    thread: str
    model: Any
    approvals: ApprovalService
    audit: AuditLog
    policy: Policy
    channel: str = "cli"
    dry_run: bool = False  # show every write's plan and the approval it would need; file nothing
    progress: Callable[[str], None] = field(default=lambda _msg: None)
    max_steps: int = 6
    # The facade's AWS clients, reused by every node and turn (making a boto3 client costs ~7 ms);
    # None: each step makes its own (tests that build a context by hand).
    clients: Any = None
