"""The whole pipeline through the command line: sources.yaml -> fetch -> extract -> SQLite -> diff."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main

from .conftest import PAGES, free_port


def write_config(tmp: Path, sources: list[tuple[str, str]]) -> Path:
    lines = ["sources:"] + [f"  - name: {n}\n    url: {u}" for n, u in sources]
    path = tmp / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(config: Path, db: Path, *args: str):
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)
    return result


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_new_paper_and_venue_update_are_exactly_the_events(tmp_path, page_server):
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("Dana Example", page_server.url("/dana/"))])
    db = tmp_path / "monitor.db"
    first = cli(config, db, "run", "--once")
    assert first.exit_code == 0, first.output
    assert "Dana Example" in first.output and "new" in first.output
    assert json.loads(cli(config, db, "diff", "--json").output) == []  # a first snapshot is not news

    page_server.set("/dana/", (PAGES / "v2.html").read_bytes())
    second = cli(config, db, "run", "--once")
    assert second.exit_code == 0, second.output
    events = json.loads(cli(config, db, "diff", "--json").output)
    got = sorted((e["type"], e.get("field"), e["title"]) for e in events)
    assert got == [
        ("paper_added", None, "Mixture of Depths for Tiny Models"),
        ("paper_updated", "venue", "Retrieval Heads Are All You Need"),
    ]
    venue = next(e for e in events if e["type"] == "paper_updated")
    assert (venue["before"], venue["after"]) == ("Preprint", "ACL 2025")
    assert all(e["source"] == "Dana Example" and e["detected_at"] for e in events)
    human = cli(config, db, "diff").output
    assert "Dana Example:" in human and "new paper 'Mixture of Depths for Tiny Models'" in human
    assert "now at ACL 2025" in human
    assert count(db, "snapshots") == 2


def test_unchanged_page_sends_if_none_match_and_writes_no_snapshot(tmp_path, page_server):
    page_server.set("/p/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("P", page_server.url("/p/"))])
    db = tmp_path / "monitor.db"
    assert cli(config, db, "run", "--once").exit_code == 0
    assert cli(config, db, "run", "--once").exit_code == 0
    hits = page_server.hits("/p/")
    assert len(hits) == 2
    assert "if-none-match" not in hits[0] and hits[1]["if-none-match"].startswith('"')
    assert count(db, "snapshots") == 1
    assert count(db, "checks") == 2
    with sqlite3.connect(db) as conn:
        outcomes = [r[0] for r in conn.execute("SELECT outcome FROM checks ORDER BY id")]
    assert outcomes == ["new", "not_modified"]


def test_failures_are_listed_and_do_not_stop_the_others(tmp_path, page_server):
    page_server.set("/ok/", (PAGES / "v1.html").read_bytes())
    page_server.set("/broken/", b"oops", status=500)
    dead = f"http://127.0.0.1:{free_port()}/"
    config = write_config(tmp_path, [("Broken", page_server.url("/broken/")), ("Dead", dead),
                                     ("Fine", page_server.url("/ok/"))])
    db = tmp_path / "monitor.db"
    result = cli(config, db, "run", "--once")
    assert result.exit_code == 0, result.output
    assert "Broken: HTTP 500" in result.output
    assert "Dead:" in result.output
    assert "3 checked, 2 failed" in result.output
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute("SELECT s.name, c.outcome FROM checks c JOIN sources s ON s.id = c.source_id"))
    assert rows == {"Broken": "failed", "Dead": "failed", "Fine": "new"}
    listing = cli(config, db, "sources").output
    assert "Broken" in listing and "HTTP 500" in listing


def test_error_page_with_status_200_is_held_and_removes_nothing(tmp_path, page_server):
    page_server.set("/d/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("D", page_server.url("/d/"))])
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.set("/d/", (PAGES / "error200.html").read_bytes())
    result = cli(config, db, "run", "--once")
    assert re.search(r"^D +failed ", result.output, re.M) and "D: looks like an error page" in result.output
    assert json.loads(cli(config, db, "diff", "--json").output) == []
    assert json.loads(cli(config, db, "diff", "--since", "1d", "--json").output) == []
    # the page comes back: nothing happened as far as the reader is concerned
    page_server.set("/d/", (PAGES / "v1.html").read_bytes())
    cli(config, db, "run", "--once")
    assert json.loads(cli(config, db, "diff", "--since", "1d", "--json").output) == []


def test_a_page_that_stays_empty_is_an_outage_not_a_list_of_removals(tmp_path, page_server):
    page_server.set("/e/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("E", page_server.url("/e/"))])
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.set("/e/", "<html><body><h1>Dana Example</h1><p>Site moved.</p></body></html>")
    for _ in range(3):
        result = cli(config, db, "run", "--once")
        assert "E: the page lost (nearly) all its items" in result.output
    events = json.loads(cli(config, db, "diff", "--since", "1d", "--json").output)
    assert [e["type"] for e in events] == ["source_failing"]  # after 3 failed checks, never removals


def test_malformed_sources_file_stops_with_one_line_and_touches_nothing(tmp_path, page_server):
    page_server.set("/x/", (PAGES / "v1.html").read_bytes())
    good = write_config(tmp_path, [("X", page_server.url("/x/"))])
    db = tmp_path / "monitor.db"
    cli(good, db, "run", "--once")
    before = db.read_bytes()
    good.write_text("sources:\n  - name: X\n    url: " + page_server.url("/x/") + "\n    every: often\n")
    result = CliRunner().invoke(main, ["--config", str(good), "--db", str(db), "run", "--once"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "sources.yaml" in lines[0] and "'X'" in lines[0] and "interval" in lines[0]
    assert count(db, "checks") == 1 and db.read_bytes() == before


def test_check_prints_the_documented_json_shape():
    result = CliRunner().invoke(main, ["check", str(PAGES / "v1.html"), "--json"])
    data = json.loads(result.output)
    assert set(data) == {"profile", "publications", "news", "announcements", "pages"}
    assert [(p["role"], p["papers"]) for p in data["pages"]] == [("home", len(data["publications"]))]
    assert {"title", "authors", "venue", "year", "links"} <= set(data["publications"][0])
    first = data["publications"][0]
    assert first["title"] == "Sparse Attention Without Tears"
    assert first["authors"] == ["Dana Example", "Bo Li", "Carla Gomez"]
    assert first["links"] == {"arxiv": "https://arxiv.org/abs/2501.00001", "code": "https://github.com/dana/sparse"}
    assert data["news"][0] == {"date": "2025.03", "parsed_date": "2025-03",
                               "text": "Our paper on sparse attention was accepted to ICML 2025.", "links": []}
    assert not any("2099" in n["text"] for n in data["news"])  # script content is never read
    assert [a["kind"] for a in data["announcements"]] == ["on_market"]
    assert not any("Old Place" in a["text"] for a in data["announcements"])  # nor comments
