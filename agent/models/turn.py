"""One message read by the offline model: route it, or answer it with a call, a question or an error.

In order: an answer to opsbot's open question continues that call; an explicit command is read by
the argument models; otherwise every bound tool's phrasings are aligned with the message
(``agent.models.reading``). A message that leans on the thread ("make it 3", "same but with 6
nodes", "what about llama8b-inf2?") is also read as a change to the last call, and that reading
wins when it explains the message better. Then: a value no argument can hold is a one-line
error; a vague one ("a few") or a missing one is asked for; readings that tie but mean different
resources are offered as a choice; a complete reading is the tool call.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agent.models import dialogue
from agent.models.acts import REFERS as _REFERS
from agent.models.acts import read_act
from agent.models.align import is_filler
from agent.models.answers import after_correction, answer_fills, pick_choice
from agent.models.extras import fill_rest
from agent.models.grammar import Declared, Grammar
from agent.models.reader_act import act_of
from agent.models.reading import Candidate, Reader, read, tied
from agent.models.scene import Scene, context_of
from agent.models.schema import ToolSpec
from agent.models.slots import Fill, looks_like_name
from agent.models.text import Utterance, stem
from agent.models.values import family_of, instance_families

# Words of a follow-up that carry no value: "actually make it 3", "same but with 6 nodes".
_FOLLOW_WORDS = {"make", "change", "same", "but", "instead", "actually", "rather", "what", "about", "how", "again"}
_FOLLOW_WORDS |= {"do", "for", "also", "too", "well", "as", "no", "nah", "wait", "sorry", "oops", "mean", "meant", "i"}
_FOLLOW_WORDS |= {"set", "use", "go", "with", "only", "then", "one", "other", "the", "it", "that", "this", "thing"}


def respond(messages: list[BaseMessage], bound: list[dict[str, Any]], g: Grammar, now: datetime) -> AIMessage:
    """The offline model's reply to ``messages`` with the OpenAI-format tools ``bound``."""
    msgs = dialogue.visible(messages)
    ctx = context_of(messages)
    scene = Scene(
        now=now,
        names={str(k): list(v) for k, v in (ctx.get("names") or {}).items()},
        nouns=g.nouns,
        memory=dict(ctx.get("memory") or {}),
        act=ctx.get("act"),
        known=g.known,
        listed=dict(ctx.get("listed") or {}),
        descriptive=g.descriptive,
        domain_words=g.domain_words,
    )
    h = dialogue.last_human(msgs)
    text = dialogue.text_of(msgs[h]) if h is not None else ""
    names = [t.get("function", t).get("name", "") for t in bound]
    if names == [dialogue.ROUTE_TOOL]:
        return Turn(messages, msgs, g, scene, list(g.tools.values()), text).route()
    results = dialogue.trailing_results(msgs)
    if results:
        return dialogue.summary(results)
    tools = [g.tools.get(n) or _undeclared(t) for n, t in zip(names, bound, strict=True)]
    if h is None or not tools:
        return dialogue.unsupported(text, tools)
    return Turn(messages, msgs, g, scene, tools, text).reply()


def _undeclared(tool: dict[str, Any]) -> Declared:
    """A bound tool the grammar does not know: reachable by explicit command only."""
    spec = ToolSpec.from_openai(tool)
    return Declared(spec.name, None, "write", spec.name.replace("_", " "), spec, ())


class Turn:
    """The reading of one message against some tools."""

    def __init__(
        self,
        messages: list[BaseMessage],
        msgs: list[BaseMessage],
        g: Grammar,
        scene: Scene,
        tools: list[Declared],
        text: str,
    ) -> None:
        self.messages, self.msgs, self.g, self.scene, self.tools = messages, msgs, g, scene, tools
        self.by_name = {d.name: d for d in tools}
        self.text = text
        self.u = Utterance.of(text, g.known)
        self.answer_u = Utterance.of(after_correction(text), g.known)
        self.asked = scene.memory.get("asked") or dialogue.pending_clarify(msgs)

    # ------------------------------------------------------------------ routing
    def route(self) -> AIMessage:
        """The supervisor's decision: the route of the best reading, or none."""
        route, reason, focus = self._route()
        return dialogue.route_message(self.messages, route, reason, focus)

    def _route(self) -> tuple[str, str, str | None]:
        if self._answers_question():
            tool = self._asked_tool()
            if tool is not None:
                args = dict((self.asked or {}).get("args") or {})
                d = self.g.tools.get(tool)
                if d is not None:  # the answer may say where a shared tool's question belongs ("inf2.xlarge")
                    missing = list((self.asked or {}).get("missing") or [])
                    got = answer_fills(self.answer_u, d, missing, self.scene, args)
                    args |= {k: f.value for k, f in got.items() if f.value is not None}
                return self._route_of(tool, args) or "none", "answers opsbot's question", self.g.focus_of(tool)
            return "none", "an answer that picks none of the choices", None
        best = self.best()
        if best is not None:
            settled = self._ambiguity(best, everywhere_only=True)
            if isinstance(settled, Candidate):
                best = settled
            route = self._route_of(best.tool.name, best.args)
            if route:
                return route, f"asks to {best.tool.label}", self.g.focus_of(best.tool.name)
        for route, words in self.g.keywords.items():
            if any(self.u.has(w) for w in words):
                return route, f"mentions {route}", None
        # A resource of the account is named ("restart chat-prod"): its specialist says what it can do.
        for t in self.u.tokens:
            for kind in self.scene.kinds_of_name(t.raw):
                owner = next(
                    (d.route for d in self.tools if d.route and any(f.of == kind for f in d.spec.fields)), None
                )
                if owner:
                    return owner, f"names the {kind.replace('_', ' ')} {t.raw}", None
        return "none", "not a request about what opsbot does", None

    def _asked_tool(self) -> str | None:
        asked = self.asked or {}
        if asked.get("tool"):
            return str(asked["tool"])
        choices = list(asked.get("choices") or [])
        index = pick_choice(self.u, choices, self.g.nouns) if choices else None
        return str(choices[index]["tool"]) if index is not None else None

    def _route_of(self, tool: str, args: dict[str, Any]) -> str | None:
        route = self.g.route_of(tool)
        if route:
            return route
        if tool not in self.g.tools:
            return None
        # A shared tool (cost) goes where its instance type belongs, else where the thread is.
        for value in args.values():
            if isinstance(value, str) and "." in value:
                uses = instance_families().get(family_of(value), ())
                routes = self.g.routes_for_service(uses)
                if routes:
                    return routes[0]
        last = self.scene.memory.get("route")
        if last in self.g.routes:
            return str(last)
        for route, words in self.g.keywords.items():
            if any(self.u.has(w) for w in words):
                return route
        return self.g.routes[0] if self.g.routes else None

    # -------------------------------------------------------------------- reply
    def reply(self) -> AIMessage:
        """The specialist's answer to the message."""
        if self._answers_question():
            return self._continue()
        best = self.best()
        if best is None:
            return dialogue.unsupported(self.text, self.tools)
        settled = self._ambiguity(best)
        if isinstance(settled, AIMessage):
            return settled
        return self._finish(settled)

    def _answers_question(self) -> bool:
        if not self.asked:
            return False
        if self.scene.act is not None:
            return self.scene.act == "answer"
        # Without the graph (a model used on its own), read the act the way the graph does.
        memory = {**self.scene.memory, "asked": self.asked}
        return act_of(self.text, memory, self.g, self.scene).reading.act == "answer"

    def best(self) -> Candidate | None:
        """The best reading of the message: a phrasing match, or a change to the last call."""
        found = self._focus_first(read(self.u, self.tools, self.scene, self.g.anchors))
        self.candidates = found
        top = found[0] if found else None
        if top is not None and top.explicit:
            return top
        change = self._change_of_last_call()
        if change is None:
            return top or self._bare_name()
        if top is None or _incomplete(top) or change.unexplained < top.unexplained:
            self.candidates = [change]
            return change
        return top

    def _focus_first(self, found: list[Candidate]) -> list[Candidate]:
        """Among readings that tie, those that act on the kind of resource the thread is about come first:
        "add 2 more" after looking at chat-prod scales the endpoint, not a cluster."""
        kind = (self.scene.focus or {}).get("kind")
        top = tied(found)
        if not kind or len(top) < 2:
            return found
        fit = [c for c in top if any(s.kind == "name" and not s.new and s.of == kind for s in c.tool.spec.required)]
        return fit + [c for c in found if c not in fit] if fit else found

    def _bare_name(self) -> Candidate | None:
        """A message that is only a resource's name ("chat-prod?") shows that resource: the read that
        takes just a name of its kind."""
        content = [t for t in self.u.tokens if not is_filler(t.low)]
        if len(content) != 1:
            return None
        kinds = self.scene.kinds_of_name(content[0].raw)
        if not kinds:
            return self._bare_unlisted(content[0].raw)
        if len(kinds) != 1:
            return None
        readers = [
            (len(d.spec.fields), d, spec)
            for d in self.tools
            if not d.is_write
            for spec in d.spec.required
            if spec.kind == "name" and spec.of == kinds[0] and len(d.spec.required) == 1
        ]
        if not readers:
            return None
        _, d, spec = min(readers, key=lambda r: r[0])
        name = next(n for n in self.scene.names[kinds[0]] if n.lower() == content[0].low)
        return Candidate(d, {spec.name: Fill(name, quality=3)}, 0, 3, 0, phrasing="bare name")

    def _bare_unlisted(self, raw: str) -> Candidate | None:
        """A bare name-shaped word no listing knows: the read of the one kind its own words name
        ("kv-cache-prod" -> describe the cache)."""
        if not re.search(r"[\d_-]", raw):
            return None
        options = [
            Candidate(d, {spec.name: Fill(raw)}, 0, 0, 0, phrasing="bare name")
            for d in self.tools
            if not d.is_write and len(d.spec.required) == 1
            for spec in d.spec.required
            if spec.kind == "name" and spec.of and not self.scene.knows(spec.of)
        ]
        return self._by_kind_words(options) if options else None

    def _change_of_last_call(self) -> Candidate | None:
        """The last call with what this message changes: "make it 3", "same but with 6 nodes"."""
        base = self.scene.memory.get("last_call")
        if not isinstance(base, dict) or base.get("name") not in self.by_name:
            return None
        d = self.by_name[base["name"]]
        reader = Reader(self.u, self.scene)
        rest = fill_rest(self.u, d.spec, d.phrasings, set(), {}, self.scene, reader.slot)
        fills, used = dict(rest.fills), set(rest.used)
        before = dict(base.get("args") or {})
        # Values that say what they are come before free words (a file kind before a prefix).
        loose = ("prefix", "text", "mapping", "tags")
        order = sorted(
            d.spec.fields, key=lambda f: (f.kind in loose, f.name not in before, f.kind not in ("count", "name"))
        )
        # "what about the other one?", "and the p6 one?": a name told apart by a phrase.
        toks = self.u.tokens
        for spec in d.spec.of_kind("name"):
            if spec.new or spec.name in fills:
                continue
            for start in range(len(toks)):
                fill = reader.slot(spec, start, len(toks))
                if fill is not None and fill.value is not None and fill.note in ("other", "described", "partial"):
                    fills[spec.name] = fill
                    used.update(range(start, len(toks)))
                    break
        # The latest value wins: "is 3 overkill? what would 2 cost".
        for k, tok in reversed(list(enumerate(self.u.tokens))):
            if k in used or is_filler(tok.low) or tok.low in _FOLLOW_WORDS:
                continue
            for spec in order:
                if spec.name in fills:
                    continue
                if spec.kind == "name" and (spec.new or not looks_like_name(tok, self.scene)):
                    continue
                fill = reader.slot(spec, k, k + 1)
                if fill is not None and fill.status not in ("missing",) and fill.note != "focus":
                    fills[spec.name] = fill
                    used.add(k)
                    break
        changed = {k: f for k, f in fills.items() if f.value is None or before.get(k) != f.value}
        # Only a message that leans on the thread changes the last call ("make it 3", "what about demo?"),
        # or one that gives nothing but a number for it ("what would 2 cost?").
        numbers_only = bool(changed) and all(
            (d.spec.field(k) or d.spec.fields[0]).kind in ("count", "number", "hours", "minutes", "tokens")
            for k in changed
        )
        named = any(
            self.scene.kinds_of_name(t.raw) or (looks_like_name(t, self.scene) and re.search(r"[\d_-]", t.low))
            for t in self.u.tokens
        )
        if not changed or not (self._refers() or (numbers_only and not named)):
            return None
        merged = {k: Fill(v) for k, v in before.items()} | changed
        unexplained = sum(
            1
            for k, t in enumerate(self.u.tokens)
            if k not in used and not is_filler(t.low) and t.low not in _FOLLOW_WORDS
        )
        quality = sum(f.quality for f in merged.values())
        return Candidate(d, merged, unexplained, quality, 0, phrasing="follow-up", used=used)

    def _with_focus(self, c: Candidate) -> Candidate:
        """A required name the message does not mention at all is the resource the thread is about
        ("bump replicas to 3" after looking at kv-cache-prod). One it mentions without saying which
        ("delete an endpoint") is asked for instead."""
        focus = self.scene.focus
        if not focus or c.explicit:
            return c
        for spec in c.tool.spec.required:
            if spec.kind == "name" and not spec.new and spec.of == focus.get("kind") and spec.name not in c.fills:
                c.fills[spec.name] = Fill(focus["name"], quality=3, note="focus")
        return c

    def _refers(self) -> bool:
        if self.scene.act is not None:
            return self.scene.act in ("follow-up", "question", "answer") and bool(_REFERS.search(self.text))
        return read_act(self.text, self.scene.memory).refers

    def _ambiguity(self, best: Candidate, everywhere_only: bool = False) -> Candidate | AIMessage:
        """Readings that tie and mean different resources are offered as a choice, not guessed,
        also when a rival belongs to another specialist ("demo" is a boat and a dock), and a part of
        a name that several names share ("llama") lists them."""
        if best.explicit or best.phrasing == "follow-up":
            return best
        everywhere = read(self.u, list(self.g.tools.values()), self.scene, self.g.anchors)
        rivals = [c for c in tied(everywhere) if c.tool.effect == best.tool.effect] or [best]
        kinds = {tuple(sorted((k, str(v)) for k, v in c.names.values())) for c in rivals}
        partial = [c for c in rivals if c.status("ambiguous")]
        if (len(rivals) < 2 or len(kinds) < 2) and not partial:
            return best
        unlisted = self._by_kind_words(rivals)
        if unlisted is not None:
            return unlisted if everywhere_only or unlisted.tool.name in self.by_name else best
        choices = []
        for c in rivals:
            open_names = c.status("ambiguous")
            if not open_names:
                choices.append({"tool": c.tool.name, "args": c.args, "kind": _kind(c)})
                continue
            name, fill = open_names[0]
            for option in fill.closest:
                choices.append({"tool": c.tool.name, "args": c.args | {name: option}, "kind": _kind(c)})
        named = next(
            (f.note or f.value for c in rivals for _, f in c.status("ambiguous", "ok") if f.value or f.note), None
        )
        why = f"{named} could be more than one thing." if named else "That could mean more than one thing."
        return dialogue.choose(self.g, choices[:8], why)

    def _by_kind_words(self, rivals: list[Candidate]) -> Candidate | None:
        """Among readings of a name no listing knows, the one whose kind the name's own words name
        ("kv-cache-prod" is a cache, "llama-pretrain-stage1" a training job). Kinds the account
        lists never get here: their names are known."""
        kinds = [_kind(c) for c in rivals]
        if any(k is None or self.scene.knows(k) for k in kinds):
            return None
        picked = []
        for c, kind in zip(rivals, kinds, strict=True):
            value = next((str(v) for k, v in c.names.values() if v), "")
            parts = {p for p in re.split(r"[-_.\d]+", value.lower()) if p}
            words = {w for n in self.g.nouns.get(kind or "", ()) for w in n.split()}
            words |= {w for kw in self.g.keywords.get(c.tool.route or "", ()) for w in kw.split()}
            if parts & {stem(w) for w in words} or parts & words:
                picked.append(c)
        return picked[0] if len(picked) == 1 else None

    def _finish(self, c: Candidate, prefix: str = "") -> AIMessage:
        c = self._with_focus(c)
        for name, fill in c.status("invalid"):
            # Said as an error, and asked again: "sorry, typo. 2" then completes the call.
            return dialogue.error(fill.note or f"{name} cannot hold that value", name, c.tool.name, c.args)
        args = c.args
        for name, fill in c.status("ambiguous"):
            choices = [{"tool": c.tool.name, "args": args | {name: option}} for option in fill.closest]
            return dialogue.choose(self.g, choices[:8], f"{fill.note} matches more than one name.")
        vague = c.status("vague")
        if vague:
            name, fill = vague[0]
            return dialogue.clarify(self.g, c.tool, args, [name], prefix=prefix, vague=fill.note)
        missing = c.tool.spec.missing(args)
        adviser = self._adviser(c)
        if adviser is not None:
            return adviser
        if missing and c.tool.is_write and self.scene.act == "question":
            return dialogue.about(c.tool, missing)  # a question about a write is answered, not pursued
        if missing:
            return dialogue.clarify(self.g, c.tool, args, missing, prefix=prefix)
        return dialogue.tool_call(self.messages, c.tool.name, args)

    def _adviser(self, c: Candidate) -> AIMessage | None:
        """A write that names its resource and nothing of what to change ("tune kv-cache-prod") is
        first the read its declaration says advises it: what it recommends can then be applied."""
        adviser = self.by_name.get(c.tool.advised_by or "")
        if adviser is None or c.explicit:
            return None
        given = {k: c.tool.spec.field(k) for k in c.args}
        if not given or any(f is None or f.kind != "name" for f in given.values()):
            return None
        carried = {k: Fill(v) for k, v in c.args.items() if adviser.spec.field(k) is not None}
        if len(carried) != len(given):
            return None
        prefix = f"To {c.tool.label} I need what to change; I can recommend it first. "
        return self._finish(Candidate(adviser, carried), prefix=prefix)

    # ----------------------------------------------------------------- answers
    def _continue(self) -> AIMessage:
        """The answer to opsbot's question completes (or moves on) the call it was about."""
        asked = self.asked or {}
        choices = asked.get("choices") or []
        if choices:
            index = pick_choice(self.answer_u, list(choices), self.g.nouns)
            if index is None or choices[index]["tool"] not in self.by_name:
                return dialogue.unsupported(self.text, self.tools)
            picked = choices[index]
            d = self.by_name[picked["tool"]]
            return self._finish(Candidate(d, {k: Fill(v) for k, v in picked["args"].items()}))
        d = self.by_name.get(str(asked.get("tool")))
        if d is None:
            return dialogue.unsupported(self.text, self.tools)
        before = {k: Fill(v) for k, v in (asked.get("args") or {}).items()}
        missing = [m for m in asked.get("missing") or [] if d.spec.field(m) is not None]
        got = answer_fills(self.answer_u, d, missing, self.scene, asked.get("args"))
        if not got:
            # Asked for what the advice needs, answered with what the write needs ("tune kv-cache-prod"
            # ... "r7g.2xlarge"): that is the write itself.
            for w in self.tools:
                if w.advised_by != d.name:
                    continue
                named = {k: v for k, v in (asked.get("args") or {}).items() if w.spec.field(k) is not None}
                wanted = [f.name for f in w.spec.fields if f.name not in named]
                values = answer_fills(self.answer_u, w, wanted, self.scene, named)
                if any(k not in named and f.value is not None for k, f in values.items()):
                    return self._finish(Candidate(w, {k: Fill(v) for k, v in named.items()} | values))
        merged = before | got
        prefix = "" if got else "I did not catch that. "
        if not got and d.spec.missing({k: f.value for k, f in merged.items() if f.value is not None}) == []:
            missing = missing or [f.name for f in d.spec.fields][:1]
            return dialogue.clarify(self.g, d, asked.get("args") or {}, missing, prefix=prefix)
        return self._finish(Candidate(d, merged), prefix=prefix)


def _incomplete(c: Candidate) -> bool:
    return bool(c.tool.spec.missing(c.args)) or bool(c.status("missing"))


def _kind(c: Candidate) -> str | None:
    return next((k for k, _ in c.names.values() if k), None)
