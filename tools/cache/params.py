"""Tunable Valkey / Redis OSS parameters (``parameters.yaml``, package data) and their checks.

tune_cache only changes parameters on this allowlist, with values checked against their type, so
a typo or an unsafe setting is refused before any AWS call with the allowed names or values.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field

from tools.errors import ToolInputError

# ElastiCache accepts at most 20 parameters per ModifyCacheParameterGroup call.
MAX_PARAMETERS_PER_CALL = 20
DEDICATED_GROUP_PREFIX = "opsbot-"
TRUE_WORDS = frozenset({"yes", "true", "on", "1"})
FALSE_WORDS = frozenset({"no", "false", "off", "0"})


class TunableParameter(BaseModel):
    """One allowlisted parameter: its type, what it accepts and the engine default."""

    name: str
    type: Literal["enum", "boolean", "integer"]
    values: list[str] = Field(default_factory=list)
    min: int | None = None
    max: int | None = None
    also: list[int] = Field(default_factory=list, description="Integers allowed outside min..max.")
    default: str
    description: str

    def allowed(self) -> str:
        """What the parameter accepts, for error messages."""
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        if self.type == "boolean":
            return "yes or no"
        extra = "".join(f"{v} or " for v in self.also)
        return f"an integer {extra}{self.min}..{self.max}"

    def normalise(self, value: Any) -> str | None:
        """The value as ElastiCache wants it (a string), or None if it is not allowed."""
        if self.type == "boolean":
            word = str(value).strip().lower() if not isinstance(value, bool) else ("yes" if value else "no")
            if word in TRUE_WORDS:
                return "yes"
            return "no" if word in FALSE_WORDS else None
        if self.type == "enum":
            word = str(value).strip().lower() if isinstance(value, str) else None
            return word if word in self.values else None
        if isinstance(value, bool) or not isinstance(value, int | str):
            return None
        text = str(value).strip()
        if not re.fullmatch(r"-?\d+", text):
            return None
        number = int(text)
        assert self.min is not None and self.max is not None
        return str(number) if self.min <= number <= self.max or number in self.also else None


@cache
def tunable_parameters() -> dict[str, TunableParameter]:
    """The allowlist, read once from package data."""
    text = resources.files("tools.cache").joinpath("parameters.yaml").read_text()
    raw = yaml.safe_load(text)["parameters"]
    return {
        name: TunableParameter(name=name, **{**spec, "default": str(spec["default"])}) for name, spec in raw.items()
    }


def check_parameters(raw: dict[str, Any], field: str = "parameters") -> dict[str, str]:
    """Normalised ``name -> value``; the first unknown name or bad value raises ToolInputError."""
    known = tunable_parameters()
    if not raw:
        raise ToolInputError(field, raw, "give at least one name -> value; tunable: " + ", ".join(known))
    if len(raw) > MAX_PARAMETERS_PER_CALL:
        raise ToolInputError(field, f"{len(raw)} parameters", f"at most {MAX_PARAMETERS_PER_CALL} per change")
    out: dict[str, str] = {}
    for name, value in raw.items():
        key = str(name).strip().lower()
        spec = known.get(key)
        if spec is None:
            raise ToolInputError(
                f"{field}.{name}", value, "not a tunable parameter; tunable: " + ", ".join(sorted(known))
            )
        normal = spec.normalise(value)
        if normal is None:
            raise ToolInputError(f"{field}.{name}", value, f"{key} accepts {spec.allowed()}")
        out[key] = normal
    return out


def parameter_group_family(engine: str, version: str) -> str:
    """The parameter group family of an engine version: valkey 8.0 -> valkey8, redis 6.2 -> redis6.x."""
    major = version.split(".")[0]
    if engine == "valkey":
        return f"valkey{major}"
    if major in ("6",):
        return "redis6.x"
    if major in ("2", "3", "4", "5"):
        return "redis" + ".".join(version.split(".")[:2])
    return f"redis{major}"


def dedicated_group_name(cache_id: str) -> str:
    """The parameter group opsbot owns for one replication group (deterministic, so reruns find it)."""
    return f"{DEDICATED_GROUP_PREFIX}{cache_id}"
