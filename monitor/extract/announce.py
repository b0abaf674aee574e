"""Career announcements and the profile line, read from the bio and the news.

People announce in a handful of ways: "I am on the job market", "I will join X as ...", "I expect to
graduate in 2025", "I am looking for PhD students". A negated sentence ("I do not have openings")
announces nothing.

Every pattern here is matched against lowercased text (written in lower case, with no IGNORECASE
flag: lowercasing once is much cheaper than a case-blind search).
"""

from __future__ import annotations

import re
from typing import Final

from ..models import Announcement, NewsItem, Profile

_NEG: Final = re.compile(r"\b(?:not|no longer|don'?t|do not|isn'?t|aren'?t|never|no)\b\s+(?:\w+\s+){0,3}?"
                         r"(?:have|accept|taking|take|hiring|recruit|looking|openings?|available|seeking|on the)")
PATTERNS: Final[list[tuple[str, re.Pattern[str]]]] = [
    ("on_market", re.compile(
        r"\bon the (?:[\w-]+\s+){0,2}(?:job|academic|faculty|industry|tenure[- ]track)\s*market\b|"
        r"\bon the market\b|"
        r"\b(?:actively\s+)?(?:seeking|looking for|searching for|open to|exploring)\s+(?:new\s+)?"
        r"(?:\w+[- ]?){0,4}(?:jobs?|positions?|job opportunities|career opportunities|opportunities|roles|employment)\b")),
    ("graduating", re.compile(
        r"\b(?:expect(?:ed|s|ing)?|plan(?:ned|ning)?|set|going|due|scheduled|about)\s+to\s+graduate\b|"
        r"\bwill\s+(?:be\s+)?graduat(?:e|ing)\b|\bgraduating\s+(?:in|this|next|soon)\b|"
        r"\b(?:will|going to)\s+defend\s+my\s+(?:ph\.?\s?d\.?\s*)?(?:thesis|dissertation)\b|"
        r"\bwhen\s+i\s+graduate\b|\bexpected\s+graduation\b|\bgraduation\s+date\s+is\b")),
    ("hiring_students", re.compile(
        r"\b(?:looking|searching|recruit(?:ing)?|seeking|hiring)\s+(?:for\s+)?(?:\d+\s*[~\-–]\s*\d+\s+|a few\s+|several\s+|one or two\s+)?"
        r"(?:\w+[- ]?){0,4}(?:ph\.?\s?d\.?|graduate|master'?s?|undergraduate|msc|phd|postdoc\w*|research)?\s*"
        r"(?:students?|interns?|postdocs?|researchers? and engineers|visitors?|collaborators)\b|"
        r"\b(?:we are|i am|i'm|lab is|group is)\s+(?:actively\s+)?(?:hiring|recruiting)\b|"
        r"\b(?:ph\.?\s?d\.?|postdoc\w*|intern\w*|student)\s+(?:positions?|openings?)\s+(?:are\s+|is\s+)?(?:available|open)\b|"
        r"\bopen(?:ing)?\s+positions?\s+for\s+(?:\w+\s+){0,3}(?:students?|interns?|postdocs?|ras|assistants?)\b|"
        r"\bopenings?\s*:|\bprospective\s+(?:ph\.?\s?d\.?\s+|graduate\s+|master'?s?\s+)?students?\s*[:：]|"
        r"(?:招收|招募|招聘|招生)[^。！!]{0,30}?(?:博士|硕士|研究生|学生|本科生|实习生)|"
        r"\bif you are (?:a|an)\s+(?:\w+\s+){0,3}(?:students?|undergrad\w*|interns?)\b.{0,80}?\binterested in\b"
        r".{0,100}?\b(?:fill out|fill in|apply|e-?mail me|contact me|send me|reach out|get in touch)\b")),
    ("joining", re.compile(
        r"\b(?:i|she|he|we)\s+(?:will|am going to|'ll|am about to|am excited to|am thrilled to|am happy to|"
        r"am delighted to)\s+(?:be\s+)?(?:join(?:ing)?|start(?:ing)?\s+(?:as|at)|move\s+to)\b|"
        r"\b(?:i|she|he)\s+(?:am|is)\s+(?:joining|moving to|starting\s+(?:as|at))\b|"
        r"\b(?:excited|thrilled|happy|delighted|honou?red|glad|pleased|proud)\s+to\s+(?:be\s+)?"
        r"(?:join(?:ing)?|start(?:ing)?\s+(?:as|at))\b|"
        r"\bofficially\s+(?:start(?:ing|ed)?\s+(?:as|at)|join(?:ing|ed)?)\b|"
        r"\b(?:i|she|he)\s+(?:have|has)\s+joined\b|\bi\s+join(?:ed)?\s+\S.{0,120}?\bas\b|"
        r"\b(?:i|she|he)\s+will\s+be\s+(?:an?\s+|the\s+)?(?:\w+\s+){0,3}(?:professor|lecturer|postdoc\w*|fellow|"
        r"faculty member)\b|"
        r"\bwill\s+(?:be\s+)?join(?:ing)?\b.{0,80}?\bas\s+an?\b|"
        r"\b(?:an?|the)\s+incoming\s+(?:\d{4}\s+)?(?:\w+\s+){0,3}(?:professor|fellow|postdoc\w*|researcher|scientist|"
        r"faculty|lecturer)\b")),
    ("other", re.compile(
        r"\btransition(?:ing)?\s+to\s+industry\b|\bno\s+longer\s+(?:taking|accepting)\s+(?:new\s+)?students\b")),
]
# Finished now, told as news: a recent news item, or a bio sentence that says "recently".
_JUST_GRADUATED: Final = re.compile(
    r"\b(?:successfully\s+)?defended\s+(?:my\s+|the\s+|his\s+|her\s+)?(?:ph\.?\s?d\.?\s*)?(?:thesis|dissertation)\b|"
    r"\b(?:ph\.?\s?d\.?\s+)?(?:thesis|dissertation)\s+(?:was\s+|is\s+)?(?:successfully\s+)?defended\b|"
    r"\bpass(?:ed)?\s+(?:my\s+|the\s+)?(?:ph\.?\s?d\.?\s+)?(?:final\s+)?(?:thesis\s+|dissertation\s+)?defen[cs]e\b")
_RECENTLY_GRADUATED: Final = re.compile(
    r"\b(?:just|recently)\s+(?:completed|finished|obtained|received|earned|defended)\s+(?:my\s+)?"
    r"(?:ph\.?\s?d\.?|doctora(?:te|l))")
# A sentence addressed to the reader ("If you are interested in exploring these opportunities, ...") speaks
# of the reader's plans: it announces no move, search or graduation of the page's owner (a call to
# students, "if you are a student interested in ...", is still one for hiring)
_TO_READER: Final = re.compile(r"(?:if|should|when)\s+you(?:'re|\s+are|\s+would|\s+want|\s+wish|\s+plan)?\b")
_OWN_PLANS: Final = frozenset({"on_market", "joining", "graduating"})
_JOINS_US: Final = re.compile(r"\b(?:join(?:ed)? (?:us|our|me|the lab)|join my)\b")  # an invitation, not a move
# Words every match of a pattern contains one of (each pattern's alternatives end or start with one):
# a text with none of them is not searched. Most texts announce nothing, and a substring test costs
# a small part of a search with these patterns. Keep in step with the patterns above.
CUES: Final[dict[str, tuple[str, ...]]] = {
    "on_market": ("market", "job", "position", "opportunities", "roles", "employment"),
    "graduating": ("graduat", "defend"),
    "hiring_students": ("looking", "searching", "recruit", "seeking", "hiring", "position", "opening",
                        "prospective", "招", "if you are"),
    "joining": ("join", "start", "move", "moving", "professor", "lecturer", "postdoc", "fellow", "faculty member",
                "incoming"),
    "other": ("industry", "longer"),
    "recently_graduated": ("just", "recently"),
    "just_graduated": ("defen",),
}
# a run of white space after a sentence's end and before a capital, digit or quote, or a run of line
# breaks; it opens with the white space character both have, so the engine tries only those positions
_SENTENCE: Final = re.compile(r"\s(?:(?<=[.!?。]\s)\s*(?=[A-Z0-9\"“(])|(?<=\n)\n*)")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


PRIORITY: Final = ("on_market", "joining", "graduating", "hiring_students", "other")


RECENT_MONTHS: Final = 12  # a news item dated this close to the newest one is still current


def recent(news: list[NewsItem], first: int = 3) -> list[NewsItem]:
    """The news that still speaks for now: the first few items, and any dated within ``RECENT_MONTHS``
    of the newest dated item (a long list puts "upcoming" and award items above a recent defence)."""
    dated = [n.parsed_date for n in news if n.parsed_date]
    if not dated:
        return news[:first]
    newest = _month_index(max(dated))
    return news[:first] + [n for n in news[first:] if n.parsed_date
                           and newest - _month_index(n.parsed_date) <= RECENT_MONTHS]


def _month_index(iso: str) -> int:
    """'2025-11-03' / '2025-11' / '2025' as a count of months (a bare year counts as its January)."""
    parts = iso.split("-")
    return int(parts[0]) * 12 + (int(parts[1]) - 1 if len(parts) > 1 else 0)


def find_announcements(bio: list[str], news: list[NewsItem], *, recent_news: int = 3) -> list[Announcement]:
    """The page's current career announcements (one per kind), from the bio and the newest news items.

    Older news items are history, not announcements; the most consequential kinds come first.
    """
    found = _all_announcements(bio, news, recent_news=recent_news)
    found.sort(key=lambda a: PRIORITY.index(a.kind))
    return found


def _all_announcements(bio: list[str], news: list[NewsItem], *, recent_news: int) -> list[Announcement]:
    out: list[Announcement] = []
    seen: set[str] = set()
    texts = [(t, False) for t in bio] + [(n.text, True) for n in recent(news, recent_news)]
    for text, is_news in texts:
        low = text.lower()
        # most texts hold no cue word of any kind and are not split. The others are not searched whole
        # first: a sentence's match is a match in the text too, so that search would only spare the split,
        # and only the sentences that hold a cue word are searched
        kinds = [(kind, pattern) for kind, pattern in PATTERNS if kind not in seen and _cued(low, kind)]
        finished = "graduating" not in seen and bool(
            (_cued(low, "recently_graduated") and _RECENTLY_GRADUATED.search(low))
            or (is_news and _cued(low, "just_graduated") and _JUST_GRADUATED.search(low)))
        if not kinds and not finished:
            continue
        for sent in sentences(text):
            if len(sent) > 600:
                continue
            said = sent.lower()
            negated: bool | None = None  # whether ``said`` is negated, searched for once it matters
            if finished and "graduating" not in seen:
                negated = bool(_NEG.search(said))
                if not negated and (_RECENTLY_GRADUATED.search(said) or (is_news and _JUST_GRADUATED.search(said))):
                    seen.add("graduating")
                    out.append(Announcement(kind="graduating", text=sent))
            for kind, pattern in kinds:  # one sentence can state several ("on the market when I graduate")
                # a sentence without a cue word has no match; most sentences with one have none either,
                # so the pattern is searched before the negation
                if kind in seen or not _cued(said, kind):
                    continue
                match = pattern.search(said)
                if match is None:
                    continue
                if kind in _OWN_PLANS and _TO_READER.match(said):
                    continue  # "if you're interested in exploring these opportunities...": the reader's, not the owner's
                if kind != "other":
                    if negated is None:
                        negated = bool(_NEG.search(said))
                    if negated and _NEG.search(_clause(said, match.start())):
                        continue
                if kind != "joining" or not _JOINS_US.search(said):
                    seen.add(kind)
                    out.append(Announcement(kind=kind, text=sent))
    return out


# where a sentence's clauses meet: a negation in one ("..., but I'm not accepting postdocs") says nothing
# of another ("I expect to recruit a few Ph.D. students")
_CLAUSE_BREAK: Final = re.compile(r";|,?\s+but\s|,\s+(?:though|although|however|while)\s")


def _clause(said: str, at: int) -> str:
    """The clause of lowercased sentence ``said`` that holds position ``at``."""
    start, end = 0, len(said)
    for m in _CLAUSE_BREAK.finditer(said):
        if m.end() <= at:
            start = m.end()
        elif m.start() >= at:
            end = m.start()
            break
    return said[start:end]


def _cued(low: str, kind: str) -> bool:
    """Whether lowercased ``low`` holds a word that every match of ``kind``'s pattern holds."""
    for word in CUES[kind]:  # (a loop: a generator costs more than the tests on a short text)
        if word in low:
            return True
    return False


_POSITIONS: Final = (
    r"(?:(?:tenure[- ]track\s+)?(?:assistant|associate|full|adjunct|research|visiting|distinguished)\s+)*professor|"
    r"lecturer|(?:senior\s+)?lecturer|reader|"
    r"(?:(?:final|first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))[- ]year\s+)?(?:ph\.?\s?d\.?|doctoral|master'?s?|m\.?s\.?|graduate|undergraduate)\s+(?:student|candidate)|"
    r"ph\.?\s?d\.?\s+candidate|postdoc(?:toral)?\s+(?:researcher|fellow|scholar|associate)|postdoc|"
    r"(?:senior\s+|staff\s+|principal\s+)?research\s+(?:scientist|engineer|fellow|associate)|"
    r"(?:senior\s+)?researcher|scientist|engineer"
)
# "\b(?:i am|i'm|i work as|currently|is)...", case-blind, written to open with the class of the letters its
# words can begin with (every case of i and c; a class, case-sensitive, is what the engine scans for): it
# then tries only the positions holding one, not every position of a paragraph
_POS_RE: Final = re.compile(
    r"[iIİıcC](?<=\b[iIİıcC])(?i:(?<=i)(?: am|'m| work as|s)|(?<=c)urrently)"
    r"(?i:\s+(?:now\s+|currently\s+)?(?:an?\s+)?(?P<pos>" + _POSITIONS + r")\s+"
    r"(?:at|in|of|from|with)\s+(?:the\s+)?(?P<aff>[^.;\n]{3,150}))")


_YEAR_OF_STUDY: Final = re.compile(r"^(?:(?:final|first|second|third|fourth|fifth|\d+(?:st|nd|rd|th))[- ]year\s+)",
                                   re.I)
_AFFILIATION_END: Final = re.compile(
    r",\s+(?:where|working|advised|under|supervised|and i|i am)\b|\s+(?:where|under|advised|supervised)\b")


def find_profile(bio: list[str], name: str | None) -> Profile:
    for text in bio:
        m = _POS_RE.search(text)
        if m:
            pos = _YEAR_OF_STUDY.sub("", m.group("pos"))
            aff = _AFFILIATION_END.split(m.group("aff"))[0]
            aff = aff.replace(" @ ", ", ").strip(" ,")
            return Profile(name=name, position=pos.strip(), affiliation=aff or None)
    return Profile(name=name)
