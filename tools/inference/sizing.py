"""recommend_inference_instance: size an LLM for an Inf2 or P6-B200 endpoint, showing the arithmetic.

Memory needed = weights (parameters x bytes per dtype) + KV cache (2 x layers x KV heads x head dim x
bytes x context x concurrency) + a fixed overhead for activations and the runtime. It is compared with
the usable part of each inference option's accelerator memory, the model sharded (tensor parallel)
over all accelerators of one instance. Endpoint instances are replicas, so more than one instance only
helps by splitting the concurrent sequences (each replica holds all the weights); it is proposed only
when no single instance fits.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import InstanceType, catalog, money, price_source
from tools.kinds import ArgKind, Kind

GIB = 1024**3
# Bytes per weight. int8/int4 are weight-only quantisation (AWQ/GPTQ-style), whose KV cache stays 16-bit.
WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 2.0, "int4": 2.0}
OVERHEAD_FRACTION = 0.10  # activations, CUDA/Neuron runtime buffers, on top of weights + KV cache
USABLE_FRACTION = 0.90  # of accelerator memory; the rest goes to the runtime, compiler and fragmentation
MAX_REPLICAS = 64

Dtype = Literal["bf16", "fp16", "fp8", "int8", "int4"]


class ModelShape(BaseModel):
    """The attention shape that sets the KV cache size, for a Llama-like model of a given size."""

    params_billion: float
    layers: int
    kv_heads: int
    head_dim: int
    example: str


# Grouped-query attention shapes of the Llama 3.x family (8 KV heads throughout).
SHAPES: tuple[ModelShape, ...] = (
    ModelShape(params_billion=1, layers=16, kv_heads=8, head_dim=64, example="Llama 3.2 1B"),
    ModelShape(params_billion=3, layers=28, kv_heads=8, head_dim=128, example="Llama 3.2 3B"),
    ModelShape(params_billion=8, layers=32, kv_heads=8, head_dim=128, example="Llama 3.1 8B"),
    ModelShape(params_billion=70, layers=80, kv_heads=8, head_dim=128, example="Llama 3.1 70B"),
    ModelShape(params_billion=405, layers=126, kv_heads=8, head_dim=128, example="Llama 3.1 405B"),
)


DTYPE_SYNONYMS = {
    "bf16": ("bfloat16", "brain float"),
    "fp16": ("float16", "half precision"),
    "fp8": ("float8", "8-bit float"),
    "int8": ("8-bit", "8 bit", "8bit"),
    "int4": ("4-bit", "4 bit", "4bit"),
}


class RecommendArgs(ToolArgs):
    """recommend_inference_instance's arguments."""

    model_params_billion: Annotated[
        float,
        ArgKind(Kind.PARAMS_BILLION),
        Field(gt=0, le=10000, description="Model size in billions of parameters, e.g. 8 or 70."),
    ]
    dtype: Annotated[
        Dtype,
        ArgKind(Kind.ENUM, synonyms=DTYPE_SYNONYMS),
        Field(default="bf16", description="Weight precision: bf16, fp16, fp8, int8 or int4 (default bf16)."),
    ]
    context_length: Annotated[
        int,
        ArgKind(Kind.TOKENS),
        Field(default=8192, ge=1, le=2_000_000, description="Tokens per sequence (prompt + output)."),
    ]
    concurrency: Annotated[
        int,
        ArgKind(Kind.COUNT, unit="sequence"),
        Field(default=1, ge=1, le=4096, description="Sequences served at the same time (batch size)."),
    ]

    @field_validator("dtype", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class OptionFit(BaseModel):
    """How the model fits one instance type."""

    instance_type: str
    accelerator: str
    accelerator_memory_gib: float
    usable_gib: float
    price_usd_per_hour: float
    fits_one: bool
    instances_needed: int | None = Field(description="Replicas needed; None if even one sequence does not fit.")
    cost_usd_per_hour: float | None


class SizingRecommendation(BaseModel):
    """The sizing, its assumptions, every option and the pick."""

    model_params_billion: float
    dtype: str
    context_length: int
    concurrency: int
    shape: ModelShape
    shape_note: str
    weight_bytes_per_param: float
    kv_bytes_per_value: float
    weights_gib: float
    kv_per_sequence_gib: float
    kv_total_gib: float
    overhead_fraction: float
    overhead_gib: float
    required_gib: float
    usable_fraction: float
    options: list[OptionFit]
    fits: bool
    instance_type: str | None
    instance_count: int | None
    cost_usd_per_hour: float | None
    steps: list[str]
    assumptions: list[str]
    verdict: str
    price_date: str


def pick_shape(params_billion: float) -> tuple[ModelShape, str]:
    """The table row nearest in log scale (ties go to the larger model), and a note saying so."""
    best = min(SHAPES, key=lambda s: (abs(math.log(params_billion / s.params_billion)), -s.params_billion))
    if math.isclose(best.params_billion, params_billion, rel_tol=0.02):
        return best, f"{best.example}, the {best.params_billion:g}B row of the table"
    return best, f"no table row for {params_billion:g}B; the nearest row, {best.example}, is used"


def _gib(n_bytes: float) -> float:
    return n_bytes / GIB


def _options() -> list[InstanceType]:
    rows = [i for i in catalog().for_use("inference") if i.accelerator is not None]
    return sorted(rows, key=lambda i: i.price_usd_per_hour)


def _replicas(weights: float, kv_seq: float, concurrency: int, usable: float) -> int | None:
    """Fewest replicas whose share of the sequences fits, or None if one sequence does not fit."""
    for n in range(1, min(concurrency, MAX_REPLICAS) + 1):
        need = (weights + kv_seq * math.ceil(concurrency / n)) * (1 + OVERHEAD_FRACTION)
        if need <= usable:
            return n
    return None


def recommend(args: RecommendArgs) -> SizingRecommendation:
    """Compute the sizing; pure arithmetic over the instance catalog, no AWS call."""
    shape, shape_note = pick_shape(args.model_params_billion)
    wb, kb = WEIGHT_BYTES[args.dtype], KV_BYTES[args.dtype]
    weights = args.model_params_billion * 1e9 * wb
    kv_seq = 2 * shape.layers * shape.kv_heads * shape.head_dim * kb * args.context_length
    kv_total = kv_seq * args.concurrency
    overhead = OVERHEAD_FRACTION * (weights + kv_total)
    required = weights + kv_total + overhead

    options: list[OptionFit] = []
    for row in _options():
        assert row.accelerator is not None
        usable = USABLE_FRACTION * row.accelerator.memory_gib * GIB
        n = _replicas(weights, kv_seq, args.concurrency, usable)
        options.append(
            OptionFit(
                instance_type=row.name,
                accelerator=f"{row.accelerator.count} x {row.accelerator.kind}",
                accelerator_memory_gib=row.accelerator.memory_gib,
                usable_gib=round(_gib(usable), 2),
                price_usd_per_hour=row.price_usd_per_hour,
                fits_one=required <= usable,
                instances_needed=n,
                cost_usd_per_hour=round(n * row.price_usd_per_hour, 2) if n else None,
            )
        )

    singles = [o for o in options if o.fits_one]
    multis = [o for o in options if o.instances_needed]
    pick = min(singles, key=lambda o: o.price_usd_per_hour) if singles else None
    if pick is None and multis:
        pick = min(multis, key=lambda o: (o.cost_usd_per_hour or 0, o.instances_needed or 0))

    steps = [
        f"weights: {args.model_params_billion:g}e9 params x {wb:g} bytes ({args.dtype}) = "
        f"{weights / 1e9:,.2f} GB = {_gib(weights):,.2f} GiB",
        f"KV cache per sequence: 2 (K and V) x {shape.layers} layers x {shape.kv_heads} KV heads x "
        f"{shape.head_dim} head dim x {kb:g} bytes x {args.context_length:,} tokens = "
        f"{kv_seq:,.0f} bytes = {_gib(kv_seq):,.2f} GiB",
        f"KV cache for {args.concurrency} concurrent sequence(s): {_gib(kv_seq):,.2f} GiB x {args.concurrency} = "
        f"{_gib(kv_total):,.2f} GiB",
        f"overhead (activations, runtime): {OVERHEAD_FRACTION:.0%} x ({_gib(weights):,.2f} + "
        f"{_gib(kv_total):,.2f}) GiB = {_gib(overhead):,.2f} GiB",
        f"needed on one instance: {_gib(weights):,.2f} + {_gib(kv_total):,.2f} + {_gib(overhead):,.2f} = "
        f"{_gib(required):,.2f} GiB",
        f"usable accelerator memory is {USABLE_FRACTION:.0%} of the total:\n"
        + "\n".join(
            f"   - {o.instance_type}: {USABLE_FRACTION:.2f} x {o.accelerator_memory_gib:g} GiB = "
            f"{o.usable_gib:,.2f} GiB "
            f"{'>=' if o.fits_one else '<'} {_gib(required):,.2f} GiB: {'fits' if o.fits_one else 'does not fit'} "
            f"({money(o.price_usd_per_hour, per_hour=True)})"
            for o in options
        ),
    ]

    if pick is not None and pick.fits_one:
        verdict = (
            f"cheapest fitting option: 1 x {pick.instance_type} at {money(pick.price_usd_per_hour, per_hour=True)} "
            f"({_gib(required):,.2f} of {pick.usable_gib:,.2f} usable GiB)"
        )
    elif pick is not None:
        n = pick.instances_needed or 0
        share = math.ceil(args.concurrency / n)
        per = (weights + kv_seq * share) * (1 + OVERHEAD_FRACTION)
        steps.append(
            f"no single instance fits; replicas split the {args.concurrency} sequences: each of {n} x "
            f"{pick.instance_type} holds the weights + KV cache for {share} sequence(s) + overhead = "
            f"{_gib(per):,.2f} GiB <= {pick.usable_gib:,.2f} GiB"
        )
        verdict = (
            f"no single instance fits; cheapest option: {n} x {pick.instance_type} at "
            f"{money(pick.cost_usd_per_hour, per_hour=True)}, each replica serving {share} of {args.concurrency} "
            "concurrent sequences"
        )
    else:
        largest = max(options, key=lambda o: o.usable_gib)
        floor = _gib((weights + kv_seq) * (1 + OVERHEAD_FRACTION))
        verdict = (
            f"NOTHING FITS: even one sequence needs {floor:,.2f} GiB and the largest usable memory is "
            f"{largest.usable_gib:,.2f} GiB ({largest.instance_type}); try fp8/int8/int4, a shorter context, "
            f"or multi-node serving outside a single endpoint instance"
        )
    steps.append(verdict)
    steps = [f"{i}. {step}" for i, step in enumerate(steps, 1)]

    count = (pick.instances_needed if not pick.fits_one else 1) if pick else None
    return SizingRecommendation(
        model_params_billion=args.model_params_billion,
        dtype=args.dtype,
        context_length=args.context_length,
        concurrency=args.concurrency,
        shape=shape,
        shape_note=shape_note,
        weight_bytes_per_param=wb,
        kv_bytes_per_value=kb,
        weights_gib=round(_gib(weights), 2),
        kv_per_sequence_gib=round(_gib(kv_seq), 4),
        kv_total_gib=round(_gib(kv_total), 2),
        overhead_fraction=OVERHEAD_FRACTION,
        overhead_gib=round(_gib(overhead), 2),
        required_gib=round(_gib(required), 2),
        usable_fraction=USABLE_FRACTION,
        options=options,
        fits=pick is not None,
        instance_type=pick.instance_type if pick else None,
        instance_count=count,
        cost_usd_per_hour=(round(pick.price_usd_per_hour * (count or 0), 2) if pick else None),
        steps=steps,
        assumptions=[
            f"Llama-like model shape: {shape.layers} layers, {shape.kv_heads} KV heads, head dim {shape.head_dim} "
            f"({shape_note})",
            f"KV cache stored at {kb:g} bytes per value"
            + (" (weight-only quantisation keeps a 16-bit KV cache)" if args.dtype in ("int8", "int4") else ""),
            f"overhead {OVERHEAD_FRACTION:.0%} of weights + KV cache for activations and the runtime",
            f"usable accelerator memory {USABLE_FRACTION:.0%} of the total, weights sharded over all "
            "accelerators of one instance",
            "endpoint instances are replicas: more than one only splits the concurrent sequences "
            f"(at most {MAX_REPLICAS} considered), and only when no single instance fits",
            f"prices: {price_source()}",
        ],
        verdict=verdict,
        price_date=catalog().price_date,
    )


def plan(ctx: ToolContext, args: RecommendArgs) -> Plan:
    """A read: nothing changes; the facts carry the pick."""
    rec = recommend(args)
    return Plan(
        summary=(
            f"size a {args.model_params_billion:g}B {args.dtype} model, {args.context_length:,}-token context, "
            f"concurrency {args.concurrency}, against the Inf2 and P6-B200 options"
        ),
        facts={
            "required_gib": rec.required_gib,
            "recommended_instance_type": rec.instance_type,
            "recommended_instance_count": rec.instance_count,
            "recommended_cost_usd_per_hour": rec.cost_usd_per_hour,
        },
    )


def run(ctx: ToolContext, args: RecommendArgs) -> SizingRecommendation:
    """The sizing (no AWS call)."""
    return recommend(args)


def render(r: SizingRecommendation) -> str:
    """The verdict, the arithmetic step by step, the options table and the assumptions."""
    lines = [
        f"{r.model_params_billion:g}B {r.dtype}, {r.context_length:,} tokens, concurrency {r.concurrency}: {r.verdict}",
        "",
        *r.steps,
        "",
        f"{'option':<22} {'accelerators':<18} {'usable GiB':>10} {'fits one':>9} {'$/h':>9}",
    ]
    any_single = any(o.fits_one for o in r.options)
    for o in r.options:
        fits = "yes" if o.fits_one else "no"
        if not any_single and o.instances_needed:
            fits = f"{o.instances_needed} needed"
        lines.append(
            f"{o.instance_type:<22} {o.accelerator:<18} {o.usable_gib:>10,.2f} {fits:>9} {o.price_usd_per_hour:>9,.2f}"
        )
    lines += ["", "assumptions:", *(f"- {a}" for a in r.assumptions)]
    return "\n".join(lines)


RECOMMEND_TOOL = Tool(
    name="recommend_inference_instance",
    description=(
        "Recommend the cheapest Inf2 or P6-B200 endpoint instance that holds a model: weights + KV cache + "
        "overhead against usable accelerator memory, with the arithmetic and the model-shape assumptions."
    ),
    label="recommend an inference instance for a model",
    phrasings=(
        "(recommend|suggest|pick|choose|advise|size) [me] [an|a] [inference|endpoint|serving] (instance|instance "
        "type|hardware|accelerator)",
        "(which|what) [inference|endpoint] (instance|instance type|hardware|accelerator|gpu) [should] [i|we] "
        "[use|pick|need|choose] [to] [serve|host|run|for]",
        "(which|what) [is] [the] cheapest [endpoint|inference] (instance|instance type) [that] [can] "
        "(hold|fit|serve|run)",
        "how big [an|a] [endpoint|inference] instance [do] [i|we] need",
        "(sizing|size) [question] [for]",
        "what (fits|can hold|can serve|do i need for|do we need for)",
        "(for|serve|serving|host|hosting|run|running) [a|an] {model_params_billion} "
        "[model|param|params|parameter]",
        "{model_params_billion} (model|params|parameters|parameter model)",
        "(in|at|with|using) {dtype}",
        "(with|at|of) {context_length} [of] [context|tokens|ctx|context length|context window]",
        "{context_length} (context|ctx|tokens|token context)",
        "context [length|window|of] {context_length}",
        "(with|for|at) {concurrency} [concurrent|simultaneous|parallel] "
        "(users|requests|sessions|streams|sequences|clients)",
        "concurrency [of] {concurrency}",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=RecommendArgs,
    plan=plan,
    run=run,
    render=render,
)
