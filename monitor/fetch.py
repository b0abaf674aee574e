"""Fetch homepages over HTTP(S) or from disk, politely and within hard limits.

Transport: an ``httpx.AsyncClient`` driven by ``httpx_aiohttp.AiohttpTransport`` (package
``httpx-aiohttp``). httpx's own async transport (httpcore) falls to about 130 pages/s at 32
concurrent requests against a local nginx, a known httpx problem (encode/httpx#3215), while httpx
over the aiohttp transport reached about 950/s. We keep httpx's API (requests, headers, redirect
construction, content decoding) and let aiohttp move the bytes.

What the aiohttp transport (httpx-aiohttp 0.2) does and does not do, and how this module copes:

* It streams the body (``iter_chunked`` of 16 KiB) and leaves decompression to httpx
  (``auto_decompress=False``), so ``Response.aiter_bytes()`` gives decoded chunks as they arrive
  and the size cap stops reading early. No workaround needed.
* It maps only httpx's connect/read/pool timeouts (to aiohttp's ``sock_connect``/``sock_read``/
  ``connect``); there is no total deadline, so each attempt runs under ``asyncio.timeout``.
* Its exception map sends every ``aiohttp.ClientConnectionError`` (connection refused, DNS
  failure, server disconnect...) to ``httpx.ConnectTimeout``; error messages are therefore built
  from the original aiohttp/OS exception found in ``__cause__``, not from the httpx class.
* It ignores httpx's redirect settings (it always asks aiohttp not to follow), which is what we
  want: redirects are followed here, hop by hop, so each hop is checked against robots.txt and a
  redirect body is never read. The redirect request httpx prepares must be rebuilt, though: the
  transport would send it with an empty chunked body (see ``_redirect_request``).
* By default it builds a plain ``aiohttp.ClientSession`` whose cookie jar would duplicate httpx's;
  we hand it our own session (no cookie jar, DNS cache, connection limits).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import builtins
import codecs
import email.utils
import mimetypes
import os
import random
import re
import socket
import ssl
import stat
import time
import urllib.parse
import urllib.request
import urllib.robotparser
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self

import aiohttp
import charset_normalizer
import httpx
from httpx_aiohttp import AiohttpTransport

from . import __version__
from .errors import FetchError

ROBOTS_TOKEN = "scholarwatch"
"""The product token robots.txt groups are matched against (``User-agent: scholarwatch``)."""

ROBOTS_DISALLOWED = "disallowed by robots.txt"  # the error of a fetch robots.txt does not allow
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to read at least 500 KiB; we stop there.
CONNECT_TIMEOUT_MAX = 10.0  # a host that takes longer than this to accept is down, whatever the read timeout
OFFLOAD_DECODE_BYTES = 64 * 1024  # bigger bodies are decoded in a thread so detection does not stall the loop
SNIFF_BYTES = 4096  # where <meta charset> must appear (HTML's prescan uses 1024; pages in the wild are sloppier)
NUL_SNIFF_BYTES = 1024

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/*;q=0.8,*/*;q=0.5"
# Exactly the codings httpx can decode here (brotli is installed); zstd is left out on purpose.
ACCEPT_ENCODING = "gzip, deflate, br"

TEXT_TYPES = frozenset({"application/xhtml+xml", "application/xml", "application/json"})

# Labels browsers know but Python's codec registry does not.
_LABEL_ALIASES = {
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "gb_2312-80": "gbk",
    "x-gbk": "gbk",
}
# Browsers decode these declared charsets with a superset (WHATWG Encoding Standard): pages labelled
# gb2312 routinely contain GBK-only characters, "iso-8859-1" pages contain windows-1252 quotes, etc.
_SUPERSETS = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
# Text codecs that a web page must not be allowed to select.
_REFUSED_CODECS = frozenset(
    {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7", "mbcs", "oem"}
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")


@dataclass
class FetchResult:
    """Everything the later stages need to know about one fetch, success or not."""

    url: str  # as requested
    final_url: str | None = None  # after redirects (a file:// URI for local files)
    status: int | None = None  # None when no response (connection error, timeout...); local files: 200
    not_modified: bool = False  # True on a 304 answer to a conditional request
    # ``builtins.bytes`` because the field named ``bytes`` below shadows the type in this namespace.
    body: builtins.bytes | None = field(default=None, repr=False)  # decompressed; None on error or 304
    text: str | None = field(default=None, repr=False)  # None on error or 304
    content_type: str | None = None  # media type without parameters, lower-case
    encoding: str | None = None  # Python codec name used to decode, e.g. "utf-8", "cp1252"
    etag: str | None = None
    last_modified: str | None = None
    started_at: float = 0.0  # unix time of the first attempt
    duration: float = 0.0  # seconds, all attempts and waits included
    bytes: int = 0  # decompressed body size received (so far, when the cap stopped us)
    error: str | None = None  # one short line
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """True when there is something to use: a body, or the word that the stored one is current."""
        return self.error is None and (self.body is not None or self.not_modified)

    @property
    def disallowed(self) -> bool:
        """robots.txt does not let us read this page (or a page it redirects to)."""
        return self.error == ROBOTS_DISALLOWED


@dataclass
class _Attempt:
    """The outcome of one attempt; ``error`` None means a usable answer (a body or a 304)."""

    final_url: str
    status: int | None = None
    not_modified: bool = False
    body: bytes | None = None
    content_type: str | None = None
    charset: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    nbytes: int = 0
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


def user_agent(contact: str | None) -> str:
    """Our User-Agent; a contact lets webmasters reach a human instead of blocking the crawler."""
    base = f"{ROBOTS_TOKEN}/{__version__}"
    contact = " ".join((contact or "").split())  # no CR/LF can reach the header
    if not contact:
        return base
    if "@" in contact and ":" not in contact:
        contact = f"mailto:{contact}"
    return f"{base} (+{contact})"


class Fetcher:
    """Async context manager owning one client, the concurrency limits and the robots.txt cache.

    One ``Fetcher`` per run: the connection pool, the per-host semaphores and the robots.txt
    cache only pay off when shared by all the fetches of a run.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        concurrency: int = 32,
        per_host: int = 4,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        retries: int = 2,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
        respect_robots: bool = True,
    ) -> None:
        if concurrency < 1 or per_host < 1:
            raise ValueError("concurrency and per_host must be at least 1")
        if timeout <= 0 or max_bytes <= 0:
            raise ValueError("timeout and max_bytes must be positive")
        if max_redirects < 0 or retries < 0 or backoff < 0 or max_retry_after < 0:
            raise ValueError("max_redirects, retries, backoff and max_retry_after must not be negative")
        self.user_agent = user_agent
        self.concurrency = concurrency
        self.per_host = per_host
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.respect_robots = respect_robots
        self._client: httpx.AsyncClient | None = None
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        ssl_context = httpx.create_ssl_context()
        transport = AiohttpTransport(
            verify=ssl_context,
            limits=httpx.Limits(max_connections=self.concurrency),
            # A factory, not a session: the transport calls it on first use, inside the running loop.
            client=lambda: self._new_session(ssl_context),
        )
        self._client = httpx.AsyncClient(
            transport=transport,
            headers={"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, CONNECT_TIMEOUT_MAX)),
            follow_redirects=False,
            max_redirects=self.max_redirects,
            trust_env=False,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    def _new_session(self, ssl_context: ssl.SSLContext) -> aiohttp.ClientSession:
        """The aiohttp session under the transport: httpx keeps the cookies, so aiohttp keeps none."""
        connector = aiohttp.TCPConnector(
            limit=self.concurrency,
            limit_per_host=self.per_host,
            ssl=ssl_context,
            ttl_dns_cache=300,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
        )

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch one URL or local file; per-URL problems come back in ``error``, never as exceptions.

        ``headers``: extra request headers (a source's ``headers_env``), sent to the source's own origin
        only: they are dropped when a redirect leaves it. Credentials in the URL (``user:pw@``) are sent
        as HTTP basic auth (``httpx.BasicAuth``) the same way, never as part of the address.
        """
        if self._client is None:
            raise RuntimeError("Fetcher.fetch() called outside 'async with Fetcher(...)'")
        result = FetchResult(url=url, started_at=time.time())
        start = time.monotonic()
        try:
            path = _local_path(url)
            if path is None:
                await self._fetch_http(url, etag, last_modified, result, headers or {})
            else:
                await self._fetch_file(path, last_modified, result)
        except FetchError as exc:
            result.error = _one_line(str(exc))
        except Exception as exc:  # the boundary: one bad page must not stop a run (CancelledError is not an Exception)
            result.error = _one_line(f"unexpected {type(exc).__name__}: {exc}")
        if result.error is not None:
            result.body = result.text = None
        result.duration = time.monotonic() - start
        return result

    async def _fetch_http(self, url: str, etag: str | None, last_modified: str | None, result: FetchResult,
                          extra: dict[str, str]) -> None:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL: {exc}") from exc
        if not target.host:
            raise FetchError("invalid URL: no host")
        host = target.host.lower()
        private = dict(extra)  # headers that must not follow a redirect to another origin
        if target.userinfo:  # user:pw@ -> basic auth; the address itself carries no credentials
            request = httpx.Request("GET", target)
            request = next(httpx.BasicAuth(target.username, target.password).sync_auth_flow(request))
            private["Authorization"] = request.headers["Authorization"]
            target = target.copy_with(userinfo=b"")
        result.url = str(target)

        async with self._slot(host):
            allowed = await self._allowed(target)
        if not allowed:
            result.error = ROBOTS_DISALLOWED
            return

        headers: dict[str, str] = dict(private)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        attempt = _Attempt(url)
        for n in range(self.retries + 1):
            result.attempts += 1
            async with self._slot(host):
                attempt = await self._attempt(target, headers, private)
            if attempt.error is None or not attempt.retryable or n == self.retries:
                break
            # Slots are released while we wait, so a slow host does not hold up the others.
            await asyncio.sleep(self._delay(n, attempt.retry_after))

        result.final_url = attempt.final_url
        result.status = attempt.status
        result.content_type = attempt.content_type
        result.bytes = attempt.nbytes
        result.error = attempt.error
        if attempt.error is not None:
            return
        result.etag = attempt.etag
        result.last_modified = attempt.last_modified
        if attempt.not_modified:
            result.not_modified = True
            # A 304 need not repeat the validators; keep the caller's so they can be stored again as-is.
            result.etag = result.etag or etag
            result.last_modified = result.last_modified or last_modified
            return
        assert attempt.body is not None
        await self._fill_text(result, attempt.body, attempt.charset)

    async def _attempt(self, url: httpx.URL, headers: dict[str, str], private: dict[str, str] | None = None
                       ) -> _Attempt:
        """One attempt, redirects included, under one total deadline; network errors become results.

        ``private`` headers (credentials) go to ``url``'s origin only: a redirect elsewhere drops them.
        """
        assert self._client is not None
        request = self._client.build_request("GET", url, headers=headers)
        host = url.host
        status: int | None = None
        redirects = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    response = await self._client.send(request, stream=True)
                    try:
                        status = response.status_code
                        next_request = _redirect_request(response)
                        if next_request is None:
                            return await self._read(response)
                    finally:
                        await response.aclose()  # a redirect body is dropped unread
                    if redirects == self.max_redirects:
                        return _Attempt(str(request.url), status=status, error="too many redirects")
                    redirects += 1
                    request, status = next_request, None
                    if private and (request.url.host != host or request.url.scheme != "https" == url.scheme):
                        for name in private:
                            request.headers.pop(name, None)
                    if request.url.scheme not in ("http", "https"):
                        return _Attempt(
                            str(request.url), error=f"redirect to unsupported URL scheme {request.url.scheme}"
                        )
                    if not await self._allowed(request.url):
                        return _Attempt(str(request.url), error=ROBOTS_DISALLOWED)
        except TimeoutError:
            return _Attempt(str(request.url), status=status, error=f"timed out after {self.timeout:g}s", retryable=True)
        except (httpx.TimeoutException, httpx.NetworkError, aiohttp.ClientConnectionError, OSError) as exc:
            error, retryable = self._describe(exc)
            return _Attempt(str(request.url), status=status, error=error, retryable=retryable)
        except (httpx.HTTPError, aiohttp.ClientError) as exc:
            # Protocol errors, undecodable gzip, unsupported schemes: the same request will fail the same way.
            return _Attempt(str(request.url), status=status, error=_one_line(f"{type(exc).__name__}: {exc}"))

    async def _read(self, response: httpx.Response) -> _Attempt:
        """Turn a final (non-redirect) response into an attempt, reading at most ``max_bytes``."""
        status = response.status_code
        attempt = _Attempt(str(response.url), status=status)
        headers = response.headers
        if status == 304:
            attempt.not_modified = True
            attempt.etag = headers.get("etag")
            attempt.last_modified = headers.get("last-modified")
            return attempt
        if not 200 <= status < 300:
            attempt.error = f"HTTP {status}"
            attempt.retryable = status == 429 or status >= 500
            if status in (429, 503):
                attempt.retry_after = retry_after(headers.get("retry-after"))
            return attempt

        attempt.content_type, attempt.charset = _parse_content_type(headers.get("content-type"))
        if not _is_textual(attempt.content_type):
            attempt.error = f"binary content ({attempt.content_type})"
            return attempt
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            attempt.error = f"response larger than {self.max_bytes} bytes"
            return attempt

        body, complete = await _read_capped(response, self.max_bytes)
        attempt.nbytes = len(body)
        if not complete:
            attempt.error = f"response larger than {self.max_bytes} bytes"
            return attempt
        if attempt.content_type is None and _looks_binary(body):
            attempt.error = "binary content (no content type)"
            return attempt
        attempt.body = body
        attempt.etag = headers.get("etag")
        attempt.last_modified = headers.get("last-modified")
        return attempt

    async def _fetch_file(self, path: str, last_modified: str | None, result: FetchResult) -> None:
        """A local file stands in for a page: same cap, same decoding, mtime as Last-Modified."""
        result.attempts = 1
        mtime, body = await asyncio.to_thread(_read_file, path, last_modified, self.max_bytes)
        result.final_url = Path(path).absolute().as_uri()
        result.status = 200
        result.last_modified = mtime
        if body is None:
            if last_modified == mtime:
                result.not_modified = True
            else:
                result.error = f"file larger than {self.max_bytes} bytes"
            return
        content_type = mimetypes.guess_type(path)[0]
        result.content_type = content_type
        if not _is_textual(content_type) or (content_type is None and _looks_binary(body)):
            result.error = f"binary content ({content_type or 'no content type'})"
            return
        await self._fill_text(result, body, None)

    async def _fill_text(self, result: FetchResult, body: bytes, charset: str | None) -> None:
        if len(body) > OFFLOAD_DECODE_BYTES:
            text, encoding = await asyncio.to_thread(_decode_body, body, charset, result.content_type)
        else:
            text, encoding = _decode_body(body, charset, result.content_type)
        result.body, result.text, result.encoding, result.bytes = body, text, encoding, len(body)

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold a per-host slot, then a global one (in that order, so a queue for one busy host
        does not sit on global slots that other hosts could use)."""
        per_host = self._hosts.get(host)
        if per_host is None:
            per_host = self._hosts[host] = asyncio.Semaphore(self.per_host)
        async with per_host, self._global:
            yield

    async def _allowed(self, url: httpx.URL) -> bool:
        """Whether robots.txt lets us fetch ``url``; fetched once per origin, under a lock so
        concurrent first fetches of a host wait for one download instead of each doing their own."""
        if not self.respect_robots:
            return True
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        if origin not in self._robots:
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._robots:
                    self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(ROBOTS_TOKEN, str(url))

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """Parsed rules, or None (everything allowed) when robots.txt is missing or cannot be read."""
        assert self._client is not None
        try:
            async with asyncio.timeout(self.timeout):
                request = self._client.build_request("GET", f"{origin}/robots.txt")
                for _ in range(self.max_redirects + 1):
                    response = await self._client.send(request, stream=True)
                    try:
                        next_request = _redirect_request(response)
                        if next_request is None:
                            if not 200 <= response.status_code < 300:
                                return None
                            data, _ = await _read_capped(response, ROBOTS_MAX_BYTES)  # rules past the cap are ignored
                            break
                    finally:
                        await response.aclose()
                    request = next_request
                else:
                    return None
        except Exception:  # our policy: a robots.txt we cannot read restricts nothing
            return None
        rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
        rules.parse(data.decode("utf-8", errors="replace").splitlines())
        return rules

    def _delay(self, n: int, retry_after: float | None) -> float:
        """Wait before retry ``n + 1``: the server's Retry-After if it gave one, else exponential
        backoff with jitter (so hosts that failed together are not retried in lockstep); both capped."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        delay: float = self.backoff * 2**n
        return min(delay + random.uniform(0, delay / 4), self.max_retry_after)

    def _describe(self, exc: BaseException) -> tuple[str, bool]:
        """(short reason, worth retrying) for a network failure, read off the original exception:
        the transport's httpx class says little (see module docstring)."""
        for cause in _causes(exc):
            if isinstance(cause, (aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError)):
                return "TLS certificate verification failed", False
            if isinstance(cause, (aiohttp.ClientConnectorDNSError, socket.gaierror)):
                return "DNS lookup failed", True
            if isinstance(cause, (aiohttp.ClientSSLError, ssl.SSLError)):
                return "TLS error", True
            if isinstance(cause, ConnectionRefusedError):
                return "connection refused", True
            if isinstance(cause, aiohttp.ConnectionTimeoutError):
                return f"connect timed out after {min(self.timeout, CONNECT_TIMEOUT_MAX):g}s", True
            if isinstance(cause, aiohttp.ServerDisconnectedError):
                return "server disconnected", True
            if isinstance(cause, ConnectionResetError):
                return "connection reset", True
            if isinstance(cause, aiohttp.ClientPayloadError):
                return "response body cut short", True
            if isinstance(cause, (TimeoutError, httpx.ReadTimeout)):
                return f"timed out after {self.timeout:g}s", True
        return _one_line(f"connection error: {exc}"), True


def _redirect_request(response: httpx.Response) -> httpx.Request | None:
    """The GET for a redirect's target, or None when ``response`` is not a usable redirect.

    httpx builds ``response.next_request`` (Location resolved, Host and cookies updated, credentials
    dropped across origins) around the original request's stream, unread; the aiohttp transport
    sends such a stream as a chunked body, so a redirected GET would go out with
    ``Transfer-Encoding: chunked`` and a stray ``0\\r\\n\\r\\n`` that servers read as a broken
    next request. Rebuilding it without a stream sends a plain body-less GET.
    """
    next_request = response.next_request
    if next_request is None:
        return None
    headers = httpx.Headers(next_request.headers)
    for name in ("content-length", "content-type", "transfer-encoding"):
        headers.pop(name, None)
    return httpx.Request("GET", next_request.url, headers=headers, extensions=next_request.extensions)


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """A stored body as text, decoded as it was when fetched (the charset parameter is not stored, so the
    in-document declaration, then detection, stand in for it)."""
    return _decode_body(body, None, content_type)[0]


def _decode_body(body: bytes, charset: str | None, content_type: str | None) -> tuple[str, str]:
    """Decode a page to text; returns (text, codec name).

    Order: a byte-order mark (it cannot be wrong, so it beats the header, as in browsers), the
    Content-Type charset, an in-document declaration (HTML ``<meta>``, XML declaration), strict
    UTF-8, then charset-normalizer; last resort UTF-8 with replacement characters.
    """
    for bom, bom_encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding

    encoding = _codec(charset)
    if encoding is None and _sniffable(content_type):
        head = body[:SNIFF_BYTES]
        if meta := _META_CHARSET.search(head):
            encoding = _codec(meta.group(1).decode("ascii"))
            if encoding is not None and encoding.startswith("utf-16"):
                encoding = "utf-8"  # HTML: a page that can declare itself in ASCII bytes is not UTF-16
        elif declaration := _XML_ENCODING.search(head):
            encoding = _codec(declaration.group(1).decode("ascii"))
    if encoding is not None:
        return _strip_bom(body.decode(encoding, errors="replace")), encoding

    try:
        return _strip_bom(body.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    detected = _detect(body)
    if detected is not None:
        return _strip_bom(body.decode(detected, errors="replace")), detected
    return _strip_bom(body.decode("utf-8", errors="replace")), "utf-8"


def _detect(body: bytes) -> str | None:
    """charset-normalizer's guess, preferring windows-1252 among equally good candidates: for
    short Western text it often ranks cp1250 or cp1257 first although they decode it differently,
    and windows-1252 is what undeclared legacy pages are written in."""
    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        tied = match.percent_chaos == best.percent_chaos and match.percent_coherence == best.percent_coherence
        if tied and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return _codec(best.encoding) or best.encoding


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, widened to the superset browsers use; None when unknown
    or not something a page may pick (base64, rot13, utf-7...)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(_LABEL_ALIASES.get(label, label))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    return _SUPERSETS.get(info.name, info.name)


def _strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def _sniffable(content_type: str | None) -> bool:
    return content_type is None or "html" in content_type or "xml" in content_type


def _parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """(media type lower-cased without parameters, charset parameter)."""
    if not value:
        return None, None
    media_type = value.split(";", 1)[0].strip().lower() or None
    charset = _CHARSET_PARAM.search(value)
    return media_type, charset.group(1) if charset else None


def _is_textual(content_type: str | None) -> bool:
    """Types we can extract from; +xml/+json suffixes cover feeds (application/atom+xml, rss+xml)."""
    return (
        content_type is None
        or content_type.startswith("text/")
        or content_type in TEXT_TYPES
        or content_type.endswith(("+xml", "+json"))
    )


def _looks_binary(body: bytes) -> bool:
    """NUL bytes early on mean binary, unless a BOM says UTF-16 (where NULs are normal)."""
    if any(body.startswith(bom) for bom, _ in _BOMS):
        return False
    return b"\x00" in body[:NUL_SNIFF_BYTES]


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read the decoded body until ``limit`` bytes; (data, complete). Stops reading as soon as the
    limit is passed. The cap applies after decompression; httpx inflates one transport chunk
    (16 KiB) at a time, which bounds how far past the cap a compression bomb can get."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk[: len(chunk) - (size - limit)])
            return b"".join(chunks), False
        chunks.append(chunk)
    return b"".join(chunks), True


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _local_path(url: str) -> str | None:
    """The filesystem path ``url`` names, or None for http(s). Other schemes are refused."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        return None
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise FetchError(f"unsupported file URL host: {parts.netloc}")
        return urllib.request.url2pathname(parts.path)
    if not scheme or (len(scheme) == 1 and os.name == "nt"):  # "C:\..." parses with scheme "c"
        return os.path.expanduser(url)
    raise FetchError(f"unsupported URL scheme: {scheme}")


def _read_file(path: str, last_modified: str | None, max_bytes: int) -> tuple[str, bytes | None]:
    """(mtime as HTTP-date, body); body None when unchanged (mtime == last_modified) or too large.
    Runs in a thread.

    Only a regular file is read: a named pipe, a device or a socket could block the read forever
    (or never end), so the file is opened without blocking and refused unless it is regular.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise FetchError(f"no such file: {path}") from None
    except PermissionError:
        raise FetchError(f"permission denied: {path}") from None
    except IsADirectoryError:
        raise FetchError(f"is a directory: {path}") from None
    except OSError as exc:
        raise FetchError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FetchError(f"is a directory: {path}")
        if not stat.S_ISREG(info.st_mode):
            raise FetchError(f"not a regular file ({_file_kind(info.st_mode)}): {path}")
        mtime = email.utils.formatdate(info.st_mtime, usegmt=True)
        if last_modified == mtime or info.st_size > max_bytes:
            return mtime, None
        with open(fd, "rb", closefd=False) as handle:
            body = handle.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(body) > max_bytes:  # it grew since fstat()
        return mtime, None
    return mtime, body


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "not a regular file"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _one_line(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
