"""The offline model's grammar, derived from the toolsets: tools, phrasings, kinds, routes, nouns.

Nothing here is written per tool: each tool's argument kinds come from its schema, its phrasings
and label from its declaration, its route from its toolset, and the nouns of each resource kind
from the toolsets' ``Resource`` entries. Adding a tool to a toolset adds it to the grammar.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from agent.models.lexicon import FILLER, SPELLINGS, STOP_WORDS
from agent.models.phrasing import Compiled, compile_phrasing
from agent.models.schema import ToolSpec
from agent.models.text import stem

if TYPE_CHECKING:
    from tools.base import Tool, Toolset

EFFECT_RANK = {"read": 2, "write": 1, "destructive": 0}  # on a tie, the read wins
SPECIFIC = 2  # a phrasing word used by at most this many tools says what the message is about


@dataclass(frozen=True)
class Declared:
    """One tool as the grammar sees it."""

    name: str
    route: str | None  # None for a shared tool (it joins every specialist)
    effect: str
    label: str
    spec: ToolSpec
    phrasings: tuple[Compiled, ...]
    services: tuple[str, ...] = ()
    risk: str = "read"
    description: str = ""  # what its instance-type arguments are for ("training", "cache")
    advised_by: str | None = None  # a read whose result proposes this tool's arguments

    @property
    def is_write(self) -> bool:
        """True for write and destructive tools."""
        return self.effect != "read"


@dataclass
class Grammar:
    """Every declared tool of the toolsets, with what the parser needs to read requests for them."""

    tools: dict[str, Declared] = field(default_factory=dict)
    routes: tuple[str, ...] = ()
    nouns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # resource kind -> nouns
    keywords: dict[str, tuple[str, ...]] = field(default_factory=dict)  # route -> domain words
    focuses: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # route -> focus -> tools

    @classmethod
    def of(cls, toolsets: Sequence[Toolset]) -> Grammar:
        """The grammar of ``toolsets``."""
        g = cls()
        routes: list[str] = []
        for ts in toolsets:
            if not ts.shared:
                routes.append(ts.route)
                g.keywords[ts.route] = tuple(ts.keywords)
                if ts.focuses:
                    g.focuses[ts.route] = {k: tuple(v) for k, v in ts.focuses.items()}
            for res in ts.resources:
                g.nouns[res.kind] = tuple(dict.fromkeys((*g.nouns.get(res.kind, ()), *res.nouns)))
            for tool in ts.tools:
                g.tools[tool.name] = _declared(tool, None if ts.shared else ts.route)
        g.routes = tuple(routes)
        # A kind no toolset describes is still called by its own name: "training_job" -> "training job", "job".
        for d in g.tools.values():
            for f in d.spec.fields:
                if f.of and f.kind in ("name", "id") and f.of not in g.nouns:
                    words = f.of.split("_")
                    g.nouns[f.of] = tuple(dict.fromkeys((" ".join(words), words[-1])))
        return g

    @cached_property
    def spread(self) -> dict[str, int]:
        """For each phrasing word, how many tools use it: "delete" is specific, "show" is not."""
        count: dict[str, int] = {}
        for d in self.tools.values():
            for w in {w for p in d.phrasings for w in p.words}:
                count[w] = count.get(w, 0) + 1
        return count

    @cached_property
    def domain_words(self) -> dict[str, frozenset[str]]:
        """Route -> the words of its keywords (stemmed too): "evictions" belongs to the cache domain."""
        out = {}
        for route, kws in self.keywords.items():
            words = {w for kw in kws for w in kw.split()}
            out[route] = frozenset(words | {stem(w) for w in words})
        return out

    @cached_property
    def descriptive(self) -> frozenset[str]:
        """Domain keywords and resource nouns: words that say what kind of thing, never which one."""
        words = {w for nouns in self.nouns.values() for n in nouns for w in n.split()}
        return frozenset(words | {w for kws in self.keywords.values() for kw in kws for w in kw.split()})

    @cached_property
    def anchors(self) -> frozenset[str]:
        """Words that tie a message to this grammar on their own: resource nouns, domain keywords,
        and phrasing words few tools share."""
        words = {w for nouns in self.nouns.values() for n in nouns for w in n.split()}
        words |= {w for kws in self.keywords.values() for kw in kws for w in kw.split()}
        words |= {w for w, n in self.spread.items() if n <= SPECIFIC}
        return frozenset(words - FILLER)

    def route_of(self, tool: str) -> str | None:
        """The route of a tool (None for a shared tool or an unknown one)."""
        declared = self.tools.get(tool)
        return declared.route if declared else None

    def focus_of(self, tool: str) -> str | None:
        """The focus of a tool inside its route, if the route has focuses."""
        route = self.route_of(tool)
        for focus, names in self.focuses.get(route or "", {}).items():
            if tool in names:
                return focus
        return None

    def routes_for_service(self, uses: Sequence[str]) -> list[str]:
        """Routes whose tools take instance types for one of ``uses`` (the catalog's "uses")."""
        out = []
        for d in self.tools.values():
            if d.route and d.route not in out and set(d.services) & set(uses):
                out.append(d.route)
        return out

    @cached_property
    def known(self) -> frozenset[str]:
        """Every word of the grammar: never read as a resource name, nor as a typo of another word."""
        words: set[str] = set(FILLER) | set(STOP_WORDS) | set(self.routes)
        for d in self.tools.values():
            for p in d.phrasings:
                words.update(p.words)
            words.update(d.name.split("_"))
        for nouns in self.nouns.values():
            for noun in nouns:
                words.update(noun.split())
        for kws in self.keywords.values():
            for kw in kws:
                words.update(kw.split())
        # Enum values and how people spell them ("moe", "bf16", "glacier") are values, not names.
        for d in self.tools.values():
            for f in d.spec.of_kind("enum"):
                for value in (*map(str, f.enum), *f.synonyms, *(w for forms in f.synonyms.values() for w in forms)):
                    words.update(value.lower().replace("_", " ").replace("-", " ").split())
        for forms in SPELLINGS.values():
            for form in forms:
                words.update(form.split())
        return frozenset(words | {stem(w) for w in words})


def _declared(tool: Tool, route: str | None) -> Declared:
    spec = ToolSpec.from_openai({"name": tool.name, "description": tool.description, "parameters": tool.json_schema()})
    services = tuple(dict.fromkeys(f.of for f in spec.of_kind("instance_type") if f.of))
    return Declared(
        name=tool.name,
        route=route,
        effect=str(tool.effect),
        label=tool.label or tool.name.replace("_", " "),
        risk=str(tool.risk),
        description=tool.description,
        spec=spec,
        phrasings=tuple(compile_phrasing(p) for p in tool.phrasings),
        services=services,
        advised_by=tool.advised_by,
    )
