"""Keeping the watch list from the command line, against real pages on 127.0.0.1 and a real SQLite file:
add, import, remove, rename, pause and resume keep sources.yaml byte for byte outside the edited entry,
and the stored history is never lost or duplicated."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.lock import writer_lock
from monitor.models import Page, Profile
from monitor.sources import load_config, parse_config
from monitor.watchlist import Candidate, Placed, append, default_name, page_key, read_import, unique_name

from .conftest import PAGES
from .test_daemon import Proc, wait_until

TEMPLATES = Path(__file__).parent / "templates"
V1 = (PAGES / "v1.html").read_bytes()
V2 = (PAGES / "v2.html").read_bytes()


def cli(config: Path, db: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def stored(db: Path) -> list[tuple]:
    """Each stored source with how much history it has: (name, checks, snapshots, items, events)."""
    return query(db, "SELECT s.name, (SELECT COUNT(*) FROM checks c WHERE c.source_id = s.id),"
                     " (SELECT COUNT(*) FROM snapshots n WHERE n.source_id = s.id),"
                     " (SELECT COUNT(*) FROM items i WHERE i.source_id = s.id),"
                     " (SELECT COUNT(*) FROM events e WHERE e.source_id = s.id) FROM sources s ORDER BY s.id")


def serve_homepages(page_server) -> None:
    page_server.set("/dana/", V1)
    page_server.set("/sam/", (TEMPLATES / "alfolio.html").read_bytes())
    page_server.set("/jane/", (TEMPLATES / "barron.html").read_bytes())
    page_server.set("/kai/", (TEMPLATES / "hugo.html").read_bytes())
    page_server.set("/gone/", (PAGES / "error200.html").read_bytes())


def rich_config(tmp_path: Path, page_server) -> Path:
    """A hand-kept sources.yaml: comments everywhere, aligned values, odd spacing, quotes, a route."""
    text = f"""\
# The researchers to watch.
defaults:                 # optional
  every: 12h              # check interval

sources:   # keep this list sorted by lab
  # --- NLP ---
  - name: Dana Example                  # the first one we watched
    url: {page_server.url('/dana/')}      # her homepage
    tags: [nlp]                         # for routing
  # Jane moved in 2024
  - name: 'Jane Roe'
    url:   {page_server.url('/jane/')}
    # every: 1d
channels:
  team:
    type: webhook
    url: https://example.org/hook
routes:
- channel: team
  sources: [Jane Roe, nlp]   # Jane and the NLP group
"""
    path = tmp_path / "sources.yaml"
    path.write_bytes(text.encode())
    return path


JANE = "  # Jane moved in 2024\n  - name: 'Jane Roe'\n"


# ---------------------------------------------------------------- add


def test_add_reads_the_page_shows_it_and_appends_it_keeping_the_file(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    before = config.read_bytes()
    result = cli(config, tmp_path / "m.db", "add", page_server.url("/sam/"), "--tag", "vision", "--tag", "lab")
    assert result.exit_code == 0, result.output + result.stderr
    out = result.output
    assert "Sam Wu, assistant professor, Example State University" in out
    assert "2 papers, 2 news items, 1 announcement" in out and "  paper: " in out and "  news: " in out
    assert f"added 'Sam Wu' to {config}" in out and "tags: vision, lab" in out
    entry = f"  - name: Sam Wu\n    url: {page_server.url('/sam/')}\n    tags: [vision, lab]\n"
    head, tail = before.decode().split("channels:\n")
    assert config.read_text() == head + entry + "channels:\n" + tail  # every other byte as it was
    sam = load_config(config).source("sam wu")
    assert sam.url == page_server.url("/sam/") and sam.tags == ["vision", "lab"]
    assert len(page_server.hits("/sam/")) == 1
    assert not (tmp_path / "m.db").exists()  # adding reads the page, it stores nothing


def test_add_refuses_a_duplicate_address_or_name_with_one_line(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    before = config.read_bytes()
    same_page = f"HTTP://127.0.0.1:{page_server.port}/dana#news"  # another case, no slash, a fragment
    for args, message in [
        ((page_server.url("/dana/"),), "is already watched as 'Dana Example'"),
        ((same_page,), "is already watched as 'Dana Example'"),
        ((page_server.url("/sam/"), "--name", "dana EXAMPLE"), "a source named 'Dana Example' exists already"),
    ]:
        result = cli(config, tmp_path / "m.db", "add", *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
        assert config.read_bytes() == before
    assert page_server.hits("/sam/") == []  # refused before any request


def test_a_page_that_fails_is_not_added_unless_forced(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    before = config.read_bytes()
    for path in ("/missing/", "/gone/"):
        result = cli(config, tmp_path / "m.db", "add", page_server.url(path))
        assert result.exit_code == 1, result.output
        assert "not added (--force adds it anyway)" in result.stderr and page_server.url(path) in result.stderr
        assert config.read_bytes() == before
    assert "404" in cli(config, tmp_path / "m.db", "add", page_server.url("/missing/")).stderr
    assert "error page" in cli(config, tmp_path / "m.db", "add", page_server.url("/gone/")).stderr

    forced = cli(config, tmp_path / "m.db", "add", page_server.url("/missing/"), "--force", "--name", "Later")
    assert forced.exit_code == 0 and "added anyway (--force)" in forced.stderr
    assert load_config(config).source("Later").url == page_server.url("/missing/")


def test_no_check_adds_without_a_request_and_names_the_page_by_its_address(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    result = cli(config, tmp_path / "m.db", "add", page_server.url("/kai/"), "--no-check", "--format", "html")
    assert result.exit_code == 0, result.output
    assert page_server.hits("/kai/") == []
    kai = load_config(config).sources[-1]
    assert kai.name == "127.0.0.1/kai" and kai.format == "html"


def test_a_local_file_is_written_relative_to_the_folder_of_sources_yaml(tmp_path, page_server, monkeypatch):
    serve_homepages(page_server)
    (tmp_path / "conf").mkdir()
    config = tmp_path / "conf" / "sources.yaml"
    config.write_text("sources: []\n")
    page = tmp_path / "saved" / "dana.html"
    page.parent.mkdir()
    page.write_bytes(V1)
    monkeypatch.chdir(tmp_path)
    result = cli(config, tmp_path / "m.db", "add", "saved/dana.html")
    assert result.exit_code == 0, result.output
    assert config.read_text() == "sources:\n  - name: Dana Example\n    url: ../saved/dana.html\n"
    assert load_config(config).sources[0].url == str(page)
    typo = cli(config, tmp_path / "m.db", "add", "dana.github.io")
    assert typo.exit_code == 2 and "did you mean 'https://dana.github.io'?" in typo.stderr


def test_default_names():
    person = Page(profile=Profile(name="Dana  Example"), title="Home | Something Else")
    assert default_name(person, "https://x.org/") == "Dana Example"
    assert default_name(Page(title="Home | Lab of Ada Byron"), "https://x.org/") == "Lab of Ada Byron"
    assert default_name(Page(title="Homepage"), "https://dana.github.io/") == "dana.github.io"
    assert default_name(None, "https://example.edu/~dana/index.html") == "example.edu/~dana"
    assert unique_name("Home", "https://a.org/", ["home"]) == "Home (a.org)"
    assert unique_name("Home", "https://a.org/", ["Home", "home (A.org)", "Home (2)"]) == "Home (3)"
    assert page_key("HTTPS://Dana.Example.org:443/") == page_key("https://dana.example.org")
    assert page_key("https://dana.example.org/a") != page_key("https://dana.example.org/b")


def test_concurrent_edits_all_land(tmp_path):
    config = tmp_path / "sources.yaml"
    config.write_text("# team\nsources:\n  - name: A\n    url: https://a.example.org/\n")
    errors: list[BaseException] = []

    def add(i: int) -> None:
        try:
            url = f"https://p{i}.example.org/"
            append(str(config), [Placed(candidate=Candidate(raw=url), name=f"P{i}", url=url, resolved=url)])
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(s.name for s in load_config(config).sources) == ["A"] + [f"P{i}" for i in range(8)]
    assert config.read_text().startswith("# team\nsources:\n  - name: A\n")


def test_the_file_is_replaced_atomically_keeping_its_mode_and_its_link(tmp_path, page_server):
    serve_homepages(page_server)
    real = rich_config(tmp_path, page_server)
    real.chmod(0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert cli(link, tmp_path / "m.db", "add", page_server.url("/kai/"), "--no-check").exit_code == 0
    assert link.is_symlink() and "/kai/" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------- remove


def test_remove_keeps_the_history_and_adding_it_again_continues_it(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    assert cli(config, db, "run", "--once").exit_code == 0
    page_server.set("/dana/", V2)
    assert cli(config, db, "run", "--once").exit_code == 0
    history = stored(db)
    config.write_text(config.read_text().replace("[Jane Roe, nlp]", "[Jane Roe]"))  # no route needs her tag
    before = config.read_text()

    result = cli(config, db, "remove", "DANA example")
    assert result.exit_code == 0, result.output
    assert "removed 'Dana Example'" in result.output
    assert f"Its history stays in {db} (2 checks, 2 events)" in result.output
    entry = before[before.index("  # --- NLP ---\n"):before.index(JANE)]
    assert config.read_text() == before.replace(entry, "", 1)
    assert stored(db) == history  # nothing stored is lost
    assert "new paper 'Mixture of Depths for Tiny Models'" in cli(config, db, "diff", "dana example", "--since", "1d").output
    assert "Dana Example" not in cli(config, db, "sources").output

    back = cli(config, db, "add", page_server.url("/dana/"), "--tag", "nlp")
    assert back.exit_code == 0, back.output
    assert "it continues the history stored for 'Dana Example': 2 checks, 2 events" in back.output
    run = cli(config, db, "run", "--once")
    assert "Dana Example  not_modified" in run.output, run.output  # not "new": the history goes on
    names = [row[0] for row in stored(db)]
    assert sorted(names) == ["Dana Example", "Jane Roe"] and stored(db)[0][1] == 3  # one row, one more check


def test_a_page_added_again_under_another_name_continues_its_history(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    config.write_text(config.read_text().replace("[Jane Roe, nlp]", "[Jane Roe]"))
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    history = stored(db)
    cli(config, db, "remove", "Dana Example")
    back = cli(config, db, "add", page_server.url("/dana/"), "--name", "D. Example")
    assert "it continues the history stored for 'Dana Example' (the same address): 1 check, 0 events" in back.output
    cli(config, db, "run", "--once")
    assert [row[0] for row in stored(db)] == ["D. Example", "Jane Roe"]
    assert stored(db)[0][1:] == (history[0][1] + 1, *history[0][2:])  # one more check, nothing else new


def test_remove_refuses_a_source_a_route_names_and_an_unknown_one(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    before = config.read_bytes()
    named = cli(config, tmp_path / "m.db", "remove", "jane roe")
    assert named.exit_code == 2 and "'Jane Roe' is named in routes" in named.stderr
    tagged = cli(config, tmp_path / "m.db", "remove", "Dana Example")  # the last source of a routed tag
    assert tagged.exit_code == 2 and "removing 'Dana Example' would make the file invalid" in tagged.stderr
    assert "'nlp' is neither a source name nor a tag" in tagged.stderr
    typo = cli(config, tmp_path / "m.db", "remove", "Jane Rou")
    assert typo.exit_code == 2 and "no source named 'Jane Rou' (did you mean 'Jane Roe'?)" in typo.stderr
    assert config.read_bytes() == before


# ---------------------------------------------------------------- rename


def test_rename_takes_the_history_along(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/jane/", (TEMPLATES / "hugo.html").read_bytes())  # a new page: events
    cli(config, db, "run", "--once")
    before, history = config.read_text(), stored(db)
    ids = query(db, "SELECT id, name FROM sources ORDER BY id")

    result = cli(config, db, "rename", "jane roe", "Jane Roe-Smith")
    assert result.exit_code == 0, result.output
    assert "renamed 'Jane Roe' to 'Jane Roe-Smith'" in result.output and "(and in 1 route)" in result.output
    assert "its history (2 checks, " in result.output
    assert config.read_text() == before.replace("name: 'Jane Roe'", "name: 'Jane Roe-Smith'").replace(
        "[Jane Roe, nlp]", "[Jane Roe-Smith, nlp]")
    assert query(db, "SELECT id, name FROM sources ORDER BY id") == [
        (i, "Jane Roe-Smith" if n == "Jane Roe" else n) for i, n in ids]
    assert [row[1:] for row in stored(db)] == [row[1:] for row in history]  # the same history, renamed
    assert "Jane Roe-Smith:" in cli(config, db, "diff", "jane roe-smith", "--since", "1d", "--all").output
    again = cli(config, db, "run", "--once")
    assert "Jane Roe-Smith  not_modified" in again.output, again.output
    assert len(stored(db)) == 2  # no new row


def test_a_source_renamed_by_hand_is_found_by_its_address(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    history = stored(db)
    config.write_text(config.read_text().replace("Dana Example", "Dana Q. Example"))
    run = cli(config, db, "run", "--once")
    assert "Dana Q. Example  not_modified" in run.output, run.output
    assert [row[0] for row in stored(db)] == ["Dana Q. Example", "Jane Roe"]
    assert [row[2:] for row in stored(db)] == [row[2:] for row in history]  # no snapshot, item or event more
    # a new name at a new address is a new source: the old one's history stays under its name
    config.write_text(config.read_text().replace("Dana Q. Example", "Dee").replace("/dana/", "/sam/"))
    cli(config, db, "run", "--once")
    assert [row[0] for row in stored(db)] == ["Dana Q. Example", "Jane Roe", "Dee"]


def test_rename_refuses_the_name_of_a_removed_source_s_history(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    cli(config, db, "remove", "Dana Example")
    before, history = config.read_bytes(), stored(db)
    result = cli(config, db, "rename", "Jane Roe", "Dana Example")
    assert result.exit_code == 2 and "the history of another source named 'Dana Example'" in result.stderr
    assert config.read_bytes() == before and stored(db) == history
    clash = cli(config, db, "rename", "Jane Roe", "Jane Roe")
    assert clash.exit_code == 2 and "already has that name" in clash.stderr


def test_rename_while_another_writer_holds_the_database(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    history = stored(db)
    with writer_lock(str(db), "monitor daemon"):
        result = cli(config, db, "rename", "Dana Example", "Dana")
        assert result.exit_code == 0, result.output
        assert f"{db} is in use by pid {os.getpid()} (monitor daemon" in result.output
        assert "kill -HUP" in result.output
        assert stored(db) == history  # the database is left to its writer
    assert load_config(config).sources[0].name == "Dana"
    cli(config, db, "run", "--once")  # the writer reads the file: the entry is found by its address
    assert [row[0] for row in stored(db)] == ["Dana", "Jane Roe"]
    assert stored(db)[0][1] == history[0][1] + 1


# ---------------------------------------------------------------- pause and resume


def test_a_paused_source_is_listed_but_never_checked(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    original = config.read_bytes()
    paused = cli(config, db, "pause", "dana example")
    assert paused.exit_code == 0 and "paused 'Dana Example' (enabled: false)" in paused.output
    assert config.read_text() == original.decode().replace(
        "    tags: [nlp]                         # for routing\n",
        "    tags: [nlp]                         # for routing\n    enabled: false\n")
    assert "already paused" in cli(config, db, "pause", "Dana Example").output

    run = cli(config, db, "run", "--once")
    assert run.exit_code == 0 and "1 paused, not checked: Dana Example" in run.output
    assert page_server.hits("/dana/") == [] and len(page_server.hits("/jane/")) == 1
    listing = cli(config, db, "sources").output
    assert [ln.split()[3] for ln in listing.splitlines() if ln.startswith("Dana Example")] == ["paused"]
    named = cli(config, db, "run", "--source", "Dana Example")
    assert named.exit_code == 2 and "is paused" in named.stderr and page_server.hits("/dana/") == []

    resumed = cli(config, db, "resume", "DANA EXAMPLE")
    assert resumed.exit_code == 0 and "resumed 'Dana Example'" in resumed.output
    assert config.read_bytes() == original
    cli(config, db, "run", "--once")
    assert len(page_server.hits("/dana/")) == 1


def test_enabled_must_be_a_boolean_and_names_unique_ignoring_case():
    bad = "sources:\n  - name: A\n    url: https://a.org/\n    enabled: sometimes\n"
    with pytest.raises(ConfigError) as exc:
        parse_config(bad, "s.yaml")
    assert str(exc.value) == "s.yaml: source 'A': 'enabled' must be true or false, not 'sometimes'"
    twice = "sources:\n  - name: Dana\n    url: https://a.org/\n  - name: DANA\n    url: https://b.org/\n"
    with pytest.raises(ConfigError) as exc:
        parse_config(twice, "s.yaml")
    assert "source 'DANA': duplicate name (as 'Dana') (names must be unique, ignoring case)" in str(exc.value)


# ---------------------------------------------------------------- import


def test_import_a_csv_file(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    before = config.read_text()
    listing = tmp_path / "lab.csv"
    listing.write_text(
        "url,name,tags\n"
        "# the lab\n"
        f"{page_server.url('/sam/')},Sam Wu,vision;lab\n"
        "\n"
        f"{page_server.url('/kai/')},,\n"
        f"{page_server.url('/dana/')},Dana again,\n"                 # already watched
        f"{page_server.url('/sam')},Sam twice,\n"                    # the same page as line 3
        f"{page_server.url('/missing/')},Nobody,\n"                  # 404
        "htp//not a url,Bad,\n"
        f"{page_server.url('/x/')},X,a,extra\n")
    result = cli(config, tmp_path / "m.db", "import", str(listing), "--tag", "2025")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{listing}:3: added 'Sam Wu'") and "2 papers, 2 news items" in lines[0]
    assert lines[1].startswith(f"{listing}:5: added 'Kai Moe'")
    assert lines[2] == f"{listing}:6: skipped: {page_server.url('/dana/')} is already watched as 'Dana Example'"
    assert lines[3] == f"{listing}:7: skipped: {page_server.url('/sam')} is already on {listing}:3"
    assert lines[4].startswith(f"{listing}:8: failed: {page_server.url('/missing/')}: HTTP 404")
    assert lines[5].startswith(f"{listing}:9: failed: 'htp//not a url'")
    assert lines[6] == f"{listing}:10: failed: 4 columns, at most 3 (url, name, tags)"
    assert f"{listing}: 2 added to {config}, 2 duplicates skipped, 3 failed" in result.output
    added = load_config(config).sources[2:]
    assert [(s.name, s.tags) for s in added] == [("Sam Wu", ["vision", "lab", "2025"]), ("Kai Moe", ["2025"])]
    assert config.read_text().startswith(before.split("channels:\n")[0])
    assert config.read_text().endswith("channels:\n" + before.split("channels:\n")[1])


def test_import_one_url_a_line_without_reading_the_pages(tmp_path, page_server):
    serve_homepages(page_server)
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n")
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# homepages\n{page_server.url('/sam/')}\n\n  {page_server.url('/kai/')}  \n"
                       f"{page_server.url('/sam/')}\n")
    result = cli(config, tmp_path / "m.db", "import", str(listing), "--no-check")
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output and "1 duplicate skipped, 0 failed" in result.output
    assert page_server.requests == []
    assert [s.url for s in load_config(config).sources] == [page_server.url("/sam/"), page_server.url("/kai/")]
    empty = tmp_path / "none.txt"
    empty.write_text("# nothing\n\n")
    assert "0 added" in cli(config, tmp_path / "m.db", "import", str(empty)).output
    missing = cli(config, tmp_path / "m.db", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "nope.csv: no such file" in missing.stderr


# ---------------------------------------------------------------- names


def test_names_match_ignoring_case_and_a_near_miss_gets_a_suggestion(tmp_path, page_server):
    serve_homepages(page_server)
    config = rich_config(tmp_path, page_server)
    db = tmp_path / "m.db"
    assert cli(config, db, "run", "--source", "dana EXAMPLE").exit_code == 0
    assert len(page_server.hits("/dana/")) == 1
    for args in (("run", "--source", "Dana Exmple"), ("diff", "Dana Exmple"), ("check", "Dana Exmple"),
                 ("pause", "Dana Exmple"), ("rename", "Dana Exmple", "D"), ("remove", "Dana Exmple")):
        result = cli(config, db, *args)
        assert result.exit_code == 2, args
        assert "no source named 'Dana Exmple' (did you mean 'Dana Example'?)" in result.stderr, (args, result.stderr)
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--source", "Dana Example")
    changes = cli(config, db, "diff", "DANA example")
    assert changes.exit_code == 0 and "new paper 'Mixture of Depths for Tiny Models'" in changes.output
    checked = cli(config, db, "check", "dana example")
    assert checked.exit_code == 0 and "4 publications" in checked.output
    cli(config, db, "add", page_server.url("/kai/"), "--no-check", "--name", "Kai")
    not_yet = cli(config, db, "diff", "kai")
    assert not_yet.exit_code == 2 and "source 'Kai' has no history" in not_yet.stderr


# ---------------------------------------------------------------- with the daemon running


def test_the_daemon_skips_paused_sources_and_follows_a_rename_on_reload(tmp_path, page_server):
    page_server.set("/a/", V1)
    page_server.set("/b/", V1)
    config = tmp_path / "sources.yaml"
    config.write_text("defaults:\n  politeness: 0\nsources:\n"
                      f"  - name: A\n    url: {page_server.url('/a/')}\n    every: 1s\n"
                      f"  - name: B\n    url: {page_server.url('/b/')}\n    every: 1s\n    enabled: false\n")
    db = tmp_path / "m.db"
    daemon = Proc(tmp_path, config, db, ("--start-spread", "0.2"))
    try:
        daemon.wait_log(" started: ", timeout=15)
        assert "sources=1 paused=1" in daemon.text()
        assert wait_until(lambda: len(page_server.hits("/a/")) >= 2, 8), daemon.text()
        assert page_server.hits("/b/") == []

        renamed = cli(config, db, "rename", "a", "A Renamed")
        assert renamed.exit_code == 0, renamed.output
        assert f"in use by pid {daemon.proc.pid} (monitor daemon" in renamed.output
        assert f"kill -HUP {daemon.proc.pid}" in renamed.output
        daemon.send(signal.SIGHUP)
        daemon.wait_log("reloaded ")
        checks = stored(db)[0][1]
        assert wait_until(lambda: stored(db)[0][0] == "A Renamed" and stored(db)[0][1] > checks, 8), daemon.text()
        assert [row[0] for row in stored(db)] == ["A Renamed", "B"]  # the same row: nothing duplicated

        assert cli(config, db, "resume", "b").exit_code == 0
        assert cli(config, db, "pause", "a renamed").exit_code == 0
        daemon.send(signal.SIGHUP)
        assert wait_until(lambda: daemon.text().count("reloaded ") == 2, 5), daemon.text()
        assert wait_until(lambda: len(page_server.hits("/b/")) >= 1, 8), daemon.text()
        time.sleep(0.5)  # a check of A already under way when the reload came may still finish
        a = len(page_server.hits("/a/"))
        time.sleep(2.5)
        assert len(page_server.hits("/a/")) == a, "a paused source was checked"
        daemon.send(signal.SIGTERM)
        assert daemon.wait(15) == 0, daemon.text()
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait(10)


def test_an_import_file_without_a_header_reads_its_columns_in_order(tmp_path):
    listing = tmp_path / "people.csv"
    listing.write_bytes("\ufeffhttps://a.example.org/,\"Roe, Jane\",nlp | vision\n# later\n\n"
                        "https://b.example.org/\n,No address,\nhttps://c.example.org/,,ml;nlp\n".encode())
    lines = read_import(str(listing))
    assert [(ln.where.rsplit(":", 1)[1], ln.candidate and (ln.candidate.raw, ln.candidate.name, ln.candidate.tags),
             ln.error) for ln in lines] == [
        ("1", ("https://a.example.org/", "Roe, Jane", ["nlp", "vision"]), None),
        ("4", ("https://b.example.org/", None, []), None),
        ("5", None, "no url"),
        ("6", ("https://c.example.org/", None, ["ml", "nlp"]), None),
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("url,homepage\nhttps://a.example.org/,x\n")
    with pytest.raises(ConfigError) as exc:
        read_import(str(bad))
    assert str(exc.value) == f"{bad}:1: unknown column 'homepage' (columns: url, name, tags)"
