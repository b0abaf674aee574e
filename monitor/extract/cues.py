"""The vocabulary of researchers' homepages: section names, dates, names, link kinds (and, from
``monitor.scholarly``, the venue and status words that the diff shares).

Every rule here is about how academic pages are written in general (in several languages), never
about one page: a heading called "Publications", a venue written "ICLR 2024", a date "2024.05".
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Final

from ..memo import MemoTable
from ..scholarly import YEAR  # the scholarly vocabulary that extraction shares with the diff lives there

# ---------------------------------------------------------------- section headings

_PUB_WORDS: Final = (
    r"publications?|papers?|preprints?|manuscripts?|articles?|selected\s+works?|recent\s+works?|"
    r"(?:selected|recent|featured|current)\s+(?:research|work)|research(?:\s+(?:papers|outputs?|work))?|"
    r"conference|journals?|workshops?|book\s+chapters?|books?|theses|thesis|"
    r"technical\s+reports?|working\s+papers?|under\s+review|in\s+submission|bibliography|proceedings|"
    r"publikationen|veröffentlichungen|publicaciones|publicações|pubblicazioni|论文|发表|出版物|學術論文|学术论文|"
    r"研究成果|業績|論文"
)
_NEWS_WORDS: Final = (
    r"news|updates?|highlights?|announcements?|what'?s\s+new|latest|recent\s+(?:activities|events)|"
    r"noticias|nouvelles|actualités|aktuelles|neuigkeiten|notizie|新闻|动态|新聞|消息|最新|ニュース|お知らせ"
)
_OTHER_WORDS: Final = (
    r"educations?|experiences?|employment|positions?|appointments?|teaching|courses?|lectures?|services?|"
    r"professional\s+(?:services?|activities)|reviewer|reviewing|awards?|honou?rs?|prizes?|grants?|funding|"
    r"talks?|presentations?|invited|seminars?|tutorials?|projects?|software|code|datasets?|students?|"
    r"people|group|team|members|mentees?|advising|advisees?|collaborators?|contact|interests?|biography|"
    r"bio|about(?:\s+me)?|patents?|misc(?:ellaneous)?|skills?|internships?|visitors?|press|media|outreach|hobbies|"
    r"personal|academic\s+(?:services?|activities)|activities|cv|curriculum\s+vitae|resume|links?|friends|"
    r"acknowledg\w*|accomplishments|recent\s+posts?|posts?|blog|gallery|photos?|travel|useful|resources|"
    r"open\s+source|demos?|competitions?|organi[sz]\w*|committees?|editorial|membership|affiliations?|sponsors?|"
    r"visits?|quotes?|life"
)
# Words that name a section without saying what it holds (a research statement or a list of papers).
_NEUTRAL_WORDS: Final = r"research|work|home\s*page|home|overview|welcome"
# Words that may lead a section word ("Selected Publications", "My Papers").
_MODIFIERS: Final = r"my|our|selected|recent|featured|latest|all|full|older|past|current|other"
# Words that lead a section word only in a whole-line heading ("Refereed Journal Articles", "International
# Conference Papers"): where words may follow the section word, they would make venue lines ("International
# Conference on ...") or lists of projects ("Representative Projects") sections.
_QUALIFIERS: Final = (r"refereed|peer[\s-]reviewed|reviewed|major|representative|earlier|academic|professional|"
                      r"international|domestic|first[\s-]author|co[\s-]authored")
_LEAD: Final = r"^[^\w]*(?:(?:" + _MODIFIERS + r")\s+|\d++[.)]?\s*)*"
_CJK_WORD: Final = r"(?<=[\u3040-\u30ff\u4e00-\u9fff])"  # CJK words have no word boundary after them
_PUB_RE: Final = re.compile(_LEAD + r"(?:" + _PUB_WORDS + r")(?:\b|" + _CJK_WORD + r")", re.I)
_NEWS_RE: Final = re.compile(_LEAD + r"(?:" + _NEWS_WORDS + r")", re.I)
_OTHER_RE: Final = re.compile(_LEAD + r"(?:" + _OTHER_WORDS + r")\b", re.I)
_RESEARCH_OTHER: Final = re.compile(
    r"^[^\w]*research\s+(?:interests?|topics?|areas?|statement|experience|group|projects?|"
    r"overview|summary|focus|directions?|agenda|"
    r"scientists?|engineers?|assistants?|associates?|interns?|internships?|fellows?|staff|scholars?)\b",
    re.I)  # (a job title, "Research Scientist", names no section either)
_RESEARCH_NEWS: Final = re.compile(r"^[^\w]*research\s+(?:highlights|news|updates)", re.I)


def _whole(words: str) -> re.Pattern[str]:
    """A whole line that is a section phrase: section words of one kind joined by 'and', '&' or commas,
    led only by modifiers, qualifiers or words of the same kind, and nothing after them."""
    unit = rf"(?:{_MODIFIERS}|{_QUALIFIERS}|{words})"
    join = r"(?:\s*[,&/+]\s*|\s+(?:and|of|in)\s+|\s+)"
    return re.compile(rf"(?:\d++[.)]?\s*)?(?:{unit}{join})*?(?:{words})", re.I)


_WHOLE: Final = (("neutral", _whole(_NEUTRAL_WORDS)), ("news", _whole(_NEWS_WORDS)),
                 ("publications", _whole(_PUB_WORDS)), ("other", _whole(_OTHER_WORDS)))


_HEADING_KIND_MEMO: Final[MemoTable[tuple[str, bool], str | None]] = MemoTable(16384)


def heading_kind(text: str, head_noun: bool = True) -> str | None:
    """'publications', 'news', 'other' or None (unknown: inherits the enclosing section's kind).

    ``head_noun=True`` (markup that styles the line as a heading): a line that opens with a section word
    ("Publications in 2024") or ends with one ("Journal Papers") names its section. ``head_noun=False``
    (plain text, where a paper title looks just like a heading): only a whole section phrase does
    ("Selected Publications", "Awards and Honors", "发表论文"), so "Detecting Fake News" is no heading;
    this mode also answers 'neutral' for words that name a section without saying what it holds ("Research").
    """
    key = (text, head_noun)
    answers = _HEADING_KIND_MEMO.answers
    if key not in answers:
        return _HEADING_KIND_MEMO.keep(key, _compute_heading_kind(text, head_noun))
    return answers[key]


def _compute_heading_kind(text: str, head_noun: bool) -> str | None:
    t = strip_symbols(text).strip(" :：-–—|*#").strip()
    if not t or len(t) > 80:
        return None
    if not head_noun:
        return _whole_kind(t)
    m = _PUB_RE.match(t) or _NEWS_RE.match(t) or _OTHER_RE.match(t) or _RESEARCH_OTHER.match(t)
    if m is None:
        by = _BY_SOMEONE.search(t) if " by " in t else None  # "On-line papers by Dana Example"
        return _cjk_kind(t) or _head_noun_kind(t[:by.start()] if by else t) or _joined_kind(t)
    if len(t[m.end():].split()) > 4:  # a keyword that opens a long title is not a section
        return None
    if _RESEARCH_OTHER.match(t):
        return "other"
    if _NEWS_RE.match(t) or _RESEARCH_NEWS.match(t):
        return "news"
    if _PUB_RE.match(t):
        # "Conference Talks", "Workshop Presentations": talks given at conferences, named by their last word
        # ("Publications and Talks" still holds papers)
        if t.split()[0].lower() in _VENUE_WORDS and _head_noun_kind(t) == "other":
            return "other"
        return "publications"
    if _OTHER_RE.match(t):
        return "other"
    return None


_VENUE_WORDS: Final = frozenset({"conference", "conferences", "workshop", "workshops", "journal", "journals",
                                 "research", "proceedings"})  # section words that also say where a talk was
_BY_SOMEONE: Final = re.compile(r" by [A-Z][^\d]{1,60}$")  # whose the list is: no part of what it names
_NOTE_AFTER: Final = re.compile(r"\s*\([^()]*\)$")
_LEAD_SYMBOLS: Final = re.compile(r"^[^\w]+")
_LATIN: Final = re.compile(r"[A-Za-z]")


def _whole_kind(t: str) -> str | None:
    """The strict mode of ``heading_kind``: the kind of a line that is a section phrase and nothing more."""
    t = _NOTE_AFTER.sub("", _LEAD_SYMBOLS.sub("", t)).strip(" :：")  # "Publications (* equal contribution)"
    if not t or len(t.split()) > 8:
        return None
    if _LATIN.search(t) is None:
        return _cjk_kind(t, head_last=True)
    if (m := _RESEARCH_OTHER.match(t)) and m.end() == len(t):
        return "other"
    if (m := _RESEARCH_NEWS.match(t)) and m.end() == len(t):
        return "news"
    return next((kind for kind, pattern in _WHOLE if pattern.fullmatch(t)), None)


_CJK_PUB: Final = re.compile(r"论文|發表|发表|出版物|成果|業績|論文")
_CJK_NEWS: Final = re.compile(r"新闻|新聞|动态|動態|消息|最新|ニュース|お知らせ")
_CJK_OTHER: Final = re.compile(r"简介|簡介|简历|履歷|荣誉|榮譽|奖励|獎勵|教育|经历|經歷|招生|招聘|合作|联系|聯繫|研究领域|研究方向|"
                               r"教学|教學|服务|服務|学生|學生|团队|團隊|项目|項目")


_NOT_CJK: Final = re.compile(r"[^\u3040-\u30ff\u4e00-\u9fff]")


def _cjk_kind(t: str, head_last: bool = False) -> str | None:
    """A short Chinese or Japanese heading names its section with a word anywhere in it (精选论文, 学术动态):
    CJK compounds have no spaces to find the head word by. ``head_last``: the word must end the heading, as
    the head of a compound does (发表论文, 新闻动态), for lines with no styling to say they are headings."""
    cjk = _NOT_CJK.sub("", t)
    if not cjk or len(cjk) > (8 if head_last else 12):
        return None
    for pattern, kind in ((_CJK_NEWS, "news"), (_CJK_PUB, "publications"), (_CJK_OTHER, "other")):
        ends = [m.end() for m in pattern.finditer(cjk)]
        if ends and (not head_last or ends[-1] == len(cjk)):
            return kind
    return None


_LATIN_WORDS: Final = re.compile(r"[A-Za-z&/\-]+")
_NOT_PUB_LAST: Final = re.compile(r"research|thesis|books?", re.I)
_EVENTS_LAST: Final = re.compile(r"conferences|events|meetings|visits|trips", re.I)
_NOT_OTHER_LAST: Final = re.compile(r"projects?|works?|activities", re.I)


def _head_noun_kind(t: str) -> str | None:
    """A short English heading is named by its last word ("Work Experience", "Industry News",
    "Journal Papers"): the kind of that word, when it has one."""
    words = t.split()
    if not 2 <= len(words) <= 4 or not _LATIN_WORDS.fullmatch("".join(words)):
        return None
    last = words[-1]
    if _NEWS_RE.fullmatch(last):
        return "news"
    if _PUB_RE.fullmatch(last) and not _NOT_PUB_LAST.fullmatch(last):
        return "publications"
    if _EVENTS_LAST.fullmatch(last):
        return "other"  # events attended, not papers
    if _OTHER_RE.fullmatch(last) and not _NOT_OTHER_LAST.fullmatch(last):
        return "other"  # research projects and works often list papers: left to their content
    return None


def _joined_kind(t: str) -> str | None:
    """"University Students and AI Residents": two short headings joined, named by the first one's kind."""
    if " and " not in t or len(t.split()) > 8:
        return None
    return _head_noun_kind(t.split(" and ", 1)[0])


def strip_symbols(text: str) -> str:
    """Drop emoji and pictographs that decorate headings ("📝 Publications")."""
    if text.isascii():  # the same rule, as one table: ASCII symbols ("$+<=>^`|~") and controls but the newline
        return text.translate(_ASCII_SYMBOLS)
    return "".join(ch for ch in text if (unicodedata.category(ch)[0] not in ("S", "C") and ch not in _EMOJI_JOINERS)
                   or ch in "\n")


_EMOJI_JOINERS: Final = frozenset("\ufe0e\ufe0f\u200d\u20e3")  # variation selectors and joiners left by emoji
_ASCII_SYMBOLS: Final = {i: None for i in range(128)
                         if unicodedata.category(chr(i))[0] in ("S", "C") and chr(i) != "\n"}


# ---------------------------------------------------------------- dates

MONTHS: Final = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
MONTH: Final[str] = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|"
                     r"july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MON: Final = MONTH
_SEASON: Final = r"(?:spring|summer|fall|autumn|winter)"
_DAY: Final = r"(?:[0-3]?\d)(?:st|nd|rd|th)?"
# A date at the start of a news item, in the many ways people write one.
DATE_PATTERNS: Final = [
    rf"{YEAR}\s*[./\-年]\s*[01]?\d(?:\s*[./\-月]\s*[0-3]?\d日?)?",  # 2024.05, 2024-05-01, 2024/05/01, 2024年5月
    rf"[01]?\d\s*[./\-]\s*{YEAR}",  # 05/2024
    rf"[0-3]?\d\s*[./\-]\s*[01]?\d\s*[./\-]\s*{YEAR}",  # 01.05.2024
    rf"{_MON}\.?\s*{_DAY}(?:\s*[,\-–]\s*(?:{_MON}\.?\s*)?{_DAY})*\s*,?\s*[’']?\s*{YEAR}",  # May 1st, 2024
    rf"{_DAY}\s+{_MON}\.?,?\s*{YEAR}",  # 1 May 2024
    rf"{_MON}\.?\s*[’',]?\s*{YEAR}",  # May 2024, Jun’2025
    rf"{_MON}\.?\s*[’']\s*\d\d\b",  # Jun '24
    rf"{_SEASON}\s*[’',]?\s*{YEAR}",  # Fall 2022
    rf"{_MON}\.?\s+{_DAY}\b",  # Jun 2 (the year the page was read)
    rf"{_DAY}\s+{_MON}\b\.?",  # 2 June (likewise)
    rf"{YEAR}",
]
DATE: Final = "(?:" + "|".join(DATE_PATTERNS) + ")"
_WHOLE_DATE: Final = re.compile(DATE, re.I)
# A news item opens with a date, maybe bracketed or bold, then a separator.
NEWS_DATE_RE: Final = re.compile(
    r"^\s*[\[(【]?\s*(" + DATE + r"(?:\s*[,&]\s*" + DATE + r")*)"
    r"(?:\s*[\])】]\s*(?:[:：\-–—|,.]+\s*)?|\s*(?:[:：\-–—|,.]+\s*|\s+))(?=\S)",  # a closing bracket separates too
    re.I,
)


def is_date(text: str) -> bool:
    """Whether a text is one date as written and nothing else ('May 2024', '2024.05', 'Jun 2')."""
    return _WHOLE_DATE.fullmatch(text.strip()) is not None


_YEAR_ONLY: Final = re.compile(YEAR)
_MONTH_WORD: Final = re.compile(_MON)
_SHORT_YEAR: Final = re.compile(r"'\s*(\d\d)\b")
_DAY_WORD: Final = re.compile(r"\b([0-3]?\d)(?:st|nd|rd|th)?\b")
_DAY_AT_END: Final = re.compile(r"\b([0-3]?\d)(?:st|nd|rd|th)?\s+$")
_DAY_AFTER: Final = re.compile(r"\.?\s*([0-3]?\d)(?:st|nd|rd|th)?\b")
_YEAR_AFTER: Final = re.compile(r"\.?\s*" + YEAR)
_YEAR_MONTH: Final = re.compile(rf"({YEAR})\s*[./\-年]\s*([01]?\d)(?:\s*[./\-月]\s*([0-3]?\d))?")
_MONTH_YEAR: Final = re.compile(rf"\b([01]?\d)\s*[./\-]\s*({YEAR})")


def parse_date(text: str, today: dt.date | None = None, default_year: int | None = None) -> str | None:
    """An ISO date (YYYY-MM-DD, YYYY-MM or YYYY) for a date as written, or None.

    A date written without a year ('Jun 2', 'May') takes ``default_year`` (the year a heading above it
    names), else the year of ``today`` (the day the page was read), else it is no date.
    """
    t = text.lower().replace("’", "'")
    years = _YEAR_ONLY.findall(t)
    m = _MONTH_WORD.search(t)
    month = MONTHS.get(m.group(0)[:3]) if m else None
    if not years:
        short = _SHORT_YEAR.search(t)
        if short:
            years = [f"20{short.group(1)}"]
    if not years:
        assumed = default_year or (today.year if today is not None else None)
        if month and assumed is not None:
            day = _DAY_WORD.search(t[m.end():] if m else "") \
                or _DAY_AT_END.search(t[:m.start()] if m else "")  # '2 June'
            return _iso(assumed, month, int(day.group(1)) if day else None)
        return None
    year = int(years[-1])
    if month:
        rest = t[m.end():] if m else ""
        day = _DAY_AFTER.match(rest)
        if day and not _YEAR_AFTER.match(rest):
            return _iso(year, month, int(day.group(1)))
        day = _DAY_AT_END.search(t[:m.start()] if m else "")  # '3 March 2023'
        return _iso(year, month, int(day.group(1)) if day else None)
    num = _YEAR_MONTH.search(t)
    if num and 1 <= int(num.group(2)) <= 12:
        return _iso(int(num.group(1)), int(num.group(2)), int(num.group(3)) if num.group(3) else None)
    num = _MONTH_YEAR.search(t)
    if num and 1 <= int(num.group(1)) <= 12:
        return f"{num.group(2)}-{int(num.group(1)):02d}"
    return f"{year:04d}"


def _iso(year: int, month: int, day: int | None) -> str:
    """YYYY-MM-DD, or YYYY-MM when the day is none or not a day of that month ('Feb 30')."""
    if day:
        try:
            return dt.date(year, month, day).isoformat()
        except ValueError:
            pass
    return f"{year:04d}-{month:02d}"


_NEWS_BADGE: Final = re.compile(r"^\s*[\[(]?\s*(?:new|hot|latest|updated?)\s*[!:]?\s*[\])]?\s*[:\-–—]?\s*", re.I)


_CJK_CHAR: Final = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def word_count(text: str) -> int:
    """Words in a text, counting two CJK characters as one (those scripts put no spaces between words)."""
    return len(text.split()) + len(_CJK_CHAR.findall(text)) // 2


_YEAR_THEN_SEPARATOR: Final = re.compile(r"^\s*[\[(【]?\s*" + YEAR + r"\s*[\])】]?\s*[:：\-–—|]")


_SPLIT_NEWS_DATE_MEMO: Final[MemoTable[str, tuple[str | None, str]]] = MemoTable(65536)


def split_news_date(text: str) -> tuple[str | None, str]:
    """('2024.05', 'rest') when the item opens with a date, else (None, text).

    Cached: whether records open with dates is asked of the same texts several times."""
    known = _SPLIT_NEWS_DATE_MEMO.answers.get(text)
    if known is None:
        known = _SPLIT_NEWS_DATE_MEMO.keep(text, _compute_split_news_date(text))
    return known


def _compute_split_news_date(text: str) -> tuple[str | None, str]:
    m = NEWS_DATE_RE.match(text)
    if not m:
        badge = _NEWS_BADGE.match(text)  # "New! Sep 2024: ..." / "🔥 2024.05 ...": a badge before the date
        if badge is None:
            return None, text
        m = NEWS_DATE_RE.match(text[badge.end():])
        if not m:
            return None, text
        text = text[badge.end():]
    date = m.group(1).strip()
    rest = text[m.end():].strip()
    if _YEAR_ONLY.fullmatch(date) and not _YEAR_THEN_SEPARATOR.match(text):
        return None, text  # a bare year opening a sentence ("2024 was...") is not a dated entry
    return date, rest


# ---------------------------------------------------------------- links

def link_kind(text: str, href: str) -> str | None:
    """pdf, arxiv, code, doi, project or other (None for links that are not about a paper)."""
    h, t = href.lower(), text.lower().strip(" []()")
    if h.startswith("mailto:"):
        return None
    if "arxiv.org" in h:
        return "pdf" if h.endswith(".pdf") and "pdf" in t else "arxiv"
    if "doi.org" in h or t == "doi":
        return "doi"
    if "github.com" in h or "gitlab.com" in h or "bitbucket.org" in h or "huggingface.co" in h \
            or t in ("code", "github", "software"):
        return "code"
    if h.endswith(".pdf") or t in ("pdf", "paper", "full text"):
        return "pdf"
    if t in ("project", "project page", "website", "webpage", "page", "homepage", "demo", "blog"):
        return "project"
    return "other"


# ---------------------------------------------------------------- names

UPPER: Final = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞĪŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŹŻŽ"  # capital letters, as a class's contents
_NAME_TOKEN = (rf"(?:(?:[{UPPER}]['’])?[{UPPER}][a-zà-ÿā-ž][\w'’]*\.?|(?:[{UPPER}]\.-?){{1,3}}|[{UPPER}]|"
               r"van|von|de|der|da|di|del|la|le|du|dos|bin|al|el)")
NAME_RE: Final = re.compile(rf"^{_NAME_TOKEN}(?:[\s\-]+{_NAME_TOKEN}){{1,3}}$")


# Words that title-case titles and venue names are made of, and that are nobody's name.
_NOT_NAME_WORDS: Final = frozenset("""
learning neural network networks vision language languages recognition pattern computer computers conference
international journal transactions systems system science sciences robotics robot robots processing intelligence
artificial machine machines data analysis model models deep graph graphs information knowledge natural
computational computation linguistics association proceedings workshop symposium annual meeting advances research
review letters society engineering technology technologies university institute lab laboratory school department
college center centre academy foundations foundation trends applications application theory methods method
optimization mathematical programming statistics statistical physics biology chemistry medicine medical health
computing software security privacy control automation multimedia retrieval generation speech audio video image
images text semantic representation representations reinforcement training efficient large scale towards via
using based through over under beyond toward your our their all new how what when why can does do is are the
a an of on in for to with from by at and or not survey benchmark dataset datasets framework approach study
detection segmentation estimation prediction classification reasoning planning policy policies agents agent
diffusion transformer transformers attention generative adversarial sparse dense fast scalable robust
unsupervised supervised self semi multi cross zero shot few task tasks open world real time dynamic dynamics
modeling modelling understanding editing synthesis alignment inference memory code programs program
ieee acm aaai springer elsevier press report technical preprint arxiv proceedings magazine annals
about me home homepage website personal academic welcome blog
""".split())  # (the last line: what a page's title says beside its owner's name, "About Me - Ada Lovelace")


_NAME_MARKS: Final = re.compile(r"[*†‡#§¶✉^\d,][*†‡#§¶✉^\d,]*$")  # (a class then its run: see _AUTHOR_MARKS)
_MARK_CHARS: Final = "*†‡#§¶✉^,"  # what ``_NAME_MARKS`` strips from the end, digits aside
_LEAD_AND: Final = re.compile(r"^(?:and|&)\s+")
_CJK_NAME: Final = re.compile(r"[\u4e00-\u9fff]{2,4}")


def _is_initial(word: str) -> bool:
    """A capital and a period ("B."), told without a pattern."""
    return len(word) == 2 and word[1] == "." and "A" <= word[0] <= "Z"


_LOOKS_LIKE_NAME_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def looks_like_name(text: str) -> bool:
    known = _LOOKS_LIKE_NAME_MEMO.answers.get(text)
    if known is None:
        known = _LOOKS_LIKE_NAME_MEMO.keep(text, _compute_looks_like_name(text))
    return known


def _compute_looks_like_name(text: str) -> bool:
    t = text.strip()
    if t[-1:] in _MARK_CHARS or t[-1:].isdigit():  # (the pattern would be tried at every position)
        t = _NAME_MARKS.sub("", t).strip()
    if t.startswith(("and", "&")):
        t = _LEAD_AND.sub("", t)
    if not t or len(t) > 40:
        return False
    words = t.split()
    if len(words[-1]) <= 3 and words[-1][:1].isupper():
        words.pop()  # a short surname ("Haozhe An", "Quoc Le") is no function word
    for w in words:  # (a loop, not a generator: most names are two or three words)
        # an initial ("A.", not the article "a") is a name's word
        if w.lower().strip(".:-") in _NOT_NAME_WORDS and not _is_initial(w):
            return False
    if not NAME_RE.match(t):
        # CJK names and all-caps surnames are names too
        return bool(_CJK_NAME.fullmatch(t))
    return True


# "and" as a word, written to open with its letter: a pattern whose every branch opens with a character is
# searched for those characters, rather than tried at every position of the line
AND_WORD: Final = r"a(?<=\ba)nd\b"
_AUTHOR_SEP: Final = re.compile(rf",|;|&|，|{AND_WORD}")
_SURNAME_SEP: Final = re.compile(rf",|;|&|{AND_WORD}")
_SURNAME: Final = re.compile(
    rf"(?:(?:van|von|de|der|da|di|del|la|le)\s+)*[{UPPER}](?:['’][{UPPER}])?[a-zà-ÿā-ž][\w'’\-]*")


def surname_list(text: str) -> bool:
    """'Ballou, Földes, Vuorre, & Przybylski': two or more bare surnames (APA lists in some templates)."""
    parts = [p.strip(" .*†‡") for p in _SURNAME_SEP.split(text) if p.strip(" .")]
    return len(parts) >= 2 and all(
        (_SURNAME.fullmatch(p) and p.lower() not in _NOT_NAME_WORDS) or looks_like_name(p) for p in parts)


# Written as a class, then its run: a pattern that opens with a class is scanned for its characters,
# where one that opens with a repeat ("[...]+") is tried at every position of the text
_AUTHOR_MARKS: Final = re.compile(r"[*†‡#§¶✉^][*†‡#§¶✉^]*")


def _split_at_separators(text: str) -> list[str]:
    """``_AUTHOR_SEP.split(text)``. Without "and", every separator is one character, and replacing
    them with commas to split at those is several times cheaper than the search (most lines)."""
    if "and" in text:
        return _AUTHOR_SEP.split(text)
    return text.replace(";", ",").replace("&", ",").replace("，", ",").split(",")


def split_authors(text: str) -> list[str]:
    parts = _split_at_separators(text)
    marked = _AUTHOR_MARKS.search(text) is not None  # most lists have no marks: one search, not one per name
    out = []
    for p in parts:
        p = (_AUTHOR_MARKS.sub("", p) if marked else p).strip(" .")
        if p and p.lower() not in ("et al", "et al."):
            out.append(p)
    return out


_PARENTHESES: Final = re.compile(r"\(.*?\)")
_ET_AL: Final = re.compile(r"e(?<=\be)t\s+al\.?")  # "\bet": written to open with its letter (see AND_WORD)


_BARE_INITIALS_NAME: Final = re.compile(rf"[{UPPER}]{{1,2}} [{UPPER}][a-zà-ÿā-ž][\w'’\-]*")


_AUTHOR_SHARE_MEMO: Final[MemoTable[str, float]] = MemoTable(65536)


def author_share(text: str) -> float:
    """How much of a line is a list of person names (0..1): the mark of an author line."""
    known = _AUTHOR_SHARE_MEMO.answers.get(text)
    if known is None:
        known = _AUTHOR_SHARE_MEMO.keep(text, _compute_author_share(text))
    return known


def _compute_author_share(text: str) -> float:
    t = _PARENTHESES.sub(" ", text) if "(" in text else text  # (each pattern wants a fixed character)
    parts = _author_parts(t)
    if len(parts) < 2:
        return _lone_share(parts[0] if parts else None)
    return _share(len(parts), *_name_counts(parts))


def _author_parts(text: str) -> list[str]:
    """The parts of a line (its parentheses gone) that ``author_share`` weighs: between its separators."""
    t = _ET_AL.sub(",", text) if "et" in text else text
    return [p.strip() for p in _split_at_separators(t) if p.strip(" .")]


def _bare_initials(part: str) -> bool:
    """Initials without periods ("A Jabri, A Owens, A Efros"), the style of some exported lists: names when
    two or more parts are written so ("A Owens" alone could be a title's "A Survey")."""
    return _BARE_INITIALS_NAME.fullmatch(part.rstrip(".")) is not None


def _lone_share(part: str | None) -> float:
    """The share of a line with one part (or none): a name of two words or more is a whole author line."""
    return 1.0 if part is not None and looks_like_name(part) and len(part.split()) >= 2 else 0.0


def _name_counts(parts: list[str]) -> tuple[int, int]:
    """How many ``parts`` are names, and how many of the others are written as bare initials."""
    names = bare = 0
    for part in parts:
        if looks_like_name(part):
            names += 1
        elif _bare_initials(part):
            bare += 1
    return names, bare


def _share(parts: int, names: int, bare: int) -> float:
    """The share of names among two or more parts, ``bare`` of the others written as bare initials."""
    return (names + bare) / parts if bare >= 2 else names / parts


class SuffixShares:
    """``author_share(", ".join(pieces[i:]))`` for any ``i`` (``share``), each piece split and its parts
    judged once, from the line's end: a one-line reference's title search asks for the share of most of
    its ends, and each end, joined and read whole, read the line's tail again (a 58 KiB list of
    references served as HTML: 21 ms to 6.4 ms, read the first time). The counts of an end are its first
    piece's and those of the end after it; a piece with a parenthesis still open at its end is read
    together with the pieces up to the one that closes it, as the whole end's text reads them
    (``_PARENTHESES``: an open parenthesis goes with the first closing one after it, and one with none
    after it stays). (A plain class: compiled, its ``__init__`` is C.)"""

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        # from each piece to the line's end: parts, names among them, bare initials among the others, and
        # the one part when there is only one
        self.parts = [0] * (len(pieces) + 1)
        self.names = [0] * (len(pieces) + 1)
        self.bare = [0] * (len(pieces) + 1)
        self.lone: list[str | None] = [None] * (len(pieces) + 1)
        self.next = len(pieces) - 1  # the next piece to count in, from the end
        # (``_PARENTHESES`` never matches across a line break, which reading piece by piece does not model:
        # such a line's ends are read whole)
        self.whole = any("\n" in p for p in pieces)

    def share(self, i: int) -> float:
        if self.whole:
            return author_share(", ".join(self.pieces[i:]))
        while self.next >= i:
            self._count(self.next)
            self.next -= 1
        parts = self.parts[i]
        if parts < 2:
            return _lone_share(self.lone[i] if parts == 1 else None)
        return _share(parts, self.names[i], self.bare[i])

    def _count(self, i: int) -> None:
        pieces = self.pieces
        head, last = pieces[i], i
        while "(" in head and head.rfind("(") > head.rfind(")") and last < len(pieces) - 1:
            last += 1
            head = f"{head}, {pieces[last]}"
        found = _author_parts(_PARENTHESES.sub(" ", head) if "(" in head else head)
        names, bare = _name_counts(found)
        rest = last + 1
        self.parts[i] = len(found) + self.parts[rest]
        self.names[i] = names + self.names[rest]
        self.bare[i] = bare + self.bare[rest]
        self.lone[i] = found[-1] if found else self.lone[rest]


WITH_COAUTHORS: Final = re.compile(r"(?:joint\s+(?:work\s+)?)?with\s", re.I)  # "(with A and B)" after a title


def without_coauthors(title: str) -> str:
    """A title without the co-authors a page names after it ("Interval orders (with Ann Roe)", as
    mathematicians and economists list their papers): they are not part of it."""
    if not title.endswith(")"):
        return title
    at = title.rfind("(")
    if at > 0 and WITH_COAUTHORS.match(title, at + 1):
        return title[:at].rstrip(" ,;:-–—")
    return title
