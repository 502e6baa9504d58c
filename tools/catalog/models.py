"""The model catalog (``models.yaml``, package data): the shape of well-known LLMs, for sizing.

Each entry is read from the model's published config: total and active parameters, layers,
attention heads, KV heads, head dim, and for DeepSeek's multi-head latent attention the size of the
latent that its KV cache holds instead of per-head keys and values.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from tools.errors import ToolInputError
from tools.validation import checked


class ModelSpec(BaseModel):
    """One catalog model."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    family: str
    total_params_billion: float = Field(description="Every weight: what accelerator memory must hold.")
    active_params_billion: float = Field(description="Weights used per token (fewer for mixture-of-experts).")
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    hidden_size: int
    attention: Literal["gqa", "mla"]
    kv_lora_rank: int | None = Field(default=None, description="MLA: the compressed KV latent per token and layer.")
    qk_rope_head_dim: int | None = Field(default=None, description="MLA: the decoupled RoPE key per token and layer.")
    experts: int | None = None
    experts_per_token: int | None = None
    source: str

    @model_validator(mode="after")
    def _mla_has_its_latent(self) -> ModelSpec:
        if self.attention == "mla" and (self.kv_lora_rank is None or self.qk_rope_head_dim is None):
            raise ValueError(f"{self.name}: an MLA model needs kv_lora_rank and qk_rope_head_dim")
        return self

    @property
    def is_moe(self) -> bool:
        """True for a mixture-of-experts model (fewer active than total parameters)."""
        return self.active_params_billion < self.total_params_billion

    def kv_values_per_token_layer(self) -> int:
        """Values the KV cache holds per token and layer: K and V per KV head, or MLA's latent + RoPE key."""
        if self.attention == "mla":
            assert self.kv_lora_rank is not None and self.qk_rope_head_dim is not None
            return self.kv_lora_rank + self.qk_rope_head_dim
        return 2 * self.kv_heads * self.head_dim


class ModelCatalog(BaseModel):
    """The model catalog."""

    models: list[ModelSpec]


@cache
def model_catalog() -> ModelCatalog:
    """The catalog, read once from package data."""
    text = resources.files("tools.catalog").joinpath("models.yaml").read_text()
    return ModelCatalog.model_validate(yaml.safe_load(text))


def _key(name: str) -> str:
    # "Llama 3.1 70B Instruct", "meta-llama/Llama-3.1-70B" and "llama-3.1-70b-instruct" meet here.
    text = name.strip().lower().rsplit("/", 1)[-1]
    return re.sub(r"[\s_]+", "-", text)


def find_model(name: str) -> ModelSpec | None:
    """The model called ``name`` (its name or an alias, any case, spaces or underscores for hyphens)."""
    key = _key(name)
    for model in model_catalog().models:
        if key == model.name or key in model.aliases:
            return model
    return None


def model_names() -> list[str]:
    """The catalog's model names, in catalog order."""
    return [m.name for m in model_catalog().models]


def check_model(field: str, value: str) -> str:
    """The catalog name of model ``value``, or a ToolInputError listing the catalog."""
    found = find_model(value)
    if found is None:
        known = ", ".join(model_names())
        raise ToolInputError(field, value, f"not in the model catalog; known: {known} (or give model_params_billion)")
    return found.name


# Put this in an argument's ``Annotated[...]``.
CatalogModel = checked(check_model)
