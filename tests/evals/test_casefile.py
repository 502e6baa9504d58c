"""Loading eval cases: the case format, one case or a list per file, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.casefile import DEFAULT_APPROVERS, CaseError, load_cases


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_single_case_and_list_files_load(tmp_path: Path) -> None:
    # GIVEN one file with a single case (the documented example) and one with a list in a subfolder
    _write(
        tmp_path,
        "one.yaml",
        """
id: training-create-001
utterance: "spin up a hyperpod cluster called llama-pt with 8 trn2.48xlarge nodes"
expect:
  route: training
  tool: create_hyperpod_cluster
  args: {cluster_name: llama-pt, instance_type: ml.trn2.48xlarge, instance_count: 8}
  approval: required
tags: [training, write]
""",
    )
    _write(
        tmp_path,
        "more/list.yml",
        """
- id: a
  turns: ["scale chat-prod", {utterance: "4", expect: {tool: scale_endpoint}}]
  expect: {approval: required}
  tags: [multi-turn]
- id: b
  utterance: what's the weather
  expect: {tool: null, route: null}
""",
    )
    # WHEN loaded
    cases = load_cases(tmp_path)
    # THEN every case is there, in file order, with its source and turns
    assert [c.id for c in cases] == ["a", "b", "training-create-001"]
    a, b, one = cases
    assert [t.utterance for t in a.conversation] == ["scale chat-prod", "4"]
    assert a.conversation[1].expect is not None and a.conversation[1].expect.tool == "scale_endpoint"
    assert b.expect.given("route") and b.expect.route is None and b.expect.given("tool")
    assert not one.expect.given("clarify") and one.expect.args["instance_count"] == 8
    assert one.user == "eval-user" and one.source.endswith("one.yaml")


def test_tag_filter_keeps_cases_with_any_tag(tmp_path: Path) -> None:
    _write(tmp_path, "c.yaml", "- {id: x, utterance: hi, tags: [a]}\n- {id: y, utterance: hi, tags: [b]}\n")
    assert [c.id for c in load_cases(tmp_path, ["b", "z"])] == ["y"]


def test_state_cases_are_approved_by_the_leads_by_default(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "s.yaml",
        "id: s\nutterance: scale chat-prod to 4\nexpect:\n  state: [{tool: describe_endpoint, result: {x: 1}}]\n",
    )
    [case] = load_cases(tmp_path)
    assert case.decision is not None and case.decision.approve and tuple(case.decision.by) == DEFAULT_APPROVERS


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nexpect: {}\n", "exactly one of utterance or turns"),
        ("id: x\nutterance: hi\nturns: [hi]\n", "exactly one of utterance or turns"),
        ("id: x\nutterance: hi\nexpect: {approval: maybe}\n", "expect.approval"),
        ("id: x\nutterance: hi\nexpect: {tol: x}\n", "expect.tol"),
        ("id: [unclosed\n", "not valid YAML"),
        ("- just text\n", "not a mapping"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "bad.yaml", text)
    with pytest.raises(CaseError) as err:
        load_cases(tmp_path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "id: same\nutterance: hi\n")
    _write(tmp_path, "b.yaml", "id: same\nutterance: ho\n")
    with pytest.raises(CaseError, match="also used"):
        load_cases(tmp_path)


def test_conversation_keys_load(tmp_path: Path) -> None:
    # GIVEN a conversation with another speaker, dialogue acts, a preview and store expectations
    _write(
        tmp_path,
        "c.yaml",
        """
- id: lead-approves
  turns:
    - {utterance: "should we scale chat-prod to 3?", act: question, expect: {approval: [none, preview]}}
    - {utterance: ok do it, act: request, expect: {approval: required, pending: 1}}
    - {utterance: approve, user: alice, act: confirmation, expect: {earlier_status: executed}}
  expect: {pending: 0, earlier_status: {turn: 2, status: executed}, reply_max_lines: 3}
  tags: [cancel-confirm, inference]
""",
    )
    # WHEN loaded
    [case] = load_cases(tmp_path)
    ask, _confirm, approve = case.conversation
    # THEN each turn knows its speaker and act, and the expectations are typed
    assert [case.speaker(t) for t in case.conversation] == ["eval-user", "eval-user", "alice"]
    assert [case.is_question(t) for t in case.conversation] == [True, False, False]
    assert ask.expect is not None and ask.expect.approval == ["none", "preview"]
    assert approve.expect is not None and approve.expect.earlier_status is not None
    assert (approve.expect.earlier_status.turn, approve.expect.earlier_status.status) == (None, "executed")
    assert case.expect.earlier_status is not None and case.expect.earlier_status.turn == 2
    assert case.expect.pending == 0 and case.case_class == "cancel-confirm"
    assert case.text.endswith("[alice] approve")


def test_unmarked_turns_of_the_question_class_are_questions(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "q.yaml",
        """
id: q
turns: ["is it safe to stop llama-pretrain-stage1?", {utterance: "stop it", act: request}]
tags: [question-about-write]
""",
    )
    [case] = load_cases(tmp_path)
    # THEN the unmarked turn is a question, the one marked as a request is not
    assert [case.is_question(t) for t in case.conversation] == [True, False]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: x\nutterance: hi\ntags: [units, names]\n", "at most one class tag"),
        ("id: x\nturns: [a, {utterance: b, act: shrug}]\n", "turns.1.act"),
        ("id: x\nutterance: hi\nexpect: {earlier_status: withdrawn}\n", "needs an earlier turn"),
        ("id: x\nturns: [a, b]\nexpect: {earlier_status: {turn: 2, status: withdrawn}}\n", "not before turn 2"),
        ("id: x\nturns: [a, b]\nexpect: {earlier_status: cancelled}\n", "earlier_status"),
        ("id: x\nutterance: hi\nexpect: {approval: maybe}\n", "approval"),
        ("id: x\nutterance: hi\nexpect: {pending: -1}\n", "pending"),
    ],
)
def test_bad_conversation_keys_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    # GIVEN a case with a mistake in one of the conversation keys WHEN loaded THEN one error names it
    _write(tmp_path, "bad.yaml", text)
    with pytest.raises(CaseError, match=message) as err:
        load_cases(tmp_path)
    assert "bad.yaml" in str(err.value) and "'x'" in str(err.value)


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no such file"):
        load_cases(tmp_path / "nope")


# The tool catalog: names are a public interface.
CATALOG = [
    "list_hyperpod_clusters",
    "describe_hyperpod_cluster",
    "create_hyperpod_cluster",
    "scale_hyperpod_cluster",
    "delete_hyperpod_cluster",
    "launch_training_job",
    "list_training_jobs",
    "describe_training_job",
    "stop_training_job",
    "search_training_plans",
    "purchase_training_plan",
    "recommend_inference_instance",
    "create_inference_endpoint",
    "list_endpoints",
    "describe_endpoint",
    "get_endpoint_metrics",
    "scale_endpoint",
    "delete_endpoint",
    "list_caches",
    "describe_cache",
    "recommend_cache_tuning",
    "tune_cache",
    "query_s3_metadata",
    "summarize_s3_metadata",
    "enable_s3_metadata",
    "list_buckets",
    "estimate_cost",
    "summarize_spend",
]


def test_bundled_cases_cover_the_catalog() -> None:
    # GIVEN the bundled cases WHEN loaded
    cases = load_cases()
    # THEN there are at least 200, every tool has at least five phrasings, and no unknown tool appears
    assert len(cases) >= 200
    counts = {name: sum(c.expect.tool == name for c in cases) for name in CATALOG}
    assert {n: k for n, k in counts.items() if k < 5} == {}
    tools = [t for c in cases for t in ([c.expect.tool] if not isinstance(c.expect.tool, list) else c.expect.tool)]
    named = set(tools) | {s.tool for c in cases for s in c.expect.state}
    assert named - set(CATALOG) - {None} == set()
    # AND each kind the suite promises is there
    tags = {t for c in cases for t in c.tags}
    assert {"clarify", "policy", "out-of-domain", "multi-turn", "injection", "state", "typo", "units"} <= tags
    assert sum(bool(c.turns) for c in cases) >= 10 and sum(bool(c.expect.state) for c in cases) >= 10


NEW_CASES = Path(__file__).resolve().parents[2] / "evals" / "new"


def test_new_cases_are_well_formed() -> None:
    # GIVEN the cases written ahead of the parser WHEN loaded
    from evals.casefile import CASE_CLASSES
    from tools.registry import all_tools

    cases = load_cases(NEW_CASES)
    fields = {t.name: set(t.args_model.model_fields) for t in all_tools()}
    # THEN each has exactly one class, and every class has at least 25 cases, counting those that
    # already passed and moved into the gated cases
    assert [c.id for c in cases if c.case_class is None] == []
    gated = load_cases()
    per_class = {name: sum(c.case_class == name for c in [*cases, *gated]) for name in CASE_CLASSES}
    assert min(per_class.values()) >= 25, per_class
    # AND every tool they name exists and every argument they expect is one of that tool's arguments
    problems = []
    for case in cases:
        expects = [case.expect, *(t.expect for t in case.conversation if t.expect is not None)]
        for expect in expects:
            tools = [expect.tool] if isinstance(expect.tool, str) else list(expect.tool or [])
            problems += [f"{case.id}: unknown tool {t}" for t in tools if t not in fields]
            known = set().union(*(fields.get(t, set()) for t in tools)) if tools else None
            if known is not None:
                problems += [f"{case.id}: {k} is no argument of {tools}" for k in expect.args if k not in known]
            problems += [f"{case.id}: unknown state tool {s.tool}" for s in expect.state if s.tool not in fields]
    assert problems == []
