"""Explicit values ("instance_count=4", "min_size_bytes=1GB", "context_length=4k") in the argument's type.

A value that does not fit its kind is passed on as typed, so the tool's own validation says what
is wrong with it (one line naming the field, the value and what is allowed).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from difflib import get_close_matches
from typing import Any

from agent.models.schema import FieldSpec, ToolSpec
from agent.models.units import as_int_if_whole, iso, parse_date, parse_duration, parse_size
from agent.models.values import instance_for_field, match_enum, parse_mapping


def match_field(key: str, tool: ToolSpec) -> FieldSpec | None:
    """The argument a key names: exact, with hyphens, or a close typo ("instance_cout")."""
    key = key.lstrip("-").lower().replace("-", "_")
    names = [f.name for f in tool.fields]
    if key in names:
        return tool.field(key)
    close = get_close_matches(key, names, n=1, cutoff=0.8)
    if close:
        return tool.field(close[0])
    # A short key is a word of one argument's name ("name=demo", "type=trn2.48xlarge", "min=1GB").
    having = [f for f in tool.fields if key in f.words]
    if len(having) > 1:
        having = [f for f in having if f.required]
    return having[0] if len(having) == 1 else None


def to_type(spec: FieldSpec, value: float) -> int | float:
    """A number as the schema's type: whole numbers as int, others kept (the tool rejects a fraction)."""
    return as_int_if_whole(value)


_SCALED = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.I)
_SCALE = {
    "tokens": {"k": 1024, "m": 1024 * 1024},
    "params_billion": {"b": 1, "bn": 1, "billion": 1, "t": 1000, "trillion": 1000, "m": 0.001, "million": 0.001},
}


def _number(spec: FieldSpec, text: str) -> int | float | None:
    m = _SCALED.match(text)
    if not m:
        return None
    value, suffix = float(m.group(1)), m.group(2).lower()
    if suffix:
        factor = _SCALE.get(spec.kind, {}).get(suffix)
        if factor is None:
            return None
        value *= factor
    return to_type(spec, value)


def coerce(spec: FieldSpec, value: Any, now: datetime) -> Any:
    """``value`` as ``spec`` wants it, or unchanged when it does not fit."""
    if not isinstance(value, str):
        if spec.kind in ("mapping", "tags") and isinstance(value, dict):
            return mapping_out(spec, value)
        return value
    text = value.strip()
    kind = spec.kind
    result: Any = None
    if kind == "instance_type":
        result = instance_for_field(text, spec)
    elif kind in ("hours", "minutes"):
        hours = parse_duration(text)
        if hours is not None:
            bare = re.fullmatch(r"\d+(?:\.\d+)?", text) is not None
            result = to_type(spec, hours if kind == "hours" or bare else hours * 60)
    elif kind == "bytes":
        result = parse_size(text)
    elif kind == "date":
        when = parse_date(text, now)
        result = iso(when, spec.fmt) if when else None
    elif kind == "enum":
        result = match_enum(text, spec)
    elif kind in ("mapping", "tags"):
        mapping = parse_mapping(text)
        result = mapping_out(spec, mapping) if mapping is not None else None
    elif spec.json_type == "array":
        result = _array(text)
    elif spec.json_type == "boolean" or kind == "bool":
        result = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False}.get(
            text.lower()
        )
    elif spec.json_type in ("integer", "number"):
        result = _number(spec, text)
    return text if result is None else result


def _array(text: str) -> Any:
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return None
    return [part.strip() for part in text.split(",") if part.strip()]


def mapping_out(spec: FieldSpec, mapping: dict[str, Any]) -> Any:
    """Tags or parameters in the shape the schema asks for: an object, or a list of "k=v"."""
    if spec.json_type == "array":
        if spec.value_type == "object":
            return [{"key": k, "value": v} for k, v in mapping.items()]
        return [f"{k}={v}" for k, v in mapping.items()]
    if spec.value_type in ("integer", "number"):
        out: dict[str, Any] = {}
        for k, v in mapping.items():
            try:
                out[k] = int(v) if spec.value_type == "integer" else float(v)
            except (TypeError, ValueError):
                out[k] = v
        return out
    if spec.value_type == "string":
        return {k: str(v) for k, v in mapping.items()}
    return dict(mapping)
