"""An Atom 1.0 feed of recent events, for feed readers (`monitor feed`).

Ids must never change, or readers show old entries as new: the feed id is a URN built from the
database's random ``instance_id`` (written once by migration 0002), and each entry id is a name-based
UUID of that instance and the event id. A feed of some sources only (``monitor feed --source/--tag``)
is a feed of its own: its id is a name-based UUID of the instance and the selection. Built with
ElementTree alone, no extra dependency.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from . import __version__
from .channels import event_links
from .report import describe_event
from .safe import clean_text, safe_url
from .store import Store

ATOM = "http://www.w3.org/2005/Atom"
DEFAULT_TITLE = "scholarwatch: changes on researchers' homepages"
ET.register_namespace("", ATOM)


def _el(parent: ET.Element | None, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    # Every string is cleaned again here: one control character stored by an older version must never
    # make the whole feed invalid XML (see ``safe``).
    attrs = {k: clean_text(v) for k, v in attrs.items()}
    node = ET.Element(f"{{{ATOM}}}{tag}", attrs) if parent is None else ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        node.text = clean_text(text)
    return node


def _content(row: dict[str, Any]) -> str:
    e = html.escape
    body = f"<p>{e(describe_event(row), quote=False)}</p>"
    links = event_links(row)
    if links:
        body += "<p>" + " · ".join(f'<a href="{e(u)}">{e(label, quote=False)}</a>' for label, u in links) + "</p>"
    return body


def feed_id(base: uuid.UUID, scope: str | None) -> str:
    """The whole feed is the database's own URN; a narrower one (``scope``: "Dana Example", "tag nlp")
    derives its id from what it selects, so each selection is one feed to readers, whichever sources
    a tag covers today."""
    return uuid.uuid5(base, f"feed:{scope}").urn if scope else base.urn


def build_feed(store: Store, since: str | None = None, *, include_all: bool = False, title: str | None = None,
               self_url: str | None = None, limit: int = 200, sources: list[str] | None = None,
               scope: str | None = None) -> bytes:
    """The feed document as UTF-8 bytes: every source's events, or those of ``sources`` only, a
    selection ``scope`` describes (it goes into the feed's id and its default title)."""
    base = uuid.UUID(store.instance_id())
    rows = store.recent_events(since, include_all=include_all, limit=limit, sources=sources)
    feed = _el(None, "feed")
    _el(feed, "id", feed_id(base, scope))
    _el(feed, "title", title or (f"scholarwatch: {scope}" if scope else DEFAULT_TITLE))
    updated = rows[0]["detected_at"] if rows else dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    _el(feed, "updated", updated)
    author = _el(feed, "author")
    _el(author, "name", "scholarwatch")
    _el(feed, "generator", "scholarwatch", version=__version__)
    if self_url:
        _el(feed, "link", rel="self", href=self_url)
    for row in rows:
        entry = _el(feed, "entry")
        _el(entry, "id", uuid.uuid5(base, f"event:{row['id']}").urn)
        _el(entry, "title", f"{row['source']}: {describe_event(row)}")
        _el(entry, "updated", row["detected_at"])
        entry_author = _el(entry, "author")
        _el(entry_author, "name", row["source"])
        if safe_url(row.get("source_url")):
            _el(entry, "link", rel="alternate", href=safe_url(row["source_url"]))
        _el(entry, "category", term=row["type"])
        _el(entry, "content", _content(row), type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def write_feed(data: bytes, out: str | Path) -> None:
    """Replace the file atomically, so a web server never serves half a feed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
