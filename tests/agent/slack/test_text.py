"""Slack text: escaping out, decoding in, Slack's own length units, and cuts that never lose a line."""

from __future__ import annotations

import re

from agent.slack.text import (
    CONTINUED,
    clip,
    escape,
    incoming,
    is_table_line,
    layout,
    pack,
    paginate,
    slack_len,
    wrap_line,
)

PARTIAL_ENTITY = re.compile(r"&[a-z]*…$")


def test_incoming_text_is_decoded_once() -> None:
    # GIVEN what Slack sends for: r&d/ <x> and a typed "&lt;"
    sent = "list s3://corpus/r&amp;d/ &lt;x&gt; and &amp;lt;"
    # THEN opsbot reads what the person typed
    assert incoming(sent) == "list s3://corpus/r&d/ <x> and &lt;"


def test_incoming_text_drops_mentions_and_reads_links_and_channels_as_typed() -> None:
    sent = "<@UBOT0001> check <http://foo.com|foo.com> and <https://x.example/a?b=1&amp;c=2> in <#C0001|ml-ops> <!here>"
    assert incoming(sent) == "check foo.com and https://x.example/a?b=1&c=2 in #ml-ops @here"


def test_escape_leaves_no_control_sequence() -> None:
    assert escape("<!channel> & <@U1|x> <https://e|y>") == "&lt;!channel&gt; &amp; &lt;@U1|x&gt; &lt;https://e|y&gt;"
    assert incoming(escape("a<b>&c")) == "a<b>&c"


def test_lengths_are_slack_units_utf16_with_entities() -> None:
    assert slack_len("abc") == 3
    assert slack_len("🚀") == 2  # outside the BMP: two UTF-16 units
    assert slack_len(escape("&")) == 5


def test_clip_never_ends_inside_an_entity_and_always_marks_the_cut() -> None:
    text = "ab" + "&amp;" * 10
    for limit in range(4, 20):
        clipped = clip(text, limit)
        assert slack_len(clipped) <= limit and clipped.endswith("…")
        assert not PARTIAL_ENTITY.search(clipped), clipped


def test_clip_counts_emoji_as_two_and_never_cuts_a_date_token() -> None:
    assert slack_len(clip("🚀" * 10, 7)) <= 7
    token = "<!date^1700000000^{date_short_pretty}|2023-11-14>"
    clipped = clip("done " + token, 20)
    assert clipped == "done…"
    assert clip("short", 10) == "short"


def test_a_long_line_is_wrapped_with_continuation_marks_not_cut() -> None:
    line = "x" * 7000
    pieces = wrap_line(line, 3000)
    assert all(slack_len(p) <= 3000 for p in pieces)
    assert pieces[1].startswith(CONTINUED) and "".join(p.removeprefix(CONTINUED) for p in pieces) == line


def test_pack_keeps_every_line_in_order() -> None:
    lines = [f"line {i:04d} " + "y" * 50 for i in range(500)]
    chunks = pack(lines, 3000)
    assert all(slack_len(c) <= 3000 for c in chunks)
    assert "\n".join(chunks).splitlines() == lines


def test_aligned_tables_go_into_code_blocks_across_sections() -> None:
    rows = [f"  2026-01-{i % 28 + 1:02d}  {i * 1000:>10} B  STANDARD  key-{i:04d}.parquet" for i in range(200)]
    text = "200 objects in s3://corpus\n" + "\n".join(rows) + "\nSQL run on DuckDB:"
    sections = layout(text)
    assert sections[0].startswith("200 objects in s3://corpus") and sections[1].startswith("```\n  2026-01-")
    assert all(slack_len(s) <= 3000 and s.count("```") % 2 == 0 for s in sections)
    body = "\n".join(sections).replace("```\n", "").replace("\n```", "")
    assert all(row in body for row in rows) and body.rstrip().endswith("SQL run on DuckDB:")
    assert is_table_line(rows[0]) and not is_table_line("plain words here")


def test_layout_escapes_data_and_keeps_fences_closed() -> None:
    sections = layout("key <!channel>\n  a  ```b\n  c  d")
    assert "&lt;!channel&gt;" in sections[0] and "<!channel>" not in sections[0]
    assert sections[0].count("```") == 2  # the key's backticks cannot close the block


def test_paginate_respects_blocks_and_budget() -> None:
    pages = paginate(["a" * 2900] * 10, max_blocks=3, budget=6000)
    assert [len(p) for p in pages] == [2, 2, 2, 2, 2]
    assert sum(len(p) for p in paginate(["s"] * 120, max_blocks=48, budget=11000)) == 120
