"""Typed changes between two extracted pages: pure functions, no I/O.

Items are matched by identity, not position, so reordering, renumbering and restyling produce no
event: papers by normalised title with fuzzy tolerance (case, punctuation, a fixed typo, a wrapped
line, zero-width characters), untitled papers by their text, news by text, announcements by kind.

Items seen before on the source are not new when they come back (``drop_returning``): not once they
were announced, not after the page lost them in bulk (a broken build, a hosting problem), and not
when the page is an older version again (a revert: all it shows was on a page read before).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence, TypeVar

from .models import Announcement, Event, NewsItem, Page, Publication, news_key, norm, paper_key

T = TypeVar("T")
TITLE_SAME = 90.0  # rapidfuzz ratio at or above which two titles are the same paper
TEXT_SAME = 85.0  # the same for news items and untitled papers (first 200 characters)
TYPO_CHARS = 3  # a title edit this small is a typo fix, not news
VENUE_SAME = 90.0  # rapidfuzz ratio at or above which two venue names without year, status or acronym are one
ANNOUNCEMENT_SAME = 60.0  # below this, the same kind of announcement is a new one
LINK_REWRITE_MIN = 4  # this many papers or more whose links all change at once,
LINK_REWRITE_SHARE = 0.5  # out of this share of the papers with links, is the site rewriting its links


def _text_similarity(a: str, b: str) -> float:
    """Order-insensitive similarity, so "A and B accepted" and "B and A accepted" are the same news."""
    from rapidfuzz import fuzz  # here, not at the top: a run whose pages are all unchanged never needs it

    na, nb = norm(a), norm(b)
    return max(fuzz.ratio(na, nb), fuzz.token_sort_ratio(na, nb))


def _match(old: Sequence[T], new: Sequence[T], key: Callable[[T], str], threshold: float
           ) -> tuple[list[tuple[T, T]], list[T], list[T]]:
    """One-to-one matching: exact keys first, then the most similar remaining pairs above threshold."""
    from rapidfuzz import fuzz

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


RETITLED = 0.6  # share of the shorter title's words found in the longer one, for a paper whose authors stay


def _match_retitled(pairs: list, removed: list[Publication], added: list[Publication]
                    ) -> tuple[list, list[Publication], list[Publication]]:
    """A paper renamed on acceptance ("Schema Curation via ..." -> "Human Schema Curation via ...") keeps its
    authors and much of its title, or its link: one paper with a new title, not a removal and an addition."""
    words = {id(p): set(norm(p.title).split()) for p in [*removed, *added]}
    authors = {id(p): frozenset(norm(a).split()[-1] for a in p.authors if norm(a)) for p in [*removed, *added]}
    scored = []
    for a in removed:
        for b in added:
            if not (a.title and b.title):
                continue
            wa, wb = words[id(a)], words[id(b)]
            overlap = len(wa & wb) / max(1, min(len(wa), len(wb)))
            same_people = bool(authors[id(a)]) and authors[id(a)] == authors[id(b)]
            same_link = bool(set(a.links.values()) & set(b.links.values()))
            if (same_people and (overlap >= RETITLED or same_link)) or (overlap >= 0.8 and min(len(wa), len(wb)) >= 4):
                scored.append((overlap + same_people + same_link, id(a), id(b), a, b))
    used: set[int] = set()
    for _, ia, ib, a, b in sorted(scored, key=lambda x: x[0], reverse=True):
        if ia in used or ib in used:
            continue
        used |= {ia, ib}
        pairs.append((a, b))
        removed.remove(a)
        added.remove(b)
    return pairs, removed, added


def _paper_data(p: Publication) -> dict:
    return {"title": p.title, "venue": p.venue, "year": p.year, "authors": p.authors, "links": p.links,
            "text": p.text}


# "To appear at EMNLP 2024" and "EMNLP 2024" say the same: the paper is accepted there either way.
_ACCEPTED = frozenset({"to appear", "accepted", "in press", "forthcoming"})


_DOI = re.compile(r"\b(?:doi:\s*)?10\.\d{4,9}/\S+", re.I)


def _venue_parts(venue: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(years, statuses, acronyms) a venue states; a DOI's digits are not a year, an arXiv id dates a preprint."""
    # imported here: its vocabulary takes 6 ms to compile, and a run that finds every page unchanged
    # never compares a venue
    from .scholarly import find_year, venue_core

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
    if not a[0] or not b[0]:  # a year written on one side only says nothing new (it moved to the year field)
        a, b = (frozenset(), a[1], a[2]), (frozenset(), b[1], b[2])
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
    if na in nb or nb in na:
        return a != b
    from rapidfuzz import fuzz

    return fuzz.ratio(na, nb) < VENUE_SAME  # the same name with a typo fixed or a word added is the same venue


def diff_papers(old: Sequence[Publication], new: Sequence[Publication]) -> list[Event]:
    from rapidfuzz.distance import Levenshtein

    pairs, removed, added = _match(old, new, paper_key, TITLE_SAME)
    pairs, removed, added = _match_cut_titles(pairs, removed, added)
    pairs, removed, added = _match_retitled(pairs, removed, added)
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
        if a.authors and b.authors and _author_signature(a.authors) != _author_signature(b.authors):
            events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="authors",
                                before=", ".join(a.authors), after=", ".join(b.authors), data=data))
        if set(a.links.values()) != set(b.links.values()) and a.links and b.links:
            events.append(Event(type="paper_updated", key=paper_key(b), title=b.title, field="links",
                                before=" ".join(sorted(a.links.values())), after=" ".join(sorted(b.links.values())),
                                data=data))
    for p in removed:
        events.append(Event(type="paper_removed", key=paper_key(p), title=p.title, text=p.text, data=_paper_data(p)))
    return _without_link_rewrite(events, sum(1 for a, b in pairs if a.links and b.links))


def _author_signature(authors: Sequence[str]) -> list[tuple[str, str]]:
    """Each author as (surname, first initial): 'Chen Change Loy' and 'C. C. Loy' are one person written
    two ways, and a list reformatted to initials names the same people."""
    out = []
    for name in authors:
        words = norm(name).replace("-", " ").split()
        out.append((words[-1], words[0][0]) if words else ("", ""))
    return out


def _without_link_rewrite(events: list[Event], linked: int) -> list[Event]:
    """Without the links' changes when most papers' links change in one edit: a site that renames its
    files or moves its PDFs (a bibliography tool's new naming) says nothing about any one paper."""
    moved = sum(1 for e in events if e.field == "links")
    if moved >= LINK_REWRITE_MIN and moved >= LINK_REWRITE_SHARE * linked:
        return [e for e in events if e.field != "links"]
    return events


def _dated_news_key(n: NewsItem) -> str:
    return returning_key("news", news_key(n), date=n.date)


def diff_news(old: Sequence[NewsItem], new: Sequence[NewsItem]) -> list[Event]:
    # same text and date first, so that of two items with one text ("One paper accepted to T-PAMI.")
    # the one with the new date is the one added
    _, old_left, new_left = _match(old, new, _dated_news_key, 101.0)
    _, removed, added = _match(old_left, new_left, news_key, TEXT_SAME)
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
    gone: dict[str, list[str]] = {}  # one sentence that said two things ("graduating, and on the market")
    for a in old:  # is withdrawn once
        if a.kind not in new_kinds:
            gone.setdefault(a.text, []).append(a.kind)
    events += [Event(type="announcement_removed", key=kinds[0], kind=kinds[0], text=text,
                     data={"kinds": kinds} if len(kinds) > 1 else {}) for text, kinds in gone.items()]
    return events


def diff_profile(old: Page, new: Page) -> list[Event]:
    """One event for a profile that changed: a move changes the position and the place together."""
    parts = ("position", "affiliation")
    changed = [part for part in parts if norm(getattr(old.profile, part)) != norm(getattr(new.profile, part))
               and (getattr(old.profile, part) or getattr(new.profile, part))]
    if len(changed) == 1:
        part = changed[0]
        return [Event(type="profile_changed", key=part, field=part, before=getattr(old.profile, part),
                      after=getattr(new.profile, part))]
    if not changed:
        return []

    def both(page: Page) -> str | None:
        return "; ".join(x for x in (page.profile.position, page.profile.affiliation) if x) or None

    return [Event(type="profile_changed", key="profile", field="position and affiliation", before=both(old),
                  after=both(new))]


def diff_pages(old: Page, new: Page) -> list[Event]:
    """Every change from ``old`` to ``new``, additions and updates before removals."""
    return (diff_papers(old.publications, new.publications) + diff_news(old.news, new.news)
            + diff_announcements(old.announcements, new.announcements) + diff_profile(old, new))


ADDED = {"paper_added": "paper", "news_added": "news", "announcement": "announcement"}


@dataclass
class Gone:
    """Keys of items the source showed before but not on its last accepted page, by kind ("paper",
    "news", "announcement"); ``settled`` are those never to be announced again: already announced
    once, or lost when the page lost most of its items at once."""

    keys: dict[str, set[str]] = field(default_factory=dict)
    settled: dict[str, set[str]] = field(default_factory=dict)

    def has(self, kind: str, key: str, *, settled: bool = False) -> bool:
        return key in (self.settled if settled else self.keys).get(kind, set())


def drop_returning(events: list[Event], gone: Gone, *, revert: bool = False) -> list[Event]:
    """The events without additions that are items coming back rather than new ones.

    An item announced before, or lost in bulk, is never announced again. On a ``revert`` (the page
    shows nothing that an older version did not) no item seen before is. Otherwise an older item the
    page lists again (one it showed when first read, say) is reported with the edit that brings it
    back, as an author re-listing old work on purpose would expect.
    """
    def known(e: Event, settled: bool = False) -> bool:
        return gone.has(ADDED[e.type], returning_key(ADDED[e.type], e.key, e.text, e.data.get("date")),
                        settled=settled)

    return [e for e in events if e.type not in ADDED or not (known(e, settled=True) or (revert and known(e)))]


def item_keys(page: Page) -> frozenset[str]:
    """What a page lists, for telling an older version shown again (papers and news)."""
    return frozenset(["paper:" + paper_key(p) for p in page.publications]
                     + ["news:" + returning_key("news", news_key(n), date=n.date) for n in page.news])


def is_revert(page: Page, older: Sequence[frozenset[str]]) -> bool:
    """The page lists nothing that one older version did not: an old version deployed again."""
    keys = item_keys(page)
    return bool(keys) and any(keys == old for old in older)


def returning_key(kind: str, key: str, text: str | None = None, date: str | None = None) -> str:
    """An item's identity across time: its key; for an announcement (keyed by kind) its sentence too,
    and for news its date too ("One paper accepted to T-PAMI." is news again with another date)."""
    if kind == "announcement":
        return f"{key}:{norm(text)[:200]}"
    if kind == "news":
        return f"{key}@{norm(date)}"
    return key


def item_count(page: Page) -> int:
    return len(page.publications) + len(page.news)


OUTAGE_SHARE = 0.1  # a page left with at most this share of its items lost (nearly) everything


def is_outage(old: Page | None, new: Page) -> str | None:
    """Why a page is not the source's page at all (None when it is): an error page served with a success
    status, or a page that lost (nearly) everything. Such a check fails, however long it lasts; it is
    never read as a list of removals."""
    if new.error_page:
        return "looks like an error page" + (f" ({new.title[:80]!r})" if new.title else "")
    if old is None:
        return None
    before, after = item_count(old), item_count(new)
    if before >= 3 and after <= before * OUTAGE_SHARE:
        return f"the page lost (nearly) all its items ({before} -> {after}): treated as an outage"
    return None


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
