"""The instance catalog (``tools/data/instances.yaml``): prices, accelerators, where a type may go."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, Field

from tools.errors import ToolInputError


class Accelerator(BaseModel):
    kind: str
    count: int
    memory_gib: float


class InstanceType(BaseModel):
    """One catalog row."""

    name: str
    uses: list[str]
    price_usd_per_hour: float = Field(description="On-demand list price, us-east-1.")
    accelerator: Accelerator | None = None
    vcpus: int
    memory_gib: float
    network_gbps: float


class Catalog(BaseModel):
    price_region: str
    price_date: str
    instances: list[InstanceType]

    def get(self, name: str) -> InstanceType | None:
        return next((i for i in self.instances if i.name == name), None)

    def for_use(self, use: str) -> list[InstanceType]:
        return [i for i in self.instances if use in i.uses]


@cache
def catalog() -> Catalog:
    """The catalog, read once from package data."""
    text = resources.files("tools").joinpath("data/instances.yaml").read_text()
    return Catalog.model_validate(yaml.safe_load(text))


USE_WORDS = {
    "training": "a training job",
    "hyperpod": "a HyperPod instance group",
    "inference": "an inference endpoint",
    "cache": "an ElastiCache node",
    "ec2": "EC2",
}


def normalise_instance_type(value: str, use: str) -> str:
    """Lower-case, and add the ``ml.`` or ``cache.`` prefix that people often leave out."""
    name = value.strip().lower()
    if use in ("training", "hyperpod", "inference") and not name.startswith("ml."):
        name = "ml." + name
    if use == "cache" and not name.startswith("cache."):
        name = "cache." + name
    return name


def check_instance_type(value: str, use: str, field: str = "instance_type") -> InstanceType:
    """The catalog row for ``value`` if it may be used for ``use``, else a ToolInputError."""
    name = normalise_instance_type(value, use)
    allowed = [i.name for i in catalog().for_use(use)]
    row = catalog().get(name)
    if row is None or use not in row.uses:
        why = "is not in the catalog" if row is None else f"cannot be used for {USE_WORDS[use]}"
        raise ToolInputError(field, value, f"{name} {why}; allowed: {', '.join(allowed)}")
    return row


def hourly_price(name: str) -> float:
    """Price per hour of one instance of ``name`` (must be in the catalog)."""
    row = catalog().get(name)
    if row is None:
        raise ToolInputError("instance_type", name, "not in the instance catalog")
    return row.price_usd_per_hour
