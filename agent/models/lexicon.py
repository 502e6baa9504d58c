"""General language the offline model needs besides the tool declarations.

Nothing here names a tool or ties a word to one: these are the words of chat itself (fillers,
pronouns, determiners), how people spell a few value kinds (count units, file kinds, dtypes), and
the words that say what a value is for (an S3 URI's role). Which tool a request is for comes
only from the declared phrasings and argument kinds.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """A set of words written as one block of text."""
    return frozenset(text.split())


# Tokens that carry no content in a request: a phrasing may skip them anywhere at no cost.
FILLER = _words(
    """
    a an the this that these those my our your their its me us we you i please pls plz kindly hey hi
    hello yo folks team all now asap quickly quick real just also then so ok okay right thanks thank
    thx cheers for to of on in at by with from into up down some any there here can could would will
    should shall may might must do does did let lets let's want wanna need like go ahead and or but
    also again too very really actually instead currently please currently same one ones is are be
    been being was were am it them it's what's whats over there via using use
    """
)

# Words that are never a resource name on their own.
STOP_WORDS = _words(
    """
    a an the this that these those my our your their its it me us i we you please pls now new
    existing current same old all every each some any of for to in on at by with from into onto as
    is are be was were and or but not no yes named called name call id with using use via per up
    down off out over under than more less most least about around after before since until what
    which who how why when where there here can could would should will shall may might must do does
    did done have has had get set run make let lets let's want need like just also then only one
    instead again big small large huge tiny gpu gpus cpu cpus ml aws amazon sagemaker ec2 group
    instance nodes node instances replicas replica cost costs hours hour days day weeks week today
    yesterday ok okay thanks thank doing going so because keeps keep paying running quick plz see
    tell know help try look first second third fourth last next previous 1st 2nd 3rd 4th cheapest
    latest newest oldest biggest smallest safe sure healthy status them they he she his her him is
    isn't fine good bad enough plenty great better much many tonight tomorrow weekend asap rn
    morning evening afternoon night lol idk whatever thing things stuff something anything
    everything nothing
    """
)

# Words in front of a name that only point at it ("the", "our", "that").
DETERMINERS = frozenset(["a", "an", "the", "this", "that", "these", "those", "my", "our", "your", "their", "its"])
# Words that introduce a name: "named demo", "called demo", "the one called demo".
NAMING = frozenset(("named", "called", "name", "id"))
# A resource mentioned by reference: "it", "that one", "the same".
PRONOUNS = frozenset(("it", "that", "this", "them", "those", "these", "one", "same", "its"))

# What a count counts, as people say it (a declared unit, then its synonyms).
COUNT_UNITS: dict[str, tuple[str, ...]] = {
    "instance": ("instance", "node", "machine", "host", "server", "box", "worker", "accelerator"),
    "node": ("node", "instance", "machine", "host", "server", "box", "worker"),
    "replica": ("replica", "read replica", "copy", "copie"),
    "user": ("user", "request", "session", "stream", "client", "sequence", "concurrent", "concurrent user"),
    "sequence": ("sequence", "user", "request", "session", "stream", "client", "concurrent", "concurrent user"),
}

# Words near an s3:// URI that say which role it plays ("input", "output", "model", "lifecycle").
S3_ROLE_CUES: dict[str, tuple[str, ...]] = {
    "input": ("input", "data", "dataset", "from", "read", "train on", "corpus", "training data"),
    "output": ("output", "to", "write", "save", "result", "store", "checkpoint", "artifacts go"),
    "model": ("model", "weights", "artifact", "from", "serve", "deploy"),
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

# Common spellings of enum values (keys: the value lower-cased without "-", "_" and blanks).
# A declaration's own ``synonyms`` come first; these cover what every ML team writes.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "bf16": ("bfloat16", "bf16", "brain float"),
    "fp16": ("float16", "fp16", "half precision"),
    "fp32": ("float32", "fp32", "full precision"),
    "fp8": ("float8", "fp8", "8-bit float"),
    "int8": ("int8", "8-bit", "8 bit", "8bit"),
    "int4": ("int4", "4-bit", "4 bit", "4bit"),
    "kvcache": ("kv cache", "kv-cache", "kvcache", "key value cache", "key-value cache", "kv"),
    "moeexperts": ("moe experts", "moe", "mixture of experts", "experts", "expert weights", "expert"),
    "eks": ("eks", "kubernetes", "k8s"),
    "standardia": ("standard-ia", "standard ia", "infrequent access"),
    "onezoneia": ("onezone-ia", "one zone", "one-zone"),
    "intelligenttiering": ("intelligent-tiering", "intelligent tiering"),
    "glacierir": ("glacier-ir", "glacier instant retrieval", "glacier instant"),
    "deeparchive": ("deep archive", "deep-archive", "glacier deep archive"),
}

# Superlatives that pick one item of a listed result, and the direction they sort in.
SUPERLATIVES: dict[str, tuple[str, bool]] = {
    "cheapest": ("price", False),
    "least expensive": ("price", False),
    "lowest": ("price", False),
    "priciest": ("price", True),
    "most expensive": ("price", True),
    "earliest": ("start", False),
    "soonest": ("start", False),
    "latest": ("start", True),
    "biggest": ("size", True),
    "largest": ("size", True),
    "smallest": ("size", False),
}
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "last": -1}

# Quantities that are no number: asked back rather than guessed.
VAGUE = ("a few", "several", "some", "a bunch of", "a handful of", "more", "fewer", "a lot of", "lots of")

# Words that say which way a relative change of a count goes ("add 2", "remove a node", "2 fewer").
INCREASE = frozenset(("add", "plus", "+", "increase", "grow", "raise", "bump", "expand", "up", "another", "extra"))
DECREASE = frozenset(("remove", "drop", "minus", "subtract", "decrease", "reduce", "shrink", "lower", "cut", "down"))
MORE = frozenset(("more", "extra", "additional"))
FEWER = frozenset(("fewer", "less"))
# Multipliers people say instead of a number: "double it", "triple chat-prod", "halve the replicas".
FACTORS: dict[str, float] = {"double": 2.0, "twice": 2.0, "triple": 3.0, "quadruple": 4.0, "halve": 0.5, "half": 0.5}
