"""Relative changes of a count ("add 2 replicas", "remove a node", "double chat-prod") turned into the
absolute target a write plans, is approved for and runs: the current count read from AWS, then changed.

A tool with relative arguments declares them with the kinds ``Delta`` and ``Factor`` next to its
absolute count, and a ``resolve`` hook (``tools.base.Tool.resolve``) that calls ``absolute_target``.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from pydantic import BaseModel

from tools.errors import ToolInputError
from tools.kinds import relative_fields

M = TypeVar("M", bound=BaseModel)


def one_target(args: BaseModel, absolute: str) -> None:
    """Exactly one of ``absolute`` and the model's relative fields is given; none is a missing argument."""
    relative = relative_fields(type(args))
    given = [f for f in (absolute, *relative) if getattr(args, f) is not None]
    if not given:
        others = " or ".join(relative)
        raise ToolInputError(absolute, None, f"give {absolute} (the new total), or {others} (a change of it)")
    if len(given) > 1:
        raise ToolInputError(
            given[1], getattr(args, given[1]), f"give either {absolute} or one change ({', '.join(relative)}), not both"
        )


def absolute_target(
    args: M,
    absolute: str,
    current: int,
    *,
    minimum: int,
    maximum: int,
    what: str,
) -> M:
    """``args`` with ``absolute`` set from ``current`` and the relative field given, which is cleared.

    A factor that gives a fraction, or a target outside ``minimum``..``maximum``, is refused naming the
    relative field and the numbers: never rounded or clipped silently.
    """
    if getattr(args, absolute) is not None:
        return args
    field, target = _target(args, current, what)
    if not minimum <= target <= maximum:
        value = getattr(args, field)
        raise ToolInputError(
            field, value, f"{what} is {current} now, so that makes {target}; allowed: {minimum} to {maximum}"
        )
    update: dict[str, Any] = {f: None for f in relative_fields(type(args))}
    update[absolute] = target
    return type(args).model_validate({**args.model_dump(), **update})


def _target(args: BaseModel, current: int, what: str) -> tuple[str, int]:
    for field in relative_fields(type(args)):
        value = getattr(args, field)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            return field, current + value
        product = current * float(value)
        if not math.isclose(product, round(product), abs_tol=1e-9):
            raise ToolInputError(
                field, value, f"{what} is {current} now and {current} x {value:g} = {product:g} is not a whole number"
            )
        return field, round(product)
    raise AssertionError("absolute_target needs a relative argument")
