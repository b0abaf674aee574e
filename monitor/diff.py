"""Typed changes between two extracted pages: pure functions, no I/O.

Items are matched by identity, not position, so reordering, renumbering and restyling produce no
event: papers by normalised title with fuzzy tolerance (case, punctuation, a fixed typo, a wrapped
line, zero-width characters), untitled papers by their text, news by text, announcements by kind.
"""

from __future__ import annotations

import re

from typing import Callable, Sequence, TypeVar

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .extract.cues import find_year, venue_core
from .models import Announcement, Event, NewsItem, Page, Publication, news_key, norm, paper_key

T = TypeVar("T")
TITLE_SAME = 90.0  # rapidfuzz ratio at or above which two titles are the same paper
TEXT_SAME = 85.0  # the same for news items and untitled papers (first 200 characters)
TYPO_CHARS = 3  # a title edit this small is a typo fix, not news
ANNOUNCEMENT_SAME = 60.0  # below this, the same kind of announcement is a new one


def _text_similarity(a: str, b: str) -> float:
    """Order-insensitive similarity, so "A and B accepted" and "B and A accepted" are the same news."""
    na, nb = norm(a), norm(b)
    return max(fuzz.ratio(na, nb), fuzz.token_sort_ratio(na, nb))


def _match(old: Sequence[T], new: Sequence[T], key: Callable[[T], str], threshold: float
           ) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """One-to-one matching: exact keys first, then the most similar remaining pairs above threshold."""
    pairs: list[tuple[T, T]] = []
    old_left = list(range(len(old)))
    new_left = list(range(len(new)))
    by_key: dict[str, list[int]] = {}
    for i in old_left:
        by_key.setdefault(key(old[i]), []).append(i)
    for j in list(new_left):
        bucket = by_key.get(key(new[j]))
        if bucket:
            i = bucket.pop(0)
            pairs.append((old[i], new[j]))
            old_left.remove(i)
            new_left.remove(j)
    if old_left and new_left:
        scored = []
        for i in old_left:
            ki = key(old[i])
            for j in new_left:
                kj = key(new[j])
                s = max(fuzz.ratio(ki, kj), fuzz.token_sort_ratio(ki, kj))
                if s >= threshold:
                    scored.append((s, i, j))
        scored.sort(reverse=True)
        used_i: set[int] = set()
        used_j: set[int] = set()
        for _, i, j in scored:
            if i not in used_i and j not in used_j:
                used_i.add(i)
                used_j.add(j)
                pairs.append((old[i], new[j]))
        old_left = [i for i in old_left if i not in used_i]
        new_left = [j for j in new_left if j not in used_j]
    return pairs, [old[i] for i in old_left], [new[j] for j in new_left]


def _match_cut_titles(pairs: list, removed: list[Publication], added: list[Publication]
                      ) -> tuple[list, list[Publication], list[Publication]]:
    """A title cut at a line break in one version and whole in the other is one paper."""
    for a in list(removed):
        ka = paper_key(a)
        for b in added:
            kb = paper_key(b)
            short, long = sorted((ka, kb), key=len)
            if a.title and b.title and len(short.split()) >= 5 and long.startswith(short):
                pairs.append((a, b))
                removed.remove(a)
                added.remove(b)
                break
    return pairs, removed, added


def _paper_data(p: Publication) -> dict:
    return {"title": p.title, "venue": p.venue, "year": p.year, "authors": p.authors, "links": p.links,
            "text": p.text}


# "To appear at EMNLP 2024" and "EMNLP 2024" say the same: the paper is accepted there either way.
_ACCEPTED = frozenset({"to appear", "accepted", "in press", "forthcoming"})


_DOI = re.compile(r"\b(?:doi:\s*)?10\.\d{4,9}/\S+", re.I)


def _venue_parts(venue: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(years, statuses, acronyms) a venue states; a DOI's digits are not a year, an arXiv id dates a preprint."""
    bare = _DOI.sub(" ", venue)
    core = venue_core(bare)
    years = {c for c in core if c.isdigit()}
    if not years and (year := find_year(bare)):
        years.add(str(year))
    pairs = {c for c in core if " " in c and c.rsplit(" ", 1)[-1].isdigit()}
    acronyms = {c.split(" ")[0] for c in pairs} | {c for c in core if c.isupper() and " " not in c and not c.isdigit()}
    statuses = set(core) - years - pairs - acronyms - _ACCEPTED
    return frozenset(years), frozenset(statuses), frozenset(acronyms)


def _spelled_out(acronym: str, text: str) -> bool:
    """The other side names the same venue in full: the acronym's letters open its capitalised words
    ("PAMI" in "Pattern Analysis and Machine Intelligence"), or the acronym is written there."""
    if acronym.lower() in text.lower():
        return True
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w-]*", text) if w[0].isupper())
    return re.sub(r"[^A-Z]", "", acronym.upper()) in initials.upper()


def venue_changed(before: str | None, after: str | None) -> bool:
    """A venue changes when what it says changes (preprint -> ICLR 2025, 2024 -> 2025, + Oral), not its
    wording: "[ACL 2022]" and "[ACL 2022] The 60th Annual Meeting of the ACL" are the same venue."""
    if norm(before) == norm(after):
        return False
    if not before or not after:
        return True
    a, b = _venue_parts(before), _venue_parts(after)
    if any(a) and any(b):
        years_a, status_a, acro_a = a
        years_b, status_b, acro_b = b
        if (years_a and years_b and years_a != years_b) or status_a != status_b:
            return True  # a year written where there was none (a DOI replaced by the year) says nothing new
        # a badge or an expansion adds or drops an acronym ("AAAI2025 AAAI Conference ... 2025"); a
        # different venue names another one (ICLR -> ICML)
        if not (acro_a and acro_b) or acro_a == acro_b:
            return False
        extra_a, extra_b = acro_a - acro_b, acro_b - acro_a
        return not (all(_spelled_out(x, after) for x in extra_a) and all(_spelled_out(x, before) for x in extra_b))
    na, nb = norm(before), norm(after)
    return not (na in nb or nb in na) or a != b


def diff_papers(old: Sequence[Publication], new: Sequence[Publication]) -> list[Event]:
    pairs, removed, added = _match(old, new, paper_key, TITLE_SAME)
    pairs, removed, added = _match_cut_titles(pairs, removed, added)
    events: list[Event] = []
    for p in added:
        events.append(Event(type="paper_added", key=paper_key(p), title=p.title, text=p.text, data=_paper_data(p)))
    for a, b in pairs:
        data = _paper_data(b)
        ta, tb = norm(a.title), norm(b.title)
        if a.title and b.title and ta != tb and Levenshtein.distance(ta, tb) > TYPO_CHARS \
                and not (ta.startswith(tb) or tb.startswith(ta)):  # a cut-off title made whole is not news
            events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="title",
                                before=a.title, after=b.title, data=data))
        if venue_changed(a.venue, b.venue):
            if b.venue or not a.venue or norm(a.venue) not in ("preprint", "arxiv", "arxiv preprint"):
                events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="venue",
                                    before=a.venue, after=b.venue, data=data))
        if a.authors and b.authors and [norm(x) for x in a.authors] != [norm(x) for x in b.authors]:
            events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="authors",
                                before=", ".join(a.authors), after=", ".join(b.authors), data=data))
        if set(a.links.values()) != set(b.links.values()) and a.links and b.links:
            events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="links",
                                before=" ".join(sorted(a.links.values())), after=" ".join(sorted(b.links.values())),
                                data=data))
    for p in removed:
        events.append(Event(type="paper_removed", key=paper_key(p), title=p.title, text=p.text, data=_paper_data(p)))
    return events


def diff_news(old: Sequence[NewsItem], new: Sequence[NewsItem]) -> list[Event]:
    _, removed, added = _match(old, new, news_key, TEXT_SAME)
    events = [Event(type="news_added", key=news_key(n), text=n.text,
                    data={"date": n.date, "parsed_date": n.parsed_date, "links": n.links}) for n in added]
    events += [Event(type="news_removed", key=news_key(n), text=n.text, data={"date": n.date}) for n in removed]
    return events


def diff_announcements(old: Sequence[Announcement], new: Sequence[Announcement]) -> list[Event]:
    """New kinds, and a kind whose sentence now says something else ("joining X" -> "joining Y")."""
    before = {a.kind: a.text for a in old}
    new_kinds = {a.kind for a in new}
    events = [Event(type="announcement", key=a.kind, kind=a.kind, text=a.text) for a in new
              if a.kind not in before or _text_similarity(before[a.kind], a.text) < ANNOUNCEMENT_SAME]
    events += [Event(type="announcement_removed", key=a.kind, kind=a.kind, text=a.text)
               for a in old if a.kind not in new_kinds]
    return events


def diff_profile(old: Page, new: Page) -> list[Event]:
    events = []
    for field in ("position", "affiliation"):
        before, after = getattr(old.profile, field), getattr(new.profile, field)
        if norm(before) != norm(after) and (before or after):
            events.append(Event(type="profile_changed", key=field, field=field, before=before, after=after))
    return events


def diff_pages(old: Page, new: Page) -> list[Event]:
    """Every change from ``old`` to ``new``, additions and updates before removals."""
    return (diff_papers(old.publications, new.publications) + diff_news(old.news, new.news)
            + diff_announcements(old.announcements, new.announcements) + diff_profile(old, new))


def item_count(page: Page) -> int:
    return len(page.publications) + len(page.news)


def is_suspect(old: Page | None, new: Page) -> str | None:
    """Why a new page should not be believed yet (None when it looks like a normal edit)."""
    if new.error_page:
        return "looks like an error page"
    if old is None:
        return None
    before, after = item_count(old), item_count(new)
    if before >= 3 and after == 0:
        return f"came back empty (had {before} items)"
    if before >= 6 and after < before * 0.5:
        return f"lost most of its items ({before} -> {after})"
    return None
