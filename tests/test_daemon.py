"""The daemon as it runs in production: a real process, real signals, a real HTTP server on 127.0.0.1.

Every wait has a timeout and every process started here is killed at teardown, so a hung daemon
fails its test instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import http.server
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from monitor.daemon import HostGate, _crontab_weekdays, crontab_trigger, plan_first_run, redact
from monitor.models import Source
from monitor.sources import load_config
from monitor.store import Store

from .conftest import PAGES, serve_http

UTC = dt.timezone.utc
V1 = (PAGES / "v1.html").read_bytes()
V2 = (PAGES / "v2.html").read_bytes()
V1_TO_V2 = [("paper_added", None, "Mixture of Depths for Tiny Models"),
            ("paper_updated", "venue", "Retrieval Heads Are All You Need")]


# ---------------------------------------------------------------- helpers

def wait_until(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class SlowRoutes(dict):
    """page_server's routes; the handler looks a path up with ``get``, which here can wait first."""

    def __init__(self, routes: dict) -> None:
        super().__init__(routes)
        self.delays: dict[str, float] = {}

    def get(self, key, default=None):
        delay = self.delays.get(key)
        if delay:
            time.sleep(delay)
        return super().get(key, default)


class TimedRequests(list):
    """page_server's request log, with the arrival time of each request."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[float, str]] = []

    def append(self, item) -> None:
        self.times.append((time.monotonic(), item[0]))
        super().append(item)


@pytest.fixture
def server(page_server):
    page_server.routes = SlowRoutes(page_server.routes)
    page_server.requests = TimedRequests()
    return page_server


def hits(server, path: str) -> int:
    return len(server.hits(path))


@dataclass
class Receiver:
    """A webhook endpoint: records each POST's headers and JSON body."""

    posts: list[tuple[dict[str, str], dict]] = field(default_factory=list)
    port: int = 0

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver():
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.posts.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with serve_http(Handler) as port:
        state.port = port
        yield state


def write_config(path: Path, sources: list[tuple[str, str, str]], *, politeness: float = 0.0,
                 extra: str = "") -> Path:
    """sources: (name, url, every)."""
    lines = ["defaults:", f"  politeness: {politeness}", "sources:"]
    for name, url, every in sources:
        lines += [f"  - name: {name}", f"    url: {url}", f"    every: {every}"]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def query(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def checks_of(db: Path, name: str) -> int:
    return query(db, "SELECT COUNT(*) FROM checks c JOIN sources s ON s.id = c.source_id WHERE s.name = ?",
                 (name,))[0][0]


def events_of(db: Path) -> list[tuple]:
    return query(db, "SELECT type, field, title FROM events ORDER BY type, id")


class Proc:
    """A daemon process whose stderr goes to a file we can read while it runs."""

    def __init__(self, tmp: Path, config: Path, db: Path, args: tuple[str, ...],
                 env: dict[str, str] | None = None) -> None:
        self.log = tmp / f"daemon-{time.monotonic_ns()}.log"
        self.started = time.monotonic()
        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli", "--config", str(config), "--db", str(db), "daemon", *args],
                stdout=subprocess.DEVNULL, stderr=err, cwd=tmp,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[str]:
        return [ln for ln in self.text().splitlines() if ln.strip()]

    def wait_log(self, needle: str, timeout: float = 10) -> None:
        assert wait_until(lambda: needle in self.text() or self.proc.poll() is not None, timeout), \
            f"no {needle!r} within {timeout}s:\n{self.text()}"
        assert needle in self.text(), f"daemon exited ({self.proc.returncode}):\n{self.text()}"

    def send(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon still running after {timeout}s:\n{self.text()}") from None


@pytest.fixture
def start(tmp_path):
    """start(config, db, *daemon_args) -> a running daemon that has installed its signal handlers."""
    procs: list[Proc] = []

    def run(config: Path, db: Path, *args: str) -> Proc:
        proc = Proc(tmp_path, config, db, args)
        procs.append(proc)
        proc.wait_log(" started: ", timeout=15)
        return proc

    yield run
    for proc in procs:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait(10)


# ---------------------------------------------------------------- the daemon process

def test_checks_follow_the_schedule_and_a_change_is_stored_and_delivered(tmp_path, server, receiver, start):
    server.set("/a/", V1)
    server.set("/b/", V1)
    hook = f"channels:\n  team:\n    type: webhook\n    url: {receiver.url()}\n"
    config = write_config(tmp_path / "sources.yaml", [("A", server.url("/a/"), "1s"), ("B", server.url("/b/"), "2s")],
                          politeness=0.3, extra=hook)
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--summary-every", "0.05")
    assert wait_until(lambda: hits(server, "/a/") and hits(server, "/b/"), 5), daemon.text()
    assert time.monotonic() - daemon.started < 6  # the first checks come quickly

    first = time.monotonic()
    time.sleep(4)
    a, b = hits(server, "/a/"), hits(server, "/b/")
    assert 3 <= a <= 7 and 1 <= b <= 4, (a, b)
    # one host: requests to it are `politeness` apart, whichever source they belong to
    times = [t for t, path in server.requests.times if path in ("/a/", "/b/") and t >= first - 2]
    assert min(y - x for x, y in zip(times, times[1:])) >= 0.28

    server.set("/a/", V2)
    assert wait_until(lambda: len(events_of(db)) >= 2, 5), daemon.text()
    assert wait_until(lambda: receiver.posts, 5), daemon.text()
    time.sleep(1.5)  # more checks of the unchanged page: nothing new
    assert events_of(db) == sorted(V1_TO_V2, key=lambda e: e[0])
    delivered = query(db, "SELECT id FROM deliveries WHERE state = 'delivered'")
    assert len(delivered) == 1 and len(receiver.posts) == 1
    assert receiver.posts[0][0]["idempotency-key"] == delivered[0][0]

    daemon.send(signal.SIGTERM)
    assert daemon.wait(10) == 0
    text = daemon.text()
    assert 'check source="A" outcome=changed status=200' in text and "events=2" in text
    assert "summary (last 3s): checks=" in text
    assert "stopped cleanly" in daemon.lines()[-1] and "events=2 deliveries=1" in daemon.lines()[-1]
    assert "/a/" not in text and str(server.port) not in text  # names in the log, not addresses


def test_sighup_applies_a_new_file_and_keeps_the_old_one_when_it_is_malformed(tmp_path, server, start):
    for path in ("/a/", "/b/"):
        server.set(path, V1)
    config = tmp_path / "sources.yaml"
    write_config(config, [("A", server.url("/a/"), "1s")])
    db = tmp_path / "monitor.db"
    daemon = start(config, db)
    assert wait_until(lambda: hits(server, "/a/"), 5), daemon.text()

    write_config(config, [("A", server.url("/a/"), "1s"), ("B", server.url("/b/"), "1s")])
    daemon.send(signal.SIGHUP)
    assert wait_until(lambda: hits(server, "/b/"), 5), daemon.text()
    daemon.wait_log("reloaded ")
    assert "added=1 removed=0" in daemon.text()

    config.write_text(config.read_text().replace("every: 1s", "every: often", 1))
    daemon.send(signal.SIGHUP)
    daemon.wait_log("reload failed")
    errors = [ln for ln in daemon.lines() if "reload failed" in ln]
    assert len(errors) == 1
    assert "keeping the running configuration" in errors[0] and "bad interval 'often'" in errors[0]
    a, b = hits(server, "/a/"), hits(server, "/b/")
    assert wait_until(lambda: hits(server, "/a/") > a and hits(server, "/b/") > b, 5), daemon.text()
    assert daemon.proc.poll() is None


def test_sigterm_lets_the_check_in_flight_finish_and_exits_0(tmp_path, server, start):
    server.set("/slow/", V1)
    server.routes.delays["/slow/"] = 1.5
    config = write_config(tmp_path / "sources.yaml", [("Slow", server.url("/slow/"), "1h")])
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--grace", "10", "--start-spread", "0.2")
    assert wait_until(lambda: hits(server, "/slow/"), 5), daemon.text()
    stop = time.monotonic()
    daemon.send(signal.SIGTERM)
    assert daemon.wait(12) == 0, daemon.text()
    assert time.monotonic() - stop < 10
    assert checks_of(db, "Slow") == 1  # the in-flight check was finished and stored
    assert "stopped cleanly" in daemon.lines()[-1]


def test_sigterm_gives_up_on_a_check_after_the_grace_period(tmp_path, server, start):
    server.set("/slow/", V1)
    server.routes.delays["/slow/"] = 4
    config = write_config(tmp_path / "sources.yaml", [("Slow", server.url("/slow/"), "1h")])
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--grace", "0.5", "--start-spread", "0.2")
    assert wait_until(lambda: hits(server, "/slow/"), 5), daemon.text()
    stop = time.monotonic()
    daemon.send(signal.SIGTERM)
    assert daemon.wait(5) == 0, daemon.text()
    assert time.monotonic() - stop < 2.5
    assert checks_of(db, "Slow") == 0
    assert "abandoned at shutdown" in daemon.text() and "stopped cleanly" in daemon.lines()[-1]


def test_a_second_signal_stops_at_once(tmp_path, server, start):
    server.set("/slow/", V1)
    server.routes.delays["/slow/"] = 6
    config = write_config(tmp_path / "sources.yaml", [("Slow", server.url("/slow/"), "1h")])
    daemon = start(config, tmp_path / "monitor.db", "--grace", "30", "--start-spread", "0.2")
    assert wait_until(lambda: hits(server, "/slow/"), 5), daemon.text()
    stop = time.monotonic()
    daemon.send(signal.SIGTERM)
    daemon.wait_log("stopping: in_flight=1")
    daemon.send(signal.SIGTERM)
    assert daemon.wait(10) == 0, daemon.text()
    assert time.monotonic() - stop < 3, daemon.text()  # neither the 30 s grace nor the 6 s answer
    assert "second stop signal: abandoning in_flight=1" in daemon.text()
    assert "stopped cleanly" in daemon.lines()[-1]


def test_sigkill_mid_check_loses_nothing_and_duplicates_nothing(tmp_path, server, start):
    server.set("/k/", V1)
    config = write_config(tmp_path / "sources.yaml", [("K", server.url("/k/"), "2s")])
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--start-spread", "0.2")
    assert wait_until(lambda: checks_of(db, "K") == 1, 5), daemon.text()

    server.set("/k/", V2)
    server.routes.delays["/k/"] = 3
    assert wait_until(lambda: hits(server, "/k/") == 2, 5), daemon.text()
    time.sleep(0.2)  # the request is in flight: the server sits on it
    daemon.proc.kill()
    daemon.proc.wait(5)
    assert checks_of(db, "K") == 1 and events_of(db) == []

    server.routes.delays.clear()
    again = start(config, db, "--start-spread", "0.2")
    assert wait_until(lambda: len(events_of(db)) >= 2, 5), again.text()
    before = checks_of(db, "K")
    assert wait_until(lambda: checks_of(db, "K") > before, 5)  # another look changes nothing
    again.send(signal.SIGTERM)
    assert again.wait(10) == 0
    assert events_of(db) == sorted(V1_TO_V2, key=lambda e: e[0])
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "SELECT COUNT(*) FROM snapshots") == [(2,)]
    orphans = query(db, "SELECT COUNT(*) FROM snapshots s WHERE NOT EXISTS "
                        "(SELECT 1 FROM checks c WHERE c.snapshot_id = s.id)")
    assert orphans == [(0,)]


def test_after_downtime_each_source_is_checked_once_not_once_per_missed_slot(tmp_path, server, start):
    for path in ("/old/", "/recent/", "/fast/"):
        server.set(path, V1)
    config = write_config(tmp_path / "sources.yaml", [("Old", server.url("/old/"), "1h"),
                                                      ("Recent", server.url("/recent/"), "1h"),
                                                      ("Fast", server.url("/fast/"), "1s")])
    db = tmp_path / "monitor.db"
    store = Store(db)
    ids = store.sync_sources(load_config(config).sources)
    recent = (dt.datetime.now(UTC) - dt.timedelta(minutes=1)).isoformat(timespec="seconds")
    for name, when in (("Old", "2020-01-01T00:00:00+00:00"), ("Recent", recent), ("Fast", "2020-01-01T00:00:00+00:00")):
        store.db.execute("UPDATE sources SET last_check_at = ? WHERE id = ?", [when, ids[name]])
    store.close()

    daemon = start(config, db, "--start-spread", "1")
    time.sleep(3.5)
    assert hits(server, "/old/") == 1, daemon.text()  # due long ago: once, now
    assert hits(server, "/recent/") == 0  # next check at its last one + 1h
    assert 2 <= hits(server, "/fast/") <= 5  # once at start, then every second, no backlog
    assert checks_of(db, "Old") == 1


def test_a_malformed_file_or_cron_stops_the_start_with_one_line(tmp_path):
    config = tmp_path / "sources.yaml"
    for body, words in (("sources:\n  - name: X\n    url: http://127.0.0.1:9/\n    every: often\n", "interval"),
                        ("sources:\n  - name: X\n    url: http://127.0.0.1:9/\n    cron: '99 * * * *'\n", "'X'")):
        config.write_text(body)
        result = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "--db",
                                 str(tmp_path / "m.db"), "daemon"], capture_output=True, text=True, timeout=20)
        assert result.returncode == 2
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and words in lines[0] and "sources.yaml" in lines[0], result.stderr


# ---------------------------------------------------------------- the pieces, in process

def test_first_run_is_now_when_overdue_and_keeps_the_rhythm_otherwise():
    now = dt.datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    rng = random.Random(1)
    hourly = Source(name="h", url="http://x/", every=3600)
    for last in (None, now - dt.timedelta(days=400)):
        first = plan_first_run(hourly, last, now, spread=60, rng=rng)
        assert now <= first <= now + dt.timedelta(seconds=60)
    first = plan_first_run(hourly, now - dt.timedelta(minutes=10), now, spread=60, rng=rng)
    assert now + dt.timedelta(minutes=50) <= first <= now + dt.timedelta(minutes=50, seconds=300)
    fast = Source(name="f", url="http://x/", every=2)
    assert plan_first_run(fast, None, now, spread=60, rng=rng) <= now + dt.timedelta(seconds=2)
    daily8 = Source(name="c", url="http://x/", cron="0 8 * * *")
    assert plan_first_run(daily8, now - dt.timedelta(days=2), now, spread=60, rng=rng) is not None
    local8 = now.astimezone().replace(hour=8, minute=0, second=0, microsecond=0)
    since_slot = local8 if local8 <= now else local8 - dt.timedelta(days=1)
    assert plan_first_run(daily8, since_slot + dt.timedelta(minutes=1), now, rng=rng) is None


def test_cron_weekdays_are_read_as_crontab_does():
    assert _crontab_weekdays("1") == "mon"
    assert _crontab_weekdays("0") == _crontab_weekdays("7") == "sun"
    assert _crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert _crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert _crontab_weekdays("mon,fri") == "mon,fri"
    assert _crontab_weekdays("fri-sun") == "sun,fri,sat"
    assert _crontab_weekdays("*") == "*"
    monday = crontab_trigger("0 8 * * 1").get_next_fire_time(None, dt.datetime(2025, 6, 3, tzinfo=UTC).astimezone())
    assert monday.weekday() == 0 and monday.hour == 8
    local = dt.datetime(2025, 6, 3, 9, 0).astimezone()  # a Tuesday
    either = crontab_trigger("0 8 1 * 1")  # cron: the 1st of the month, and every Monday
    assert either.get_next_fire_time(None, local).date() == dt.date(2025, 6, 9)
    assert either.get_next_fire_time(None, local.replace(day=30)).date() == dt.date(2025, 7, 1)
    for bad in ("99 * * * *", "0 8 * * 8", "0 8 * * sat-mon", "0 8 * *"):
        with pytest.raises(ValueError):
            crontab_trigger(bad)


def test_host_gate_spaces_one_host_and_lets_others_run_concurrently():
    async def scenario() -> tuple[dict[str, list[float]], float]:
        gate = HostGate()
        starts: dict[str, list[float]] = {}

        async def check(host: str) -> None:
            async with gate.turn(host, 0.2):
                starts.setdefault(host, []).append(time.monotonic())
                await asyncio.sleep(0.1)

        t0 = time.monotonic()
        await asyncio.gather(*(check(h) for h in ["a", "a", "a", "b", "c"]))
        return starts, time.monotonic() - t0

    starts, took = asyncio.run(scenario())
    a = starts["a"]
    assert all(y - x >= 0.29 for x, y in zip(a, a[1:]))  # 0.1 s check + 0.2 s politeness
    assert starts["b"][0] - a[0] < 0.05 and starts["c"][0] - a[0] < 0.05
    assert took < 1.0


def test_log_messages_lose_credentials_and_query_strings():
    text = redact("connection error: https://user:pw@host.org/p?token=abc failed")
    assert text == "connection error: https://host.org/p?… failed"


# ---------------------------------------------------------------- pace under load

def news_page(item: str) -> bytes:
    """v1 with one more news item: each new item is a news_added alert."""
    page = V1.decode()
    start = page.index("<ul>", page.index("<h2>News</h2>"))
    return (page[:start + 4] + f"<li><b>2025.06</b>: {item}</li>" + page[start + 4:]).encode()


WORDS = ("talk seminar workshop paper award grant visit keynote dataset release tutorial panel course lab"
         " theory model benchmark survey poster demo thesis defense summer school invited accepted").split()


def sentence(seed: str) -> str:
    """A news sentence of its own for each seed (two of them never read as the same item)."""
    return " ".join(random.Random(seed).sample(WORDS, 8)).capitalize() + "."


class ChangingSite:
    """Pages that show a new news item on every request; ``hang`` paths answer only after a long wait."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = {}
        self.hang: set[str] = set()
        self.port = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def changing():
    site = ChangingSite()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            seen = site.times.setdefault(self.path, [])
            seen.append(time.monotonic())
            if self.path in site.hang:
                time.sleep(30)
            body = news_page(sentence(f"{self.path}{len(seen)}")) if self.path != "/robots.txt" else b""
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve_http(Handler) as port:
        site.port = port
        yield site


@pytest.fixture
def slow_receiver():
    """A webhook endpoint that takes 0.3 s to answer each POST."""
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(0.3)
            state.posts.append(({k.lower(): v for k, v in self.headers.items()}, json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    with serve_http(Handler) as port:
        state.port = port
        yield state


def gaps(times: list[float]) -> list[float]:
    return [y - x for x, y in zip(times, times[1:])]


def test_a_slow_webhook_never_slows_the_checks_of_fifty_sources_on_one_host(tmp_path, changing, slow_receiver, start):
    every = 4.0
    paths = [f"/p{i}/" for i in range(50)]
    hook = f"channels:\n  team:\n    type: webhook\n    url: {slow_receiver.url()}\n"
    config = write_config(tmp_path / "sources.yaml", [(f"P{i}", changing.url(p), f"{every:g}s")
                                                      for i, p in enumerate(paths)], extra=hook)
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--start-spread", "1", "--grace", "1")
    time.sleep(14)
    watched = {p: list(changing.times.get(p, [])) for p in paths}
    daemon.send(signal.SIGTERM)
    assert daemon.wait(15) == 0, daemon.text()
    text = daemon.text()
    assert "skipped" not in text and "maximum number of running instances" not in text, text[-3000:]
    # Every source keeps the pace of the others (one host checks them one at a time, so a busy machine
    # slows them all alike): none is held back by the deliveries, as the one whose job sent them was.
    counts = sorted(len(times) for times in watched.values())
    assert counts[0] >= max(2, counts[len(counts) // 2] - 1), (counts, text[-3000:])
    for path, times in watched.items():
        assert max(gaps(times)) <= 2.5 * every, (path, gaps(times))
    assert len(slow_receiver.posts) >= 10  # the alerts went out meanwhile
    assert all(body["events"][0]["type"] == "news_added" for _, body in slow_receiver.posts)


def test_a_hanging_source_holds_its_host_no_longer_than_its_timeout(tmp_path, changing, start):
    timeout = 1.5
    others = [f"/o{i}/" for i in range(5)]
    changing.hang.add("/hang/")
    config = write_config(tmp_path / "sources.yaml", [("Hang", changing.url("/hang/"), "2s")]
                          + [(f"O{i}", changing.url(p), "1s") for i, p in enumerate(others)])
    config.write_text(config.read_text().replace("defaults:\n", f"defaults:\n  timeout: {timeout}\n"))
    db = tmp_path / "monitor.db"
    daemon = start(config, db, "--start-spread", "0.5", "--grace", "0.5")
    time.sleep(9)
    hung = list(changing.times.get("/hang/", []))
    rest = sorted(t for p in others for t in changing.times.get(p, []))
    daemon.send(signal.SIGTERM)
    assert daemon.wait(15) == 0, daemon.text()
    assert len(hung) >= 2, daemon.text()  # it was tried, and tried again, while the others went on
    during = [t for t in rest if hung[0] - 0.5 <= t <= hung[0] + 3 * timeout + 2]
    assert max(gaps(during)) <= timeout + 1.0, gaps(during)
    assert 'check source="Hang" outcome=failed' in daemon.text() or len(hung) >= 3
