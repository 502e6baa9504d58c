"""Dialogue acts: questions stay questions, polite requests stay requests, and the short acts."""

from __future__ import annotations

import pytest

from agent.models.acts import Act, is_question, read_act

MEMORY = {"pending": {"id": "ap-1234abcd"}, "focus": {"kind": "endpoint", "name": "chat-prod"}}


@pytest.mark.parametrize(
    "text",
    [
        "should we delete llama-pretrain?",
        "can we scale chat-prod to 3?",
        "is chat-prod healthy",
        "what happens if I delete chat-prod",
        "who approved llama-pretrain?",
        "how much would 8 nodes cost",
        "hmm, is it safe to tear down the old cluster?",
        "scale chat-prod to 3?",
        "Would scaling chat-prod help with latency?",
    ],
)
def test_questions(text: str) -> None:
    # WHEN someone asks THEN it is a question, even when it is about a write
    assert is_question(text) and read_act(text).act is Act.QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "can you scale chat-prod to 3?",
        "could you please delete endpoint old-bot",
        "hey opsbot, can you list the clusters real quick",
        "would you mind scaling chat-prod down to 1?",
        "please tear down llama-pretrain",
        "scale chat-prod to 3",
        "list training jobs",
        "I'd like you to stop the job",
    ],
)
def test_polite_and_plain_requests_are_requests(text: str) -> None:
    assert not is_question(text) and read_act(text).act is Act.REQUEST


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("yes", Act.CONFIRMATION),
        ("ok yes please", Act.CONFIRMATION),
        ("lgtm 👍", Act.CONFIRMATION),
        ("do it", Act.CONFIRMATION),
        ("apply that", Act.CONFIRMATION),
        ("ok lets do that", Act.CONFIRMATION),
        ("alright, let's go ahead", Act.CONFIRMATION),
        ("approve ap-1234abcd", Act.CONFIRMATION),
        ("cancel that", Act.CANCELLATION),
        ("never mind", Act.CANCELLATION),
        ("nvm, scrap that", Act.CANCELLATION),
        ("actually make it 3", Act.FOLLOW_UP),
        ("same but with 6 nodes", Act.FOLLOW_UP),
        ("stop it", Act.FOLLOW_UP),
        ("ok", Act.REQUEST),
        ("cancel the training run llama-1 right now", Act.REQUEST),
    ],
)
def test_short_acts_in_a_thread(text: str, act: Act) -> None:
    # GIVEN a thread with a pending request and a resource in focus
    assert read_act(text, MEMORY).act is act


def test_an_answer_only_when_it_fits_and_is_no_request_of_its_own() -> None:
    memory = {"asked": {"tool": "scale_endpoint", "missing": ["instance_count"]}}
    fits = lambda t: t.strip().isdigit()  # noqa: E731
    assert read_act("3", memory, fits_answer=fits).act is Act.ANSWER
    assert read_act("describe chat-prod", memory, fits_answer=fits).act is Act.REQUEST
    assert read_act("3", memory, fits_answer=fits, is_request=lambda t: True).act is Act.REQUEST
