#!/usr/bin/env python3
"""The fetch path's HTTP client, measured: conditional GETs of N local pages through the monitor's own
exchange (``monitor.transport``: an aiohttp request, an httpx response), httpx requests sent straight to
``httpx_aiohttp``'s transport (what the fetcher did before), the same through ``httpx.AsyncClient``,
plain aiohttp, and httpx's own transport (httpcore). ``httpx-aiohttp`` comes with the ``bench`` extra.

    .venv/bin/python bench/transports.py --n 1000          # serves bench pages from nginx (or Python)

Each client makes N requests with If-None-Match / If-Modified-Since (answered 304, the unchanged
run), then N plain GETs reading the body (200, the first run), at the given concurrency; best of
--rounds rounds. Prints requests/s and CPU seconds per 1,000 requests. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Awaitable, Callable

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the page generator and the servers)

from monitor.transport import Transport  # noqa: E402

Getter = Callable[[str, dict[str, str]], Awaitable[tuple[int, int, dict[str, str]]]]


async def _drive(get: Getter, urls: list[str], validators: dict[str, dict[str, str]], concurrency: int) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> None:
        async with gate:
            status, _, headers = await get(url, validators.get(url, {}))
            if status == 200:
                found = {}
                if "etag" in headers:
                    found["If-None-Match"] = headers["etag"]
                if "last-modified" in headers:
                    found["If-Modified-Since"] = headers["last-modified"]
                validators[url] = found
            elif status != 304:
                raise RuntimeError(f"{url}: HTTP {status}")

    t0 = time.perf_counter()
    await asyncio.gather(*(one(u) for u in urls))
    return time.perf_counter() - t0


def _session(concurrency: int) -> aiohttp.ClientSession:
    """The aiohttp session under the transports measured here: the limits, no cookies, no decompression."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency),
                                 cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False)


async def httpx_aiohttp(urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    transport = AiohttpTransport(client=lambda: _session(concurrency))
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        return await _rounds(_httpx_get(client), urls, concurrency, rounds)


async def monitor_transport(urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    """``monitor.transport.Transport``, as ``monitor.fetch.Fetcher._send`` uses it: a parsed URL and a
    dict of headers in, an ``httpx.Response`` out, its body decoded by httpx."""
    transport = Transport(lambda: _session(concurrency), connect=10.0, read=20.0)
    return await _sent(lambda url, headers: transport.get(URL(url), headers), transport.aclose, urls,
                       concurrency, rounds)


async def httpx_to_transport(urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    """``httpx.Request`` objects handed to ``httpx_aiohttp``'s transport, as the fetcher did before."""
    transport = AiohttpTransport(client=lambda: _session(concurrency))
    extensions = {"timeout": httpx.Timeout(20.0).as_dict()}
    return await _sent(lambda url, headers: transport.handle_async_request(
        httpx.Request("GET", url, headers=headers, extensions=extensions)), transport.aclose, urls, concurrency, rounds)


async def _sent(send: Callable[[str, dict[str, str]], Awaitable[httpx.Response]], close: Callable[[], Awaitable[None]],
                urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    """The rounds of a transport called directly: ``send`` makes the response, read here, then closed."""
    async def get(url: str, headers: dict[str, str]) -> tuple[int, int, dict[str, str]]:
        response = await send(url, headers)
        try:
            return await _read_httpx(response)
        finally:
            await response.aclose()

    try:
        return await _rounds(get, urls, concurrency, rounds)
    finally:
        await close()


async def _read_httpx(response: httpx.Response) -> tuple[int, int, dict[str, str]]:
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
    return response.status_code, size, {k.lower(): v for k, v in response.headers.items()
                                        if k.lower() in ("etag", "last-modified")}


async def httpx_default(urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, follow_redirects=False) as client:
        return await _rounds(_httpx_get(client), urls, concurrency, rounds)


def _httpx_get(client: httpx.AsyncClient) -> Getter:
    async def get(url: str, headers: dict[str, str]) -> tuple[int, int, dict[str, str]]:
        async with client.stream("GET", url, headers=headers) as response:
            return await _read_httpx(response)
    return get


async def plain_aiohttp(urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as session:
        async def get(url: str, headers: dict[str, str]) -> tuple[int, int, dict[str, str]]:
            async with session.get(url, headers=headers, allow_redirects=False) as response:
                size = 0
                async for chunk in response.content.iter_chunked(16384):
                    size += len(chunk)
                return response.status, size, {k.lower(): v for k, v in response.headers.items()
                                               if k.lower() in ("etag", "last-modified")}
        return await _rounds(get, urls, concurrency, rounds)


async def _rounds(get: Getter, urls: list[str], concurrency: int, rounds: int) -> dict[str, float]:
    first, unchanged = [], []
    for _ in range(rounds):
        validators: dict[str, dict[str, str]] = {}
        c0 = time.process_time()
        first.append((await _drive(get, urls, validators, concurrency), time.process_time() - c0))
        c0 = time.process_time()
        unchanged.append((await _drive(get, urls, validators, concurrency), time.process_time() - c0))
    n = len(urls)
    best_first, best_unchanged = min(first), min(unchanged)
    return {"200/s": n / best_first[0], "200 cpu s/1k": 1000 * best_first[1] / n,
            "304/s": n / best_unchanged[0], "304 cpu s/1k": 1000 * best_unchanged[1] / n}


CLIENTS = {"monitor.transport": monitor_transport, "httpx straight to transport": httpx_to_transport,
           "httpx + aiohttp transport": httpx_aiohttp, "plain aiohttp": plain_aiohttp,
           "httpx default transport": httpx_default}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scholarwatch-transports-"))
    server: bench.Server | None = None
    try:
        pages = bench.generate(args.n, work / "site", seed=1)
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        server = bench.NginxServer(nginx, work / "site", work, False) if nginx else bench.PythonServer(work / "site")
        base = server.start()
        urls = [base + p.url_path for p in pages]
        print(f"{args.n} pages from {server.name}, concurrency {args.concurrency}, best of {args.rounds} rounds")
        for name, run in CLIENTS.items():
            figures = asyncio.run(run(urls, args.concurrency, args.rounds))
            print(f"  {name:<28} " + "  ".join(f"{k} {v:7.2f}" if "cpu" in k else f"{k} {v:7.0f}"
                                               for k, v in figures.items()))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
