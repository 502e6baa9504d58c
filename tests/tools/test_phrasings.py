"""Declared phrasings are well formed: balanced groups, slots that are the tool's arguments, words in
each; and every tool the reads added says how people ask for it, with a label."""

from __future__ import annotations

import re

import pytest

from tools import registry

READS = ("list_training_jobs", "list_caches", "get_endpoint_metrics", "summarize_spend", "summarize_s3_metadata")
PAIRS = {"(": ")", "[": "]", "{": "}"}


def _balanced(text: str) -> bool:
    stack: list[str] = []
    for ch in text:
        if ch in PAIRS:
            stack.append(PAIRS[ch])
        elif ch in PAIRS.values() and (not stack or stack.pop() != ch):
            return False
    return not stack


@pytest.mark.parametrize("tool", [t for t in registry.tools() if t.phrasings], ids=lambda t: t.name)
def test_phrasings_are_well_formed(tool) -> None:
    fields = set(tool.args_model.model_fields)
    for phrasing in tool.phrasings:
        assert _balanced(phrasing), phrasing
        assert set(re.findall(r"\{(\w+)\}", phrasing)) <= fields, phrasing
        assert re.sub(r"\{\w+\}|[()\[\]|]", " ", phrasing).split(), phrasing


@pytest.mark.parametrize("name", READS)
def test_each_read_says_how_people_ask_for_it(name: str) -> None:
    tool = registry.get(name)
    assert len(tool.phrasings) >= 5 and tool.label
