"""One writer at a time: `run --once` and the daemon hold an exclusive lock beside the database.

Two writers on one database would check the same pages twice, announce the same change twice and
race on the outbox. So each takes ``<db>.lock`` (``flock``, released by the kernel when the process
ends, however it ends) and writes who it is into it. A second writer waits a moment
(``MONITOR_LOCK_WAIT`` seconds, default 5) for the first to finish, then stops with one line naming
the holder. Readers (diff, feed, notices, sources) take no lock: SQLite's WAL lets them read while a
writer writes.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Iterator

from .dbfaults import database_error
from .errors import StoreError

DEFAULT_WAIT = 5.0


def lock_path(db_path: str) -> Path:
    return Path(f"{db_path}.lock")


def _wait() -> float:
    try:
        return max(0.0, float(os.environ.get("MONITOR_LOCK_WAIT", DEFAULT_WAIT)))
    except ValueError:
        return DEFAULT_WAIT


def take_flock(fd: int, wait: float, *, poll: float) -> bool:
    """Take an exclusive ``flock`` on ``fd``, trying every ``poll`` seconds for ``wait`` seconds at most."""
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)


@contextmanager
def writer_lock(db_path: str, what: str, wait: float | None = None) -> Iterator[None]:
    """Hold the database's writer lock for the block; StoreError naming the holder if it stays taken."""
    if db_path == ":memory:":
        yield
        return
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise database_error(db_path, exc) from None
    try:
        if not take_flock(fd, _wait() if wait is None else wait, poll=0.1):
            holder = os.pread(fd, 500, 0).decode("utf-8", "replace").strip() or "another process"
            raise StoreError(f"{db_path} is in use by {holder}; one writer at a time"
                             " (wait for it to finish, or stop it)")
        since = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} ({what}, since {since} on {os.uname().nodename})\n".encode(), 0)
        except OSError as exc:  # a full disk has no room even for these few bytes
            raise database_error(db_path, exc) from None
        try:
            yield
        finally:
            with suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)



def holder(db_path: str) -> str | None:
    """Who holds the database's writer lock now ("pid 4242 (monitor daemon, since ...)"), or None."""
    path = lock_path(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.pread(fd, 500, 0).decode("utf-8", "replace").strip() or "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
