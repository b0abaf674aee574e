"""The store: migrations, one transaction per check, nothing half-written after a failure."""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import time
import zlib

import pytest

from monitor.fetch import FetchResult
from monitor.models import Announcement, NewsItem, Page, Profile, Publication, Source
from monitor.pipeline import process
from monitor.sitefetch import SiteRead
from monitor.errors import StoreError
from monitor.store import PageJSON, Store, item_hash, migrations

from .conftest import PAGES


def fetched(body: bytes, etag: str = '"1"') -> FetchResult:
    return FetchResult(url="http://x/", final_url="http://x/", status=200, not_modified=False, body=body,
                       text=body.decode(), content_type="text/html", encoding="utf-8", etag=etag,
                       last_modified=None, started_at=time.time(), duration=0.01, bytes=len(body), error=None,
                       attempts=1)


def test_migrations_are_versioned_and_idempotent(tmp_path):
    db = tmp_path / "m.db"
    store = Store(db)
    assert store.version == migrations()[-1][0] >= 1
    store.close()
    again = Store(db)
    assert again.version == migrations()[-1][0]
    tables = set(again.db.table_names())
    assert {"sources", "checks", "snapshots", "items", "events"} <= tables
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_migrations_run_without_sqlite_utils_plugins(tmp_path):
    """An installed sqlite-utils plugin neither changes a migration nor costs a first run its scan."""
    from sqlite_utils import hookimpl
    from sqlite_utils.plugins import pm

    seen: list[sqlite3.Connection] = []

    class Plugin:
        @hookimpl
        def prepare_connection(self, conn: sqlite3.Connection) -> None:
            seen.append(conn)

    plugin = Plugin()
    pm.register(plugin)
    try:
        store = Store(tmp_path / "p.db")
        assert store.version == migrations()[-1][0]
        store.close()
    finally:
        pm.unregister(plugin)
    assert seen == []


def test_a_crash_inside_a_check_leaves_the_previous_state_intact(tmp_path):
    store = Store(tmp_path / "s.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    process(store, src, sid, fetched((PAGES / "v1.html").read_bytes()))
    counts = {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("checks", "snapshots", "items", "events")}

    def crash(*_):
        raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        process(store, src, sid, fetched((PAGES / "v2.html").read_bytes(), etag='"2"'), outbox=crash)
    after = {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in counts}
    assert after == counts
    assert store.source_row(sid)["etag"] == '"1"'
    # the next check does the work properly
    res = process(store, src, sid, fetched((PAGES / "v2.html").read_bytes(), etag='"2"'))
    assert res.outcome == "changed" and len(res.events) == 2


def test_a_body_is_stored_as_one_zstd_frame_and_the_zlib_ones_stored_before_are_still_read(tmp_path):
    store = Store(tmp_path / "b.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    body = (PAGES / "v1.html").read_bytes()
    process(store, src, sid, fetched(body))
    snap = store.latest_snapshot(sid).id
    stored = store.db.execute("SELECT body FROM snapshots WHERE id = ?", [snap]).fetchone()[0]
    assert stored[:4] == b"\x28\xb5\x2f\xfd" and len(stored) < len(body) * 0.6
    assert store.snapshot_body(snap) == body
    for kept, read in ((zlib.compress(body, 6), body), (zlib.compress(b""), b"")):
        store.db.execute("UPDATE snapshots SET body = ? WHERE id = ?", [kept, snap])
        assert store.snapshot_body(snap) == read
    for damaged in (stored[:-8], b"\x78junk", b"", "text"):
        store.db.execute("UPDATE snapshots SET body = ? WHERE id = ?", [damaged, snap])
        with pytest.raises(StoreError, match=f"snapshot {snap}: the stored body is damaged"):
            store.snapshot_body(snap)


def test_the_index_of_present_items_is_dropped_and_the_items_stay(tmp_path):
    """Migration 0011: nothing reads the partial index of 0009 since the counts moved onto the source rows."""
    db = tmp_path / "ten.db"
    conn = _database_at(db, 10)
    conn.execute("INSERT INTO sources (id, name, url, created_at) VALUES (1, 'S', 'http://x/', '2025-01-01')")
    conn.execute("INSERT INTO items (source_id, kind, key, hash, first_seen, last_seen, present)"
                 " VALUES (1, 'paper', 'a', 1, '2025-01-01', '2025-01-02', 1)")
    indexes = "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'items_present'"
    assert conn.execute(indexes).fetchall() == [("items_present",)]
    conn.close()
    store = Store(db)
    assert store.db.execute(indexes).fetchall() == []
    assert [(r["kind"], r["key"], r["present"]) for r in store.rows("SELECT * FROM items")] == [("paper", "a", 1)]
    assert Store(tmp_path / "new.db").db.execute(indexes).fetchall() == []


def test_items_keep_first_and_last_seen(tmp_path):
    store = Store(tmp_path / "i.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    process(store, src, sid, fetched((PAGES / "v1.html").read_bytes()))
    process(store, src, sid, fetched((PAGES / "v2.html").read_bytes(), etag='"2"'))
    rows = {r["key"]: r for r in store.db.query("SELECT * FROM items WHERE kind = 'paper'")}
    assert len(rows) == 4 and all(r["present"] for r in rows.values())
    assert store.snapshot_body(store.latest_snapshot(sid).id) == (PAGES / "v2.html").read_bytes()


def test_a_first_check_skips_the_statements_that_can_only_find_nothing(tmp_path):
    """A source never checked has no rows of its site's pages and no items (a check writes both): its first
    check asks for neither, and its items are inserted without first marking the old ones gone. The second
    check asks for both, and an item the page lost is marked gone."""
    store = Store(tmp_path / "f.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    seen: list[str] = []
    store.db.conn.set_trace_callback(seen.append)

    def check(body: bytes, etag: str) -> list[str]:
        seen.clear()
        row = store.check_state(sid)
        home, _ = store.site_state(sid, row)
        result = fetched(body, etag)
        process(store, src, sid, SiteRead(home=result, home_state=home), row=row)
        return seen[:]

    first = check((PAGES / "v1.html").read_bytes(), '"1"')
    assert not [s for s in first if "FROM source_pages" in s or s.startswith("UPDATE items")]
    assert any(s.startswith("INSERT INTO items") for s in first)
    assert {r["present"] for r in store.db.query("SELECT present FROM items")} == {1}

    v1 = (PAGES / "v1.html").read_text()
    lost = v1.index('<li class="paper">[3]')
    second = check((v1[:lost] + v1[v1.index("</li>", lost) + 5:]).encode(), '"2"')  # the third paper is gone
    assert [s for s in second if "FROM source_pages" in s] and [s for s in second if s.startswith("UPDATE items")]
    present = {r["key"]: r["present"] for r in store.db.query("SELECT key, present FROM items WHERE kind = 'paper'")}
    assert present == {"sparse attention without tears": 1, "retrieval heads are all you need": 1,
                       "calibrated language models for science": 0}


def test_a_database_from_the_future_is_refused(tmp_path):
    db = tmp_path / "f.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    from monitor.errors import StoreError

    with pytest.raises(StoreError, match="newer"):
        Store(db)


def _database_at(path, version: int, without: tuple[int, ...] = ()) -> sqlite3.Connection:
    """A database built by the migrations up to ``version`` only (less those ``without``), as an older
    monitor left it."""
    from monitor.store import MIGRATION_FUNCTIONS, _statements

    conn = sqlite3.connect(path, isolation_level=None)
    for fname, (nargs, func) in MIGRATION_FUNCTIONS.items():
        conn.create_function(fname, nargs, func)
    for number, _, sql in migrations():
        if number <= version and number not in without:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
    return conn


def test_the_slim_items_migration_keeps_every_item_and_what_brings_it_back(tmp_path):
    from monitor.diff import returning_key

    db = tmp_path / "old.db"
    conn = _database_at(db, 3)
    conn.execute("INSERT INTO sources (id, name, url, created_at) VALUES (1, 'S', 'http://x/', '2025-01-01')")
    page = {"profile": {}, "publications": [{"title": "A"}, {"title": "B"}], "news": [{"text": "n", "date": "2024"}],
            "announcements": []}
    conn.execute("INSERT INTO snapshots (id, source_id, taken_at, content_hash, state, page, body)"
                 " VALUES (1, 1, '2025-01-01', 'h', 'accepted', ?, x'00')", [json.dumps(page)])
    items = [("paper", "a", {"title": "A", "venue": "ACL 2024"}, 1, 0),
             ("news", "one paper accepted", {"text": "One paper accepted.", "date": "Sep. 5th, 2024"}, 0, 1),
             ("announcement", "on_market", {"kind": "on_market", "text": "I am on the job market!"}, 0, 0)]
    for i, (kind, key, data, present, bulk) in enumerate(items, 1):
        conn.execute("INSERT INTO items (id, source_id, kind, key, data, first_seen, last_seen, present, lost_in_bulk)"
                     " VALUES (?, 1, ?, ?, ?, '2025-01-0' || ?, '2025-02-0' || ?, ?, ?)",
                     [i, kind, key, json.dumps(data), i, i, present, bulk])
    conn.close()

    store = Store(db)
    assert store.version == migrations()[-1][0]
    rows = {r["kind"]: r for r in store.db.query("SELECT * FROM items ORDER BY id")}
    # the paper is on the stored page: it points there; the others are on no page: they keep their content
    assert (rows["paper"]["snapshot_id"], rows["paper"]["pos"], rows["paper"]["data"]) == (1, 0, None)
    assert rows["news"]["snapshot_id"] is None and json.loads(rows["news"]["data"]) == items[1][2]
    contents = {r["kind"]: r["data"] for r in store.item_contents(1, present_only=False)}
    assert contents == {"paper": {"title": "A"}, "news": items[1][2], "announcement": items[2][2]}
    for i, (kind, key, data, present, bulk) in enumerate(items, 1):
        row = rows[kind]
        assert (row["id"], row["key"], row["present"], row["lost_in_bulk"]) == (i, key, present, bulk)
        assert (row["first_seen"], row["last_seen"]) == (f"2025-01-0{i}", f"2025-02-0{i}")
        assert (row["rkey"] or row["key"]) == returning_key(kind, key, data.get("text"), data.get("date"))
        assert isinstance(row["hash"], int)
    assert rows["paper"]["rkey"] is None  # a paper comes back by its key alone
    gone = store.gone(1)
    assert gone.has("news", returning_key("news", "one paper accepted", date="Sep. 5th, 2024"), settled=True)
    assert gone.has("announcement", returning_key("announcement", "on_market", "I am on the job market!"))
    assert store.latest_snapshot_info(1) == {"id": 1, "state": "accepted", "content_type": None, "papers": 2, "news": 1}


def test_items_no_longer_repeat_the_page_but_tell_an_edited_item(tmp_path):
    store = Store(tmp_path / "h.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    process(store, src, sid, fetched((PAGES / "v1.html").read_bytes()))
    before = {r["key"]: r["hash"] for r in store.db.query("SELECT key, hash FROM items")}
    process(store, src, sid, fetched((PAGES / "v2.html").read_bytes(), etag='"2"'))
    after = {r["key"]: r["hash"] for r in store.db.query("SELECT key, hash FROM items")}
    assert store.db.execute("SELECT COUNT(*) FROM items WHERE data IS NOT NULL").fetchone()[0] == 0
    # each item's content is read from the newest page that shows it, as it is there
    page = store.latest_snapshot(sid).page
    shown = {r["key"]: r["data"] for r in store.item_contents(sid) if r["kind"] == "paper"}
    in_order = functools.partial(json.dumps, sort_keys=True)
    assert sorted(shown.values(), key=in_order) == sorted((p.to_json() for p in page.publications), key=in_order)
    same = [k for k in before if before[k] == after[k]]
    edited = [k for k in before if before[k] != after[k]]
    assert same and edited  # v2 moves one paper to a venue and keeps the others as they were


def test_a_batch_commits_whole_checks_and_a_failing_check_alone_is_undone(tmp_path):
    db = tmp_path / "b.db"
    store = Store(db)
    sources = [Source(name=f"S{i}", url=f"http://x/{i}") for i in range(3)]
    ids = store.sync_sources(sources)

    def crash(*_, **__):
        raise RuntimeError("power cut")

    with store.batch(checks=100, seconds=3600):
        process(store, sources[0], ids["S0"], fetched((PAGES / "v1.html").read_bytes()))
        store.update_items = crash  # type: ignore[method-assign]  (the snapshot is written, then this fails)
        with pytest.raises(RuntimeError):
            process(store, sources[1], ids["S1"], fetched((PAGES / "v1.html").read_bytes()))
        del store.update_items
        process(store, sources[2], ids["S2"], fetched((PAGES / "v1.html").read_bytes()))
        # nothing is committed yet: another connection sees none of it
        with sqlite3.connect(db) as other:
            assert other.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 0
    with sqlite3.connect(db) as other:
        checked = [r[0] for r in other.execute("SELECT s.name FROM checks c JOIN sources s ON s.id = c.source_id"
                                               " ORDER BY s.name")]
        assert checked == ["S0", "S2"]
        assert other.execute("SELECT COUNT(DISTINCT source_id) FROM snapshots").fetchone()[0] == 2
        assert other.execute("SELECT COUNT(*) FROM items WHERE source_id = ?", [ids["S1"]]).fetchone()[0] == 0


def test_a_batch_is_committed_once_its_new_pages_reach_its_size(tmp_path):
    """Checks that store new pages are committed a few at a time (by the bytes of their snapshots), checks
    that find nothing new by the count: a first run's last commit stays small, an unchanged run's few."""
    db = tmp_path / "s.db"
    store = Store(db)
    sources = [Source(name=f"S{i}", url=f"http://x/{i}") for i in range(5)]
    ids = store.sync_sources(sources)
    body = (PAGES / "v1.html").read_bytes()

    def committed() -> int:
        with sqlite3.connect(db) as other:
            return int(other.execute("SELECT COUNT(*) FROM checks").fetchone()[0])

    with store.batch(checks=100, seconds=3600, max_bytes=1):  # any new page fills it
        process(store, sources[0], ids["S0"], fetched(body))
        assert committed() == 1
        process(store, sources[0], ids["S0"], fetched(body))  # the same page: no snapshot, nothing stored
        process(store, sources[0], ids["S0"], fetched(body))
        assert committed() == 1
        process(store, sources[1], ids["S1"], fetched(body))  # a new page commits those two with it
        assert committed() == 4
    with store.batch(checks=100, seconds=3600, max_bytes=10 * len(body)):
        for s in sources[2:]:
            process(store, s, ids[s.name], fetched(body))
        size = store.db.execute("SELECT SUM(LENGTH(page) + LENGTH(body)) FROM snapshots WHERE source_id >= ?",
                                [ids["S2"]]).fetchone()[0]
        assert size < 10 * len(body) and committed() == 4  # three pages that do not fill it
    assert committed() == 7


def test_a_check_in_a_batch_keeps_its_rollback_copies_in_memory(tmp_path):
    """A check inside a batch is a savepoint: SQLite keeps a copy of each page it changes, and past
    64 KiB would write those copies to a temporary file (an open file named ``etilqs_...``, already
    unlinked). The store keeps them in memory: a first run otherwise makes hundreds of thousands of writes."""
    import os

    def temp_files() -> list[str]:
        links = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
            except OSError:
                pass  # the listing's own descriptor, closed by now
        return [link for link in links if "etilqs_" in link]

    store = Store(tmp_path / "t.db")
    sid = store.sync_sources([Source(name="S", url="http://x/")])["S"]
    with store.batch(checks=100, seconds=3600):
        with store.transaction():
            store.db.execute("CREATE TABLE filler (x BLOB)")
            store.db.conn.executemany("INSERT INTO filler VALUES (?)", [(os.urandom(3000),) for _ in range(100)])
        with store.transaction():  # changes every page of the table: some 300 KiB of copies
            store.db.execute("UPDATE filler SET x = zeroblob(3000)")
            store.db.execute("UPDATE sources SET papers = 1 WHERE id = ?", [sid])
            assert temp_files() == []
    assert store.db.execute("SELECT COUNT(*) FROM filler WHERE x = zeroblob(3000)").fetchone()[0] == 100


def test_a_run_killed_during_a_batch_leaves_whole_checks_only(tmp_path):
    """A process killed with a batch open: what was committed is whole checks, the rest is not there."""
    import subprocess
    import sys

    db = tmp_path / "k.db"
    script = f"""
import os, signal, time
from monitor.fetch import FetchResult
from monitor.models import Source
from monitor.pipeline import process
from monitor.sitefetch import SiteRead
from monitor.store import Store
body = open({str(PAGES / "v1.html")!r}, "rb").read()
store = Store({str(db)!r})
sources = [Source(name=f"S{{i}}", url=f"http://x/{{i}}") for i in range(7)]
ids = store.sync_sources(sources)
with store.batch(checks=3, seconds=3600):
    for s in sources:
        process(store, s, ids[s.name], FetchResult(url=s.url, final_url=s.url, status=200, body=body,
                content_type="text/html", started_at=time.time(), bytes=len(body), attempts=1))
    os.kill(os.getpid(), signal.SIGKILL)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    store = Store(db)
    checked = store.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    assert checked == 6  # two batches of three committed; the seventh check was in the open one
    per_source = store.db.execute("SELECT COUNT(*) FROM (SELECT c.source_id FROM checks c JOIN snapshots n"
                                  " ON n.source_id = c.source_id JOIN items i ON i.source_id = c.source_id"
                                  " GROUP BY c.source_id)").fetchone()[0]
    assert per_source == 6
    assert store.db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0] == 6


def test_a_migration_that_lands_after_a_newer_one_is_still_applied(tmp_path):
    """Numbers are handed out ahead: a database already at a newer version that lacks the slim-items
    change gets it (its ``applied if`` line tells), and the read-only commands ask for the upgrade."""
    from monitor.errors import StoreError

    db = tmp_path / "ahead.db"
    latest = migrations()[-1][0]
    conn = _database_at(db, latest, without=(5,))
    conn.execute("INSERT INTO sources (id, name, url, created_at) VALUES (1, 'S', 'http://x/', '2025-01-01')")
    conn.execute("INSERT INTO items (source_id, kind, key, data, first_seen, last_seen) VALUES"
                 " (1, 'paper', 'a', '{\"title\": \"A\"}', '2025-01-01', '2025-01-01')")
    conn.close()
    with pytest.raises(StoreError, match="upgrades it"):
        Store(db, readonly=True)
    store = Store(db)
    assert store.version == latest
    assert {"rkey", "hash", "snapshot_id"} <= {r[1] for r in store.db.execute("PRAGMA table_info(items)")}
    assert [r["data"] for r in store.item_contents(1)] == [{"title": "A"}]
    store.close()
    Store(db, readonly=True).close()  # nothing left to apply


def test_the_list_of_sources_reads_counts_without_reading_items(tmp_path):
    """`monitor sources` shows every source's papers, news, events and checks: with 10,000 sources,
    counting check and event rows was a third of its start-up, so they are kept on the source's row as
    they are written, and the list reads no other table. The papers and news are those of the newest
    accepted page (a suspect one does not count until it is confirmed)."""
    from monitor.store import SOURCE_SUMMARIES

    store = Store(tmp_path / "s.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    process(store, src, sid, fetched((PAGES / "v1.html").read_bytes()))
    process(store, src, sid, fetched((PAGES / "v2.html").read_bytes()))
    process(store, src, sid, FetchResult(url="http://x/", status=500, error="HTTP 500"))
    plan = " ".join(str(row[-1]) for row in store.db.execute("EXPLAIN QUERY PLAN " + SOURCE_SUMMARIES))
    assert plan == "SCAN s"

    (row,) = store.source_summaries()
    accepted = store.latest_snapshot(sid, accepted_only=True).page
    events = store.db.execute("SELECT COUNT(*) FROM events WHERE source_id = ?", [sid]).fetchone()[0]
    assert (row["papers"], row["news"], row["events"], row["checks"]) == (
        len(accepted.publications), len(accepted.news), events, 3)
    assert row["papers"] > 0 and row["events"] > 0
    state = store.check_state(sid)  # what a check reads: the same counts, with the row
    assert (state["snapshot_papers"], state["snapshot_news"]) == (row["papers"], row["news"])

    store.db.execute("UPDATE snapshots SET state = 'suspect', papers = 1, news = 0 WHERE id = ?",
                     [state["snapshot_id"]])
    suspect = store.check_state(sid)  # a suspect snapshot's counts are its own
    assert (suspect["snapshot_papers"], suspect["snapshot_news"]) == (1, 0)


def test_the_source_counts_migration_counts_what_each_source_shows(tmp_path):
    """A database from before the counts were kept on the source's row gets them from its rows: the
    newest accepted snapshot's papers and news, every check and event."""
    db = tmp_path / "old.db"
    conn = _database_at(db, 9)
    for sid in (1, 2):
        conn.execute("INSERT INTO sources (id, name, url, created_at) VALUES (?, ?, 'http://x/', '2025-01-01')",
                     [sid, f"S{sid}"])
    for state, papers, news in (("accepted", 5, 1), ("accepted", 2, 1), ("suspect", 0, 0)):
        page = {"publications": [{"title": f"P{i}"} for i in range(papers)], "news": [{"text": "n"}] * news}
        conn.execute("INSERT INTO snapshots (source_id, taken_at, content_hash, state, page, body, papers, news)"
                     " VALUES (1, '2025-01-01', 'h', ?, ?, x'', ?, ?)", [state, json.dumps(page), papers, news])
    for sid, checks in ((1, 2), (2, 1)):
        for _ in range(checks):
            conn.execute("INSERT INTO checks (source_id, started_at, duration, outcome)"
                         " VALUES (?, '2025-01-01', 1, 'new')", [sid])
    conn.execute("INSERT INTO events (source_id, type, key, detected_at) VALUES (2, 'paper_added', 'k', '2025-01-01')")
    conn.close()

    store = Store(db)
    counts = {r["name"]: (r["papers"], r["news"], r["checks"], r["events"]) for r in store.source_summaries()}
    assert counts == {"S1": (2, 1, 2, 0), "S2": (0, 0, 1, 1)}
    store.close()


@pytest.mark.parametrize("data", [
    {"title": "Sparse Attention Without Tears", "authors": ["Dana Example", "Bo Li"], "year": 2021, "links": {}},
    {"text": "Zoë joins the lab – “news”", "date": "2024-05-01", "kind": None},
    {"b": [1, 2.5, True], "a": {"z": 1, "y": "\u00e9"}},
])
def test_an_items_hash_is_the_one_stored_databases_hold(data):
    """Stored hashes tell an edited item from an unchanged one across versions: the definition never moves
    (blake2b-64 of the JSON with sorted keys, UTF-8, as json.dumps writes it), and a stored JSON text hashes
    as its content does."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    want = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)
    assert item_hash(data) == want
    assert item_hash(json.dumps(data)) == want


def test_a_page_is_encoded_once_for_its_snapshot_and_its_items_hashes(tmp_path):
    """The snapshot's JSON is put together from each item's JSON (keys sorted): it reads back as the page,
    each item's hash is the one ``item_hash`` gives its content, and the items view finds each one in it."""
    page = Page(profile=Profile(name="Zoë Example", affiliation="Lab “One”"),
                publications=[Publication(title="Sparse Attention, Without Tears", authors=["Zoë Example", "Bo Li"],
                                          venue="ICML", year=2021, links={"pdf": "http://x/p.pdf"}),
                              Publication(title=None, text="An abstract only", authors=[])],
                news=[NewsItem(date="May 2024", text="Zoë joins the lab – “news”", parsed_date="2024-05",
                               links=["http://x/n"])],
                announcements=[Announcement(kind="on_market", text="I am on the job market.")])
    encoded = PageJSON.of(page)
    assert json.loads(encoded.text) == page.to_json()
    items = [p.to_json() for p in page.publications] + [n.to_json() for n in page.news] + \
        [a.to_json() for a in page.announcements]
    assert [json.loads(t) for kind in ("paper", "news", "announcement") for t in encoded.items[kind]] == items

    store = Store(tmp_path / "m.db")
    sid = store.sync_sources([Source(name="S", url="http://x/")])["S"]
    process(store, Source(name="S", url="http://x/"), sid, fetched(b"<html>x</html>"), page=page)
    rows = [(r["hash"], r["data"]) for r in store.db.query(
        "SELECT i.hash, d.data FROM items i JOIN items_with_data d ON d.id = i.id ORDER BY i.kind, i.pos")]
    assert sorted(h for h, _ in rows) == sorted(item_hash(d) for d in items)
    assert sorted(json.dumps(json.loads(d), sort_keys=True) for _, d in rows) == \
        sorted(json.dumps(d, sort_keys=True) for d in items)
    store.close()


@pytest.mark.parametrize("data", [
    {"title": "Zoë's “Graph” Paper", "authors": ["Á. Roe", "B. Poe"], "venue": None, "year": 2024,
     "links": {"pdf": "https://a.example/p.pdf", "code": "https://git.example/x"}},
    {"date": "2024.05", "parsed_date": "2024-05", "text": "Tab\there, newline\nthere, quote \" and \\", "links": []},
    {"kind": "on_market", "text": "I am on the job market 🎓"},
    {"name": None, "position": "PhD student", "affiliation": "Université de Paris"},
    {"b": 1.5, "a": [True, False, None], "c": {"z": 1, "y": 2}},
])
def test_items_are_encoded_as_json_dumps_encodes_them(data):
    from monitor.store import _ITEM_JSON, _PAGE_JSON

    assert _ITEM_JSON(data) == json.dumps(data, ensure_ascii=False, sort_keys=True)
    assert _PAGE_JSON(data) == json.dumps(data, ensure_ascii=False)
