"""The offline AWS sandbox: moto in process, extended where moto lacks an API, seeded with a demo
account, its state kept under ``OPSBOT_HOME/sandbox`` so every opsbot process sees the same."""

from tools.sandbox.core import Sandbox, get_sandbox

__all__ = ["Sandbox", "get_sandbox"]
