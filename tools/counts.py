"""Count arguments that people may give as a change ("add 2 instances", "remove a replica", "double it").

The tools that set how many of something there are (scale_endpoint, scale_hyperpod_cluster, and
tune_cache's replicas) declare an absolute count and the relative changes that may stand in for it.
Each tool still declares every field itself, with its kind (``Count``, ``Delta``, ``Factor``) and
its own description, so its argument model reads as its own; the bounds and defaults those fields
share, and the check that exactly one of them is given, live here. Turning a change into the absolute
target is ``tools.relative.absolute_target``, in the tool's ``resolve`` hook.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field, model_validator

from tools.base import ToolArgs
from tools.errors import ToolInputError
from tools.kinds import stays_required
from tools.relative import one_target

# The largest factor a relative count accepts: "multiply by 100" is already far past any sane change.
MAX_FACTOR = 100


def absolute_count(maximum: int, description: str) -> Any:
    """The field of an absolute count that a change may stand in for: left out (``None``) or 1 to ``maximum``."""
    return Field(default=None, ge=1, le=maximum, description=description)


def count_change(maximum: int, description: str) -> Any:
    """The field of a signed change of a count (kind ``Delta``): left out, or ``-maximum`` to ``maximum``."""
    return Field(default=None, ge=-maximum, le=maximum, description=description)


def count_factor(description: str) -> Any:
    """The field of a multiplier of a count (kind ``Factor``): left out, or above 0 and at most ``MAX_FACTOR``."""
    return Field(default=None, gt=0, le=MAX_FACTOR, description=description)


class InstanceCountArgs(ToolArgs):
    """Base of argument models whose ``instance_count`` may be given as a change instead (the fields of
    kind ``Delta`` or ``Factor`` that the model declares): exactly one of them is given, and ``target``
    is the absolute count once the tool's ``resolve`` has set it. The JSON schema keeps ``instance_count``
    required, for readers that know nothing of changes."""

    model_config = ConfigDict(json_schema_extra=stays_required("instance_count"))

    @model_validator(mode="after")
    def _one_target(self) -> InstanceCountArgs:
        one_target(self, "instance_count")
        return self

    @property
    def target(self) -> int:
        """The absolute count (set once resolved)."""
        count: int | None = getattr(self, "instance_count", None)
        if count is None:
            raise ToolInputError("instance_count", None, "resolve the relative change first")
        return count
