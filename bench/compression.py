#!/usr/bin/env python3
"""Which zlib level for stored page bodies (``snapshots.body``): size against time, over the corpus.

    .venv/bin/python bench/compression.py

Prints, per level, the stored share of the original bytes and the milliseconds to compress and to
decompress one median page (best of --rounds). Bodies are written once per changed page and read
back only by ``Store.snapshot_body``, so compression time is what a first run pays.
"""

from __future__ import annotations

import argparse
import statistics
import time
import zlib
from pathlib import Path

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "pages"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--levels", default="1,3,6,9")
    args = ap.parse_args()
    bodies = [p.read_bytes() for p in sorted(PAGES.glob("*.html"))]
    total = sum(map(len, bodies))
    print(f"{len(bodies)} pages, {total / 1048576:.1f} MiB, median {statistics.median(map(len, bodies)) / 1024:.1f} KiB")
    for level in (int(x) for x in args.levels.split(",")):
        comp_ms, dec_ms, size = [], [], 0
        for body in bodies:
            best_c = best_d = float("inf")
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                packed = zlib.compress(body, level)
                t1 = time.perf_counter()
                zlib.decompress(packed)
                t2 = time.perf_counter()
                best_c, best_d = min(best_c, t1 - t0), min(best_d, t2 - t1)
            comp_ms.append(best_c * 1000)
            dec_ms.append(best_d * 1000)
            size += len(packed)
        print(f"  level {level}: {100 * size / total:5.1f}% of the bytes, compress {statistics.median(comp_ms):.2f} ms"
              f" (total {sum(comp_ms) / 1000:.2f} s), decompress {statistics.median(dec_ms):.2f} ms per page")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
