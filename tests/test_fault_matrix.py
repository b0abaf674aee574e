"""The fault matrix: every kind of bad answer a homepage can give, between two good rounds.

Fourteen sources on one local server. Round 1 serves each its good page; round 2 serves each a fault
(slow, reset, 500, 429, redirect loop, huge, gzip bomb, binary, soft-404, empty, truncated, 200,000 nested
elements, 404, and the same page in cp1252); round 3 serves the good pages again. Every `run --once` must
exit 0 within 120 s with bounded memory, no removal or alert may come from a fault, and the good page
coming back must be silent.
"""

from __future__ import annotations

import gzip
import http.server
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from .conftest import PAGES, serve_http

GOOD = (PAGES / "v1.html").read_bytes()
FAULTS = ["slow", "reset", "500", "429", "loop", "huge", "gzipbomb", "binary", "soft404", "empty", "truncated",
          "deep", "404", "cp1252"]
BOMB = gzip.compress(b"\0" * 50_000_000, compresslevel=9)
DEEP = b"<html><body>" + b"<div>" * 200_000 + b"deep" + b"</div>" * 200_000 + b"</body></html>"


class State:
    faulty = False


def _handler(state: State):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in headers.items():
                self.send_header(k.replace("_", "-"), v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            kind = self.path.strip("/")
            if not state.faulty or kind not in FAULTS:
                return self._send(200, GOOD)
            if kind == "slow":
                time.sleep(4)  # past the 2 s timeout
                return self._send(200, GOOD)
            if kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.connection.close()
                return None
            if kind in ("500", "404"):
                return self._send(int(kind), b"<html><body><h1>Error</h1></body></html>")
            if kind == "429":
                return self._send(429, b"slow down", Retry_After="1")
            if kind == "loop":
                return self._send(302, b"", Location=self.path)
            if kind == "huge":
                return self._send(200, GOOD + b"<!--" + b"x" * 3_000_000 + b"-->")
            if kind == "gzipbomb":
                return self._send(200, BOMB, Content_Encoding="gzip")
            if kind == "binary":
                return self._send(200, os.urandom(20_000), "application/octet-stream")
            if kind == "soft404":
                return self._send(200, (PAGES / "error200.html").read_bytes())
            if kind == "empty":
                return self._send(200, b"")
            if kind == "truncated":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(GOOD)))
                self.end_headers()
                self.wfile.write(GOOD[:200])
                self.connection.close()
                return None
            if kind == "deep":
                return self._send(200, DEEP)
            if kind == "cp1252":
                return self._send(200, GOOD.decode("utf-8").encode("cp1252", "replace"), "text/html; charset=windows-1252")
            return None

    return Handler


def _run(config: Path, db: Path) -> tuple[int, float, int]:
    """(exit code, seconds, peak RSS in KiB of the run and its workers)."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "--db", str(db), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    timer = threading.Timer(120, proc.kill)
    timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    assert proc.returncode in (0, 1), err.decode()[-2000:]
    return proc.returncode, time.monotonic() - started, usage.ru_maxrss


def _events(db: Path, after: int) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return [(src, typ) for src, typ in conn.execute(
            "SELECT s.name, e.type FROM events e JOIN sources s ON s.id = e.source_id WHERE e.id > ?", [after])]


def _outcomes(db: Path, after_check: int) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        return {name: outcome for name, outcome in conn.execute(
            "SELECT s.name, c.outcome FROM checks c JOIN sources s ON s.id = c.source_id WHERE c.id > ?", [after_check])}


def _last_check(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM checks").fetchone()[0]


def _last_event(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]


def test_the_fault_matrix_between_two_good_rounds(tmp_path):
    state = State()
    with serve_http(_handler(state)) as port:
        config = tmp_path / "sources.yaml"
        lines = ["defaults: {timeout: 2, max_bytes: 1000000, concurrency: 16, per_host: 16}", "sources:"]
        for kind in FAULTS:
            lines += [f"  - name: \"fault {kind}\"", f"    url: http://127.0.0.1:{port}/{kind}/"]
        config.write_text("\n".join(lines) + "\n")
        db = tmp_path / "m.db"

        code, seconds, _ = _run(config, db)
        assert code == 0 and seconds < 120

        state.faulty = True
        mark, checked = _last_event(db), _last_check(db)
        code, seconds, rss = _run(config, db)
        outcomes = _outcomes(db, checked)
        failed = {name for name, outcome in outcomes.items() if outcome == "failed"}
        assert len(outcomes) == len(FAULTS)
        # every fault is a failed check; the page in cp1252 reads as the same page
        assert failed == {f"fault {k}" for k in FAULTS if k != "cp1252"}, outcomes
        assert outcomes["fault cp1252"] in ("unchanged", "changed", "new") and "fault cp1252" not in failed
        assert code == 0, "a fault in some sources is no failure of the run"
        assert seconds < 120
        assert rss < 1_000_000, f"peak memory {rss} KiB"
        noisy = [e for e in _events(db, mark) if not e[1].startswith("source_")]
        assert noisy == [], f"a fault produced events: {noisy}"

        state.faulty = False
        mark = _last_event(db)
        code, seconds, _ = _run(config, db)
        assert code == 0 and seconds < 120
        assert [e for e in _events(db, mark) if not e[1].startswith("source_")] == [], "the good page came back loudly"
