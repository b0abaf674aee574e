"""monitor.transport: which httpx error stands for which aiohttp one (the exchange itself is tested
through the fetcher, against a real server, in ``test_fetch``)."""

from __future__ import annotations

import aiohttp
import httpx
import pytest
from yarl import URL

from monitor.transport import mapped

KEY = aiohttp.client_reqrep.ConnectionKey("example.org", 80, False, True, None, None, None)
OS_ERROR = ConnectionRefusedError(111, "Connection refused")


@pytest.mark.parametrize(("error", "expected"), [
    (aiohttp.ServerDisconnectedError(), httpx.NetworkError),
    (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.NetworkError),
    (aiohttp.ClientConnectorError(KEY, OS_ERROR), httpx.ConnectError),
    (aiohttp.ClientConnectorDNSError(KEY, OSError(-2, "Name or service not known")), httpx.ConnectError),
    (aiohttp.ConnectionTimeoutError(), httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError(), httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError(), httpx.TimeoutException),
    (aiohttp.ClientPayloadError("cut"), httpx.ReadError),
    (aiohttp.InvalidUrlClientError(URL("http://")), httpx.UnsupportedProtocol),
    (aiohttp.NonHttpUrlClientError(URL("ftp://example.org/")), httpx.UnsupportedProtocol),
])
def test_aiohttp_errors_become_httpx_errors(error: Exception, expected: type[httpx.HTTPError]) -> None:
    result = mapped(error)
    assert type(result) is expected and str(result) == str(error)


@pytest.mark.parametrize("error", [ValueError("bad header"), OSError("disk"), aiohttp.ClientResponseError(None, ())])
def test_other_errors_are_not_mapped(error: Exception) -> None:
    assert mapped(error) is None
