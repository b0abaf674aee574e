"""One check of one source, and one run over many: fetch -> extract -> store -> diff.

The CLI and the daemon are thin shells over ``check_sources``. A source that fails is recorded and
reported; it never stops the others, and a run of failures becomes a ``source_failing`` event (see
``health``). A page that is not the source's page at all (an error page served with status 200, a
page that lost nearly everything) is an outage: a failed check, never a list of removals, however
long it lasts. A page that suddenly lost most of its items is held as suspect: stored, but its
removals wait until the next check sees the same result.

A source can be a small site (``sitefetch``): its pages are merged into the one page that is stored and
diffed (``merge``), each page's validators, last good extraction and health are written in the check's
transaction, a page read for the first time brings no alerts, and a page that stops being read takes
its items away only after a second check agrees.
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
from .diff import diff_pages, drop_returning, is_outage, is_revert, is_suspect, item_keys
from .errors import ExtractError
from .fetch import Fetcher, FetchResult, user_agent
from .health import Health, after_check
from .merge import Merged, merge_pages, site_hash
from .models import Event, Page, PageState, Source, held_page
from .safe import clean_text, redact_in
from .sitefetch import SiteRead, discovers, page_job, read_site
from .store import PageJSON, Store, content_hash
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
    page_errors: list[str] = field(default_factory=list)  # followed pages that failed ("URL: why"), the check did not


# A hook the delivery outbox uses to add its rows inside the check's own transaction.
OutboxHook = Callable[[Store, Source, list[int]], None]


def process(store: Store, source: Source, source_id: int, result: FetchResult | SiteRead, *,
            today: dt.date | None = None, outbox: OutboxHook | None = None,
            page: Page | BaseException | None = None, row: dict | None = None) -> CheckResult:
    """Turn one check into stored state, in a single transaction: a site read (``sitefetch.read_site``), or
    a homepage fetched alone (``page``: its extraction, made beforehand; made here when missing).
    ``row``: the source's ``Store.check_state`` as read before this check's fetch, else read here."""
    if isinstance(result, SiteRead):
        site = result
    else:
        site = SiteRead(home=result, home_state=store.site_state(source_id)[0], home_page=page)
    result = site.home
    started = dt.datetime.fromtimestamp(result.started_at or time.time(), dt.timezone.utc).isoformat(timespec="seconds")
    fetched = [result] + [r.result for r in site.pages if r.result is not None]
    base = dict(started_at=started, duration=sum(f.duration for f in fetched), status=result.status,
                size=sum(f.bytes for f in fetched), attempts=sum(f.attempts for f in fetched))
    out = CheckResult(source=source.name, outcome="failed", status=result.status, duration=base["duration"])
    if not result.ok:
        out.error = result.error or "no content"
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row=row)
        return out

    home_state = site.home_state
    home_hash = content_hash(result.body) if result.body is not None else home_state.content_hash
    home_page = site.home_page
    if home_page is None and result.body is not None and home_hash != home_state.content_hash:
        try:
            home_page = run_job(page_job(source, result, today))
        except Exception as exc:  # an extractor bug must not lose the check or stop the run
            home_page = exc
    if isinstance(home_page, BaseException):
        why = str(home_page) if isinstance(home_page, ExtractError) else f"{type(home_page).__name__}: {home_page}"
        out.error = f"extraction failed: {why}"
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row=row)
        return out
    fresh_home = home_page
    reads = sorted((r for r in site.pages if held_page(r) is not None), key=lambda r: r.key)
    digest = site_hash([(home_state.url, home_hash or "")] + [(r.key, r.content_hash or "") for r in reads])
    # a failure that matters: a page whose last good copy now stands in, or one sources.yaml lists (a link
    # that never worked is only shown by `monitor check`: it is tried again at each check, quietly)
    out.page_errors = [f"{r.key}: {r.error}" + ("; its last good copy is used" if held_page(r) is not None else "")
                       for r in site.pages if r.error and (held_page(r) is not None or r.role == "listed")]

    row = row or store.check_state(source_id)  # the source's row and its newest snapshot's, in one query
    info = None if row["snapshot_id"] is None else {
        k: row[f"snapshot_{k}"] for k in ("id", "state", "content_type", "papers", "news")}
    if info is not None and digest == row["content_hash"]:
        with store.transaction():
            unread = result.not_modified and all(r.not_modified for r in site.pages if held_page(r) is not None)
            out.outcome = "not_modified" if unread else "unchanged"
            if info["state"] == "suspect":
                out.outcome, out.events, out.event_ids = "confirmed", *_confirm(
                    store, source_id, store.snapshot(info["id"]), started)
            _save_site(store, source, source_id, site, home_hash, fresh_home, started, out)
            _finish(store, source, source_id, out, base, info["id"], outbox, row=row,
                    validators=_validators(result, digest))
        out.papers, out.news = info["papers"], info["news"]
        return out

    if home_page is None:
        home_page = store.home_page(source_id)
    if home_page is None:  # validators without anything read from them: forget them, so the next check reads all
        out.error = "nothing stored for an unchanged homepage (it is read whole at the next check)"
        with store.transaction():
            store.set_validators(source_id, etag=None, last_modified=None, body_hash=None)
            _finish(store, source, source_id, out, base, None, outbox, row=row)
        return out
    merged = merge_pages([(home_state.url, home_page)] + [(r.key, r.page) for r in reads if r.page]) if reads else None
    page = merged.page if merged else home_page
    out.papers, out.news = len(page.publications), len(page.news)
    baseline = None if info is None else store.latest_snapshot(source_id, accepted_only=True)  # (None: none at all)
    outage = is_outage(baseline.page if baseline else None, page)
    if outage:  # not the source's page: nothing stored but the failed check; validators kept, so it is read again
        out.error = outage
        with store.transaction():
            _finish(store, source, source_id, out, base, None, outbox, row=row)
        return out
    reason = is_suspect(baseline.page if baseline else None, page)
    if baseline is not None and not reason:
        reason = _held_back(source, site, page)
    bulk_loss = False
    # the snapshot keeps the homepage's raw body (its own, when it answered 304 and another page changed)
    body = result.body if result.body is not None else store.snapshot_body(info["id"]) if info else b""
    content_type = result.content_type if result.body is not None else info["content_type"] if info else None
    with store.transaction():
        if reason and info is not None and info["state"] == "suspect" \
                and _same_items(store.snapshot(info["id"]).page, page):
            reason, bulk_loss = None, True  # the second check in a row that sees the same thing: believe it
        state = "suspect" if reason else "accepted"
        encoded = PageJSON.of(page)
        snapshot_id = store.insert_snapshot(source_id, body=body, page=page, state=state, reason=reason,
                                            content_type=content_type, taken_at=started, digest=digest,
                                            encoded=encoded)
        if state == "accepted":
            if baseline is not None:
                out.events = _new_events(store, source_id, baseline.page, page)
                if merged is not None:
                    out.events = _not_first_reads(out.events, merged, {r.key for r in reads if r.first_read})
                out.outcome = "changed"
            else:
                out.outcome = "new"
            store.update_items(source_id, page, started, snapshot_id=snapshot_id, bulk_loss=bulk_loss, encoded=encoded,
                               first=info is None)
            out.event_ids = store.insert_events(source_id, snapshot_id, out.events, started)
        else:
            out.outcome, out.error = "suspect", reason
        _save_site(store, source, source_id, site, home_hash, fresh_home, started, out)
        _finish(store, source, source_id, out, base, snapshot_id, outbox, row=row,
                validators=_validators(result, digest))
    return out


def _validators(result: FetchResult, digest: str) -> dict[str, str | None]:
    """What the source's row keeps of a check that was read: the homepage's validators and the site's hash."""
    return {"etag": result.etag, "last_modified": result.last_modified, "body_hash": digest}


def _held_back(source: Source, site: SiteRead, page: Page) -> str | None:
    """Why the site's new page waits for a second look: a page that is no longer read (its link left the
    homepage, or robots.txt now forbids it) took items with it that no other page lists. A broken menu
    comes back; a page really gone is seen gone again at the next check, and its items are then removed."""
    leaving = [(s, "no longer linked from the homepage") for s in site.gone
               if s.role == "linked" and held_page(s) is not None and discovers(source)]
    leaving += [(r.state, r.skipped or "") for r in site.pages if r.skipped and held_page(r.state) is not None]
    present = item_keys(page)
    lost = {k for s, _ in leaving if s.page is not None for k in item_keys(s.page) - present}
    if not lost:
        return None
    pages = ", ".join(f"{s.url} ({why})" for s, why in leaving)
    return f"{len(lost)} item{'s' if len(lost) != 1 else ''} only on {pages}: held for one check"


_ITEM_KINDS = {"paper_added": "paper", "paper_updated": "paper", "news_added": "news", "announcement": "announcement"}


def _not_first_reads(events: list[Event], merged: Merged, first: set[str]) -> list[Event]:
    """Without what a page read for the first time brings: its items were there before the monitor saw
    them (a newly followed page, one that works at last), like a source's first snapshot."""
    if not first:
        return events
    out = []
    for e in events:
        kind = _ITEM_KINDS.get(e.type)
        origin = merged.origins.get((kind, e.key)) if kind else None
        if origin is not None and (origin.chosen in first if e.type == "paper_updated" else origin.pages <= first):
            continue
        out.append(e)
    return out


def _save_site(store: Store, source: Source, source_id: int, site: SiteRead, home_hash: str | None,
               home_page: Page | None, started: str, out: CheckResult) -> None:
    """Each page's validators, last good extraction and health, inside the check's transaction; a followed
    page that keeps failing becomes ``source_failing`` (naming the page), and its return ``source_recovered``."""
    home = site.home_state
    # The homepage's own extraction is kept only beside other pages' (for the next merge): read alone, it
    # is the snapshot's page, which ``Store.home_page`` falls back to; a copy would double the database.
    alone = home_page is not None and not any(held_page(r) is not None for r in site.pages)
    store.save_page(source_id, PageState(url=home.url, role="home", content_hash=home_hash, links=site.links,
                                         status=site.home.status, checked_at=started, last_success_at=started),
                    page=None if alone else home_page, drop_page=alone)
    kept: list[str] = []
    for r in site.pages:
        if r.resting:  # a link never read well, not tried this time: its row stays as it was
            kept.append(r.key)
            continue
        copy = held_page(r)  # (as it is held: an unchanged page's stored copy is not decoded for this)
        if r.skipped or (copy is None and r.role != "linked"):  # not read, or a listed page never read well
            continue
        st = r.state
        if copy is None:  # a link never read well: its failures are kept, so that it rests between tries
            kept.append(r.key)
            store.save_page(source_id, PageState(
                url=r.key, role=r.role, why=r.why, status=r.result.status if r.result else None, error=r.error,
                checked_at=started, failing_since=st.failing_since or started, failures=st.failures + 1))
            continue
        kept.append(r.key)
        health, event = after_check(Health(last_success_at=st.last_success_at, failing_since=st.failing_since,
                                           failures=st.failures, alerted=st.failing_alerted),
                                    failed=r.error is not None, at=started, error=r.error,
                                    threshold=source.failing_after)
        ok = r.error is None and r.result is not None
        store.save_page(source_id, PageState(
            url=r.key, role=r.role, why=r.why, etag=r.result.etag if ok and r.result else st.etag,
            last_modified=r.result.last_modified if ok and r.result else st.last_modified,
            content_hash=r.content_hash, status=r.result.status if r.result else None, error=r.error,
            checked_at=started, last_success_at=health.last_success_at, failing_since=health.failing_since,
            failures=health.failures, failing_alerted=health.alerted), page=r.page if r.fresh else None)
        if event is not None:
            event.key = f"page:{r.key}"
            event.text = f"page {r.key} ({r.why}): {event.text}" + (
                "; its last good copy is used meanwhile" if event.type == "source_failing" else "")
            out.events = out.events + [event]
            out.event_ids = out.event_ids + store.insert_events(source_id, None, [event], started)
    if site.gone or len(kept) < len(site.pages):  # else every stored page is still kept: nothing to forget
        store.keep_pages(source_id, home.url, kept)


def _finish(store: Store, source: Source, source_id: int, out: CheckResult, base: dict, snapshot_id: int | None,
            outbox: OutboxHook | None, *, row: dict | None = None,
            validators: dict[str, str | None] | None = None) -> None:
    """The end of every check: its health (maybe a source_failing / source_recovered event), its row
    (with ``validators`` when it was read), and the outbox for all of its events, inside the check's
    transaction. ``row``: the source's row as this check read it (``Store.check_state``), else read here."""
    # An error can quote the server or the address: cleaned (``safe``) and with the URL redacted.
    out.error = clean_text(redact_in(out.error, source.url))
    row = row or store.health(source_id)
    before = Health(last_success_at=row["last_success_at"], failing_since=row["failing_since"],
                    failures=row["failures"], alerted=bool(row["failing_alerted"]))
    health, event = after_check(before, failed=out.outcome == "failed", at=base["started_at"], error=out.error,
                                threshold=source.failing_after)
    if event is not None:
        out.events = out.events + [event]
        out.event_ids = out.event_ids + store.insert_events(source_id, None, [event], base["started_at"])
    recorded = out.error or clean_text("; ".join(out.page_errors)) or None  # a page that failed, the check did not
    store.record_check(source_id, outcome=out.outcome, error=recorded, snapshot_id=snapshot_id,
                       events=len(out.events), validators=validators,
                       health={"last_success_at": health.last_success_at, "failing_since": health.failing_since,
                               "failures": health.failures, "failing_alerted": health.alerted}, **base)
    if outbox and out.event_ids:
        outbox(store, source, out.event_ids)


def _new_events(store: Store, source_id: int, baseline: Page, page: Page) -> list[Event]:
    """The changes from the last accepted page, without the items that are only coming back."""
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
# A one-pass run commits its checks together (``Store.batch``): this many at most, once they stored this
# many bytes of snapshots, or every so many seconds, whichever comes first; so a crash costs at most that
# much work, done again next time. Checks that find nothing new are committed 256 at a time (a commit was
# most of such a check's cost); checks that store new pages (17 KB of snapshot each on the bench pages)
# some 60 at a time: a first run of 1,000 bench pages took 1.38 to 1.43 s of the run's CPU instead of
# 1.42 to 1.44 s and 2.56 to 2.63 s instead of 2.62 to 2.68 (five pairs), its last commit, which waits
# for the last page, a quarter the size.
BATCH_CHECKS = 256
BATCH_BYTES = 1 << 20
BATCH_SECONDS = 2.0


async def check_sources(config: Config, store: Store, sources: list[Source] | None = None, *,
                        today: dt.date | None = None, outbox: OutboxHook | None = None,
                        on_result: Callable[[CheckResult], Awaitable[None] | None] | None = None,
                        fetcher: Fetcher | None = None, ids: dict[str, int] | None = None,
                        pool: ExtractionPool | None = None, spacing: float = 0.0,
                        batch: bool = False) -> list[CheckResult]:
    """Check the given sources (all by default) concurrently; results come back in source order.

    ``spacing``: seconds between two requests of one source's site (the daemon's politeness).

    ``ids`` (name -> source id) lets a caller that already synced the sources table skip doing it again.
    Extraction runs in ``pool`` (the process's shared worker pool by default), never on the event loop.
    ``batch``: commit the checks together (``Store.batch``), for a caller that delivers nothing before
    this returns (``monitor run``); each check stays whole.
    """
    sources = list(config.sources if sources is None else sources)
    ids = ids if ids is not None else store.sync_sources(config.sources)
    own = fetcher is None
    pool = pool or shared_pool()
    new = store.never_checked().intersection(ids[s.name] for s in sources)
    pool.warm(len(new))  # a first check always extracts: its workers start while the first pages are fetched
    fetcher = fetcher or Fetcher(user_agent=user_agent(config.user_agent_contact), concurrency=config.concurrency,
                                 per_host=config.per_host, timeout=config.timeout, max_bytes=config.max_bytes,
                                 decode=False)  # bodies are decoded in the extraction worker
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
        row = store.check_state(sid)  # read once for the fetch (validators) and for storing what it found
        home, known = store.site_state(sid, row)
        t0 = time.monotonic()

        async def extract(job: Job) -> Page:  # never on the event loop: in the pool, within the budget
            return await pool.extract(job, config.extraction_timeout)

        site = await read_site(source, fetcher, extract, home, known, today=today, spacing=spacing)
        res = process(store, source, sid, site, today=today, outbox=outbox, row=row)
        res.duration = max(res.duration, time.monotonic() - t0)
        results[source.name] = res
        if on_result is not None:
            maybe = on_result(res)
            if asyncio.iscoroutine(maybe):
                await maybe

    with store.batch(checks=BATCH_CHECKS, seconds=BATCH_SECONDS, max_bytes=BATCH_BYTES) if batch else contextlib.nullcontext():
        if own:
            async with fetcher:
                await asyncio.gather(*(runner() for _ in range(runners)))
        else:
            await asyncio.gather(*(runner() for _ in range(runners)))
    return [results[s.name] for s in sources]
