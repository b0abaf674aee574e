"""Meaning-preserving rewrites of the corpus pages: a reader sees the same page, so extraction must not change.

    python -m tests.rewrites                 # every rewrite, extraction figures next to the untouched pages
    python -m tests.rewrites --only noattrs

Each rewrite is a small function from HTML to HTML: section headings renamed to synonyms outside the
extractor's vocabulary, every class and id removed, headings restyled as bold paragraphs, extra wrappers
around list items, ordered lists for unordered ones. Markdown and text pages are left as they are.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
from pathlib import Path
from typing import Callable

from monitor.extract.cues import heading_kind

from .scoring import SCORER, report, score

_HEADING = re.compile(r"<(h[1-6])(\b[^>]*)>(.*?)</\1>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
SYNONYMS = {"publications": "Scholarly Output", "news": "Happenings"}


def synonyms(html: str) -> str:
    def swap(m: re.Match) -> str:
        kind = heading_kind(" ".join(_TAGS.sub(" ", m.group(3)).split()))
        if kind in SYNONYMS:
            return f"<{m.group(1)}{m.group(2)}>{SYNONYMS[kind]}</{m.group(1)}>"
        return m.group(0)
    return _HEADING.sub(swap, html)


def noattrs(html: str) -> str:
    return re.sub(r"""\s(?:class|id)\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", "", html, flags=re.I)


def boldheads(html: str) -> str:
    return _HEADING.sub(lambda m: f"<p><b>{m.group(3)}</b></p>", html)


def wrappers(html: str) -> str:
    html = re.sub(r"(<li\b[^>]*>)", r"\1<div><span>", html, flags=re.I)
    return re.sub(r"(</li>)", r"</span></div>\1", html, flags=re.I)


def ordered(html: str) -> str:
    return re.sub(r"<(/?)ul\b", r"<\1ol", html, flags=re.I)


REWRITES: dict[str, Callable[[str], str]] = {
    "synonyms": synonyms, "noattrs": noattrs, "boldheads": boldheads, "wrappers": wrappers, "ordered": ordered,
}


def rewritten_corpus(rewrite: Callable[[str], str], root: Path) -> Path:
    """A corpus folder whose newest HTML pages are rewritten; labels unchanged."""
    corpus = SCORER.parent
    (root / "pages").mkdir(parents=True)
    (root / "labels").mkdir()
    for label in sorted((corpus / "labels").glob("*.json")):
        data = json.loads(label.read_text())
        newest = data["versions"][-1]
        data["versions"] = [newest]
        data["transitions"] = []
        src = corpus / newest["file"]
        dest = root / newest["file"]
        text = src.read_text(encoding="utf-8", errors="replace")
        dest.write_text(rewrite(text) if src.suffix in (".html", ".htm") else text, encoding="utf-8")
        (root / "labels" / label.name).write_text(json.dumps(data))
    return root


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted(REWRITES))
    args = ap.parse_args()
    print("untouched\n" + report(score(only="extraction")))
    for name, rewrite in REWRITES.items():
        if args.only and name != args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            print(f"\n{name}\n" + report(score(rewritten_corpus(rewrite, Path(tmp)), only="extraction")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
