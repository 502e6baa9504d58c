"""Relative changes of a count made absolute: sums, products, bounds, and never a silent rounding."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import Field, model_validator

from tools.base import ToolArgs
from tools.errors import ToolInputError
from tools.kinds import Count, Delta, Factor, Kind, kinds_of, relative_fields
from tools.relative import absolute_target, one_target


class Args(ToolArgs):
    """A toy count with both kinds of change."""

    count: Annotated[int | None, Count("node"), Field(default=None, description="n")] = None
    add_nodes: Annotated[int | None, Delta("node", instead_of="count"), Field(default=None, description="d")] = None
    factor: Annotated[float | None, Factor("node", instead_of="count"), Field(default=None, description="f")] = None

    @model_validator(mode="after")
    def _one(self) -> Args:
        one_target(self, "count")
        return self


def test_the_kinds_say_which_arguments_are_relative_and_what_they_stand_for() -> None:
    assert relative_fields(Args) == ["add_nodes", "factor"]
    kinds = kinds_of(Args)
    assert (kinds["add_nodes"].kind, kinds["factor"].kind) == (Kind.DELTA, Kind.FACTOR)
    assert Args.model_json_schema()["properties"]["add_nodes"]["x-opsbot-kind"] == {
        "kind": "delta",
        "unit": "node",
        "instead_of": "count",
    }


@pytest.mark.parametrize(
    ("given", "current", "target"),
    [
        ({"add_nodes": 2}, 2, 4),
        ({"add_nodes": -1}, 4, 3),
        ({"factor": 2}, 3, 6),
        ({"factor": 0.5}, 4, 2),
        ({"count": 7}, 1, 7),
    ],
)
def test_a_change_becomes_the_absolute_target(given: dict, current: int, target: int) -> None:
    resolved = absolute_target(Args(**given), "count", current, minimum=1, maximum=10, what="nodes")
    assert (resolved.count, resolved.add_nodes, resolved.factor) == (target, None, None)


@pytest.mark.parametrize(
    ("given", "current", "field", "says"),
    [
        ({"add_nodes": -4}, 4, "add_nodes", "nodes is 4 now, so that makes 0; allowed: 1 to 10"),
        ({"factor": 0.5}, 3, "factor", "3 x 0.5 = 1.5 is not a whole number"),
        ({"factor": 4}, 3, "factor", "that makes 12"),
    ],
)
def test_a_change_that_cannot_be_made_is_refused_naming_it(given: dict, current: int, field: str, says: str) -> None:
    with pytest.raises(ToolInputError) as err:
        absolute_target(Args(**given), "count", current, minimum=1, maximum=10, what="nodes")
    assert err.value.field == field and says in str(err.value)


def test_exactly_one_target_is_given() -> None:
    with pytest.raises(ToolInputError) as missing:
        Args()
    assert (missing.value.field, missing.value.value) == ("count", None)
    with pytest.raises(ToolInputError) as both:
        Args(count=2, add_nodes=1)
    assert both.value.field == "add_nodes"
