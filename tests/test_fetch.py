"""Tests for monitor.fetch against a real HTTP server on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import brotli  # type: ignore[import-untyped]
import pytest

from monitor import __version__
from monitor.fetch import Fetcher, FetchResult, robots_rules, user_agent

UA = user_agent("test@example.org")
ROBOTS = "User-agent: *\nDisallow: /nobody\n\nUser-agent: scholarwatch\nDisallow: /private\n"
PAGE = b"<html><head><title>Ada</title></head><body><p>Papers: one, two.</p></body></html>"
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 01 May 2024 10:00:00 GMT"
CP1252_TEXT = "“Smart quotes” — naïve résumé, €5, Café Müller"
SJIS_TEXT = "研究室のホームページへようこそ。論文一覧と講演の記録。"
GBK_TEXT = "欢迎访问我的主页。发表论文列表，合作者：朱镕基、张喆、李堃。"  # 镕喆堃 are GBK-only, not GB2312
LATIN1_TEXT = (
    "Prof. Müller's group at the Université de Genève. Our café-style seminar is held every "
    "Thursday; topics include naïve Bayes, façade patterns and the Straße network. "
    "Contact: Søren Ødegård, résumé on request."
)
BIG = b"<p>" + b"x" * 200_000 + b"</p>"


class State:
    """What the server saw, shared with the tests."""

    def __init__(self, robots: str | None) -> None:
        self.robots = robots
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.inflight: Counter[str] = Counter()
        self.max_inflight: Counter[str] = Counter()
        self.headers: dict[str, dict[str, str]] = {}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    state: State

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up on purpose (size cap, timeouts) are expected here."""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_chunked(self, status: int, chunks: Iterator[bytes], headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        key = parse_qs(parts.query).get("key", [""])[0]
        state = self.server.state
        with state.lock:
            state.hits[path] += 1
            state.hits[f"{path}?{key}"] += 1
            count = state.hits[f"{path}?{key}"]
            state.headers[path] = {k.lower(): v for k, v in self.headers.items()}
        html = {"Content-Type": "text/html; charset=utf-8"}

        if path == "/robots.txt":
            if state.robots is None:
                self.send(404, b"not found")
            elif state.robots == "500":
                self.send(500, b"oops")
            elif state.robots == "redirect":
                self.send(301, b"", {"Location": "/rules.txt"})
            else:
                self.send(200, state.robots.encode(), {"Content-Type": "text/plain"})
        elif path == "/rules.txt":
            self.send(200, ROBOTS.encode(), {"Content-Type": "text/plain"})
        elif path in ("/page", "/private/secret", "/nobody"):
            validators = {"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
            if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
                self.send(304, b"", validators)
            else:
                self.send(200, PAGE, {**html, **validators})
        elif path == "/500":
            self.send(500, b"broken")
        elif path == "/404":
            self.send(404, b"gone")
        elif path == "/flaky":
            if count <= 2:
                self.send(503, b"busy", {"Retry-After": "0"})
            else:
                self.send(200, PAGE, html)
        elif path == "/429":
            self.send(429, b"slow down", {"Retry-After": "30"})
        elif path == "/429-date":
            later = email.utils.formatdate(time.time() + 3600, usegmt=True)
            self.send(429, b"slow down", {"Retry-After": later})
        elif path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            if n == 0:
                self.send(200, PAGE, html)
            else:
                self.send(302, b"moved", {"Location": f"/redirect/{n - 1}"})
        elif path == "/to-private":
            self.send(302, b"", {"Location": "/private/secret"})
        elif path == "/elsewhere":
            self.send(302, b"", {"Location": parse_qs(parts.query)["to"][0]})
        elif path in ("/gzip", "/deflate", "/br"):
            packed = {"/gzip": gzip.compress, "/deflate": zlib.compress, "/br": brotli.compress}[path](PAGE * 50)
            self.send(200, packed, {**html, "Content-Encoding": path[1:]})
        elif path == "/gzip-bomb":
            packed = gzip.compress(b"a" * 2_000_000)
            self.send(200, packed, {"Content-Type": "text/plain", "Content-Encoding": "gzip"})
        elif path == "/bad-gzip":
            self.send(200, b"this is not gzip at all", {**html, "Content-Encoding": "gzip"})
        elif path == "/cut-short":  # promises more than it sends, then hangs up
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE) * 10))
            self.end_headers()
            self.wfile.write(PAGE)
            self.wfile.flush()
            self.close_connection = True
        elif path == "/huge":
            self.send(200, BIG, html)
        elif path == "/huge-stream":
            self.send_chunked(200, (BIG[i : i + 4096] for i in range(0, len(BIG), 4096)), html)
        elif path == "/png":
            self.send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, {"Content-Type": "image/png"})
        elif path == "/nul":
            self.send(200, b"GIF89a\x00\x01\x00\x00" + b"\x00" * 64)
        elif path == "/cp1252-meta":
            markup = (
                f'<html><head><meta charset="windows-1252"><title>x</title></head><body>{CP1252_TEXT}</body></html>'
            )
            self.send(200, markup.encode("cp1252"), {"Content-Type": "text/html"})
        elif path == "/cp1252-http-equiv":
            markup = (
                '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
                f"</head><body>{CP1252_TEXT}</body></html>"
            )
            self.send(200, markup.encode("cp1252"), {"Content-Type": "text/html"})
        elif path == "/sjis":
            body = f"<html><body><p>{SJIS_TEXT}</p></body></html>".encode("shift_jis")
            self.send(200, body, {"Content-Type": "text/html; charset=Shift_JIS"})
        elif path == "/gb2312":
            self.send(200, GBK_TEXT.encode("gbk"), {"Content-Type": "text/plain; charset=GB2312"})
        elif path == "/latin1":
            self.send(200, LATIN1_TEXT.encode("latin-1"), {"Content-Type": "text/plain"})
        elif path == "/bom":
            body = "\ufeff<p>naïve café</p>".encode()
            self.send(200, body, {"Content-Type": "text/html; charset=iso-8859-1"})
        elif path == "/slow":
            time.sleep(2)
            self.send(200, PAGE, html)
        elif path == "/drip":
            self.send_chunked(200, drip(30, 0.1), html)
        elif path == "/sleep":
            with state.lock:
                state.inflight[key] += 1
                state.max_inflight[key] = max(state.max_inflight[key], state.inflight[key])
            time.sleep(0.15)
            with state.lock:
                state.inflight[key] -= 1
            self.send(200, PAGE, html)
        else:
            self.send(404, b"no route")


def drip(count: int, interval: float) -> Iterator[bytes]:
    """One byte every ``interval`` seconds: never idle long enough for a read timeout."""
    for _ in range(count):
        time.sleep(interval)
        yield b"."


def start_server(robots: str | None = ROBOTS) -> tuple[Server, str]:
    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(robots)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[Server, str]]:
    server, base = start_server()
    yield server, base
    server.shutdown()
    server.server_close()


@pytest.fixture
def base(shared: tuple[Server, str]) -> str:
    return shared[1]


@pytest.fixture
def state(shared: tuple[Server, str]) -> State:
    return shared[0].state


@pytest.fixture
def fresh_server() -> Iterator[Callable[..., tuple[Server, str]]]:
    """Servers of one's own, for tests that count robots.txt requests or need other robots rules."""
    servers: list[Server] = []

    def make(robots: str | None = ROBOTS) -> tuple[Server, str]:
        server, url = start_server(robots)
        servers.append(server)
        return server, url

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None, **options: Any) -> FetchResult:
    options.setdefault("backoff", 0.01)

    async def run() -> FetchResult:
        async with Fetcher(user_agent=UA, **options) as fetcher:
            return await fetcher.fetch(url, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


def test_user_agent() -> None:
    assert user_agent("you@example.org") == f"scholarwatch/{__version__} (+mailto:you@example.org)"
    assert user_agent("https://example.org/bot") == f"scholarwatch/{__version__} (+https://example.org/bot)"
    assert user_agent(None) == f"scholarwatch/{__version__}"
    assert "\n" not in user_agent("a@b.org\r\nX-Evil: 1")


def test_page_and_request_headers(base: str, state: State) -> None:
    result = fetch(f"{base}/page")
    assert result.ok and result.error is None
    assert result.status == 200 and result.attempts == 1
    assert result.final_url == f"{base}/page"
    assert result.body == PAGE and result.text == PAGE.decode()
    assert result.content_type == "text/html" and result.encoding == "utf-8"
    assert result.etag == ETAG and result.last_modified == LAST_MODIFIED
    assert result.bytes == len(PAGE) and not result.not_modified
    assert result.started_at <= time.time() and result.duration > 0
    seen = state.headers["/page"]
    assert seen["user-agent"] == UA
    assert seen["accept-encoding"] == "gzip, deflate, br"


def test_conditional_requests_get_304(base: str) -> None:
    by_etag = fetch(f"{base}/page", etag=ETAG)
    assert by_etag.ok and by_etag.not_modified and by_etag.status == 304
    assert by_etag.body is None and by_etag.text is None and by_etag.error is None
    assert by_etag.etag == ETAG
    by_date = fetch(f"{base}/page", last_modified=LAST_MODIFIED)
    assert by_date.ok and by_date.not_modified and by_date.last_modified == LAST_MODIFIED
    changed = fetch(f"{base}/page", etag='"old"')
    assert changed.ok and not changed.not_modified and changed.body == PAGE


def test_500_is_retried_then_reported(base: str, state: State) -> None:
    result = fetch(f"{base}/500?key=retries", retries=2)
    assert not result.ok
    assert result.status == 500 and result.error == "HTTP 500"
    assert result.attempts == 3 and state.hits["/500?retries"] == 3
    assert result.body is None and result.text is None


def test_503_twice_then_success_uses_retry_after(base: str) -> None:
    # backoff=5 would take 15 s; Retry-After: 0 must win.
    result = fetch(f"{base}/flaky?key=a", retries=2, backoff=5.0)
    assert result.ok and result.status == 200 and result.body == PAGE
    assert result.attempts == 3
    assert result.duration < 2


@pytest.mark.parametrize("path", ["/429", "/429-date"])
def test_429_retry_after_is_capped(base: str, path: str) -> None:
    result = fetch(f"{base}{path}", retries=1, max_retry_after=0.3)
    assert result.status == 429 and result.error == "HTTP 429" and result.attempts == 2
    assert 0.3 <= result.duration < 3


def test_404_is_not_retried(base: str, state: State) -> None:
    result = fetch(f"{base}/404?key=once", retries=3)
    assert result.status == 404 and result.error == "HTTP 404"
    assert result.attempts == 1 and state.hits["/404?once"] == 1


def test_redirects_up_to_the_limit(base: str, state: State) -> None:
    result = fetch(f"{base}/redirect/5", max_redirects=5)
    assert result.ok and result.final_url == f"{base}/redirect/0" and result.body == PAGE
    # The redirected GET goes out body-less (the transport would otherwise chunk an empty body).
    assert "transfer-encoding" not in state.headers["/redirect/0"]
    result = fetch(f"{base}/redirect/6", max_redirects=5)
    assert result.error == "too many redirects" and result.status == 302 and not result.ok
    assert result.attempts == 1


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_decompression(base: str, coding: str) -> None:
    result = fetch(f"{base}/{coding}")
    assert result.ok and result.body == PAGE * 50 and result.bytes == len(PAGE) * 50


def test_undecodable_content_encoding_fails_without_retry(base: str, state: State) -> None:
    result = fetch(f"{base}/bad-gzip")
    assert not result.ok and result.error is not None and result.error.startswith("DecodingError")
    assert result.attempts == 1 and state.hits["/bad-gzip"] == 1


def test_a_body_cut_short_is_retried_then_reported(base: str, state: State) -> None:
    result = fetch(f"{base}/cut-short", retries=1)
    assert not result.ok and result.error == "response body cut short" and result.body is None
    assert result.attempts == 2 and state.hits["/cut-short"] == 2


def test_size_cap_on_content_length(base: str) -> None:
    result = fetch(f"{base}/huge", max_bytes=10_000)
    assert result.error == "response larger than 10000 bytes"
    assert result.status == 200 and result.body is None and not result.ok
    assert result.attempts == 1


def test_size_cap_while_streaming(base: str) -> None:
    result = fetch(f"{base}/huge-stream", max_bytes=10_000)
    assert result.error == "response larger than 10000 bytes"
    assert result.body is None and result.bytes == 10_000


def test_size_cap_applies_after_decompression(base: str) -> None:
    result = fetch(f"{base}/gzip-bomb", max_bytes=100_000)
    assert result.error == "response larger than 100000 bytes"


def test_binary_content(base: str) -> None:
    png = fetch(f"{base}/png")
    assert png.error == "binary content (image/png)" and png.status == 200 and png.body is None
    assert png.content_type == "image/png" and png.attempts == 1
    untyped = fetch(f"{base}/nul")
    assert untyped.error == "binary content (no content type)" and untyped.body is None


@pytest.mark.parametrize("path", ["/cp1252-meta", "/cp1252-http-equiv"])
def test_charset_from_meta(base: str, path: str) -> None:
    result = fetch(f"{base}{path}")
    assert result.ok and result.encoding == "cp1252"
    assert result.text is not None and CP1252_TEXT in result.text


def test_shift_jis_from_header(base: str) -> None:
    result = fetch(f"{base}/sjis")
    assert result.ok and result.encoding in ("shift_jis", "cp932")
    assert result.text is not None and SJIS_TEXT in result.text


def test_gb2312_label_decoded_as_gbk(base: str) -> None:
    result = fetch(f"{base}/gb2312")
    assert result.ok and result.encoding == "gbk" and result.text == GBK_TEXT


def test_latin1_without_declaration_is_detected(base: str) -> None:
    result = fetch(f"{base}/latin1")
    assert result.ok and result.text == LATIN1_TEXT
    assert result.encoding in ("cp1252", "iso8859-1", "iso8859-15")


def test_bom_beats_header(base: str) -> None:
    result = fetch(f"{base}/bom")
    assert result.ok and result.encoding == "utf-8" and result.text == "<p>naïve café</p>"


def test_robots_disallow_and_cache(fresh_server: Callable[..., tuple[Server, str]]) -> None:
    server, url = fresh_server()

    async def run() -> list[FetchResult]:
        async with Fetcher(user_agent=UA, backoff=0.01) as fetcher:
            urls = [f"{url}/page", f"{url}/private/secret", f"{url}/nobody", f"{url}/to-private"] * 3
            return await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    results = asyncio.run(run())
    page, private, nobody, via_redirect = results[:4]
    assert page.ok
    assert nobody.ok  # the "*" group does not apply: we have a group of our own
    for blocked in (private, via_redirect):
        assert blocked.error == "disallowed by robots.txt" and blocked.status is None and not blocked.ok
    assert private.attempts == 0
    assert server.state.hits["/private/secret"] == 0
    assert server.state.hits["/robots.txt"] == 1


def test_robots_behind_a_redirect(fresh_server: Callable[..., tuple[Server, str]]) -> None:
    server, url = fresh_server("redirect")
    result = fetch(f"{url}/private/secret")
    assert result.error == "disallowed by robots.txt"
    assert server.state.hits["/rules.txt"] == 1 and server.state.hits["/private/secret"] == 0
    assert "transfer-encoding" not in server.state.headers["/rules.txt"]


def test_robots_can_be_ignored(fresh_server: Callable[..., tuple[Server, str]]) -> None:
    server, url = fresh_server()
    result = fetch(f"{url}/private/secret", respect_robots=False)
    assert result.ok and server.state.hits["/robots.txt"] == 0


ROBOTS_PATHS = ["/", "/private/x", "/nobody", "/drafts/a", "/papers/x", "/a?b=c", "/%7Edana/"]


@pytest.mark.parametrize("text, forbids", [
    ("User-agent: *\nAllow: /\n", False),
    ("", False),
    ("User-agent: *\nDisallow:\n", False),  # an empty Disallow allows everything
    ("User-agent: googlebot\nDisallow: /\n", False),  # another robot's rules
    ("User-agent: Scholarwatch\nAllow: /\n\nUser-agent: *\nDisallow: /\n", False),  # our own group comes first
    (ROBOTS, True),
    ("User-agent: *\nDisallow: /drafts/\n", True),
    ("User-agent: *\nDisallow: /\nAllow: /papers\n", True),
    ("User-agent: scholarwatch\nDisallow: /~dana/\n", True),
])
def test_robots_rules_are_kept_only_when_they_forbid_us_something(text: str, forbids: bool) -> None:
    """A file that forbids us nothing is kept as None (no rule is read at each request), and whatever is
    kept answers every address as the standard library's parser of the whole file does."""
    import urllib.robotparser

    rules = robots_rules(text, "https://x.org")
    assert (rules is not None) == forbids
    whole = urllib.robotparser.RobotFileParser("https://x.org/robots.txt")
    whole.parse(text.splitlines())
    for path in ROBOTS_PATHS:
        url = f"https://x.org{path}"
        assert (rules is None or rules.can_fetch("scholarwatch", url)) == whole.can_fetch("scholarwatch", url), path


@pytest.mark.parametrize("robots", [None, "500"])
def test_missing_or_failing_robots_allows(fresh_server: Callable[..., tuple[Server, str]], robots: str | None) -> None:
    server, url = fresh_server(robots)
    result = fetch(f"{url}/private/secret")
    assert result.ok and server.state.hits["/robots.txt"] == 1


def test_unreachable_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch(f"http://127.0.0.1:{port}/", retries=1)
    assert result.error == "connection refused"
    assert result.status is None and result.attempts == 2 and not result.ok


@pytest.fixture(scope="module")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """This module's server over HTTPS on 127.0.0.1, with a self-signed certificate made for the test."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(ROBOTS)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def trust_only(cert: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``cert`` the system's whole trust store, as OpenSSL reads it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.setenv("SSL_CERT_DIR", str(folder))  # empty


def test_https_with_the_trust_store_read_at_the_first_https_request(
        tls_site: tuple[str, Path], base: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secure, cert = tls_site
    trust_only(cert, tmp_path, monkeypatch)
    result = fetch(f"{secure}/page")
    assert result.ok and result.body == PAGE and result.final_url == f"{secure}/page"
    # The first request is plain HTTP; its redirect leads to the first https one.
    result = fetch(f"{base}/elsewhere?to={secure}/redirect/1")
    assert result.ok and result.body == PAGE and result.final_url == f"{secure}/redirect/0"


def test_https_with_an_untrusted_certificate_fails(tls_site: tuple[str, Path]) -> None:
    secure, _ = tls_site
    result = fetch(f"{secure}/page", retries=1)
    assert result.error == "TLS certificate verification failed" and result.attempts == 1 and not result.ok


def test_importing_the_fetcher_reads_no_trust_store(tls_site: tuple[str, Path], tmp_path: Path) -> None:
    """aiohttp's contexts made at import skip the bundle; contexts made afterwards read it as ever."""
    _, cert = tls_site
    probe = ("import ssl, monitor.fetch, aiohttp.connector as c; "
             "print(c._SSL_CONTEXT_VERIFIED.cert_store_stats()['x509_ca'], "
             "ssl.create_default_context().cert_store_stats()['x509_ca'])")
    env = {**os.environ, "SSL_CERT_FILE": str(cert), "SSL_CERT_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]


def test_timeout_waiting_for_headers_is_retried(base: str) -> None:
    result = fetch(f"{base}/slow", timeout=0.3, retries=1)
    assert result.error == "timed out after 0.3s"
    assert result.status is None and result.attempts == 2
    assert result.duration < 1.8


def test_total_timeout_on_a_dripping_body(base: str) -> None:
    # Each byte comes well within the read timeout; only the total deadline stops this.
    result = fetch(f"{base}/drip", timeout=0.5, retries=0)
    assert result.error == "timed out after 0.5s"
    assert result.body is None and 0.5 <= result.duration < 1.5


def test_limits_per_host_and_global(base: str, state: State) -> None:
    async def run(key: str, **options: Any) -> None:
        async with Fetcher(user_agent=UA, **options) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(f"{base}/sleep?key={key}") for _ in range(6)))
        assert all(r.ok for r in results)

    asyncio.run(run("host", concurrency=8, per_host=2))
    assert state.max_inflight["host"] == 2
    asyncio.run(run("global", concurrency=1, per_host=4))
    assert state.max_inflight["global"] == 1


def test_cancellation_propagates(base: str) -> None:
    async def run() -> None:
        async with Fetcher(user_agent=UA) as fetcher:
            task = asyncio.create_task(fetcher.fetch(f"{base}/slow"))
            await asyncio.sleep(0.2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())


def test_unsupported_scheme() -> None:
    result = fetch("ftp://127.0.0.1/file")
    assert result.error == "unsupported URL scheme: ftp" and result.status is None


def test_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = tmp_path / "index.html"
    markup = f'<html><head><meta charset="windows-1252"></head><body>{CP1252_TEXT}</body></html>'
    page.write_bytes(markup.encode("cp1252"))
    mtime = email.utils.formatdate(os.stat(page).st_mtime, usegmt=True)

    by_path = fetch(str(page))
    assert by_path.ok and by_path.status == 200 and by_path.attempts == 1
    assert by_path.encoding == "cp1252" and by_path.text is not None and CP1252_TEXT in by_path.text
    assert by_path.content_type == "text/html" and by_path.last_modified == mtime
    assert by_path.final_url == page.as_uri() and by_path.bytes == page.stat().st_size

    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher(user_agent=UA).fetch(str(page)))

    assert fetch(page.as_uri()).body == by_path.body
    monkeypatch.chdir(tmp_path)
    assert fetch("index.html").body == by_path.body

    unchanged = fetch(str(page), last_modified=mtime)
    assert unchanged.ok and unchanged.not_modified and unchanged.body is None and unchanged.text is None
    assert unchanged.bytes == 0 and unchanged.last_modified == mtime

    too_big = fetch(str(page), max_bytes=10)
    assert too_big.error == "file larger than 10 bytes" and not too_big.ok


def test_local_missing_and_binary_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    result = fetch(str(missing))
    assert result.error == f"no such file: {missing}" and result.status is None and not result.ok
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert fetch(str(image)).error == "binary content (image/png)"


def test_the_same_request_in_a_run_is_sent_once_unless_another_try_may_answer_otherwise(
        fresh_server: Callable[..., tuple[Server, str]]) -> None:
    """``fetch_shared``: a page several sources link is asked for once (at once or later in the run), each
    caller getting its own copy; other validators make another request; a 404 is an answer to share, a 500
    (after its retries) is not kept for the next caller."""
    server, url = fresh_server()

    async def run() -> tuple:
        async with Fetcher(user_agent=UA, backoff=0.01, retries=1) as fetcher:
            together = await asyncio.gather(*(fetcher.fetch_shared(f"{url}/page") for _ in range(3)))
            together[0].body = None  # a caller's copy is its own
            later = await fetcher.fetch_shared(f"{url}/page")
            conditional = await fetcher.fetch_shared(f"{url}/page", etag=ETAG)
            gone = [await fetcher.fetch_shared(f"{url}/404") for _ in range(2)]
            broken = [await fetcher.fetch_shared(f"{url}/500") for _ in range(2)]
            return together, later, conditional, gone, broken

    together, later, conditional, gone, broken = asyncio.run(run())
    hits = server.state.hits
    assert hits["/page"] == 2  # the plain request once, the conditional one once
    assert [r.body for r in together[1:]] == [PAGE, PAGE] and later.body == PAGE and later.etag == ETAG
    assert conditional.not_modified and conditional.body is None
    assert hits["/404"] == 1 and [r.error for r in gone] == ["HTTP 404", "HTTP 404"]
    assert hits["/500"] == 2 * 2 and [r.error for r in broken] == ["HTTP 500", "HTTP 500"]


def test_a_shared_answer_is_asked_for_again_once_it_is_old(fresh_server: Callable[..., tuple[Server, str]],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import monitor.fetch

    monkeypatch.setattr(monitor.fetch, "SHARE_SECONDS", 0.05)
    server, url = fresh_server()

    async def run() -> None:
        async with Fetcher(user_agent=UA) as fetcher:
            await fetcher.fetch_shared(f"{url}/page")
            await fetcher.fetch_shared(f"{url}/page")
            await asyncio.sleep(0.1)
            await fetcher.fetch_shared(f"{url}/page")
            assert len(fetcher._shared) == 1 and fetcher._shared_bytes == len(PAGE)

    asyncio.run(run())
    assert server.state.hits["/page"] == 2


def test_shared_answers_are_bounded_in_number_the_least_recently_asked_going_first(
        fresh_server: Callable[..., tuple[Server, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """A page linked from one homepage only is not asked again: its answer must not stay for the run."""
    import monitor.fetch

    monkeypatch.setattr(monitor.fetch, "SHARE_ANSWERS", 3)
    server, url = fresh_server()

    async def run() -> list[int]:
        async with Fetcher(user_agent=UA) as fetcher:
            await fetcher.fetch_shared(f"{url}/page")
            for n in range(6):
                await fetcher.fetch_shared(f"{url}/404?key={n}")
                await fetcher.fetch_shared(f"{url}/page")  # asked again and again: kept
            return [len(fetcher._shared), fetcher._shared_bytes]

    kept, size = asyncio.run(run())
    assert kept == 3 and size == len(PAGE)
    assert server.state.hits["/page"] == 1 and server.state.hits["/404"] == 6
