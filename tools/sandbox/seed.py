"""Seeds the demo account: each extension module contributes its domain's resources."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tools.sandbox.core import Sandbox


def seed_all(sandbox: Sandbox) -> None:
    """Create the demo resources of every domain, in a fixed order (deterministic)."""
    from tools.sandbox.core import EXTENSION_MODULES

    for name in EXTENSION_MODULES:
        module = importlib.import_module(name)
        module.seed(sandbox)
