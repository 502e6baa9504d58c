"""recommend_cache_tuning: advice for a cache used as LLM KV cache or MoE expert cache, as
tune_cache arguments that carry it out (the rules are in ``advice``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from tools.base import Effect, Risk, Tool, ToolContext
from tools.cache.advice import Advice, advise, tune_arguments
from tools.cache.describe import CacheArgs, render_metrics
from tools.cache.read import CacheMetrics, read_group, read_metrics, read_parameters
from tools.cache.tune import TuneCacheArgs
from tools.catalog import cost_change
from tools.errors import ToolInputError
from tools.kinds import ArgKind, Kind

WORKLOADS = ("kv-cache", "moe-experts")
WORKLOAD_WORDS = {"kv": "kv-cache", "kvcache": "kv-cache", "moe": "moe-experts", "experts": "moe-experts"}
WORKLOAD_SYNONYMS = {
    "kv-cache": ("kv cache", "kv", "key value cache", "key-value cache"),
    "moe-experts": ("moe", "mixture of experts", "experts", "expert weights"),
}


class RecommendCacheTuningArgs(CacheArgs):
    """recommend_cache_tuning's arguments."""

    workload: Annotated[
        Literal["kv-cache", "moe-experts"],
        ArgKind(Kind.ENUM, synonyms=WORKLOAD_SYNONYMS),
        Field(
            description="What the cache holds: kv-cache (attention KV blocks of prompt prefixes) or "
            "moe-experts (mixture-of-experts weight shards fetched by the serving fleet)."
        ),
    ]

    @field_validator("workload", mode="before")
    @classmethod
    def _workload(cls, value: Any) -> str:
        word = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        word = WORKLOAD_WORDS.get(word.replace("-", ""), word)
        if word not in WORKLOADS:
            raise ToolInputError("workload", value, "one of " + ", ".join(WORKLOADS))
        return word


class CacheRecommendation(Advice):
    """recommend_cache_tuning's result; ``tune_cache_args`` are tune_cache's arguments as they are."""

    cache_id: str
    current_node_type: str
    current_replicas_per_node_group: int
    node_groups: int
    metrics: CacheMetrics
    tune_cache_args: dict[str, Any] | None = Field(
        default=None, description="Pass these to tune_cache to carry the advice out; None: nothing to change."
    )


def recommend_run(ctx: ToolContext, args: RecommendCacheTuningArgs) -> CacheRecommendation:
    """Read the group and its last hour and advise for the workload."""
    group = read_group(ctx, args.cache_id)
    metrics = read_metrics(ctx, group)
    advice = advise(group, metrics, read_parameters(ctx, group.parameter_group), args.workload)
    raw = tune_arguments(group.cache_id, group, advice)
    # Round-trip through tune_cache's own model, so the arguments are exactly what it accepts.
    tune_args = TuneCacheArgs.model_validate(raw).model_dump(mode="json", exclude_none=True) if raw else None
    return CacheRecommendation(
        **advice.model_dump(),
        cache_id=group.cache_id,
        current_node_type=group.node_type,
        current_replicas_per_node_group=group.replicas_per_node_group,
        node_groups=group.node_groups,
        metrics=metrics,
        tune_cache_args=tune_args,
    )


def recommend_render(r: CacheRecommendation) -> str:
    """The advice for people, ending with the tune_cache call that applies it."""
    lines = [f"{r.cache_id} as {r.workload}: {render_metrics(r.metrics)}"]
    if not r.recommendations:
        lines.append("no change recommended")
    for rec in r.recommendations:
        lines.append(f"- {rec.setting}: {rec.current} -> {rec.proposed}: {rec.reason}")
    lines.append(f"cost: {cost_change(r.cost_usd_per_hour_before, r.cost_usd_per_hour_after, digits=3)}")
    lines += [f"note: {n}" for n in r.notes]
    if r.tune_cache_args:
        lines.append(f"to apply: tune_cache {r.tune_cache_args}")
    return "\n".join(lines)


RECOMMEND_TOOL = Tool(
    name="recommend_cache_tuning",
    description="Recommend node type, replica count and Valkey parameters for a cache used as LLM KV cache "
    "(kv-cache) or MoE expert cache (moe-experts), with reasons from its metrics, the cost change, and "
    "tune_cache arguments that carry it out.",
    label="recommend cache tuning for a workload",
    phrasings=(
        "(recommend|suggest|advise|propose) [some] [cache] (tuning|changes|settings|config|configuration) "
        "(for|on) [the] {cache_id}",
        "(recommend|suggest|advise) [cache] tuning",
        "(tuning|tune) (advice|recommendations|recommendation|suggestions) (for|on) {cache_id}",
        "how (should|would|could) (i|we|you) tune {cache_id}",
        "what (should|would|could) (i|we|you) change on {cache_id}",
        "what (tuning|changes|settings|config) (would|do|should|could) you (recommend|suggest|propose) [for "
        "{cache_id}]",
        "what would you change (on|for|in) {cache_id}",
        "what (should|would|could|do) (i|we|you) change [on|for|in] [{cache_id}]",
        "(as|for) [a|an] {workload} [cache|workload|caching]",
        "workload {workload}",
        "(review|optimize|optimise|improve) {cache_id}",
    ),
    effect=Effect.READ,
    risk=Risk.READ,
    args_model=RecommendCacheTuningArgs,
    run=recommend_run,
    render=recommend_render,
)
