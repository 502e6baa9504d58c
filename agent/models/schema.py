"""What the offline model knows about a bound tool's arguments, read from its JSON schema.

Each argument's kind comes from its declaration (``x-opsbot-kind``, see ``tools.kinds``); an
argument that declares none gets the plain kind of its JSON type (enum, number, bool, mapping,
text). Nothing is guessed from argument names or descriptions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.kinds import kind_in_schema


@dataclass(frozen=True)
class FieldSpec:
    """One argument of a tool, as the parser sees it."""

    name: str
    kind: str
    json_type: str | None = None
    enum: tuple[Any, ...] = ()
    required: bool = False
    default: Any = None
    description: str = ""
    fmt: str | None = None
    value_type: str | None = None  # type of a mapping's values or an array's items
    of: str | None = None  # NAME/ARN/ID: resource kind; INSTANCE_TYPE: service
    unit: str | None = None  # COUNT: what is counted
    role: str | None = None  # S3_URI: input, output, model, lifecycle
    new: bool = False  # NAME: a resource the call creates
    listed_by: str | None = None
    required_when: tuple[str, str] | None = None
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    instead_of: str | None = None  # DELTA/FACTOR/MODEL: the argument it stands in for ("add 2" for the count)
    minimum: float | None = None
    maximum: float | None = None

    @property
    def words(self) -> tuple[str, ...]:
        """The argument name as words, for ``key=value`` typos ("instance_cout")."""
        return tuple(self.name.split("_"))


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
        """Required arguments not in ``args``, including those required only when another has a value.
        An argument another one stands in for ("add 2 instances" for the count) is not missing when that
        one is given."""
        given = set(args) | {f.instead_of for f in self.fields if f.instead_of and f.name in args}
        out = [f.name for f in self.fields if f.required and f.name not in given]
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
            _field(name, prop, resolve(prop, defs), name in required)
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
            if branches:
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


def _plain_kind(json_type: str | None, enum: tuple[Any, ...]) -> str:
    """The kind of an argument that declares none: what its JSON type says, nothing more."""
    if enum:
        return "enum"
    return {"integer": "number", "number": "number", "boolean": "bool", "object": "mapping"}.get(
        json_type or "", "text"
    )


def _field(name: str, raw: dict[str, Any], schema: dict[str, Any], required: bool) -> FieldSpec:
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
        enum = enum or tuple(schema["items"].get("enum") or ())
    declared = kind_in_schema(raw) or kind_in_schema(schema) or {}
    when = declared.get("required_when")
    return FieldSpec(
        name=name,
        kind=str(declared.get("kind") or _plain_kind(json_type, enum)),
        json_type=json_type,
        enum=enum,
        required=required,
        default=schema.get("default"),
        description=str(schema.get("description") or ""),
        fmt=schema.get("format"),
        value_type=value_type,
        of=declared.get("of"),
        unit=declared.get("unit"),
        role=declared.get("role"),
        new=bool(declared.get("new")),
        listed_by=declared.get("listed_by"),
        required_when=(str(when[0]), str(when[1])) if when else None,
        synonyms={str(k): tuple(v) for k, v in (declared.get("synonyms") or {}).items()},
        instead_of=declared.get("instead_of"),
        minimum=schema.get("minimum", schema.get("exclusiveMinimum")),
        maximum=schema.get("maximum", schema.get("exclusiveMaximum")),
    )
