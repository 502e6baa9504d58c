"""recommend_inference_instance: the memory arithmetic, checked by hand, and the pick."""

from __future__ import annotations

import pytest

from tools import runtime
from tools.errors import ToolInputError
from tools.inference.sizing import RecommendArgs, pick_shape, recommend

GIB = 1024**3


def _run(ctx, **args):
    return runtime.run_read("recommend_inference_instance", args, ctx)


def test_8b_bf16_8k_fits_the_smallest_inf2(ctx) -> None:
    # GIVEN an 8B model in bf16, 8,192 tokens, one sequence
    # Hand arithmetic:
    #   weights = 8e9 x 2 B = 16e9 B = 14.901 GiB
    #   KV      = 2 x 32 layers x 8 heads x 128 dim x 2 B x 8192 x 1 = 1,073,741,824 B = 1.000 GiB
    #   overhead = 10% x 15.901 = 1.590 GiB; needed = 17.491 GiB
    #   ml.inf2.xlarge usable = 0.9 x 32 = 28.8 GiB >= 17.49 -> fits, $0.99/h (cheapest option)
    out = _run(ctx, model_params_billion=8)
    r = out.result
    # THEN every step matches the hand computation
    assert r["weights_gib"] == 14.90
    assert r["kv_per_sequence_gib"] == 1.0
    assert r["kv_total_gib"] == 1.0
    assert r["overhead_gib"] == 1.59
    assert r["required_gib"] == 17.49
    assert (r["shape"]["layers"], r["shape"]["kv_heads"], r["shape"]["head_dim"]) == (32, 8, 128)
    assert (r["instance_type"], r["instance_count"], r["cost_usd_per_hour"]) == ("ml.inf2.xlarge", 1, 0.99)
    xlarge = next(o for o in r["options"] if o["instance_type"] == "ml.inf2.xlarge")
    assert xlarge["usable_gib"] == 28.8 and xlarge["fits_one"]
    # AND the rendering shows the arithmetic and the assumptions
    assert (
        "2 (K and V) x 32 layers x 8 KV heads x 128 head dim x 2 bytes x 8,192 tokens = 1,073,741,824 bytes" in out.text
    )
    assert "0.90 x 32 GiB = 28.80 GiB >= 17.49 GiB: fits" in out.text
    assert "cheapest fitting option: 1 x ml.inf2.xlarge at $0.99/h, tensor parallel 2" in out.text
    assert "usable accelerator memory 90%" in out.text and "overhead 10%" in out.text


def test_405b_bf16_needs_p6_b200(ctx) -> None:
    # Hand arithmetic:
    #   weights = 405e9 x 2 = 810e9 B = 754.371 GiB
    #   KV      = 2 x 126 x 8 x 128 x 2 x 8192 = 4,227,858,432 B = 3.9375 GiB
    #   overhead = 0.1 x 758.309 = 75.831; needed = 834.140 GiB
    #   ml.inf2.48xlarge usable 345.6 < 834.14; ml.p6-b200.48xlarge usable 0.9 x 1440 = 1296 >= 834.14
    r = _run(ctx, model_params_billion=405, dtype="bf16").result
    assert r["weights_gib"] == 754.37
    assert r["kv_per_sequence_gib"] == 3.9375
    assert r["required_gib"] == 834.14
    fits = {o["instance_type"]: o["fits_one"] for o in r["options"]}
    assert fits == {
        "ml.inf2.xlarge": False,
        "ml.inf2.8xlarge": False,
        "ml.inf2.24xlarge": False,
        "ml.inf2.48xlarge": False,
        "ml.p6-b200.48xlarge": True,
    }
    assert (r["instance_type"], r["instance_count"], r["cost_usd_per_hour"]) == ("ml.p6-b200.48xlarge", 1, 142.42)


def test_nothing_fits_is_said_clearly(ctx) -> None:
    # GIVEN 1,000B parameters in bf16: 1,862.65 GiB of weights, more than any option holds
    out = _run(ctx, model_params_billion=1000)
    # THEN there is no pick and the verdict says so with the numbers
    assert out.result["fits"] is False
    assert out.result["instance_type"] is None and out.result["cost_usd_per_hour"] is None
    assert "NOTHING FITS" in out.text and "1,296.00 GiB (ml.p6-b200.48xlarge)" in out.text


def test_replicas_only_when_no_single_instance_fits(ctx) -> None:
    # GIVEN 70B bf16, 32k context, 256 sequences: 2,959 GiB on one instance, more than any holds
    r = _run(ctx, model_params_billion=70, context_length=32768, concurrency=256).result
    # THEN the pick is several replicas splitting the sequences, and it says why
    assert r["instance_count"] > 1
    assert all(not o["fits_one"] for o in r["options"])
    assert "no single instance fits" in r["verdict"]
    # inf2.48xlarge shards over 16 NeuronCores (230.4 GiB) and holds the 8 KV heads twice: 20 GiB a
    # sequence, so (130.39 + 20 k) x 1.1 <= 230.4 allows k = 3 and 86 replicas, more than 64.
    # p6-b200: (130.39 GiB + 10 GiB x ceil(256/3)=86) x 1.1 = 1,089.43 GiB <= 1,296: 3 replicas
    assert (r["instance_type"], r["instance_count"], r["tensor_parallel_degree"]) == ("ml.p6-b200.48xlarge", 3, 8)
    assert r["cost_usd_per_hour"] == round(3 * 142.42, 2)


def test_a_single_fit_beats_cheaper_replicas(ctx) -> None:
    # GIVEN 13B at concurrency 64: 64 inf2.xlarge replicas would also work, but one inf2.24xlarge fits
    r = _run(ctx, model_params_billion=13, concurrency=64).result
    assert (r["instance_type"], r["instance_count"]) == ("ml.inf2.24xlarge", 1)


def test_shape_off_the_table_is_stated() -> None:
    shape, note = pick_shape(13)
    assert shape.params_billion == 8 and "no table row for 13B" in note
    shape, note = pick_shape(30)  # log-nearest to 70 (ratio 2.3) rather than 8 (ratio 3.75)
    assert shape.params_billion == 70
    shape, note = pick_shape(70)
    assert "70B row" in note


def test_quantised_weights_keep_a_16bit_kv_cache() -> None:
    r = recommend(RecommendArgs(model_params_billion=8, dtype="int4"))
    assert r.weight_bytes_per_param == 0.5 and r.kv_bytes_per_value == 2.0
    assert r.weights_gib == round(4e9 / GIB, 2)
    assert any("16-bit KV cache" in a for a in r.assumptions)
    fp8 = recommend(RecommendArgs(model_params_billion=8, dtype="fp8"))
    assert fp8.kv_bytes_per_value == 1.0 and fp8.kv_per_sequence_gib == 0.5


def test_dtype_is_case_insensitive() -> None:
    assert RecommendArgs(model_params_billion=8, dtype="BF16").dtype == "bf16"


def test_plan_is_a_read_with_no_spend(ctx) -> None:
    plan = runtime.plan("recommend_inference_instance", {"model_params_billion": 70}, ctx)
    assert plan.effect == "read" and plan.operation_names() == []
    assert plan.cost_usd_per_hour is None
    assert plan.facts["recommended_instance_type"] == "ml.inf2.48xlarge"
    assert plan.facts["recommended_tensor_parallel_degree"] == 16


def test_mixtral_by_name_holds_every_expert_in_its_own_shape(ctx) -> None:
    # GIVEN mixtral-8x7b, 4k context, 16 sequences
    # Hand arithmetic (Mixtral's config: 32 layers, 32 heads, 8 KV heads, head dim 128; 46.7B total):
    #   weights  = 46.7e9 x 2 B = 93.4e9 B = 86.9852 GiB (all experts, though 12.9B are active)
    #   KV       = 2 x 32 x 8 x 128 x 2 B x 4096 = 536,870,912 B = 0.5 GiB a sequence, 8 GiB for 16
    #   overhead = 0.1 x 94.985 = 9.499; needed 104.48 GiB
    #   inf2.24xlarge: 12 NeuronCores, 12 does not divide 32 heads, 8 does: 0.9 x 192 x 8/12 = 115.2 GiB
    out = _run(ctx, model="mixtral-8x7b", context_length=4096, concurrency=16)
    r = out.result
    # THEN the sizing uses the total parameters and Mixtral's own shape
    assert (r["model"], r["model_params_billion"], r["active_params_billion"]) == ("mixtral-8x7b", 46.7, 12.9)
    shape = r["shape"]
    assert (shape["layers"], shape["attention_heads"], shape["kv_heads"], shape["head_dim"]) == (32, 32, 8, 128)
    assert "mistralai/Mixtral-8x7B-v0.1" in r["shape_note"]
    assert (r["weights_gib"], r["kv_total_gib"], r["required_gib"]) == (86.99, 8.0, 104.48)
    # AND the pick is the Inf2 that holds it, with the degree and why
    assert (r["instance_type"], r["instance_count"], r["tensor_parallel_degree"]) == ("ml.inf2.24xlarge", 1, 8)
    option = next(o for o in r["options"] if o["instance_type"] == "ml.inf2.24xlarge")
    assert option["usable_gib"] == 115.2
    assert "8 of 12 NeuronCores: 8 is the largest count up to 12 that divides the 32 attention heads" in out.text
    assert "every expert is held, though 12.9B are active" in out.text


def test_a_70b_model_on_inf2_goes_to_the_48xlarge_with_16_cores(ctx) -> None:
    # GIVEN Llama 3.1 70B (64 heads): inf2.24xlarge can only use 8 of its 12 cores (115.2 GiB < 147.40)
    r = _run(ctx, model="llama-3.1-70b").result
    # THEN it goes where a Neuron user deploys it: inf2.48xlarge, 16 of 24 NeuronCores (230.4 GiB)
    assert (r["instance_type"], r["tensor_parallel_degree"]) == ("ml.inf2.48xlarge", 16)
    small = next(o for o in r["options"] if o["instance_type"] == "ml.inf2.24xlarge")
    assert (small["tensor_parallel_degree"], small["fits_one"]) == (8, False)
    # AND the KV heads (8) are held twice over 16 cores, so the 48xlarge needs a little more
    big = next(o for o in r["options"] if o["instance_type"] == "ml.inf2.48xlarge")
    assert big["kv_replication"] == 2.0 and big["required_gib"] > r["required_gib"]


def test_deepseek_caches_its_mla_latent_not_per_head_keys(ctx) -> None:
    # GIVEN DeepSeek-V3 in fp8: 671 GiB-ish of weights; MLA caches (512 + 64) values per token and layer
    out = _run(ctx, model="deepseek-v3", dtype="fp8", context_length=8192)
    r = out.result
    # KV = 576 x 61 layers x 1 B x 8192 = 287,834,112 B = 0.2681 GiB a sequence (not 2 x 128 x 128 x 61 ...)
    assert r["kv_per_sequence_gib"] == 0.2681
    assert "MLA latent cache: (512 latent + 64 RoPE key) x 61 layers" in out.text
    assert (r["instance_type"], r["tensor_parallel_degree"]) == ("ml.p6-b200.48xlarge", 8)
    # AND the latent is held whole on each of the 8 GPUs
    pick = next(o for o in r["options"] if o["instance_type"] == "ml.p6-b200.48xlarge")
    assert pick["kv_replication"] == 8.0


def test_raw_shape_numbers_override_the_table() -> None:
    r = recommend(RecommendArgs(model_params_billion=7, layers=28, attention_heads=28, kv_heads=4, head_dim=128))
    assert (r.shape.layers, r.shape.attention_heads, r.shape.kv_heads) == (28, 28, 4)
    assert "given: layers 28" in r.shape_note
    # 28 heads and 4 KV heads: p6-b200 can use 4 of its 8 GPUs
    gpu = next(o for o in r.options if o.instance_type == "ml.p6-b200.48xlarge")
    assert gpu.tensor_parallel_degree == 4


def test_a_model_is_found_by_alias_and_spelling() -> None:
    assert RecommendArgs(model="Llama 3.3 70B Instruct").model == "llama-3.1-70b"
    assert RecommendArgs(model="meta-llama/Llama-3.1-8B").model == "llama-3.1-8b"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"model_params_billion": 0}, "model_params_billion"),
        ({"model_params_billion": 8, "dtype": "fp4"}, "dtype"),
        ({"model_params_billion": 8, "context_length": 0}, "context_length"),
        ({"model_params_billion": 8, "concurrency": 0}, "concurrency"),
        ({}, "model_params_billion"),
        ({"model": "gpt-5"}, "model"),
        ({"model": "mixtral-8x7b", "model_params_billion": 56}, "model_params_billion"),
        ({"model_params_billion": 8, "attention_heads": 32, "kv_heads": 5}, "kv_heads"),
    ],
)
def test_bad_input_is_refused_naming_the_field(ctx, args, field) -> None:
    with pytest.raises(ToolInputError) as err:
        _run(ctx, **args)
    assert err.value.field == field
