"""The offline parser's small vocabulary: for each tool the verbs and nouns people use for it.

Everything else the parser knows comes from the tools' JSON schemas (argument names, types,
enums, required fields) and from the instance catalog. A tool without an entry here still works:
its name ("describe_endpoint") gives a verb and nouns.

Weights: a noun ties a request to a resource (2 points), a verb to an action (1), a cue is a
weaker hint (0.5 each, at most 1). ``strong`` verbs are specific enough to act on a bare resource
name ("scale chat-prod to 3"). ``prior`` breaks ties between tools that match equally.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from agent.models.text import stem
from tools.catalog import catalog

ROUTES = ("training", "inference", "cache", "data")


@dataclass(frozen=True)
class ToolWords:
    """How people ask for one tool."""

    domain: str
    label: str
    verbs: tuple[str, ...]
    nouns: tuple[str, ...]
    cues: tuple[str, ...] = ()
    strong: tuple[str, ...] = ()
    prior: float = 0.0


_SHOW = ("list", "show", "what", "which", "get", "display", "enumerate", "any", "all", "are there")
_DESCRIBE = ("describe", "show", "status", "detail", "info", "inspect", "check", "how is", "health", "get")
_DESCRIBE += ("look at", "what is", "state", "what", "which", "how many", "tell me about")
_CREATE = ("create", "launch", "spin up", "provision", "set up", "stand up", "make", "build", "start", "new")
_CREATE += ("bring up", "deploy")
_DELETE = ("delete", "remove", "destroy", "tear down", "teardown", "terminate", "kill", "drop", "get rid of")
_DELETE += ("decommission", "shut down", "shutdown")
_SCALE = ("scale", "resize", "grow", "shrink", "scale up", "scale down", "expand", "increase", "decrease", "add")
_SCALE += ("set",)
_CLUSTER = ("hyperpod", "cluster", "hyperpod cluster")
_JOB = ("training job", "job", "training run", "fine-tuning job")
_ENDPOINT = ("endpoint", "inference endpoint", "sagemaker endpoint")
_CACHE = ("cache", "valkey", "elasticache", "redis", "kv cache", "replication group", "cache cluster")
_PLAN = ("training plan", "plan", "offering", "reserved capacity", "capacity", "reservation", "capacity block")

TOOL_WORDS: dict[str, ToolWords] = {
    "list_hyperpod_clusters": ToolWords("training", "list HyperPod clusters", _SHOW, _CLUSTER, prior=0.05),
    "describe_hyperpod_cluster": ToolWords("training", "describe a HyperPod cluster", _DESCRIBE, _CLUSTER),
    "create_hyperpod_cluster": ToolWords(
        "training",
        "create a HyperPod cluster",
        _CREATE,
        _CLUSTER,
        cues=("slurm", "eks", "lifecycle", "orchestrator", "instance group", "node"),
        prior=0.1,
    ),
    "scale_hyperpod_cluster": ToolWords(
        "training",
        "scale a HyperPod instance group",
        _SCALE,
        (*_CLUSTER, "instance group", "node group"),
        cues=("worker", "workers", "group", "node"),
        strong=("scale", "resize", "grow", "shrink"),
        prior=0.05,
    ),
    "delete_hyperpod_cluster": ToolWords("training", "delete a HyperPod cluster", _DELETE, _CLUSTER, prior=0.05),
    "launch_training_job": ToolWords(
        "training",
        "launch a training job",
        ("launch", "start", "run", "submit", "kick off", "create", "train", "fine-tune", "finetune", "pretrain"),
        _JOB,
        cues=("image", "input", "output", "runtime", "epoch"),
        strong=("train", "fine-tune", "finetune", "pretrain"),
        prior=0.05,
    ),
    "describe_training_job": ToolWords(
        "training",
        "describe a training job",
        (*_DESCRIBE, "progress"),
        _JOB,
        cues=("going", "progress", "loss", "epoch"),
    ),
    "stop_training_job": ToolWords(
        "training",
        "stop a training job",
        ("stop", "cancel", "halt", "abort", "kill", "terminate", "interrupt"),
        (*_JOB, "training"),
        strong=("stop", "cancel", "halt", "abort"),
        prior=0.05,
    ),
    "search_training_plans": ToolWords(
        "training",
        "search training plan offerings",
        ("search", "find", "look for", "list", "show", "available", "what", "which", "are there", "get"),
        _PLAN,
        cues=("duration", "flexible", "week"),
        prior=0.05,
    ),
    "purchase_training_plan": ToolWords(
        "training",
        "purchase a training plan",
        ("purchase", "buy", "reserve", "book", "order", "accept"),
        _PLAN,
        strong=("purchase", "buy"),
        prior=0.05,
    ),
    "recommend_inference_instance": ToolWords(
        "inference",
        "recommend an inference instance for a model",
        (
            "recommend",
            "suggest",
            "size",
            "sizing",
            "fit",
            "hold",
            "choose",
            "pick",
            "advise",
            "need",
            "should",
            "cheapest",
            "which instance",
            "what instance",
            "fits",
        ),
        (
            "instance type",
            "hardware",
            "accelerator",
            "sizing",
            "model size",
            "endpoint instance",
            "inference instance",
            "instance for",
        ),
        cues=("model", "context", "concurrent", "concurrency", "user", "dtype", "parameter", "serve", "instance"),
        strong=("recommend", "suggest", "sizing", "fit", "hold"),
        prior=0.05,
    ),
    "create_inference_endpoint": ToolWords(
        "inference",
        "create an inference endpoint",
        (*_CREATE, "host", "serve"),
        _ENDPOINT,
        cues=("model", "image", "weights"),
        prior=0.1,
    ),
    "list_endpoints": ToolWords("inference", "list endpoints", _SHOW, _ENDPOINT, prior=0.05),
    "describe_endpoint": ToolWords("inference", "describe an endpoint", _DESCRIBE, _ENDPOINT),
    "scale_endpoint": ToolWords(
        "inference",
        "scale an endpoint",
        _SCALE,
        _ENDPOINT,
        cues=("instance", "capacity"),
        strong=("scale", "resize", "grow", "shrink"),
        prior=0.2,
    ),
    "delete_endpoint": ToolWords("inference", "delete an endpoint", _DELETE, _ENDPOINT, prior=0.05),
    "describe_cache": ToolWords(
        "cache",
        "describe a cache (hit rate, evictions, memory)",
        (*_DESCRIBE, "monitor"),
        _CACHE,
        cues=("hit rate", "hit ratio", "eviction", "memory", "metric", "stats", "usage", "cloudwatch"),
        prior=0.05,
    ),
    "recommend_cache_tuning": ToolWords(
        "cache",
        "recommend cache tuning for a workload",
        ("recommend", "suggest", "advise", "how should", "optimize", "optimise", "improve", "what should", "review"),
        (*_CACHE, "tuning", "recommendation", "advice"),
        cues=("workload", "should", "moe", "expert", "kv-cache"),
    ),
    "tune_cache": ToolWords(
        "cache",
        "tune a cache (node type, replicas, parameters)",
        (
            "tune",
            "set",
            "change",
            "modify",
            "update",
            "apply",
            "resize",
            "scale",
            "switch",
            "upgrade",
            "increase",
            "give",
        ),
        (*_CACHE, "node type", "parameter group", "maxmemory-policy", "maxmemory policy"),
        cues=("replica", "policy", "parameter"),
        strong=("tune",),
        prior=0.05,
    ),
    "query_s3_metadata": ToolWords(
        "data",
        "query S3 Metadata (objects by prefix, size, date, class, tags)",
        ("find", "which", "list", "show", "query", "search", "what", "count", "get", "look for", "locate", "how many"),
        ("object", "file", "key", "s3 object", "shard", "document", "metadata", "s3 metadata"),
        cues=("bucket", "prefix", "added", "modified", "uploaded", "larger", "bigger", "storage class", "tagged"),
        prior=0.05,
    ),
    "enable_s3_metadata": ToolWords(
        "data",
        "enable S3 Metadata on a bucket",
        ("enable", "turn on", "activate", "configure", "set up", "create", "start"),
        ("metadata", "s3 metadata", "metadata table", "metadata configuration"),
        cues=("bucket", "journal", "inventory"),
        prior=0.05,
    ),
    "estimate_cost": ToolWords(
        "cost",
        "estimate the cost of instances",
        ("estimate", "what would", "what does", "what will", "calculate", "quote", "what is"),
        ("cost", "price", "pricing", "spend", "expensive", "budget", "per hour", "dollar", "how much"),
        prior=0.15,
    ),
}

# Words that point at a domain even without an action: they decide the route of questions.
DOMAIN_HINTS: dict[str, tuple[str, ...]] = {
    "training": ("hyperpod", "slurm", "training", "train", "pretrain", "pretraining", "fine-tune", "trainium"),
    "inference": (
        *("inference", "endpoint", "serve", "serving", "inferentia", "latency", "deploy", "model", "context"),
        *("concurrent", "concurrency", "llm"),
    ),
    "cache": ("cache", "valkey", "elasticache", "redis", "kv cache", "memcached", "maxmemory", "eviction", "hit rate"),
    "data": (
        *("s3", "bucket", "object", "metadata", "dataset", "corpus", "parquet", "prefix", "storage class", "file"),
        *("data", "changed", "added", "modified", "uploaded"),
    ),
}

# Enum values as people say them; keys are enum values lower-cased without "-" and "_".
ENUM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "bf16": ("bfloat16", "bf16", "brain float"),
    "fp16": ("float16", "fp16", "half precision"),
    "fp32": ("float32", "fp32", "full precision"),
    "fp8": ("float8", "fp8", "8-bit float"),
    "int8": ("int8", "8-bit", "8 bit", "8bit"),
    "int4": ("int4", "4-bit", "4 bit", "4bit"),
    "kvcache": ("kv cache", "kv-cache", "kvcache", "key value cache", "key-value cache", "kv"),
    "moeexperts": ("moe experts", "moe", "mixture of experts", "experts", "expert weights", "expert"),
    "eks": ("eks", "kubernetes", "k8s"),
    "slurm": ("slurm",),
    "standard": ("standard",),
    "standardia": ("standard-ia", "standard ia", "infrequent access"),
    "onezoneia": ("onezone-ia", "one zone", "one-zone"),
    "intelligenttiering": ("intelligent-tiering", "intelligent tiering"),
    "glacier": ("glacier", "glacier flexible retrieval"),
    "glacierir": ("glacier-ir", "glacier instant retrieval", "glacier instant"),
    "deeparchive": ("deep archive", "deep-archive", "glacier deep archive"),
}

# Values a free-text field takes when its schema gives no enum.
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "dtype": ("bf16", "fp16", "fp32", "fp8", "int8", "int4"),
    "storage_class": ("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR"),
    "workload": ("kv-cache", "moe-experts"),
    "orchestrator": ("slurm", "eks"),
}

# What a count field counts, as people say it.
COUNT_UNITS: dict[str, tuple[str, ...]] = {
    "instance": ("instance", "node", "machine", "host", "server", "box", "worker", "accelerator instance"),
    "replica": ("replica", "read replica", "replicas"),
}

# Words near an s3:// URI that say which argument it is ("input", "output", "model", "lifecycle").
S3_FIELD_CUES: dict[str, tuple[str, ...]] = {
    "input": ("data", "dataset", "from", "read", "train on", "corpus", "training data"),
    "output": ("to", "write", "save", "result", "store", "checkpoint", "artifacts go"),
    "model": ("model", "weights", "artifact", "from"),
    "lifecycle": ("lifecycle", "script", "setup", "bootstrap"),
}

# File kinds people name, as the content types S3 records for them.
FILE_TYPES: dict[str, str] = {
    "parquet": "application/vnd.apache.parquet",
    "json": "application/json",
    "jsonl": "application/jsonl",
    "ndjson": "application/jsonl",
    "csv": "text/csv",
    "txt": "text/plain",
    "text": "text/plain",
    "safetensors": "application/x-safetensors",
    "arrow": "application/x-arrow",
    "yaml": "application/yaml",
    "tar": "application/x-tar",
    "gzip": "application/gzip",
    "zstd": "application/zstd",
}

# Words that are never a resource name.
_STOP_TEXT = """a an the this that these those my our your their its it me us i we you please pls now new
    existing current same old all every each some any of for to in on at by with from into onto as is
    are be was were and or but not no yes named called name call id with using use via per up down
    off out over under than more less most least about around after before since until what which who
    how why when where there here can could would should will shall may might must do does did done
    have has had get set run make let lets let's want need like just also then only one instead again
    big small large huge tiny gpu gpus cpu cpus ml aws amazon sagemaker ec2 group instance nodes node
    instances replicas replica cost costs hours hour days day weeks week today yesterday ok okay
    thanks thank doing going so because keeps keep paying running quick plz see tell know help try look
    first second third fourth last next previous 1st 2nd 3rd 4th"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

CANCEL_PHRASES = ("cancel", "never mind", "nevermind", "forget it", "abort", "stop", "no thanks", "nothing")


def words_for(tool_name: str) -> ToolWords:
    """The tool's vocabulary, or one made from its name ("describe_endpoint" -> describe, endpoint)."""
    if tool_name in TOOL_WORDS:
        return TOOL_WORDS[tool_name]
    verb, *rest = tool_name.split("_")
    return ToolWords("unknown", tool_name.replace("_", " "), (verb,), tuple(rest) or (verb,))


@cache
def instance_families() -> dict[str, str]:
    """Instance family -> route, from the catalog ("trn2" -> training, "p6-b200" -> inference)."""
    rank = {"inference": 0, "training": 1, "hyperpod": 1, "cache": 2, "ec2": 3}
    best: dict[str, tuple[int, str]] = {}
    for row in catalog().instances:
        parts = row.name.split(".")
        family = parts[1] if parts[0] in ("ml", "cache") else parts[0]
        for use in row.uses:
            route = {"hyperpod": "training", "ec2": "training"}.get(use, use)
            if family not in best or rank[use] < best[family][0]:
                best[family] = (rank[use], route)
    return {family: route for family, (_, route) in best.items()}


@cache
def all_nouns() -> tuple[str, ...]:
    """Every tool noun phrase, for longest-match decisions."""
    return tuple(dict.fromkeys(n for w in TOOL_WORDS.values() for n in w.nouns))


@cache
def known_words() -> frozenset[str]:
    """Every vocabulary word: a known word is never read as a typo of another one."""
    words: set[str] = set(STOP_WORDS)
    for w in TOOL_WORDS.values():
        for phrase in (*w.verbs, *w.nouns, *w.cues):
            words.update(phrase.split())
    for hints in DOMAIN_HINTS.values():
        for phrase in hints:
            words.update(phrase.split())
    for synonyms in ENUM_SYNONYMS.values():
        for phrase in synonyms:
            words.update(phrase.split())
    words.update(("last", "past", "since", "week", "month", "year", "older", "newer", "larger", "smaller"))
    words.update(("bigger", "greater", "than", "least", "limit", "top", "first", "context", "token", "tokens"))
    words.update(("concurrent", "users", "user", "model", "models", "params", "parameters", "billion"))
    words.update(("tag", "tags", "tagged", "type", "count", "replicas", "policy", "to", "it"))
    return frozenset(words | {stem(w) for w in words})
