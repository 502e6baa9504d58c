"""The phrasing syntax: words, {slots}, (a|b) choices, [optional] parts, and what is an error."""

from __future__ import annotations

import pytest

from agent.models.phrasing import Group, PhrasingError, Slot, Word, check, compile_phrasing, parse, slots_of


def test_a_phrasing_parses_into_words_slots_and_groups() -> None:
    # GIVEN the syntax of the declarations WHEN parsed THEN each part is what it says
    nodes = parse("(scale|resize up) [endpoint] {endpoint_name} to {instance_count}")
    assert isinstance(nodes[0], Group) and not nodes[0].optional
    assert nodes[0].alternatives == ((Word("scale"),), (Word("resize"), Word("up")))
    assert isinstance(nodes[1], Group) and nodes[1].optional
    assert nodes[2] == Slot("endpoint_name") and nodes[3] == Word("to")
    assert slots_of(nodes) == ["endpoint_name", "instance_count"]


@pytest.mark.parametrize("bad", ["(scale|resize", "scale]", "{not a name}", "", "[a|b)", "()"])
def test_a_broken_phrasing_is_an_error_that_quotes_it(bad: str) -> None:
    with pytest.raises(PhrasingError, match="phrasing"):
        parse(bad)


def test_check_names_slots_that_are_no_argument_and_phrasings_without_words() -> None:
    assert check("scale {endpoint_name} to {count}", {"endpoint_name", "instance_count"}) == [
        "phrasing 'scale {endpoint_name} to {count}': slot {count} is not an argument"
    ]
    assert check("{endpoint_name}", {"endpoint_name"}) == ["phrasing '{endpoint_name}' has no words, only slots"]
    assert check("[please] describe {endpoint_name}", {"endpoint_name"}) == []


def test_compiled_states_only_grow_along_edges() -> None:
    # GIVEN nested groups WHEN compiled THEN every edge leads to a later state (the aligner relies on it)
    compiled = compile_phrasing("a [(b|c d) [e]] {x} (f|[g] h)")
    assert all(edge.target > s for s, edges in enumerate(compiled.edges) for edge in edges)
    assert compiled.slots == ("x",) and set(compiled.words) == {"a", "b", "c", "d", "e", "f", "g", "h"}
