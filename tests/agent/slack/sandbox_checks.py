"""What the sandbox says happened: clusters that exist, and every AWS write the guard let through."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tools import guard
from tools.config import Settings
from tools.runtime import make_context


def hyperpod_clusters(settings: Settings) -> list[str]:
    """Names of the HyperPod clusters in the sandbox account."""
    sm = make_context(settings).clients.client("sagemaker")
    return [c["ClusterName"] for c in sm.list_clusters(MaxResults=100)["ClusterSummaries"]]


@contextmanager
def aws_writes() -> Iterator[list[str]]:
    """Collects ``service:Operation`` of every mutating call the guard allowed while the block runs."""
    seen: list[str] = []

    def listen(service: str, operation: str, grant: Any, refusal: str | None) -> None:
        if refusal is None:
            seen.append(f"{service}:{operation}")

    guard.LISTENERS.append(listen)
    try:
        yield seen
    finally:
        guard.LISTENERS.remove(listen)
