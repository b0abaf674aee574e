"""A stored page as readable lines of text, and the unified diff of two (``monitor diff NAME --text``).

The events say what changed in the monitor's terms (a paper, a venue); this shows what changed on the
page itself, for a reader who wants to see it. Snapshots keep the raw body (zstd-compressed), so any
two can be compared long after the fact. HTML is read with selectolax (lexbor) into one line per block
(paragraph, list item, heading, table row), inline markup joined into its line, scripts, styles and
comments left out; Markdown and plain text are shown as they are. Every line is cleaned (``safe``):
the page is untrusted, and this goes to a terminal.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .errors import MonitorError
from .extract import detect_format
from .decode import decode_body
from .overview import when
from .safe import clean_text
from .store import Store

# Elements that start and end a line of their own.
BLOCKS = frozenset({
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr",
    "ul",
})
# Elements whose content is no text a reader sees on the page.
HIDDEN = frozenset({"head", "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object",
                    "select", "button"})
CELLS = frozenset({"td", "th"})
LISTS = frozenset({"ul", "ol"})
CELL_SEPARATOR = " | "
CONTEXT_LINES = 3  # unchanged lines shown around each change, as in ``diff -u``
IDS_NAMED = 10  # snapshot ids an error lists when asked for one the source does not have


@dataclass
class PageText:
    """One snapshot rendered as text, with the label its side of the diff gets."""

    label: str
    lines: list[str]


class _Lines:
    """Collects text into lines: inline text joins the current line, a block boundary ends it."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []
        self.prefix = ""  # "- " for a list item, "## " for a heading: given to the next line written
        self.pre = 0  # inside <pre>: white space and line breaks are the page's own
        self.depth = 0  # list nesting, for the indentation of list items

    def text(self, text: str) -> None:
        if not self.pre:
            self.parts.append(text)
            return
        first, *rest = text.split("\n")
        self.parts.append(first)
        for line in rest:
            self.end(keep_empty=True)
            self.parts.append(line)

    def end(self, keep_empty: bool = False) -> None:
        raw = "".join(self.parts)
        self.parts = []
        line = raw.rstrip() if self.pre else " ".join(raw.split())
        if line or (keep_empty and self.pre):
            self.lines.append(self.prefix + line)
            self.prefix = ""

    def cell(self) -> None:
        if "".join(self.parts).strip():
            self.parts.append(CELL_SEPARATOR)


def html_lines(html: str) -> list[str]:
    """The page's visible text, one line per block; the document title first."""
    tree = LexborHTMLParser(html)
    out = _Lines()
    title = tree.css_first("head > title")
    if title is not None and title.text().strip():
        out.text(title.text())
        out.end()
    root = tree.body or tree.root
    if root is None:
        return out.lines
    # Iterative, not recursive: a page may nest a few hundred levels deep.
    stack: list[tuple[LexborNode, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag or ""
        if closing:
            if tag in BLOCKS:
                out.end()
            if tag == "pre":
                out.pre -= 1
            if tag in LISTS:
                out.depth -= 1
            continue
        if tag == "-text":
            out.text(node.text_content or "")
            continue
        if not node.is_element_node or tag in HIDDEN:
            continue
        if tag == "br":
            out.end(keep_empty=True)
            continue
        if tag in BLOCKS:
            out.end()
            if tag == "li":
                out.prefix = "  " * max(out.depth - 1, 0) + "- "
            elif tag[0] == "h" and tag[1:].isdigit():
                out.prefix = "#" * int(tag[1:]) + " "
        elif tag in CELLS:
            out.cell()
        if tag == "pre":
            out.pre += 1
        if tag in LISTS:
            out.depth += 1
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(list(node.iter(include_text=True))))
    out.end()
    return out.lines


def page_lines(body: bytes, *, content_type: str | None, url: str | None = None, format: str = "auto") -> list[str]:
    """A stored body as readable lines: HTML rendered to text, Markdown and plain text as they are."""
    text = decode_body(body, content_type)
    fmt = detect_format(text, content_type, url) if format == "auto" else format
    lines = html_lines(text) if fmt == "html" else [line.rstrip() for line in text.splitlines()]
    return [clean_text(line) for line in lines]


def unified(old: PageText, new: PageText, context: int = CONTEXT_LINES) -> list[str]:
    """The unified diff of two renderings (empty when their text is the same)."""
    return list(difflib.unified_diff(old.lines, new.lines, fromfile=old.label, tofile=new.label, lineterm="",
                                     n=context))


def pick_pair(store: Store, name: str, id_from: int | None, id_to: int | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (older, newer) snapshots of source ``name`` to compare: the newest two by default; ``id_to``
    alone compares it with the one before it, ``id_from`` alone with the newest. MonitorError, one line,
    when the source has too few snapshots or not the ones asked for."""
    record = store.source_record(name)
    snaps = store.snapshot_list(record["id"]) if record else []  # newest first
    if not snaps:
        raise MonitorError(f"{name}: no snapshot stored yet: a text diff needs two")
    if len(snaps) == 1 and id_from is None:
        raise MonitorError(f"{name}: only one snapshot so far (id {snaps[0]['id']}): a text diff needs two")
    by_id = {s["id"]: s for s in snaps}
    for flag, wanted in (("--from", id_from), ("--to", id_to)):
        if wanted is not None and wanted not in by_id:
            known = ", ".join(str(s["id"]) for s in snaps[:IDS_NAMED]) + (", ..." if len(snaps) > IDS_NAMED else "")
            raise MonitorError(f"{name}: {flag} {wanted} is no snapshot of this source (its snapshots, newest"
                               f" first: {known}; see `monitor history`)")
    new = by_id[id_to] if id_to is not None else snaps[0]
    if id_from is not None:
        return by_id[id_from], new
    older = [s for s in snaps if s["id"] < new["id"]]
    if not older:
        raise MonitorError(f"{name}: snapshot {new['id']} is the first one stored; give --from ID to compare it"
                           " with another")
    return older[0], new


def snapshot_diff(store: Store, name: str, old: dict[str, Any], new: dict[str, Any], *, format: str = "auto"
                  ) -> list[str]:
    """The unified diff of two snapshots' text (rows of ``Store.snapshot_list``), labelled with their ids
    and times; ``format`` is the source's (auto: read from the content type, the address, the page)."""
    record = store.source_record(name)
    url = record["url"] if record else None
    sides = [PageText(f"{name} snapshot {s['id']} ({when(s['taken_at'])} UTC)",
                      page_lines(store.snapshot_body(s["id"]), content_type=s["content_type"], url=url,
                                 format=format)) for s in (old, new)]
    return unified(*sides)
