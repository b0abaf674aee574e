"""Extraction in worker processes: a page can neither block the event loop nor run past its budget.

Extraction is CPU-bound (lexbor and pure Python). On the event loop one slow page would stall every
other check and the daemon's SIGTERM; in a thread it could not be stopped. So each page is read in a
worker process, one page at a time per worker, and a worker that runs past the time budget is killed
(the check fails with that reason) and replaced when the next page needs one.

Workers are started on first use and kept for the life of the process (the daemon, a test session),
so a run pays the start-up once. A worker is ``python -m monitor.worker`` talking over its stdin and
stdout (a plain subprocess: it works from daemonic processes too, and imports only the extractor);
it ignores SIGINT and SIGTERM (the parent decides when it stops, and kills it at exit) and leaves on
its own when its stdin closes, or, in the middle of a page, as soon as its parent is gone (a ``kill -9``
leaves no one to close its stdin or enforce the budget).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from .errors import ExtractError
from .extract.dom import Limits
from .models import Page

DEFAULT_TIMEOUT = 30.0  # seconds of extraction per page (defaults.extraction_timeout)
PARENT_CHECK = 0.5  # seconds between a worker's looks at whether its parent is still there


@dataclass(frozen=True)
class Job:
    """Everything ``extract`` needs, so it can cross into a worker process."""

    text: str
    format: str = "auto"
    content_type: str | None = None
    url: str | None = None
    today: dt.date | None = None
    selectors: dict[str, str] | None = None
    limits: Limits = Limits()
    explain: bool = False
    discover: bool = False  # also find the links to the site's publication and news pages (``site.discover``)


def run_job(job: Job) -> Page:
    """The extraction itself (in the worker; also usable in-process), cleaned: page text is untrusted (``safe``)."""
    from .extract import extract
    from .safe import clean_page

    page = clean_page(extract(job.text, format=job.format, content_type=job.content_type, url=job.url,
                              today=job.today, selectors=job.selectors, limits=job.limits, explain=job.explain))
    if job.discover:  # here, beside the extraction: parsing the homepage again must not load the event loop
        from .site import discover

        page.follow = discover(job.text, fmt=job.format, url=job.url or "", content_type=job.content_type)
    return page


def _serve(jobs: Connection, answers: Connection) -> None:
    """A worker's loop: one job in, ("ok", page) or ("error", reason) out, until its input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            return
        try:
            answer: tuple[str, Any] = ("ok", run_job(job))
        except ExtractError as exc:
            answer = ("error", str(exc))
        except Exception as exc:  # an extractor bug: reported for this page, the worker stays usable
            answer = ("error", f"{type(exc).__name__}: {exc}")
        try:
            answers.send(answer)
        except (BrokenPipeError, OSError):
            return
        except Exception as exc:  # an unpicklable result must still answer
            answers.send(("error", f"result could not be returned: {type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "monitor.worker", str(os.getpid())],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.jobs = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        for conn in (self.jobs, self.answers):
            conn.close()
        if self.alive():
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def died(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "extraction worker stopped answering"
        return f"extraction worker died (exit code {code})"


class ExtractionPool:
    """Up to ``size`` workers; ``extract`` waits for a free one, then gives the page ``timeout`` seconds."""

    def __init__(self, size: int | None = None) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.pid = os.getpid()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def extract(self, job: Job, timeout: float = DEFAULT_TIMEOUT) -> Page:
        """The page, or ExtractError with a one-line reason (budget exceeded, refused, worker died)."""
        worker = await self._acquire()
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[None] = loop.create_future()
        fd = worker.answers.fileno()
        loop.add_reader(fd, lambda: answered.done() or answered.set_result(None))
        ok = False
        try:
            try:
                worker.jobs.send(job)
                await asyncio.wait_for(answered, timeout)
                kind, value = worker.answers.recv()
            except asyncio.TimeoutError:
                raise ExtractError(f"extraction took longer than {timeout:g} s (the time budget)") from None
            except (EOFError, OSError):
                raise ExtractError(worker.died()) from None
            ok = True
        finally:
            loop.remove_reader(fd)
            self._release(worker, keep=ok)
        if kind != "ok":
            raise ExtractError(value)
        return value

    async def _acquire(self) -> _Worker:
        while True:
            if self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    break
                worker.kill()
                continue
            if len(self._busy) < self.size:
                try:
                    worker = _Worker()
                except OSError as exc:
                    raise ExtractError(f"cannot start an extraction worker: {exc}") from None
                break
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                elif waiter.done() and not waiter.cancelled():
                    self._wake()  # woken and cancelled at once: the turn goes to the next in line
                raise
        self._busy.add(worker)
        return worker

    def _release(self, worker: _Worker, *, keep: bool) -> None:
        """Back to the idle list after a clean answer; killed after anything else (timeout, cancel, death)."""
        self._busy.discard(worker)
        if keep:
            self._idle.append(worker)
        else:
            worker.kill()
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    def close(self) -> None:
        """Kill every worker (idle ones and any still busy)."""
        if os.getpid() != self.pid:  # inherited through fork: those processes belong to the parent
            return
        for worker in self._idle + list(self._busy):
            worker.kill()
        self._idle.clear()
        self._busy.clear()


_pool: ExtractionPool | None = None


def shared_pool() -> ExtractionPool:
    """The process's pool (a fresh one in a forked child: the parent's workers are not its own)."""
    global _pool
    if _pool is None or _pool.pid != os.getpid():
        _pool = ExtractionPool()
    return _pool


def close_shared_pool() -> None:
    if _pool is not None:
        _pool.close()


atexit.register(close_shared_pool)


def _leave_with(parent: int) -> None:
    """Exit at once when the parent is gone (the worker is then someone else's child), whatever it is doing."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(0)


def main() -> None:
    """``python -m monitor.worker [PARENT_PID]``: serve jobs on stdin; stdout carries the answers only
    (prints go to stderr)."""
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    threading.Thread(target=_leave_with, args=(parent,), daemon=True, name="parent-watch").start()
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    _serve(Connection(os.dup(0), writable=False), answers)


if __name__ == "__main__":
    main()
