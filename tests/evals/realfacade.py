"""The real ``Opsbot`` facade (graph, policy, approvals, sandbox) driven by a scripted model, for
end-to-end runner tests that do not depend on the offline parser."""

from __future__ import annotations

import re
from typing import Any

from agent.service import Opsbot
from tests.agent.fakes import ScriptedModel


def _decide(text: str) -> Any:
    if m := re.search(r"scale endpoint ([\w-]+) to (\d+)", text):
        return "scale_endpoint", {"endpoint_name": m.group(1), "instance_count": int(m.group(2))}
    if m := re.search(r"delete endpoint ([\w-]+)", text):
        return "delete_endpoint", {"endpoint_name": m.group(1)}
    if m := re.search(r"describe endpoint ([\w-]+)", text):
        return "describe_endpoint", {"endpoint_name": m.group(1)}
    return "I did not understand."


def scripted_opsbot(settings: Any) -> Opsbot:
    """Opsbot on the case's settings, every request routed to the inference specialist."""
    return Opsbot(settings, model=ScriptedModel("inference", _decide))
