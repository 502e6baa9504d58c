"""Dialogue acts: what a message does before what it is about.

Every message is first one of: a request, a question, an answer (to opsbot's own question), a
follow-up, a confirmation or a cancellation. The act decides what may happen: a question never
files a write (it gets a read, an answer, or a plan preview marked "not requested"); only a
confirmation decides or files what is on the table; only a cancellation withdraws it.

A polite request is a request: "can you scale X to 3?", "could you please ...", "would you mind
...". A question about a write is a question: "should we delete X?", "can we scale X to 3?",
"what happens if I delete X?", "is it safe to ...".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agent.models.text import strip_prefix


class Act(StrEnum):
    """The dialogue act of one message."""

    REQUEST = "request"
    QUESTION = "question"
    ANSWER = "answer"
    FOLLOW_UP = "follow-up"
    CONFIRMATION = "confirmation"
    CANCELLATION = "cancellation"


@dataclass(frozen=True)
class ActReading:
    """The act, and whether the message leans on the thread's memory ("it", "same but ...")."""

    act: Act
    refers: bool = False  # pronouns, "same", "instead", "the other one": resolve against memory
    approval_id: str | None = None  # "approve ap-1234abcd": the request it names
    approve: bool = True  # a confirmation that says no ("reject", "deny") decides against


def _forms(text: str) -> tuple[str, ...]:
    """Phrases written as one text, separated by " | "."""
    return tuple(p.strip() for p in text.split(" | "))


_WORDS = re.compile(r"[a-z0-9'#:+_-]+|[\U0001F300-\U0001FAFF\u2705\u2714\u274C]")
_APPROVAL_ID = re.compile(r"\bap-[0-9a-f]{6,}\b", re.I)
_SOFT = {"please", "pls", "plz", "thanks", "thx", "ok", "okay", "then", "now", "just", "oh", "hey", "yes", "no", "all"}
_SOFT |= {"right", "actually", "sorry", "oops", "wait", "hmm", "so", "and", "the", "that", "this", "it", "request"}
_SOFT |= {"my", "one", "too", "for", "me", "us", "pending", "last", "opsbot", "approval", "again", "lol"}
_SOFT |= {"ugh", "argh", "meh", "sigh", "welp", "whoops", "uh", "um", "er", "ah", "oh", "damn", "dang", "hey", "guys"}
_SOFT |= {"alright", "cool"}
_SOFT |= {"i", "we", "think", "guess", "maybe", "really", "you", "know", "what", "nah", "nope", "instead", "please"}

_CANCEL = _forms(
    "cancel | cancel it | cancel that | never mind | nevermind | nvm | forget it | forget that | forget "
    "about it | scrap that | scratch that | dont | do not | no dont | wait no dont | drop | drop it | "
    "drop that | withdraw | withdraw it | abort | don't "
    "do it | do not do it | dont do it | don't | no don't | no thanks | not anymore | call it off | belay "
    "that | ❌"
)
_CONFIRM = _forms(
    "do that | do this | go with that | go with it | go with this | that works | works for me | "
    "yes | y | yep | yup | yeah | ya | sure | do it | go | go ahead | go for it | approve | approved | i "
    "approve | lgtm | looks good | looks good to me | 🚀 | ship it | confirm | confirmed | proceed | make "
    "it so | sounds good | let's do it | lets do it | yes do it | yes please | apply | apply it | apply "
    "that | apply the recommendation | apply the recommendations | apply those | 👍 | :+1: | :thumbsup: | "
    "✅ | :white_check_mark: | ✔ | do what it says | do what it recommends | do what it suggests | do as it "
    "says | do as suggested | do as recommended | follow it | follow that | follow the recommendation | go "
    "ahead with those | go ahead with that | go ahead with it | go with those | do those | sgtm | sounds good "
    "to me | ok go | let's do that | lets do that | let's do this | lets do this | let's do | lets do | let's "
    "go | lets go | let's go ahead | lets go ahead"
)
_REJECT = {"reject", "rejected", "deny", "denied", "decline", "declined", "nack", "👎", ":-1:", ":thumbsdown:"}
_POLITE = re.compile(
    r"^(?:(?:hey|hi|yo|ok|okay|so|and|also|please|pls)\s+)*"
    r"(?:can|could|would|will|won't|wouldn't)\s+(?:you|u|ya|someone|somebody)\b"
    r"|^(?:would|do)\s+you\s+mind\b|^(?:please|pls|plz|kindly)\b|^i(?:'d| would)\s+like\s+(?:you\s+)?to\b"
    r"|^i\s+(?:need|want)\s+(?:you\s+)?to\b|^let'?s\b|^go\s+ahead\s+and\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:(?:hey|hi|yo|ok|okay|so|and|also|quick\s+q(?:uestion)?:?|question:?|btw|but|hmm|wait)\s+)*"
    r"(?:what|what's|whats|which|who|whom|whose|when|where|why|how|how's|hows|is|isn't|are|aren't|was|were|"
    r"do|does|did|don't|doesn't|should|shall|shouldn't|would|could|can|will|may|might|has|have|had|am|"
    r"any\s+(?:idea|ideas|reason|objections?|concerns?|risk|downside|chance)|i\s+wonder|wondering|curious|"
    r"thoughts\s+on|tell\s+me\s+(?:if|whether|why|how|what))\b",
    re.I,
)
REFERS = re.compile(
    r"^(?:\W*(?:hmm+|uh|um|oh|wait|ugh|sorry)\W+)*(?:no|nah|nope|and|sorry)\b|\b(?:meant|i\s+mean|correction)\b|"
    r"\b(?:it|that|this|them|those|same|instead|actually|also|too|again|as\s+well|what\s+about|how\s+about|"
    r"the\s+other\s+one|rather|make\s+it|change\s+it|but\s+with|and\s+for|do\s+the\s+same|one|ones)\b",
    re.I,
)


def _norm(text: str) -> list[str]:
    return _WORDS.findall(strip_prefix(text).lower().replace("’", "'"))


def _short_form(words: list[str]) -> str:
    """The message without soft words: "ok cancel that please" -> "cancel"."""
    return " ".join(w for w in words if w not in _SOFT or w in ("yes", "no")).strip()


def _is_one_of(words: list[str], forms: tuple[str, ...]) -> bool:
    """True when the message is made of ``forms`` ("nvm, scrap that", "lgtm 👍") and soft words only."""
    if not words:
        return False
    if " ".join(words) in forms or _short_form(words) in forms:
        return True
    split = [f.split() for f in forms]
    reach = [False] * (len(words) + 1)
    reach[0] = True
    seen_form = [False] * (len(words) + 1)
    for i in range(len(words)):
        if not reach[i]:
            continue
        if words[i] in _SOFT:
            reach[i + 1] = True
            seen_form[i + 1] = seen_form[i + 1] or seen_form[i]
        for f in split:
            if words[i : i + len(f)] == f:
                reach[i + len(f)] = True
                seen_form[i + len(f)] = True
    return reach[-1] and seen_form[-1]


_CLAUSES = re.compile(r"(?<=[.?!;])\s+|\n+|,\s+(?=(?:can|could|would|will|please|pls)\b)", re.I)
_OPINION = re.compile(
    r"^(?:can|could|would|will)\s+(?:you|u)\s+(?:recommend|suggest|advise|think|say|know|expect|agree)", re.I
)


def _polite(clause: str) -> bool:
    return bool(_POLITE.search(clause)) and not _OPINION.search(clause)


def _asks(clause: str) -> bool:
    return clause.rstrip(" .!)").endswith("?") or bool(_QUESTION_START.search(clause)) or bool(_OPINION.search(clause))


def is_question(text: str) -> bool:
    """A question (not a polite request): some sentence ends with "?" or opens like a question, and
    none asks opsbot to act ("can you ...", "please ..."). "Would you recommend ...?" asks for advice."""
    clean = strip_prefix(text).strip().replace("’", "'")
    if not clean:
        return False
    clauses = [c.strip() for c in _CLAUSES.split(clean) if c.strip()]
    if any(_polite(c) for c in clauses):
        return False
    return any(_asks(c) for c in clauses)


def read_act(
    text: str,
    memory: dict[str, Any] | None = None,
    fits_answer: Callable[[str], bool] | None = None,
    is_request: Callable[[str], bool] | None = None,
) -> ActReading:
    """The dialogue act of ``text`` in a thread with ``memory``.

    ``fits_answer(text)`` says whether the text fits the kind of opsbot's open question;
    ``is_request(text)`` whether it is a complete request of its own (which then wins over an answer).
    """
    memory = memory or {}
    words = _norm(text)
    approval = _APPROVAL_ID.search(text)
    refers = bool(REFERS.search(strip_prefix(text)))
    if words and _is_one_of([w for w in words if not _APPROVAL_ID.fullmatch(w)], _CANCEL):
        return ActReading(Act.CANCELLATION, refers=True, approval_id=approval.group() if approval else None)
    if words and _is_one_of([w for w in words if not _APPROVAL_ID.fullmatch(w)], _CONFIRM):
        return ActReading(Act.CONFIRMATION, refers=True, approval_id=approval.group() if approval else None)
    if words and words[0] in _REJECT and (memory.get("pending") or approval):
        # "reject, we're fine at 1": a decision against the pending request, whatever follows.
        return ActReading(
            Act.CONFIRMATION, refers=True, approval_id=approval.group() if approval else None, approve=False
        )
    asked = memory.get("asked")
    question = is_question(text) and len(words) > 2  # "checkpoints?" may still be an answer
    answering = asked and not question and fits_answer is not None and fits_answer(text)
    if answering and not (is_request and is_request(text)):
        return ActReading(Act.ANSWER, refers=refers)
    if is_question(text):
        return ActReading(Act.QUESTION, refers=refers and _has_memory(memory))
    if refers and _has_memory(memory):
        return ActReading(Act.FOLLOW_UP, refers=True)
    return ActReading(Act.REQUEST, refers=False)


def _has_memory(memory: dict[str, Any]) -> bool:
    return any(memory.get(k) for k in ("focus", "last_call", "pending", "offer", "results"))
