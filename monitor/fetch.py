"""Fetch homepages over HTTP(S) or from disk, politely and within hard limits.

Client: aiohttp sends the requests and httpx reads the responses (``monitor.transport``): one aiohttp
session per run, each GET handed the ``yarl.URL`` this module parsed and its headers as a dict, each
answer an ``httpx.Response`` whose body httpx decodes. This module does what an HTTP client's upper
layers would (redirects, headers, timeouts, robots.txt, retries), so no ``httpx.AsyncClient`` and no
``httpx.Request`` are made. ``bench/transports.py``, 1,000 conditional GETs against a local nginx at
concurrency 64, CPU per request (two runs, best of 3 and of 5): plain aiohttp about 0.1 ms; this
exchange 0.17 to 0.18 ms; httpx requests handed straight to ``httpx_aiohttp``'s transport (the
fetcher's client before) 0.26 to 0.41 ms; through ``httpx.AsyncClient`` over that transport 0.34 to
0.38 ms; httpx's own transport (httpcore) 2.1 to 2.2 ms (encode/httpx#3215). An unchanged run is
nearly all fetching, so the client's cost per request is the run's cost; httpx stays for what it
does well here (its response model, body decoders and exception tree), and this is the cheapest way
found to keep it.

What aiohttp, httpx and this module each do:

* Bodies are streamed by aiohttp (16 KiB at a time, without decompressing) and decompressed by
  httpx (gzip, deflate, br) one chunk at a time, so the size cap applies after decompression and
  stops reading early. A 16 KiB chunk of gzip inflates to at most about 16 MB, which bounds how far
  past the cap a compression bomb can get.
* Timeouts: aiohttp's socket-connect and socket-read timeouts (``CONNECT_TIMEOUT_MAX``, ``timeout``),
  and one total deadline per attempt (``asyncio.timeout``), redirects included.
* Redirects are followed here, hop by hop (``_send`` stops at each one, see ``_Redirect``; aiohttp
  is told to follow none), so each hop is checked against robots.txt, a redirect body is never
  read, and credentials (basic auth from ``user:pw@``, ``headers_env`` headers) are dropped when a
  hop leaves the source's origin.
* Cookies set by a page are kept for the run in the aiohttp session (aiohttp's cookie jar, scoped by
  domain).
* TLS: the system's trust store when it has one, else certifi's, read into the run's one context at
  its first https request (``Fetcher._trust``): a run with no https address never reads it, and
  aiohttp's own contexts are made without it (``_trust_store_unread``).
* Requests carry our User-Agent, Accept and Accept-Encoding, and no ``Connection`` header (HTTP/1.1
  keeps connections open anyway). A body whose Content-Encoding cannot be decoded fails with
  httpx's ``DecodingError`` (not retried), where aiohttp's was a ``ClientPayloadError``.
* Errors: ``monitor.transport`` raises httpx's error classes from aiohttp's; the one-line reasons
  are read off the original aiohttp/OS exception (``_describe``), which says more than the class. A
  body cut short (``ClientPayloadError``) is a network failure like a reset connection: retried.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import builtins
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
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Self

import httpx
from yarl import URL

from . import __version__
from .decode import BOMS, decode_bytes
from .errors import FetchError


@contextmanager
def _trust_store_unread() -> Iterator[None]:
    """TLS contexts made in this block skip reading the system's CA bundle.

    aiohttp makes two contexts when it is imported, each parsing the whole bundle: about 60 ms, a tenth
    of an unchanged run of 1,000 pages. The fetcher never uses them (it passes its own, which reads the
    bundle at the run's first https request: ``Fetcher._trust``); were one used, it would trust
    nothing and fail closed.
    """
    own = "set_default_verify_paths" in vars(ssl.SSLContext)
    real = ssl.SSLContext.set_default_verify_paths
    ssl.SSLContext.set_default_verify_paths = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        if own:
            ssl.SSLContext.set_default_verify_paths = real  # type: ignore[method-assign]
        else:
            del ssl.SSLContext.set_default_verify_paths


with _trust_store_unread():
    import aiohttp

from .transport import Transport  # noqa: E402  (after aiohttp, whose import is shaped above)


ROBOTS_TOKEN = "scholarwatch"
"""The product token robots.txt groups are matched against (``User-agent: scholarwatch``)."""

ROBOTS_DISALLOWED = "disallowed by robots.txt"  # the error of a fetch robots.txt does not allow
ROBOTS_MAX_BYTES = 512_000  # RFC 9309 asks crawlers to read at least 500 KiB; we stop there.
CONNECT_TIMEOUT_MAX = 10.0  # a host that takes longer than this to accept is down, whatever the read timeout
# A page several sources link (a lab's publication list, a department's news) is asked for once: the same
# request within SHARE_SECONDS gets the answer already given (``Fetcher.fetch_shared``); at most
# SHARE_ANSWERS answers are kept for that, their bodies at most SHARE_BYTES (the least recently asked for go
# first: a page linked from one homepage only is not asked again, and 404s cost no bytes but count).
SHARE_SECONDS = 120.0
SHARE_BYTES = 8 * 1024 * 1024
SHARE_ANSWERS = 1024
OFFLOAD_DECODE_BYTES = 64 * 1024  # bigger bodies are decoded in a thread so detection does not stall the loop
NUL_SNIFF_BYTES = 1024

ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/*;q=0.8,*/*;q=0.5"
# Exactly the codings httpx decodes here (brotli is installed); zstd is left out on purpose.
ACCEPT_ENCODING = "gzip, deflate, br"
REDIRECTS = frozenset({301, 302, 303, 307, 308})

TEXT_TYPES = frozenset({"application/xhtml+xml", "application/xml", "application/json"})

_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.IGNORECASE)


@dataclass
class FetchResult:
    """Everything the later stages need to know about one fetch, success or not."""

    url: str  # as requested
    final_url: str | None = None  # after redirects (a file:// URI for local files)
    status: int | None = None  # None when no response (connection error, timeout...); local files: 200
    not_modified: bool = False  # True on a 304 answer to a conditional request
    # ``builtins.bytes`` because the field named ``bytes`` below shadows the type in this namespace.
    body: builtins.bytes | None = field(default=None, repr=False)  # decompressed; None on error or 304
    text: str | None = field(default=None, repr=False)  # None on error or 304, or when not decoded
    content_type: str | None = None  # media type without parameters, lower-case
    charset: str | None = None  # the charset the Content-Type header declared, as given
    encoding: str | None = None  # Python codec name used to decode, e.g. "utf-8", "cp1252" (None: not decoded)
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


_ShareKey = tuple[str, str | None, str | None, tuple[tuple[str, str], ...]]  # ``Fetcher.fetch_shared``


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
        decode: bool = True,
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
        # False: bodies are left as bytes (``text`` None) for an extraction worker to decode
        # (``decode.decode_bytes``), so the parent never decodes a body that turns out unchanged.
        self.decode = decode
        self._transport: Transport | None = None
        self._tls = _tls_context()
        self._trusted = False  # the trust store is read into ``_tls`` (``_trust``)
        self._headers = {"User-Agent": self.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING}
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        # ``fetch_shared``: request -> (when it was sent, its answer to come), oldest first; the bodies' bytes
        self._shared: OrderedDict[_ShareKey, tuple[float, asyncio.Future[FetchResult]]] = OrderedDict()
        self._shared_bytes = 0

    async def __aenter__(self) -> Self:
        # A factory, not a session: the transport calls it on first use, inside the running loop.
        self._transport = Transport(self._new_session, connect=min(self.timeout, CONNECT_TIMEOUT_MAX),
                                    read=self.timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            await transport.aclose()

    async def _send(self, url: URL, headers: dict[str, str] | None = None) -> httpx.Response:
        """One GET through the transport, its body left unread; a redirect with a Location raises
        ``_Redirect``, its body closed unread (redirects are followed by the caller)."""
        assert self._transport is not None
        if not self._trusted and url.scheme == "https":
            self._trust()
        response = await self._transport.get(url, {**self._headers, **headers} if headers else self._headers)
        if response.status_code in REDIRECTS:
            location = _header(response.headers, "location")
            if location is not None:
                await response.aclose()
                raise _Redirect(response.status_code, location)
        return response

    def _trust(self) -> None:
        """Read the trust store into the run's TLS context, once, before its first https request (a
        few tens of ms, on the loop: no connection can be using the context yet)."""
        _load_trust(self._tls)
        self._trusted = True

    def _new_session(self) -> aiohttp.ClientSession:
        """The aiohttp session under the transport: connection limits, DNS cache, TLS and the run's
        cookies; httpx decompresses, so aiohttp does not."""
        connector = aiohttp.TCPConnector(limit=self.concurrency, limit_per_host=self.per_host, ssl=self._tls,
                                         ttl_dns_cache=300)
        return aiohttp.ClientSession(connector=connector, auto_decompress=False, trust_env=False,
                                     raise_for_status=False)

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    headers: dict[str, str] | None = None) -> FetchResult:
        """Fetch one URL or local file; per-URL problems come back in ``error``, never as exceptions.

        ``headers``: extra request headers (a source's ``headers_env``), sent to the source's own origin
        only: they are dropped when a redirect leaves it. Credentials in the URL (``user:pw@``) are sent
        as HTTP basic auth the same way, never as part of the address.
        """
        if self._transport is None:
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

    async def fetch_shared(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                           headers: dict[str, str] | None = None) -> FetchResult:
        """``fetch`` for a page other sources may ask for too: the same request (address, validators and
        headers alike) made within ``SHARE_SECONDS`` is sent once, and each caller gets its own copy of the
        answer. An answer another try might change (no response, a 5xx, a 429) is not given again."""
        key: _ShareKey = (url, etag, last_modified, tuple(sorted(headers.items())) if headers else ())
        now = time.monotonic()
        entry = self._shared.get(key)
        if entry is not None and now - entry[0] <= SHARE_SECONDS:
            self._shared.move_to_end(key)
            try:
                return replace(await asyncio.shield(entry[1]))
            except asyncio.CancelledError:
                if not entry[1].cancelled():
                    raise  # this caller was cancelled, not the request it waited for
            # the caller that sent it was cancelled: sent again
        answer: asyncio.Future[FetchResult] = asyncio.get_running_loop().create_future()
        self._drop_shared(key)
        self._shared[key] = (now, answer)
        try:
            result = await self.fetch(url, etag=etag, last_modified=last_modified, headers=headers)
        except BaseException:
            answer.cancel()
            self._drop_shared(key, answer)
            raise
        answer.set_result(result)
        if result.error is not None and (result.status is None or result.status >= 500 or result.status == 429):
            self._drop_shared(key, answer)
        elif self._shared.get(key, (0.0, None))[1] is answer:  # (not let go meanwhile for room)
            self._shared_bytes += len(result.body or b"")
            while self._shared and (self._shared_bytes > SHARE_BYTES or len(self._shared) > SHARE_ANSWERS
                                    or now - next(iter(self._shared.values()))[0] > SHARE_SECONDS):
                self._drop_shared(next(iter(self._shared)))
        return replace(result)

    def _drop_shared(self, key: _ShareKey, only: asyncio.Future[FetchResult] | None = None) -> None:
        """Forget a shared answer (``only``: if it is still that one)."""
        entry = self._shared.get(key)
        if entry is None or (only is not None and entry[1] is not only):
            return
        del self._shared[key]
        if entry[1].done() and not entry[1].cancelled():
            self._shared_bytes -= len(entry[1].result().body or b"")

    async def _fetch_http(self, url: str, etag: str | None, last_modified: str | None, result: FetchResult,
                          extra: dict[str, str]) -> None:
        try:
            target = URL(url)
        except (ValueError, TypeError) as exc:
            raise FetchError(f"invalid URL: {exc}") from exc
        if not target.host:
            raise FetchError("invalid URL: no host")
        host = target.host.lower()
        private = dict(extra)  # headers that must not follow a redirect to another origin
        if target.user is not None or target.password is not None:  # user:pw@ -> basic auth, not in the address
            pair = f"{target.user or ''}:{target.password or ''}".encode("utf-8")
            private["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
            target = target.with_user(None)
        result.url = str(target)

        if not self.respect_robots or str(target.origin()) in self._robots:
            allowed = await self._allowed(target)  # known rules: no request, so no slot to wait for
        else:
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

    async def _attempt(self, url: URL, headers: dict[str, str], private: dict[str, str] | None = None
                       ) -> _Attempt:
        """One attempt, redirects included, under one total deadline; network errors become results.

        ``private`` headers (credentials) go to ``url``'s origin only: a redirect elsewhere drops them.
        """
        current, sent = url, dict(headers)
        host = url.host
        status: int | None = None
        redirects = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    try:
                        response = await self._send(current, sent)
                    except _Redirect as hop:  # its body was dropped unread
                        status, location = hop.status, hop.location
                    else:
                        try:
                            status = response.status_code
                            return await self._read(response, current)
                        finally:
                            await response.aclose()
                    if redirects == self.max_redirects:
                        return _Attempt(str(current), status=status, error="too many redirects")
                    redirects += 1
                    try:
                        current = current.with_fragment(None).join(URL(location))
                    except (ValueError, TypeError):
                        return _Attempt(str(current), status=status, error=f"bad redirect location {location!r}")
                    status = None
                    if private and (current.host != host or current.scheme != "https" == url.scheme):
                        for name in private:
                            sent.pop(name, None)
                    if current.scheme not in ("http", "https"):
                        return _Attempt(str(current), error=f"redirect to unsupported URL scheme {current.scheme}")
                    if not await self._allowed(current):
                        return _Attempt(str(current), error=ROBOTS_DISALLOWED)
        except TimeoutError:
            return _Attempt(str(current), status=status, error=f"timed out after {self.timeout:g}s", retryable=True)
        except (httpx.TransportError, httpx.StreamError, httpx.DecodingError, httpx.InvalidURL,
                aiohttp.ClientError, OSError, ValueError) as exc:
            original = _original(exc)
            if isinstance(original, TimeoutError):
                return _Attempt(str(current), status=status, error=f"timed out after {self.timeout:g}s",
                                retryable=True)
            if isinstance(original, (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError)):
                error, retryable = self._describe(exc)
                return _Attempt(str(current), status=status, error=error, retryable=retryable)
            # Protocol errors, undecodable gzip, bad header values: the same request will fail the same way.
            return _Attempt(str(current), status=status, error=_one_line(f"{type(original).__name__}: {original}"))

    async def _read(self, response: httpx.Response, url: URL) -> _Attempt:
        """Turn a final (non-redirect) response to ``url`` into an attempt, reading at most ``max_bytes``."""
        status = response.status_code
        attempt = _Attempt(str(url.with_fragment(None)), status=status)
        headers = response.headers
        if status == 304:
            attempt.not_modified = True
            attempt.etag = _header(headers, "etag")
            attempt.last_modified = _header(headers, "last-modified")
            return attempt
        if not 200 <= status < 300:
            attempt.error = f"HTTP {status}"
            attempt.retryable = status == 429 or status >= 500
            if status in (429, 503):
                attempt.retry_after = retry_after(_header(headers, "retry-after"))
            return attempt

        attempt.content_type, attempt.charset = _parse_content_type(_header(headers, "content-type"))
        if not _is_textual(attempt.content_type):
            attempt.error = f"binary content ({attempt.content_type})"
            return attempt
        length = _header(headers, "content-length") or ""
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
        attempt.etag = _header(headers, "etag")
        attempt.last_modified = _header(headers, "last-modified")
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
        result.body, result.charset, result.bytes = body, charset, len(body)
        if not self.decode:
            return
        if len(body) > OFFLOAD_DECODE_BYTES:
            text, encoding = await asyncio.to_thread(decode_bytes, body, charset, result.content_type)
        else:
            text, encoding = decode_bytes(body, charset, result.content_type)
        result.text, result.encoding = text, encoding

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Hold a per-host slot, then a global one (in that order, so a queue for one busy host
        does not sit on global slots that other hosts could use)."""
        per_host = self._hosts.get(host)
        if per_host is None:
            per_host = self._hosts[host] = asyncio.Semaphore(self.per_host)
        async with per_host, self._global:
            yield

    async def _allowed(self, url: URL) -> bool:
        """Whether robots.txt lets us fetch ``url``; fetched once per origin, under a lock so
        concurrent first fetches of a host wait for one download instead of each doing their own."""
        if not self.respect_robots:
            return True
        origin = str(url.origin())
        if origin not in self._robots:
            lock = self._robots_locks.setdefault(origin, asyncio.Lock())
            async with lock:
                if origin not in self._robots:
                    self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(ROBOTS_TOKEN, str(url))

    async def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """Parsed rules, or None (everything allowed) when robots.txt is missing or cannot be read, or
        forbids us nothing (``robots_rules``)."""
        try:
            async with asyncio.timeout(self.timeout):
                current = URL(f"{origin}/robots.txt")
                for _ in range(self.max_redirects + 1):
                    try:
                        response = await self._send(current)
                    except _Redirect as hop:
                        current = current.with_fragment(None).join(URL(hop.location))
                        continue
                    try:
                        if not 200 <= response.status_code < 300:
                            return None
                        data, _ = await _read_capped(response, ROBOTS_MAX_BYTES)  # rules past the cap are ignored
                        break
                    finally:
                        await response.aclose()
                else:
                    return None
        except Exception:  # our policy: a robots.txt we cannot read restricts nothing
            return None
        return robots_rules(data.decode("utf-8", errors="replace"), origin)

    def _delay(self, n: int, retry_after: float | None) -> float:
        """Wait before retry ``n + 1``: the server's Retry-After if it gave one, else exponential
        backoff with jitter (so hosts that failed together are not retried in lockstep); both capped."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        delay: float = self.backoff * 2**n
        return min(delay + random.uniform(0, delay / 4), self.max_retry_after)

    def _describe(self, exc: BaseException) -> tuple[str, bool]:
        """(short reason, worth retrying) for a network failure, read off the original exception:
        the wrapping httpx class says little, so the causes are searched, outermost first."""
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
    if any(body.startswith(bom) for bom, _ in BOMS):
        return False
    return b"\x00" in body[:NUL_SNIFF_BYTES]


async def _read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read the decoded body until ``limit`` bytes; (data, complete). Stops reading as soon as the
    limit is passed. The cap applies after decompression, which httpx does one transport chunk
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


def _header(headers: httpx.Headers, name: str) -> str | None:
    """The first value of a response header, as aiohttp's ``headers.get`` gives it (httpx's joins
    repeated headers with commas)."""
    values = headers.get_list(name)
    return values[0] if values else None


class _Redirect(Exception):
    """A redirect, its body closed unread: ``Fetcher._send`` stops at each one, and ``Fetcher._attempt``
    follows it (joined with yarl, checked against robots.txt) as the next hop."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(status, location)
        self.status, self.location = status, location


def _original(exc: BaseException) -> BaseException:
    """The aiohttp (or OS) exception the transport mapped to an httpx one, else ``exc`` itself."""
    if isinstance(exc, httpx.HTTPError) and isinstance(exc.__cause__, (aiohttp.ClientError, OSError)):
        return exc.__cause__
    return exc


def _tls_context() -> ssl.SSLContext:
    """What ``ssl.create_default_context()`` makes for a client (certificates and host names verified),
    speaking HTTP/1.1 as aiohttp's does, with no trust store yet (``_load_trust``)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.set_alpn_protocols(["http/1.1"])
    return context


def _load_trust(context: ssl.SSLContext) -> None:
    """The system's trust store when it has one; else certifi's bundle, as on a minimal container image
    without CA certificates."""
    paths = ssl.get_default_verify_paths()
    if (paths.cafile and os.path.exists(paths.cafile)) or (paths.capath and os.path.isdir(paths.capath)
                                                           and any(os.scandir(paths.capath))):
        context.load_default_certs()
        return
    import certifi

    context.load_verify_locations(cafile=certifi.where())


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


def robots_rules(text: str, origin: str) -> urllib.robotparser.RobotFileParser | None:
    """A robots.txt's rules for our token, or None when none of them forbids anything: then every
    address is allowed, and ``can_fetch`` (a parse of the address and a walk of the rules at every
    request, about a twentieth of an unchanged check) is never asked. Most sites' files forbid
    nothing, or only other robots."""
    rules = urllib.robotparser.RobotFileParser(f"{origin}/robots.txt")
    rules.parse(text.splitlines())
    # what ``can_fetch`` reads: the first group naming our token, else the ``*`` group; a rule line
    # with allowance False is a Disallow with a path (an empty Disallow is read as an allowance)
    group = next((e for e in rules.entries if e.applies_to(ROBOTS_TOKEN)), rules.default_entry)
    if group is None or all(line.allowance for line in group.rulelines):
        return None
    return rules


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
