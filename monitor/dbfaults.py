"""What a database failure means to the person running the monitor, in one line.

SQLite and the file system report a full disk, a read-only file, a damaged file or a path that
cannot hold a database in several ways (``SQLITE_FULL`` in the middle of a check, ``disk I/O
error`` when the shared-memory file cannot be made, ``ENOSPC`` or ``EROFS`` from the lock file, a
read-only file opened read-only without a word until the first write). ``database_error`` reads
the error code first and, when the code is vague (an I/O error, a file that cannot be opened),
looks at the file system itself, and returns one ``DatabaseFault`` whose message says what is wrong
and what to do. Every command prints it as its one line (``cli``); the daemon logs it.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from .errors import DatabaseFault

# What each problem means and what to do about it: the text every command prints after "<db>: ".
PROBLEMS: dict[str, str] = {
    "full": "the disk is full ({detail}): nothing more was stored, and what is stored is intact;"
            " free some space, then run again",
    "read-only": "the database is read-only ({detail}): run, daemon, deliver and retry write to it and its"
                 " folder (diff, feed, notices and sources can read it as it is)",
    "damaged": "the database is damaged ({detail}): nothing more is written to it; restore a backup,"
               " or move it away to start a new one",
    "uncreatable": "cannot create the database there ({detail}): check --db or MONITOR_DB",
    "io": "the disk failed to read or write the database ({detail}): check the disk, then run again",
    "other": "cannot use the database ({detail})",
}

# SQLite's primary result codes that name the problem by themselves.
SQLITE_CODES: dict[int, str] = {
    sqlite3.SQLITE_FULL: "full",
    sqlite3.SQLITE_READONLY: "read-only",
    sqlite3.SQLITE_CORRUPT: "damaged",
    sqlite3.SQLITE_NOTADB: "damaged",
}
# And the operating system's, from the lock file or a folder that cannot be made.
ERRNO_CODES: dict[int, str] = {
    errno.ENOSPC: "full",
    errno.EDQUOT: "full",
    errno.EROFS: "read-only",
    errno.EACCES: "read-only",
    errno.EPERM: "read-only",
    errno.ENOTDIR: "uncreatable",
    errno.EISDIR: "uncreatable",
    errno.ENOENT: "uncreatable",
}

DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)
"""The exceptions ``database_error`` explains (what the CLI and the daemon catch besides MonitorError)."""


def database_error(path: str, exc: BaseException) -> DatabaseFault:
    """The one-line error for ``exc``, raised while using the database at ``path``."""
    problem = _problem(path, exc)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return DatabaseFault(f"{path}: {PROBLEMS[problem].format(detail=detail or type(exc).__name__)}", problem)


def unwritable(path: str) -> DatabaseFault | None:
    """The read-only fault of a database a writer is about to open, or None when it may be written.

    Seen before SQLite opens the file, on purpose: SQLite opens a file it may not write read-only
    without a word, and in WAL mode then leaves read-only ``-wal`` and ``-shm`` files beside it, which
    keep the database unwritable even after its permissions are fixed. A folder on a read-only file
    system, a database (or a ``-wal``/``-shm`` file) without write permission, or a folder where those
    files cannot be made are refused here; ``os.access`` also sees what root may not change (an
    immutable file, a read-only mount).
    """
    if path == ":memory:":
        return None
    file = Path(path)
    folder = file.parent
    try:
        read_only_fs = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return None
    detail = None
    if read_only_fs:
        detail = "read-only file system"
    else:
        blocked = [p.name for p in (file, Path(f"{path}-wal"), Path(f"{path}-shm"))
                   if p.exists() and not os.access(p, os.W_OK)]
        if blocked:
            detail = f"no write permission on {', '.join(blocked)}"
        elif not os.access(folder, os.W_OK | os.X_OK):
            detail = f"no write permission in its folder {folder}"
    if detail is None:
        return None
    return DatabaseFault(f"{path}: {PROBLEMS['read-only'].format(detail=detail)}", "read-only")


def _problem(path: str, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return ERRNO_CODES.get(exc.errno or 0) or _observed(path) or "other"
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in SQLITE_CODES:
        return SQLITE_CODES[primary]
    if primary in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
        return _observed(path) or ("io" if primary == sqlite3.SQLITE_IOERR else "uncreatable")
    return "other"


def _observed(path: str) -> str | None:
    """What the file system says about a vague error: no space left, read-only, or no folder."""
    if path == ":memory:":
        return None
    file = Path(path)
    folder = file.parent
    if not folder.is_dir():
        return "uncreatable"
    try:
        fs = os.statvfs(folder)
    except OSError:
        return None
    if fs.f_flag & os.ST_RDONLY:
        return "read-only"
    if fs.f_bavail == 0 or fs.f_favail == 0:
        return "full"
    if (file.exists() and not os.access(file, os.W_OK)) or not os.access(folder, os.W_OK):
        return "read-only"
    return None
