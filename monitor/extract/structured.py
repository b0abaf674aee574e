"""Papers a page states as data: schema.org JSON-LD, Highwire ``citation_*`` meta tags, BibTeX entries.

Where a page carries them they are exact (a title without badges, the authors as a list, the year), so
they come first: they fill what the visual reading of a record left out, and they stand for the paper
list on a page whose layout yields none. Each reader is a pure function of the parsed page.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, Iterator

from selectolax.lexbor import LexborHTMLParser

from ..models import Publication, norm
from ..scholarly import find_year

_ARTICLE_TYPES: Final = {"scholarlyarticle", "article", "report", "thesis", "book", "chapter", "publicationissue",
                         "techarticle", "creativework"}
# (no letter in it to match in either case: without re.I the engine scans ahead for the "@", twice as fast
# over a page's whole source)
_BIB_ENTRY: Final = re.compile(r"@(\w+)\s*\{\s*[^,\s]*\s*,")
_BIB_FIELD: Final = re.compile(r"(\w+)\s*=\s*", re.I)
_BARE_VALUE: Final = re.compile(r"[\w.-]+")  # a value written without braces or quotes (``year = 2024``)
_VENUE_FIELDS: Final = ("booktitle", "journal", "series", "publisher", "school", "institution", "howpublished")


def structured_papers(tree: LexborHTMLParser, html: str) -> list[Publication]:
    """Every paper the page states as data, each once (by normalised title), in page order. ``html`` is
    the page's source, for cheap looks before a reader walks the tree (most pages state nothing)."""
    seen: set[str] = set()
    out: list[Publication] = []
    found = [*(_json_ld(tree) if "ld+json" in html else ()), *(_citation_meta(tree) if "citation_" in html else ()),
             *(_bibtex(tree) if _BIB_ENTRY.search(html) else ())]
    for pub in found:
        key = norm(pub.title)
        if key and key not in seen:
            seen.add(key)
            out.append(pub)
    return out


# ---------------------------------------------------------------- JSON-LD

def _json_ld(tree: LexborHTMLParser) -> Iterator[Publication]:
    for node in tree.css('script[type="application/ld+json"]'):
        try:
            data = json.loads(node.text() or "null")
        except ValueError:
            continue
        for obj in _objects(data):
            types = obj.get("@type")
            types = {t.lower() for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}
            title = obj.get("headline") or obj.get("name")
            if not (types & _ARTICLE_TYPES) or not isinstance(title, str) or not title.strip():
                continue
            venue = _name(obj.get("isPartOf")) or _name(obj.get("publisher"))
            year = find_year(str(obj.get("datePublished") or ""))
            yield Publication(title=" ".join(title.split()), authors=_people(obj.get("author")), venue=venue,
                              year=year, rule="structured:json-ld")


def _objects(data: Any) -> Iterator[dict]:
    """Every object in a JSON-LD document, ``@graph`` members and nested values included."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(v for k, v in item.items() if k == "@graph" or isinstance(v, (list, dict)))


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _people(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [n for n in (_name(v) for v in items) if n]


# ---------------------------------------------------------------- Highwire meta tags

def _citation_meta(tree: LexborHTMLParser) -> Iterator[Publication]:
    """A page about one paper says so in ``citation_*`` meta tags (as Google Scholar asks)."""
    meta: dict[str, list[str]] = {}
    for node in tree.css("meta[name]"):
        name = (node.attributes.get("name") or "").lower()
        content = node.attributes.get("content")
        if name.startswith("citation_") and content:
            meta.setdefault(name, []).append(" ".join(content.split()))
    titles = meta.get("citation_title")
    title = titles[0] if titles else None
    if not title:
        return
    venue = next((meta[k][0] for k in ("citation_conference_title", "citation_journal_title",
                                        "citation_publisher", "citation_dissertation_institution") if k in meta), None)
    date = (meta.get("citation_publication_date") or meta.get("citation_date") or [""])[0]
    yield Publication(title=title, authors=meta.get("citation_author", []), venue=venue, year=find_year(date),
                      rule="structured:citation-meta")


# ---------------------------------------------------------------- BibTeX

def _bibtex(tree: LexborHTMLParser) -> Iterator[Publication]:
    """BibTeX entries shown or hidden on the page (al-folio keeps one per paper)."""
    root = tree.body
    text = root.text(separator="\n") if root is not None else ""
    if "@" not in text:
        return
    for m in _BIB_ENTRY.finditer(text):
        fields = _bib_fields(text, m.end())
        title = _tex(fields.get("title", ""))
        if not title or m.group(1).lower() in ("string", "preamble", "comment"):
            continue
        venue = next((_tex(fields[k]) for k in _VENUE_FIELDS if fields.get(k)), None)
        authors = [_bib_name(a) for a in _BIB_AND.split(_tex(fields.get("author", ""))) if a.strip()]
        yield Publication(title=title, authors=authors, venue=venue, year=find_year(fields.get("year", "")),
                          rule="structured:bibtex")


def _bib_fields(text: str, pos: int) -> dict[str, str]:
    """``key = {value}`` / ``key = "value"`` / ``key = 2024`` pairs up to the entry's closing brace."""
    fields: dict[str, str] = {}
    while True:
        m = _BIB_FIELD.match(text, pos) or _BIB_FIELD.match(text, _skip_space(text, pos))
        if not m:
            return fields
        pos = m.end()
        if pos >= len(text):
            return fields
        if text[pos] == "{":
            depth, start = 0, pos
            while pos < len(text):  # to the brace that closes this one
                char = text[pos]
                if char == "{":
                    depth += 1
                elif char == "}":
                    depth -= 1
                pos += 1
                if depth == 0:
                    break
            value = text[start + 1:pos - 1] if depth == 0 else text[start + 1:]  # (unclosed: to the end)
        elif text[pos] == '"':
            end = text.find('"', pos + 1)
            end = end if end >= 0 else len(text)
            value, pos = text[pos + 1:end], end + 1
        else:
            m2 = _BARE_VALUE.match(text, pos)  # (matched in place: a slice would copy the rest of the page)
            value = m2.group(0) if m2 else ""
            pos += len(value)
        fields[m.group(1).lower()] = value
        pos = _skip_space(text, pos)
        if pos >= len(text) or text[pos] != ",":
            return fields
        pos += 1


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


_TEX_COMMAND: Final = re.compile(r"\\[a-zA-Z]+\s*|\\.")
_BIB_AND: Final = re.compile(r"\s+and\s+")


def _tex(value: str) -> str:
    """Braces and simple accents out: '{GPT}-4 {\\'e}t{\\'e}' -> 'GPT-4 ete'."""
    value = _TEX_COMMAND.sub("", value)
    return " ".join(value.replace("{", "").replace("}", "").split())


def _bib_name(name: str) -> str:
    """'Last, First' -> 'First Last'."""
    name = " ".join(name.split())
    if "," in name:
        last, first = name.split(",", 1)
        return f"{first.strip()} {last.strip()}".strip()
    return name
