"""The dialogue act of a message in its thread, with the grammar: what the graph and the offline
model both use to tell an answer from a new request.

``read_act`` (``agent.models.acts``) knows the shapes of acts; this module gives it the two
judgements that need the tools: does the message fit opsbot's open question, and is it a whole
request of its own. A message that is neither, while a question is open, is a failed answer: the
question is asked once more, then dropped, so it never traps the thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.models.acts import Act, ActReading, read_act
from agent.models.align import is_filler
from agent.models.answers import LEAD, fits
from agent.models.grammar import Grammar
from agent.models.reading import read
from agent.models.scene import Scene
from agent.models.text import Utterance


@dataclass(frozen=True)
class TurnAct:
    """The act of a message, and whether it is a failed answer that re-asks the open question."""

    reading: ActReading
    retry: bool = False  # asked again: the message neither answered nor asked anything else


def act_of(text: str, memory: dict[str, Any], g: Grammar, scene: Scene) -> TurnAct:
    """The act of ``text`` in a thread with ``memory``."""
    asked = memory.get("asked")

    def answers(t: str) -> bool:
        """True when ``t`` fits the kind of opsbot's open question."""
        return bool(asked) and fits(t, asked, g.tools, scene)

    reading = read_act(text, memory, fits_answer=answers, is_request=lambda t: new_request(t, asked, g, scene))
    first_try = bool(asked) and int(asked.get("tries", 0)) < 1
    if first_try and reading.act is Act.REQUEST and not request_of_its_own(text, g, scene):
        return TurnAct(ActReading(Act.ANSWER), retry=True)
    return TurnAct(reading)


def new_request(text: str, asked: dict[str, Any] | None, g: Grammar, scene: Scene) -> bool:
    """True when ``text`` is a whole request of its own (a tool and every argument it needs) that is
    not just the answer: another tool, or the same one with other values than the question had."""
    u = Utterance.of(text, g.known)
    found = read(u, list(g.tools.values()), scene, g.anchors)
    top = found[0] if found else None
    if top is None or not (top.explicit or top.literals) or top.tool.spec.missing(top.args):
        return False
    if top.status("missing", "vague", "unknown"):
        return False
    first = next((tok for tok in u.tokens if not is_filler(tok.low)), None)
    if first is not None and first.low in LEAD:
        return False  # "the one called x", "call it x": an answer's opening, not a request's
    before = (asked or {}).get("args") or {}
    if top.tool.name != (asked or {}).get("tool"):
        return True
    return any(k in before and before[k] != v for k, v in top.args.items())


def request_of_its_own(text: str, g: Grammar, scene: Scene) -> bool:
    """True when ``text`` reads as a request for some tool, not just a value or a word."""
    u = Utterance.of(text, g.known)
    if len([t for t in u.tokens if not is_filler(t.low)]) <= 1:
        return False  # a bare value or name is an attempt at an answer
    return bool(read(u, list(g.tools.values()), scene, g.anchors))
