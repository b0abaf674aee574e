"""Reading one page without storing anything: for `monitor check`, and for `add` and `import`, which look
at a page before it joins the watch list.

The page goes through the same fetch and extraction as a real check (robots.txt, size cap, charset,
the extraction workers and their time budget), so what it shows is what the monitor will see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from .errors import ExtractError, FetchError
from .fetch import Fetcher
from .models import Page
from .safe import clean_text, redact_in, redact_url
from .worker import DEFAULT_TIMEOUT, ExtractionPool, Job, shared_pool


@dataclass
class Look:
    """What reading one page found: its extracted ``page``, or the one-line ``error`` why not."""

    url: str
    page: Page | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.page is not None and not self.page.error_page


async def read_page(fetcher: Fetcher, url: str, *, fmt: str = "auto", selectors: dict[str, str] | None = None,
                    headers: dict[str, str] | None = None, explain: bool = False,
                    timeout: float = DEFAULT_TIMEOUT, pool: ExtractionPool | None = None) -> Page:
    """Fetch and extract one page; FetchError or ExtractError with one line naming the (redacted) address."""
    result = await fetcher.fetch(url, headers=headers)
    if not result.ok or result.text is None:
        raise FetchError(f"{redact_url(url)}: {clean_text(redact_in(result.error, url)) or 'no content'}")
    job = Job(text=result.text, format=fmt, content_type=result.content_type, url=result.final_url or url,
              selectors=selectors or None, explain=explain)
    try:
        return await (pool or shared_pool()).extract(job, timeout)
    except ExtractError as exc:
        raise ExtractError(f"{redact_url(url)}: extraction failed: {clean_text(str(exc))}") from None


async def look_at(fetcher: Fetcher, url: str, fmt: str = "auto", timeout: float = DEFAULT_TIMEOUT) -> Look:
    """``read_page`` whose failure is an answer, not an exception (``import`` reads many pages at once)."""
    try:
        page = await read_page(fetcher, url, fmt=fmt, timeout=timeout)
    except (FetchError, ExtractError) as exc:
        return Look(url=url, error=str(exc))
    look = Look(url=url, page=page)
    if page.error_page:
        look.error = f"{redact_url(url)}: this looks like an error page ({clean_text(page.title)[:80] or 'no title'})"
    return look


async def look_at_all(fetcher: Fetcher, targets: list[tuple[str, str]], concurrency: int,
                      timeout: float = DEFAULT_TIMEOUT) -> list[Look]:
    """``look_at`` for every (url, format), at most ``concurrency`` at once; in the order given."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(url: str, fmt: str) -> Look:
        async with gate:
            return await look_at(fetcher, url, fmt, timeout)

    return list(await asyncio.gather(*(one(url, fmt) for url, fmt in targets)))
