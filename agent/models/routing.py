"""The supervisor's decision: which specialist (training, inference, cache, data) or none.

Every tool's vocabulary votes for its domain, helped by domain words ("hyperpod", "valkey",
"s3") and by the instance families mentioned (trn2 and p5en train, inf2 and p6-b200 serve,
r7g caches; the catalog says which is which). A cost question goes where its instance family
belongs. A request with no noun, no domain word and no specific verb is outside opsbot's domain.
"""

from __future__ import annotations

from agent.models.intent import command_tool, name_tokens_left, vocab_score
from agent.models.text import Utterance
from agent.models.values import find_instance_types, find_uris
from agent.models.vocabulary import DOMAIN_HINTS, ROUTES, TOOL_WORDS, instance_families, words_for

HINT = 0.6
THRESHOLD = 1.5


def family_of(instance_type: str) -> str:
    """ "ml.trn2.48xlarge" -> "trn2"; "cache.r7g.large" -> "r7g"."""
    parts = instance_type.lower().split(".")
    return parts[1] if parts[0] in ("ml", "cache") and len(parts) > 2 else parts[0]


def family_routes(u: Utterance) -> list[str]:
    """Routes of the instance families mentioned, in order of mention."""
    families = instance_families()
    routes = [families.get(family_of(s.value)) for s in find_instance_types(u.low)]
    return [r for r in routes if r]


def domain_hints(u: Utterance) -> dict[str, float]:
    """Evidence for each route that does not depend on the action asked for."""
    hints = dict.fromkeys(ROUTES, 0.0)
    for route, phrases in DOMAIN_HINTS.items():
        hints[route] += HINT * min(2, sum(1 for p in phrases if u.has(p)))
    for route in dict.fromkeys(family_routes(u)):
        hints[route] += HINT
    if find_uris(u.raw):
        hints["data"] += HINT
    # Resource names often say what they are: "kv-cache-1", "llama8b-inf2", "training-data".
    singles = {w: r for r, phrases in DOMAIN_HINTS.items() for w in phrases if " " not in w}
    singles |= instance_families()
    for t in u.tokens:
        parts = t.low.replace("_", "-").split("-")
        if len(parts) > 1 and "://" not in t.low:
            for route in dict.fromkeys(singles[p] for p in parts if p in singles):
                hints[route] += HINT
    return hints


def tool_domain(tool: str) -> str:
    """The domain of a tool: from the vocabulary, else from the registry."""
    domain = words_for(tool).domain
    if domain != "unknown":
        return domain
    try:
        from tools.registry import get_tool

        return get_tool(tool).domain
    except Exception:  # an unknown tool has no route; the caller treats that as "none"
        return "none"


def cost_route(u: Utterance, args: dict[str, object] | None = None) -> str:
    """Where a cost question goes: the family of the instance it names, else the strongest domain."""
    routes = family_routes(u)
    if not routes and args and isinstance(args.get("instance_type"), str):
        routes = [r for r in [instance_families().get(family_of(str(args["instance_type"])))] if r]
    if routes:
        return routes[0]
    hints = domain_hints(u)
    best = max(ROUTES, key=lambda r: hints[r])
    return best if hints[best] > 0 else "training"


def strong_request(u: Utterance) -> bool:
    """A complete request on its own: a command, or an action with its resource ("delete endpoint X")."""
    if command_tool(u, list(TOOL_WORDS)):
        return True
    return any((s := vocab_score(u, tool)).verb and s.noun for tool in TOOL_WORDS)


def route(u: Utterance) -> tuple[str, str]:
    """(route, reason) for a request; route is "none" when it is not opsbot's business."""
    command = command_tool(u, list(TOOL_WORDS))
    if command:
        domain = tool_domain(command)
        return (cost_route(u) if domain == "cost" else domain), f"explicit command {command}"
    hints = domain_hints(u)
    has_name = name_tokens_left(u)
    best: tuple[float, str, str, float] = (0.0, "none", "", 0.0)
    for tool in TOOL_WORDS:
        domain = words_for(tool).domain
        if domain == "cost":
            continue
        s = vocab_score(u, tool)
        if not (s.noun or (s.strong and (has_name or hints[domain] > 0)) or (s.verb and hints[domain] > 0)):
            continue
        total = s.total + hints[domain] + (0.5 if s.strong and has_name else 0.0)
        if total > best[0]:
            best = (total, domain, tool, s.total)
    cost = vocab_score(u, "estimate_cost")
    if cost.noun and cost.total >= best[3]:
        return cost_route(u), "a cost question, routed by its instance family"
    if best[0] >= THRESHOLD:
        return best[1], f"asks to {words_for(best[2]).label}"
    top = max(ROUTES, key=lambda r: hints[r])
    if hints[top] >= 2 * HINT:
        return top, f"mentions {top} resources"
    return "none", "not a request about LLM training, inference, caches or training data on AWS"


def focus(u: Utterance, focuses: dict[str, tuple[str, ...]]) -> str:
    """The focus whose tools the request's words fit best (an explicit command decides)."""
    owner = {tool: name for name, tools in focuses.items() for tool in tools}
    command = command_tool(u, list(TOOL_WORDS))
    if command in owner:
        return owner[command]
    best = max(owner, key=lambda tool: vocab_score(u, tool).total)
    return owner[best]
