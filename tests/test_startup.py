"""Start-up and the extraction workers: each process loads only what its job needs.

A read-only command (``--help``, ``diff``, ``sources``, ``notices``) must start in well under 0.2 s,
so it must not import the HTTP stack, the extractor, the scheduler or the diff; a worker must not
import the command line, the store or the HTTP stack. Checked with ``python -X importtime`` on real
processes against a real database, and the workers on real pages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.worker import ExtractionPool, Job
from monitor.worker_process import Memo, run_job

from .conftest import PAGES

HEAVY = ("aiohttp", "httpx", "markdown_it", "markdown_it_pyrs", "selectolax", "monitor.extract", "apscheduler",
         "apprise", "sqlite_utils", "rapidfuzz", "monitor.diff", "charset_normalizer", "monitor.fetch",
         "monitor.pipeline")
NOT_IN_A_WORKER = ("click", "aiohttp", "httpx", "sqlite_utils", "sqlite3", "yaml", "apscheduler", "asyncio",
                   "monitor.cli", "monitor.store", "monitor.fetch", "monitor.pipeline", "monitor.notify")


def imported(argv: list[str], stdin: bytes | None = None) -> set[str]:
    """The modules a Python process imports (``-X importtime``), with the process's output checked."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *argv], input=stdin or b"", capture_output=True,
                          timeout=120)
    assert proc.returncode in (0, 2), proc.stderr.decode()[-2000:]
    names = set()
    for line in proc.stderr.decode().splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def test_read_only_commands_load_neither_the_http_stack_nor_the_extractor(tmp_path, page_server):
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n")
    db = tmp_path / "monitor.db"
    run = subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "--db", str(db), "run", "--once"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for args in (["--help"], ["diff"], ["sources"], ["notices"], ["feed"]):
        names = imported(["-m", "monitor", "--config", str(config), "--db", str(db), *args])
        assert "click" in names and "monitor.cli" in names  # the check itself sees imports
        loaded = sorted(h for h in HEAVY if h in names)
        assert not loaded, (args, loaded)
    # a run over a page that did not change: the HTTP stack, but not what only a migration or a change
    # needs (the scholarly vocabulary compares venues), nor a package's metadata (httpx_aiohttp read it)
    names = imported(["-m", "monitor", "--config", str(config), "--db", str(db), "run"])
    assert "monitor.pipeline" in names and "aiohttp" in names
    assert not {"sqlite_utils", "rapidfuzz", "monitor.scholarly", "importlib.metadata", "httpx_aiohttp"} & names


def test_a_worker_imports_the_extractor_and_nothing_of_the_command_line():
    names = imported(["-m", "monitor.worker_process"])
    assert "monitor.extract" in names and "monitor.decode" in names
    assert "monitor.heap" in names  # its collector is settled once the extractor is loaded
    loaded = sorted(n for n in NOT_IN_A_WORKER if n in names)
    assert not loaded, loaded


def test_a_settled_heap_is_frozen_and_collected_less_often():
    code = ("import gc; from monitor.heap import settle, GC_YOUNG_ALLOCATIONS; before = gc.get_threshold()[0]; "
            "settle(); print(before, gc.get_threshold()[0] == GC_YOUNG_ALLOCATIONS, gc.get_freeze_count() > 1000)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["700", "True", "True"]


def test_a_worker_is_sent_bytes_and_decodes_them_with_the_declared_charset():
    text = (PAGES / "v1.html").read_text().replace("Sparse Attention Without Tears", "Sparse Attention — Ça Marche")
    pool = ExtractionPool(size=1)
    try:
        for charset in ("utf-8", "cp1252"):
            body = text.replace("—", "-").encode(charset) if charset == "cp1252" else text.encode(charset)
            page = asyncio.run(pool.extract(Job(body=body, charset=charset, content_type="text/html")))
            assert page.publications[0].title.startswith("Sparse Attention") and "Ça Marche" in page.publications[0].title
    finally:
        pool.close()


def test_a_worker_that_grew_past_the_limit_is_replaced_and_the_page_still_read():
    pool = ExtractionPool(size=1, rss_limit=1)  # every worker is "too big" after its first page
    body = (PAGES / "v1.html").read_bytes()
    try:
        pids = []
        for _ in range(3):
            page = asyncio.run(pool.extract(Job(body=body, content_type="text/html")))
            assert page.publications[0].title == "Sparse Attention Without Tears"
            assert not pool._idle and not pool._busy  # the worker was let go, not kept
        assert pool.recycled == 3
        big = ExtractionPool(size=1)
        asyncio.run(big.extract(Job(body=body)))
        asyncio.run(big.extract(Job(body=body)))
        pids = [w.process.pid for w in big._idle]
        assert big.recycled == 0 and len(pids) == 1  # under the limit, one worker serves both pages
        big.close()
        assert not Path(f"/proc/{pids[0]}").exists() or "zombie" in Path(f"/proc/{pids[0]}/status").read_text()
    finally:
        pool.close()


@pytest.mark.parametrize("limit, pages, sizes, emptied_after", [
    (100, 3, [50, 150, 150, 150, 150, 150, 150], [2, 5]),  # past the limit, then not again for 3 pages
    (100, 3, [50, 60, 70, 80], []),  # under the limit: never
    (100, 1, [150, 50, 150, 150], [1, 3, 4]),  # every page may empty them when spacing is one page
    (0, 50, [10] + [20] * 100, [1, 51, 101]),  # the first page past the limit empties at once
])
def test_a_worker_empties_its_memo_caches_past_its_limit_at_most_once_in_so_many_pages(
        limit, pages, sizes, emptied_after):
    memo = Memo(limit, pages)
    assert [n for n, rss in enumerate(sizes, 1) if memo.after_page(rss)] == emptied_after
    assert memo.emptied == len(emptied_after)


def test_forget_empties_every_memo_cache_of_the_extractor_and_reading_is_unchanged():
    from monitor import scholarly
    from monitor.extract import cues, forget, html, text
    from monitor.memo import MemoTable

    page = (PAGES / "v1.html").read_bytes()
    first = run_job(Job(body=page, content_type="text/html", today=dt.date(2026, 12, 5)))
    tables = [v for m in (cues, html, text, scholarly) for v in vars(m).values() if isinstance(v, MemoTable)]
    assert len(tables) >= 20 and sum(len(t) for t in tables) > 100
    forget()
    assert all(len(t) == 0 for t in tables)
    assert run_job(Job(body=page, content_type="text/html", today=dt.date(2026, 12, 5))) == first


def test_a_worker_past_its_memo_limit_keeps_reading_and_is_not_replaced():
    pool = ExtractionPool(size=1, rss_limit=1 << 40, memo_limit=1)  # it empties its caches after its first page
    body = (PAGES / "v1.html").read_bytes()
    try:
        for _ in range(3):
            page = asyncio.run(pool.extract(Job(body=body, content_type="text/html")))
            assert page.publications[0].title == "Sparse Attention Without Tears"
        assert pool.recycled == 0 and len(pool._idle) == 1
        argv = Path(f"/proc/{pool._idle[0].process.pid}/cmdline").read_bytes().split(b"\0")
        assert argv[-2:] == [b"1", b""]  # the limit reached the worker
    finally:
        pool.close()


def test_a_run_with_no_database_yet_starts_its_workers_first_and_leaves_none_behind(tmp_path, monkeypatch):
    """No database: every check will extract, so one worker starts before the sources are read and the
    others once the run's modules are imported, before the database is made (here first a refused file:
    the run stops, creates nothing, and its worker goes with it)."""
    from click.testing import CliRunner

    from monitor import worker
    from monitor.cli import Ctx, main

    worker.close_shared_pool()  # (workers an earlier test left in this process's pool)
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: a\n    url: [oops\n")
    db = tmp_path / "monitor.db"
    result = CliRunner().invoke(main, ["--db", str(db), "--config", str(bad), "run"])
    assert result.exit_code == 2 and "invalid YAML" in result.output and not db.exists()
    pool = worker.shared_pool()
    pids = [w.process.pid for w in pool._idle]
    assert len(pids) == 1  # started before the file was read
    worker.close_shared_pool()
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()

    good = tmp_path / "good.yaml"  # (a closed port: each check fails at once, nothing is extracted)
    good.write_text("sources:\n  - name: a\n    url: http://127.0.0.1:9/\n")
    started: dict[str, int] = {}
    opened_config, opened_store = Ctx.config, Ctx.store
    monkeypatch.setattr(Ctx, "config", lambda self, **kw: (
        started.setdefault("sources read", len(worker.shared_pool()._idle)), opened_config(self, **kw))[1])
    monkeypatch.setattr(Ctx, "store", lambda self: (
        started.setdefault("database opened", len(worker.shared_pool()._idle)), opened_store(self))[1])
    try:
        result = CliRunner().invoke(main, ["--db", str(db), "--config", str(good), "run"])
        assert db.exists() and "failed" in result.output
        assert started == {"sources read": 1, "database opened": worker.shared_pool().size}
    finally:
        worker.close_shared_pool()

    db.touch()  # a database already there: workers wait until a page needs one
    CliRunner().invoke(main, ["--db", str(db), "--config", str(bad), "run"])
    assert not worker.shared_pool()._idle


def test_a_big_answer_arrives_whole_under_uvloop():
    """uvloop makes a file descriptor it watches non-blocking; an answer larger than the pipe's buffer
    must still be read whole (``monitor run`` runs on uvloop)."""
    import uvloop

    rows = "".join(f"<li><b>Paper number {i} about sparse attention and tears</b><br>Ann Lee, Tom Wu"
                   f"<br><i>ACL {2000 + i % 25}</i></li>" for i in range(400))
    page_html = f"<html><body><h2>Publications</h2><ul>{rows}</ul></body></html>"
    pool = ExtractionPool(size=1)
    try:
        for _ in range(3):
            page = uvloop.run(pool.extract(Job(body=page_html.encode(), content_type="text/html")))
            assert len(page.publications) == 400
    finally:
        pool.close()
