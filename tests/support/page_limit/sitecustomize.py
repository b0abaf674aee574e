"""Test support for machines where a test may not mount a small file system (not root).

On PYTHONPATH only for the `monitor` processes of ``test_database_faults``: when
``MONITOR_TEST_MAX_PAGES`` is set, every SQLite connection the process opens gets that
``PRAGMA max_page_count``, so a database that would grow past it fails with SQLITE_FULL, the error
SQLite returns on a full disk. Where the tests can mount a tmpfs (root, as in CI) this is not used.
"""

from __future__ import annotations

import os
import sqlite3

_LIMIT = os.environ.get("MONITOR_TEST_MAX_PAGES")

if _LIMIT:
    _connect = sqlite3.connect

    def _limited(*args, **kwargs):  # type: ignore[no-untyped-def]
        conn = _connect(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {int(_LIMIT)}")
        return conn

    sqlite3.connect = _limited
