"""Eval cases: the opsbot YAML case format, loaded and checked into typed objects.

A file holds one case (a mapping) or a list of cases. A case has ``utterance`` or ``turns``
(a conversation: strings, or ``{utterance, expect, user, act}`` mappings: expectations of the
turn's own answer, who says it, and which dialogue act it is), an ``expect`` block scored on the
last answer, ``tags`` (at most one of them a conversation class, see ``CASE_CLASSES``), and
optionally ``decide`` (who approves or rejects the pending request once the turns are done).
Cases with ``expect.state`` or ``expect.final_status`` are approved by the platform leads unless
``decide`` says otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

BUNDLED_CASES = Path(__file__).parent / "cases"
DEFAULT_REQUESTER = "eval-user"
# Asked in this order until the request stops waiting for approvers: enough for every tier of the
# default policy (critical needs two distinct leads).
DEFAULT_APPROVERS = ("alice", "bob", "carol")
# The conversation classes the per-class report groups by; a case carries at most one as a tag.
CASE_CLASSES = ("question-about-write", "follow-up", "names", "ask-back", "cancel-confirm", "units", "reads")
# A case of this class is all questions: its turns count as questions unless they say otherwise.
QUESTION_CLASS = "question-about-write"

Act = Literal["request", "question", "answer", "follow-up", "confirmation", "cancellation"]
ApprovalExpectation = Literal["required", "none", "refused", "preview"]
# Statuses a filed request can have in the approval store (a preview is never filed).
RequestStatus = Literal[
    "pending", "approved", "executing", "executed", "failed", "rejected", "withdrawn", "superseded", "expired",
    "refused",
]  # fmt: skip


class CaseError(ValueError):
    """A case file that cannot be read; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StateCheck(_Strict):
    """One read tool run against the sandbox after the decisions, and what its result must show."""

    tool: str = Field(description="A read tool of the catalog.")
    args: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = Field(default=None, description="Subset the tool's result must contain.")
    contains: list[str] = Field(default_factory=list, description="Text the rendered result must contain.")
    absent: list[str] = Field(default_factory=list, description="Text the rendered result must not contain.")
    fails: bool = Field(default=False, description="The read must fail (e.g. the resource was deleted).")


class EarlierStatus(_Strict):
    """The store status of the request an earlier turn filed (``turn`` counts from 1)."""

    turn: int | None = Field(default=None, ge=1, description="None: the latest earlier turn that filed one.")
    status: RequestStatus

    @model_validator(mode="before")
    @classmethod
    def _bare_status(cls, data: Any) -> Any:
        return {"status": data} if isinstance(data, str) else data


class Expect(_Strict):
    """What the answer must show. Only the keys a case gives are scored."""

    route: str | list[str] | None = None
    tool: str | list[str] | None = Field(default=None, description="A list means any of them.")
    args: dict[str, Any] = Field(default_factory=dict)
    approval: ApprovalExpectation | list[ApprovalExpectation] | None = Field(
        default=None, description="A list means any of them."
    )
    clarify: bool | None = None
    no_writes: bool | None = Field(default=None, description="Nothing filed, waiting or run; a preview is fine.")
    reply_contains: list[str] = Field(default_factory=list)
    reply_max_lines: int | None = Field(default=None, ge=1, description="The reply has at most this many lines.")
    pending: int | None = Field(default=None, ge=0, description="Requests left pending in the case's store.")
    earlier_status: EarlierStatus | None = Field(
        default=None, description="Status of the request an earlier turn filed (a status, or {turn, status})."
    )
    final_status: str | None = Field(default=None, description="Approval status after the decisions.")
    state: list[StateCheck] = Field(default_factory=list)

    def given(self, key: str) -> bool:
        """True if the case stated this expectation (``route: null`` counts as stated)."""
        return key in self.model_fields_set


class Turn(_Strict):
    """One message of a conversation, with optional expectations on its own answer.

    ``user`` is who says it (default: the case's requester), e.g. a platform lead answering
    "approve" in the requester's thread. ``act`` is the dialogue act the author meant; the safety
    scorer holds every ``question`` to "files no request".
    """

    utterance: str
    expect: Expect | None = None
    user: str | None = None
    act: Act | None = None


class Decide(_Strict):
    """Decisions taken on the pending request after the last turn; ``by: []`` takes none."""

    approve: bool = True
    by: list[str] = Field(default_factory=lambda: list(DEFAULT_APPROVERS))


class Case(_Strict):
    """One eval case."""

    id: str
    utterance: str | None = None
    turns: list[Turn] = Field(default_factory=list)
    expect: Expect = Field(default_factory=Expect)
    tags: list[str] = Field(default_factory=list)
    user: str = DEFAULT_REQUESTER
    decide: Decide | None = None
    source: str = Field(default="", description="File the case came from.")

    @model_validator(mode="before")
    @classmethod
    def _turn_strings(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("turns"), list):
            data = dict(data)
            data["turns"] = [{"utterance": t} if isinstance(t, str) else t for t in data["turns"]]
        return data

    @model_validator(mode="after")
    def _one_form(self) -> Case:
        if bool(self.utterance) == bool(self.turns):
            raise ValueError("give exactly one of utterance or turns")
        classes = [t for t in self.tags if t in CASE_CLASSES]
        if len(classes) > 1:
            raise ValueError(f"at most one class tag per case; got {', '.join(classes)}")
        turns = self.conversation
        for n, turn in enumerate(turns, 1):
            if turn.expect is not None:
                _check_earlier(turn.expect, n, f"turns.{n - 1}.expect.earlier_status")
        _check_earlier(self.expect, len(turns), "expect.earlier_status")
        return self

    @property
    def conversation(self) -> list[Turn]:
        """The turns to send, in order (a single utterance is a one-turn conversation)."""
        return list(self.turns) if self.turns else [Turn(utterance=self.utterance or "")]

    @property
    def case_class(self) -> str | None:
        """The conversation class this case belongs to (one of ``CASE_CLASSES``), if any."""
        return class_of(self.tags)

    def speaker(self, turn: Turn) -> str:
        """Who says ``turn``: its own user, else the case's requester."""
        return turn.user or self.user

    def is_question(self, turn: Turn) -> bool:
        """True if ``turn`` is a question: marked so, or unmarked in a case of the question class."""
        if turn.act is not None:
            return turn.act == "question"
        return self.case_class == QUESTION_CLASS

    @property
    def decision(self) -> Decide | None:
        """The decisions to take: the case's own, or approval by the leads when it checks the outcome."""
        if self.decide is not None:
            return self.decide
        if self.expect.state or self.expect.final_status:
            return Decide()
        return None

    @property
    def text(self) -> str:
        """The conversation as one line, for reports (another speaker's turns are prefixed with them)."""
        return " / ".join(f"[{t.user}] {t.utterance}" if t.user else t.utterance for t in self.conversation)


def class_of(tags: list[str]) -> str | None:
    """The first conversation class among ``tags``, or None."""
    return next((t for t in tags if t in CASE_CLASSES), None)


def _check_earlier(expect: Expect, at_turn: int, where: str) -> None:
    """An earlier-status expectation must point before the turn it is checked at."""
    earlier = expect.earlier_status
    if earlier is None:
        return
    if at_turn < 2:
        raise ValueError(f"{where}: needs an earlier turn; this is turn {at_turn}")
    if earlier.turn is not None and earlier.turn >= at_turn:
        raise ValueError(f"{where}: turn {earlier.turn} is not before turn {at_turn}")


def case_files(path: Path) -> list[Path]:
    """Every YAML file under ``path`` (or ``path`` itself), in a stable order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise CaseError(f"{path}: no such file or directory of cases")
    return sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def load_file(path: Path) -> list[Case]:
    """The cases of one file."""
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise CaseError(f"{path}: not valid YAML: {exc}") from None
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    cases = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise CaseError(f"{path}: item {n} is not a mapping")
        try:
            cases.append(Case.model_validate({**item, "source": str(path)}))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = "".join(f"{p}: " for p in [".".join(str(p) for p in err["loc"])] if p)
            message = err["msg"].removeprefix("Value error, ")
            raise CaseError(f"{path}: case {item.get('id', n)!r}: {where}{message}") from None
    return cases


def load_cases(path: Path | str | None = None, tags: list[str] | None = None) -> list[Case]:
    """All cases under ``path`` (default: the bundled ones), optionally only those with any of ``tags``."""
    root = Path(path) if path else BUNDLED_CASES
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for file in case_files(root):
        for case in load_file(file):
            if case.id in seen:
                raise CaseError(f"{file}: case id {case.id!r} is also used in {seen[case.id]}")
            seen[case.id] = str(file)
            cases.append(case)
    if tags:
        wanted = set(tags)
        cases = [c for c in cases if wanted & set(c.tags)]
    return cases
