"""The SQLite store (one WAL connection), with versioned migrations from ``db/``.

One check is one transaction: the check row, the snapshot, the items and the events (and, once
delivery is configured, the pending deliveries) are written together or not at all, so a crash
leaves the previous state intact, never half a snapshot. A one-pass run groups many checks into one
commit (``batch``), each check a savepoint in it, so that still holds check by check.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import json
import logging
import re
import sqlite3
import time
import zlib
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from .dbfaults import database_error, unwritable
from .errors import StoreError
from .models import Event, Page, PageState, SiteLink, Source, news_key, paper_key
from .safe import redact_url

if TYPE_CHECKING:
    from .diff import Gone

log = logging.getLogger("monitor.store")


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# Snapshot bodies are zstd frames at this level. bench/compression.py over the corpus pages: level 1 keeps
# 25.3% of the bytes, level 3 24.4%, zlib level 6 (how bodies were stored before) 23.5%, in 0.04, 0.06 and
# 0.44 ms a median page. Inside a first run of 1,000 bench pages, where each page meets tables the other
# processes have pushed out of the caches, level 1 took 92 ms and level 3 125 ms (9.0 and 8.7 KiB a page).
BODY_ZSTD_LEVEL = 1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"  # how a zstd frame opens; a zlib stream opens with 0x78


@functools.cache
def _zstd() -> tuple[Any, Any]:
    """zstandard's compressor and decompressor, made once (imported only by a command that needs them)."""
    import zstandard

    return zstandard.ZstdCompressor(level=BODY_ZSTD_LEVEL), zstandard.ZstdDecompressor()


def pack_body(body: bytes) -> bytes:
    """A page body as a snapshot keeps it: one zstd frame (its size written in it)."""
    return bytes(_zstd()[0].compress(body))


def unpack_body(data: bytes) -> bytes:
    """A stored body: a zstd frame, or a zlib stream as bodies were stored before. Raises ValueError
    when it is neither, or damaged."""
    if not isinstance(data, bytes):
        raise ValueError(f"not a stored body ({type(data).__name__})")
    if data[:4] == _ZSTD_MAGIC:
        try:
            return bytes(_zstd()[1].decompress(data))
        except Exception as exc:  # zstandard.ZstdError, without importing it for the check
            raise ValueError(str(exc)) from None
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise ValueError(str(exc)) from None


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _json_encoder(*, sort_keys: bool) -> Callable[[Any], str]:
    """``json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys).encode`` for the dicts of a page (no
    cycles in them), from one C encoder made here: ``encode`` makes one at each call, a quarter of the
    time of encoding an item, and a page has some 26 of them. Where the C encoder is missing, ``encode``."""
    from json.encoder import c_make_encoder, encode_basestring

    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=sort_keys)
    if c_make_encoder is None:
        return encoder.encode
    make = c_make_encoder(None, encoder.default, encode_basestring, None, encoder.key_separator,
                          encoder.item_separator, sort_keys, False, True)
    return lambda data: "".join(make(data, 0))


_ITEM_JSON = _json_encoder(sort_keys=True)  # an item as the store writes it (and hashes it: ``item_hash``)
_PAGE_JSON = _json_encoder(sort_keys=False)


def item_hash(data: str | dict[str, Any]) -> int:
    """A 64-bit hash of an item's content (its JSON, keys sorted): tells an edited item from an unchanged one."""
    if isinstance(data, str):
        data = json.loads(data)
    return _text_hash(_ITEM_JSON(data))


def _text_hash(item_json: str) -> int:
    """``item_hash`` of an item already encoded as ``_ITEM_JSON`` encodes it."""
    return int.from_bytes(hashlib.blake2b(item_json.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


@dataclass
class PageJSON:
    """A page as the store writes it, encoded once: ``text``, the snapshot's JSON, is put together from the
    JSON of each item (keys sorted), which is also what each item's hash is taken of (``item_hash``).
    Encoding each item twice, once for the page and once for its hash, was a fifth of storing a new page."""

    text: str
    items: dict[str, list[str]]  # kind -> its items' JSON, in page order

    @classmethod
    def of(cls, page: Page) -> PageJSON:
        items = {"paper": [_ITEM_JSON(p.to_json()) for p in page.publications],
                 "news": [_ITEM_JSON(n.to_json()) for n in page.news],
                 "announcement": [_ITEM_JSON(a.to_json()) for a in page.announcements]}
        pr = page.profile
        profile = _PAGE_JSON({"name": pr.name, "position": pr.position, "affiliation": pr.affiliation})
        lists = ", ".join(f'"{ITEM_LISTS[kind]}": [{", ".join(texts)}]' for kind, texts in items.items())
        return cls(text=f'{{"profile": {profile}, {lists}}}', items=items)


def _returning_key(kind: str, key: str, text: str | None, date: str | None) -> str:
    from .diff import returning_key

    return returning_key(kind, key, text, date)


ITEM_LISTS = {"paper": "publications", "news": "news", "announcement": "announcements"}  # kind -> page JSON list


def item_key(kind: str, data: str) -> str:
    """The key ``update_items`` gives an item of ``kind`` whose JSON is ``data`` (an element of a page)."""
    page = Page.from_json({ITEM_LISTS[kind]: [json.loads(data)]})
    if kind == "paper":
        return paper_key(page.publications[0])
    if kind == "news":
        return news_key(page.news[0])
    return page.announcements[0].kind


# Python functions the migrations may call (registered on the connection while they run).
MIGRATION_FUNCTIONS: dict[str, tuple[int, Any]] = {"returning_key": (4, _returning_key), "item_hash": (1, item_hash),
                                                   "item_key": (2, item_key)}


@dataclass
class _Batch:
    """An open run of checks sharing one transaction (see ``Store.batch``)."""

    checks: int
    seconds: float
    max_bytes: int | None  # None: no limit by size
    open: bool = False
    count: int = 0
    bytes: int = 0  # of the snapshots stored in it
    since: float = 0.0


@dataclass
class Snapshot:
    id: int
    source_id: int
    taken_at: str
    content_hash: str
    state: str
    page: Page


_APPLIED_IF = re.compile(r"^--\s*applied if:\s*(.+)$", re.MULTILINE)


def _roll_back(conn: sqlite3.Connection) -> None:
    """End an open transaction, if SQLite has not already (a failed ROLLBACK changes nothing stored)."""
    if conn.in_transaction:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")


def dict_rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
    """The rows of a read, one dict each, as they are fetched."""
    cursor = conn.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    return (dict(zip(keys, row)) for row in cursor)


def _schema_database(conn: sqlite3.Connection) -> Any:
    """sqlite-utils over the connection, for a migration (imported only then: it costs 60 ms, and a run
    over an up-to-date database never needs it). Without its plugins: a migration runs the same whatever
    sqlite-utils plugins are installed, and the scan for them (10 ms, every first run) is not made."""
    import sqlite_utils

    return sqlite_utils.Database(conn, execute_plugins=False)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file under db/migrations, in order."""
    # The package's folder from its import spec (importlib.resources would cost a run 8 ms more in imports);
    # through importlib.resources only when that is not a folder (a zipped install).
    spec = importlib.util.find_spec("monitor.migrations")
    folders = [Path(d) for d in (spec.submodule_search_locations or []) if Path(d).is_dir()] if spec else []
    if folders:
        files: Any = folders[0]
    else:
        from importlib import resources

        files = resources.files("monitor.migrations")
    out = []
    for entry in files.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


class Database:
    """What the store calls on its connection (``query`` for rows as dicts, ``execute``, ``enable_wal``),
    over plain ``sqlite3``: the same calls as sqlite-utils' ``Database``, which runs the migrations.

    Importing sqlite-utils costs 60 ms (click's extras, pluggy, dateutil): a third of what a read-only
    command may take to start, and a tenth of a run over unchanged pages.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def enable_wal(self) -> None:
        if self.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.conn.execute("PRAGMA journal_mode = wal")

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def query(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        return dict_rows(self.conn, sql, params)

    def table_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


class Store:
    """Every read and write of the checks' state: sources, checks, snapshots, items, events and meta.

    The delivery tables (deliveries, delivery_events) belong to ``outbox.Outbox``, on this connection.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        self._batch: _Batch | None = None
        if readonly:
            self._open_readonly()
            return
        conn: sqlite3.Connection | None = None
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            fault = unwritable(self.path)
            if fault is not None:
                raise fault
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = Database(conn)
            if self.path != ":memory:":
                self.db.enable_wal()
            conn.execute("PRAGMA synchronous = NORMAL")
            # each check is a savepoint inside its batch's transaction (``batch``): SQLite keeps a copy of
            # every page the check changes, and past 64 KiB it writes those copies to a temporary file.
            # In memory instead: on a first run over 1,000 pages, 207,000 fewer writes and 16% less CPU
            # for the storing (0.94 -> 0.79 ms a page); a copy lives only until its check ends.
            conn.execute("PRAGMA temp_store = MEMORY")
            self._check_writable()
            self.migrate()
        except (sqlite3.Error, OSError) as exc:
            if conn is not None:
                conn.close()
            raise database_error(self.path, exc) from None
        except StoreError:
            if conn is not None:
                conn.close()
            raise

    def _check_writable(self) -> None:
        """A database SQLite opened read-only (a read-only file, or one root may not change) says so only
        at the first write: write nothing, now, so a writing command stops before its work."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(f"PRAGMA user_version = {self.version}")
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def _open_readonly(self) -> None:
        """For the commands that only read (diff, feed, notices, sources): never create a database or
        its folders, never migrate, and still work on a read-only file (or in a read-only folder)."""
        p = Path(self.path)
        if not p.is_file():
            raise StoreError(f"{self.path}: no such database (check --db or MONITOR_DB; "
                             "`monitor run --once` creates it)")
        uri = p.absolute().as_uri()
        conn = None
        # With no -wal beside it, every write is in the file itself (a writer that closed folded its log
        # in; one that opens now writes to a new log, and into the file only at a checkpoint, thousands
        # of pages later): read it as immutable, so no -wal or -shm is created beside it (a read-only
        # pair left there would block every later writer). Otherwise read-only, and immutable only when
        # no -shm can be made (a read-only folder).
        wal = Path(f"{self.path}-wal").exists()
        queries = ("?mode=ro", "?mode=ro&immutable=1") if wal else ("?mode=ro&immutable=1",)
        for query in queries:
            try:
                conn = sqlite3.connect(uri + query, uri=True, isolation_level=None, timeout=30,
                                       check_same_thread=False)
                conn.execute("PRAGMA busy_timeout = 30000")
                conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
                break
            except sqlite3.Error as exc:
                error = exc
                if conn is not None:
                    conn.close()
                conn = None
        if conn is None:
            raise database_error(self.path, error)
        self.db = Database(conn)
        known = migrations()
        latest = known[-1][0] if known else 0
        if self.version == 0:
            raise StoreError(f"{self.path}: not a monitor database (no schema)")
        if self.version > latest:
            raise StoreError(f"{self.path}: schema version {self.version} is newer than this monitor knows ({latest})")
        if self.version < latest or self._pending(known):
            raise StoreError(f"{self.path}: schema version {self.version} is older than this monitor's ({latest}):"
                             " `monitor run --once` upgrades it")

    def close(self) -> None:
        self.db.conn.close()

    # ------------------------------------------------------------ schema

    @property
    def version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Apply every migration newer than the database, each in its own transaction.

        Foreign keys are off while a migration runs (SQLite's procedure for rebuilding a table that
        others refer to) and every reference is checked before its commit.
        """
        known = migrations()
        latest = known[-1][0] if known else 0
        if self.version > latest:
            raise StoreError(f"{self.path}: schema version {self.version} is newer than this monitor knows ({latest})")
        pending = self._pending(known)
        if not pending:
            return
        for fname, (nargs, func) in MIGRATION_FUNCTIONS.items():
            self.db.conn.create_function(fname, nargs, func, deterministic=True)
        schema = _schema_database(self.db.conn)
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            for version, name, sql in pending:
                with self.transaction():
                    for statement in _statements(sql):
                        schema.execute(statement)
                    broken = self.db.execute("PRAGMA foreign_key_check").fetchone()
                    if broken is not None:
                        raise StoreError(f"{self.path}: migration {name} left a broken reference in {broken[0]}")
                    self.db.execute(f"PRAGMA user_version = {max(version, self.version)}")
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    def _pending(self, known: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
        """The migrations this database lacks: those newer than its version, and an older one that
        arrived after a newer one was applied (numbers are handed out ahead, so they can land out of
        order) and whose ``-- applied if: <SQL condition>`` line says its change is not there."""
        out = []
        for version, name, sql in known:
            if version > self.version:
                out.append((version, name, sql))
                continue
            check = _APPLIED_IF.search(sql)
            if check and not self.db.execute(f"SELECT ({check.group(1)})").fetchone()[0]:
                out.append((version, name, sql))
        return out

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; inside ``batch``, a savepoint.

        A database error (a full disk, a read-only or damaged file) becomes one ``DatabaseFault``
        line; SQLite may have rolled back by itself already (it does on a full disk), so the
        rollback is only asked for when a transaction is still open.
        """
        if self._batch is not None:
            with self._savepoint(self._batch):
                yield
            return
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                _roll_back(conn)
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _roll_back(conn)
            raise database_error(self.path, exc) from None

    @contextmanager
    def batch(self, *, checks: int, seconds: float, max_bytes: int | None = None) -> Iterator[None]:
        """Commit the transactions opened meanwhile together, ``checks`` at a time, once they stored
        ``max_bytes`` of snapshots (when given), or every ``seconds``.

        A commit is the costly part of a check that found nothing new, so a one-pass run groups them;
        checks that store new pages are committed a few dozen at a time instead (see ``pipeline.BATCH_BYTES``).
        Each ``transaction()`` in the batch is a savepoint: one that fails is rolled back alone, and
        a crash loses the checks of the uncommitted batch whole (they are simply done again), never
        half of one. Only for a caller that sends nothing before the batch ends (``monitor run``
        delivers after its checks): a delivery must never go out for rows not yet committed.
        """
        if self._batch is not None:
            raise StoreError(f"{self.path}: batches do not nest")
        batch = self._batch = _Batch(checks=max(1, checks), seconds=seconds, max_bytes=max_bytes)
        try:
            yield
        finally:
            self._batch = None
            if batch.open:
                self._commit_batch(batch)

    def _commit_batch(self, batch: _Batch) -> None:
        """COMMIT what the batch holds (whole checks only); a database error is one ``DatabaseFault``."""
        conn = self.db.conn
        batch.open = False
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _roll_back(conn)
            raise database_error(self.path, exc) from None

    @contextmanager
    def _savepoint(self, batch: _Batch) -> Iterator[None]:
        """One check inside a batch: released when it ends well, rolled back alone when it does not."""
        conn = self.db.conn
        try:
            if not batch.open:
                conn.execute("BEGIN IMMEDIATE")
                batch.open, batch.count, batch.bytes, batch.since = True, 0, 0, time.monotonic()
            conn.execute("SAVEPOINT one_check")
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from None
        try:
            yield
        except BaseException as exc:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK TO one_check")
                    conn.execute("RELEASE one_check")
            else:  # SQLite rolled the whole transaction back itself (a full disk, say)
                batch.open = False
            if isinstance(exc, sqlite3.Error):
                raise database_error(self.path, exc) from None
            raise
        try:
            conn.execute("RELEASE one_check")
        except sqlite3.Error as exc:
            raise database_error(self.path, exc) from None
        batch.count += 1
        if batch.count >= batch.checks or (batch.max_bytes is not None and batch.bytes >= batch.max_bytes) \
                or time.monotonic() - batch.since >= batch.seconds:
            self._commit_batch(batch)

    # ------------------------------------------------------------ sources

    def sync_sources(self, sources: list[Source]) -> dict[str, int]:
        """Make the sources table match the configuration; returns name -> id.

        An entry whose name the table does not know, at the same address as a stored source that is no
        longer in the configuration, is that source renamed by hand: its row takes the new name and
        keeps its history (``adopted_by_url``), so nothing stored is lost or duplicated.
        """
        ids: dict[str, int] = {}
        with self.transaction():
            existing = {r["name"]: r for r in self.rows("SELECT id, name, url FROM sources")}
            for old, new in adopted_by_url(sources, existing.values()):
                self.db.execute("UPDATE sources SET name = ? WHERE name = ?", [new, old])
                existing[new] = {**existing.pop(old), "name": new}
                log.info("source %r is now %r in the configuration (same address): its history follows", old, new)
            for s in sources:
                row = existing.get(s.name)
                url = redact_url(s.url)  # never credentials or a token in clear (``safe.redact_url``)
                if row is None:
                    cur = self.db.execute("INSERT INTO sources (name, url, active, created_at) VALUES (?, ?, 1, ?)",
                                          [s.name, url, now_iso()])
                    ids[s.name] = int(cur.lastrowid)
                else:
                    ids[s.name] = row["id"]
                    if row["url"] != url:  # a new address: forget the old validators, and the old site's pages
                        self.db.execute("UPDATE sources SET url = ?, etag = NULL, last_modified = NULL, "
                                        "content_hash = NULL WHERE id = ?", [url, row["id"]])
                        self.db.execute("DELETE FROM source_pages WHERE source_id = ?", [row["id"]])
            names = [s.name for s in sources]
            self.db.execute(
                f"UPDATE sources SET active = (name IN ({','.join('?' * len(names))})) ", names)
        return ids

    def rename_source(self, old: str, new: str) -> bool:
        """Give a stored source a new name, history and all; False when nothing is stored under ``old``.

        StoreError when ``new`` already names another stored source (a removed one's history): two
        histories are never merged.
        """
        with self.transaction():
            if self.source_id(old) is None:
                return False
            other = self.source_id(new)
            if other is not None and other != self.source_id(old):
                raise StoreError(f"{self.path}: the history of another source named {new!r} is stored there"
                                 " (removed from the configuration); choose another name")
            self.db.execute("UPDATE sources SET name = ? WHERE name = ?", [new, old])
        return True

    def source_names(self) -> list[str]:
        """Every stored source's name, those no longer configured included (their history stays)."""
        return [r["name"] for r in self.rows("SELECT name FROM sources ORDER BY name")]

    def history(self, name: str) -> dict[str, int]:
        """How much is stored for a source: checks, snapshots, items and events (zeros when none)."""
        sid = self.source_id(name)
        counts = {"checks": 0, "snapshots": 0, "items": 0, "events": 0}
        if sid is None:
            return counts
        for table in counts:
            counts[table] = self.db.execute(f"SELECT COUNT(*) FROM {table} WHERE source_id = ?", [sid]).fetchone()[0]
        return counts

    def rows(self, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
        """A read, row by row as dicts, straight on the connection. sqlite-utils' ``query`` wraps every
        statement in a savepoint (two statements more), a net for writes that a SELECT does not need:
        an unchanged check reads three times."""
        return dict_rows(self.db.conn, sql, params)

    def never_checked(self) -> set[int]:
        """The sources not checked yet: their first check reads and extracts their page, whatever it finds."""
        return {row[0] for row in self.db.conn.execute("SELECT id FROM sources WHERE check_count = 0")}

    def source_row(self, source_id: int) -> dict[str, Any]:
        return next(self.rows("SELECT * FROM sources WHERE id = ?", [source_id]))

    def check_state(self, source_id: int) -> dict[str, Any]:
        """The source's row (validators, site hash, health) and its newest snapshot's ``snapshot_id``,
        ``snapshot_state``, ``snapshot_content_type``, ``snapshot_papers`` and ``snapshot_news`` (None when
        it has none), in one query. An accepted snapshot's counts are the source row's (``update_items``):
        a snapshot's own sit after its page and body, so reading them walks both (50 us a check, cold)."""
        cur = self.db.conn.execute(
            "SELECT s.*, n.id AS snapshot_id, n.state AS snapshot_state, n.content_type AS snapshot_content_type,"
            " CASE WHEN n.state = 'accepted' THEN s.papers ELSE n.papers END AS snapshot_papers,"
            " CASE WHEN n.state = 'accepted' THEN s.news ELSE n.news END AS snapshot_news FROM sources s"
            " LEFT JOIN snapshots n ON n.id = (SELECT MAX(id) FROM snapshots WHERE source_id = s.id)"
            " WHERE s.id = ?", [source_id])
        row = cur.fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no source {source_id}")
        return dict(zip([d[0] for d in cur.description], row))

    def source_id(self, name: str) -> int | None:
        row = next(self.rows("SELECT id FROM sources WHERE name = ?", [name]), None)
        return row["id"] if row else None

    def source_record(self, name: str) -> dict[str, Any] | None:
        """A source's row with what is known of its past: counts of checks, failed checks, snapshots and
        events, its first check, its newest snapshot (the last time its page changed) and newest event."""
        sql = """
        SELECT s.*,
               (SELECT COUNT(*) FROM checks c WHERE c.source_id = s.id) AS checks,
               (SELECT COUNT(*) FROM checks c WHERE c.source_id = s.id AND c.outcome = 'failed') AS failed_checks,
               (SELECT MIN(c.started_at) FROM checks c WHERE c.source_id = s.id) AS first_check_at,
               (SELECT COUNT(*) FROM snapshots n WHERE n.source_id = s.id) AS snapshots,
               (SELECT MAX(n.taken_at) FROM snapshots n WHERE n.source_id = s.id) AS last_changed_at,
               (SELECT COUNT(*) FROM events e WHERE e.source_id = s.id) AS events,
               (SELECT MAX(e.detected_at) FROM events e WHERE e.source_id = s.id) AS last_event_at
        FROM sources s WHERE s.name = ?"""
        return next(self.rows(sql, [name]), None)

    # ------------------------------------------------------------ snapshots

    def _snapshot(self, row: dict[str, Any] | None) -> Snapshot | None:
        if row is None:
            return None
        return Snapshot(id=row["id"], source_id=row["source_id"], taken_at=row["taken_at"],
                        content_hash=row["content_hash"], state=row["state"],
                        page=Page.from_json(json.loads(row["page"])))

    def latest_snapshot(self, source_id: int, *, accepted_only: bool = False) -> Snapshot | None:
        where = "AND state = 'accepted'" if accepted_only else ""
        row = next(self.rows(
            f"SELECT * FROM snapshots WHERE source_id = ? {where} ORDER BY id DESC LIMIT 1", [source_id]), None)
        return self._snapshot(row)

    def latest_snapshot_info(self, source_id: int) -> dict[str, Any] | None:
        """Id, state and item counts of the newest snapshot, without decoding it (the unchanged path)."""
        return next(self.rows(
            "SELECT id, state, content_type, papers, news FROM snapshots WHERE source_id = ? ORDER BY id DESC LIMIT 1",
            [source_id]), None)

    def snapshot(self, snapshot_id: int) -> Snapshot:
        snap = self._snapshot(next(self.rows("SELECT * FROM snapshots WHERE id = ?", [snapshot_id]), None))
        if snap is None:
            raise StoreError(f"{self.path}: no snapshot {snapshot_id}")
        return snap

    def snapshot_list(self, source_id: int, limit: int | None = None) -> list[dict[str, Any]]:
        """A source's snapshots, newest first, without decoding them: when, state, item counts, the
        outcome of the check that stored it and, for a suspect page believed later, when it was confirmed."""
        sql = """
        SELECT n.id, n.taken_at, n.state, n.suspect_reason, n.content_type,
               json_array_length(n.page, '$.publications') AS papers,
               json_array_length(n.page, '$.news') AS news,
               json_array_length(n.page, '$.announcements') AS announcements,
               (SELECT c.outcome FROM checks c WHERE c.source_id = n.source_id AND c.snapshot_id = n.id
                ORDER BY c.id LIMIT 1) AS outcome,
               (SELECT c.started_at FROM checks c WHERE c.source_id = n.source_id AND c.snapshot_id = n.id
                AND c.outcome = 'confirmed' ORDER BY c.id LIMIT 1) AS confirmed_at
        FROM snapshots n WHERE n.source_id = ? ORDER BY n.id DESC LIMIT ?"""
        return list(self.rows(sql, [source_id, -1 if limit is None else limit]))

    def snapshot_body(self, snapshot_id: int) -> bytes:
        """The raw body a snapshot was made from, as fetched."""
        row = next(self.rows("SELECT body FROM snapshots WHERE id = ?", [snapshot_id]), None)
        if row is None:
            raise StoreError(f"{self.path}: no snapshot {snapshot_id}")
        try:
            return unpack_body(row["body"])
        except ValueError as exc:
            raise StoreError(f"{self.path}: snapshot {snapshot_id}: the stored body is damaged ({exc})") from None

    def insert_snapshot(self, source_id: int, *, body: bytes, page: Page, state: str, reason: str | None,
                        content_type: str | None, taken_at: str, digest: str | None = None,
                        encoded: PageJSON | None = None) -> int:
        """``body``: the homepage's; ``digest``: the hash of the whole site (default: of ``body``);
        ``encoded``: ``PageJSON.of(page)``, when the caller has it (``update_items`` takes it too)."""
        text, packed = (encoded or PageJSON.of(page)).text, pack_body(body)
        cur = self.db.execute(
            "INSERT INTO snapshots (source_id, taken_at, content_hash, content_type, state, suspect_reason, page, body,"
            " papers, news) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, taken_at, digest or content_hash(body), content_type, state, reason, text, packed,
             len(page.publications), len(page.news)])
        if self._batch is not None:
            self._batch.bytes += len(text) + len(packed)
        return int(cur.lastrowid)

    def accept_snapshot(self, snapshot_id: int) -> None:
        self.db.execute("UPDATE snapshots SET state = 'accepted', suspect_reason = NULL WHERE id = ?", [snapshot_id])

    # ------------------------------------------------------------ the pages of a source's site

    def site_state(self, source_id: int, source: dict[str, Any] | None = None
                   ) -> tuple[PageState, dict[str, PageState]]:
        """What is known of the homepage (without its extraction: ``home_page``) and of each other page,
        by stored address, each page's extraction as stored (``models.KeptPage``: a check whose pages
        all answer 304 never decodes it). The homepage's validators are the source's own
        (``sources.etag``...): from ``source``, its row as the caller read it, or read here."""
        src = source or self.source_row(source_id)
        home = PageState(url=src["url"], role="home", etag=src["etag"], last_modified=src["last_modified"],
                         content_hash=src["content_hash"])
        others: dict[str, PageState] = {}
        if src["last_check_at"] is None:  # never checked: no page of its site was ever written (a check writes them)
            return home, others
        for row in self.rows("SELECT * FROM source_pages WHERE source_id = ?", [source_id]):
            if row["role"] == "home":
                home.content_hash = row["content_hash"]
                home.links = _links(row["links"])
                home.status, home.error, home.checked_at = row["status"], row["error"], row["checked_at"]
                continue
            others[row["url"]] = PageState(
                url=row["url"], role=row["role"], why=row["why"], etag=row["etag"], last_modified=row["last_modified"],
                content_hash=row["content_hash"], page=row["page"] or None,  # JSON, read when the merge needs it
                status=row["status"], error=row["error"], checked_at=row["checked_at"],
                last_success_at=row["last_success_at"], failing_since=row["failing_since"], failures=row["failures"],
                failing_alerted=bool(row["failing_alerted"]))
        return home, others

    def home_page(self, source_id: int) -> Page | None:
        """The homepage's own last extraction (before it had a row of its own: the newest snapshot's page)."""
        row = next(self.rows("SELECT page FROM source_pages WHERE source_id = ? AND role = 'home'"
                                 " AND page IS NOT NULL", [source_id]), None)
        if row is not None:
            return Page.from_json(json.loads(row["page"]))
        snap = self.latest_snapshot(source_id)
        return snap.page if snap else None

    def save_page(self, source_id: int, state: PageState, *, page: Page | None = None, drop_page: bool = False) -> None:
        """Write one page's state; its extraction only when ``page`` is given (else the stored one stays, or
        with ``drop_page`` goes)."""
        links = None if state.links is None else json.dumps(
            [{"url": link.url, "kind": link.kind, "why": link.why} for link in state.links], ensure_ascii=False)
        self.db.execute(
            "INSERT INTO source_pages (source_id, url, role, why, etag, last_modified, content_hash, page, links,"
            " status, error, checked_at, last_success_at, failing_since, failures, failing_alerted)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (source_id, url) DO UPDATE SET role = excluded.role, why = excluded.why,"
            " etag = excluded.etag, last_modified = excluded.last_modified, content_hash = excluded.content_hash,"
            f" page = {'NULL' if drop_page else 'COALESCE(excluded.page, page)'}, links = excluded.links,"
            " status = excluded.status,"
            " error = excluded.error, checked_at = excluded.checked_at, last_success_at = excluded.last_success_at,"
            " failing_since = excluded.failing_since, failures = excluded.failures,"
            " failing_alerted = excluded.failing_alerted",
            [source_id, state.url, state.role, state.why, state.etag, state.last_modified, state.content_hash,
             json.dumps(page.to_json(), ensure_ascii=False) if page is not None else None, links, state.status,
             state.error, state.checked_at, state.last_success_at, state.failing_since, state.failures,
             int(state.failing_alerted)])

    def keep_pages(self, source_id: int, home: str, urls: list[str]) -> None:
        """Forget every page of the source but its homepage (stored as ``home``) and ``urls``."""
        keep = [home, *urls]
        self.db.execute(f"DELETE FROM source_pages WHERE source_id = ? AND url NOT IN ({','.join('?' * len(keep))})",
                        [source_id, *keep])

    def site_pages(self, source_id: int) -> list[dict[str, Any]]:
        """Each page of the source with why it is read and how its last check went (for reports)."""
        newest = "(SELECT {} FROM snapshots WHERE source_id = p.source_id ORDER BY id DESC LIMIT 1)"
        return list(self.rows(  # a homepage read alone keeps no copy of its extraction: its snapshot counts
            "SELECT url, role, why, status, error, checked_at, last_success_at, failures,"
            f" COALESCE(json_array_length(page, '$.publications'), CASE role WHEN 'home' THEN {newest.format('papers')}"
            " END) AS papers,"
            f" COALESCE(json_array_length(page, '$.news'), CASE role WHEN 'home' THEN {newest.format('news')} END)"
            " AS news FROM source_pages p WHERE source_id = ? ORDER BY role != 'home', url", [source_id]))

    # ------------------------------------------------------------ checks, items, events

    def record_check(self, source_id: int, *, started_at: str, duration: float, status: int | None, size: int,
                     attempts: int, outcome: str, error: str | None, snapshot_id: int | None, events: int,
                     health: dict[str, Any], validators: dict[str, str | None] | None) -> int:
        """The end of a check in two statements: its ``checks`` row, and its source's row (last check;
        ``health``: last_success_at, failing_since, failures, failing_alerted; ``validators``: etag,
        last_modified and body_hash, when the check got an answer to keep)."""
        cur = self.db.conn.execute(
            "INSERT INTO checks (source_id, started_at, duration, status, bytes, attempts, outcome, error,"
            " snapshot_id, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, started_at, duration, status, size, attempts, outcome, error, snapshot_id, events])
        fields = ("last_check_at = ?, last_outcome = ?, last_error = ?, last_success_at = ?, failing_since = ?,"
                  " failures = ?, failing_alerted = ?, check_count = check_count + 1")
        params: list[Any] = [started_at, outcome, error, health["last_success_at"], health["failing_since"],
                             health["failures"], int(health["failing_alerted"])]
        if validators is not None:
            fields += ", etag = ?, last_modified = ?, content_hash = COALESCE(?, content_hash)"
            params += [validators["etag"], validators["last_modified"], validators["body_hash"]]
        self.db.conn.execute(f"UPDATE sources SET {fields} WHERE id = ?", [*params, source_id])
        return int(cur.lastrowid or 0)

    def set_validators(self, source_id: int, *, etag: str | None, last_modified: str | None,
                       body_hash: str | None) -> None:
        self.db.execute("UPDATE sources SET etag = ?, last_modified = ?, content_hash = COALESCE(?, content_hash)"
                        " WHERE id = ?", [etag, last_modified, body_hash, source_id])

    def update_items(self, source_id: int, page: Page, seen_at: str, *, snapshot_id: int,
                     bulk_loss: bool = False, encoded: PageJSON | None = None, first: bool = False) -> None:
        """Keep one row per paper, news item and announcement with when it was first and last seen, and
        where its content is: its place in the page of ``snapshot_id`` (the snapshot that shows it).

        ``bulk_loss``: this page lost most of the items at once; those it lost are marked so.
        ``encoded``: ``PageJSON.of(page)``, when the caller has it.
        ``first``: the source's first snapshot, so it has no items yet (none to mark as gone).
        """
        from .diff import returning_key

        texts = (encoded or PageJSON.of(page)).items
        current: list[tuple[str, str, str]] = []  # kind, key, returning key
        current += [("paper", k, k) for k in map(paper_key, page.publications)]
        for n in page.news:
            key = news_key(n)
            current.append(("news", key, returning_key("news", key, date=n.date)))
        current += [("announcement", a.kind, returning_key("announcement", a.kind, a.text)) for a in page.announcements]
        hashes = [_text_hash(t) for kind in ("paper", "news", "announcement") for t in texts[kind]]
        positions = [*range(len(page.publications)), *range(len(page.news)), *range(len(page.announcements))]
        conn = self.db.conn
        if not first:
            conn.execute("UPDATE items SET present = 0, lost_in_bulk = CASE WHEN present = 1 THEN ? ELSE lost_in_bulk"
                         " END WHERE source_id = ?", [int(bulk_loss), source_id])
        rows = [(source_id, kind, key, None if rkey == key else rkey, h, seen_at, seen_at, snapshot_id, pos)
                for (kind, key, rkey), h, pos in zip(current, hashes, positions)]
        conn.executemany(
            "INSERT INTO items (source_id, kind, key, rkey, hash, first_seen, last_seen, present, snapshot_id, pos)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
            " ON CONFLICT (source_id, kind, key) DO UPDATE SET rkey = excluded.rkey, hash = excluded.hash,"
            " last_seen = excluded.last_seen, present = 1, lost_in_bulk = 0, snapshot_id = excluded.snapshot_id,"
            " pos = excluded.pos, data = NULL", rows)
        # the counts of the newest accepted page, on the source's row: read with it, never from the snapshot
        conn.execute("UPDATE sources SET papers = ?, news = ? WHERE id = ?",
                     [len(page.publications), len(page.news), source_id])

    def item_contents(self, source_id: int, *, present_only: bool = True) -> list[dict[str, Any]]:
        """Items with their content (``data``, decoded) read from the snapshot that shows them (the view
        ``items_with_data``): kind, key, data, first and last seen, present. What ``items.data`` held."""
        where = "AND present" if present_only else ""
        rows = self.rows("SELECT kind, key, first_seen, last_seen, present, data FROM items_with_data"
                             f" WHERE source_id = ? {where} ORDER BY id", [source_id])
        return [{**r, "data": json.loads(r["data"]) if r["data"] else None} for r in rows]

    def gone(self, source_id: int) -> Gone:
        """The items this source showed once and not on its newest accepted page, for ``drop_returning``."""
        from .diff import ADDED, Gone, returning_key  # only a changed page needs it: the read-only commands start fast

        gone = Gone()
        for row in self.rows("SELECT kind, key, rkey, lost_in_bulk FROM items WHERE source_id = ? AND present = 0",
                                 [source_id]):
            key = row["rkey"] or row["key"]  # what returning_key gave when the item was last seen
            gone.keys.setdefault(row["kind"], set()).add(key)
            if row["lost_in_bulk"]:
                gone.settled.setdefault(row["kind"], set()).add(key)
        for row in self.rows("SELECT type, key, text, data FROM events WHERE source_id = ? AND type IN"
                                 " ('paper_added', 'news_added', 'announcement')", [source_id]):
            kind = ADDED[row["type"]]
            date = json.loads(row["data"] or "{}").get("date")
            gone.settled.setdefault(kind, set()).add(returning_key(kind, row["key"], row["text"], date))
        return gone

    def older_item_sets(self, source_id: int, limit: int = 100) -> list[frozenset[str]]:
        """What each accepted snapshot before the newest listed (newest first, at most ``limit``)."""
        from .diff import item_keys

        rows = self.rows("SELECT page FROM snapshots WHERE source_id = ? AND state = 'accepted' ORDER BY id DESC"
                             " LIMIT -1 OFFSET 1", [source_id])
        out: list[frozenset[str]] = []
        for row in rows:
            out.append(item_keys(Page.from_json(json.loads(row["page"]))))
            if len(out) >= limit:
                break
        return out

    def present_items(self, source_id: int) -> list[dict[str, Any]]:
        """The items on the source's newest accepted page: kind, key, the item (decoded), first and last seen."""
        return [{k: r[k] for k in ("kind", "key", "data", "first_seen", "last_seen")}
                for r in self.item_contents(source_id)]

    def health(self, source_id: int) -> dict[str, Any]:
        return next(self.rows("SELECT last_success_at, failing_since, failures, failing_alerted FROM sources"
                                  " WHERE id = ?", [source_id]))

    def insert_events(self, source_id: int, snapshot_id: int | None, events: list[Event],
                      detected_at: str) -> list[int]:
        ids = []
        for e in events:
            cur = self.db.execute(
                "INSERT INTO events (source_id, snapshot_id, type, key, title, text, field, before, after, kind,"
                " data, alert, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [source_id, snapshot_id, e.type, e.key, e.title, e.text, e.field, e.before, e.after, e.kind,
                 json.dumps(e.data, ensure_ascii=False), int(e.alert), detected_at])
            ids.append(int(cur.lastrowid))
        if ids:
            self.db.execute("UPDATE sources SET event_count = event_count + ? WHERE id = ?", [len(ids), source_id])
        return ids

    # ------------------------------------------------------------ reading events

    def events(self, *, source: str | None = None, since: str | None = None) -> list[dict[str, Any]]:
        """Events with their source name: since a time, or those of each source's newest snapshot."""
        params: list[Any] = []
        where = ["1 = 1"]
        if source:
            where.append("s.name = ?")
            params.append(source)
        if since:
            where.append("e.detected_at >= ?")
            params.append(since)
        else:  # the newest snapshot's events, and health events since it
            where.append("(e.snapshot_id = (SELECT MAX(id) FROM snapshots WHERE source_id = e.source_id)"
                         " OR (e.snapshot_id IS NULL AND e.detected_at >= COALESCE("
                         "(SELECT MAX(taken_at) FROM snapshots WHERE source_id = e.source_id), '')))")
        sql = (f"SELECT e.*, s.name AS source FROM events e JOIN sources s ON s.id = e.source_id"
               f" WHERE {' AND '.join(where)} ORDER BY s.name, e.id")
        return list(self.rows(sql, params))

    def snapshot_events(self, source_id: int, from_snapshot: int) -> list[dict[str, Any]]:
        """The events of one source's snapshots from ``from_snapshot`` on, with the source's name, oldest first."""
        sql = ("SELECT e.*, s.name AS source FROM events e JOIN sources s ON s.id = e.source_id"
               " WHERE e.source_id = ? AND e.snapshot_id >= ? ORDER BY e.id")
        return list(self.rows(sql, [source_id, from_snapshot]))

    def health_events(self, source_id: int) -> list[dict[str, Any]]:
        """The source's source_failing / source_recovered events (those of no snapshot), newest first."""
        sql = ("SELECT e.*, s.name AS source FROM events e JOIN sources s ON s.id = e.source_id"
               " WHERE e.source_id = ? AND e.snapshot_id IS NULL ORDER BY e.id DESC")
        return list(self.rows(sql, [source_id]))

    def event_types(self, event_ids: list[int]) -> list[tuple[int, str, bool]]:
        """(id, type, alert) of these events, by id: what routing needs, without the rest of the row."""
        marks = ",".join("?" * len(event_ids))
        rows = self.db.execute(f"SELECT id, type, alert FROM events WHERE id IN ({marks}) ORDER BY id",
                               list(event_ids)).fetchall()
        return [(int(i), t, bool(a)) for i, t, a in rows]

    def recent_events(self, since: str | None, *, include_all: bool = False, limit: int = 200,
                      sources: list[str] | None = None) -> list[dict[str, Any]]:
        """Newest first, with their source's name and URL: alert-worthy events (or all) since ``since``,
        of every source or of the named ``sources`` only."""
        where, params = ["1 = 1"], []
        if since:
            where.append("e.detected_at >= ?")
            params.append(since)
        if sources is not None:
            where.append(f"s.name IN ({','.join('?' * len(sources))})")
            params.extend(sources)
        if not include_all:
            where.append("e.alert = 1")
        sql = (f"SELECT e.*, s.name AS source, s.url AS source_url FROM events e JOIN sources s ON s.id = e.source_id"
               f" WHERE {' AND '.join(where)} ORDER BY e.detected_at DESC, e.id DESC LIMIT ?")
        return list(self.rows(sql, [*params, limit]))

    def instance_id(self) -> str:
        """The database's random id, written once by a migration (the Atom feed's ids derive from it)."""
        return self.db.execute("SELECT value FROM meta WHERE key = 'instance_id'").fetchone()[0]

    def source_summaries(self) -> list[sqlite3.Row]:
        """Each source's row with the papers and news of its newest accepted page and its counts of events
        and checks, all kept on the row (``update_items``, ``insert_events``, ``record_check``): ``monitor
        sources`` reads no other table. Rows are ``sqlite3.Row`` (read by column name): with 10,000 sources,
        dicts cost 20 ms."""
        cursor = self.db.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(SOURCE_SUMMARIES).fetchall()


SOURCE_SUMMARIES = """  -- one row per source, in no order (the configuration orders what is shown)
        SELECT s.name, s.url, s.active, s.last_check_at, s.last_outcome, s.last_error, s.last_success_at,
               s.failing_since, s.failures,
               s.papers, s.news, s.event_count AS events, s.check_count AS checks
        FROM sources s"""


def _links(text: str | None) -> list[SiteLink] | None:
    if text is None:
        return None
    return [SiteLink(url=d["url"], kind=d["kind"], why=d["why"]) for d in json.loads(text)]


def adopted_by_url(sources: list[Source], rows: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    """(stored name, configured name) for each entry renamed by hand: a configured name not stored, at
    the address of exactly one stored source whose name is no longer configured (and no other new entry
    shares that address)."""
    rows = list(rows)
    stored = {r["name"] for r in rows}
    configured = {s.name for s in sources}
    orphans: dict[str, list[str]] = {}
    for r in rows:
        if r["name"] not in configured:
            orphans.setdefault(r["url"], []).append(r["name"])
    newcomers: dict[str, list[str]] = {}
    for s in sources:
        if s.name not in stored:
            newcomers.setdefault(redact_url(s.url), []).append(s.name)
    return [(orphans[url][0], names[0]) for url, names in newcomers.items()
            if len(names) == 1 and len(orphans.get(url, [])) == 1]


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (sqlite3 executes one at a time)."""
    out, buf = [], []
    for line in sql.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";") and sqlite3.complete_statement("\n".join(buf)):
            out.append("\n".join(buf).strip())
            buf = []
    if "".join(buf).strip():
        out.append("\n".join(buf).strip())
    return out
