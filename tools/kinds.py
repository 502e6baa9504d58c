"""What each tool argument *is*, stated once with ``Annotated`` types.

An argument model says ``endpoint_name: Annotated[str, ArgKind(Kind.NAME, of="endpoint"), Field(...)]``
or uses the aliases below (``Name("endpoint")``, ``Count("instance")``). The kind travels in the
argument's JSON schema as ``x-opsbot-kind`` (see ``ArgKind.__get_pydantic_json_schema__``), so
anything that reads a bound tool's schema (the offline model, the Bedrock prompts, the eval seeds)
knows what an argument is without guessing from its name or description.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

SCHEMA_KEY = "x-opsbot-kind"


class Kind(StrEnum):
    """The closed set of argument kinds a reader of tool schemas must understand."""

    INSTANCE_TYPE = "instance_type"  # ml.trn2.48xlarge, cache.r7g.large; ``of`` names the service
    COUNT = "count"  # a whole number of things; ``unit`` says of what (instance, replica, node)
    DELTA = "delta"  # a signed change of a count: "add 2" is +2, "remove a node" is -1; ``unit`` says of what
    FACTOR = "factor"  # a multiplier of a count: "double" is 2, "halve" is 0.5; ``unit`` says of what
    NUMBER = "number"  # any other number
    BYTES = "bytes"  # a size: "1 GB", "500 MiB"
    HOURS = "hours"  # a duration in hours: "2 days" is 48
    MINUTES = "minutes"  # a duration in minutes: "last hour" is 60
    DATE = "date"  # a day or a moment: "yesterday", "2026-01-01", "last week"
    S3_URI = "s3_uri"  # s3://bucket/prefix; ``role`` says which (input, output, model, lifecycle)
    IMAGE_URI = "image_uri"  # an ECR image
    ARN = "arn"  # an ARN; ``of`` names what it points at
    NAME = "name"  # a resource name; ``of`` its resource kind, ``new`` for a resource to create
    ID = "id"  # an opaque id that another tool lists (``listed_by``)
    ENUM = "enum"  # one of the schema's enum values; ``synonyms`` maps value -> how people say it
    TAGS = "tags"  # key=value pairs
    MAPPING = "mapping"  # other key=value settings (e.g. cache parameters)
    PREFIX = "prefix"  # a key prefix inside a bucket; ``role`` "contains" for a part of the key anywhere
    CONTENT_TYPE = "content_type"  # a MIME type, or a file kind people name (parquet, jsonl)
    BOOL = "bool"
    LIMIT = "limit"  # how many rows: "top 5", "first 10"
    PARAMS_BILLION = "params_billion"  # model size: "70B", "8 billion"
    TOKENS = "tokens"  # a token count: "8k context" is 8192
    MODEL = "model"  # a model of the model catalog (llama-3.1-70b, mixtral-8x7b)
    TEXT = "text"  # free text
    LIST = "list"  # a list of structured items (instance groups); their fields declare their own kinds


@dataclass(frozen=True)
class ArgKind:
    """Metadata for one argument. Put it in the argument's ``Annotated[...]``."""

    kind: Kind
    of: str | None = None  # NAME/ARN/ID: resource kind ("endpoint"); INSTANCE_TYPE: service ("training")
    unit: str | None = None  # COUNT: what is counted ("instance", "replica", "node")
    role: str | None = None  # S3_URI: input, output, model, lifecycle; PREFIX: "contains" (anywhere in the key)
    new: bool = False  # NAME: the name of a resource the call creates
    listed_by: str | None = None  # ID/NAME: the read tool that lists valid values
    required_when: tuple[str, str] | None = None  # required when another argument has this value
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ENUM: value -> phrases
    instead_of: str | None = None  # DELTA/FACTOR: the absolute argument it stands in for (then not needed)

    def as_json(self) -> dict[str, Any]:
        """The kind as JSON, without empty attributes."""
        out: dict[str, Any] = {"kind": str(self.kind)}
        for key in ("of", "unit", "role", "listed_by", "instead_of"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.new:
            out["new"] = True
        if self.required_when:
            out["required_when"] = list(self.required_when)
        if self.synonyms:
            out["synonyms"] = {k: list(v) for k, v in self.synonyms.items()}
        return out

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        target[SCHEMA_KEY] = self.as_json()
        return schema

    def __hash__(self) -> int:
        return hash(
            (self.kind, self.of, self.unit, self.role, self.new, self.listed_by, self.required_when, self.instead_of)
        )


def Name(of: str, *, new: bool = False, listed_by: str | None = None) -> ArgKind:
    """The name of a resource of kind ``of``; ``new`` for one the call creates."""
    return ArgKind(Kind.NAME, of=of, new=new, listed_by=listed_by)


def Count(unit: str = "instance") -> ArgKind:
    """A count of ``unit`` (instance, replica, node)."""
    return ArgKind(Kind.COUNT, unit=unit)


def Delta(unit: str = "instance", instead_of: str | None = None) -> ArgKind:
    """A signed change of a count of ``unit`` ("add 2 replicas" is +2), resolved to an absolute target;
    ``instead_of`` names the absolute argument it stands in for."""
    return ArgKind(Kind.DELTA, unit=unit, instead_of=instead_of)


def Factor(unit: str = "instance", instead_of: str | None = None) -> ArgKind:
    """A multiplier of a count of ``unit`` ("double" is 2), resolved to an absolute target; ``instead_of``
    names the absolute argument it stands in for."""
    return ArgKind(Kind.FACTOR, unit=unit, instead_of=instead_of)


def stays_required(absolute: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` for an argument model where another argument may stand in for ``absolute``
    (its kind says ``instead_of``): a relative change for a count, a catalog model for its size. The
    schema keeps ``absolute`` required and of its plain type, as readers that do not know ``instead_of``
    expect (they ask for it when it is missing); a reader that knows it lets the other argument stand in.
    The argument model itself accepts either."""

    def extra(schema: dict[str, Any]) -> None:
        prop = schema.get("properties", {}).get(absolute)
        if prop is None:
            return
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if branches:
            prop.update({k: v for k, v in branches[0].items() if k not in prop})
        prop.pop("default", None)
        required = schema.setdefault("required", [])
        if absolute not in required:
            required.append(absolute)

    return extra


RELATIVE_KINDS = frozenset({Kind.DELTA, Kind.FACTOR})


def relative_fields(model: type[BaseModel]) -> list[str]:
    """The fields of ``model`` that state a change relative to the current state (DELTA, FACTOR)."""
    return [name for name, kind in kinds_of(model).items() if kind.kind in RELATIVE_KINDS]


def InstanceType(service: str | None = None) -> ArgKind:
    """An instance type for ``service`` (training, hyperpod, inference, cache)."""
    return ArgKind(Kind.INSTANCE_TYPE, of=service)


def kinds_of(model: type[BaseModel]) -> dict[str, ArgKind]:
    """Each field of ``model`` that declares a kind, with that kind."""
    out: dict[str, ArgKind] = {}
    for name, info in model.model_fields.items():
        found = next((m for m in info.metadata if isinstance(m, ArgKind)), None)
        if found is not None:
            out[name] = found
    return out


def kind_in_schema(prop: dict[str, Any]) -> dict[str, Any] | None:
    """The ``x-opsbot-kind`` of a JSON schema property (after ``anyOf`` with null), if any."""
    if SCHEMA_KEY in prop:
        return prop[SCHEMA_KEY]
    for key in ("anyOf", "oneOf", "allOf"):
        for branch in prop.get(key, ()):
            if isinstance(branch, dict) and SCHEMA_KEY in branch:
                return branch[SCHEMA_KEY]
    return None
