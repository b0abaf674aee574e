"""Every extraction result for a set of pages, one JSON line each: what ``tests/test_compiled.py`` compares
between the plain and the compiled build (run as a script, with ``-P``, by each build's interpreter).

    python -P tests/support/extraction_dump.py OUT FILE...

Each file is read four ways (as a worker's job, with link discovery and ``explain``, the job and its
result pickled as they cross to a worker and back; by ``extract`` with its format guessed; with
``explain``; with a per-source CSS selector), twice over: the second round finds the
per-text caches filled and must answer the same. An extraction error is a result too (its class and
words). The first line says which build made the dump: the file each ``monitor`` module came from; the
second, how many objects reading the files left in reference cycles (``cyclic_garbage``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import json
import pickle
import sys
from pathlib import Path
from typing import Any, Callable

TODAY = dt.date(2026, 12, 4)

# inputs at the edges of what a page can be, beside the files
EDGES = {
    "empty": "",
    "blank": " \n\t\n ",
    "binary": "\x00\x01\x02\ufffd\ufffd garbage \x7f",
    "deep": "<div>" * 900 + "deep" + "</div>" * 900,
    "many": "<p>x</p>" * 3000,
    "odd-spaces": "<h2>Publications</h2><ul><li><b>A\u00a0Title\u200b With Odd Spaces</b><br>"
                  "A. Author, B. Author. <i>NeurIPS 2024</i></li><li><b>Second Title Here Now</b><br>"
                  "C. Author. <i>ICML 2023</i></li></ul>",
    "attr-no-value": "<h2 hidden>News</h2><ul><li data-x>Jan 2024: joined the lab</li>"
                     "<li data-y>Feb 2024: gave a talk</li></ul>",
}


def _plain(o: Any) -> Any:
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return repr(o)


def _result(make: Callable[[], Any]) -> str:
    try:
        page = make()
    except Exception as exc:  # an error is part of the result: the same class and words in both builds
        return json.dumps({"error": type(exc).__name__, "message": str(exc)})
    return json.dumps(dataclasses.asdict(page), default=_plain, sort_keys=True, ensure_ascii=False)


def dump(files: list[Path]) -> list[str]:
    from monitor.extract import extract
    from monitor.extract.dom import Limits
    from monitor.worker_process import Job, run_job

    small = Limits(max_depth=400, max_elements=2000)  # "deep" and "many" go past these
    texts = [(f.name, f.read_bytes()) for f in files] + [(k, v.encode("utf-8")) for k, v in EDGES.items()]
    out = []
    for rnd in range(2):
        for name, body in texts:
            text = body.decode("utf-8", errors="replace")
            ways: dict[str, Callable[[], Any]] = {
                "job": lambda: pickle.loads(pickle.dumps(run_job(pickle.loads(pickle.dumps(Job(
                    body=body, charset="utf-8", url=f"http://127.0.0.1/{name}", discover=True, today=TODAY,
                    limits=small, explain=True)))))),
                "extract": lambda: extract(text, url=name, today=TODAY),
                "explain": lambda: extract(text, url=name, today=TODAY, explain=True),
                "selector": lambda: extract(text, url=name, today=TODAY, selectors={"news": "li"}),
            }
            out += [f"{rnd} {way} {name} {_result(make)}" for way, make in ways.items()]
    return out


def cyclic_garbage(files: list[Path]) -> int:
    """How many objects reading ``files`` (as ``extract`` does) left in reference cycles: each holds
    what it refers to (a page's elements) until the cycle collector runs, so the extractor makes none."""
    from monitor.extract import extract

    gc.collect()
    gc.disable()
    try:
        for f in files:
            extract(f.read_bytes().decode("utf-8", errors="replace"), url=f.name, today=TODAY)
        return gc.collect()
    finally:
        gc.enable()


def main(argv: list[str]) -> int:
    out, files = Path(argv[0]), [Path(a) for a in argv[1:]]
    results = dump(files)
    loaded = {name: str(getattr(mod, "__file__", "")) for name, mod in sorted(sys.modules.items())
              if name == "monitor" or name.startswith("monitor.")}
    cycles = json.dumps({"cyclic_garbage": cyclic_garbage(files)})
    out.write_text("\n".join([json.dumps(loaded), cycles, *results]) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
