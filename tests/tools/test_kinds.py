"""Argument kinds: declared once with Annotated, visible in the JSON schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from tools.kinds import SCHEMA_KEY, ArgKind, Count, Kind, Name, kind_in_schema, kinds_of


class _Args(BaseModel):
    endpoint_name: Annotated[str, Name("endpoint"), Field(description="The endpoint.")]
    replicas: Annotated[int | None, Count("replica"), Field(default=None, ge=0)]
    note: str = ""


def test_kinds_are_read_from_the_annotations():
    # GIVEN an argument model with two declared kinds and one plain field
    # WHEN its kinds are read
    kinds = kinds_of(_Args)
    # THEN the declared fields have their kinds and the plain one has none
    assert kinds == {"endpoint_name": Name("endpoint"), "replicas": Count("replica")}
    assert kinds["endpoint_name"].kind is Kind.NAME and kinds["endpoint_name"].of == "endpoint"


def test_kinds_travel_in_the_json_schema_even_when_optional():
    # GIVEN the JSON schema a model sees
    props = _Args.model_json_schema()["properties"]
    # THEN each declared kind is there under x-opsbot-kind, and the plain field has none
    assert props["endpoint_name"][SCHEMA_KEY] == {"kind": "name", "of": "endpoint"}
    assert kind_in_schema(props["replicas"]) == {"kind": "count", "unit": "replica"}
    assert kind_in_schema(props["note"]) is None


def test_enum_synonyms_and_conditions_serialise():
    kind = ArgKind(Kind.ENUM, synonyms={"bf16": ("bfloat16",)}, required_when=("orchestrator", "eks"))
    expected = {"kind": "enum", "required_when": ["orchestrator", "eks"], "synonyms": {"bf16": ["bfloat16"]}}
    assert kind.as_json() == expected


def test_a_tools_targets_are_its_named_resources_and_a_new_name_is_any_next_one() -> None:
    from tools import registry

    # GIVEN a scale (an existing endpoint) and a create (a new cluster's name)
    scale = registry.get("scale_endpoint")
    create = registry.get("create_hyperpod_cluster")
    # THEN the scale targets that endpoint, and two creates target the same "next" cluster
    assert scale.targets({"endpoint_name": "chat-prod", "instance_count": 2}) == {("endpoint", "chat-prod")}
    assert create.targets({"cluster_name": "a"}) == create.targets({"cluster_name": "b"}) != frozenset()
    # AND a read with no resource names has none
    assert registry.get("list_endpoints").targets({}) == frozenset()
