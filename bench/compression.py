#!/usr/bin/env python3
"""Which codec and level for stored page bodies (``snapshots.body``): size against time, over the corpus.

    .venv/bin/python bench/compression.py
    .venv/bin/python bench/compression.py --codecs zstd:3,zlib:6

Prints, per codec and level, the stored share of the original bytes and the milliseconds to compress
and to decompress one median page (best of --rounds), with the total over the corpus. Bodies are written
once per changed page and read back only by ``Store.snapshot_body``, so compression time is what a first
run pays. The store writes zstd at ``store.BODY_ZSTD_LEVEL`` (bodies stored before as zlib level 6 are
still read).
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from pathlib import Path
from typing import Callable

import zstandard

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"

Codec = tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]


def codec(name: str, level: int) -> Codec:
    """(compress, decompress) for ``zlib`` or ``zstd`` at ``level``."""
    if name == "zlib":
        return (lambda body: zlib.compress(body, level)), zlib.decompress
    if name == "zstd":
        return zstandard.ZstdCompressor(level=level).compress, zstandard.ZstdDecompressor().decompress
    raise SystemExit(f"unknown codec {name!r} (zlib or zstd)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--codecs", default="zlib:1,zlib:6,zlib:9,zstd:1,zstd:3,zstd:6",
                    help="comma-separated codec:level (default %(default)s)")
    args = ap.parse_args()
    bodies = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
    total = sum(map(len, bodies))
    print(f"{len(bodies)} pages, {total / 1048576:.1f} MiB, median {statistics.median(map(len, bodies)) / 1024:.1f} KiB")
    for spec in args.codecs.split(","):
        name, _, level = spec.partition(":")
        compress, decompress = codec(name, int(level or 3))
        comp_ms, dec_ms, size = [], [], 0
        for body in bodies:
            best_c = best_d = float("inf")
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                packed = compress(body)
                t1 = time.perf_counter()
                decompress(packed)
                t2 = time.perf_counter()
                best_c, best_d = min(best_c, t1 - t0), min(best_d, t2 - t1)
            comp_ms.append(best_c * 1000)
            dec_ms.append(best_d * 1000)
            size += len(packed)
        print(f"  {spec:8s} {100 * size / total:5.1f}% of the bytes, compress {statistics.median(comp_ms):.2f} ms"
              f" (total {sum(comp_ms) / 1000:.2f} s), decompress {statistics.median(dec_ms):.2f} ms per page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
