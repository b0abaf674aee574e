"""What a worker sends the run's process: ``Page.to_wire``, plain tuples that ``Page.from_wire`` makes into
an equal page. A field added to any of the page's classes must cross too."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import pickle

from monitor.models import Announcement, NewsItem, Page, Profile, Publication, SiteLink
from monitor.worker import ExtractionPool, Job, run_job

from .conftest import SHARED


def _full(cls: type) -> object:
    """An instance of ``cls`` with every field away from its default (so a field left out shows)."""
    values = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type)
        if kind.startswith("list[dict"):
            values[f.name] = [{"read_as": f.name, "n": 1}]
        elif kind.startswith("list[SiteLink]"):
            values[f.name] = [_full(SiteLink), SiteLink("https://b.example/news", "news", "path /news/")]
        elif kind.startswith("list[Publication]"):
            values[f.name] = [_full(Publication), Publication("Second")]
        elif kind.startswith("list[NewsItem]"):
            values[f.name] = [_full(NewsItem)]
        elif kind.startswith("list[Announcement]"):
            values[f.name] = [_full(Announcement)]
        elif kind.startswith("list"):
            values[f.name] = [f"{f.name} 1", f"{f.name} 2"]
        elif kind.startswith("dict"):
            values[f.name] = {"pdf": f"https://a.example/{f.name}.pdf"}
        elif kind == "Profile":
            values[f.name] = _full(Profile)
        elif kind.startswith("int"):
            values[f.name] = 2024
        elif kind == "bool":
            values[f.name] = True
        else:
            values[f.name] = f"{cls.__name__} {f.name}"
    made = cls(**values)
    assert all(getattr(made, f.name) != _default(f) for f in dataclasses.fields(cls)), cls
    return made


def _default(f: dataclasses.Field) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else object()


def test_every_field_of_every_class_of_a_page_crosses_and_the_page_is_equal():
    page = _full(Page)
    wire = pickle.loads(pickle.dumps(page.to_wire(), protocol=5))
    assert Page.from_wire(wire) == page
    assert Page.from_wire(Page().to_wire()) == Page()


def test_a_page_read_by_a_worker_equals_the_page_read_in_this_process():
    body = min((SHARED / "corpus" / "pages").glob("*.html")).read_bytes()
    job = Job(body=body, content_type="text/html", url="https://example.org/~x/", discover=True,
              today=dt.date(2026, 12, 5))
    pool = ExtractionPool(size=1)
    try:
        page = asyncio.run(pool.extract(job))
    finally:
        pool.close()
    assert page == run_job(job) and page.publications
