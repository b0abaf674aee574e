"""The five seed pages against what a perfect extractor returns (../shared/seeds/truth)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from monitor.diff import norm
from monitor.extract import extract

from .conftest import SHARED

SEEDS = SHARED / "seeds"
TRUTHS = sorted((SEEDS / "truth").glob("*.json"))
READ_ON = dt.date(2026, 11, 23)  # the seeds were read in 2026: "Jun 2" means 2026-06-02


def test_the_seed_truths_are_there():
    assert len(TRUTHS) == 5, f"expected the five seeds in {SEEDS}"


@pytest.mark.parametrize("truth_file", TRUTHS, ids=[t.stem[:3] for t in TRUTHS])
def test_seed(truth_file):
    truth = json.loads(truth_file.read_text())
    body = (SEEDS / truth["seed"]).read_text()
    page = extract(body, url=truth["seed"], today=READ_ON)
    want = truth["publications"]
    got = page.publications
    assert len(got) == len(want)
    if all(p["title"] for p in want):
        got_by_title = {norm(p.title): p for p in got}
        for p in want:
            found = got_by_title.get(norm(p["title"]))
            assert found is not None, f"missed {p['title']!r}"
            assert found.year == p["year"], p["title"]
            if p.get("venue") and p["venue"] != "Preprint":
                assert norm(p["venue"]) in norm(found.venue), (p["title"], found.venue)
    else:  # papers known only by their abstract
        for p, g in zip(want, got):
            assert g.title is None and norm(g.text).startswith(norm(p["text"])[:60])
            assert g.year == p["year"]
    got_news = [norm(n.text) for n in page.news]
    assert len(got_news) == len(truth["news"])
    for n in truth["news"]:
        assert any(g.startswith(norm(n["text"])[:60]) for g in got_news), n["text"]
    kinds = {a.kind for a in page.announcements}
    assert kinds == ({truth["job_market"]["kind"]} if truth["job_market"] else set())
    if truth.get("profile"):
        assert norm(page.profile.position) == norm(truth["profile"]["position"])
