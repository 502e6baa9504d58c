"""The instance catalog (``instances.yaml``, package data): prices, accelerators, where a type may go.

The one place prices are looked up (``price``) and written for people (``money``). The model catalog
(``models.yaml``) is read by ``tools.catalog.models``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import AfterValidator, BaseModel, Field

from tools.errors import ToolInputError
from tools.validation import checked


class Accelerator(BaseModel):
    """The accelerators of one instance."""

    kind: str
    count: int
    memory_gib: float
    neuron_cores: int | None = Field(default=None, description="NeuronCores (Trainium, Inferentia).")


class InstanceType(BaseModel):
    """One catalog row."""

    name: str
    uses: list[str]
    price_usd_per_hour: float = Field(
        description="On-demand list price, us-east-1 (or the estimate its note explains)."
    )
    price_date: str | None = Field(default=None, description="When the price was recorded; default the catalog's.")
    price_note: str | None = Field(default=None, description="Why the price is an estimate, when AWS publishes none.")
    accelerator: Accelerator | None = None
    vcpus: int
    memory_gib: float
    network_gbps: float
    efa: bool = Field(default=False, description="Elastic Fabric Adapter networking.")


class UltraServer(BaseModel):
    """An UltraServer type: instances in one NVLink domain, sold whole by training plans."""

    name: str
    instance_type: str
    instance_count: int


class ServerlessCachePrice(BaseModel):
    """What ElastiCache Serverless bills for one engine."""

    usd_per_gb_hour: float = Field(description="Data stored, per GB-hour.")
    usd_per_million_ecpu: float = Field(description="ElastiCache Processing Units, per million.")
    minimum_gb: float = Field(description="Data stored is billed at least at this.")

    def per_hour(self, stored_gb: float, ecpu_per_second: float) -> float:
        """Hourly cost of ``stored_gb`` held and ``ecpu_per_second`` used."""
        return max(stored_gb, self.minimum_gb) * self.usd_per_gb_hour + (
            ecpu_per_second * 3600 / 1e6 * self.usd_per_million_ecpu
        )


class Catalog(BaseModel):
    """The instance catalog."""

    price_region: str
    price_date: str
    instances: list[InstanceType]
    ultraservers: list[UltraServer] = Field(default_factory=list)
    serverless_caches: dict[str, ServerlessCachePrice] = Field(default_factory=dict)

    def get(self, name: str) -> InstanceType | None:
        """The row of ``name``, or None."""
        return next((i for i in self.instances if i.name == name), None)

    def for_use(self, use: str) -> list[InstanceType]:
        """The rows that may be used for ``use``."""
        return [i for i in self.instances if use in i.uses]

    def ultraserver(self, name: str) -> UltraServer | None:
        """The UltraServer type ``name``, or None."""
        return next((u for u in self.ultraservers if u.name == name), None)

    def ultraservers_of(self, instance_type: str) -> list[UltraServer]:
        """The UltraServer types made of ``instance_type``, smallest first."""
        found = [u for u in self.ultraservers if u.instance_type == instance_type]
        return sorted(found, key=lambda u: u.instance_count)


@cache
def catalog() -> Catalog:
    """The catalog, read once from package data."""
    text = resources.files("tools.catalog").joinpath("instances.yaml").read_text()
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


def instance_type_for(use: str) -> AfterValidator:
    """A validator for ``Annotated``: the catalog name of an instance type that may be used for ``use``."""
    return checked(lambda field, value: check_instance_type(value, use, field=field).name)


def price(instance_type: str | None) -> float | None:
    """On-demand price per hour of one instance of ``instance_type``; None when the catalog does not know it."""
    row = catalog().get(instance_type) if instance_type else None
    return row.price_usd_per_hour if row else None


def price_source() -> str:
    """Where prices come from, for cost notes."""
    return f"on-demand list price, {catalog().price_region}, {catalog().price_date}"


def price_note(instance_type: str | None) -> str | None:
    """Why the price of ``instance_type`` is an estimate (AWS publishes no on-demand price), or None."""
    row = catalog().get(instance_type) if instance_type else None
    return row.price_note if row else None


def price_notes(instance_types: list[str]) -> list[str]:
    """The price notes of these types, each once, in order."""
    notes = [price_note(t) for t in dict.fromkeys(instance_types)]
    return [n for n in notes if n]


UNKNOWN = "n/a"


def money(value: float | None, *, per_hour: bool = False, signed: bool = False, digits: int = 2) -> str:
    """Dollars for people: ``$1,234.56``; ``$223.88/h`` with ``per_hour``; ``+$1.50/h`` with ``signed``.

    An unknown amount (None) is ``n/a``. ``digits`` is 3 for cache nodes, whose prices have a
    tenth of a cent.
    """
    if value is None:
        return UNKNOWN
    sign = ("-" if value < 0 else "+") if signed else ("-" if value < 0 else "")
    return f"{sign}${abs(value):,.{digits}f}" + ("/h" if per_hour else "")


def cost_change(before: float | None, after: float | None, *, digits: int = 2, delta: bool = True) -> str:
    """An hourly cost before and after a change: ``$55.97/h -> $111.94/h (+$55.97/h)``; the change is
    left out when either side is unknown or ``delta`` is False."""
    text = f"{money(before, per_hour=True, digits=digits)} -> {money(after, per_hour=True, digits=digits)}"
    if not delta or before is None or after is None:
        return text
    return f"{text} ({money(after - before, per_hour=True, signed=True, digits=digits)})"
