"""The pages of one source's site as the one ``Page`` that is stored, diffed and alerted on (pure).

A paper on both the homepage and the publications page is one paper: the same key (or a title the
diff would call the same, ``diff.TITLE_SAME``), and the richer record is kept (a venue, a year,
authors, more links). News items are one when their text and date are; announcements when their kind
is. The homepage's own items are taken as they are (its duplicates included, as when it is the only
page), and the profile, the bio and the error-page verdict are the homepage's.

Every item remembers the pages that list it (``Merged.origins``), so the pipeline can tell an item
that only a newly read page brings (a page followed for the first time holds old papers, not news)
from a new one. Relative links of a followed page's items are resolved against that page, since the
reports resolve what stays relative against the homepage.

The site's content hash covers every page: for a homepage alone it is the hash of its body, as before
sites had more than one page, so an unchanged single page stays unchanged across the upgrade.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import TypeVar
from urllib.parse import urljoin

from .diff import TITLE_SAME
from .models import Announcement, NewsItem, Page, Publication, news_key, norm, paper_key
from .safe import safe_url
from .site import is_web

T = TypeVar("T")


@dataclass
class Origin:
    """Where a merged item comes from: the page its kept record was read on, and every page listing it."""

    chosen: str
    pages: set[str] = field(default_factory=set)


@dataclass
class Merged:
    page: Page
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)  # (paper|news|announcement, key)


def site_hash(parts: list[tuple[str, str]]) -> str:
    """One hash for (page address, body hash) pairs, homepage first; a homepage alone keeps its body's hash."""
    if len(parts) == 1:
        return parts[0][1]
    lines = "\n".join(f"{url}\t{digest}" for url, digest in parts)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def _absolute(link: str, base: str) -> str:
    return link if safe_url(link) or not is_web(base) else urljoin(base, link)


def _paper_richness(p: Publication) -> tuple[int, ...]:
    return (p.venue is not None, p.year is not None, bool(p.authors), len(p.links), len(p.authors), p.title is not None)


def _news_richness(n: NewsItem) -> tuple[int, ...]:
    return (n.parsed_date is not None, len(n.links), len(n.text))


def _merge_items(parts: list[tuple[str, list[T]]], *, key: Callable[[T], Hashable],
                 richness: Callable[[T], tuple[int, ...]], near: Callable[[T, list], Hashable | None] | None = None
                 ) -> tuple[list[T], list[Origin]]:
    """Items of the pages in order, one per identity (``key``, or ``near`` on the keys taken so far):
    the homepage's all stay; a followed page's item that is already there adds its page, and replaces
    the kept record when it is richer."""
    merged: list[T] = []
    where: list[Origin] = []
    by_key: dict[Hashable, int] = {}
    for n, (url, items) in enumerate(parts):
        added: dict[Hashable, int] = {}
        for item in items:
            k = key(item)
            i = by_key.get(k)
            if i is None and n and near is not None and by_key:
                close = near(item, list(by_key))
                i = by_key[close] if close is not None else None
            if i is None or n == 0:  # the homepage's own items all stay, as on a single page
                merged.append(item)
                where.append(Origin(chosen=url, pages={url}))
                added.setdefault(k, len(merged) - 1)
                continue
            where[i].pages.add(url)
            if richness(item) > richness(merged[i]):
                merged[i], where[i].chosen = item, url
        for k, i in added.items():
            by_key.setdefault(k, i)
    return merged, where


def _near_title(p: Publication, keys: list) -> Hashable | None:
    """The key of a titled paper the diff would call the same (``TITLE_SAME``), if any."""
    titled = [k for k in keys if not k.startswith("text:")]
    if not p.title or not titled:
        return None
    from rapidfuzz import fuzz, process  # here: a run whose sites are all unchanged never needs it

    best = process.extractOne(paper_key(p), titled, scorer=fuzz.ratio, score_cutoff=TITLE_SAME)
    return best[0] if best else None


def _merge_papers(parts: list[tuple[str, Page]], origins: dict[tuple[str, str], Origin]) -> list[Publication]:
    pages = [(url, [replace(p, links={k: _absolute(v, url) for k, v in p.links.items()}, found_on=url) if n
                    else replace(p, found_on=url) for p in page.publications])
             for n, (url, page) in enumerate(parts)]
    merged, where = _merge_items(pages, key=paper_key, richness=_paper_richness, near=_near_title)
    for p, origin in zip(merged, where):
        origins.setdefault(("paper", paper_key(p)), Origin(chosen=origin.chosen)).pages |= origin.pages
    return merged


def _news_identity(n: NewsItem) -> tuple[str, str]:
    return news_key(n), norm(n.parsed_date or n.date)


def _merge_news(parts: list[tuple[str, Page]], origins: dict[tuple[str, str], Origin]) -> list[NewsItem]:
    pages = [(url, [replace(item, links=[_absolute(x, url) for x in item.links]) if n else item
                    for item in page.news])
             for n, (url, page) in enumerate(parts)]
    merged, where = _merge_items(pages, key=_news_identity, richness=_news_richness)
    for item, origin in zip(merged, where):
        origins.setdefault(("news", news_key(item)), Origin(chosen=origin.chosen)).pages |= origin.pages
    return merged


def _merge_announcements(parts: list[tuple[str, Page]], origins: dict[tuple[str, str], Origin]
                         ) -> list[Announcement]:
    merged: list[Announcement] = []
    for n, (url, page) in enumerate(parts):
        for a in page.announcements:
            origin = origins.get(("announcement", a.kind))
            if origin is None or n == 0:
                merged.append(a)
                origins.setdefault(("announcement", a.kind), Origin(chosen=url)).pages.add(url)
            else:
                origin.pages.add(url)
    return merged


def merge_pages(parts: list[tuple[str, Page]]) -> Merged:
    """One page from (address, page) pairs, the homepage first and the followed pages in a fixed order."""
    home_url, home = parts[0]
    origins: dict[tuple[str, str], Origin] = {}
    page = Page(profile=home.profile, error_page=home.error_page, bio=home.bio, title=home.title,
                publications=_merge_papers(parts, origins), news=_merge_news(parts, origins),
                announcements=_merge_announcements(parts, origins),
                explain=[{**s, "page": url} for url, p in parts for s in p.explain])
    return Merged(page=page, origins=origins)
