"""The small cues extraction is built from (monitor/extract/cues.py), one table per helper.

Each row is input -> expected, so a change of behaviour shows as the exact rows it changes. The rows
pin behaviour that is right for how academic pages are written; inputs where the current answer is
doubtful are left out rather than pinned.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
import subprocess
import sys

import pytest

from monitor.extract.cues import (
    author_share,
    heading_kind,
    link_kind,
    looks_like_name,
    parse_date,
    split_authors,
    split_news_date,
    strip_symbols,
)
from monitor import scholarly
from monitor.extract import cues
from monitor.extract.announce import sentences
from monitor.extract import dom
from monitor.extract.dom import clean
from monitor.scholarly import VENUE_CUE, VENUE_NAME_CUE, find_year, venue_core

READ_ON = dt.date(2026, 11, 23)


@pytest.mark.parametrize("heading, kind", [
    ("Publications", "publications"),
    ("📝 Publications", "publications"),
    ("Selected Publications", "publications"),
    ("My Publications", "publications"),
    ("1. Publications", "publications"),
    ("## Papers", "publications"),
    ("Preprints:", "publications"),
    ("Selected Preprints", "publications"),
    ("Conference Papers", "publications"),
    ("Journal Papers", "publications"),
    ("Working Papers", "publications"),
    ("Under Review", "publications"),
    ("Publications (* equal contribution)", "publications"),
    ("Publikationen", "publications"),
    ("论文", "publications"),
    ("News", "news"),
    ("Recent News", "news"),
    ("Latest News", "news"),
    ("What's New", "news"),
    ("Updates", "news"),
    ("News & Updates", "news"),
    ("Actualités", "news"),
    ("新闻", "news"),
    ("ニュース", "news"),
    ("Education", "other"),
    ("Teaching", "other"),
    ("Awards & Honors", "other"),
    ("Honors and Awards", "other"),
    ("Recent Talks", "other"),
    ("Professional Services", "other"),
    ("Contact", "other"),
    ("Research Interests", "other"),
    ("Research Projects", "other"),
    ("", None),
    ("Hello world", None),
    ("Publications of the group on deep learning for protein design", None),  # a title, not a section
    ("x" * 81, None),
])
def test_heading_kind(heading: str, kind: str | None) -> None:
    assert heading_kind(heading) == kind


# Plain-text lines have no styling to tell a heading from a title: the strict mode takes only a whole
# section phrase (with leading modifiers), the same vocabulary as the styled mode above.
STRICT_HEADINGS = [
    ("Publications", "publications"),
    ("Selected Publications", "publications"),
    ("📝 Publications", "publications"),
    ("1. Publications", "publications"),
    ("Publications (* equal contribution)", "publications"),
    ("Refereed Conference Papers", "publications"),
    ("Peer-Reviewed Journal Articles", "publications"),
    ("International Journal Papers", "publications"),
    ("Conference and Journal Papers", "publications"),
    ("Conference Proceedings", "publications"),
    ("Selected Works", "publications"),
    ("Books", "publications"),
    ("发表论文", "publications"),
    ("精选论文", "publications"),
    ("Publikationen", "publications"),
    ("News", "news"),
    ("Recent News", "news"),
    ("🔥 News", "news"),
    ("News & Updates", "news"),
    ("What's New", "news"),
    ("Research Highlights", "news"),
    ("新闻动态", "news"),
    ("学术动态", "news"),
    ("お知らせ", "news"),
    ("Awards and Honors", "other"),
    ("🎖 Honors and Awards", "other"),
    ("Invited Talks", "other"),
    ("Professional Service", "other"),
    ("Research Interests", "other"),
    ("About Me", "other"),
    ("Curriculum Vitae", "other"),
    ("个人简介", "other"),
    ("Research", "neutral"),  # a research statement or a list of papers: the content decides
    ("Selected Work", "neutral"),
    ("Home", "neutral"),
    ("Detecting Fake News", None),  # a title ending in a section word
    ("Journal Reviewer", None),
    ("Highlights Publications Talks Misc", None),  # a navigation bar naming several sections
    ("Publications and Talks", None),
    ("International Conference on Learning Representations", None),  # a venue
    ("Proceedings of ACL 2023", None),
    ("基于深度学习的论文推荐系统研究", None),  # a Chinese title, not a heading
    ("联系方式", None),  # its head word is not a section word
    ("Hello world", None),
]


@pytest.mark.parametrize("heading, kind", STRICT_HEADINGS)
def test_heading_kind_strict(heading: str, kind: str | None) -> None:
    assert heading_kind(heading, head_noun=False) == kind


@pytest.mark.parametrize("heading, styled, strict", [
    ("Detecting Fake News", "news", None),  # styled as a heading it names a section; in plain text it is a title
    ("Journal Papers", "publications", "publications"),
    ("Work Experience", "other", None),
    ("Research", "publications", "neutral"),
    ("Publications in 2024", "publications", None),
])
def test_heading_kind_modes(heading: str, styled: str | None, strict: str | None) -> None:
    assert (heading_kind(heading), heading_kind(heading, head_noun=False)) == (styled, strict)


@pytest.mark.parametrize("text, stripped", [
    ("📝 Publications", " Publications"),
    ("News 🔥", "News "),
    ("Über 论文", "Über 论文"),
    ("line one\nline two", "line one\nline two"),
])
def test_strip_symbols(text: str, stripped: str) -> None:
    assert strip_symbols(text) == stripped


@pytest.mark.parametrize("text, today, iso", [
    ("2024.05", None, "2024-05"),
    ("2024-05-01", None, "2024-05-01"),
    ("2024/05/01", None, "2024-05-01"),
    ("2024年5月", None, "2024-05"),
    ("2024年5月3日", None, "2024-05-03"),
    ("05/2024", None, "2024-05"),
    ("May 1st, 2024", None, "2024-05-01"),
    ("Sep. 5th, 2024", None, "2024-09-05"),
    ("May 2024", None, "2024-05"),
    ("September 2023", None, "2023-09"),
    ("Jun’2025", None, "2025-06"),
    ("Jun '24", None, "2024-06"),
    ("Fall 2022", None, "2022"),
    ("2024", None, "2024"),
    ("2023.13", None, "2023"),  # no month 13: the year alone
    ("13/2024", None, "2024"),
    ("Aug 32, 2024", None, "2024-08"),  # no day 32: the month alone
    ("Jun 2", READ_ON, "2026-06-02"),  # no year: the year the page was read
    ("Dec 31", READ_ON, "2026-12-31"),
    ("Jun 2", None, None),
    ("no date here", READ_ON, None),
])
def test_parse_date(text: str, today: dt.date | None, iso: str | None) -> None:
    assert parse_date(text, today) == iso


# Dates as pages write them, with the year a heading above them names (or None): both readers agree.
DATES = [
    ("2024.05", None, "2024-05"),
    ("2024-05-03", None, "2024-05-03"),
    ("2024/5", None, "2024-05"),
    ("2024年5月3日", None, "2024-05-03"),
    ("05/2021", None, "2021-05"),
    ("May 2024", None, "2024-05"),
    ("May, 2024", None, "2024-05"),
    ("Sept. 2023", None, "2023-09"),
    ("September 2023", None, "2023-09"),
    ("Mar 1, 2023", None, "2023-03-01"),
    ("Sep. 5th, 2024", None, "2024-09-05"),
    ("3 March 2023", None, "2023-03-03"),
    ("Jun '24", None, "2024-06"),
    ("Fall 2022", None, "2022"),
    ("2019", None, "2019"),
    ("2024-02-30", None, "2024-02"),  # no such day: the month alone
    ("Feb 30, 2024", None, "2024-02"),
    ("2024-13", None, "2024"),  # no such month: the year alone
    ("Jun 2", None, None),  # no year written and none known
    ("Jun 2", 2026, "2026-06-02"),
    ("2 June", 2026, "2026-06-02"),
    ("May", 2025, "2025-05"),
]


@pytest.mark.parametrize("text, default_year, iso", DATES)
def test_parse_date_with_the_year_of_a_heading(text: str, default_year: int | None, iso: str | None) -> None:
    assert parse_date(text, default_year=default_year) == iso


@pytest.mark.parametrize("item, date, rest", [
    ("2024.05: Paper accepted to ACL.", "2024.05", "Paper accepted to ACL."),
    ("[May 2024] Started at Google.", "May 2024", "Started at Google."),
    ("Jun 2, 2025 – joined MIT", "Jun 2, 2025", "joined MIT"),
    ("Sep. 5th, 2024: new paper", "Sep. 5th, 2024", "new paper"),
    ("【2024.05】 中文新闻", "2024.05", "中文新闻"),
    ("Fall 2022: started my PhD", "Fall 2022", "started my PhD"),
    ("Jun '24 | talk", "Jun '24", "talk"),
    ("05/2024 - new job", "05/2024", "new job"),
    ("2024-05 - joined", "2024-05", "joined"),
    ("2024: we moved", "2024", "we moved"),
    ("2024 was a great year.", None, "2024 was a great year."),  # a bare year opening a sentence
    ("No date in this line", None, "No date in this line"),
    ("Hello 2024.05: x", None, "Hello 2024.05: x"),  # the date must open the item
])
def test_split_news_date(item: str, date: str | None, rest: str) -> None:
    assert split_news_date(item) == (date, rest)


@pytest.mark.parametrize("venue, core", [
    ("ICLR 2024", {"ICLR 2024", "ICLR", "2024"}),
    ("ICLR, 2024", {"ICLR 2024", "ICLR", "2024"}),
    ("The Twelfth International Conference on Learning Representations (ICLR 2024)", {"ICLR 2024", "ICLR", "2024"}),
    ("ICLR 2024 (Oral)", {"ICLR 2024", "ICLR", "2024", "oral"}),
    ("ACL 2023 (Findings)", {"ACL 2023", "ACL", "2023", "findings"}),
    ("In Proceedings of NeurIPS 2022", {"NEURIPS 2022", "2022"}),
    ("IEEE TPAMI, 2023", {"TPAMI 2023", "TPAMI", "2023"}),  # a publisher is not a venue
    ("ACM CHI 2021", {"CHI 2021", "CHI", "2021"}),
    ("CVPR 2024 (Highlight)", {"CVPR 2024", "CVPR", "2024", "highlight"}),
    ("AAAI 2024, Best Paper Award", {"AAAI 2024", "AAAI", "2024", "best paper", "award"}),
    ("arXiv preprint arXiv:2401.12345", {"arxiv", "preprint"}),  # an arXiv id is not a year
    ("arXiv:2310.01234, 2023", {"arxiv", "2023"}),
    ("Under Review", {"under review"}),
    ("Journal of Machine Learning Research, 2019", {"2019"}),
    ("", set()),
])
def test_venue_core(venue: str, core: set[str]) -> None:
    assert venue_core(venue) == frozenset(core)


@pytest.mark.parametrize("text, year", [
    ("Proceedings of ACL 2023", 2023),
    ("ACL 2023, pages 1-10, 2024", 2024),  # the last year
    ("NeurIPS'23", 2023),
    ("https://x.org/2019/paper, ICML 2020", 2020),  # not a year inside a URL
    ("arXiv:2401.12345", 2024),  # the id's YYMM dates a preprint when nothing else does
    ("arXiv:2401.12345, ICLR 2025", 2025),  # but a written year wins
    ("arXiv:0612.1234", None),  # the YYMM scheme starts in 2007
    ("Nature", None),
])
def test_find_year(text: str, year: int | None) -> None:
    assert find_year(text) == year


@pytest.mark.parametrize("text, href, kind", [
    ("PDF", "https://x.org/p.pdf", "pdf"),
    ("(PDF)", "https://x.org/paper", "pdf"),
    ("Paper", "https://openreview.net/forum?id=1", "pdf"),
    ("Full text", "https://x.org/ft", "pdf"),
    ("arXiv", "https://arxiv.org/abs/2401.1", "arxiv"),
    ("pdf", "https://arxiv.org/pdf/2401.1.pdf", "pdf"),
    ("paper", "https://arxiv.org/pdf/2401.1.pdf", "arxiv"),
    ("Code", "https://example.org/code", "code"),
    ("[code]", "https://x.org", "code"),
    ("", "https://github.com/a/b", "code"),
    ("", "https://gitlab.com/x", "code"),
    ("", "https://huggingface.co/x", "code"),
    ("DOI", "https://x.org/1", "doi"),
    ("", "https://doi.org/10.1/2", "doi"),
    ("Project Page", "https://x.github.io/p", "project"),
    ("Website", "https://x.org", "project"),
    ("Demo", "https://x.org/demo", "project"),
    ("Blog", "https://x.org/b", "project"),
    ("Slides", "https://x.org/s", "other"),
    ("Video", "https://youtube.com/x", "other"),
    ("email", "mailto:a@b.c", None),
])
def test_link_kind(text: str, href: str, kind: str | None) -> None:
    assert link_kind(text, href) == kind


@pytest.mark.parametrize("text, is_name", [
    ("Ada Lovelace", True),
    ("Ada Q. Lovelace", True),
    ("J. R. R. Tolkien", True),
    ("Ludwig van Beethoven", True),
    ("Jean-Luc Picard", True),
    ("Zhi-Hong Deng", True),
    ("José García", True),
    ("Ada Lovelace*", True),  # equal-contribution and affiliation marks
    ("Alan Turing†", True),
    ("Yoshua Bengio 1", True),
    ("Alan M. Turing,", True),
    ("and Alan Turing", True),
    ("张三", True),
    ("张三丰", True),
    ("Deep Learning", False),
    ("Neural Networks", False),
    ("Large Language Models", False),
    ("Attention Is All You Need", False),
    ("Stanford University", False),
    ("Proceedings of ACL", False),
    ("ICLR", False),
])
def test_looks_like_name(text: str, is_name: bool) -> None:
    assert looks_like_name(text) is is_name


@pytest.mark.parametrize("line, share", [
    ("Ada Lovelace, Alan Turing, and Grace Hopper", 1.0),
    ("Ada Lovelace; Alan Turing", 1.0),
    ("Ada Lovelace et al.", 1.0),
    ("Ada Lovelace*, Alan Turing* (equal contribution)", 1.0),
    ("张三, 李四", 1.0),
    ("Ada Lovelace", 1.0),
    ("Ada Lovelace, Deep Learning", 0.5),
    ("Ada Lovelace, Alan Turing, Neural Networks, Graph Models", 0.5),
    ("Lovelace", 0.0),  # one word is no author line
    ("Deep Learning for Vision", 0.0),
    ("ICLR 2024", 0.0),
    ("", 0.0),
])
def test_author_share(line: str, share: float) -> None:
    assert author_share(line) == share


@pytest.mark.parametrize("line", [
    "Sparse Voxels, Ada Lovelace, Alan Turing and Grace Hopper, CVPR 2024",
    "Title (CVPR 2020, Seattle, WA), Ada Lovelace, Alan Turing (Oral)",  # a parenthesis over three pieces
    "Interval orders (with Ann Roe, Bo Li), Ada Lovelace",
    "A (b, c) d (e, f), Ada Lovelace, Alan Turing (2020)",
    "Title, Ada Lovelace (never closed, Alan Turing",
    "x) (y, Ada Lovelace, Alan Turing",  # a stray closing one, then an open one
    "Deep Nets, Ada Lovelace et al., NeurIPS",
    "Title, A Jabri, A Owens, A Efros",  # bare initials, counted when two or more
    "Title, A Owens, Deep Learning",
    "Title, Ada Lovelace & Alan Turing; Grace Hopper，Bo Li",
    "Title, , ., Ada Lovelace",  # empty pieces
    "Title, Lovelace",
    "Title (a\nb), Ada Lovelace, (c, Alan Turing",  # a line break: read whole
])
def test_suffix_shares_are_the_shares_of_the_joined_ends(line: str) -> None:
    """``SuffixShares`` counts each piece once from the line's end; each end's share is still exactly
    ``author_share`` of that end joined (asked in any order)."""
    pieces = [p.strip() for p in line.split(",")]
    order = list(range(len(pieces)))
    random.Random(len(line)).shuffle(order)
    ends = cues.SuffixShares(pieces)
    assert {i: ends.share(i) for i in order} == {i: author_share(", ".join(pieces[i:])) for i in order}


def test_suffix_shares_on_random_lines() -> None:
    rnd = random.Random(7)
    words = ["(", ")", "(a", "b)", "x(y", "Ann", "Lee", "A.", "B", "et al.", "et", "al", "and", "&", ";", "，",
             "Title", "of", "Deep", "J", "Smith", "(2020)", "A Jabri", "A Owens", "(with", "Ann)", "Bob and"]
    for _ in range(3000):
        pieces = [" ".join(rnd.choice(words) for _ in range(rnd.randint(0, 4))).strip() for _ in range(rnd.randint(1, 7))]
        ends = cues.SuffixShares(pieces)
        for i in sorted(range(len(pieces)), key=lambda _: rnd.random()):
            assert ends.share(i) == author_share(", ".join(pieces[i:])), (pieces, i)


@pytest.mark.parametrize("line, authors", [
    ("Ada Lovelace, Alan Turing, and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
    ("A and B", ["A", "B"]),
    ("A; B & C", ["A", "B", "C"]),
    ("X*, Y†, et al.", ["X", "Y"]),
    ("张三，李四", ["张三", "李四"]),
])
def test_split_authors(line: str, authors: list[str]) -> None:
    assert split_authors(line) == authors


@pytest.mark.parametrize("text, cleaned", [
    ("Deep Learning", "Deep Learning"),  # clean already
    ("  Deep   Learning ", "Deep Learning"),
    ("      Deep Learning    ", "Deep Learning"),  # an indented line of markup: runs at the ends only
    (" Deep Learning", "Deep Learning"),
    ("Deep Learning  ", "Deep Learning"),
    ("   Deep  Learning ", "Deep Learning"),  # a run inside too
    ("\tDeep\t\tLearning\r", "Deep Learning"),  # tabs and the like collapse as spaces do
    ("Deep\u00a0Learning\u3000for\u2009All", "Deep Learning for All"),  # other spaces too
    ("Deep Lear\u00adning\u200b", "Deep Learning"),  # zero-width characters and soft hyphens go
    ("Ma\u200b  chine", "Ma chine"),  # ... before the spaces are collapsed
    ("Café  Crème", "Café Crème"),
    ("one \n two", "one \n two"),  # a line break stays (lines are split before they are cleaned)
    ("a\u2028  b\t", "a\u2028 b"),  # separators that are not spaces stay; the spaces around them collapse
    ("\x1c a", "a"),  # at the ends, any white space goes
])
def test_clean(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned


def test_clean_takes_printable_text_as_it_is() -> None:
    """``clean`` returns a printable text with single plain spaces unchanged, unread by its patterns: every
    character it collapses or drops but the plain space is unprintable. Checked over every code point, so
    a character added to its classes that a printable text can hold fails here."""
    for cp in range(sys.maxunicode + 1):
        c = chr(cp)
        if c.isprintable() and c != " ":
            assert clean(f"a{c}b") == f"a{c}b" and (not c.isspace()), hex(cp)
            assert dom._UNCLEAN.search(c) is None and dom._NOT_SPLIT_ALIKE.search(c) is None, hex(cp)


@pytest.mark.parametrize("text, parts", [
    ("I joined MIT. Then I moved.", ["I joined MIT.", "Then I moved."]),
    ("See fig. two and more", ["See fig. two and more"]),  # no capital after the stop: one sentence
    ("Done!  2025 was good.", ["Done!", "2025 was good."]),
    ("End.\u00a0\u201cQuoted\u201d", ["End.", "\u201cQuoted\u201d"]),
    ("one\n\ntwo\nthree", ["one", "two", "three"]),
    ("A.\nB", ["A.", "B"]),
    ("Ends here.", ["Ends here."]),
])
def test_sentences(text: str, parts: list[str]) -> None:
    assert sentences(text) == parts


def test_a_long_run_of_digits_is_read_in_linear_time() -> None:
    """Numbered headings ("1. Publications") once let a run of digits split many ways: 24 digits took
    half a minute. The answer must come at once (a subprocess, so a regression fails instead of hanging)."""
    code = "from monitor.extract import cues; print(cues.heading_kind('1' * 60), cues.heading_kind('12. News'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert out.stdout.split() == ["None", "news"]


@pytest.mark.parametrize("line, names_venue, hints_venue", [
    ("In Proceedings of ACL 2023", True, True),
    ("IEEE Transactions on Pattern Analysis and Machine Intelligence", True, True),
    ("Journal of Machine Learning Research, 2019", True, True),
    ("arXiv preprint arXiv:2401.12345", True, True),
    ("Under Review", True, True),
    ("Work in Progress", True, True),
    ("PhD Dissertation, 2023", True, True),
    ("Springer, 2020", False, True),  # a publisher is no venue by itself
    ("Psychonomic Bulletin & Review", False, True),  # 'Review' names venues and titles alike
    ("A Review of Graph Neural Networks", False, True),
    ("Long-Term Memory for Language Models", False, True),  # 'Long' is a paper's format only beside a venue
    ("ICLR 2024 (Oral)", False, True),
    ("Detecting Fake News", False, False),
])
def test_venue_cues(line: str, names_venue: bool, hints_venue: bool) -> None:
    """VENUE_NAME_CUE: words that name a venue on their own (plain-text lines); VENUE_CUE adds the words
    that need the line's role too (the HTML path's venue lines)."""
    assert (bool(VENUE_NAME_CUE.search(line)), bool(VENUE_CUE.search(line))) == (names_venue, hints_venue)


def test_venue_cues_match_as_ignorecase_does() -> None:
    """The venue cues write each word's initial as the characters IGNORECASE matches for it (to be
    searched faster): every character of Unicode, and the matches they give, are those of the plain
    case-blind pattern."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    for letter in string.ascii_lowercase:
        variants = letter + letter.upper() + scholarly._CASE_EXTRA.get(letter, "")
        assert set(re.findall(letter, every, re.I)) == set(variants)
    plain = re.compile(r"\b(?:" + scholarly.VENUE_WORDS + "|" + scholarly.STATUS_WORDS + r")\b", re.I)
    text = ("In Proceedings of ACL, TECH. REPORT; ſubmitted to the İEEE Workshop (Oral), arXiv preprints, "
            "technique report, under  review, Best Paper, Letters, Advances in NeurIPS, tech report")
    assert [m.span() for m in VENUE_CUE.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_print_details_are_looked_for_by_what_they_hold() -> None:
    """scholarly searches for volume and pages only in a line that holds what every match of them holds
    (a number before '(' or ':', or the opening of a detail word): random lines of the characters
    those patterns are about never match without it."""
    rnd = random.Random(7)
    alphabet = "0123456789 ,.:()-–vVoOlLnNuUmMiIİıSsſeEpPaAgGrRtTbx\n"
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 16)))
        if scholarly._VENUE_DETAIL.search(line):
            assert scholarly._detail(line) is not None, line


def test_year_pattern_finds_what_year_does() -> None:
    """YEAR_RE opens with a digit (to be searched faster) and is written out: it must find what
    ``YEAR`` not inside a longer number, a date or a version finds, and nothing else."""
    plain = re.compile(r"(?<![\d./])(" + scholarly.YEAR + r")(?![\d])")
    rnd = random.Random(11)
    alphabet = "0123456789129520./- a"
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 14)))
        assert [m.span(1) for m in scholarly.YEAR_RE.finditer(line)] == [m.span(1) for m in plain.finditer(line)], line


def test_a_venue_word_list_out_of_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="lowercase ASCII letter"):
        scholarly._by_initial(r"journal|(?:new)\s+venue")


def test_norm_of_ascii_is_that_of_lowering_and_searching() -> None:
    """norm() turns ASCII text into its key with one translation: the keys in the database must stay
    those of lowering it and replacing each run of non-word characters with a space."""
    from monitor.models import norm
    not_word = re.compile(r"[^\w]+")
    rnd = random.Random(13)
    every_ascii = "".join(map(chr, range(128)))
    for _ in range(20000):
        text = "".join(rnd.choice(every_ascii) for _ in range(rnd.randint(0, 24)))
        assert norm(text) == " ".join(not_word.sub(" ", text.lower()).split()), repr(text)
    assert norm("Ünïcode — Café_Ω  X") == "unicode cafe_ω x"
    assert norm(None) == norm("") == ""


def test_norm_of_other_text_drops_each_combining_mark_as_asking_each_character_did() -> None:
    """Beyond ASCII, the marks NFKD splits off are dropped by a table of the distinct characters that are
    marks, not by asking each character: the keys stay those of the per-character filter."""
    import unicodedata

    from monitor.models import norm
    not_word, zero_width = re.compile(r"[^\w]+"), re.compile(r"[\u200b-\u200d\u2060\ufeff]")

    def per_character(text: str) -> str:
        text = unicodedata.normalize("NFKD", text)
        text = zero_width.sub("", "".join(c for c in text if not unicodedata.combining(c)).casefold())
        return " ".join(not_word.sub(" ", text).split())

    pool = [chr(i) for i in [*range(32, 127), *range(0xC0, 0x250), *range(0x300, 0x370), *range(0x400, 0x460),
                             0x200B, 0xFEFF, 0x4E00, 0x0E49, 0x093F, 0x05B0, 0x1D165, 0xFB01, 0x2163]]
    rnd = random.Random(7)
    for _ in range(5000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(1, 30)))
        assert norm(text) == per_character(text), repr(text)
    assert norm("Nguyễn Thị Ångström ﬁx\u0301") == "nguyen thi angstrom fix"


def test_author_separators_split_as_the_pattern_does() -> None:
    """Author lines without "and" are split by replacing their one-character separators with commas,
    and "et al" is found by a pattern that opens with its letter: both give what the plain patterns give."""
    author_sep = re.compile(r",|;|&|，|\band\b")
    et_al = re.compile(r"\bet\s+al\.?")
    rnd = random.Random(17)
    alphabet = "and ,;&，etl.Ax\n-_é9"
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 16)))
        assert cues._split_at_separators(line) == author_sep.split(line), repr(line)
        assert cues._ET_AL.sub(",", line) == et_al.sub(",", line), repr(line)


def test_looks_like_name_tells_initials_from_function_words() -> None:
    """looks_like_name passes a word of the not-a-name list only when it is an initial ("A."), which it
    tells without a pattern: the same answers as the search."""
    initial = re.compile(r"[A-Z]\.")
    rnd = random.Random(19)
    words = ["A.", "a.", "A", "a", "An", "B.", "Of", "of.", "Lee", "Ng", "Deep", "Li", "van", "de", "Data:", "-the-"]
    for _ in range(5000):
        text = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 4)))
        t = text.strip()
        ws = t.split()
        if len(ws[-1]) <= 3 and ws[-1][:1].isupper():
            ws = ws[:-1]
        refused = any(w.lower().strip(".:-") in cues._NOT_NAME_WORDS and not initial.fullmatch(w) for w in ws)
        expected = False if refused else bool(cues.NAME_RE.match(t) or cues._CJK_NAME.fullmatch(t))
        assert cues.looks_like_name(text) == expected, text


def test_author_line_ends_are_found_as_the_full_searches_find_them() -> None:
    """parse_authors and _authors_prefix search "et al.", a final initial and the breaks after an author list
    only where a match can be (the line's last characters; "(" in the list): random stripped lines give the
    same matches as searching the whole line."""
    from monitor.extract import text
    rnd = random.Random(23)
    alphabet = ["et al", "ET AL.", "others", "OTHERS.", "and", "…", "...", ".", ",", " ", "\n", "A.", "ſ", "(2021)",
                "(", ")", "Li", "x", "1"]
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 8))).strip()
        gated = line[-1:] in text._ETAL_LAST and text._ETAL_END.search(line, len(line) - text._ETAL_END_LEN)
        if text._ETAL.search(line):
            assert gated, repr(line)
        if line.endswith("."):
            assert bool(text._INITIAL_AT_END.search(line, len(line) - 2)) == bool(text._INITIAL_AT_END.search(line))
        finder = text._AUTHORS_END if "(" in line else text._PERIOD_BREAK
        assert [m.span() for m in finder.finditer(line)] == [m.span() for m in text._AUTHORS_END.finditer(line)]


def test_every_announcement_match_holds_a_cue_word() -> None:
    """Announcements search only the texts and sentences that hold one of their kind's cue words: random
    lowercase sentences made of the patterns' words never match without one."""
    from monitor.extract import announce
    rnd = random.Random(29)
    words = ("i am on the job market . seeking new research positions roles employment opportunities will "
             "graduate defend my phd thesis expected graduation looking for phd students interns openings : "
             "prospective students if you are a student interested in apply join joined as an incoming "
             "professor postdoc fellow faculty member start at move to moving transition industry no longer "
             "taking accepting new we lab is hiring 2 - 3 招收 博士 recently completed defended").split()
    patterns = dict(announce.PATTERNS)
    for _ in range(20000):
        said = " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 9)))
        for kind, pattern in patterns.items():
            if pattern.search(said):
                assert announce._cued(said, kind), (kind, said)
        if announce._RECENTLY_GRADUATED.search(said):
            assert announce._cued(said, "recently_graduated"), said
        if announce._JUST_GRADUATED.search(said):
            assert announce._cued(said, "just_graduated"), said


def test_marks_names_never_hold_are_found_as_the_plain_patterns_find_them() -> None:
    """_NOT_IN_AUTHORS and _NOT_IN_NAMES are written so that every branch opens with a character (to be
    searched faster): on random lines they find the matches of their plain definitions."""
    from monitor.extract import text
    plain_authors = re.compile(r"[:!?\"“”()\[\]{}=/@]|https?")
    plain_names = re.compile(r"[:!?\"“”\[\]{}=/@]|\b(?:the|of|for|with|we|our|in|on|to|is|are|an?)\b")
    rnd = random.Random(31)
    alphabet = ["the", "of", "for", "with", "we", "our", "in", "on", "to", "is", "are", "an", "a", "http", "s",
                " ", "-", "_", "x", "é", "1", ":", "!", "?", '"', "“", "”", "(", ")", "[", "]", "{", "}", "=",
                "/", "@", ",", "."]
    for _ in range(20000):
        line = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 10)))
        assert [m.span() for m in text._NOT_IN_AUTHORS.finditer(line)] == [m.span() for m in plain_authors.finditer(line)]
        assert [m.span() for m in text._NOT_IN_NAMES.finditer(line)] == [m.span() for m in plain_names.finditer(line)]
