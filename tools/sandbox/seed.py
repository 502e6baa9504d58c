"""Seeds the demo account: each extension module contributes its domain's resources."""

from __future__ import annotations

import importlib
from typing import Any

from tools.sandbox.extensions import EXTENSION_MODULES


def seed_all(sandbox: Any) -> None:
    """Create the demo resources of every domain (``sandbox`` is the running Sandbox), in a fixed order."""
    for name in EXTENSION_MODULES:
        module = importlib.import_module(name)
        module.seed(sandbox)
