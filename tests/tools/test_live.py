"""Read tools against real AWS. Marked ``live``: skipped unless OPSBOT_LIVE_TESTS=1 (and credentials)."""

from __future__ import annotations

import pytest

from tools.config import get_settings
from tools.runtime import make_context, run_read

pytestmark = pytest.mark.live


@pytest.mark.parametrize("tool", ["list_endpoints", "list_hyperpod_clusters"])
def test_read_tools_answer_on_a_real_account(tool: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The autouse fixture sets fake keys; a live run uses the caller's real credential chain.
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    outcome = run_read(tool, {}, make_context(get_settings(live=True)))
    assert outcome.ok and outcome.text
