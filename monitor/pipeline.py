"""One check of one source, and one run over many: fetch -> extract -> store -> diff.

The CLI and the daemon are thin shells over ``check_sources``. A source that fails is recorded and
reported; it never stops the others, and a run of failures becomes a ``source_failing`` event (see
``health``). A page that is not the source's page at all (an error page served with status 200, a
page that lost nearly everything) is an outage: a failed check, never a list of removals, however
long it lasts. A page that suddenly lost most of its items is held as suspect: stored, but its
removals wait until the next check sees the same result.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from .config import Config
from .errors import ConfigError, ExtractError
from .fetch import Fetcher, FetchResult, user_agent
from .health import Health, after_check
from .models import Event, Page, Source
from .safe import clean_text, redact_in, redact_url
from .sources import source_headers
from .store import Store, content_hash
from .worker import ExtractionPool, Job, run_job, shared_pool


@dataclass
class CheckResult:
    """What one check did, for the run's report and the daemon's log line."""

    source: str
    outcome: str  # new | changed | unchanged | not_modified | suspect | confirmed | failed
    status: int | None = None
    error: str | None = None
    duration: float = 0.0
    papers: int | None = None
    news: int | None = None
    events: list[Event] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)


# A hook the delivery outbox uses to add its rows inside the check's own transaction.
OutboxHook = Callable[[Store, Source, list[int]], None]


def extraction_job(source: Source, result: FetchResult, today: dt.date | None) -> Job:
    """The fetched bytes and their declared charset: the worker decodes them (``worker_process``)."""
    assert result.body is not None
    return Job(body=result.body, charset=result.charset, format=source.format, content_type=result.content_type,
               url=result.final_url or source.url, today=today, selectors=source.selectors or None)


def needs_extraction(store: Store, source_id: int, result: FetchResult, row: dict | None = None) -> bool:
    """Only a body that differs from the stored one is read (a 304 or the same hash costs nothing)."""
    if not result.ok or result.not_modified or result.body is None:
        return False
    stored = (row or store.check_state(source_id))["content_hash"]
    return content_hash(result.body) != stored


def _snapshot_info(row: dict) -> dict | None:
    """The newest snapshot's id, state and counts from ``Store.check_state``, or None."""
    if row["snapshot_id"] is None:
        return None
    return {"id": row["snapshot_id"], "state": row["snapshot_state"], "papers": row["snapshot_papers"],
            "news": row["snapshot_news"]}


def process(store: Store, source: Source, source_id: int, result: FetchResult, *, today: dt.date | None = None,
            outbox: OutboxHook | None = None, page: Page | BaseException | None = None,
            row: dict | None = None) -> CheckResult:
    """Turn one fetch into stored state, in a single transaction (``page``: extracted beforehand;
    ``row``: ``Store.check_state`` read before the fetch, else read here)."""
    started = dt.datetime.fromtimestamp(result.started_at, dt.timezone.utc).isoformat(timespec="seconds")
    row = row or store.check_state(source_id)
    base = dict(started_at=started, duration=result.duration, status=result.status, size=result.bytes,
                attempts=result.attempts)
    out = CheckResult(source=source.name, outcome="failed", status=result.status, duration=result.duration)
    if not result.ok:
        out.error = result.error or "no content"
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row)
        return out

    info = _snapshot_info(row)
    body_hash = content_hash(result.body) if result.body is not None else None
    validators = {"etag": result.etag, "last_modified": result.last_modified, "body_hash": body_hash}
    if result.not_modified or (body_hash is not None and body_hash == row["content_hash"] and info is not None):
        with store.transaction():
            out.outcome = "not_modified" if result.not_modified else "unchanged"
            if info is not None and info["state"] == "suspect":
                out.outcome, out.events, out.event_ids = "confirmed", *_confirm(
                    store, source_id, store.snapshot(info["id"]), started)
            _finish(store, source, source_id, out, base, info["id"] if info else None, outbox, row, validators)
        if info is not None:
            out.papers, out.news = info["papers"], info["news"]
        return out

    assert result.body is not None
    if page is None:
        try:
            page = run_job(extraction_job(source, result, today))
        except Exception as exc:  # an extractor bug must not lose the check or stop the run
            page = exc
    if isinstance(page, BaseException):
        why = str(page) if isinstance(page, ExtractError) else f"{type(page).__name__}: {page}"
        out.error = f"extraction failed: {why}"
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row)
        return out

    from .diff import is_outage, is_suspect  # only for a page that changed: an unchanged run never loads the diff

    out.papers, out.news = len(page.publications), len(page.news)
    baseline = store.latest_snapshot(source_id, accepted_only=True)
    outage = is_outage(baseline.page if baseline else None, page)
    if outage:  # not the source's page: nothing stored but the failed check; validators kept, so it is read again
        out.error = outage
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row)
        return out
    reason = is_suspect(baseline.page if baseline else None, page)
    bulk_loss = False
    with store.transaction():
        if reason and info is not None and info["state"] == "suspect" \
                and _same_items(store.snapshot(info["id"]).page, page):
            reason, bulk_loss = None, True  # the second check in a row that sees the same thing: believe it
        kind = "suspect" if reason else "accepted"
        snapshot_id = store.insert_snapshot(source_id, body=result.body, page=page, state=kind, reason=reason,
                                            content_type=result.content_type, taken_at=started)
        if kind == "accepted":
            if baseline is not None:
                out.events = _new_events(store, source_id, baseline.page, page)
                out.outcome = "changed"
            else:
                out.outcome = "new"
            store.update_items(source_id, page, started, snapshot_id=snapshot_id, bulk_loss=bulk_loss)
            out.event_ids = store.insert_events(source_id, snapshot_id, out.events, started)
        else:
            out.outcome, out.error = "suspect", reason
        _finish(store, source, source_id, out, base, snapshot_id, outbox, row, validators)
    return out


def _finish(store: Store, source: Source, source_id: int, out: CheckResult, base: dict, snapshot_id: int | None,
            outbox: OutboxHook | None, row: dict, validators: dict | None = None) -> None:
    """The end of every check: its health (maybe a source_failing / source_recovered event), its row,
    the source's validators when the check got an answer to keep, and the outbox for all of its
    events, inside the check's transaction. ``row`` (``Store.check_state``) holds the health before this check."""
    # An error can quote the server or the address: cleaned (``safe``) and with the URL redacted.
    out.error = clean_text(redact_in(out.error, source.url))
    before = Health(last_success_at=row["last_success_at"], failing_since=row["failing_since"],
                    failures=row["failures"], alerted=bool(row["failing_alerted"]))
    health, event = after_check(before, failed=out.outcome == "failed", at=base["started_at"], error=out.error,
                                threshold=source.failing_after)
    if event is not None:
        out.events = out.events + [event]
        out.event_ids = out.event_ids + store.insert_events(source_id, None, [event], base["started_at"])
    store.record_check(source_id, outcome=out.outcome, error=out.error, snapshot_id=snapshot_id,
                       events=len(out.events), health={"last_success_at": health.last_success_at,
                                                       "failing_since": health.failing_since,
                                                       "failures": health.failures,
                                                       "failing_alerted": health.alerted},
                       validators=validators, **base)
    if outbox and out.event_ids:
        outbox(store, source, out.event_ids)


def _new_events(store: Store, source_id: int, baseline: Page, page: Page) -> list[Event]:
    """The changes from the last accepted page, without the items that are only coming back."""
    from .diff import diff_pages, drop_returning, is_revert

    events = diff_pages(baseline, page)
    if not any(e.type in ("paper_added", "news_added", "announcement") for e in events):
        return events
    return drop_returning(events, store.gone(source_id), revert=is_revert(page, store.older_item_sets(source_id)))


def _same_items(a: Page, b: Page) -> bool:
    return json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)


def _confirm(store: Store, source_id: int, suspect, started: str) -> tuple[list[Event], list[int]]:
    """A suspect page seen again: accept it and emit what it changed against the last accepted one."""
    baseline = store.latest_snapshot(source_id, accepted_only=True)
    store.accept_snapshot(suspect.id)
    events = _new_events(store, source_id, baseline.page, suspect.page) if baseline else []
    store.update_items(source_id, suspect.page, started, snapshot_id=suspect.id, bulk_loss=True)
    ids = store.insert_events(source_id, suspect.id, events, started)
    return events, ids


IN_FLIGHT_MIN = 16  # sources between fetch and store at once, at least (twice the fetch concurrency)
# A one-pass run commits its checks together (``Store.batch``): this many at most, or every so many
# seconds, whichever comes first; so a crash costs at most that much work, done again next time.
BATCH_CHECKS = 256
BATCH_SECONDS = 2.0


async def check_sources(config: Config, store: Store, sources: list[Source] | None = None, *,
                        today: dt.date | None = None, outbox: OutboxHook | None = None,
                        on_result: Callable[[CheckResult], Awaitable[None] | None] | None = None,
                        fetcher: Fetcher | None = None, ids: dict[str, int] | None = None,
                        pool: ExtractionPool | None = None, batch: bool = False) -> list[CheckResult]:
    """Check the given sources (all by default) concurrently; results come back in source order.

    ``ids`` (name -> source id) lets a caller that already synced the sources table skip doing it again.
    Extraction runs in ``pool`` (the process's shared worker pool by default), never on the event loop.
    ``batch``: commit the checks together (``Store.batch``), for a caller that delivers nothing before
    this returns (``monitor run``); each check stays whole.
    """
    sources = list(config.sources if sources is None else sources)
    ids = ids if ids is not None else store.sync_sources(config.sources)
    own = fetcher is None
    pool = pool or shared_pool()
    fetcher = fetcher or Fetcher(user_agent=user_agent(config.user_agent_contact), concurrency=config.concurrency,
                                 per_host=config.per_host, timeout=config.timeout, max_bytes=config.max_bytes,
                                 decode=False)
    results: dict[str, CheckResult] = {}
    # Back-pressure: fetching is much faster than extraction, so with every source started at once the
    # fetched pages pile up in memory; a bounded number of sources in flight keeps memory flat in N.
    # That many runners take the sources in turn (not one waiting task per source: 10,000 of those
    # are tens of MB before any work is done).
    queue = iter(sources)
    runners = min(len(sources), max(IN_FLIGHT_MIN, 2 * config.concurrency))

    async def runner() -> None:
        for source in queue:
            await _one(source)


    async def _one(source: Source) -> None:
        sid = ids[source.name]
        row = store.check_state(sid)  # read once, before the fetch: only this check writes this source's row
        t0 = time.monotonic()
        try:
            headers = source_headers(source)
        except ConfigError as exc:  # a headers_env variable is not set: this source's check fails, clearly
            fetched = FetchResult(url=redact_url(source.url), started_at=time.time(), error=str(exc))
        else:
            fetched = await fetcher.fetch(source.url, etag=row["etag"], last_modified=row["last_modified"],
                                          headers=headers)
        page: Page | BaseException | None = None
        if needs_extraction(store, sid, fetched, row):
            try:
                page = await pool.extract(extraction_job(source, fetched, today), config.extraction_timeout)
            except ExtractError as exc:  # over budget, refused or a crashed worker: this check fails, alone
                page = exc
        res = process(store, source, sid, fetched, today=today, outbox=outbox, page=page, row=row)
        res.duration = max(res.duration, time.monotonic() - t0)
        results[source.name] = res
        if on_result is not None:
            maybe = on_result(res)
            if asyncio.iscoroutine(maybe):
                await maybe

    with store.batch(checks=BATCH_CHECKS, seconds=BATCH_SECONDS) if batch else contextlib.nullcontext():
        if own:
            async with fetcher:
                await asyncio.gather(*(runner() for _ in range(runners)))
        else:
            await asyncio.gather(*(runner() for _ in range(runners)))
    return [results[s.name] for s in sources]
