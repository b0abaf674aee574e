"""A database that cannot be written: a full disk, a read-only file, a damaged file (a path that cannot
hold one: ``test_operate``). Every writing command (run, daemon, deliver, retry) says so in one line and exits 2, the
reading commands go on reading where they can, and nothing already stored is lost or changed.

The commands are real `monitor` processes against a real page server on 127.0.0.1. The full disk is a
real one: a small tmpfs mounted for the test (CI runs as root); where mounting is not allowed, SQLite's
``max_page_count`` stands in for it (``tests/support/page_limit``), which gives the same SQLITE_FULL.
The read-only file is really read-only, for root too: ``chattr +i`` (or a read-only bind mount where
the file system has no such flag), besides ``chmod 444``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

from .conftest import HERE, PAGES, free_port
from .test_daemon import Proc, wait_until

WRITERS = (("run",), ("deliver",), ("deliver", "--now"), ("retry",), ("daemon", "--start-spread", "0"))
READERS = (("sources",), ("diff",), ("notices",), ("feed",))
V1 = (PAGES / "v1.html").read_bytes()
V2 = (PAGES / "v2.html").read_bytes()
NEW_PAPER = "Tokenizers Without Borders"
# v2 with one more paper and a megabyte that does not compress: its snapshot cannot fit in what is left
V3 = V2.replace(b"<ol>", b'<ol>\n  <li class="paper">[0] <strong>' + NEW_PAPER.encode() + b"</strong><br>\n"
                b"    <b>Dana Example</b>, Bo Li<br>\n    <em>Preprint</em></li>").replace(
    b"</body>", b"<!-- " + base64.b64encode(random.Random(7).randbytes(900_000)) + b" --></body>")
SHIM = HERE / "support" / "page_limit"


def monitor(config: Path, db: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "monitor", "--config", str(config), "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def one_line(result: subprocess.CompletedProcess, db: Path, problem: str) -> str:
    """The command failed with exit status 2 and exactly one line on stderr, saying ``problem``."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, (result.args, result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith(f"error: {db}: {problem}"), (result.args, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


def setup(tmp_path: Path, page_server, db: Path) -> Path:
    """A source with two changes stored, one delivery failed for good and one waiting out a backoff."""
    page_server.set("/dana/", V1)
    dead = f"http://127.0.0.1:{free_port()}/hook"
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n    every: 1s\n"
                      f"channels:\n  once:\n    type: webhook\n    url: {dead}\n    max_attempts: 1\n"
                      f"  later:\n    type: webhook\n    url: {dead}\n")
    assert monitor(config, db, "run").returncode == 0
    page_server.set("/dana/", V2)
    assert monitor(config, db, "run").returncode == 0
    assert state(db)["deliveries"] == [("failed",), ("pending",)]
    return config


def state(db: Path) -> dict[str, list[tuple]]:
    """What is stored, read without writing anything beside the file (immutable: no -wal, no -shm)."""
    conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        return {"checks": conn.execute("SELECT source_id, started_at, outcome FROM checks ORDER BY id").fetchall(),
                "snapshots": conn.execute("SELECT id, content_hash FROM snapshots ORDER BY id").fetchall(),
                "events": conn.execute("SELECT type, title FROM events ORDER BY id").fetchall(),
                "deliveries": conn.execute("SELECT state FROM deliveries ORDER BY state").fetchall()}
    finally:
        conn.close()


def files(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- a full disk

@dataclass
class TinyDisk:
    """A small file system of its own for the database, that the test fills up and frees."""

    path: Path
    mounted: bool
    env: dict[str, str] = field(default_factory=dict)

    def fill(self, leave: int) -> None:
        """Leave about ``leave`` bytes free (0: none at all)."""
        if not self.mounted:
            pages = _pages(self.path / "m.db")
            self.env = {"PYTHONPATH": str(SHIM), "MONITOR_TEST_MAX_PAGES": str(pages + leave // 4096)}
            return
        fs = os.statvfs(self.path)
        size = max(0, fs.f_bavail * fs.f_frsize - leave)
        chunk = b"\0" * (1 << 20)
        with open(self.path / "filler", "ab", buffering=0) as out:
            while size > 0:
                size -= out.write(chunk[:min(size, len(chunk))])
            while leave == 0:
                try:
                    out.write(chunk[:4096])
                except OSError:
                    break

    def free(self) -> None:
        self.env = {}
        (self.path / "filler").unlink(missing_ok=True)


def _pages(db: Path) -> int:
    conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def tiny_disk(tmp_path) -> Iterator[TinyDisk]:
    """An 8 MiB tmpfs when this process may mount one; else SQLite's max_page_count in its place."""
    path = tmp_path / "disk"
    path.mkdir()
    mounted = os.geteuid() == 0 and not os.environ.get("MONITOR_TEST_NO_MOUNT") and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(path)], capture_output=True).returncode == 0
    try:
        yield TinyDisk(path, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], check=True)


def test_a_full_disk_is_one_line_for_every_writer_and_nothing_stored_is_lost(tmp_path, page_server, tiny_disk):
    db = tiny_disk.path / "m.db"
    config = setup(tmp_path, page_server, db)
    before = state(db)
    page_server.set("/dana/", V3)

    # Room for a little, not for the new snapshot: SQLITE_FULL in the middle of the check's transaction.
    tiny_disk.fill(leave=160_000)
    run = monitor(config, db, "run", env=tiny_disk.env)
    one_line(run, db, "the disk is full (database or disk is full): nothing more was stored")
    assert state(db) == before
    daemon = Proc(tmp_path, config, db, ("--start-spread", "0", "--grace", "2"), env=tiny_disk.env)
    try:
        assert wait_until(lambda: daemon.text().count("the disk is full") >= 2, 30), daemon.text()
        assert daemon.proc.poll() is None  # it keeps running, and tries again at the next check
    finally:
        daemon.send(signal.SIGTERM)
    assert daemon.wait(30) == 0, daemon.text()
    failures = [ln for ln in daemon.lines() if "the disk is full" in ln]
    assert all('check source="Dana Example" outcome=failed' in ln for ln in failures), failures
    assert "Traceback" not in daemon.text()
    assert state(db) == before

    # No room at all: not even for the lock file's few bytes or SQLite's shared-memory file.
    if tiny_disk.mounted:
        tiny_disk.fill(leave=0)
        for args in WRITERS:
            one_line(monitor(config, db, *args, timeout=30), db, "the disk is full")
        for args in READERS:  # reading needs no room
            read = monitor(config, db, *args)
            assert read.returncode == 0 and "Traceback" not in read.stderr, (args, read.stderr)
        assert state(db) == before

    tiny_disk.free()
    again = monitor(config, db, "run")
    assert again.returncode == 0, again.stderr
    assert f"new paper '{NEW_PAPER}'" in again.stdout
    after = state(db)
    assert after["events"][:len(before["events"])] == before["events"]
    assert [e for e in after["events"][len(before["events"]):] if e[0] == "paper_added"] == [("paper_added", NEW_PAPER)]


# ---------------------------------------------------------------- a read-only file

@contextmanager
def read_only(db: Path) -> Iterator[str]:
    """Make ``db`` read-only for this process, root included; yields how."""
    db.chmod(0o444)
    how = "chmod 444"
    bound = False
    if os.geteuid() == 0:  # root writes a 444 file anyway
        if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode == 0:
            how = "chattr +i"
        else:  # no such flag on this file system: the folder as a read-only bind mount
            folder = str(db.parent)
            subprocess.run(["mount", "--bind", folder, folder], check=True)
            subprocess.run(["mount", "-o", "remount,ro,bind", folder, folder], check=True)
            how, bound = "read-only bind mount", True
    assert not os.access(db, os.W_OK), how
    try:
        yield how
    finally:
        if how == "chattr +i":
            subprocess.run(["chattr", "-i", str(db)], check=True)
        if bound:
            subprocess.run(["umount", str(db.parent)], check=True)
        db.chmod(0o644)


def test_a_read_only_database_is_one_line_for_every_writer_and_is_read_as_it_is(tmp_path, page_server):
    folder = tmp_path / "db"
    db = folder / "m.db"
    config = setup(tmp_path, page_server, db)
    before, stored = state(db), files(folder)
    page_server.set("/dana/", V3)
    with read_only(db):
        for args in WRITERS:
            one_line(monitor(config, db, *args, timeout=30), db, "the database is read-only")
        for args in READERS:
            read = monitor(config, db, *args)
            assert read.returncode == 0 and "Traceback" not in read.stderr, (args, read.stderr)
        assert "Dana Example" in monitor(config, db, "sources").stdout
        assert "new paper 'Mixture of Depths for Tiny Models'" in monitor(config, db, "diff").stdout
        assert files(folder) == stored  # not a byte written, and no -wal or -shm left behind
    assert state(db) == before
    again = monitor(config, db, "run")  # writable again: nothing in the way
    assert again.returncode == 0 and f"new paper '{NEW_PAPER}'" in again.stdout, again.stdout + again.stderr


# ---------------------------------------------------------------- a damaged file

def damage(db: Path, tables: tuple[str, ...]) -> None:
    """Overwrite the first page of each table and of its indexes with garbage, the rest of the file untouched."""
    conn = sqlite3.connect(db)
    roots = [r for t in tables for (r,) in conn.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = ?", [t])]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(db, "r+b") as f:
        for root in roots:
            f.seek((root - 1) * size)
            f.write(random.Random(root).randbytes(size))


def test_a_damaged_database_is_one_line_for_every_command_and_is_not_written(tmp_path, page_server):
    folder = tmp_path / "db"
    db = folder / "m.db"
    config = setup(tmp_path, page_server, db)
    damage(db, ("sources", "deliveries"))
    damaged = db.read_bytes()
    page_server.set("/dana/", V3)
    for args in WRITERS + READERS:
        one_line(monitor(config, db, *args, timeout=30), db, "the database is damaged")
    assert db.read_bytes() == damaged

    cut = folder / "cut.db"  # a copy cut short (a full disk during a backup, say)
    setup(tmp_path, page_server, cut)
    cut.write_bytes(cut.read_bytes()[:len(cut.read_bytes()) // 3])
    for args in (("run",), ("retry",), ("sources",), ("daemon",)):
        one_line(monitor(config, cut, *args, timeout=30), cut, "the database is damaged")



def test_a_database_found_damaged_while_the_daemon_runs_stops_it_with_one_line(tmp_path, page_server):
    db = tmp_path / "m.db"
    config = setup(tmp_path, page_server, db)
    # checked a moment ago and due again 4 s after that, the source's first check comes seconds after the
    # damage (due at once, it came at a random moment of its first second, sometimes before the damage)
    config.write_text(config.read_text().replace("every: 1s", "every: 4s"))
    page_server.set("/dana/", V3)
    daemon = Proc(tmp_path, config, db, ("--start-spread", "3"))
    try:
        daemon.wait_log(" started: ", timeout=30)
        damage(db, ("snapshots",))  # pages the daemon has not read yet: its first check will
        assert daemon.wait(30) == 2, daemon.text()
    finally:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
    lines = daemon.lines()
    assert lines[-1].startswith(f"error: {db}: the database is damaged (database disk image is malformed)"), lines
    assert any(" ERROR stopping: " in ln for ln in lines) and "stopped cleanly" in "\n".join(lines)
    assert "Traceback" not in daemon.text()
