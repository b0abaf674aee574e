"""Extraction in worker processes: a page can neither block the event loop nor run past its budget.

Extraction is CPU-bound (lexbor and pure Python). On the event loop one slow page would stall every
other check and the daemon's SIGTERM; in a thread it could not be stopped. So each page is read in a
worker process, one page at a time per worker, and a worker that runs past the time budget is killed
(the check fails with that reason) and replaced when the next page needs one.

Workers are started on first use and kept for the life of the process (the daemon, a test session),
so a run pays the start-up once. A worker is ``python -m monitor.worker_process`` talking over its stdin and
stdout (a plain subprocess: it works from daemonic processes too, and imports only the extractor);
it ignores SIGINT and SIGTERM (the parent decides when it stops, and kills it at exit) and leaves on
its own when its stdin closes, or, in the middle of a page, as soon as its parent is gone (a ``kill -9``
leaves no one to close its stdin or enforce the budget). It is sent the page's bytes and decodes them
itself (``worker_process``).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from .errors import ExtractError
from .worker_process import Job, run_job

if TYPE_CHECKING:
    from .models import Page

__all__ = ["DEFAULT_TIMEOUT", "ExtractionPool", "Job", "close_shared_pool", "run_job", "shared_pool"]

DEFAULT_TIMEOUT = 30.0  # seconds of extraction per page (defaults.extraction_timeout)
# A worker that holds more than this after a page is replaced (the next page starts a fresh one): the
# extractor's memo caches fill with every new title, so a long run would otherwise keep growing.
# 52 MiB: a worker reading 1,500 different pages is replaced 4 times (48 MiB: 6, 56 MiB: 3, 64 MiB: once;
# none: it reaches 83 MiB); two of them and the parent of a 10,000-source run stay under 200 MB.
WORKER_RSS_LIMIT = 52 * 1024 * 1024
JOB_PIPE_BYTES = 1024 * 1024  # a job pipe this big takes a whole page at once: sending one never blocks the loop
WORKER = "monitor.worker_process"  # the module a worker process runs (``python -m``): the extractor and nothing else


def _widen(fd: int) -> None:
    """Give a pipe room for a whole page (Linux; elsewhere, and past the system's cap, it stays as it is).

    With the default 64 KiB, sending a bigger page blocks the event loop until the worker has read it."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), JOB_PIPE_BYTES)
    except (ImportError, OSError):
        pass


class _Worker:
    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", WORKER, str(os.getpid())], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        _widen(self.process.stdin.fileno())
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

    def __init__(self, size: int | None = None, rss_limit: int = WORKER_RSS_LIMIT) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.rss_limit = rss_limit
        self.recycled = 0  # workers replaced for their size
        self.pid = os.getpid()
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def warm(self, count: int) -> None:
        """Start up to ``count`` workers now (at most ``size``), idle until pages come: a worker takes about
        0.15 s of CPU to start, and started here, while the caller's first fetches are under way, it is ready
        when their pages are. A worker that cannot start is left to the first page that needs one to report."""
        while len(self._idle) + len(self._busy) < min(count, self.size):
            try:
                self._idle.append(_Worker())
            except OSError:
                return

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
                os.set_blocking(fd, True)  # uvloop makes a watched fd non-blocking; recv reads a whole message
                kind, value, rss = worker.answers.recv()
            except asyncio.TimeoutError:
                raise ExtractError(f"extraction took longer than {timeout:g} s (the time budget)") from None
            except (EOFError, OSError):
                raise ExtractError(worker.died()) from None
            ok = rss <= self.rss_limit  # a clean answer; a worker that grew too big is replaced all the same
            self.recycled += not ok
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
