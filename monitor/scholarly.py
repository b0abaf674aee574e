"""The scholarly vocabulary that extraction and the diff share: venue and status words, years, what a
venue says (its years, statuses and acronyms) and the details (volume, pages) that are not a venue.

A module of its own, below both ``extract`` and ``diff``, so neither reaches into the other.
"""

from __future__ import annotations

import re
from typing import Final

from .memo import MemoTable

YEAR: Final = r"(?:19[5-9]\d|20\d\d)"

# Where a paper stands before (or instead of) a venue.
PUBLICATION_STATUS: Final = (
    r"preprint|arxiv|under\s+review|under\s+submission|in\s+submission|submitted|in\s+preparation|"
    r"work\s+in\s+progress|to\s+appear|accepted|in\s+press|forthcoming|technical\s+report|tech(?:nique|nical)?\.?\s+report"
)
STATUS_WORDS = PUBLICATION_STATUS + r"|oral|spotlight|poster|highlight|findings|workshop|demo|short|long|best\s+paper"
# Words that name a venue and that titles seldom hold.
VENUE_NAME_WORDS: Final = (
    r"proceedings|conference|journal|transactions|workshop|symposium|letters|magazine|annals|"
    r"advances\s+in|congress|arxiv|preprints?|dissertation|in\s+submission|under\s+review|technical\s+report"
)
# Venue words, with those that titles hold too ("A Review of ...", "International ...") and publishers,
# which are no venue by themselves.
VENUE_WORDS: Final = VENUE_NAME_WORDS + r"|review|international|annual|meeting|thesis|press|springer|elsevier|ieee|acm"
# (the word boundary is tested after the first capital, for the pattern to open with a character)
ACRONYM_YEAR: Final = re.compile(
    r"([A-Z](?<=\b[A-Z])[A-Za-z&@\-]*[A-Z][A-Za-z&@\-]*)\)?\s*['’]?\s*,?\s*(" + YEAR + r"|'\d\d|’\d\d)\b")

# What IGNORECASE matches for a lowercase ASCII letter besides its capital: Unicode's case rules add
# 'İ' and 'ı' to i, the Kelvin sign to k, the long s to s (tests/test_cues.py checks every character).
_CASE_EXTRA: Final = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def _cases(letter: str) -> str:
    """The characters IGNORECASE matches for a lowercase ASCII letter."""
    return letter + letter.upper() + _CASE_EXTRA.get(letter, "")


def _by_initial(words: str) -> str:
    """The case-blind alternation ``words`` ('proceedings|conference|...', each alternative opening with a
    lowercase letter), grouped by that letter and with the letter written as the set of characters that
    IGNORECASE matches for it: '[Pp](?i:roceedings|reprints?)|[Cc](?i:onference|ongress)|...'.

    It matches what ``(?i:words)`` matches, and at each position the same alternative (those with
    another initial cannot match there; within a group the order is kept). It is faster: the regex
    engine tests a branch that opens with a character set before it enters it, while it enters every
    case-blind alternative at every word of a line."""
    groups: dict[str, list[str]] = {}
    depth, start = 0, 0
    for i, ch in enumerate(words + "|"):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            if not ("a" <= words[start] <= "z"):  # a word list edited out of this shape fails at import, loudly
                raise ValueError(f"a venue word must open with a lowercase ASCII letter: {words[start:i]!r}")
            groups.setdefault(words[start], []).append(words[start + 1:i])
            start = i + 1
    return "|".join(f"[{_cases(letter)}](?i:{'|'.join(rests)})" for letter, rests in groups.items())


VENUE_CUE: Final = re.compile(r"\b(?:" + _by_initial(VENUE_WORDS + r"|" + STATUS_WORDS) + r")\b")
# A venue named by its words alone, in a line with nothing else to say what it is (plain text): no
# presentation words ('Long', 'Oral') or words that titles use ('Review'), which need the line's role too.
VENUE_NAME_CUE: Final = re.compile(
    r"\b(?:" + _by_initial(VENUE_NAME_WORDS + r"|" + PUBLICATION_STATUS + r"|findings") + r")\b")
# A year not inside a longer number, a date or a version: YEAR with the test of the character before it
# moved after its first digit, so that the pattern opens with a digit and is searched for one.
YEAR_RE: Final = re.compile(r"((?:1(?<![\d./]1)9[5-9]|2(?<![\d./]2)0\d)\d)(?!\d)")


VENUE_STATUS: Final = re.compile(
    r"\b(preprint|arxiv|under review|under submission|in submission|submitted|to appear|accepted|in press|"
    r"forthcoming|technical report|technique report|work in progress|in preparation|workshop|findings|oral|"
    r"spotlight|poster|highlight|best paper\w*|award)\b", re.I)
_BARE_ACRONYM: Final = re.compile(r"\b[A-Z]{3,}\b")
_PUBLISHERS: Final = frozenset({"IEEE", "ACM", "SIAM", "IET", "IFIP", "USENIX", "AAAS", "PMLR",
                                "CEUR"})  # not venues by themselves


_ARXIV_NUMBER: Final = re.compile(r"\d\d{3}\.\d{4,5}")  # an arXiv id's digits ('2401.12345'): opens with one digit


def venue_core(venue: str) -> frozenset[str]:
    """What a venue says, without its wording: acronym-year pairs, years, statuses, acronyms."""
    bare = _ARXIV_NUMBER.sub(" ", venue)  # arXiv ids are not years
    core = {f"{a.upper()} {y}" for a, y in ACRONYM_YEAR.findall(bare)}
    core |= set(YEAR_RE.findall(bare))
    core |= {m.lower() for m in VENUE_STATUS.findall(bare)}
    core |= set(_BARE_ACRONYM.findall(bare)) - _PUBLISHERS
    return frozenset(core)


_VENUE_DETAIL: Final = re.compile(
    r"\s*,?\s*(?<![\w.])(?:(?:vol(?:ume)?\.?|v\.(?=\s*\d)|no\.?|num(?:ber)?\.?|issue|pp\.?|pages?|art(?:icle)?\.?(?:\s+no\.?)?)\s*"
    r"[\w\-–]+(?:\s*\(\d+\))?(?:\s*[-–:]\s*[\w]+)*|\d+\s*\(\d+\)(?:\s*:\s*[\w]+(?:\s*[-–]\s*\w+)?)?|"
    r"\d+\s*:\s*\w+(?:\s*[-–]\s*\w+)?)(?=\s*(?:,|\.|$|\(|\d{4}))", re.I)


_NOT_LATIN: Final = re.compile(r"[^A-Za-z]")
_EMPTY_PIECE: Final = re.compile(r"\s*,\s*(?=,)")


# What every match of _VENUE_DETAIL holds, looked for first (most venues hold no detail, and that pattern
# is tried at every position of a line): a number before '(' or ':' ('34(6)', '110:107658') or, at a
# word's start and in any case, the opening of one of its words ('vol', 'v.', 'no', 'num', 'issue', 'pp',
# 'page', 'art'). Each branch of the second opens with one character (each case of a word's initial),
# which the engine looks for.
_NUMBER_BEFORE_MARK: Final = re.compile(r"\d\s*[(:]")
_DETAIL_WORD: Final = re.compile("|".join(
    f"{c}(?<![\\w.]{c})(?i:{rest})"
    for letter, rest in (("v", r"ol|\."), ("n", "o|um"), ("i", "ssue"), ("p", "p|age"), ("a", "rt"))
    for c in _cases(letter)))


def _detail(line: str) -> re.Match[str] | None:
    """``_VENUE_DETAIL.search(line)``, after the cheaper searches for what any match of it holds."""
    if _NUMBER_BEFORE_MARK.search(line) is None and _DETAIL_WORD.search(line) is None:
        return None
    return _VENUE_DETAIL.search(line)


def has_print_details(line: str) -> bool:
    """Volume, issue or pages, as a citation's venue part writes them ('Solar Physics, 280(1), 273-293')."""
    return _detail(line) is not None


def venue_without_details(venue: str) -> str:
    """'IEEE TKDE, 34(6):2948-2961, 2022' -> 'IEEE TKDE': volume, issue and pages say where in a journal
    a paper is printed, not where it appeared, and their arrival is no venue change. The venue's name
    comes before them; what follows them (a month, the year, the pages' end) is not part of it."""
    first = _detail(venue)
    if first is not None and len(_NOT_LATIN.sub("", venue[: first.start()])) >= 3:
        return venue[: first.start()].strip(" ,;:")
    out = _VENUE_DETAIL.sub("", venue) if first is not None else venue  # (the search found nothing to take out)
    out = _EMPTY_PIECE.sub("", out).strip(" ,;")
    return out if len(out) >= 2 else venue


# Opens with one digit (a look behind first would have it tried at every position).
_ARXIV_ID: Final = re.compile(r"(\d(?<![\d.]\d)\d)(0[1-9]|1[0-2])\.\d{4,5}(?!\d)")
_URL: Final = re.compile(r"https?://\S+")
_SHORT_YEAR: Final = re.compile(r"\b[A-Z][A-Za-z]+\s*['’](\d\d)\b")


_FIND_YEAR_MEMO: Final[MemoTable[str, int | None]] = MemoTable(65536)


def find_year(text: str) -> int | None:
    """The publication year in a venue line: the last plausible year that is not part of an arXiv id.

    Cached: a record's lines are read in several contexts."""
    answers = _FIND_YEAR_MEMO.answers
    if text not in answers:
        return _FIND_YEAR_MEMO.keep(text, _compute_find_year(text))
    return answers[text]


def _compute_find_year(text: str) -> int | None:
    arxiv = _ARXIV_ID.search(text)
    text = _ARXIV_NUMBER.sub(" ", text)  # arXiv ids
    text = _URL.sub(" ", text)
    years = [int(y) for y in YEAR_RE.findall(text)]
    if not years:
        short = _SHORT_YEAR.search(text)
        if short:
            return 2000 + int(short.group(1))
        if arxiv and int(arxiv.group(1)) >= 7:  # arXiv:YYMM.NNNNN (the scheme since April 2007)
            return 2000 + int(arxiv.group(1))
        return None
    return years[-1]
