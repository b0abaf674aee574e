"""Looking back: `monitor show`, `monitor history` and `monitor diff NAME --text`, end to end.

A real HTTP server on 127.0.0.1, the real `monitor run --once` twice into a real SQLite file with the
pages changed in between (``tests/watched.py``), then the read-only commands on that file.
"""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.config import find_source
from monitor.errors import ConfigError
from monitor.sources import load_config

from .conftest import PAGES
from .watched import build


def fingerprint(world) -> tuple[str, list[str]]:
    folder = world.db.parent
    return hashlib.sha256(world.db.read_bytes()).hexdigest(), sorted(os.listdir(folder))


def checks_of(world, name: str) -> list[str]:
    return [r[0] for r in world.sql("SELECT c.started_at FROM checks c JOIN sources s ON s.id = c.source_id"
                                    " WHERE s.name = ? ORDER BY c.id", (name,))]


def snapshots_of(world, name: str) -> list[int]:
    return [r[0] for r in world.sql("SELECT n.id FROM snapshots n JOIN sources s ON s.id = n.source_id"
                                    " WHERE s.name = ? ORDER BY n.id", (name,))]


# ---------------------------------------------------------------- show

def test_show_prints_the_stored_page_with_venues_years_authors_and_times(tmp_path, page_server):
    world = build(tmp_path, page_server)
    before = fingerprint(world)
    out = world.cli("show", "DANA example").output  # any case
    titles = [line[4:] for line in out.splitlines() if line.startswith("  - ")][:4]
    assert titles == ["Mixture of Depths for Tiny Models", "Sparse Attention Without Tears",
                      "Retrieval Heads Are All You Need", "Calibrated Language Models for Science"]  # page order
    assert "      ACL 2025 · Bo Li, Dana Example · seen since " in out  # the venue update is what is known now
    assert "      EMNLP 2023 · Dana Example, Eve Adams" in out
    assert "  - 2025.03  Our paper on sparse attention was accepted to ICML 2025." in out
    assert "  - is on the job market: \"I am on the job market this year" in out
    assert "last checked   " in out and "UTC: changed" in out and "(2 snapshots)" in out

    bob = world.cli("show", "bob sample").output
    assert "NeurIPS 2025 · Bob Sample, Ann One, Ben Two et al." in bob  # five authors, shortened
    assert "ICML 2025 · Bob Sample, Cat Three" in bob
    assert "is hiring students" in bob and "\x1b" not in bob

    data = json.loads(world.cli("show", "Dana Example", "--json").output)
    first, second = checks_of(world, "Dana Example")
    assert data["source"] == "Dana Example" and data["active"] is True
    assert (data["last_checked_at"], data["last_outcome"]) == (second, "changed")
    assert data["last_changed_at"] == second and data["snapshot"]["id"] == snapshots_of(world, "Dana Example")[-1]
    papers = {p["title"]: p for p in data["publications"]}
    assert papers["Mixture of Depths for Tiny Models"]["first_seen"] == second
    assert papers["Sparse Attention Without Tears"]["first_seen"] == first
    assert papers["Sparse Attention Without Tears"]["authors"] == ["Dana Example", "Bo Li", "Carla Gomez"]
    assert (papers["Retrieval Heads Are All You Need"]["venue"], papers["Retrieval Heads Are All You Need"]["year"]) \
        == ("ACL 2025", 2025)
    assert [n["date"] for n in data["news"]] == ["2025.03", "2024.11"]
    assert [a["kind"] for a in data["announcements"]] == ["on_market"]
    bob_json = json.loads(world.cli("show", "Bob Sample", "--json").output)
    assert len(bob_json["publications"][1]["authors"]) == 5  # the JSON keeps every author

    down = world.cli("show", "down").output
    assert "failing since" in down and "2 failed checks" in down and "HTTP 404" in down
    assert "No page stored yet" in down
    assert fingerprint(world) == before  # read only


def test_show_says_when_a_newer_page_is_held_as_suspect(tmp_path, page_server):
    world = build(tmp_path, page_server)
    page = (PAGES / "v2.html").read_text()
    few = page.split("<h2>Publications</h2>")[0].replace(
        "<li><b>2024.11</b>: I gave a talk at the Example Lab seminar.</li>", "") + """<h2>Publications</h2><ol>
      <li class="paper">[1] <strong>Calibrated Language Models for Science</strong><br>
      <b>Dana Example</b>, Eve Adams<br><em>EMNLP 2023</em></li></ol></body></html>"""
    assert few.split("<body>")[1].count("<li") == 2  # 6 items -> 2: held as suspect, not an outage
    page_server.set("/dana/", few)
    world.cli("run", "--once", "--source", "Dana Example")
    data = json.loads(world.cli("show", "Dana Example", "--json").output)
    assert data["suspect"] is not None and data["suspect"]["id"] == snapshots_of(world, "Dana Example")[-1]
    assert len(data["publications"]) == 4  # the accepted page, not the suspect one
    out = world.cli("show", "Dana Example").output
    assert f"snapshot {data['suspect']['id']} of " in out and "held as suspect" in out
    history = world.cli("history", "Dana Example").output
    assert "suspect" in history.splitlines()[2] and "(held as suspect: " in history

    world.cli("run", "--once", "--source", "Dana Example")  # the same page again: believed now
    data = json.loads(world.cli("show", "Dana Example", "--json").output)
    assert data["suspect"] is None and [p["title"] for p in data["publications"]] == [
        "Calibrated Language Models for Science"]
    history = world.cli("history", "Dana Example").output.splitlines()
    assert history[2].split()[2:4] == [str(data["snapshot"]["id"]), "suspect"]
    assert history[3].startswith("    (suspect, confirmed by the check of ")
    assert "    - paper no longer listed: 'Sparse Attention Without Tears'" in history


# ---------------------------------------------------------------- history

def test_history_lists_snapshots_and_events_newest_first(tmp_path, page_server):
    world = build(tmp_path, page_server)
    out = world.cli("history", "dana example").output.splitlines()
    older, newer = snapshots_of(world, "Dana Example")
    assert out[0].startswith("Dana Example: 2 snapshots, 2 checks (0 failed) since ")
    assert out[1].split() == ["when", "(UTC)", "snapshot", "outcome", "papers", "news", "announcements", "events"]
    assert out[2].split()[2:] == [str(newer), "changed", "4", "2", "1", "2"]
    assert out[3:5] == ["    - new paper 'Mixture of Depths for Tiny Models' (Preprint)",
                        "    - 'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)"]
    assert out[5].split()[2:] == [str(older), "new", "3", "2", "1", "0"]
    assert len(out) == 6

    data = json.loads(world.cli("history", "Dana Example", "--json").output)
    assert [e["snapshot"] for e in data["timeline"]] == [newer, older]
    assert [(ev["type"], ev["title"]) for ev in data["timeline"][0]["events"]] == [
        ("paper_added", "Mixture of Depths for Tiny Models"), ("paper_updated", "Retrieval Heads Are All You Need")]
    assert data["timeline"][0]["events"][1]["brief"] == "'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)"

    limited = world.cli("history", "Dana Example", "--limit", "1").output.splitlines()
    assert limited[2].split()[2] == str(newer) and limited[5:] == ["(1 older entry not shown: --limit 0 shows all)"]
    data = json.loads(world.cli("history", "Dana Example", "--limit", "1", "--json").output)
    assert (data["shown"], data["older"]) == (1, 1)


def test_history_shows_a_source_failing_and_recovering(tmp_path, page_server):
    world = build(tmp_path, page_server)
    page_server.set("/down/", (PAGES / "v1.html").read_bytes())
    world.cli("run", "--once", "--source", "Down")
    data = json.loads(world.cli("history", "Down", "--json").output)
    assert [e["outcome"] for e in data["timeline"]] == ["new", "recovered", "failing"]
    assert (data["checks"], data["failed_checks"], data["snapshots"]) == (3, 2, 1)
    failing = data["timeline"][2]
    assert failing["snapshot"] is None and failing["events"][0]["type"] == "source_failing"
    assert failing["events"][0]["text"] == "HTTP 404"
    text = world.cli("history", "down").output
    assert "    - source failing since " in text and "HTTP 404" in text and "    - source working again after 2 failed checks" in text


# ---------------------------------------------------------------- diff --text

def test_diff_text_shows_what_changed_on_the_page(tmp_path, page_server):
    world = build(tmp_path, page_server)
    before = fingerprint(world)
    older, newer = snapshots_of(world, "Dana Example")
    out = world.cli("diff", "dana example", "--text").output
    lines = out.splitlines()
    assert lines[0].startswith(f"--- Dana Example snapshot {older} (") and lines[1].startswith(f"+++ Dana Example snapshot {newer} (")
    assert lines[2].startswith("@@ ")
    for line in ("+- [1] Mixture of Depths for Tiny Models", "+Dana Example, Frank Moore", "-Preprint [arXiv]",
                 "+ACL 2025 [arXiv]", "-- [1] Sparse Attention Without Tears", "+- [2] Sparse Attention Without Tears",
                 " ## Publications", " Dana Example, Bo Li, and Carla Gomez"):
        assert line in lines, line
    # the style sheet and the white space changed too, and scripts are never text
    assert "margin" not in out and "scripted news" not in out and "Frank Moore" in out
    assert not any(line.startswith(("+", "-")) and "EMNLP 2023" in line for line in lines)

    swapped = world.cli("diff", "Dana Example", "--text", "--from", str(newer), "--to", str(older)).output.splitlines()
    assert "-- [1] Mixture of Depths for Tiny Models" in swapped and "+Preprint [arXiv]" in swapped
    assert world.cli("diff", "Dana Example", "--text", "--to", str(newer)).output == out  # --from: the one before
    coloured = CliRunner().invoke(main, ["--config", str(world.config), "--db", str(world.db), "diff", "Dana Example",
                                         "--text"], color=True).output.splitlines()
    assert coloured[0] == f"\x1b[1m{lines[0]}\x1b[0m"  # the header in bold
    assert "\x1b[31m-- [1] Sparse Attention Without Tears\x1b[0m" in coloured  # removed: red, though it starts "--"
    assert "\x1b[32m+ACL 2025 [arXiv]\x1b[0m" in coloured and " ## Publications" in coloured
    assert world.cli("diff", "Dana Example", "--text", "--from", str(older)).output == out  # --to: the newest
    assert fingerprint(world) == before


def test_diff_text_shows_markdown_as_it_is_and_never_a_control_character(tmp_path, page_server):
    world = build(tmp_path, page_server)
    out = world.cli("diff", "Bob Sample", "--text").output
    lines = out.splitlines()
    assert "+- **Sharper Sparse Probes**. Bob Sample, Cat Three. *ICML 2025*. [arXiv](https://arxiv.org/abs/2506.00009)" \
        in lines
    assert "+- **2025-06**: Welcome to our new students [2J[31mAnn and Ben[0m." in lines
    assert " ## Publications" in lines
    assert "\x1b" not in out


def test_diff_text_when_only_markup_changed_and_with_too_few_snapshots(tmp_path, page_server):
    world = build(tmp_path, page_server)
    restyled = (PAGES / "v2.html").read_text().replace("margin: 8px", "margin: 2em").replace("<ol>", "<ol class='x'>")
    page_server.set("/dana/", restyled)
    world.cli("run", "--once", "--source", "Dana Example")
    older, newer = snapshots_of(world, "Dana Example")[-2:]
    out = world.cli("diff", "Dana Example", "--text").output
    assert out == (f"No difference in the text of snapshots {older} and {newer}"
                   " (the pages differ in markup, links, scripts or styles only).\n")

    down = world.cli("diff", "Down", "--text", code=2)
    assert down.stderr == "error: Down: no snapshot stored yet: a text diff needs two\n"
    fresh = build(tmp_path / "one", page_server, second_run=False)
    (only,) = snapshots_of(fresh, "Dana Example")
    one = fresh.cli("diff", "Dana Example", "--text", code=2)
    assert one.stderr == f"error: Dana Example: only one snapshot so far (id {only}): a text diff needs two\n"


def test_diff_text_refuses_what_it_cannot_do_in_one_line(tmp_path, page_server):
    world = build(tmp_path, page_server)
    bob = snapshots_of(world, "Bob Sample")[0]
    wrong = world.cli("diff", "Dana Example", "--text", "--from", str(bob), code=2)
    assert wrong.stderr.startswith(f"error: Dana Example: --from {bob} is no snapshot of this source (its snapshots,")
    cases = [(("diff", "--text"), "--text needs a SOURCE"),
             (("diff", "Dana Example", "--from", "1"), "--from and --to choose the snapshots"),
             (("diff", "Dana Example", "--text", "--json"), "does not go with --since, --all or --json"),
             (("diff", "dana exmaple", "--text"), "no source named 'dana exmaple' (did you mean 'Dana Example'?)")]
    for args, message in cases:
        result = world.cli(*args, code=2)
        assert result.stderr.count("\n") == 1 and message in result.stderr, (args, result.stderr)


# ---------------------------------------------------------------- names

def test_names_match_in_any_case_and_a_typo_gets_did_you_mean(tmp_path, page_server):
    world = build(tmp_path, page_server)
    for args in (("show", "dana exmaple"), ("history", "Dana"), ("diff", "dana exmaple"),
                 ("feed", "--source", "dana exmaple")):
        result = world.cli(*args, code=2)
        assert result.stderr.count("\n") == 1, (args, result.stderr)
        assert f"{world.db}: no source named " in result.stderr and "(did you mean 'Dana Example'?)" in result.stderr
    assert "no source named 'Nobody At All'\n" in world.cli("show", "Nobody At All", code=2).stderr
    tag = world.cli("feed", "--tag", "NLPP", code=2).stderr
    assert tag == f"error: {world.config}: no tag named 'NLPP' (did you mean 'nlp'?)\n"
    # configured, never checked: said so, not "no source"
    world.config.write_text(world.config.read_text() + f"  - name: Eve New\n    url: {page_server.url('/eve/')}\n")
    assert "source 'Eve New' has no history in" in world.cli("show", "eve new", code=2).stderr
    assert "Dana Example:" in world.cli("diff", "DANA EXAMPLE").output


def test_find_source_takes_a_config_or_names(tmp_path, page_server):
    world = build(tmp_path, page_server, second_run=False)
    config = load_config(world.config)
    assert find_source(config, "bob SAMPLE").url == page_server.url("/bob/README.md")
    assert find_source(["Dana Example", "Bob Sample"], "dana example") == "Dana Example"
    with pytest.raises(ConfigError, match=r"sources.yaml: no source named 'Bob Smple' \(did you mean 'Bob Sample'\?\)"):
        find_source(config, "Bob Smple")
    assert find_source(["Dana", "DANA"], "Dana") == "Dana"  # the exact spelling first
    with pytest.raises(ConfigError, match="could be any of"):
        find_source(["Dana", "DANA"], "dana")
    with pytest.raises(ConfigError, match=r"no source named 'x'$"):
        find_source([], "x")


def test_html_is_read_as_its_visible_text_one_line_per_block():
    from monitor.textdiff import html_lines, page_lines

    html = """<html><head><title>Dana</title><style>p {}</style></head><body>
      <h2>Papers</h2><p>Sparse <b>Attention</b>
         Without   Tears<br>ICML<!-- hidden --> 2025</p>
      <ul><li>one<ul><li>two</li></ul></li></ul>
      <table><tr><th>Year</th><td>2025</td></tr></table>
      <pre>a  b\n\nc</pre><script>alert(1)</script><noscript>enable js</noscript><svg><text>logo</text></svg>
    </body></html>"""
    assert html_lines(html) == ["Dana", "## Papers", "Sparse Attention Without Tears", "ICML 2025", "- one", "  - two",
                                "Year | 2025", "a  b", "", "c"]
    latin = '<meta charset="windows-1252"><p>caf\xe9 \x1b[31m</p>'.encode("cp1252")  # with an escape sequence
    assert page_lines(latin, content_type="text/html") == ["café [31m"]
    assert page_lines(b"# Title\n\n- item  \n", content_type="text/markdown") == ["# Title", "", "- item"]
