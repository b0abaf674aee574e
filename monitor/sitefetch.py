"""Reading a source's site: its homepage, then the pages it leads to, each fetched with its own validators.

The homepage is fetched as always (conditional request, robots.txt, size cap, charset). When it
changed it is extracted in the worker pool, which also finds its links to the site's publication and
news pages (``site.discover``); when it did not, the links found last time are followed again. Those
pages, or the ones ``pages:`` lists, are then fetched one after the other (``spacing`` seconds apart:
the daemon's politeness), each with its own ETag and Last-Modified, so an unchanged site costs one
304 per page, and only a page whose body changed is extracted.

A page that fails (an HTTP error, a timeout, an error page served with 200, a redirect off the site, a
PDF) keeps its last good extraction for the merge: a broken publications page never reads as every
paper removed. A page robots.txt forbids is not read at all. A linked page that has never been read
well (a menu entry to a page that 404s) rests between tries: it is fetched again when the homepage
changes, or else ``NEVER_READ_RETRY`` after its last try, doubling with each failure up to
``NEVER_READ_RETRY_MAX``, so a dead link does not cost a request at every check. Nothing here touches
the database: the caller passes what was known (``PageState``) and stores what comes back
(``pipeline.process``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable
from urllib.parse import urljoin, urlsplit, urlunsplit

from .diff import is_outage
from .errors import ConfigError, ExtractError
from .fetch import Fetcher, FetchResult
from .models import KeptPage, Page, PageState, SiteLink, Source, held_page
from .safe import redact_url, safe_url
from .site import is_web, page_type_ok, refusal, same_origin
from .sources import source_headers
from .store import content_hash
from .worker import Job

Extractor = Callable[[Job], Awaitable[Page]]

LISTED_WHY = "listed under pages:"
NEVER_READ_RETRY = dt.timedelta(days=1)  # a linked page never read well is tried again after this,
NEVER_READ_RETRY_MAX = dt.timedelta(days=7)  # doubled with each failed try, up to this


def page_job(source: Source, result: FetchResult, today: dt.date | None, *, discover: bool = False,
             explain: bool = False) -> Job:
    """The extraction of one fetched page of ``source`` (its format and selectors apply to all its pages)."""
    assert result.body is not None  # the bytes as fetched: the worker decodes them (``worker_process``)
    return Job(body=result.body, charset=result.charset, format=source.format, content_type=result.content_type,
               url=result.final_url or result.url or source.url, today=today, selectors=source.selectors or None,
               discover=discover, explain=explain)


def discovers(source: Source) -> bool:
    """Whether the homepage's links are followed: ``follow: auto``, no ``pages:`` list, a web address."""
    return source.follow == "auto" and not source.pages and is_web(source.url)


def page_key(url: str) -> str:
    """How a page is known between checks: its address as it may be stored (``safe.redact_url``)."""
    return redact_url(url)


def retry_at(state: PageState) -> dt.datetime | None:
    """When a linked page that has never been read well is due again (None: not resting, read it now)."""
    if state.role != "linked" or held_page(state) is not None or not state.failures or not state.checked_at:
        return None
    wait = min(NEVER_READ_RETRY * 2 ** min(state.failures - 1, 16), NEVER_READ_RETRY_MAX)
    return dt.datetime.fromisoformat(state.checked_at) + wait


def resolve_links(page: Page, base: str) -> Page:
    """The page with its items' relative links resolved against its address (reports resolve what stays
    relative against the homepage, which is not where a followed page's links point from)."""
    if not is_web(base):
        return page

    def absolute(link: str) -> str:
        return link if safe_url(link) else urljoin(base, link)

    page.publications = [replace(p, links={k: absolute(v) for k, v in p.links.items()}) for p in page.publications]
    page.news = [replace(n, links=[absolute(x) for x in n.links]) for n in page.news]
    return page


@dataclass
class PageRead:
    """One followed or listed page in one check, and what it gives the merge."""

    url: str  # as followed or listed (a listed address may hold credentials: shown through ``key``)
    role: str  # linked | listed
    why: str
    state: PageState  # what was known of it before this check (an empty state for a page never read)
    kind: str | None = None  # linked: what the link names (publications | news)
    result: FetchResult | None = None
    page: KeptPage = KeptPage()  # for the merge: fresh, unchanged, or the last good copy when it failed
    content_hash: str | None = None
    fresh: bool = False  # extracted from a new body in this check
    error: str | None = None  # why it failed; its last good copy, if any, stands in
    skipped: str | None = None  # why it was not read at all (robots.txt)
    resting: dt.datetime | None = None  # never read well and not due: not fetched in this check (``retry_at``)

    @property
    def key(self) -> str:
        return page_key(self.url)

    @property
    def first_read(self) -> bool:
        """Read well for the first time: what it lists was there before the monitor saw it, not news."""
        return self.fresh and held_page(self.state) is None

    @property
    def not_modified(self) -> bool:
        return self.result is not None and self.result.not_modified and self.error is None


@dataclass
class SiteRead:
    """A source's pages in one check: the homepage's fetch and extraction, then the other pages."""

    home: FetchResult
    home_state: PageState
    home_page: Page | BaseException | None = None  # extracted in this check (None: unchanged, not read)
    links: list[SiteLink] | None = None  # the links followed from the homepage (None: not following)
    pages: list[PageRead] = field(default_factory=list)
    gone: list[PageState] = field(default_factory=list)  # pages read before that are not read any more


def _with_credentials(url: str, source_url: str) -> str:
    """``url`` with the user and password of the source's address (same origin only, checked by the caller)."""
    src = urlsplit(source_url)
    if not src.username and not src.password:
        return url
    parts = urlsplit(url)
    userinfo = src.netloc.rsplit("@", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{parts.netloc.rsplit('@', 1)[-1]}"))


async def read_site(source: Source, fetcher: Fetcher, extract: Extractor, home: PageState,
                    known: dict[str, PageState], *, today: dt.date | None = None, spacing: float = 0.0,
                    explain: bool = False, now: dt.datetime | None = None) -> SiteRead:
    """Fetch and extract the homepage, then its followed (or listed) pages; per-page problems are recorded
    in the result, never raised. ``known``: the other pages' states by ``page_key``; ``now``: the check's
    time, for the linked pages that rest (``retry_at``)."""
    try:
        headers = source_headers(source)
    except ConfigError as exc:  # a headers_env variable is not set: this source's check fails, clearly
        return SiteRead(home=FetchResult(url=redact_url(source.url), error=str(exc)), home_state=home)
    follow = discovers(source)
    look = follow and home.links is None  # links never looked for on this version: read it whole
    result = await fetcher.fetch(source.url, etag=None if look else home.etag,
                                 last_modified=None if look else home.last_modified, headers=headers)
    site = SiteRead(home=result, home_state=home)
    if not result.ok:
        return site
    changed = result.body is not None and (look or content_hash(result.body) != home.content_hash)
    if changed:
        try:
            page = await extract(page_job(source, result, today, discover=follow, explain=explain))
        except ExtractError as exc:
            site.home_page = exc
            return site
        site.home_page = page
        site.links = (page.follow or []) if follow else None
    elif follow:
        site.links = list(home.links or [])
    if source.pages:
        targets = [(url, "listed", LISTED_WHY, None) for url in source.pages]
    else:
        targets = [(link.url, "linked", link.why, link.kind) for link in site.links or []]
    home_url = result.final_url or source.url
    now = now or dt.datetime.now(dt.timezone.utc)
    for url, role, why, kind in targets:
        state = known.get(page_key(url)) or PageState(url=page_key(url), role=role, why=why)
        read = PageRead(url=url, role=role, why=why, state=state, kind=kind)
        due = None if changed else retry_at(state)  # a homepage that changed may have made the page at last
        if due is not None and now < due:
            read.resting = due
            site.pages.append(read)
            continue
        if spacing > 0:
            await asyncio.sleep(spacing)
        await _read_page(read, source, home_url, fetcher, extract, headers, today, explain)
        site.pages.append(read)
    wanted = {page_key(url) for url, *_ in targets}
    site.gone = [s for key, s in known.items() if key not in wanted]
    return site


async def _read_page(read: PageRead, source: Source, home_url: str, fetcher: Fetcher, extract: Extractor,
                     headers: dict[str, str], today: dt.date | None, explain: bool) -> None:
    state = read.state
    own = same_origin(read.url, source.url)  # the source's credentials and headers go to its own origin only
    has_copy = held_page(state) is not None
    # (sources of one site often link the same page, a lab's publications: it is asked for once in a run)
    result = await fetcher.fetch_shared(_with_credentials(read.url, source.url) if own else read.url,
                                        etag=state.etag if has_copy else None,
                                        last_modified=state.last_modified if has_copy else None,
                                        headers=headers if own else None)
    read.result = result
    if result.disallowed:
        read.skipped = result.error
        return
    problem = result.error or _not_a_page(read, result, home_url)
    if problem is None and (result.not_modified or content_hash(result.body or b"") == state.content_hash):
        if has_copy:
            read.page, read.content_hash = held_page(state), state.content_hash  # passed on as it is held
            return
        problem = "answered 304 Not Modified to a plain request"
    if problem is None:
        try:
            page = await extract(page_job(source, result, today, explain=explain))
        except ExtractError as exc:
            problem = f"extraction failed: {exc}"
        else:
            problem = is_outage(state.page, page)
            if problem is None:
                assert result.body is not None
                read.page = resolve_links(page, result.final_url or read.url)
                read.content_hash, read.fresh = content_hash(result.body), True
                return
    read.error = problem
    read.page, read.content_hash = held_page(state), state.content_hash


def _not_a_page(read: PageRead, result: FetchResult, home_url: str) -> str | None:
    """Why a fetched answer is not a page to read with the homepage (None when it is)."""
    if not page_type_ok(result.content_type):
        return f"not an HTML, Markdown or text page ({result.content_type})"
    final = result.final_url or read.url
    if read.role == "linked" and final != read.url and is_web(final):
        why = refusal(home_url, final)
        if why is not None:
            return f"redirected to {redact_url(final)} ({why})"
    return None
