"""What the offline parser needs to know about a bound tool, read from its JSON schema.

Each argument gets a *kind* (instance type, count, size in bytes, date, S3 URI, name, enum, ...)
from its name and JSON type; the kind picks the extractor. Argument names are the public
interface of the catalog, so reading meaning from them is stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    """One argument of a tool, as the parser sees it."""

    name: str
    kind: str
    json_type: str | None
    enum: tuple[Any, ...]
    required: bool
    default: Any
    description: str
    fmt: str | None = None
    value_type: str | None = None  # type of a mapping's values or an array's items
    required_when: tuple[str, str] | None = None  # ("orchestrator", "eks"), read from the description

    @property
    def words(self) -> tuple[str, ...]:
        """The field name as words ("min_size_bytes" -> min, size, bytes)."""
        return tuple(self.name.split("_"))

    @property
    def noun(self) -> str:
        """What a name or count field is about ("cluster_name" -> cluster, "replica_count" -> replica)."""
        parts = [p for p in self.words if p not in ("name", "id", "count", "uri", "s3", "arn")]
        return " ".join(parts) or self.name


@dataclass(frozen=True)
class ToolSpec:
    """A bound tool: name, description and arguments in schema order."""

    name: str
    description: str
    fields: tuple[FieldSpec, ...]

    @property
    def required(self) -> list[FieldSpec]:
        """Arguments the schema marks as required."""
        return [f for f in self.fields if f.required]

    def missing(self, args: dict[str, Any]) -> list[str]:
        """Required arguments not in ``args``, including those required only when another has a value."""
        out = [f.name for f in self.fields if f.required and f.name not in args]
        for f in self.fields:
            if f.required_when and f.name not in args and f.name not in out:
                other, value = f.required_when
                if str(args.get(other, "")).lower() == value.lower():
                    out.append(f.name)
        return out

    def field(self, name: str) -> FieldSpec | None:
        """The argument called ``name``, if the tool has one."""
        return next((f for f in self.fields if f.name == name), None)

    def of_kind(self, *kinds: str) -> list[FieldSpec]:
        """Arguments of these kinds, in schema order."""
        return [f for f in self.fields if f.kind in kinds]

    @classmethod
    def from_openai(cls, tool: dict[str, Any]) -> ToolSpec:
        """Read an OpenAI-format tool ({"type": "function", "function": {...}})."""
        fn = tool.get("function", tool)
        params = fn.get("parameters") or {}
        defs = params.get("$defs") or params.get("definitions") or {}
        required = set(params.get("required") or ())
        fields = tuple(
            _field(name, resolve(prop, defs), name in required)
            for name, prop in (params.get("properties") or {}).items()
        )
        return cls(fn.get("name", ""), fn.get("description", ""), fields)


def resolve(schema: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> dict[str, Any]:
    """The schema with $ref followed and ``X | None`` unwrapped; outer description and default kept."""
    if depth > 20:
        return schema
    if "$ref" in schema:
        target = defs.get(schema["$ref"].split("/")[-1], {})
        outer = {k: v for k, v in schema.items() if k != "$ref"}
        return resolve({**target, **outer}, defs, depth + 1)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            branches = [resolve(b, defs, depth + 1) for b in schema[key] if b.get("type") != "null"]
            if len(branches) >= 1:
                outer = {k: v for k, v in schema.items() if k != key}
                merged = {**branches[0], **outer}
                formats = sorted({str(b["format"]) for b in branches if b.get("format")})
                if len(formats) > 1:  # "date or date-time": iso() picks per value
                    merged["format"] = "|".join(formats)
                return merged
    if "allOf" in schema and len(schema["allOf"]) == 1:
        outer = {k: v for k, v in schema.items() if k != "allOf"}
        return {**resolve(schema["allOf"][0], defs, depth + 1), **outer}
    return schema


_REQUIRED_WHEN = re.compile(r"required (?:when|if) (\w+) is ([\w.-]+)", re.I)


def _field(name: str, schema: dict[str, Any], required: bool) -> FieldSpec:
    json_type = schema.get("type")
    if isinstance(json_type, list):
        json_type = next((t for t in json_type if t != "null"), None)
    enum = tuple(schema.get("enum") or ())
    if not enum and "const" in schema:
        enum = (schema["const"],)
    value_type = None
    if json_type == "object" and isinstance(schema.get("additionalProperties"), dict):
        value_type = schema["additionalProperties"].get("type")
    if json_type == "array" and isinstance(schema.get("items"), dict):
        value_type = schema["items"].get("type")
    condition = _REQUIRED_WHEN.search(str(schema.get("description") or ""))
    return FieldSpec(
        name=name,
        kind=kind_of(name, json_type, enum, schema.get("format")),
        json_type=json_type,
        enum=enum,
        required=required,
        default=schema.get("default"),
        description=str(schema.get("description") or ""),
        fmt=schema.get("format"),
        value_type=value_type,
        required_when=(condition.group(1), condition.group(2).rstrip(".")) if condition else None,
    )


def kind_of(name: str, json_type: str | None, enum: tuple[Any, ...], fmt: str | None) -> str:
    """The extractor an argument needs, from its name first and its type second."""
    n = name.lower()
    if "instance_type" in n or n == "node_type":
        return "instance_type"
    if n.endswith("s3_uri") or n == "s3_uri":
        return "s3_uri"
    if n.endswith("image_uri"):
        return "image"
    if n.endswith("_arn") or n == "arn":
        return "arn"
    if enum:
        return "enum"
    if n.endswith("_bytes"):
        return "bytes"
    if n.endswith("_hours") or n == "hours":
        return "hours"
    if fmt in ("date-time", "date") or n.startswith("modified_") or n.endswith(("_after", "_before", "_date")):
        return "date"
    if "tag" in n and json_type in ("object", "array"):
        return "tags"
    if json_type == "object":
        return "mapping"
    if json_type == "array":
        return "array"
    if json_type == "boolean":
        return "bool"
    if json_type in ("integer", "number"):
        for key, kind in (("count", "count"), ("limit", "limit"), ("context", "context"), ("concurren", "concurrency")):
            if key in n:
                return kind
        if "param" in n or "billion" in n:
            return "params_billion"
        return "number"
    if n in ("dtype", "storage_class", "workload", "orchestrator"):
        return "enum"
    if n == "prefix":
        return "prefix"
    if n == "content_type":
        return "content_type"
    if n == "bucket" or n.endswith(("_name", "_id")):
        return "name"
    return "string"
