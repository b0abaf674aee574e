"""The store: migrations, one transaction per check, nothing half-written after a failure."""

from __future__ import annotations

import sqlite3
import time

import pytest

from monitor.fetch import FetchResult
from monitor.models import Source
from monitor.pipeline import process
from monitor.store import Store, migrations

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


def test_items_keep_first_and_last_seen(tmp_path):
    store = Store(tmp_path / "i.db")
    src = Source(name="S", url="http://x/")
    sid = store.sync_sources([src])["S"]
    process(store, src, sid, fetched((PAGES / "v1.html").read_bytes()))
    process(store, src, sid, fetched((PAGES / "v2.html").read_bytes(), etag='"2"'))
    rows = {r["key"]: r for r in store.db.query("SELECT * FROM items WHERE kind = 'paper'")}
    assert len(rows) == 4 and all(r["present"] for r in rows.values())
    assert store.snapshot_body(store.latest_snapshot(sid).id) == (PAGES / "v2.html").read_bytes()


def test_a_database_from_the_future_is_refused(tmp_path):
    db = tmp_path / "f.db"
    Store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    from monitor.errors import StoreError

    with pytest.raises(StoreError, match="newer"):
        Store(db)
