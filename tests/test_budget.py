"""A page can never freeze or crash the monitor: any depth, a time budget, no extraction on the event loop.

The pages come from a real HTTP server on 127.0.0.1; the runs are real `monitor` processes with a
generous timeout, so a hang fails the test instead of the suite.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.errors import ExtractError
from monitor.extract.dom import Limits, limits, nesting_estimate, parse_html
from monitor.pipeline import check_sources
from monitor.sources import load_config
from monitor.store import Store
from monitor.worker import ExtractionPool, Job

from .conftest import HERE, PAGES, SHARED
from .test_daemon import start, wait_until, write_config as daemon_config  # noqa: F401 (fixture)
from .test_operate import _alive, _workers_of

HANG = 120  # seconds: only a hang takes this long


def monitor(config: Path, db: Path, *args: str, timeout: float = HANG) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout)


def write_config(tmp: Path, sources: list[tuple[str, str]], defaults: str = "") -> Path:
    lines = (["defaults:", defaults] if defaults else []) + ["sources:"]
    lines += [f"  - name: {n}\n    url: {u}" for n, u in sources]
    path = tmp / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def deep(n: int, inner: str = "x") -> str:
    return "<html><body><h2>Publications</h2>" + "<div>" * n + inner + "</div>" * n + "</body></html>"


def many_papers(n: int) -> str:
    return "<html><body><h2>Publications</h2><ul>" + "".join(
        f"<li><b>A Study of Deep Thing Number {i} in Models</b><br>Dana Example, Bo Li<br>ACL 2021</li>"
        for i in range(n)) + "</ul></body></html>"


def test_a_page_of_200000_nested_elements_fails_its_source_with_a_reason_and_the_run_goes_on(tmp_path, page_server):
    page_server.set("/deep/", deep(200_000))
    page_server.set("/fine/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("Deep", page_server.url("/deep/")), ("Fine", page_server.url("/fine/"))])
    db = tmp_path / "monitor.db"
    run = monitor(config, db, "run", "--once")
    assert run.returncode == 0, run.stderr
    assert "Deep: extraction failed: page nested deeper than 400 levels" in run.stdout
    assert "RecursionError" not in run.stdout + run.stderr
    with sqlite3.connect(db) as conn:
        outcomes = dict(conn.execute("SELECT s.name, c.outcome FROM checks c JOIN sources s ON s.id = c.source_id"))
        error = conn.execute("SELECT last_error FROM sources WHERE name = 'Deep'").fetchone()[0]
    assert outcomes == {"Deep": "failed", "Fine": "new"}
    assert error == "extraction failed: page nested deeper than 400 levels"


def test_the_tree_is_built_and_walked_without_recursion_at_any_depth():
    n = 20_000  # far beyond Python's recursion limit; lexbor still parses it in about a second
    with limits(Limits(max_depth=n + 10)):
        root, _ = parse_html(deep(n, "<p>bottom</p>"))
    assert sum(1 for _ in root.elements()) == n + 2  # the h2, the divs, the p
    assert root.lines() == ["Publications", "bottom"]
    innermost = [e for e in root.elements() if e.tag == "p"][0]
    assert sum(1 for _ in innermost.ancestors()) == n + 1


def test_reading_pages_leaves_nothing_in_reference_cycles():
    """A page's elements go as soon as it is read, by reference counting: a cycle (a nested function and
    its frame, an element's memo pointing back at it) would hold them until the cycle collector came,
    which then spends a tenth of extraction walking them. Counted in a process of its own, where no other
    thread makes garbage meanwhile. (The compiled build: ``test_compiled``.)"""
    files = sorted((SHARED / "seeds").glob("*.md")) + sorted(PAGES.glob("*.html")) + sorted(
        (SHARED / "corpus").rglob("*.html"))[:40]
    assert len(files) > 40
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
            "from extraction_dump import cyclic_garbage; print(cyclic_garbage([Path(a) for a in sys.argv[2:]]))")
    run = subprocess.run([sys.executable, "-c", code, str(HERE / "support"), *map(str, files)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == 0


def test_a_page_just_inside_the_limits_is_read_and_one_beyond_is_refused_before_parsing():
    papers = "<ul>" + "".join(f"<li><b>A Study of Deep Thing Number {i} in Models</b><br>Dana Example, Bo Li"
                              f"<br>ACL 2021</li>" for i in range(3)) + "</ul>"
    from monitor.worker import run_job

    page = run_job(Job(text=deep(390, papers)))
    assert len(page.publications) == 3
    with pytest.raises(ExtractError, match="nested deeper than 400 levels"):
        run_job(Job(text=deep(450, papers)))
    assert nesting_estimate(deep(200_000), 1600) == 1601  # the scan stops early: lexbor never sees it
    assert nesting_estimate("<p>a<p>b<li>c<li>d<div><span>e</div><br><img>" * 500, 1600) <= 4
    with pytest.raises(ExtractError, match="more than 1000 elements"):
        run_job(Job(text=many_papers(300), limits=Limits(max_elements=1000)))


def test_extraction_past_its_time_budget_fails_the_check_and_the_next_page_is_read(tmp_path, page_server):
    page_server.set("/big/", many_papers(4000))
    config = write_config(tmp_path, [("Big", page_server.url("/big/"))], "  extraction_timeout: 0.05\n  failing_after: 1")
    db = tmp_path / "monitor.db"
    run = monitor(config, db, "run", "--once")
    assert "Big: extraction failed: extraction took longer than 0.05 s (the time budget)" in run.stdout, run.stdout
    assert "\nBig:\n  - source failing since" in run.stdout  # like any failed check, it counts toward failing_after

    pool = ExtractionPool(size=1)
    try:
        with pytest.raises(ExtractError, match="took longer than 0.05 s"):
            asyncio.run(pool.extract(Job(text=many_papers(4000)), timeout=0.05))
        page = asyncio.run(pool.extract(Job(text=(PAGES / "v1.html").read_text()), timeout=HANG))
        assert page.publications[0].title == "Sparse Attention Without Tears"
    finally:
        pool.close()


def test_a_worker_is_given_the_next_page_while_it_reads_one_and_that_page_s_budget_starts_when_it_does():
    """The next page waits in the worker's pipe, not in the parent: one worker reads both, back to back,
    and the waiting page's budget (shorter than the first page takes) counts from when it is started."""
    pool = ExtractionPool(size=1, rss_limit=1 << 40)  # the big page must not retire the worker
    quick = (PAGES / "v1.html").read_text()

    async def both() -> tuple[int, list, int]:
        first = asyncio.create_task(pool.extract(Job(text=many_papers(8000)), timeout=HANG))
        second = asyncio.create_task(pool.extract(Job(text=quick), timeout=0.5))
        await asyncio.sleep(0.2)
        (worker,) = pool._busy
        held = len(worker.queue)
        return held, await asyncio.gather(first, second), worker.process.pid

    try:
        held, (slow, page), pid = asyncio.run(both())
        assert held == 2
        assert len(slow.publications) == 8000
        assert page.publications[0].title == "Sparse Attention Without Tears"
        assert [w.process.pid for w in pool._idle] == [pid] and not pool._busy
    finally:
        pool.close()


def test_a_worker_holds_up_to_depth_pages_and_the_rest_wait_for_room():
    """What a worker holds outlasts a stall of the event loop; past ``DEPTH`` pages a job waits in the parent."""
    pool = ExtractionPool(size=1, rss_limit=1 << 40)
    small = (PAGES / "v1.html").read_text()

    async def many() -> tuple:
        slow = asyncio.create_task(pool.extract(Job(text=many_papers(3000)), timeout=HANG))
        rest = [asyncio.create_task(pool.extract(Job(text=small), timeout=HANG)) for _ in range(pool.DEPTH + 2)]
        await asyncio.sleep(0.2)
        (worker,) = pool._busy
        held = len(worker.queue)
        return held, await slow, await asyncio.gather(*rest)

    try:
        held, slow, pages = asyncio.run(many())
        assert pool.DEPTH >= 2 and held == pool.DEPTH
        assert len(slow.publications) == 3000
        assert [p.publications[0].title for p in pages] == ["Sparse Attention Without Tears"] * (pool.DEPTH + 2)
    finally:
        pool.close()


def test_a_page_waiting_behind_one_past_its_budget_is_read_by_another_worker():
    pool = ExtractionPool(size=1, rss_limit=1 << 40)

    async def both() -> list:
        first = asyncio.create_task(pool.extract(Job(text=many_papers(8000)), timeout=0.5))
        second = asyncio.create_task(pool.extract(Job(text=(PAGES / "v1.html").read_text()), timeout=HANG))
        await asyncio.sleep(0.2)
        (worker,) = pool._busy
        assert len(worker.queue) == 2
        return [*await asyncio.gather(first, second, return_exceptions=True), worker]

    try:
        slow, page, lost = asyncio.run(both())
        assert isinstance(slow, ExtractError) and str(slow) == "extraction took longer than 0.5 s (the time budget)"
        assert page.publications[0].title == "Sparse Attention Without Tears"
        assert not lost.alive() and len(pool._idle) == 1 and pool._idle[0] is not lost
    finally:
        pool.close()


def test_cancelling_a_page_that_waits_in_a_worker_s_pipe_lets_the_page_before_it_finish_elsewhere():
    """Its answer would be taken for the next page's: the worker goes, and the page it was reading is read
    again by a new one (not failed: it did nothing wrong)."""
    pool = ExtractionPool(size=1, rss_limit=1 << 40)

    async def run() -> tuple:
        first = asyncio.create_task(pool.extract(Job(text=many_papers(4000)), timeout=HANG))
        second = asyncio.create_task(pool.extract(Job(text=(PAGES / "v1.html").read_text()), timeout=HANG))
        await asyncio.sleep(0.2)
        (worker,) = pool._busy
        second.cancel()
        return await first, worker, await asyncio.gather(second, return_exceptions=True)

    try:
        page, lost, (cancelled,) = asyncio.run(run())
        assert len(page.publications) == 4000
        assert isinstance(cancelled, asyncio.CancelledError)
        assert not lost.alive() and len(pool._idle) == 1 and pool._idle[0] is not lost
    finally:
        pool.close()


def test_a_page_too_big_for_the_room_left_in_a_busy_worker_s_pipe_waits_for_a_worker():
    """Sending it would block the event loop until the worker had read the page before it."""
    pool = ExtractionPool(size=1)
    big = many_papers(2)[:-len("</ul></body></html>")] + "<!--" + "x" * 1_100_000 + "--></ul></body></html>"

    async def both() -> tuple:
        first = asyncio.create_task(pool.extract(Job(text=many_papers(4000)), timeout=HANG))
        second = asyncio.create_task(pool.extract(Job(body=big.encode()), timeout=HANG))
        await asyncio.sleep(0.2)
        (worker,) = pool._busy
        held = len(worker.queue)
        return held, await asyncio.gather(first, second)

    try:
        held, (slow, page) = asyncio.run(both())
        assert held == 1  # the big page waited in the parent
        assert len(slow.publications) == 4000 and len(page.publications) == 2
    finally:
        pool.close()


def test_closing_the_pool_fails_the_pages_it_holds_at_once():
    pool = ExtractionPool(size=1)

    async def run() -> list:
        pages = [asyncio.create_task(pool.extract(Job(text=many_papers(n)), timeout=HANG)) for n in (4000, 10)]
        await asyncio.sleep(0.2)
        pool.close()
        return await asyncio.wait_for(asyncio.gather(*pages, return_exceptions=True), 5)

    errors = asyncio.run(run())
    assert [str(e) for e in errors] == ["extraction stopped: the pool was closed"] * 2
    assert all(isinstance(e, ExtractError) for e in errors)


def _checked_with(pool: ExtractionPool, config: Path, db: Path) -> list[str]:
    store = Store(db)
    try:
        return [r.outcome for r in asyncio.run(check_sources(load_config(config), store, pool=pool))]
    finally:
        store.close()


def test_workers_start_with_a_run_that_has_new_sources_and_not_with_one_that_has_none(tmp_path, page_server):
    """A source's first check always extracts, so its workers are started at the start of the run (while
    the first pages are fetched); a run over sources checked before starts one only for a page that changed."""
    page_server.set("/a/", (PAGES / "v1.html").read_text())
    config = write_config(tmp_path, [("A", page_server.url("/a/")), ("Gone", page_server.url("/gone/")),
                                     ("Also gone", page_server.url("/gone-too/"))])
    db = tmp_path / "monitor.db"
    first = ExtractionPool(size=2)
    try:
        first.warm(0)
        assert first._idle == []
        assert _checked_with(first, config, db) == ["new", "failed", "failed"]
        assert len(first._idle) == 2  # both started for the three new sources (one page to read, as it turned out)
    finally:
        first.close()
    again = ExtractionPool(size=2)
    try:
        assert _checked_with(again, config, db) == ["not_modified", "failed", "failed"]
        assert again._idle == [] and not again._busy  # nothing new, nothing changed: no worker started
        page_server.set("/a/", (PAGES / "v2.html").read_text())
        assert _checked_with(again, config, db)[0] == "changed"
        assert len(again._idle) == 1  # the changed page's
    finally:
        again.close()


def test_workers_import_the_installed_package_not_a_monitor_folder_in_the_working_directory(tmp_path, page_server):
    """A worker is ``python -m monitor.worker_process``, and Python puts the working directory first on the path
    of ``-m``: a run started beside a folder named monitor (a checkout, a user's project) ran that folder's code."""
    (tmp_path / "monitor").mkdir()
    (tmp_path / "monitor" / "__init__.py").write_text('raise SystemExit("the working directory\'s monitor")\n')
    page_server.set("/a/", many_papers(3))
    config = write_config(tmp_path, [("A", page_server.url("/a/"))])
    exe = Path(sys.executable).with_name("monitor")  # the console script: its own path starts at its folder
    done = subprocess.run([str(exe), "--config", str(config), "--db", str(tmp_path / "m.db"), "run", "--once"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=HANG)
    assert done.returncode == 0, done.stderr
    assert "1 checked, 0 failed" in done.stdout
    papers = sqlite3.connect(tmp_path / "m.db").execute("SELECT papers FROM snapshots").fetchall()
    assert papers == [(3,)]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_as_a_source_is_refused_not_waited_on(tmp_path, page_server):
    fifo = tmp_path / "page.html"
    os.mkfifo(fifo)
    page_server.set("/fine/", (PAGES / "v1.html").read_bytes())
    config = write_config(tmp_path, [("Pipe", str(fifo)), ("Fine", page_server.url("/fine/"))])
    run = monitor(config, tmp_path / "monitor.db", "run", "--once")
    assert f"Pipe: not a regular file (a named pipe): {fifo}" in run.stdout, run.stdout
    checked = monitor(config, tmp_path / "monitor.db", "check", str(fifo))
    assert checked.returncode == 2 and checked.stderr.strip().endswith("not a regular file (a named pipe): " + str(fifo))


def test_sigterm_is_honoured_within_the_grace_period_while_a_big_page_is_extracted(tmp_path, page_server, start):
    page_server.set("/big/", many_papers(40_000))  # about 15 s of extraction on this machine
    config = daemon_config(tmp_path / "sources.yaml", [("Big", page_server.url("/big/"), "1h")],
                           extra="")
    config.write_text(config.read_text().replace("defaults:\n", "defaults:\n  extraction_timeout: 600\n"))
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--grace", "0.5", "--start-spread", "0.1")
    assert wait_until(lambda: page_server.hits("/big/"), 10), daemon.text()
    time.sleep(1.5)  # the body is in, extraction under way
    workers = _workers_of(daemon.proc.pid)
    assert workers, daemon.text()
    stop = time.monotonic()
    daemon.send(signal.SIGTERM)
    assert daemon.wait(HANG) == 0, daemon.text()
    assert time.monotonic() - stop < 8, daemon.text()  # grace 0.5 s; the extraction alone takes far longer
    assert "abandoned at shutdown" in daemon.text() and "stopped cleanly" in daemon.lines()[-1]
    assert wait_until(lambda: not any(_alive(w) for w in workers), 10), "a worker outlived the abandoned check"


def test_a_worker_sends_back_what_the_pipeline_reads_and_not_the_extractor_s_own_notes():
    """The paragraphs the announcement and profile readers went through stay in the worker (they found
    the announcement), and the sections considered cross only when ``--explain`` asks for them."""
    from monitor.worker import run_job

    page = ("<html><body><h1>Dana Example</h1><p>I am a PhD student at Example University, and I am on the"
            " job market this year for research positions.</p><h2>Publications</h2><ul>"
            "<li><b>Sparse Attention for Long Documents</b><br>Dana Example, Bo Li<br><em>ICML 2025</em></li>"
            "<li><b>Calibrated Retrieval for Question Answering</b><br>Dana Example<br><em>EMNLP 2023</em></li>"
            "</ul></body></html>")
    plain = run_job(Job(text=page, format="html"))
    shown = run_job(Job(text=page, format="html", explain=True))
    assert [a.kind for a in plain.announcements] == ["on_market"] and plain.bio == []
    assert plain.explain == [] and [s["section"] for s in shown.explain if s["found"]] == ["Publications"]
    assert [p.to_json() for p in plain.publications] == [p.to_json() for p in shown.publications]
    assert len(plain.publications) == 2
