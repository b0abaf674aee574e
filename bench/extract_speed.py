"""Extraction alone, in this process: milliseconds per page over every version of every corpus page.

    .venv/bin/python bench/extract_speed.py            # median, p90, max, pages/s (best of 3 rounds)
    .venv/bin/python bench/extract_speed.py --rounds 5

Each page is extracted once per round; a page's figure is its best round, so a busy moment on the
machine does not count against the extractor. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from monitor.extract import extract

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def pages() -> list[tuple[Path, str]]:
    out = []
    for label in sorted((CORPUS / "labels").glob("*.json")):
        for version in json.loads(label.read_text())["versions"]:
            path = CORPUS / version["file"]
            out.append((path, path.read_text(encoding="utf-8", errors="replace")))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    corpus = pages()
    best = [float("inf")] * len(corpus)
    for _ in range(args.rounds):
        for i, (path, text) in enumerate(corpus):
            start = time.perf_counter()
            extract(text, url=str(path))
            best[i] = min(best[i], (time.perf_counter() - start) * 1000)
    ms = sorted(best)
    print(f"{len(ms)} pages, best of {args.rounds} rounds: median {statistics.median(ms):.1f} ms, "
          f"p90 {ms[int(len(ms) * 0.9)]:.1f} ms, max {ms[-1]:.1f} ms, {1000 * len(ms) / sum(ms):.0f} pages/s on one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
