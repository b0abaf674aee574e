"""One extraction job and the loop of the worker process that runs them (``python -m monitor.worker_process``).

The worker imports only what extraction needs (the extractor, ``safe``, ``decode``): not the command
line, the store, the HTTP stack or asyncio, so it starts in 30 to 80 ms (``regexcache``) at about 27 MB,
and it empties its memo caches past ``MEMO_LIMIT``, which keeps it near that size (``Memo``). It is
sent the page's bytes as fetched, with the declared charset, and decodes them itself, so the parent
never decodes a body (and never pays for an unchanged one); pickling bytes is a copy.
The parent side, the pool that starts, feeds and kills workers, is ``worker``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from . import regexcache
from .errors import ExtractError

ROLE = "worker"  # its file of compiled patterns (``regexcache``)
PARENT_CHECK = 0.5  # seconds between a worker's looks at whether its parent is still there
# Past this resident size a worker empties the extractor's memo caches (``extract.forget``), at most once
# every MEMO_PAGES pages (memory freed is reused, not given back, so the size stays near the limit); the
# pool replaces a worker only past its own, higher limit (``worker.WORKER_RSS_LIMIT``), which a worker
# that only filled its caches no longer reaches.
MEMO_LIMIT = 44 * 1024 * 1024
MEMO_PAGES = 50

if TYPE_CHECKING:
    from .extract.dom import Limits
    from .models import Page


@dataclass(frozen=True)
class Job:
    """Everything ``extract`` needs, so it can cross into a worker process: the page as ``text``, or as
    the fetched ``body`` bytes with the Content-Type ``charset`` (decoded in the worker)."""

    text: str | None = None
    format: str = "auto"
    content_type: str | None = None
    url: str | None = None
    today: dt.date | None = None
    selectors: dict[str, str] | None = None
    limits: Limits | None = None  # None: the extractor's defaults
    explain: bool = False
    discover: bool = False  # also find the links to the site's publication and news pages (``site.discover``)
    body: bytes | None = None
    charset: str | None = None

    def page_text(self) -> tuple[str, bool]:
        """The page's text, and whether it is ``body`` itself read as UTF-8 (``decode.decode_page``)."""
        if self.text is not None:
            return self.text, False
        if self.body is None:
            raise ExtractError("nothing to extract (no text and no body)")
        from .decode import decode_page

        text, _, exact = decode_page(self.body, self.charset, self.content_type)
        return text, exact


def run_job(job: Job) -> Page:
    """The extraction itself (in the worker; also usable in-process), cleaned: page text is untrusted (``safe``)."""
    from .extract import extract, markdown_to_html
    from .extract.dom import Limits, forget_document, offer_utf8
    from .safe import clean_page

    text, exact = job.page_text()
    if exact and job.body is not None:
        offer_utf8(text, job.body)  # lexbor reads the page's bytes, not the text encoded again
    try:
        page = extract(text, format=job.format, content_type=job.content_type, url=job.url, today=job.today,
                       selectors=job.selectors, limits=job.limits or Limits(), explain=job.explain)
        # what only the extractor reads (the paragraphs its announcement and profile readers went through) or
        # only ``--explain`` shows is not cleaned, pickled and sent back for nothing
        page.bio = []
        if not job.explain:
            page.explain = []
        page = clean_page(page)
        if job.discover:  # here, beside the extraction, on the same parse: never on the event loop
            from .site import discover

            page.follow = discover(text, fmt=job.format, url=job.url or "", content_type=job.content_type)
    finally:  # the page's parse was shared by extraction and discovery; kept longer, it only holds memory
        forget_document()
        markdown_to_html.cache_clear()
    return page


def resident_bytes() -> int:
    """This process's resident memory now (Linux ``/proc``), else its peak so far."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class Memo:
    """When a worker empties its memo caches: past ``limit`` resident bytes after a page, and not again
    within ``pages`` pages (the caches refill meanwhile, in memory the last emptying freed)."""

    def __init__(self, limit: int = MEMO_LIMIT, pages: int = MEMO_PAGES) -> None:
        self.limit, self.pages = limit, pages
        self.since = pages  # pages read since the caches were last emptied
        self.emptied = 0

    def after_page(self, rss: int) -> bool:
        """Count a page read; True when the caches are to be emptied now."""
        self.since += 1
        if rss <= self.limit or self.since < self.pages:
            return False
        self.since, self.emptied = 0, self.emptied + 1
        return True


def serve(jobs: Connection, answers: Connection, memo: Memo | None = None) -> None:
    """A worker's loop: one job in, ("ok", the page as ``Page.to_wire`` gives it, rss) or ("error", reason,
    rss) out, until its input closes; ``rss`` (its resident bytes after the job, and after emptying its memo
    caches when ``memo`` says so) lets the pool replace a worker that grew anyway."""
    from .extract import forget

    memo = memo or Memo()
    done = 0
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any, int] = ("ok", run_job(job).to_wire(), 0)
        except ExtractError as exc:
            answer = ("error", str(exc), 0)
        except Exception as exc:  # an extractor bug: reported for this page, the worker stays usable
            answer = ("error", f"{type(exc).__name__}: {exc}", 0)
        rss = resident_bytes()
        if memo.after_page(rss):
            forget()
            rss = resident_bytes()
        answer = (answer[0], answer[1], rss)
        try:
            answers.send(answer)
        except (BrokenPipeError, OSError):
            return
        except Exception as exc:  # an unpicklable result must still answer
            answers.send(("error", f"result could not be returned: {type(exc).__name__}: {exc}", answer[2]))
        done += 1
        if done >= 16 and not done & (done - 1):  # after 16, 32, 64... pages: what pages compiled (rarely any)
            regexcache.save(ROLE)


def _leave_with(parent: int) -> None:
    """Exit at once when the parent is gone (the worker is then someone else's child), whatever it is doing."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(0)


def main() -> None:
    """``python -m monitor.worker_process [PARENT_PID [MEMO_LIMIT]]``: serve jobs on stdin; stdout carries
    the answers only (prints go to stderr). ``MEMO_LIMIT``: bytes, see ``Memo``."""
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    memo = Memo(int(sys.argv[2])) if len(sys.argv) > 2 else Memo()
    threading.Thread(target=_leave_with, args=(parent,), daemon=True, name="parent-watch").start()
    regexcache.load(ROLE)  # before the extractor compiles its patterns
    import monitor.decode  # noqa: F401  (loaded before the first job, so no page's budget pays for it)
    import monitor.extract  # noqa: F401
    import monitor.safe  # noqa: F401
    from monitor.heap import settle

    settle()
    regexcache.save(ROLE)

    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    serve(Connection(os.dup(0), writable=False), answers, memo)


if __name__ == "__main__":
    main()
