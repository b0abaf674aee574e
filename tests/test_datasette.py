"""db/datasette.yaml: the metadata parses, and every canned query runs on a database made by the real
`monitor run --once` (two runs, pages changed in between) and returns the rows it promises.

Each query runs on a read-only connection, so none can write; Datasette itself is not started.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import yaml

from .watched import Watched, build

METADATA = Path(__file__).resolve().parent.parent / "db" / "datasette.yaml"
QUERIES = {"new_papers_this_week", "failing_sources", "researcher_papers", "recent_news", "job_market"}


def load() -> dict:
    return yaml.safe_load(METADATA.read_text(encoding="utf-8"))


def run(db: Path, query: str, **params: str) -> list[dict]:
    """One canned query, as Datasette runs it: its SQL with named parameters, on a read-only connection."""
    sql = load()["databases"]["monitor"]["queries"][query]["sql"]
    conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_the_metadata_parses_and_declares_each_query():
    meta = load()
    assert meta["title"] == "scholarwatch"
    database = meta["databases"]["monitor"]  # the name Datasette gives db/monitor.db
    queries = database["queries"]
    assert set(queries) == QUERIES
    for name, query in queries.items():
        assert query["title"] and query["description"] and query["sql"].lstrip().lower().startswith("select"), name
        named = set(re.findall(r"(?<!:):([A-Za-z_]\w*)", query["sql"]))
        assert named == set(query.get("params", [])), name  # every parameter declared, none left over
    tables = {"sources", "checks", "snapshots", "source_pages", "items", "events"}
    assert set(database["tables"]) == tables
    assert database["tables"]["sources"]["label_column"] == "name"


def test_every_canned_query_returns_the_expected_rows(tmp_path, page_server):
    world: Watched = build(tmp_path, page_server)
    db = world.db

    new = run(db, "new_papers_this_week")
    assert sorted((r["researcher"], r["title"], r["venue"], r["year"]) for r in new) == [
        ("Bob Sample", "Sharper Sparse Probes", "ICML 2025", 2025),
        ("Dana Example", "Mixture of Depths for Tiny Models", "Preprint", None)]  # not the venue update
    assert [r["detected_at"] for r in new] == sorted((r["detected_at"] for r in new), reverse=True)

    failing = run(db, "failing_sources")
    assert [(r["name"], r["failures"], r["last_error"], r["last_success_at"]) for r in failing] == [
        ("Down", 2, "HTTP 404", None)]

    papers = run(db, "researcher_papers", name="dana example")  # any case
    assert [(r["title"], r["venue"], r["year"]) for r in papers] == [
        ("Sparse Attention Without Tears", "ICML 2025", 2025),
        ("Retrieval Heads Are All You Need", "ACL 2025", 2025),
        ("Calibrated Language Models for Science", "EMNLP 2023", 2023),
        ("Mixture of Depths for Tiny Models", "Preprint", None),
    ]
    assert json.loads(papers[0]["authors"]) == ["Dana Example", "Bo Li", "Carla Gomez"]
    assert run(db, "researcher_papers", name="Nobody") == []

    news = run(db, "recent_news")
    assert [(r["researcher"], r["date"]) for r in news] == [
        ("Bob Sample", "2025-06"), ("Bob Sample", "2025-05"), ("Dana Example", "2025.03"),
        ("Bob Sample", "2025-01"), ("Dana Example", "2024.11")]
    assert news[2]["news"] == "Our paper on sparse attention was accepted to ICML 2025."

    market = run(db, "job_market")
    assert [(r["researcher"], r["announcement"]) for r in market] == [
        ("Dana Example", "I am on the job market this year, seeking research scientist positions.")]


def test_this_week_means_the_last_seven_days(tmp_path, page_server):
    world = build(tmp_path, page_server)
    aged = tmp_path / "aged.db"
    with sqlite3.connect(world.db) as source, sqlite3.connect(aged) as copy:
        source.backup(copy)
    with sqlite3.connect(aged) as conn:  # one of the two new papers was found ten days ago
        conn.execute("UPDATE events SET detected_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-10 days')"
                     " WHERE title = 'Sharper Sparse Probes'")
    assert [r["title"] for r in run(aged, "new_papers_this_week")] == ["Mixture of Depths for Tiny Models"]
