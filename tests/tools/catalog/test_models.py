"""The model catalog: shapes from published configs, found by name or alias, MLA stated as such."""

from __future__ import annotations

import pytest

from tools.catalog.models import check_model, find_model, model_catalog
from tools.errors import ToolInputError

REQUIRED = {
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "mixtral-8x22b",
    "qwen2.5-7b", "qwen2.5-72b", "deepseek-v3", "deepseek-r1",
}  # fmt: skip


def test_the_catalog_has_the_models_people_size_for() -> None:
    names = {m.name for m in model_catalog().models}
    assert names >= REQUIRED and len(names) == len(model_catalog().models)


@pytest.mark.parametrize("model", model_catalog().models, ids=lambda m: m.name)
def test_every_model_is_consistent_and_cites_its_config(model) -> None:
    assert model.source.startswith("https://huggingface.co/") and model.source.endswith("config.json")
    assert 0 < model.active_params_billion <= model.total_params_billion
    assert model.attention_heads % model.kv_heads == 0
    assert model.is_moe == (model.experts is not None)


def test_mixture_of_experts_and_latent_attention() -> None:
    mixtral, deepseek, llama = find_model("mixtral-8x7b"), find_model("deepseek-v3"), find_model("llama-3.1-70b")
    assert (mixtral.total_params_billion, mixtral.active_params_billion, mixtral.layers) == (46.7, 12.9, 32)
    # GQA caches K and V per KV head; MLA one compressed latent plus a RoPE key per token and layer
    assert llama.kv_values_per_token_layer() == 2 * 8 * 128
    assert deepseek.attention == "mla" and deepseek.kv_values_per_token_layer() == 512 + 64


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Mixtral 8x7B", "mixtral-8x7b"),
        ("meta-llama/Llama-3.3-70B-Instruct", "llama-3.1-70b"),
        ("DeepSeek_R1", "deepseek-r1"),
    ],
)
def test_models_are_found_by_name_alias_and_spelling(text: str, name: str) -> None:
    assert check_model("model", text) == name


def test_an_unknown_model_names_the_catalog() -> None:
    with pytest.raises(ToolInputError) as err:
        check_model("model", "gpt-5")
    assert err.value.field == "model" and "mixtral-8x7b" in str(err.value)
