"""recommend_inference_instance: size an LLM for an Inf2 or P6-B200 endpoint, showing the arithmetic.

The model is a catalog model (``model``: its published shape, ``tools.catalog.models``) or raw numbers
(``model_params_billion`` and, optionally, its layers, heads and head dim; what is not given comes
from the nearest Llama 3.x shape). Memory needed = weights (total parameters x bytes per dtype: a
mixture-of-experts model holds every expert) + KV cache (per token and layer: K and V of each KV head,
or for multi-head latent attention one compressed latent and a RoPE key) + a fixed overhead for
activations and the runtime.

The model is sharded tensor-parallel over one instance's devices: GPUs, or on Inferentia the
NeuronCores. The degree must divide the model's attention heads (each device takes whole heads), so it
is the largest device count the instance has that does; when it exceeds the KV heads, KV heads are
replicated (the cache grows by that factor), and an MLA latent is held whole on every device. Endpoint
instances are replicas, so more than one instance only helps by splitting the concurrent sequences
(each replica holds all the weights); it is proposed only when no single instance fits.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tools.base import Effect, Plan, Risk, Tool, ToolArgs, ToolContext
from tools.catalog import InstanceType, catalog, money, price_source
from tools.catalog.models import CatalogModel, ModelSpec, find_model, model_names
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Count, Kind, stays_required

GIB = 1024**3
# Bytes per weight. int8/int4 are weight-only quantisation (AWQ/GPTQ-style), whose KV cache stays 16-bit.
WEIGHT_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}
KV_BYTES = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 2.0, "int4": 2.0}
OVERHEAD_FRACTION = 0.10  # activations, CUDA/Neuron runtime buffers, on top of weights + KV cache
USABLE_FRACTION = 0.90  # of accelerator memory; the rest goes to the runtime, compiler and fragmentation
MAX_REPLICAS = 64
SAME_SIZE = 0.02  # model_params_billion within 2% of the catalog model's total is the same model

Dtype = Literal["bf16", "fp16", "fp8", "int8", "int4"]


class ModelShape(BaseModel):
    """What sizing needs of a model: its parameters and the attention shape that sets the KV cache."""

    params_billion: float = Field(description="Total parameters (every expert of a mixture-of-experts model).")
    active_params_billion: float | None = None
    layers: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    attention: Literal["gqa", "mla"] = "gqa"
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    example: str
    source: str | None = None

    def kv_values_per_token_layer(self) -> int:
        """Values cached per token and layer."""
        if self.attention == "mla":
            return (self.kv_lora_rank or 0) + (self.qk_rope_head_dim or 0)
        return 2 * self.kv_heads * self.head_dim

    @classmethod
    def of(cls, model: ModelSpec) -> ModelShape:
        """The shape of a catalog model."""
        return cls(
            params_billion=model.total_params_billion,
            active_params_billion=model.active_params_billion,
            layers=model.layers,
            attention_heads=model.attention_heads,
            kv_heads=model.kv_heads,
            head_dim=model.head_dim,
            attention=model.attention,
            kv_lora_rank=model.kv_lora_rank,
            qk_rope_head_dim=model.qk_rope_head_dim,
            example=model.name,
            source=model.source,
        )


# Grouped-query attention shapes of the Llama 3.x family (8 KV heads throughout), for raw sizes.
SHAPES: tuple[ModelShape, ...] = (
    ModelShape(params_billion=1, layers=16, attention_heads=32, kv_heads=8, head_dim=64, example="Llama 3.2 1B"),
    ModelShape(params_billion=3, layers=28, attention_heads=24, kv_heads=8, head_dim=128, example="Llama 3.2 3B"),
    ModelShape(params_billion=8, layers=32, attention_heads=32, kv_heads=8, head_dim=128, example="Llama 3.1 8B"),
    ModelShape(params_billion=70, layers=80, attention_heads=64, kv_heads=8, head_dim=128, example="Llama 3.1 70B"),
    ModelShape(params_billion=405, layers=126, attention_heads=128, kv_heads=8, head_dim=128, example="Llama 3.1 405B"),
)


DTYPE_SYNONYMS = {
    "bf16": ("bfloat16", "brain float"),
    "fp16": ("float16", "half precision"),
    "fp8": ("float8", "8-bit float"),
    "int8": ("8-bit", "8 bit", "8bit"),
    "int4": ("4-bit", "4 bit", "4bit"),
}
SHAPE_FIELDS = ("layers", "attention_heads", "kv_heads", "head_dim")


class RecommendArgs(ToolArgs):
    """recommend_inference_instance's arguments: a catalog model, or its size (and shape) as numbers."""

    model_config = ConfigDict(json_schema_extra=stays_required("model_params_billion"))

    model: Annotated[
        str | None,
        ArgKind(Kind.MODEL, instead_of="model_params_billion"),
        CatalogModel,
        Field(
            default=None,
            description="A model of the catalog, e.g. llama-3.1-70b, mixtral-8x7b, deepseek-v3 ("
            + ", ".join(model_names())
            + "); or give model_params_billion.",
        ),
    ] = None
    model_params_billion: Annotated[
        float | None,
        ArgKind(Kind.PARAMS_BILLION),
        Field(
            default=None,
            gt=0,
            le=10000,
            description="Model size in billions of parameters (total, for a mixture of experts), e.g. 8 or 70; "
            "leave it out when model names a catalog model.",
        ),
    ] = None
    layers: Annotated[
        int | None, Count("layer"), Field(default=None, ge=1, le=1000, description="Transformer layers.")
    ] = None
    attention_heads: Annotated[
        int | None,
        Count("attention head"),
        Field(default=None, ge=1, le=1024, description="Attention (query) heads."),
    ] = None
    kv_heads: Annotated[
        int | None, Count("KV head"), Field(default=None, ge=1, le=1024, description="Key/value heads.")
    ] = None
    head_dim: Annotated[
        int | None, ArgKind(Kind.NUMBER), Field(default=None, ge=1, le=1024, description="Dimension of one head.")
    ] = None
    dtype: Annotated[
        Dtype,
        ArgKind(Kind.ENUM, synonyms=DTYPE_SYNONYMS),
        Field(default="bf16", description="Weight precision: bf16, fp16, fp8, int8 or int4 (default bf16)."),
    ] = "bf16"
    context_length: Annotated[
        int,
        ArgKind(Kind.TOKENS),
        Field(default=8192, ge=1, le=2_000_000, description="Tokens per sequence (prompt + output)."),
    ] = 8192
    concurrency: Annotated[
        int,
        ArgKind(Kind.COUNT, unit="sequence"),
        Field(default=1, ge=1, le=4096, description="Sequences served at the same time (batch size)."),
    ] = 1

    @field_validator("dtype", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _a_model(self) -> RecommendArgs:
        if self.model is None and self.model_params_billion is None:
            raise ToolInputError(
                "model_params_billion",
                None,
                "give model (a catalog model such as mixtral-8x7b) or model_params_billion (e.g. 70)",
            )
        if self.model is not None and self.model_params_billion is not None:
            spec = find_model(self.model)
            assert spec is not None  # CatalogModel checked it
            if not math.isclose(self.model_params_billion, spec.total_params_billion, rel_tol=SAME_SIZE):
                raise ToolInputError(
                    "model_params_billion",
                    self.model_params_billion,
                    f"{spec.name} has {spec.total_params_billion:g}B parameters; leave model_params_billion out "
                    "or leave model out",
                )
        if self.attention_heads is not None and self.kv_heads is not None and self.attention_heads % self.kv_heads:
            raise ToolInputError(
                "kv_heads", self.kv_heads, f"a divisor of attention_heads ({self.attention_heads}), as in GQA"
            )
        return self


class OptionFit(BaseModel):
    """How the model fits one instance type."""

    instance_type: str
    accelerator: str
    accelerator_memory_gib: float
    devices: int = Field(description="GPUs, or NeuronCores on Inferentia: the units of tensor parallelism.")
    device_kind: str
    tensor_parallel_degree: int
    tensor_parallel_note: str = Field(description="Which degree and why.")
    kv_replication: float = Field(description="KV cache copies across the tensor-parallel devices.")
    usable_gib: float
    price_usd_per_hour: float
    required_gib: float = Field(description="Needed on one instance of this type for all sequences.")
    fits_one: bool
    instances_needed: int | None = Field(description="Replicas needed; None if even one sequence does not fit.")
    cost_usd_per_hour: float | None


class SizingRecommendation(BaseModel):
    """The sizing, its assumptions, every option and the pick."""

    model: str | None = Field(default=None, description="The catalog model, when one was named.")
    model_params_billion: float
    active_params_billion: float | None = None
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
    tensor_parallel_degree: int | None = None
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


def model_shape(args: RecommendArgs) -> tuple[ModelShape, str]:
    """The shape to size: the catalog model's or the table's, with the numbers given on top."""
    if args.model is not None:
        spec = find_model(args.model)
        assert spec is not None
        shape = ModelShape.of(spec)
        moe = (
            f", mixture of experts: {spec.active_params_billion:g}B of {spec.total_params_billion:g}B active per "
            "token, all of them held in memory"
            if spec.is_moe
            else ""
        )
        note = f"{spec.name} ({spec.family}) from its published config, {spec.source}{moe}"
    else:
        assert args.model_params_billion is not None
        row, note = pick_shape(args.model_params_billion)
        shape = row.model_copy(update={"params_billion": args.model_params_billion, "active_params_billion": None})
    given = {f: getattr(args, f) for f in SHAPE_FIELDS if getattr(args, f) is not None}
    if given:
        shape = shape.model_copy(update=given)
        note += "; given: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in given.items())
        if shape.attention_heads % shape.kv_heads:
            raise ToolInputError("kv_heads", shape.kv_heads, f"a divisor of attention_heads ({shape.attention_heads})")
    return shape, note


def _gib(n_bytes: float) -> float:
    return n_bytes / GIB


def _options() -> list[InstanceType]:
    rows = [i for i in catalog().for_use("inference") if i.accelerator is not None]
    return sorted(rows, key=lambda i: i.price_usd_per_hour)


def tensor_parallel(row: InstanceType, shape: ModelShape) -> tuple[int, int, str, str]:
    """(devices, degree, device kind, why) for ``shape`` on one instance of ``row``.

    The degree is the largest count of the instance's devices (NeuronCores on Neuron, else GPUs)
    that divides the attention heads (each device holds whole heads) and, with grouped-query
    attention, divides the KV heads or is a multiple of them (each KV head is split whole or copied).
    """
    assert row.accelerator is not None
    neuron = row.accelerator.neuron_cores is not None
    devices = row.accelerator.neuron_cores if neuron else row.accelerator.count
    assert devices is not None
    kind = "NeuronCore" if neuron else "GPU"
    heads, kv = shape.attention_heads, shape.kv_heads

    def allowed(d: int) -> bool:
        return heads % d == 0 and (shape.attention == "mla" or kv % d == 0 or d % kv == 0)

    degree = max(d for d in range(1, devices + 1) if allowed(d))
    rule = f"the {heads} attention heads" + ("" if shape.attention == "mla" else f" and fits the {kv} KV heads")
    if degree == devices:
        why = f"all {devices} {kind}s: {devices} divides {rule}"
    else:
        why = f"{degree} of {devices} {kind}s: {degree} is the largest count up to {devices} that divides {rule}"
    return devices, degree, kind, why


def _kv_replication(shape: ModelShape, degree: int) -> float:
    """Copies of the KV cache over ``degree`` devices: heads shared out, replicated beyond the KV heads."""
    if shape.attention == "mla":
        return float(degree)  # the latent is not split by head: every device holds all of it
    return max(1.0, degree / shape.kv_heads)


def _replicas(weights: float, kv_seq: float, concurrency: int, usable: float) -> int | None:
    """Fewest replicas whose share of the sequences fits, or None if one sequence does not fit."""
    for n in range(1, min(concurrency, MAX_REPLICAS) + 1):
        need = (weights + kv_seq * math.ceil(concurrency / n)) * (1 + OVERHEAD_FRACTION)
        if need <= usable:
            return n
    return None


def _kv_step(shape: ModelShape, kb: float, context: int, kv_seq: float) -> str:
    if shape.attention == "mla":
        what = (
            f"MLA latent cache: ({shape.kv_lora_rank} latent + {shape.qk_rope_head_dim} RoPE key) x {shape.layers} "
            "layers"
        )
    else:
        what = f"2 (K and V) x {shape.layers} layers x {shape.kv_heads} KV heads x {shape.head_dim} head dim"
    total = f"{kv_seq:,.0f} bytes = {_gib(kv_seq):,.2f} GiB"
    return f"KV cache per sequence: {what} x {kb:g} bytes x {context:,} tokens = {total}"


def recommend(args: RecommendArgs) -> SizingRecommendation:
    """Compute the sizing; pure arithmetic over the instance and model catalogs, no AWS call."""
    shape, shape_note = model_shape(args)
    params = shape.params_billion
    wb, kb = WEIGHT_BYTES[args.dtype], KV_BYTES[args.dtype]
    weights = params * 1e9 * wb
    kv_seq = shape.kv_values_per_token_layer() * shape.layers * kb * args.context_length
    kv_total = kv_seq * args.concurrency
    overhead = OVERHEAD_FRACTION * (weights + kv_total)
    required = weights + kv_total + overhead

    options: list[OptionFit] = []
    for row in _options():
        assert row.accelerator is not None
        devices, degree, kind, why = tensor_parallel(row, shape)
        replication = _kv_replication(shape, degree)
        usable = USABLE_FRACTION * row.accelerator.memory_gib * GIB * degree / devices
        need = (weights + kv_total * replication) * (1 + OVERHEAD_FRACTION)
        n = _replicas(weights, kv_seq * replication, args.concurrency, usable)
        if replication > 1:
            why += f"; the KV cache is held {replication:g} times" + (
                " (the MLA latent on every device)" if shape.attention == "mla" else f" ({shape.kv_heads} KV heads)"
            )
        options.append(
            OptionFit(
                instance_type=row.name,
                accelerator=f"{row.accelerator.count} x {row.accelerator.kind}",
                accelerator_memory_gib=row.accelerator.memory_gib,
                devices=devices,
                device_kind=kind,
                tensor_parallel_degree=degree,
                tensor_parallel_note=why,
                kv_replication=replication,
                usable_gib=round(_gib(usable), 2),
                price_usd_per_hour=row.price_usd_per_hour,
                required_gib=round(_gib(need), 2),
                fits_one=need <= usable,
                instances_needed=n,
                cost_usd_per_hour=round(n * row.price_usd_per_hour, 2) if n else None,
            )
        )

    singles = [o for o in options if o.fits_one]
    multis = [o for o in options if o.instances_needed]
    pick = min(singles, key=lambda o: o.price_usd_per_hour) if singles else None
    if pick is None and multis:
        pick = min(multis, key=lambda o: (o.cost_usd_per_hour or 0, o.instances_needed or 0))

    moe = shape.active_params_billion is not None and shape.active_params_billion < params
    weights_step = (
        f"weights: {params:g}e9 params x {wb:g} bytes ({args.dtype}) = {weights / 1e9:,.2f} GB = "
        f"{_gib(weights):,.2f} GiB"
    )
    if moe:
        weights_step += f" (all {params:g}B: every expert is held, though {shape.active_params_billion:g}B are active)"
    steps = [
        weights_step,
        _kv_step(shape, kb, args.context_length, kv_seq),
        f"KV cache for {args.concurrency} concurrent sequence(s): {_gib(kv_seq):,.2f} GiB x {args.concurrency} = "
        f"{_gib(kv_total):,.2f} GiB",
        f"overhead (activations, runtime): {OVERHEAD_FRACTION:.0%} x ({_gib(weights):,.2f} + "
        f"{_gib(kv_total):,.2f}) GiB = {_gib(overhead):,.2f} GiB",
        f"needed on one instance: {_gib(weights):,.2f} + {_gib(kv_total):,.2f} + {_gib(overhead):,.2f} = "
        f"{_gib(required):,.2f} GiB (more where the KV cache is replicated)",
        f"usable memory is {USABLE_FRACTION:.0%} of the tensor-parallel devices' memory:\n"
        + "\n".join(
            f"   - {o.instance_type}: tensor parallel {o.tensor_parallel_degree} ({o.tensor_parallel_note}); "
            f"{USABLE_FRACTION:.2f} x {o.accelerator_memory_gib:g} GiB"
            + (f" x {o.tensor_parallel_degree}/{o.devices}" if o.tensor_parallel_degree != o.devices else "")
            + f" = {o.usable_gib:,.2f} GiB {'>=' if o.fits_one else '<'} {o.required_gib:,.2f} GiB: "
            f"{'fits' if o.fits_one else 'does not fit'} ({money(o.price_usd_per_hour, per_hour=True)})"
            for o in options
        ),
    ]

    if pick is not None and pick.fits_one:
        verdict = (
            f"cheapest fitting option: 1 x {pick.instance_type} at {money(pick.price_usd_per_hour, per_hour=True)}, "
            f"tensor parallel {pick.tensor_parallel_degree} ({pick.required_gib:,.2f} of {pick.usable_gib:,.2f} "
            "usable GiB)"
        )
    elif pick is not None:
        n = pick.instances_needed or 0
        share = math.ceil(args.concurrency / n)
        per = (weights + kv_seq * pick.kv_replication * share) * (1 + OVERHEAD_FRACTION)
        steps.append(
            f"no single instance fits; replicas split the {args.concurrency} sequences: each of {n} x "
            f"{pick.instance_type} holds the weights + KV cache for {share} sequence(s) + overhead = "
            f"{_gib(per):,.2f} GiB <= {pick.usable_gib:,.2f} GiB"
        )
        verdict = (
            f"no single instance fits; cheapest option: {n} x {pick.instance_type} at "
            f"{money(pick.cost_usd_per_hour, per_hour=True)}, tensor parallel {pick.tensor_parallel_degree}, each "
            f"replica serving {share} of {args.concurrency} concurrent sequences"
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
    kv_layout = (
        f"MLA latent {shape.kv_lora_rank} + RoPE key {shape.qk_rope_head_dim} per layer (not per-head K and V)"
        if shape.attention == "mla"
        else f"{shape.kv_heads} KV heads, head dim {shape.head_dim}"
    )
    return SizingRecommendation(
        model=args.model,
        model_params_billion=params,
        active_params_billion=shape.active_params_billion,
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
        tensor_parallel_degree=pick.tensor_parallel_degree if pick else None,
        cost_usd_per_hour=(round(pick.price_usd_per_hour * (count or 0), 2) if pick else None),
        steps=steps,
        assumptions=[
            f"model shape: {shape.layers} layers, {shape.attention_heads} attention heads, {kv_layout} ({shape_note})",
            f"KV cache stored at {kb:g} bytes per value"
            + (" (weight-only quantisation keeps a 16-bit KV cache)" if args.dtype in ("int8", "int4") else ""),
            f"overhead {OVERHEAD_FRACTION:.0%} of weights + KV cache for activations and the runtime",
            f"usable accelerator memory {USABLE_FRACTION:.0%} of the devices the model is sharded over: tensor "
            "parallel over the largest count of the instance's GPUs or NeuronCores that divides the attention heads",
            "endpoint instances are replicas: more than one only splits the concurrent sequences "
            f"(at most {MAX_REPLICAS} considered), and only when no single instance fits",
            f"prices: {price_source()}",
        ],
        verdict=verdict,
        price_date=catalog().price_date,
    )


def _subject(args: RecommendArgs) -> str:
    return args.model if args.model else f"{args.model_params_billion:g}B"


def plan(ctx: ToolContext, args: RecommendArgs) -> Plan:
    """A read: nothing changes; the facts carry the pick."""
    rec = recommend(args)
    return Plan(
        summary=(
            f"size {_subject(args)} in {args.dtype}, {args.context_length:,}-token context, "
            f"concurrency {args.concurrency}, against the Inf2 and P6-B200 options"
        ),
        facts={
            "required_gib": rec.required_gib,
            "recommended_instance_type": rec.instance_type,
            "recommended_instance_count": rec.instance_count,
            "recommended_tensor_parallel_degree": rec.tensor_parallel_degree,
            "recommended_cost_usd_per_hour": rec.cost_usd_per_hour,
        },
    )


def run(ctx: ToolContext, args: RecommendArgs) -> SizingRecommendation:
    """The sizing (no AWS call)."""
    return recommend(args)


def render(r: SizingRecommendation) -> str:
    """The verdict, the arithmetic step by step, the options table and the assumptions."""
    who = f"{r.model} ({r.model_params_billion:g}B)" if r.model else f"{r.model_params_billion:g}B"
    lines = [
        f"{who} {r.dtype}, {r.context_length:,} tokens, concurrency {r.concurrency}: {r.verdict}",
        "",
        *r.steps,
        "",
        f"{'option':<22} {'accelerators':<18} {'TP':>4} {'usable GiB':>10} {'needs GiB':>10} {'fits one':>9} "
        f"{'$/h':>9}",
    ]
    any_single = any(o.fits_one for o in r.options)
    for o in r.options:
        fits = "yes" if o.fits_one else "no"
        if not any_single and o.instances_needed:
            fits = f"{o.instances_needed} needed"
        lines.append(
            f"{o.instance_type:<22} {o.accelerator:<18} {o.tensor_parallel_degree:>4} {o.usable_gib:>10,.2f} "
            f"{o.required_gib:>10,.2f} {fits:>9} {o.price_usd_per_hour:>9,.2f}"
        )
    lines += ["", "assumptions:", *(f"- {a}" for a in r.assumptions)]
    return "\n".join(lines)


RECOMMEND_TOOL = Tool(
    name="recommend_inference_instance",
    description=(
        "Recommend the cheapest Inf2 or P6-B200 endpoint instance that holds a model (a catalog model such as "
        "mixtral-8x7b or llama-3.1-70b, or a size in billions of parameters): weights + KV cache + overhead "
        "against the usable memory of the tensor-parallel devices, with the arithmetic and the model shape used."
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
        "(for|serve|serving|host|hosting|run|running|deploy|deploying|fit|fits|put|size|sizing) [a|an|the|me] "
        "{model} [model]",
        "{model} (model|on inf2|on inferentia|on an inf2)",
        "(can|could|will|would|does|do) [we] [i] {model} (fit|fits|run|runs|serve|go) [on|in|onto]",
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
