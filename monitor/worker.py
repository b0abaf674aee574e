"""Extraction in worker processes: a page can neither block the event loop nor run past its budget.

Extraction is CPU-bound (lexbor and pure Python). On the event loop one slow page would stall every
other check and the daemon's SIGTERM; in a thread it could not be stopped. So each page is read in a
worker process, one page at a time per worker (with the next ones already waiting in its pipe), and a
worker that runs past the time budget is killed (the check fails with that reason, the page waiting
behind it goes to another worker) and replaced when the next page needs one.

Workers are started on first use and kept for the life of the process (the daemon, a test session),
so a run pays the start-up once. A worker is ``python -P -m monitor.worker_process`` talking over its stdin and
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
import contextlib
import os
import subprocess
import sys
from multiprocessing.connection import Connection
from typing import Any

from .errors import ExtractError
from .models import Page
from .worker_process import MEMO_LIMIT, Job, run_job

__all__ = ["DEFAULT_TIMEOUT", "ExtractionPool", "Job", "close_shared_pool", "run_job", "shared_pool"]

DEFAULT_TIMEOUT = 30.0  # seconds of extraction per page (defaults.extraction_timeout)
# A worker that holds more than this after a page is replaced (the next page starts a fresh one). The
# extractor's memo caches fill with every new line, but a worker empties them itself past its memo limit
# (``worker_process.MEMO_LIMIT``, lower), so this is for growth of any other kind: a worker reading 5,000
# different pages stays at 43 to 45 MiB and is never replaced (with no emptying it was replaced about every
# 400 pages, 18 times in a 10,000-source run). Two workers and the parent of such a run stay under 200 MB.
WORKER_RSS_LIMIT = 52 * 1024 * 1024
JOB_PIPE_BYTES = 1024 * 1024  # a job pipe this big takes a whole page at once: sending one never blocks the loop
WORKER = "monitor.worker_process"  # the module a worker process runs (``python -P -m``): the extractor and nothing else


def _widen(fd: int) -> int:
    """Give a pipe room for a whole page (Linux; elsewhere, and past the system's cap, it stays as it is),
    and say how much room it has (0: unknown).

    With the default 64 KiB, sending a bigger page blocks the event loop until the worker has read it."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), JOB_PIPE_BYTES)
        return int(fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032)))
    except (ImportError, OSError, ValueError):
        return 0


def _job_size(job: Job) -> int:
    """At most how many bytes a job takes in a pipe: its page (text as UTF-8: up to 4 bytes a character
    unless it is ASCII), and 4 KiB for the rest."""
    text = job.text or ""
    return len(job.body or b"") + (len(text) if text.isascii() else 4 * len(text)) + 4096


class _Requeue(Exception):
    """A job sent to a worker that was lost before it started the job: it goes to another worker."""


class _Pending:
    """A job sent to a worker, waiting in its pipe or being read: its answer's future and its budget."""

    __slots__ = ("future", "timeout", "size")

    def __init__(self, future: asyncio.Future[tuple[str, Any]], timeout: float, size: int) -> None:
        self.future = future
        self.timeout = timeout
        self.size = size  # bytes it takes in the pipe, at most


class _Worker:
    def __init__(self, memo_limit: int = MEMO_LIMIT) -> None:
        # -P: the working directory stays off the worker's path, so a folder named "monitor" where the run was
        # started (a checkout, a project of the user's) is never imported in place of the installed package
        self.process = subprocess.Popen([sys.executable, "-P", "-m", WORKER, str(os.getpid()), str(memo_limit)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.room = _widen(self.process.stdin.fileno())  # the job pipe's size
        self.jobs = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.answers = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.queue: collections.deque[_Pending] = collections.deque()  # sent, in order; the first is being read
        self.clock: asyncio.TimerHandle | None = None  # the budget of the job being read
        self.loop: asyncio.AbstractEventLoop | None = None  # watching its answers while it has jobs
        self.retiring = False  # grew past the limit: takes no new job, goes when its queue is done

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
    """Up to ``size`` workers, each given up to ``DEPTH`` pages at once: the one it reads and the next
    ones, waiting in its pipe, so it starts the next the moment it answers instead of idling until the
    event loop, busy storing other checks, sends it more (a quarter of a worker's time in a first run
    with none waiting). Each page gets ``timeout`` seconds from when its worker starts it."""

    # A worker's jobs at once: only as many as its pipe takes, so sending never blocks the loop. With one
    # waiting, a worker still waited about 1 ms a page for the next (the loop storing a dozen checks, or
    # committing a batch, 20 ms, between two of its turns); with two, the cores idled a third less. With
    # seven waiting, what a worker holds outlasts such a stall (seven pages of a few ms): in a first run
    # of 1,000 pages each worker waited 0.02 to 0.05 s in all instead of 0.21 to 0.26 s, and the machine
    # idled 0.26 to 0.32 CPU seconds instead of 0.43 to 0.48.
    DEPTH = 8

    def __init__(self, size: int | None = None, rss_limit: int = WORKER_RSS_LIMIT,
                 memo_limit: int = MEMO_LIMIT) -> None:
        self.size = max(1, size or os.cpu_count() or 1)
        self.rss_limit = rss_limit
        self.memo_limit = memo_limit  # a worker empties its memo caches past this (``worker_process.Memo``)
        self.recycled = 0  # workers replaced for their size
        self.pid = os.getpid()
        self._idle: list[_Worker] = []  # no job
        self._busy: set[_Worker] = set()  # reading a job, maybe with the next one waiting
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def warm(self, count: int) -> None:
        """Start up to ``count`` workers now (at most ``size``), idle until pages come: a worker takes 30 to
        80 ms of CPU to start (with and without its pattern file), and started here, while the caller's
        first fetches are under way, it is ready when their pages are. A worker that cannot start is left
        to the first page that needs one to report."""
        while len(self._idle) + len(self._busy) < min(count, self.size):
            try:
                self._idle.append(_Worker(self.memo_limit))
            except OSError:
                return

    async def extract(self, job: Job, timeout: float = DEFAULT_TIMEOUT) -> Page:
        """The page, or ExtractError with a one-line reason (budget exceeded, refused, worker died)."""
        loop = asyncio.get_running_loop()
        nbytes = _job_size(job)
        while True:
            worker = await self._acquire(nbytes)
            pending = _Pending(loop.create_future(), timeout, nbytes)
            try:
                worker.jobs.send(job)
            except OSError:
                reason = worker.died()
                self._lose(worker)
                raise ExtractError(reason) from None
            worker.queue.append(pending)
            if len(worker.queue) == 1:
                self._watch(worker, loop)
            try:
                kind, value = await pending.future
            except _Requeue:  # its worker was lost to the job before it: another one reads it
                continue
            except asyncio.CancelledError:
                if pending in worker.queue:  # its answer would be taken for the next job's: the worker goes
                    self._lose(worker, pending, "extraction cancelled")
                raise
            if kind != "ok":
                raise ExtractError(value)
            return value  # type: ignore[no-any-return]

    def _watch(self, worker: _Worker, loop: asyncio.AbstractEventLoop) -> None:
        """A worker given its first job: read its answers as they come, and start that job's clock."""
        worker.loop = loop
        loop.add_reader(worker.answers.fileno(), self._answered, worker)
        self._start_clock(worker)

    def _start_clock(self, worker: _Worker) -> None:
        assert worker.loop is not None
        worker.clock = worker.loop.call_later(worker.queue[0].timeout, self._overdue, worker)

    def _unwatch(self, worker: _Worker) -> None:
        if worker.clock is not None:
            worker.clock.cancel()
            worker.clock = None
        if worker.loop is not None:
            if not worker.loop.is_closed():
                worker.loop.remove_reader(worker.answers.fileno())
            worker.loop = None

    def _answered(self, worker: _Worker) -> None:
        """A worker's answer to the first of its jobs: to that job's future; the next job's clock starts."""
        fd = worker.answers.fileno()
        try:
            os.set_blocking(fd, True)  # uvloop makes a watched fd non-blocking; recv reads a whole message
            kind, value, rss = worker.answers.recv()
            if kind == "ok":
                value = Page.from_wire(value)
        except (EOFError, OSError):
            self._lose(worker, worker.queue[0], worker.died())
            return
        except Exception as exc:  # an answer that cannot be read: that page fails, the worker goes
            self._lose(worker, worker.queue[0], f"unreadable answer from the extraction worker: {exc}")
            return
        assert worker.clock is not None
        worker.clock.cancel()
        pending = worker.queue.popleft()
        if not pending.future.done():
            pending.future.set_result((kind, value))
        if rss > self.rss_limit and not worker.retiring:
            worker.retiring = True  # a worker that grew too big reads what it was given, then is replaced
            self.recycled += 1
        if worker.queue:
            self._start_clock(worker)
        else:
            self._unwatch(worker)
            self._busy.discard(worker)
            if worker.retiring:
                worker.kill()
            else:
                self._idle.append(worker)
        self._wake()  # room for one more job, on this worker or a new one

    def _overdue(self, worker: _Worker) -> None:
        head = worker.queue[0]
        self._lose(worker, head, f"extraction took longer than {head.timeout:g} s (the time budget)")

    def _lose(self, worker: _Worker, culprit: _Pending | None = None, reason: str = "") -> None:
        """Kill a worker: ``culprit``'s job fails with ``reason``; the others it held go to other workers."""
        self._unwatch(worker)
        worker.kill()
        self._busy.discard(worker)
        for pending in worker.queue:
            if not pending.future.done():
                pending.future.set_exception(ExtractError(reason) if pending is culprit else _Requeue())
        worker.queue.clear()
        self._wake()

    def _drop_stale(self, loop: asyncio.AbstractEventLoop) -> None:
        """Workers left holding jobs by an event loop that has ended (a run cut short): theirs are gone."""
        for worker in [w for w in self._busy if w.loop is not None and w.loop is not loop]:
            worker.queue.clear()  # futures of a closed loop: nobody waits for them any more
            self._lose(worker)

    async def _acquire(self, nbytes: int) -> _Worker:
        """An idle worker; else a new one, while there are fewer than ``size``; else a busy one whose pipe
        has room for the job (``nbytes``) behind what it holds; else wait for one of those."""
        self._drop_stale(asyncio.get_running_loop())
        while True:
            if self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    break
                worker.kill()
                continue
            if len(self._busy) < self.size:
                try:
                    worker = _Worker(self.memo_limit)
                except OSError as exc:
                    raise ExtractError(f"cannot start an extraction worker: {exc}") from None
                break
            roomy = [w for w in self._busy if len(w.queue) < self.DEPTH and not w.retiring
                     and sum(p.size for p in w.queue) + nbytes <= w.room]
            if roomy:
                return min(roomy, key=lambda w: len(w.queue))
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
            self._unwatch(worker)
            worker.kill()
            for pending in worker.queue:  # a page still waited for fails (its loop may be gone already)
                if not pending.future.done():
                    with contextlib.suppress(RuntimeError):
                        pending.future.set_exception(ExtractError("extraction stopped: the pool was closed"))
            worker.queue.clear()
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
