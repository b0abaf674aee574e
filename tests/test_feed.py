"""`monitor feed`: a valid Atom 1.0 document of recent events, with ids that never change."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
from click.testing import CliRunner

from monitor.cli import main

from .conftest import PAGES
from .watched import build

A = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def assert_valid_atom(data: bytes) -> ET.Element:
    """RFC 4287's rules for a feed document, and the document as a feed reader (feedparser) reads it."""
    root = ET.fromstring(data)
    assert root.tag == f"{A}feed"

    def one(parent: ET.Element, tag: str) -> str:
        found = parent.findall(f"{A}{tag}")
        assert len(found) == 1, f"{parent.tag} must have exactly one {tag}"
        return found[0].text or ""

    assert IRI.fullmatch(one(root, "id")) and one(root, "title") and RFC3339.fullmatch(one(root, "updated"))
    feed_author = root.find(f"{A}author/{A}name") is not None
    ids = []
    for entry in root.findall(f"{A}entry"):
        ids.append(one(entry, "id"))
        assert IRI.fullmatch(ids[-1]) and one(entry, "title") and RFC3339.fullmatch(one(entry, "updated"))
        assert feed_author or entry.find(f"{A}author/{A}name") is not None  # an author for every entry
        assert all(link.get("href") for link in entry.findall(f"{A}link"))
        assert all(c.get("type", "text") in ("text", "html", "xhtml") for c in entry.findall(f"{A}content"))
    assert len(set(ids)) == len(ids)
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10" and [e.id for e in parsed.entries] == ids
    return root


def entries(root: ET.Element) -> dict[str, str]:
    """Entry title -> entry id."""
    return {e.findtext(f"{A}title"): e.findtext(f"{A}id") for e in root.findall(f"{A}entry")}


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
    root = assert_valid_atom(cli(config, db, "feed").encode())
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


def test_a_feed_per_source_and_per_tag(tmp_path, page_server):
    world = build(tmp_path, page_server)
    whole = assert_valid_atom(world.cli("feed").stdout_bytes)
    every = entries(whole)
    assert len(every) == 5  # Dana: paper + venue; Bob: paper + news; Down: failing

    bob = assert_valid_atom(world.cli("feed", "--source", "bob SAMPLE").stdout_bytes)
    assert bob.findtext(f"{A}title") == "scholarwatch: Bob Sample"
    assert sorted(entries(bob)) == sorted(t for t in every if t.startswith("Bob Sample: "))
    assert all(every[t] == i for t, i in entries(bob).items())  # an entry keeps its id in every feed
    assert bob.findtext(f"{A}id") != whole.findtext(f"{A}id")
    again = assert_valid_atom(world.cli("feed", "--source", "Bob Sample").stdout_bytes)
    assert again.findtext(f"{A}id") == bob.findtext(f"{A}id")  # stable, whatever the case typed

    nlp = assert_valid_atom(world.cli("feed", "--tag", "NLP").stdout_bytes)
    assert nlp.findtext(f"{A}title") == "scholarwatch: tag nlp"
    assert {t.split(":")[0] for t in entries(nlp)} == {"Dana Example", "Bob Sample"} and len(entries(nlp)) == 4
    systems = assert_valid_atom(world.cli("feed", "--tag", "systems").stdout_bytes)
    assert [t.split(":")[0] for t in entries(systems)] == ["Down"]
    assert systems.find(f"{A}entry/{A}category").get("term") == "source_failing"

    mixed = assert_valid_atom(world.cli("feed", "--source", "down", "--tag", "collaborators").stdout_bytes)
    assert mixed.findtext(f"{A}title") == "scholarwatch: Down, tag collaborators"
    assert sorted({t.split(":")[0] for t in entries(mixed)}) == ["Dana Example", "Down"] and len(entries(mixed)) == 3
    twice = assert_valid_atom(world.cli("feed", "--tag", "nlp", "--tag", "NLP").stdout_bytes)
    assert twice.findtext(f"{A}id") == nlp.findtext(f"{A}id") and entries(twice) == entries(nlp)

    # a tag's feed stays the same feed when the tag covers one more source
    world.config.write_text(world.config.read_text()
                            + f"  - name: Eve New\n    url: {page_server.url('/eve/')}\n    tags: [nlp]\n")
    later = assert_valid_atom(world.cli("feed", "--tag", "nlp").stdout_bytes)
    assert later.findtext(f"{A}id") == nlp.findtext(f"{A}id")

    out = tmp_path / "public" / "bob.xml"
    world.cli("feed", "--source", "Bob Sample", "--out", str(out))
    assert entries(assert_valid_atom(out.read_bytes())) == entries(bob)
