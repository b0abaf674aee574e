#!/usr/bin/env python3
"""Experiment: fold the plain-text reader into the HTML pipeline, measured against the text reader.

    .venv/bin/python bench/textfold.py            # both readers on the text seeds and the corpus as text

``text_to_html`` turns plain text into the small HTML document a reader sees in its layout (blank-line
blocks as ``<p>`` with ``<br>``, list markers as ``<ul><li>``, a lone heading-like line as ``<h2>``, a lone
title followed by a lone author or venue line as one record, addresses as links), so ``extract_html``
can read it. The measurement scores both readers on the same text: the plain-text seeds against their
truth, and every corpus page's latest version turned into text the way a browser saves it, against the
labels' ``latest_truth`` (papers by normalised title, news by date). Not part of the package: the fold
measured worse than ``monitor.extract.text`` (see the branch's commit message), so nothing ships from it.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import multiprocessing
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

from monitor import scholarly
from monitor.extract import cues
from monitor.extract.html import _LINK_LABEL, _is_author_line, _is_venue_line, _title_like

_UNDERLINE = re.compile(r"^[=\-~*_#]{3,}$")  # '=====' under a heading, or a horizontal rule
_YEAR_LINE = re.compile(rf"^[\s#=*\-–—\[(]*{scholarly.YEAR}[\s#=*\-–—\])]*:?$")
_BULLET = re.compile(r"^[-*•·▪◦●○►‣–]\s+")  # drawn as a list bullet, not part of the item's text
_NUMBERED = re.compile(r"^(?:\[[A-Za-z]{0,3}\d+\]|\([A-Za-z]?\d+\)|[A-Za-z]?\d{1,3}[.)])\s+")  # '[12]', '(4)', '5.'
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_STOPWORDS = frozenset("a an the of for and or in on at to with via from by into".split())
_HEADING_WORDS = 6  # a section heading is a short phrase
_RECORD_LINES = 8  # a paper's title, authors, venue, links and a note: more lone lines are not one record


def _norm(line: str) -> str:
    """Browsers save non-breaking and zero-width spaces and tabs; layout rules need plain spaces."""
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\t", " ")
    return re.sub(r" {2,}", " ", line).strip()


def _inline(text: str) -> str:
    """Escaped text with its web addresses as links."""
    out, pos = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:")
        out.append(html.escape(text[pos:m.start()]))
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        pos = m.start() + len(url)
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _title_case(line: str) -> bool:
    """Every content word capitalised, as in a heading ('Journal Articles'), unlike a sentence."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’\-]*", line) if w.lower() not in _STOPWORDS and len(w) > 2]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _heading(line: str, alone: bool) -> bool:
    """Whether a line reads as a heading: a year, a section name, capitals, or a short title standing alone."""
    if _YEAR_LINE.match(line):
        return True
    key = line.strip(" #=*:：")
    if not key or re.search(r"[.!?,;]$", key) or _URL.search(key):
        return False
    if _LINK_LABEL.match(key) or _is_venue_line(key):
        return False  # 'PDF | Code' under a paper, or its venue ('ICLR 2021'): parts of a record
    short = len(key.split()) <= _HEADING_WORDS
    if short and cues.heading_kind(key, head_noun=False) is not None and not key[0].islower():
        return True
    if short and key.isupper() and len(re.findall(r"[A-Z]", key)) >= 3:
        return True
    return alone and short and (line.endswith(":") or _title_case(key) and not _NUMBERED.match(line))


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks; a line underlined by '===' or '---' is a block of its own."""
    blocks: list[list[str]] = [[]]
    for line in map(_norm, text.splitlines()):
        if _UNDERLINE.match(line):
            if blocks[-1]:
                blocks[-1:] = [blocks[-1][:-1], [blocks[-1][-1]], []] if len(blocks[-1]) > 1 else [blocks[-1], []]
            continue
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _list_items(block: list[str]) -> list[list[str]] | None:
    """A block whose lines start with list markers, as items (a line without a marker continues the item)."""
    if not (_BULLET.match(block[0]) or _NUMBERED.match(block[0])):
        return None
    items: list[list[str]] = []
    for line in block:
        if _BULLET.match(line) or _NUMBERED.match(line) or not items:
            items.append([_BULLET.sub("", line)])
        else:
            items[-1].append(line)
    return items if len(items) > 1 or len(block) > 1 else None


def _opens_record(blocks: list[list[str]], n: int) -> bool:
    """A lone title line followed by a lone author or venue line: the first line of one paper."""
    if len(blocks[n]) != 1 or n + 1 >= len(blocks) or len(blocks[n + 1]) != 1:
        return False
    nxt = blocks[n + 1][0]
    title = blocks[n][0]
    return _title_like(title) and not _is_author_line(title) and (_is_author_line(nxt) or _is_venue_line(nxt))


def _records(blocks: list[list[str]]) -> list[list[str]]:
    """Lone lines that make one paper together (title, authors, venue, links), as one block.

    Saved pages put each part of a paper box on a line of its own between blank lines; the lines from a
    record's opening title to the next opening title are its parts.
    """
    out: list[list[str]] = []
    record = False
    for n, block in enumerate(blocks):
        opens = _opens_record(blocks, n)
        if not opens and record and len(block) == 1 and len(out[-1]) < _RECORD_LINES \
                and not _heading(block[0], alone=False):
            out[-1].extend(block)
            continue
        out.append(list(block))
        record = opens
    return out


def _menu(blocks: list[list[str]], n: int) -> bool:
    """A lone heading-like line among others like it (a navigation bar saved as text) is an item, no heading."""
    def lone_heading(k: int) -> bool:
        return 0 <= k < len(blocks) and len(blocks[k]) == 1 and _heading(blocks[k][0], alone=True)
    return lone_heading(n - 1) and lone_heading(n + 1) or lone_heading(n + 1) and lone_heading(n + 2) \
        or lone_heading(n - 1) and lone_heading(n - 2)


def text_to_html(text: str) -> str:
    """The HTML a reader would take the text's layout for: headings, paragraphs, lists and links."""
    blocks = _records(_blocks(text))
    out = ["<!doctype html><html><head><title>", html.escape(blocks[0][0] if blocks else ""), "</title></head><body>"]
    for n, block in enumerate(blocks):
        if len(block) == 1 and _heading(block[0], alone=n + 1 < len(blocks)) and not _menu(blocks, n):
            out.append(f"<h2>{_inline(block[0].strip(' #=*'))}</h2>")
            continue
        if len(block) > 1 and _heading(block[0], alone=False):
            out.append(f"<h2>{_inline(block[0].strip(' #=*'))}</h2>")
            block = block[1:]
        items = _list_items(block)
        if items:
            out.append("<ul>" + "".join("<li>" + "<br>".join(map(_inline, item)) + "</li>" for item in items) + "</ul>")
        else:
            out.append("<p>" + "<br>".join(map(_inline, block)) + "</p>")
    out.append("</body></html>")
    return "".join(out)


# ---------------------------------------------------------------- measurement

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
TODAY = datetime.date(2026, 11, 23)
_BLOCK_TAGS = r"p|div|li|ul|ol|h[1-6]|tr|table|section|article|header|footer|nav|dt|dd|blockquote|pre"


def page_as_text(page: str) -> str:
    """An HTML page as a browser saves it as text: block elements and <br> end lines, tags dropped."""
    page = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", page)
    page = re.sub(r"(?i)<br\s*/?>", "\n", page)
    page = re.sub(rf"(?i)</?(?:{_BLOCK_TAGS})\b[^>]*>", "\n\n", page)
    page = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(" ".join(ln.split()) for ln in page.split("\n")))


def _key(text: str | None) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _read(reader: str, text: str):
    from monitor.extract.html import extract_html
    from monitor.extract.text import extract_text
    if reader == "text":
        return extract_text(text, today=TODAY)
    return extract_html(text_to_html(text), today=TODAY)


def _tally(page, truth: dict) -> list[int]:
    """[tp, fp, fn, years right, years compared] for papers (untitled ones by their text), then news by date."""
    want = Counter(_key(p["title"]) if p.get("title") else "~" + _key(p["text"])[:60] for p in truth["publications"])
    have = Counter(_key(p.title) if p.title else "~" + _key(p.text)[:60] for p in page.publications)
    years = {_key(p["title"]): p.get("year") for p in truth["publications"] if p.get("title")}
    known = [p for p in page.publications if p.title and _key(p.title) in years]
    want_news = Counter(n.get("date") for n in truth.get("news", []))
    have_news = Counter(n.date for n in page.news)
    return [sum((want & have).values()), sum((have - want).values()), sum((want - have).values()),
            sum(p.year == years[_key(p.title)] for p in known), len(known),
            sum((want_news & have_news).values()), sum((have_news - want_news).values()),
            sum((want_news - have_news).values())]


def _corpus_page(label: Path) -> dict[str, list[int]]:
    data = json.loads(label.read_text())
    page = SHARED / "corpus" / "pages" / Path(data["versions"][-1]["file"]).name
    text = page_as_text(page.read_text(errors="replace"))
    return {reader: _tally(_read(reader, text), data["latest_truth"]) for reader in ("text", "fold")}


def _seed(truth_path: Path) -> dict[str, list[int]]:
    truth = json.loads(truth_path.read_text())
    text = (SHARED / "seeds" / truth["seed"]).read_text(encoding="utf-8")
    return {reader: _tally(_read(reader, text), truth) for reader in ("text", "fold")}


def _line(name: str, reader: str, rows: list[dict[str, list[int]]]) -> str:
    s = [sum(r[reader][i] for r in rows) for i in range(8)]
    f1 = lambda tp, fp, fn: 2 * tp / (2 * tp + fp + fn) if tp else 0.0  # noqa: E731
    return (f"{name:7} {reader:5} papers tp={s[0]} fp={s[1]} fn={s[2]} F1={f1(*s[:3]):.3f} "
            f"year={s[3] / max(s[4], 1):.3f}  news tp={s[5]} fp={s[6]} fn={s[7]} F1={f1(*s[5:8]):.3f}")


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[1]).parse_args()
    truths = sorted((SHARED / "seeds" / "truth").glob("*.json"))
    seeds = [p for p in truths if json.loads(p.read_text())["format"] == "text"]
    labels = sorted((SHARED / "corpus" / "labels").glob("*.json"))
    with multiprocessing.Pool() as pool:
        seed_rows, corpus_rows = pool.map(_seed, seeds), pool.map(_corpus_page, labels)
    for reader in ("text", "fold"):
        print(_line("seeds", reader, seed_rows))
    for reader in ("text", "fold"):
        print(_line("corpus", reader, corpus_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
