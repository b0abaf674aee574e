"""`monitor feed`: a valid Atom 1.0 document of recent events, with ids that never change."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main

from .conftest import PAGES

A = "{http://www.w3.org/2005/Atom}"


def cli(config: Path, db: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def setup(tmp_path: Path, page_server) -> tuple[Path, Path]:
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n")
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", (PAGES / "v2.html").read_bytes())
    cli(config, db, "run", "--once")
    return config, db


def test_feed_is_atom_with_stable_ids(tmp_path, page_server):
    config, db = setup(tmp_path, page_server)
    root = ET.fromstring(cli(config, db, "feed"))
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id").startswith("urn:uuid:") and root.findtext(f"{A}title")
    assert root.findtext(f"{A}author/{A}name") == "scholarwatch"
    entries = root.findall(f"{A}entry")
    assert len(entries) == 2  # the alert-worthy events: a new paper and a venue update
    titles = sorted(e.findtext(f"{A}title") for e in entries)
    assert titles == ["Dana Example: 'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)",
                      "Dana Example: new paper 'Mixture of Depths for Tiny Models' (Preprint)"]
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == 2 and all(i.startswith("urn:uuid:") for i in ids)
    for e in entries:
        assert e.findtext(f"{A}updated") and e.find(f"{A}content").get("type") == "html"
        assert e.find(f"{A}link").get("href") == page_server.url("/dana/")
    assert root.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") for e in entries)
    content = next(e for e in entries if "Mixture" in e.findtext(f"{A}title")).findtext(f"{A}content")
    assert '<a href="https://arxiv.org/abs/2507.00003">arXiv</a>' in content

    again = ET.fromstring(cli(config, db, "feed"))  # the same ids every time
    assert again.findtext(f"{A}id") == root.findtext(f"{A}id")
    assert [e.findtext(f"{A}id") for e in again.findall(f"{A}entry")] == ids


def test_feed_options(tmp_path, page_server):
    config, db = setup(tmp_path, page_server)
    out = tmp_path / "public" / "feed.xml"
    CliRunner().invoke(main, ["--config", str(config), "--db", str(db), "feed", "--out", str(out),
                              "--self-url", "https://example.org/feed.xml"], catch_exceptions=False)
    root = ET.parse(out).getroot()
    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert root.find(f"{A}link").attrib == {"rel": "self", "href": "https://example.org/feed.xml"}
    assert len(ET.fromstring(cli(config, db, "feed", "--all")).findall(f"{A}entry")) >= 2
    empty = ET.fromstring(cli(config, db, "feed", "--since", "2999-01-01"))
    assert empty.findall(f"{A}entry") == [] and empty.findtext(f"{A}updated")
    assert list(tmp_path.glob("public/.*")) == []  # no temporary file left behind


def test_each_database_has_its_own_feed_id(tmp_path, page_server):
    config, db = setup(tmp_path, page_server)
    other = tmp_path / "other.db"
    cli(config, other, "run", "--once")
    first = ET.fromstring(cli(config, db, "feed")).findtext(f"{A}id")
    second = ET.fromstring(cli(config, other, "feed")).findtext(f"{A}id")
    assert first != second
