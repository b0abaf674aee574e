"""The fetcher's HTTP exchange: a GET sent with aiohttp, answered as an ``httpx.Response``.

Requests are aiohttp's: the address goes as the ``yarl.URL`` the fetcher already parsed and the
headers as the plain dict it built, so nothing is parsed or normalised twice. Responses are httpx's:
the fetcher reads status and headers off ``httpx.Response``, and httpx decodes the body (gzip,
deflate, br) one 16 KiB chunk at a time as it streams (``Response.aiter_bytes``), so the fetcher's
size cap applies after decompression. Errors are httpx's classes (``mapped``), raised from the
aiohttp (or OS) exception, which the fetcher reads for its one-line reasons (``Fetcher._describe``).

Measured (``bench/transports.py``, 1,000 conditional GETs against a local nginx): 0.17 to 0.18 ms of
CPU a request, against 0.26 to 0.41 ms for an ``httpx.Request`` handed to
``httpx_aiohttp.AiohttpTransport``, the fetcher's transport before. An ``httpx.Request`` parses and
validates the address again (some 20 us), and its headers become an ``httpx.Headers`` that aiohttp
then copies back into its own; and that package reads aiohttp's version from the installed metadata
at import (11 ms, a tenth of an unchanged run's start-up).

Redirects, cookies and TLS are not this module's business: aiohttp follows no redirect here (the
fetcher does, hop by hop), decompresses nothing, and the session (``Fetcher._new_session``) holds the
connections, the run's cookies and the TLS context.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import NoReturn

import aiohttp
import httpx
from yarl import URL

__all__ = ["Transport"]

CHUNK = 16 * 1024  # bytes read from the socket at a time; httpx decodes each chunk as it comes

# aiohttp's exception -> httpx's, the first that matches (subclasses before their bases).
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.TimeoutException),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, unreachable, DNS, TLS
    (aiohttp.ClientConnectionError, httpx.NetworkError),  # disconnected, reset
    (aiohttp.ClientPayloadError, httpx.ReadError),  # a body cut short
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidUrlClientError, httpx.UnsupportedProtocol),
)


def mapped(exc: Exception) -> httpx.TransportError | None:
    """The httpx error standing for an aiohttp one; None for any other exception (raised as it is)."""
    for source, target in _ERRORS:
        if isinstance(exc, source):
            return target(str(exc))
    return None


def _raise_mapped(exc: Exception) -> NoReturn:
    """Raise ``exc`` as httpx's error for it (from ``exc``), or as it is when it has none."""
    error = mapped(exc)
    if error is None:
        raise exc
    raise error from exc


class _Body(httpx.AsyncByteStream):
    """A response body as aiohttp reads it, undecoded; closing it releases the connection."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.content.iter_chunked(CHUNK):
                yield chunk
        except Exception as exc:
            _raise_mapped(exc)

    async def aclose(self) -> None:
        await self._response.__aexit__(None, None, None)


class Transport:
    """GETs over the aiohttp session ``session()`` makes at the first request (inside the running loop,
    as aiohttp wants); ``connect`` and ``read`` are its socket-connect and socket-read timeouts."""

    def __init__(self, session: Callable[[], aiohttp.ClientSession], *, connect: float | None,
                 read: float | None) -> None:
        self._factory = session
        self._session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(sock_connect=connect, sock_read=read)

    async def get(self, url: URL, headers: Mapping[str, str]) -> httpx.Response:
        """The response to a GET of ``url``, its body not read yet (close it: ``Response.aclose``)."""
        if self._session is None:
            self._session = self._factory()
        try:
            response = await self._session.request("GET", url, headers=headers, allow_redirects=False,
                                                   auto_decompress=False, compress=False, timeout=self._timeout)
        except Exception as exc:
            _raise_mapped(exc)
        extensions = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode()
        return httpx.Response(response.status, headers=response.raw_headers, stream=_Body(response),
                              extensions=extensions)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
