"""Extraction from plain-text pages: what a browser shows when a homepage or a profile listing is saved as text.

Plain text has no tags, so structure has to be read from layout alone: blocks separated by blank lines,
short heading lines, repeated record shapes (date line -> title -> author line -> abstract) and the shape
of single lines (author lists, bibliographic one-liners, dated news lines). Every rule here is generic:
it looks at shapes of lines, never at a particular site, person or title, because users point the
monitor at pages nobody has seen.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Final

from monitor.models import NewsItem, Page, Profile, Publication
from .. import scholarly
from ..memo import MemoTable
from . import cues

# ---------------------------------------------------------------- vocabulary and patterns

_MONTH_RE: Final = rf"(?i:{cues.MONTH})\.?"

# A listing record's first line: an optional short code (a run of capitals, maybe 'cs.XX'-like) glued
# to a date, optionally followed by a short badge word or two ('Code', 'PDF').
_RECORD_HEAD: Final = re.compile(
    rf"^(?P<code>(?:[a-z]{{1,8}}\.)?[A-Z]{{1,6}}(?:[.\-][A-Z]{{1,6}})?)?[\s·•|]*"
    rf"(?P<date>(?P<mon>{_MONTH_RE})\s+(?P<day>\d{{1,2}})(?:,\s*(?P<year>{scholarly.YEAR}))?"
    rf"|(?P<iso>{scholarly.YEAR}-\d{{2}}-\d{{2}}))"
    rf"[\s·•|]*(?P<tail>[A-Z][A-Za-z]*(?:\s+[A-Z][A-Za-z]*){{0,2}})?$"
)

_YEAR_LINE: Final = re.compile(rf"^[\s#=*\-–—\[(]*(?P<year>{scholarly.YEAR})[\s#=*\-–—\])]*:?$")
_COUNT_HEADING: Final = re.compile(r"^\d[\d,]*\s+(papers|publications|preprints|articles|works)$", re.IGNORECASE)
_UNDERLINE: Final = re.compile(r"^[=\-~*_#]{3,}$")
_LIST_MARKER: Final = re.compile(  # '[12]', '[C3]', '(4)', '5.', 'J2)', or a bullet
    r"^(?:\[[A-Za-z]{0,3}\d+\]|\([A-Za-z]?\d+\)|[A-Za-z]?\d{1,3}[.)]|[-*•·▪◦●○►‣–])\s+"
)
_URL: Final = re.compile(r"https?://[^\s<>\"')\]]+")

_STOPWORDS: Final = frozenset(
    "the of for with via in on to from by towards toward using into is are we our at an as and or "
    "what when how why can do does not without under over through beyond".split()
)
_NAME_PARTICLES: Final = frozenset("de da di do del della der den des van von la le du dos das bin ibn al el y zu ter ten"
                                   .split())
_ABBREVIATIONS: Final = frozenset(
    "proc conf int intl vs vol no nos pp eds ed inc dept univ trans symp assoc comput intell mach learn "
    "natl acad sci rev lett phys soc res eng st jr sr dr prof mr ms mrs fig eq sec ch ieee acm".split()
)
_ABSTRACT_CUE: Final = re.compile(
    r"\b(we|our|this (paper|work|survey|study|article|thesis)|in this (paper|work|survey|study))\b", re.IGNORECASE
)
_VENUE_DETAILS: Final = re.compile(r"(?<!\w)(?:(?:volume|pages)(?!\w)|vol\.|pp\.)", re.IGNORECASE)  # where in a journal
_VENUE_ACRONYM: Final = re.compile(
    r"^In\s|\b[A-Z][A-Za-z]*[A-Z][A-Za-z\-]*['’]?\s?(?:19|20)?\d{2}\b"
    r"|\([A-Z][A-Za-z\-&]*[A-Z][A-Za-z\-&]*\),?\s*(?:19|20)\d{2}\b"  # 'Robotics: Science and Systems (RSS) 2019'
)
# ``[:!?"“”\[\]{}=/@]|\b(?:the|of|for|with|we|our|in|on|to|is|are|an?)\b``, written so that every branch
# opens with a character (see ``_NOT_IN_AUTHORS``): the words as ``cues.AND_WORD`` writes "and"
_NOT_IN_NAMES: Final = re.compile(r':|!|\?|"|“|”|\[|\]|\{|\}|=|/|@|' + "|".join(
    rf"{w[0]}(?<=\b{w[0]}){w[1:]}\b" for w in "the of for with we our in on to is are an?".split()))
_SENTENCE_END: Final = re.compile(r"[.!?](?:\s+|$)")
_AFFIL_SPLIT: Final = re.compile(r"\s+[·•|]\s+|\s+[·•]\s*$")
_ETAL: Final = re.compile(r"(?:,?\s*(?:et\s+al\.?|and\s+(?:\d+\s+)?others\.?|…|\.\.\.))\s*$", re.IGNORECASE)
_ETAL_LAST: Final = "lL.sSſ…"  # the characters an ``_ETAL`` match can end with, in any case ("ſ" folds to "s")
# How every ``_ETAL`` match ends (in a line without trailing space): tried on the last characters alone, it
# spares most lines that end with "." a search that tries every position of the line
_ETAL_END: Final = re.compile(r"(?:al\.?|others\.?|…|\.\.\.)$", re.IGNORECASE)
_ETAL_END_LEN: Final = len("others.")

# Words of link buttons next to papers: a line made only of these is a row of links, not a title.
_LINK_LABELS: Final = frozenset(
    "pdf code bib bibtex abs abstract html poster slides slide video talk project page website webpage arxiv cite "
    "url doi blog github data dataset demo paper supp supplementary supplement model models link links preprint "
    "openreview proceedings press media oral spotlight award news".split()
)

_MAX_REFERENCE: Final = 3000  # characters: longer text is not one reference (and would make the readers slow)
_MAX_AUTHORS: Final = 2000  # characters: no author list is longer, so no longer prefix is tried as one
_ABSTRACT_MIN: Final = 300  # characters: shorter prose is a blurb or a bio line, not a paper's abstract


# ---------------------------------------------------------------- small readers


def _venue_cue(s: str) -> bool:
    """Words or an acronym-with-year that say a phrase names a venue."""
    return bool(scholarly.VENUE_NAME_CUE.search(s) or _VENUE_DETAILS.search(s) or _VENUE_ACRONYM.search(s))


def _norm_line(line: str) -> str:
    """Browsers save non-breaking and zero-width spaces; layout rules need plain spaces."""
    line = line.replace("\u00a0", " ").replace("\u200b", "").replace("\t", " ")
    return (_SPACE_RUN.sub(" ", line) if "  " in line else line).strip()


_WORD: Final = re.compile(r"[^\W\d_][\w'’\-]*")
_SPACE_RUN: Final = re.compile(r" {2,}")


def _words(s: str) -> list[str]:
    return _WORD.findall(s)


def _title_case_ratio(s: str) -> float:
    """Share of content words that start with a capital: headings and titles score high, prose low."""
    content = [w for w in _words(s) if w.lower() not in _STOPWORDS and len(w) > 2]
    if not content:
        return 0.0
    return sum(1 for w in content if w[0].isupper()) / len(content)


def _sentences(s: str) -> int:
    return sum(1 for _ in _SENTENCE_END.finditer(s))


def _is_prose(s: str, min_len: int = _ABSTRACT_MIN) -> bool:
    """Several sentences of running text: the shape of an abstract or a bio, not of a title or a list line."""
    return len(s) >= min_len and _sentences(s) >= 2 and _title_case_ratio(s) < 0.6


_DOI: Final = re.compile(r"\bdoi:\s*(10\.\d{4,}/\S+)", re.IGNORECASE)
_ARXIV_ID: Final = re.compile(r"\barXiv:\s*(\d{4}\.\d{4,5})(v\d+)?", re.IGNORECASE)


def _links_from(text: str) -> dict[str, str]:
    """Links a paragraph names, typed by what the surrounding words or the address say they are."""
    links: dict[str, str] = {}
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:")
        before = text[max(0, m.start() - 60):m.start()].lower()
        host = url.split("/")[2].lower() if url.count("/") >= 2 else ""
        if "code" in before or any(h in host for h in ("github", "gitlab", "bitbucket", "huggingface")):
            kind = "code"
        elif "arxiv.org" in host:
            kind = "arxiv"
        elif "doi.org" in host:
            kind = "doi"
        elif url.lower().endswith(".pdf"):
            kind = "pdf"
        elif "project" in before or "website" in before or "page" in before:
            kind = "project"
        else:
            kind = "other"
        links.setdefault(kind, url)
    doi = _DOI.search(text)
    if doi and "doi" not in links:
        links["doi"] = "https://doi.org/" + doi.group(1).rstrip(".,;")
    arx = _ARXIV_ID.search(text)
    if arx and "arxiv" not in links:
        links["arxiv"] = "https://arxiv.org/abs/" + arx.group(1)
    return links


# ---------------------------------------------------------------- dates


def parse_date(s: str, default_year: int | None = None) -> str | None:
    """ISO form ('YYYY', 'YYYY-MM' or 'YYYY-MM-DD') of a string that is one date as pages write it, or None.

    ``default_year`` (a year heading above the line) dates a month or a day written without a year.
    """
    s = s.strip().strip("[]()").strip()
    if not (cues.is_date(s) or default_year and re.fullmatch(_MONTH_RE, s)):
        return None
    return cues.parse_date(s, default_year=default_year)


# ---------------------------------------------------------------- author lists


# (each "[...]+" below written as the class then its run: opening with a class, a pattern is scanned for it)
_TOKEN_MARKS: Final = re.compile(r"[*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰\d][*†‡§¶#¹²³⁴⁵⁶⁷⁸⁹⁰\d]*$")
_INITIALS: Final = re.compile(r"(?:[" + cues.UPPER + r"]\.?-?){1,3}")  # ("Ø." as much as "J.")
_NAME_SEP: Final = re.compile(r"\s*[,;]\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*")
_SURNAME_INITIALS: Final = re.compile(r"(?:[" + cues.UPPER + r"]\.\s*-?){1,3}|[" + cues.UPPER + r"]{1,2}")


def _is_name_token(tok: str) -> bool:
    """One word of a person's name: capitalised, an initial, a particle, or an uncased script (CJK)."""
    tok = _TOKEN_MARKS.sub("", tok)
    if not tok:
        return False
    if tok.lower() in _NAME_PARTICLES:
        return True
    if _INITIALS.fullmatch(tok):
        return True  # initials: 'J.', 'J.-P.', 'JK'
    if tok.endswith("."):
        return False  # a full word ending in a period ends a sentence, not a name
    first = tok[0]
    if not (first.isupper() or (first.isalpha() and not first.islower() and not first.isupper())):
        return False
    return bool(_WORD.fullmatch(tok)) and len(tok) <= 20


def _one_surname(text: str) -> bool:
    """One word, maybe after particles ("Smith", "van Roe"): a surname standing alone."""
    return sum(1 for t in text.split() if t.lower() not in _NAME_PARTICLES) == 1


def _without_elision(s: str) -> str:
    """An elided stretch of an author list, "A, […], B", as the plain ellipsis the name readers skip."""
    return s.replace("[…]", "…").replace("[...]", "…") if "[" in s else s


def bibtex_names(s: str) -> bool:
    """BibTeX's own form of an author list, as a site built from a .bib file can print it: "Roe, Ann and
    Poe, Jo M." (names joined by "and", each surname first with one comma)."""
    parts = s.split(" and ") if " and " in s else []
    return len(parts) >= 2 and all(p.count(",") == 1 for p in parts)


def _split_names(s: str) -> list[str]:
    if bibtex_names(s):
        return [" ".join(reversed([x.strip() for x in p.split(",")])) for p in s.strip().split(" and ")]
    parts = _NAME_SEP.split(s.strip())
    names: list[str] = []
    for p in (p.strip() for p in parts):
        if not p or p.strip("[]() ") in ("…", "..."):
            continue  # (an elided stretch of a long list, "A, B, […], C")
        if names and _SURNAME_INITIALS.fullmatch(p) and _one_surname(names[-1]):
            names[-1] = f"{names[-1]} {p}"  # 'Smith, J.' (or 'van Roe, E.') written surname first
        else:
            names.append(p)
    return names


_INITIAL_AT_END: Final = re.compile(r"\b[A-Z]\.$")
# ``[:!?"“”()\[\]{}=/@]|https?``, each mark an alternative of its own: a pattern whose every branch opens
# with a character is searched for those characters, rather than tried at every position of the line
_NOT_IN_AUTHORS: Final = re.compile(r':|!|\?|"|“|”|\(|\)|\[|\]|\{|\}|=|/|@|https?')


def parse_authors(line: str, *, loose: bool = False) -> list[str] | None:
    """The names of an author line, or None when the line is not one.

    Strict mode wants at least two names (or 'et al.') and mostly multi-word names, so a comma list of
    capitalised title words is not taken for authors; loose mode accepts a single name, for a line whose
    position in a record already says it holds the authors.
    """
    s = line.strip()
    if "·" in s or "•" in s or "|" in s:  # (what every ``_AFFIL_SPLIT`` break holds)
        s = _AFFIL_SPLIT.split(s)[0].strip()
    # "et al." ends the line: one search, and only where the line's last character can end one
    found = _ETAL.search(s) if s[-1:] in _ETAL_LAST and _ETAL_END.search(s, len(s) - _ETAL_END_LEN) else None
    etal = found is not None
    s = (s[:found.start()] if found else s).strip().rstrip(",;").strip()
    if s.endswith(".") and not _INITIAL_AT_END.search(s, len(s) - 2):  # (a match is the last two characters)
        s = s[:-1]
    s = _without_elision(s)
    if not s or len(s) > _MAX_AUTHORS or _NOT_IN_AUTHORS.search(s):
        return None
    names = _split_names(s)
    if not names:
        return None
    multi = 0
    for n in names:
        toks = n.split()
        if not 1 <= len(toks) <= 5 or len(n) > 45:
            return None
        if any(t.lower() in _STOPWORDS and t.lower() not in _NAME_PARTICLES and not t.isupper() for t in toks):
            return None  # (a particle is a name's, "do Vale"; so are initials, "Lima AS")
        if not all(_is_name_token(t) for t in toks):
            return None
        if sum(1 for t in toks if t.lower() not in _NAME_PARTICLES) == 0:
            return None
        multi += len(toks) >= 2
    if loose:
        return names if multi >= max(1, len(names) // 2) else None
    if len(names) < 2 and not etal:
        return None
    if multi < 0.6 * len(names) and not (etal and len(names) == 1):  # ("Roe et al.": APA's first author)
        return None
    return names


_AUTHORS_END: Final = re.compile(r"\.\s+|\.?\s*\((?=" + scholarly.YEAR + r"[a-z]?(?:,[^)]{1,20})?\))")
# ("Doe, J. (2026, January 28). Title": APA dates a preprint or a talk to the day)
_PERIOD_BREAK: Final = re.compile(r"\.\s+")
_INITIAL: Final = re.compile(r"\b[A-Z]\.")
_BARE_INITIAL_AT_END: Final = re.compile(r"\s[A-Z]$")


_AUTHOR_CUTS_MEMO: Final[MemoTable[str, tuple[int, ...]]] = MemoTable(256)


def _author_cuts(s: str) -> tuple[int, ...]:
    """Where an author list opening ``s`` may end, the last first. Cached (for the next few calls: a
    reference is read for its authors strictly, then at once loosely, for one author, when that finds none)."""
    known = _AUTHOR_CUTS_MEMO.answers.get(s)
    if known is None:
        known = _AUTHOR_CUTS_MEMO.keep(s, _compute_author_cuts(s))
    return known


def _compute_author_cuts(s: str) -> tuple[int, ...]:
    stop = _NOT_IN_NAMES.search(s)  # no author list runs past a word or mark that names never hold
    limit = min(stop.start() + 1 if stop else len(s), _MAX_AUTHORS)
    head = s[:limit]
    # without "(" the second alternative of ``_AUTHORS_END`` never matches: its first alone opens with a character
    cuts = [m.start() for m in (_AUTHORS_END if "(" in head else _PERIOD_BREAK).finditer(head)]
    return tuple(sorted(cuts, reverse=True))


def _authors_prefix(s: str, *, loose: bool = False) -> tuple[list[str], str] | None:
    """The longest author list that opens ``s`` and ends at a sentence break, and what follows it.

    Trying every '. ' break from the longest down settles whether 'A.' is an initial or the end of
    the list ('Smith J, Doe A. Title'), which no fixed abbreviation rule can.
    """
    for cut in _author_cuts(s):
        names = parse_authors(s[:cut].rstrip(), loose=loose)
        if not names and s[cut:cut + 2] == ".(":  # "Poe, M.U.(2025)": the break took the initial's period
            names = parse_authors(s[:cut + 1], loose=loose)
        if names:
            if any(_INITIAL.search(n) for n in names) and _BARE_INITIAL_AT_END.search(names[-1]):
                names[-1] += "."  # the list's own initials have periods: the one before the break had one too
            return names, s[cut:].lstrip(". ").strip()
    return None


# ---------------------------------------------------------------- bibliographic one-liners


_ABBREVIATED: Final = re.compile(r"[A-Z]|(?:[A-Z]\.-?)+[A-Z]?")


def _segments(s: str) -> list[str]:
    """Split at '. ' sentence breaks, skipping initials and common bibliographic abbreviations."""
    out: list[str] = []
    start = 0
    for m in _PERIOD_BREAK.finditer(s):
        before = s[start:m.start()].split()
        last = before[-1] if before else ""
        if _ABBREVIATED.fullmatch(last) or last.lower().strip("(") in _ABBREVIATIONS:
            continue
        out.append(s[start:m.start()].strip())
        start = m.end()
    tail = s[start:].strip().rstrip(".").strip()
    if tail:
        out.append(tail)
    return [o for o in out if o]


_END_PUNCTUATION: Final = re.compile(r"[,.;:][,.;:]*$")
_BRACKETS_ONLY: Final = re.compile(r"(?:\[[^\]]*\]\s*)+")
_LETTERS: Final = re.compile(r"[^\W\d_][^\W\d_]*")


def _clean_title(t: str) -> str:
    t = t.strip().strip("\"“”'‘’*_").strip()
    t = _END_PUNCTUATION.sub("", t).strip()
    return cues.without_coauthors(t)


def _plausible_title(t: str) -> bool:
    """Length and shape of a title; rows of link labels ('PDF Code Bib') and dates are not titles."""
    words = t.split()
    if not (2 <= len(words) <= 40 and 8 <= len(t) <= 300) or _URL.match(t) or cues.is_date(t):
        return False
    return not _BRACKETS_ONLY.fullmatch(t) and not _only_link_labels(t)


def _only_link_labels(s: str) -> bool:
    """A row of link buttons ('PDF | Code', 'Project'), or bracketed links ('[Project page] [Slides]')."""
    labels = _LETTERS.findall(s.lower())
    return bool(labels) and all(w in _LINK_LABELS for w in labels)


def parse_bib_line(line: str, *, in_publications: bool = False) -> tuple[Publication, bool] | None:
    """A paper from a one-line reference, and whether authors were found.

    ``in_publications``: the line sits in a list of papers, so a single author ('A. Quinn. Title.
    Venue 2024.') is taken as one.

    Handles the common orders: 'Authors. Title. Venue Year.', 'Authors (Year). Title. Venue.',
    'Authors, "Title," Venue, Year.', 'Title. Authors. Venue Year.' and the comma style
    '[Venue Year] Title, Author, Author' (or 'Title, Author, Author, Venue Year').
    """
    return parse_bib_line_both(line)[0 if in_publications else 1]


def parse_bib_line_both(line: str) -> tuple[tuple[Publication, bool] | None, tuple[Publication, bool] | None]:
    """``parse_bib_line`` in a list of papers and elsewhere, from one pass over the readers: the answer
    elsewhere (the first reading found) is always among the readings the stricter pass goes through."""
    s = _LIST_MARKER.sub("", line.strip()).strip()
    s = _without_elision(s)
    if "..," in s:
        s = s.replace("..,", ".,")  # a slip after an initial ("Roe, J..,")
    if not 20 <= len(s) <= _MAX_REFERENCE:
        return None, None
    first_hit = None
    for reader in _BIB_READERS:
        hit = reader(s)
        first_hit = first_hit or hit
        if hit is not None and hit[1]:
            return hit, first_hit
    inverted = _INVERTED_FIRST.match(s)
    if inverted:  # "Example, Dana. 2020. Title. Journal": the first author surname first, in full
        said = f"{inverted.group(2)} {inverted.group(1)}{s[inverted.end():]}"
        named = _bib_authors_first(said)
        if named is not None and named[1]:
            return named, first_hit or named
        return _bib_one_author(s) or _bib_one_author(said) or first_hit, first_hit
    return _bib_one_author(s) or first_hit, first_hit


def _bib_one_author(s: str) -> tuple[Publication, bool] | None:
    """'A. Quinn. Title. Venue 2024.': one author, for lines already known to list papers."""
    pre = _authors_prefix(s, loose=True)
    if not pre or len(pre[0]) != 1:
        return None
    names, rest = pre
    year_m = _LEAD_YEAR.match(rest)  # "Roe A. (2018). Title. Journal": an author-date reference
    segs = _segments(rest[year_m.end():] if year_m else rest)
    if len(segs) < 2:
        return None
    title = _clean_title(segs[0])
    if not _plausible_title(title):
        return None
    return _bib_pub(title, names, ". ".join(segs[1:]), s), True


_QUOTED: Final = re.compile(r"[\"“](?P<t>[^\"“”]{8,300}?)[,.]?[\"”]")
_LEAD_IN: Final = re.compile(r"^in\s+", re.IGNORECASE)
# the year of an author-date reference, between its authors and its quoted title ("Doe, Jane. 2023.",
# "Doe, J. (2023)."): not part of the names
_YEAR_AFTER_NAMES: Final = re.compile(r"[\s.,]*\(?" + scholarly.YEAR + r"[a-z]?\)?[.,]?$")
# a first author written surname first, in full ("Example, Dana. 2023. ..."): the name as it is said
_INVERTED_FIRST: Final = re.compile(r"([A-Z][\w'’-]+),\s+([A-Z][\w'’-]+(?:\s+[A-Z]\.)?)(?=\s*(?:,|and\b|&|\.\s|\.?$))")


def _bib_quoted(s: str) -> tuple[Publication, bool] | None:
    quoted = _QUOTED.search(s)
    if not quoted:
        return None
    before = s[:quoted.start()].strip().rstrip(",:").strip()
    if any(ch.isdigit() for ch in before[-8:]):  # ("... Poe (2022).", "Example, Dana. 2023.")
        before = _YEAR_AFTER_NAMES.sub("", before)
    inverted = _INVERTED_FIRST.match(before)
    if inverted:
        before = f"{inverted.group(2)} {inverted.group(1)}{before[inverted.end():]}"
    names = (parse_authors(before) or parse_authors(before, loose=True)) if before else None
    title = _clean_title(quoted.group("t"))
    venue = s[quoted.end():].strip(" ,.;:")
    venue = _LEAD_IN.sub("", venue) if venue else venue
    if _plausible_title(title) and (names or venue):
        return _bib_pub(title, names or [], venue or None, s), bool(names)
    return None


_INITIALS_ONLY: Final = re.compile(r"(?:[A-Z]\.?[\s-]*)+")
_LEAD_YEAR: Final = re.compile(rf"^\(?({scholarly.YEAR})[a-z]?(?:,[^)]{{1,20}})?\)?[.,]?\s*")


def _bib_authors_first(s: str) -> tuple[Publication, bool] | None:
    pre = _authors_prefix(s)
    if not pre:
        return None
    names, rest = pre
    if _INITIALS_ONLY.fullmatch(names[-1]):
        return None  # the break fell after an initial ('... and L. Li, Title'): a comma-style reference
    year_m = _LEAD_YEAR.match(rest)
    if year_m:
        rest = rest[year_m.end():]
    segs = _segments(rest)
    if not segs:
        return None
    title, venue = segs[0], ". ".join(segs[1:]) or None
    split = _title_then_venue(title)
    if split:  # 'Authors. Title, Journal, vol. 4, pp. 1-9, 2023.': the title ends where the venue begins
        title, venue = split[0], ". ".join(x for x in (split[1], venue) if x)
    if venue is None and "? " in title:
        title, _, venue = title.rpartition("? ")
        title += "?"
    title = _clean_title(title)
    if not _plausible_title(title) or "," in title and parse_authors(title, loose=True):
        return None  # the break fell inside the author list, not after it
    pub = _bib_pub(title, names, venue, s)
    if pub.year is None and year_m:
        pub.year = int(year_m.group(1))
    return pub, True


def _bib_title_first(s: str) -> tuple[Publication, bool] | None:
    segs = _segments(s)
    if len(segs) < 2:
        return None
    for i in range(1, len(segs)):
        names = parse_authors(segs[i])
        if names:
            title = _clean_title(". ".join(segs[:i]))
            if _plausible_title(title):
                return _bib_pub(title, names, ". ".join(segs[i + 1:]) or None, s), True
            break
    title, venue = _clean_title(segs[0]), ". ".join(segs[1:])
    if _plausible_title(title) and _title_case_ratio(title) >= 0.5 and scholarly.find_year(venue) and len(venue) <= 200 \
            and _venue_cue(venue) and len(segs) <= 3:
        return _bib_pub(title, [], venue, s), False
    return None


_LEAD_VENUE: Final = re.compile(
    rf"^(?P<v>\[[^\]]{{2,60}}\]|[A-Z][\w\-]*(?:\s[A-Z][\w\-]*){{0,2}}\s?['’]?(?:{scholarly.YEAR}|\d{{2}})"
    rf"(?:\s*\([^)]{{1,60}}\))?"
    rf"|(?i:{scholarly.PUBLICATION_STATUS}))"  # where a paper stands, written where a venue would be
    r"\s+(?P<rest>\S.*)$"
)


_DETAIL: Final = re.compile(
    r"(?:vol(?:ume)?\.?|no\.?|pp\.?|pages?|art(?:icle)?\.?|issue|ch(?:apter)?\.?|p\.)\s*[\w\-–:]+"
    r"(?:\s*\(\d+\))?|\(?" + scholarly.YEAR + r"\)?|" + r"[A-Z][a-z]{2,8}\.?\s+" + scholarly.YEAR
    + r"|\d+(?:\(\d+\))?(?::\d+[-–]\d+)?", re.IGNORECASE)


_PROCEEDINGS: Final = re.compile(r"(?:in\s+)?proc(?:eedings|\.)", re.IGNORECASE)


def _venue_piece(piece: str, following: list[str]) -> bool:
    """A comma-separated piece that opens a venue: venue words or an acronym, or a title-case name
    followed only by volume, pages and year ('Pattern Recognition, vol. 142, 2023')."""
    if _venue_cue(piece) or _PROCEEDINGS.match(piece):
        return True
    return bool(following) and _title_case_ratio(piece) >= 0.6 and all(_DETAIL.fullmatch(f.strip(" .")) for f in following) \
        and any(scholarly.find_year(f) for f in following)


def _title_then_venue(segment: str) -> tuple[str, str] | None:
    """'Title, Venue, vol. 4, 2023' -> ('Title', 'Venue, vol. 4, 2023'); None when no piece opens a venue."""
    pieces = [p.strip() for p in segment.split(",")]
    for i in range(1, len(pieces)):
        if _venue_piece(pieces[i], pieces[i + 1:]):
            title = _clean_title(", ".join(pieces[:i]))
            if _plausible_title(title) and not _venue_cue(title):
                return title, ", ".join(pieces[i:])
            return None
    return None


_AND: Final = re.compile(rf"&|{cues.AND_WORD}")
_AUTHOR_MARK_AT_END: Final = re.compile(r"[*†‡][*†‡]*$")  # (the class then its run: see _TOKEN_MARKS)


def _bib_ieee(s: str) -> tuple[Publication, bool] | None:
    """'M. Zhang and Y. Chen, Title, Venue (NeurIPS-18), 2018.' (IEEE style): names, then the title, then
    the venue, all separated by commas."""
    pieces = [p.strip() for p in s.rstrip(" .").split(",")]
    names: list[str] = []
    i = 0
    while i < len(pieces):
        sub = [x.strip() for x in _AND.split(pieces[i]) if x.strip()]
        if not sub or not all(cues.looks_like_name(x) for x in sub):
            break
        names += [_AUTHOR_MARK_AT_END.sub("", x) for x in sub]
        i += 1
    if not names or i >= len(pieces) - 1:
        return None
    rest = ", ".join(pieces[i:])
    segs = _segments(rest)
    if len(segs) >= 2 and _venue_cue(segs[1]) and _plausible_title(_clean_title(segs[0])):
        split: tuple[str, str] | None = (_clean_title(segs[0]), ". ".join(segs[1:]))  # 'Title. Venue, 34(6), 2022'
    else:
        split = _title_then_venue(rest)
    if split is None:
        return None
    return _bib_pub(split[0], names, split[1], s), True


_STATUS: Final = re.compile(scholarly.PUBLICATION_STATUS, re.I)
_TRAILING_NOTES: Final = re.compile(r"(?:[\s,|.]*(?:\([^)]{1,60}\)|\[[^\]]{1,40}\]))+[\s,|]*$|[\s,|]+$")


def _bib_commas(s: str) -> tuple[Publication, bool] | None:
    """'VENUE 2023 Title, A. Author, B. Author' or 'Title, A. Author, B. Author, VENUE 2023': commas only.

    The title ends at the first comma after which everything left reads as an author list, so commas
    inside a title ('Fast, Robust and Controllable') do not cut it.
    """
    venue = None
    m = _LEAD_VENUE.match(s)
    rest = s
    if m and (scholarly.find_year(m.group("v")) or _STATUS.fullmatch(m.group("v"))):
        venue, rest = m.group("v").strip("[]"), m.group("rest")
    bars = rest.split("|")
    while len(bars) > 1 and all(w in _LINK_LABELS for w in _LETTERS.findall(bars[-1].lower())):
        bars.pop()  # trailing '| Project | Code' link labels
    rest = "|".join(bars)
    if rest[-1:] in ",|)]" or rest[-1:].isspace():  # (how any ``_TRAILING_NOTES`` match ends)
        rest = _TRAILING_NOTES.sub("", rest)
    pieces = rest.split(", ")
    if len(pieces) < 2:
        return None
    tail_venue = None
    if venue is None and _venue_line(pieces[-1]) and scholarly.find_year(pieces[-1]):
        tail_venue, pieces = pieces[-1], pieces[:-1]
    while pieces and pieces[-1].strip().lower() in _LINK_LABELS:
        pieces = pieces[:-1]
    for k in range(1, len(pieces)):
        names = parse_authors(", ".join(pieces[k:]))
        if names:
            title = _clean_title(", ".join(pieces[:k]))
            names_first = k >= 2 and parse_authors(", ".join(pieces[:2]))  # an author list cut, not a title
            if _plausible_title(title) and not parse_authors(title) and not names_first:
                return _bib_pub(title, names, venue or tail_venue, s), True
            return None
    return None


_BIB_READERS: Final = (_bib_quoted, _bib_authors_first, _bib_ieee, _bib_title_first, _bib_commas)


def _bib_pub(title: str, names: list[str], venue: str | None, raw: str) -> Publication:
    venue = venue.strip(" .,;") if venue else None
    if venue:
        venue = scholarly.venue_without_details(_URL.sub("", venue)).strip(" .,;") or None
    year = scholarly.find_year(venue) if venue else None
    if year is None:
        year = scholarly.find_year(raw.replace(title, ""))
    return Publication(title=title, authors=names, venue=venue, year=year, links=_links_from(raw))


# ---------------------------------------------------------------- headings


_KINDS: Final = {"publications": "pubs"}  # the shared vocabulary's kinds, in the names the runs below use


@dataclass
class _Heading:
    text: str
    kind: str  # pubs | news | other | neutral | year | sub (unknown: a subsection of what came before)
    year: int | None = None


_HEADING_DECOR: Final = re.compile(r"^(?:\d{1,2}[.)]\s+|[#=*\s]+)|[#=*:\s]+$")  # numbering and underline marks
_LEAD_ORNAMENT: Final = re.compile(r"^[^\w\[(]+")


def _heading(line: str, alone: bool) -> _Heading | None:
    """Whether a line is a heading, and of what kind of section.

    Years and known section names count anywhere in a block; an unknown short title-case line counts
    only when it stands alone, because inside a block it is more likely a title or a name.
    """
    m = _YEAR_LINE.match(line)
    if m:
        return _Heading(m.group("year"), "year", int(m.group("year")))
    if _COUNT_HEADING.match(line):
        return _Heading(line, "pubs")
    key = _HEADING_DECOR.sub("", line).strip()
    key = _LEAD_ORNAMENT.sub("", key).strip()  # a leading emoji or ornament ('🔥 News')
    if not key or len(key) > 60 or len(key.split()) > 6 or re.search(r"[.!?,;]$", key):
        return None
    kind = cues.heading_kind(key, head_noun=False)  # a whole section phrase: a title ending in 'News' is none
    if kind == "other" and _only_link_labels(key):
        kind = None  # 'Project | Code' under a paper is a row of link buttons, not a section
    if kind is not None and not key[0].islower():
        return _Heading(key, _KINDS.get(kind, kind))
    if alone and not _LIST_MARKER.match(line) and key[0].isupper() and not re.search(r"\d", key) \
            and _title_case_ratio(key) >= 0.75 and len(key.split()) <= 5 and not _only_link_labels(key):
        return _Heading(key, "sub")
    return None


# ---------------------------------------------------------------- the extractor


@dataclass
class _Line:
    idx: int  # line number in the document
    block: int  # which blank-line separated block it sits in
    text: str
    sub: _Heading | None = None  # a lone short line: a subsection heading, or a short title standing alone


@dataclass
class _Run:
    """Consecutive lines under one heading: the unit the publication and news rules read."""

    mode: str | None  # pubs | news | other | None (no section named yet, or a neutral one)
    year: int | None  # the year heading the run sits under
    section: str | None
    lines: list[_Line] = field(default_factory=list)


def _blocks(lines: list[str]) -> list[list[int]]:
    """Line numbers of each blank-line separated block."""
    out: list[list[int]] = []
    cur: list[int] = []
    for i, line in enumerate(lines):
        if line:
            cur.append(i)
        elif cur:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _profile_name(lines: list[str]) -> str | None:
    """The page owner's name when the page opens with one, as profile listings and homepages do.

    Saved pages often open with the browser title ('Jane Roe (name in another script) - Homepage',
    'About Me - Jane Roe'), so each part of that line is tried.
    """
    first = next((ln for ln in lines if ln), "")
    for part in re.split(r"\s+[-–—|/·•]\s+|\s*\|\s*", first):
        s = re.sub(r"\s*[(（][^)）]*[)）]", "", part)
        s = re.sub(r"['’]s\s+(home\s*page|homepage|website|personal page|page)$", "", s, flags=re.IGNORECASE)
        s = re.sub(r"^(home\s*page|homepage|website)\s+of\s+", "", s, flags=re.IGNORECASE)
        s = re.split(r",\s*(?:ph\.?\s?d|m\.?d)\b", s, flags=re.IGNORECASE)[0].strip()
        if not s or len(s) > 50 or (h := _heading(s, alone=False)) is not None and h.kind != "sub":
            continue
        if any(w.lower() in _LINK_LABELS | {"personal", "homepage", "home", "about", "me"} for w in s.split()):
            continue
        names = parse_authors(s, loose=True)
        if names and len(names) == 1 and 2 <= len(names[0].split()) <= 4:
            return names[0]
    return None


def _find_records(lines: list[str], today: datetime.date) -> tuple[list[tuple[int, Publication]], set[int]]:
    """Listing records: a dated head line, a title line, an author line, then the abstract.

    Aggregator profiles print papers this way; the shape must repeat (or be complete, with authors and
    an abstract) before it is trusted, so a lone dated line on a homepage is not taken for a paper.
    """
    nonblank = [i for i, ln in enumerate(lines) if ln]
    heads = [k for k, i in enumerate(nonblank) if len(lines[i]) <= 60 and _RECORD_HEAD.match(lines[i])]
    found: list[tuple[int, Publication, set[int], bool]] = []
    for n, k in enumerate(heads):
        end_k = heads[n + 1] if n + 1 < len(heads) else len(nonblank)
        if k + 1 >= end_k:
            continue
        head = _RECORD_HEAD.match(lines[nonblank[k]])
        title_line = lines[nonblank[k + 1]]
        if not _plausible_title(title_line) or parse_authors(title_line) or (
                (heading := _heading(title_line, False)) is not None and heading.kind in ("year", "news", "other")):
            continue
        used = {nonblank[k], nonblank[k + 1]}
        body: list[str] = []
        j = k + 2
        authors = parse_authors(lines[nonblank[j]], loose=True) if j < end_k else None
        if not authors:
            continue  # without an author line a dated line and a phrase are as likely a news item
        used.add(nonblank[j])
        j += 1
        last = n + 1 == len(heads)
        while j < end_k:
            line = lines[nonblank[j]]
            h = _heading(line, alone=True)
            if h and h.kind in ("year", "pubs", "news", "other"):
                break
            if last and body and nonblank[j] - nonblank[j - 1] > 1:
                break  # after the last record only its own paragraph belongs to it, not a page footer
            body.append(line)
            used.add(nonblank[j])
            j += 1
        abstract = " ".join(body)
        assert head is not None  # (every line of ``heads`` opens with a record's head)
        if head.group("year"):
            year = int(head.group("year"))
        elif head.group("iso"):
            year = int(head.group("iso")[:4])
        else:
            year = today.year
        pub = Publication(
            title=_clean_title(title_line), authors=authors, venue=None, year=year,
            links={k2: v for k2, v in _links_from(abstract).items() if k2 == "code"},
            rule="text:listing-record",
        )
        found.append((nonblank[k], pub, used, _is_prose(abstract, 100)))
    if len(found) < 2 and not any(complete for *_, complete in found):
        return [], set()
    consumed: set[int] = set()
    for _, _, used, _ in found:
        consumed |= used
    return [(i, p) for i, p, _, _ in found], consumed


def _news_start(line: str, year: int | None) -> tuple[str, str] | None:
    """Split a news line into (date as written, text), when it opens with a date."""
    s = _LIST_MARKER.sub("", line).strip() if not re.match(r"^\[\s*" + scholarly.YEAR, line) else line.strip()
    s = s.strip("*_ ")
    m = re.match(r"^[\[(](?P<d>[^\])]{3,40})[\])]\s*[:\-–—|]?\s*(?P<t>.*)$", s)
    if m and cues.is_date(m.group("d")):
        return m.group("d").strip(), m.group("t").strip()
    m = re.match(rf"^(?P<d>{cues.DATE}(?:\s*[-–]\s*{cues.DATE})?)\s*(?P<sep>[:\-–—|]|\s)\s*(?P<t>\S.*)$", s,
                 re.IGNORECASE)
    if m:
        d = m.group("d").strip()
        bare_year = re.fullmatch(scholarly.YEAR, d)
        if bare_year and not m.group("sep").strip():
            return None  # '2024 was a good year' is prose, '2024: ...' is a dated item
        return d, m.group("t").strip()
    if year:
        m = re.match(rf"^(?P<d>{_MONTH_RE})\s*[:\-–—|]\s*(?P<t>\S.*)$", s)  # 'May: ...' under a year
        if m:
            return m.group("d").strip(), m.group("t").strip()
    return None


def _parse_news_date(d: str, year: int | None) -> str | None:
    """A range ('May - Jun 2024') is dated by its start; failing all else, by the year it names."""
    parsed = parse_date(d, year)
    if parsed is None:
        parsed = parse_date(re.split(r"\s+[-–]\s+|\s*–\s*", d)[0], year)
    if parsed is None:
        m = re.search(scholarly.YEAR, d)
        parsed = m.group(0) if m else None
    return parsed


def _news_items(block: list[str], year: int | None, items: list[NewsItem]) -> None:
    """Dated lines in a news section; an undated line continues the item above it or stands on its own."""
    pending_date: str | None = None
    last: NewsItem | None = None  # continuation stays inside a block: a blank line ends an item
    for line in block:
        if cues.is_date(line.strip("[]()*: ")) and not _YEAR_LINE.match(line):
            pending_date = line.strip("[]()*: ")  # a date on a line of its own dates the next line
            continue
        hit = _news_start(line, year)
        if hit or pending_date:
            date, text = hit or (pending_date or "", line)
            last = _news_item(date, text, year)
            items.append(last)
            pending_date = None
        elif last is not None and last.date is not None and not _LIST_MARKER.match(line) \
                and not re.search(r"[.!?]$", last.text):
            last.text = f"{last.text} {line}".strip()
            last.links = list(dict.fromkeys(last.links + [u.rstrip(".,;") for u in _URL.findall(line)]))
        else:
            text = _LIST_MARKER.sub("", line).strip()
            if len(text) >= 10:
                last = NewsItem(date=None, text=text, links=[u.rstrip(".,;") for u in _URL.findall(text)])
                items.append(last)


def _run_news(run: _Run) -> list[NewsItem]:
    """The news items of one run, block by block.

    Headings such as 'Highlights' name a news list on some pages and a list of research topics on
    others; with no dated line at all under such a heading, nothing in it is taken for news.
    """
    by_block: dict[int, list[str]] = {}
    for ln in run.lines:
        by_block.setdefault(ln.block, []).append(ln.text)
    items: list[NewsItem] = []
    for block_lines in by_block.values():
        _news_items(block_lines, run.year, items)
    plainly_news = run.year is not None or re.search(r"news|update", (run.section or "").lower())
    if not plainly_news and not any(n.date for n in items):
        return []
    return items


def _news_item(date: str, text: str, year: int | None) -> NewsItem:
    return NewsItem(date=date, text=text.strip(), parsed_date=_parse_news_date(date, year),
                    links=[u.rstrip(".,;") for u in _URL.findall(text)])


def _entries(texts: list[str], mode: str | None, year: int | None) -> list[tuple[Publication, set[int]]]:
    """Papers written over several lines: a title line next to an author line, maybe a venue line.

    Lines are read across blank lines, since a browser often puts title, authors and venue in
    separate paragraphs. Which side the title and the venue sit on is settled by vote over the whole
    run, so a page that puts the venue above the title ('ICLR 2024' / title / authors) is not misread
    as giving each paper the next one's venue.
    """
    authors = {i: a for i, ln in enumerate(texts) if (a := _author_line(ln))}
    is_title = {i: _title_line(ln) for i, ln in enumerate(texts)}
    is_venue = {i: _venue_line(ln) for i, ln in enumerate(texts)}
    title_before = sum(1 for i in authors if is_title.get(i - 1) and i - 1 not in authors)
    title_after = sum(1 for i in authors if is_title.get(i + 1) and i + 1 not in authors)
    sides = (-1, 1) if title_before >= title_after else (1, -1)
    taken: set[int] = set(authors)
    titles: dict[int, int] = {}
    for i in authors:
        for d in sides:
            t = i + d
            if is_venue.get(t) and t not in taken and is_title.get(t + d) and t + d not in authors:
                t += d  # authors, venue, then title ('Names' / 'Jan 2024 Venue' / 'Title')
            if t not in taken and is_title.get(t):
                titles[i] = t
                taken.add(t)
                break
    venue_after = sum(1 for i, t in titles.items() if is_venue.get(max(i, t) + 1))
    venue_before = sum(1 for i, t in titles.items() if is_venue.get(min(i, t) - 1))
    out: list[tuple[Publication, set[int]]] = []
    for i, t in titles.items():
        tag, title = _split_tag(texts[t])
        names, venue = authors[i][0], authors[i][1] or tag
        used = set(range(min(i, t), max(i, t) + 1))
        w = t - 1 if t < i else t + 1  # the title's other neighbour: its first or second half when wrapped
        if 0 <= w < len(texts) and w not in taken and w not in authors:
            first, second = (texts[w], title) if w < t else (title, texts[w])
            if _plausible_title(texts[w]) and not is_venue.get(w) and _wrapped(first, second):
                title = f"{first} {second}"
                used.add(w)
                taken.add(w)
        if venue is None and abs(i - t) == 2 and is_venue.get((i + t) // 2):
            venue = _clean_venue(texts[(i + t) // 2])
        if venue is None:
            order = ((max(i, t) + 1, min(i, t) - 1) if venue_after >= venue_before else
                     (min(i, t) - 1, max(i, t) + 1))
            # a named venue first; failing that, a short line that ends with a year ('Math. Programming, 2024')
            for v in [v for v in order if is_venue.get(v)] + [v for v in order[:1] if _dated_line(texts, v)]:
                if v not in taken:
                    venue = _clean_venue(texts[v])
                    used.add(v)
                    taken.add(v)
                    break
        if mode != "pubs" and not (venue and scholarly.find_year(venue)):
            continue  # outside a publications section only a full reference (with a dated venue) counts
        pub = Publication(title=_clean_title(title), authors=names, venue=venue,
                          year=(scholarly.find_year(venue) if venue else None) or year,
                          links=_links_from(" ".join(texts[j] for j in sorted(used))), rule="text:title-authors")
        out.append((pub, used))
    if not out:  # a page either shows authors with its papers or not: the two styles do not mix
        out.extend(_titles_with_links(texts, taken, is_title, is_venue, year))
    return out


def _clean_venue(line: str) -> str | None:
    """A venue line without its trailing link buttons ('AAAI, 2025, [Paper]' -> 'AAAI, 2025')."""
    v = re.sub(r"(?:[\s,|•]*\[[^\]]{1,40}\])+[\s,|•]*$", "", line.strip())
    return v.strip(" .,;|•") or None


def _dated_line(texts: list[str], v: int) -> bool:
    """A short line that ends with a year: where a page writes the venue without naming it as one."""
    if not 0 <= v < len(texts):
        return False
    s = _clean_venue(texts[v]) or ""
    return len(s) <= 150 and bool(re.search(rf"\b{scholarly.YEAR}\)?$", s)) and len(_segments(s)) <= 1 \
        and not _author_line(s)


def _wrapped(first: str, second: str) -> bool:
    """Whether two lines are one title broken in two: the first stops on a word that cannot end a
    title ('via', 'of', ':'), or the second carries on in lower case."""
    last = first.rstrip().split()[-1].lower() if first.strip() else ""
    return last in _STOPWORDS or first.rstrip().endswith((":", "-", "–", ",")) or second[:1].islower()


def _link_row(line: str) -> bool:
    """A row of link buttons that names a paper ('Paper | Code', '[PDF] [arXiv]')."""
    labels = re.findall(r"[^\W\d_]+", line.lower())
    return _only_link_labels(line) and len(labels) <= 8 \
        and any(w in ("paper", "pdf", "arxiv", "openreview", "doi", "preprint") for w in labels)


def _titles_with_links(texts: list[str], taken: set[int], is_title: dict[int, bool], is_venue: dict[int, bool],
                       year: int | None) -> list[tuple[Publication, set[int]]]:
    """Papers shown without authors: a title, maybe a venue line, then a row of paper links."""
    out: list[tuple[Publication, set[int]]] = []
    for j, line in enumerate(texts):
        if j in taken or not _link_row(line):
            continue
        v = j - 1 if is_venue.get(j - 1) and j - 1 not in taken else None
        t = (v if v is not None else j) - 1
        if t < 0 or t in taken or not is_title.get(t):
            continue
        tag, title = _split_tag(texts[t])
        venue = _clean_venue(texts[v]) if v is not None else tag
        used = {t, j} | ({v} if v is not None else set())
        taken |= used
        out.append((Publication(title=_clean_title(title), venue=venue,
                                year=(scholarly.find_year(venue) if venue else None) or year, rule="text:title-links"), used))
    return out


def _author_line(line: str) -> tuple[list[str], str] | None:
    """An author line, with whatever venue text follows the names on the same line."""
    s = _LIST_MARKER.sub("", line).strip()
    names = parse_authors(s)
    if names:
        return names, ""
    pre = _authors_prefix(s)
    if pre and pre[1] and _venue_line(pre[1]):
        return pre
    return None


def _title_line(line: str) -> bool:
    """One line that could be a paper's title: a single phrase, not a sentence run, a venue or a link."""
    s = _split_tag(line)[1]
    if not _plausible_title(s) or _is_prose(s, 150) or len(_segments(s)) != 1 or _venue_line(s):
        return False
    # a one-sentence description ('X leverages Y to do Z.') rather than a title
    return not (s.endswith(".") and len(s.split()) >= 10 and _title_case_ratio(s) < 0.5)


def _split_tag(line: str) -> tuple[str | None, str]:
    """A leading bracketed venue tag and the rest: '[NeurIPS 2024] Title' -> ('NeurIPS 2024', 'Title')."""
    s = _LIST_MARKER.sub("", line).strip()
    m = re.match(r"^[\[(](?P<tag>[^\])]{2,60})[\])]\s*[:\-–—]?\s*(?P<rest>.+)$", s)
    if m and _venue_cue(m.group("tag")):  # a venue or where a paper stands ('[Under Review] Title')
        return m.group("tag").strip(), m.group("rest").strip()
    return None, s


def _venue_line(line: str) -> bool:
    """A short line naming where a paper appeared ('NeurIPS 2023', 'In Proc. of ...', 'arXiv preprint')."""
    s = line.strip()
    return len(s) <= 200 and _venue_cue(s) and not parse_authors(s) and \
        (bool(scholarly.find_year(s)) or len(s.split()) <= 12) and len(_segments(s)) <= 1


def _bib_items(block: list[str]) -> list[list[int]]:
    """Group a block's lines into references: a list marker starts one, other lines continue it."""
    if any(_LIST_MARKER.match(ln) for ln in block):
        groups: list[list[int]] = []
        for i, ln in enumerate(block):
            if _LIST_MARKER.match(ln) or not groups:
                groups.append([i])
            else:
                groups[-1].append(i)
        return groups
    return [[i] for i in range(len(block))]


def _wrapped_groups(lines: list[str], free: list[int]) -> list[list[int]]:
    """Hard-wrapped references: a line that does not end a sentence runs on into the next one."""
    groups: list[list[int]] = []
    for k in free:
        if groups and groups[-1][-1] == k - 1 and not re.search(r"[.!?]$", lines[k - 1]) and len(groups[-1]) < 6:
            groups[-1].append(k)
        else:
            groups.append([k])
    return groups


def _paragraph_shaped(lines: list[str]) -> bool:
    """One paragraph, maybe hard-wrapped: no list markers and no author lines, so not a list of references."""
    return not any(_LIST_MARKER.match(ln) or _author_line(ln) for ln in lines)


def _bib_pubs(lines: list[str], groups: list[list[int]], mode: str | None, year: int | None) -> list[Publication]:
    """References from groups of lines; outside a publications section only full ones (authors and year)."""
    out: list[Publication] = []
    for group in groups:
        hit = parse_bib_line(" ".join(lines[g] for g in group))
        if not hit:
            continue
        pub, has_authors = hit
        if mode != "pubs" and not (has_authors and pub.year):
            continue
        if pub.year is None:
            pub.year = year
        pub.rule = "text:bib-line"
        out.append(pub)
    return out


def _run_pubs(run: _Run, opened_by_year: bool) -> list[tuple[int, Publication]]:
    """The papers of one run of lines, each with the line number it starts at.

    Multi-line entries are read first over the whole run; what is left is read block by block as
    references or as paragraphs. A paragraph is an untitled paper only while the run under a year
    heading holds nothing but such paragraphs: after a titled entry, a paragraph is its description.
    """
    lines = run.lines
    texts = [ln.text for ln in lines]
    used: set[int] = set()
    found: list[tuple[int, Publication]] = []
    for pub, u in _entries(texts, run.mode, run.year):
        used |= u
        found.append((min(u), pub))
    fresh = opened_by_year
    last_sub: int | None = None
    blocks: dict[int, list[int]] = {}
    for pos, ln in enumerate(lines):
        blocks.setdefault(ln.block, []).append(pos)
    for positions in blocks.values():
        rem = [p for p in positions if p not in used and lines[p].sub is None]
        subs = [p for p in positions if p not in used and lines[p].sub is not None]
        if subs:
            last_sub = subs[-1]
            continue
        if len(rem) < len(positions):
            fresh = False
        if not rem:
            last_sub = None
            continue
        block = [texts[p] for p in rem]
        if _is_prose(" ".join(block)) and _paragraph_shaped(block):
            lone = texts[last_sub] if last_sub is not None and len(texts[last_sub].split()) >= 3 else None
            prose = _prose_pub(block, run, fresh, lone)
            if prose is not None:
                fresh = fresh and prose.title is None
                if last_sub is not None and lone is not None and prose.title == _clean_title(lone) \
                        and prose.text == " ".join(block):
                    used.add(last_sub)  # the lone line was this abstract's title, not a subsection
                    found.append((last_sub, prose))
                else:
                    found.append((rem[0], prose))
        else:
            fresh = False
            pubs = _bib_pubs(block, _bib_items(block), run.mode, run.year)
            if not pubs and len(block) > 1 and not any(_LIST_MARKER.match(b) for b in block):
                pubs = _bib_pubs(block, _wrapped_groups(block, list(range(len(block)))), run.mode, run.year)
            found.extend((rem[0], p) for p in pubs)
        last_sub = None
    section, sections = run.section, []
    for pos, ln in enumerate(lines):
        if ln.sub is not None and pos not in used:
            section = ln.sub.text
        sections.append(section)
    out = []
    for pos, pub in sorted(found, key=lambda f: f[0]):
        pub.section = sections[pos]
        out.append((lines[pos].idx, pub))
    return out


def _prose_pub(block: list[str], run: _Run, fresh: bool, title: str | None) -> Publication | None:
    """A paragraph is a paper only under a year heading or in a publications section, and must read like an
    abstract (not a bio) unless the section says it lists papers."""
    joined = " ".join(block)
    reads_as_abstract = run.mode == "pubs" or bool(_ABSTRACT_CUE.search(joined))
    placed = run.mode == "pubs" or run.year is not None
    if not (placed and reads_as_abstract):
        return None
    first, rest = block[0], " ".join(block[1:])
    if len(block) > 1 and _title_line(first) and _title_case_ratio(first) >= 0.6 and _is_prose(rest):
        return Publication(title=_clean_title(first), year=run.year, text=rest, links=_links_from(joined),
                           rule="text:titled-abstract")
    if title is not None and _title_line(title) and _title_case_ratio(title) >= 0.6:
        return Publication(title=_clean_title(title), year=run.year, text=joined, links=_links_from(joined),
                           rule="text:titled-abstract")
    if fresh and run.year is not None:
        return Publication(title=None, text=joined, year=run.year, links=_links_from(joined),
                           rule="text:abstract-under-year")
    return None


def extract_text(text: str, *, today: datetime.date) -> Page:
    """Read a plain-text page into a ``Page``: profile name, papers and news (announcements come later).

    ``today`` is the day the page was read: listings print dates without a year for the current year.
    """
    lines = [_norm_line(ln) for ln in text.splitlines()]
    lines = ["" if _UNDERLINE.match(ln) else ln for ln in lines]  # '=====' under a heading, or a rule
    page = Page(profile=Profile(name=_profile_name(lines)))
    records, consumed = _find_records(lines, today)
    record_at = dict(records)
    if page.profile.name:
        consumed.add(next(i for i, ln in enumerate(lines) if ln))
    found: list[tuple[int, Publication]] = []
    explain: list[dict] = []
    runs: list[tuple[_Run, bool]] = [(_Run(None, None, None), False)]
    for b, block in enumerate(_blocks(lines)):
        for i in block:
            if i in record_at:
                record_at[i].section = runs[-1][0].section
                found.append((i, record_at[i]))
        body = [i for i in block if i not in consumed]
        leading = True
        for i in body:
            h = _heading(lines[i], alone=len(body) == 1) if leading else None
            leading = h is not None
            cur = runs[-1][0]
            if h is not None and (h.kind != "sub" or cur.mode == "news"):
                runs.append((_enter(cur, h), h.kind == "year"))
                explain.append({"line": i + 1, "heading": h.text, "kind": h.kind, "mode": runs[-1][0].mode})
                continue
            cur.lines.append(_Line(i, b, lines[i], h))
    for run, opened_by_year in runs:
        if run.mode == "news":
            page.news.extend(_run_news(run))
        elif run.mode != "other":
            found.extend(_run_pubs(run, opened_by_year))
    page.publications = _dedupe([pub for _, pub in sorted(found, key=lambda f: f[0])])
    page.explain = explain
    return page


_NOT_WORDS: Final = re.compile(r"[^\w]+")


def _title_key(title: str) -> str:
    return " ".join(_NOT_WORDS.sub(" ", title.casefold()).split())


def _dedupe(pubs: list[Publication]) -> list[Publication]:
    """One paper listed twice (under 'Selected' and again in the full list) is one paper: keep the first
    listing and fill what it lacks from the later one."""
    seen: dict[str, Publication] = {}
    out: list[Publication] = []
    for pub in pubs:
        if pub.title is None:
            out.append(pub)
            continue
        first = seen.get(_title_key(pub.title))
        if first is None:
            seen[_title_key(pub.title)] = pub
            out.append(pub)
            continue
        first.authors = first.authors or pub.authors
        first.venue = first.venue or pub.venue
        first.year = first.year or pub.year
        first.links = {**pub.links, **first.links}
    return out


def _enter(cur: _Run, h: _Heading) -> _Run:
    """The run a heading opens: a year is a subsection of the section it sits in; a title in a news
    section ends the news (news has no subsections but years)."""
    if h.kind == "year":
        return _Run(cur.mode, h.year, h.text)
    if h.kind == "sub":
        return _Run(None, None, h.text)
    return _Run(None if h.kind == "neutral" else h.kind, None, h.text)
