"""The conversation from the command line: ``opsbot chat`` on standard input, and a question asked
with ``opsbot ask --json``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from agent.cli import app
from agent.service import Opsbot
from tools.config import get_settings

runner = CliRunner()


def test_chat_on_standard_input_answers_each_step_and_leaves_nothing_pending() -> None:
    # GIVEN a person typing into `opsbot chat`: a list, a request, a correction and a cancellation
    lines = ["list endpoints", "scale chat-prod to 2", "actually make it 3", "cancel that"]
    result = runner.invoke(app, ["--as", "dave", "chat"], input="\n".join(lines) + "\n")
    out = result.output
    # THEN each step is answered as such, in order
    assert result.exit_code == 0, out
    listed = out.index("llama8b-inf2")
    first = out.index("from 1 to 2 instance(s)")
    replaced = out.index("(This replaces ap-")
    withdrawn = out.index("Withdrew ap-")
    assert listed < first < replaced < withdrawn
    # AND the first request was superseded by the correction, which was withdrawn: nothing is pending
    records = Opsbot(get_settings()).list_approvals()
    assert sorted(r.status for r in records) == ["superseded", "withdrawn"]
    assert [r.args["instance_count"] for r in records if r.status == "withdrawn"] == [3]


def test_ask_json_a_question_about_a_destructive_write_files_nothing() -> None:
    # WHEN someone asks whether to delete a cluster
    result = runner.invoke(app, ["--as", "dave", "ask", "--json", "should we delete llama-pretrain?"])
    doc = json.loads(result.stdout)
    # THEN the answer shows the plan marked not requested, and no request exists
    assert result.exit_code == 0 and doc["approval"]["status"] == "preview" and doc["approval"]["id"] is None
    assert "Not requested" in doc["reply"]
    assert Opsbot(get_settings()).list_approvals() == []
