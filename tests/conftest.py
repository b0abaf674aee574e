"""Shared fixtures: a real HTTP server on 127.0.0.1 whose pages the tests change between runs."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).parent
PAGES = HERE / "pages"
SHARED = HERE.parent.parent / "shared"


@dataclass
class Route:
    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    etag: bool = True


@dataclass
class PageServer:
    """Serves ``routes`` (path -> Route); records each request's path and headers."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: bytes | str, **kw) -> None:
        self.routes[path] = Route(body.encode() if isinstance(body, str) else body, **kw)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


@pytest.fixture(autouse=True, scope="session")
def _pattern_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The compiled patterns the session's processes keep (``monitor.regexcache``) go to a folder of the
    session, not to the user's cache."""
    os.environ["MONITOR_CACHE_DIR"] = str(tmp_path_factory.mktemp("pattern-cache"))


@pytest.fixture
def page_server():
    state = PageServer()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = state.routes.get(self.path)
            if route is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            tag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            if route.etag and route.status == 200 and self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", tag)
            self.end_headers()
            self.wfile.write(route.body)

    with serve_http(Handler) as port:
        state.port = port
        yield state


@contextmanager
def serve_http(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 (an ephemeral port) in a thread, for the duration of a test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A port nothing listens on."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
