"""Template-independent extraction from rendered HTML (Markdown pages arrive here too, once rendered).

The method, in order:
1. headings (h1-h6, legacy <heading>, and short bold lines that name a section) cut the page into
   sections in document order; a section's kind comes from its heading's words, or is inherited from
   the enclosing section (a topic sub-heading under "Publications" is still publications);
2. a section's content is split into records by repeated structure: a list of <li>, a run of
   same-class boxes, table rows, paragraphs; a box whose parts differ (image + text) stays one record;
3. each record is read as lines: a title (marked up as a title, or the first line), an author line
   (mostly person names), a venue line (venue words, an acronym with a year, a status such as
   "Preprint"), a year, links by kind; a record is a paper by its content, not by its tag.
"""

from __future__ import annotations

import datetime as dt
import re
from itertools import islice
from operator import itemgetter
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Final

from selectolax.lexbor import LexborHTMLParser

from ..models import NewsItem, Page, Profile, Publication, news_key, norm, paper_key
from .. import scholarly
from ..memo import MemoTable
from . import cues
from .dom import BLOCK, HEADINGS, El, clean, count_upto, element_nodes, parse_html, release, title_of
from .structured import structured_papers
from .text import bibtex_names, parse_authors, parse_bib_line_both

ATOMIC: Final = frozenset({"li", "p", "dt", "dd", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "summary"})
SKIP_IN_RECORD: Final = ("bibtex", "abstract", "abstracts", "bib", "citation-modal", "modal")
_SKIP_CLASSES: Final = frozenset(SKIP_IN_RECORD)
_LINK_LABEL: Final = re.compile(
    r"^(?:\[[^\]\d]{0,30}\]|\([^)\d]{0,30}\)|pdf|paper|code|arxiv|bib(?:tex)?|slides?|poster|video|project(?: page)?|"
    r"website|webpage|talk|demo|data(?:set)?|blog|cite|doi|url|html|abs(?:tract)?|supp(?:lementary)?|"
    r"github|media|press|openreview|proceedings|"
    # a paper's resources as the social sciences link them ("Free view", "Replication package", "Accepted
    # Manuscript version", "Download pre-publication draft")
    r"(?:preprint|postprint|accepted|published|authors?'?|pre-?publication|submitted)\s+(?:version|manuscript|draft|copy)|"
    r"(?:peer[\s-]?reviewed\s+)?(?:journal\s+)?(?:article|publication)|accepted\s+manuscript(?:\s+version)?|open\s+access|free\s+(?:view|access|copy)|full\s+text|"
    r"replication\s+(?:package|files|data|code|materials?)|"
    r"supp(?:lement(?:al|ary)?)?\s+(?:materials?|information|info|files?|data|documents?)|"
    r"download(?:\s+(?:the|a|here|full|text|paper|article|pdf|preprint|pre-?publication|draft|version|copy|"
    r"manuscript|chapter))*|[|/•·,]|\s)+$", re.I)


_IS_LINK_LABEL_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def _is_link_label(text: str) -> bool:
    """A text made of link labels alone ("[pdf] [code]", "Paper / Code"); asked of the same lines and link
    texts again and again (cached)."""
    known = _IS_LINK_LABEL_MEMO.answers.get(text)
    if known is None:
        known = _IS_LINK_LABEL_MEMO.keep(text, _compute_is_link_label(text))
    return known


def _compute_is_link_label(text: str) -> bool:
    return _LINK_LABEL.match(text) is not None


_NUMBERING: Final = re.compile(r"^\s*(?:\[\s*[A-Za-z]?\d+\s*\]|\(?[A-Za-z]?\d{1,3}[.)])\s*")
# A class or id that names what a block holds: "news", "news-list", "main-publications", "paper-box".
_MARKER: Final = re.compile(
    r"(?:(?:main|more|all|selected|recent|full|my)[-_])?([a-z]{4,})(?:[-_](?:list|items?|section|"
    r"container|box|entry|entries|wrapper|block|area|content|cards?))?")
_BRACKET_VENUE: Final = re.compile(r"^\s*[\[【(]\s*([^\]】)]{2,60}?)\s*[\]】)]\s*")


@dataclass
class Section:
    title: str
    kind: str | None  # publications | news | other | None
    level: int
    heading: El | None
    nodes: list[El] = field(default_factory=list)
    year: int | None = None  # a year heading ("2024") dates the records under it
    forced: bool = False  # made by a per-source selector: each node is one record
    overridden: set[str] = field(default_factory=set)  # kinds a selector took over
    inherited: bool = False  # its kind is its enclosing section's: its own heading names none (nor a year)


_ANY: Final = Section(title="", kind=None, level=0, heading=None)
_YEAR_LABEL: Final = re.compile(r"\W*" + scholarly.YEAR + r"\W*")  # "2024", "[2023]": a year naming a group


def _only_child(el: El) -> El | str | None:
    """The one child of ``el`` that shows something (blank text left out), or None when there are none or
    several (it stops at the second: a pseudo-heading or a bold title line is one styled child)."""
    only: El | str | None = None
    for c in el.children:
        if isinstance(c, str) and not c.strip():
            continue
        if only is not None:
            return None
        only = c
    return only


def _text_blocks(el: El) -> list[El]:
    """The block children of ``el`` that hold text: the candidates for records or parts of one (found once
    per element: cutting records asks for them several times; callers must not change the list)."""
    blocks = el.memo.get("text-blocks")
    if blocks is None:
        blocks = el.memo["text-blocks"] = [c for c in el.element_children()
                                           if (c.tag in BLOCK or _wraps_blocks(c)) and c.has_text and c.tag != "nav"]
        # (a <nav>, "Next »" under a list, holds no records)
    return blocks


# ---------------------------------------------------------------- sections

_PSEUDO_HEADING_TAGS: Final = frozenset({"p", "div", "dt", "center", "td", "summary"})


def _pseudo_heading(el: El) -> tuple[int, str] | None:
    """A short block that names a known section and is styled as a title (bold, or a title class)."""
    if el.tag not in _PSEUDO_HEADING_TAGS:
        return None
    if el.size > 400 or len(el.raw_text()) > 200:
        return None
    # the markup first (most blocks are styled as no title at all), then the words
    only = _only_child(el)
    titled = (isinstance(only, El) and only.tag in ("strong", "b", "font", "u", "big")) or _title_class(el)
    bare = el.tag in ("p", "div") and isinstance(only, str)
    if not (titled or bare):
        return None
    text = el.text()
    if not text or len(text) > 60 or len(text.split()) > 6:
        return None
    year = _YEAR_LABEL.fullmatch(text)
    if cues.heading_kind(text) is None and not year:
        return None
    if not year and cues.heading_kind(text, head_noun=False) is None and _paper_lines_follow(el):
        return None  # a paper's title that opens with a section's word ("Experience-embedded ..."), over its authors
    if titled:
        return (6 if year else 3), text  # a bold year labels a group inside whatever section holds it
    if not year and len(text.split()) <= 3 and _next_block(el) is not None:
        return 3, text  # "<div>Publications</div>" before its list: the words alone name the section
    return None


_LINE_LABEL_TAGS: Final = frozenset({"font", "b", "strong", "big"})
_READ_KINDS: Final = frozenset({"publications", "news"})  # the sections a bold label alone may open


def _line_heading(el: El) -> str | None:
    """A styled text on a line of its own inside a larger block ("<td><font size=5>Publications</font><div>"
    on a page laid out in tables) that names a known section: a heading like any other."""
    if el.size > 60:
        return None
    sized = _large(el)
    parent = el.parent
    while parent is not None and not parent.is_block and _only_child(parent) is el:
        el, parent = parent, parent.parent  # "<em><strong>Journal of X</strong></em>": the outer one stands on the line
        sized = sized or _large(el)
    if parent is None or parent.tag in _LINE_LABEL_TAGS:
        return None
    # the line first: most bold texts sit inside a line of text (a name in an author list), and are left
    # at that before their words are read
    siblings = parent.children
    at = next((i for i, c in enumerate(siblings) if c is el), -1)
    if at < 0 or not (_line_edge(siblings, at, -1) and _line_edge(siblings, at, 1)):
        return None
    text = el.text().rstrip(": ")
    if not text or len(text.split()) > 6 or _YEAR_LABEL.fullmatch(text):
        return None
    # a bold label must be a whole section phrase of a kind that is read ("Journal Articles"; not a topic
    # over its papers, "Code generation", nor a note in a record, "Selected as IAP Highlight"); text set
    # large is a heading as a heading element is
    kind = cues.heading_kind(text) if sized else cues.heading_kind(text, head_noun=False)
    if kind is None or (kind not in _READ_KINDS and not sized):
        return None
    return text


def _large(el: El) -> bool:
    """Text set larger than the page's: ``<big>``, ``<font size="5">`` or ``"+2"``."""
    if el.tag == "big":
        return True
    size = el.attrs.get("size", "") if el.tag == "font" else ""
    return size[:1] == "+" or size in ("4", "5", "6", "7")


def _line_edge(siblings: list[El | str], at: int, step: int) -> bool:
    """Whether the sibling next to ``at`` (towards ``step``), blank text and empty elements passed over,
    ends a line: none, a block, a break."""
    i = at + step
    while 0 <= i < len(siblings):
        c = siblings[i]
        if isinstance(c, str):
            if c.strip(" \t\n\r:"):
                return False
        elif c.is_block or c.tag == "br":
            return True
        elif c.has_text:
            return False  # (an empty anchor, "<a name=...></a>", is passed over)
        i += step
    return True


def _title_class(el: El) -> bool:
    """A class that names a title ("section-title", "header"): looked for in the class attribute as a whole,
    lowered once (no name spans a space)."""
    names = el.attrs.get("class")
    if not names:
        return False
    return any(k in names.lower() for k in ("title", "heading", "header", "section"))


def _is_record_heading(el: El, text: str) -> bool:
    """An <h3> that titles a card among many same-shaped cards is a paper's title, not a section."""
    if cues.heading_kind(text) is not None or len(text.split()) < 2:
        return False
    if any(_ITEM_TITLE.search(c) for c in el.classes):
        return True
    node = el.parent
    for _ in range(4):
        if node is None or node.parent is None:
            return False
        sig = _sig(node)
        same = (s for s in node.parent.element_children() if _sig(s) == sig and _holds_tag(s, el.tag))
        if _at_least(2, same) and clean(node.text()) != clean(text):  # two are enough: stop looking
            return len(node.find_all("li")) < 3 and len(node.raw_text()) < 3000  # a card, not a whole section
        node = node.parent
    return False


def _holds_tag(el: El, tag: str) -> bool:
    """Whether an element ``tag`` is inside ``el`` (the siblings asked about can be whole sections): one
    search in the page's positions of that tag, listed once per page and tag."""
    if el.doc is None:
        return any(e.tag == tag for e in el.elements())
    memo = el.doc[0].memo
    positions = memo.get("at:" + tag)
    if positions is None:
        positions = memo["at:" + tag] = [e.pre for e in el.doc if e.tag == tag]
    i = count_upto(positions, el.pre)  # the first after ``el`` begins
    return i < len(positions) and positions[i] <= el.post


def _next_block(el: El) -> El | None:
    """The element right after ``el`` among its siblings (None when loose text comes first)."""
    if el.parent is None:
        return None
    siblings = el.parent.children
    for child in siblings[siblings.index(el) + 1:]:
        if isinstance(child, str):
            if child.strip():
                return None
            continue
        return child
    return None


def _heads_a_paper(el: El, text: str) -> bool:
    """``<h4>Title</h4><p>authors</p><p>In: venue</p>``: a heading followed by a paper's author or venue
    line titles that paper; it is a record's first line, not a section."""
    if cues.heading_kind(text) is not None or _YEAR_LABEL.fullmatch(text):
        return False
    return _title_like(_clean_title(text)) and _paper_lines_follow(el)


def _paper_lines_follow(el: El) -> bool:
    """The block right after ``el`` opens with an author line or a venue line (a short list of one-line
    items counts as such a block: "<h4>Title</h4><ul><li>authors</li><li>venue</li><li>links</li></ul>")."""
    nxt = _next_block(el)
    if nxt is None or nxt.tag in HEADINGS:
        return False
    if nxt.tag in ("ul", "ol"):
        items = nxt.element_children()
        if not 2 <= len(items) <= PAPER_LINE_ITEMS or any(i.tag != "li" or len(i.lines()) != 1 for i in items) \
                or _at_least(2, (i for i in items if _paper(i, _ANY, True))):
            return False  # (items that are papers each make a list of papers: the heading names a section)
        nxt = items[0]
    elif nxt.tag in ("table", "dl") or _at_least(2, (e for e in nxt.elements() if e.tag == "li")):
        return False
    first = nxt.lines()[:1]  # (a paragraph of prose that names a conference is no venue line: the length)
    return bool(first) and (_is_author_line(first[0]) or (len(first[0]) < 250 and _is_venue_line(first[0]))
                            or (cues.looks_like_name(first[0]) and len(first[0].split()) >= 2))


WRAPPER_SIZE: Final = 2500  # characters: a box this large is no one paper's (``_one_paper`` stops there too)
PAPER_LINE_ITEMS: Final = 5  # a paper's lines as list items: authors, venue, links, a note or two


def _bold_title_line(el: El) -> bool:
    """A paragraph that is one bold (or linked bold) title, followed by its paper's author or venue line."""
    if el.tag not in ("p", "div") or el.size > 800 or len(el.raw_text()) > 400:
        return False
    only = _only_child(el)
    if not isinstance(only, El) or only.tag not in ("b", "strong", "a"):
        return False
    text = el.text()
    return cues.heading_kind(text) is None and _title_like(_clean_title(text)) and _paper_lines_follow(el)


def find_headings(root: El) -> list[tuple[El, int, str]]:
    """Headings that open sections; a heading that titles one paper among several is left to its record."""
    out: list[tuple[El, int, str]] = []
    titles: list[El] = []
    bold_titles: list[El] = []
    skip_until = -1
    for el in root.elements():
        if el.pre <= skip_until:
            continue
        if el.tag == "nav":
            skip_until = el.post  # (a menu's entries name the page's sections, and open none)
            continue
        if el.tag in HEADINGS and _holds_content(el):
            continue  # a heading left open around the page's lists ("<h4><ul>..."): a container, not a heading
        if el.tag in HEADINGS:
            text = el.text()
            skip_until = el.post
            if text and _is_record_heading(el, text):
                el.memo["paper-title"] = _paper_lines_follow(el)
            elif text:
                out.append((el, HEADINGS[el.tag], text))
                if _heads_a_paper(el, text):
                    titles.append(el)
            continue
        if el.tag in _LINE_LABEL_TAGS:
            label = _line_heading(el)
            if label:
                out.append((el, 3, label))
                skip_until = el.post
            continue
        if el.tag not in _PSEUDO_HEADING_TAGS:  # (both tests below refuse any other tag: most elements)
            continue
        pseudo = _pseudo_heading(el)
        if pseudo:
            out.append((el, pseudo[0], pseudo[1]))
            skip_until = el.post
        elif _bold_title_line(el):
            bold_titles.append(el)
    # "<p><b>Title</b></p><p>authors</p>": a bold line that an author or venue line follows titles a
    # paper, like a heading would; repeated, it opens one record each
    if len(bold_titles) >= 2:
        for e in bold_titles:
            e.memo["paper-title"] = True
    # paper titles repeat, and make up most headings of their tag (a tag that mostly names sections,
    # "Biography", "Talks", names sections even where a heading is unknown)
    per_tag = Counter(el.tag for el, _, text in out if not _YEAR_LABEL.fullmatch(text))
    repeated = {tag for tag, n in Counter(e.tag for e in titles).items() if n >= 2 and n >= 0.5 * per_tag[tag]}
    paper_titles = {id(e) for e in titles if e.tag in repeated}
    for e in titles:
        if id(e) in paper_titles:
            e.memo["paper-title"] = True
    return [h for h in out if id(h[0]) not in paper_titles]


def _holds_content(heading: El) -> bool:
    """A heading element that holds far more text than a heading has, in blocks of its own."""
    return heading.size > 300 and any(c.is_block and c.has_text for c in heading.element_children())


def _range_nodes(root: El, after: int, before: int) -> list[El | str]:
    """The maximal subtrees lying strictly between two document positions, in order."""
    out: list[El | str] = []
    _range_visit(root, after, before, out)
    return out


def _range_visit(el: El, after: int, before: int, out: list[El | str]) -> None:
    """``_range_nodes`` below ``el``. (Module-level, as every helper here: a nested function and its
    frame refer to each other, a cycle that keeps the elements it saw alive until the cycle collector.)"""
    inside = after < el.pre and el.post < before
    last = el.pre  # where the text seen last stands: after the element before it
    children = el.children
    upcoming = -1  # the index of the next element after the text looked at, found once for a run of texts
    for i, child in enumerate(children):
        if isinstance(child, str):
            # text loose beside a heading ("<div><b>Articles:</b><br>A. Author, ...<br>") is in the range
            # when the elements around it are
            if inside:
                out.append(child)
            elif last >= after:
                if upcoming <= i:
                    upcoming = _next_element(children, i)
                nxt = children[upcoming] if upcoming < len(children) else None
                if (nxt.pre if isinstance(nxt, El) else el.post + 1) <= before:
                    out.append(child)
            continue
        last = child.post
        if child.post <= after or child.pre >= before or child.tag == "nav":
            continue  # (a page's navigation holds links to its parts, no records)
        if child.pre > after and child.post < before:
            out.append(child)
        else:
            _range_visit(child, after, before, out)


def _next_element(children: list[El | str], i: int) -> int:
    """The index of the first element after child ``i`` (``len(children)`` when none follows)."""
    j = i + 1
    while j < len(children) and isinstance(children[j], str):
        j += 1
    return j


def _group_inline(nodes: list[El | str]) -> list[El]:
    """Loose inline runs (text and <a>, <b>... directly under a container) become one pseudo-paragraph."""
    out: list[El] = []
    run: list[El | str] = []
    for n in nodes:
        if isinstance(n, El) and (n.is_block or _wraps_blocks(n)):
            _flush_inline(run, out)
            out.append(n)
        else:
            run.append(n)
    _flush_inline(run, out)
    return out


def _wraps_blocks(el: El) -> bool:
    """An inline element around blocks (a ``<font>`` around a table of papers, maybe inside another ``<font>``)
    holds them as a block would."""
    if el.post == el.pre:  # no element inside (most links and bold words): nothing to ask
        return False
    return any(c.tag in BLOCK for c in el.element_children()) or _holds_tag(el, "table")


def _flush_inline(run: list[El | str], out: list[El]) -> None:
    """A run of inline nodes with any text becomes a pseudo-paragraph on ``out``; the run is emptied."""
    if any((isinstance(n, str) and n.strip()) or (isinstance(n, El) and n.text()) for n in run):
        p = El(tag="p", attrs={}, children=list(run))
        p.pre = min((n.pre for n in run if isinstance(n, El)), default=0)
        p.post = max((n.post for n in run if isinstance(n, El)), default=0)
        out.append(p)
    run.clear()


_YEAR_HEADING: Final = re.compile(r"\s*(" + scholarly.YEAR + r")\s*:?\s*")


def split_sections(root: El) -> list[Section]:
    headings = find_headings(root)
    sections = [Section(title="", kind=None, level=0, heading=None)]
    bounds = [(-1, headings[0][0].pre if headings else root.post + 1)]
    stack: list[tuple[int, str | None, int | None]] = []  # (level, kind, year)
    for i, (el, level, text) in enumerate(headings):
        while stack and stack[-1][0] >= level:
            stack.pop()
        own = cues.heading_kind(text)
        year_m = _YEAR_HEADING.fullmatch(cues.strip_symbols(text))
        inherited = next((k for _, k, _ in reversed(stack) if k), None)
        if year_m and inherited is None:  # "2024" under a list of papers continues that list
            inherited = sections[-1].kind
        year = int(year_m.group(1)) if year_m else next((y for _, _, y in reversed(stack) if y), None)
        kind = own or inherited
        stack.append((level, own or (inherited if not own else None), year))
        sections.append(Section(title=text, kind=kind, level=level, heading=el, year=year,
                                inherited=own is None and kind is not None and not year_m))
        end = headings[i + 1][0].pre if i + 1 < len(headings) else root.post + 1
        bounds.append((el.post, end))
    for section, (a, b) in zip(sections, bounds):
        section.nodes = _group_inline(_range_nodes(root, a, b))
    return sections


# ---------------------------------------------------------------- records

_DIGIT: Final = re.compile(r"\d")


def _sig(el: El) -> tuple[str, str]:
    """The shape of a block: its tag and its first (base) class ("list-item" of "list-item publication")."""
    sig = el.memo.get("sig")
    if sig is None:
        base = ""
        for c in el.classes:
            if not _DIGIT.search(c):
                base = c
                break
        sig = el.memo["sig"] = el.tag, base
    return sig


def split_at_breaks(el: El, *, blank_line: bool) -> list[El]:
    """The parts of a block between <br>s (or between blank lines, <br><br>), as blocks of their own."""
    groups: list[list[El | str]] = [[]]
    breaks = 0
    for child in el.children:
        if isinstance(child, El) and child.tag == "br":
            breaks += 1
            if not blank_line or breaks >= 2:
                groups.append([])
            else:
                groups[-1].append(child)  # a single break still ends a line inside the part
            continue
        if isinstance(child, str) and not child.strip():
            groups[-1].append(child)
            continue
        breaks = 0
        groups[-1].append(child)
    parts = []
    for g in groups:
        part = El(tag="p", attrs={}, children=g)
        elements = [c for c in g if isinstance(c, El)]
        part.pre = min((c.pre for c in elements), default=el.pre)
        part.post = max((c.post for c in elements), default=el.pre)
        if part.has_text:
            parts.append(part)
    return parts


def _entries(el: El) -> list[El]:
    """The entries of a block whose entries are a blank line (<br><br>) apart. A part that cannot open an
    entry belongs to the one before it: a description (a paper's one-line summary set off by a blank
    line), or an author line after a part with none (title and venue, a blank line, then the authors)."""
    groups: list[list[El]] = []
    for part in split_at_breaks(el, blank_line=True):
        if groups and _continues(groups[-1], part.lines()):
            groups[-1].append(part)
        else:
            groups.append([part])
    return [g[0] if len(g) == 1 else _wrap(g) for g in groups]


def _continues(entry: list[El], lines: list[str]) -> bool:
    """Whether a part with these lines continues ``entry`` rather than opening an entry of its own."""
    if not any(scholarly.find_year(ln) or _is_author_line(ln) or _is_venue_line(ln) for ln in lines):
        return True  # nothing of a paper's or a news item's (a date, names, a venue): a description
    return bool(lines) and _is_author_line(lines[0]) and not scholarly.find_year(lines[0]) and not any(
        _is_author_line(ln) for part in entry for ln in part.lines())  # (names and a year: a reference)


def _one_paper(el: El, *, any_shape: bool = False) -> bool:
    """A box whose parts (title, venue, authors, links) read as one paper together but not apart: one
    record, even when its parts share one shape (no class names to tell them apart). ``any_shape``: also
    when the parts differ in shape, for a box where some of them share one (a plain venue line and a
    plain summary beside a classed title and author list)."""
    key = "one-paper-any" if any_shape else "one-paper"
    if key not in el.memo:
        parts = _text_blocks(el)
        boxed = 2 <= len(parts) <= 8 and el.size <= WRAPPER_SIZE and (any_shape or _one_shape(parts))
        # (a paper's box is short and has few parts; different shapes tell its parts apart already)
        whole = boxed and _paper(el, _ANY, True)
        el.memo[key] = bool(whole and whole.authors) and not _at_least(
            2, (c for c in parts if _paper(c, _ANY, False)))
    return el.memo[key]


def _one_shape(blocks: list[El]) -> bool:
    """All ``blocks`` have the same shape (``_sig``); it stops at the first that differs."""
    sig = _sig(blocks[0])
    for b in blocks:
        if _sig(b) != sig:
            return False
    return True


def _at_least(n: int, found: Iterator[object]) -> bool:
    """Whether ``found`` yields ``n`` items (stops there)."""
    return sum(1 for _ in islice(found, n)) >= n


_NESTED: Final = frozenset({"ul", "ol", "table", "li"})


def _flat_row(tr: El) -> bool:
    """A table row is one record (date | text, image | reference) unless its cells hold lists or
    several blocks each (a layout table's columns)."""
    for e in tr.elements():  # (the first list or table inside answers)
        if e.tag in _NESTED:
            return False
    for cell in tr.element_children():
        if len(_text_blocks(cell)) >= 2:
            return False
    return True


def split_records(el: El) -> list[El]:
    """Cut a node into records: repeated same-shaped children are records; mixed parts are one record."""
    # (a table inside a paragraph, which a page with no doctype keeps there, is cut like any other)
    atomic = el.tag in ATOMIC and not (el.tag == "p" and el.post > el.pre and _holds_tag(el, "table"))
    if el.tag == "li" and el.post > el.pre:
        inner = _labelled_list(el)
        if inner is not None:
            return split_records(inner)
    if el.tag == "tr":
        cells = [c for c in el.element_children() if c.has_text]
        if len(cells) == 1 and _text_blocks(cells[0]):
            return split_records(cells[0])  # a layout row whose one cell with text holds blocks: its records
    if atomic or (el.tag == "tr" and _flat_row(el)):
        if el.tag == "p" and any(c.tag == "br" for c in el.element_children()):
            parts = _entries(el)  # several entries in one paragraph, blank-line apart
            if len(parts) >= 2:
                return parts
        return [el] if el.has_text else []
    if _one_paper(el):
        return [el]
    blocks = _text_blocks(el)
    if not blocks:
        if any(c.tag == "br" for c in el.element_children()):
            parts = _entries(el)  # records with no element of their own, <br><br> apart
            if len(parts) >= 2:
                return parts
        return [el] if el.has_text else []
    if blocks[0].memo.get("paper-title"):  # titles open the records (not authors-first cards)
        if _loose_inline(el):  # "<h4>Title</h4><a>authors</a><br>[www]": the loose lines belong to the title
            blocks = [b for b in _group_inline(el.children) if b.has_text]
        return _group_under_titles(blocks)
    loose_entries = _loose_entries(el)
    if loose_entries:
        return loose_entries
    if len(blocks) == 1:
        return [el] if _loose_inline(el) else split_records(blocks[0])
    top, n = _most_common_sig(blocks)
    if top[0] == "tr":
        grouped = _grouped_rows(blocks)
        if grouped is not None:
            return grouped
    if n >= 2 and (n >= len(blocks) * 0.5 or top[0] in ("li", "tr", "p")):
        if n < len(blocks) and _sig(blocks[0]) != top and _one_paper(el, any_shape=True):
            # a box opened by a part of its own (a title) and two plain lines (its venue, its summary) is
            # one paper, not a list of records
            return [el]
        out: list[El] = []
        for b in blocks:
            out.extend([b] if _one_paper(b) else split_records(b))
        return out
    if any(b.tag in ("ul", "ol", "table", "tbody", "dl") and len(b.element_children()) >= 3 for b in blocks) \
            or (len(blocks) <= 3 and any(b.size >= 0.8 * el.size and (el.size > WRAPPER_SIZE or _holds_papers_list(b))
                                        for b in blocks)):
        # (lists among the parts; or a wrapper around one large block, or one that holds a list, beside a
        # note or two: a listing's "No matching items", a caption)
        out = []
        for b in blocks:
            out.extend(split_records(b))
        return out
    return [el]


def _holds_papers_list(el: El) -> bool:
    """A list inside ``el`` with two items or more that read as papers (not a paper box's list of notes)."""
    if not (_holds_tag(el, "ul") or _holds_tag(el, "ol")):
        return False
    for e in el.elements():
        if e.tag in ("ul", "ol"):
            return _at_least(2, (li for li in e.element_children() if _paper(li, _ANY, False)))
    return False


def _grouped_rows(rows: list[El]) -> list[El] | None:
    """A table whose records take several rows: a row with a first cell of its own (a label, a venue
    badge) opens a record, and the rows after it with an empty first cell (its authors, its venue)
    continue it. None when no row continues another (or every row's first cell is empty, as when an
    image that shows no text opens each)."""
    if len(rows) < 3:
        return None
    continues = [r.tag == "tr" and _empty_first_cell(r) for r in rows]
    if continues[0] or all(continues) or not any(continues):
        return None
    groups: list[list[El]] = []
    for row, cont in zip(rows, continues):
        if cont:
            groups[-1].append(row)
        else:
            groups.append([row])
    return [g[0] if len(g) == 1 else _wrap(g) for g in groups]


def _empty_first_cell(tr: El) -> bool:
    """A row whose first cell shows nothing, and another cell something."""
    cells = tr.element_children()
    return len(cells) >= 2 and cells[0].tag in ("td", "th") and not cells[0].has_text and tr.has_text


def _labelled_list(li: El) -> El | None:
    """The list a list item holds under a short label of its own ("More…" over older news in a collapsed
    part, "2024" over that year's papers): its items are the records, not the item that holds them."""
    if _holds_tag(li, "ul") or _holds_tag(li, "ol"):
        for e in li.elements():
            if e is not li and e.tag in ("ul", "ol") and len(e.element_children()) >= 2:
                if li.size - e.size <= 60:
                    return e
                return None
    return None


def _loose_entries(el: El) -> list[El] | None:
    """Records of a block that holds entries a blank line (<br><br>) apart beside a few blocks of its own
    (a label, a "back to top" bar): each run of inline nodes cut into its entries, each block into its
    records; None unless the runs hold two entries or more."""
    if not any(c.tag == "br" for c in el.element_children()) or not _loose_inline(el):
        return None
    out: list[El] = []
    entries = 0
    for part in _group_inline(el.children):
        if part.tag == "p" and not part.attrs and part not in el.children:  # a run made of loose nodes
            found = _entries(part)
            entries += len(found)
            out.extend(found)
        else:
            out.extend(split_records(part))
    return out if entries >= 2 else None


def _loose_inline(el: El) -> bool:
    """Whether ``el`` holds text outside its blocks: loose text, or an inline element with text."""
    for c in el.children:
        if isinstance(c, str):
            if c.strip():
                return True
        elif c.tag not in BLOCK and not _wraps_blocks(c) and c.has_text:
            return True
    return False


def _most_common_sig(blocks: list[El]) -> tuple[tuple[str, str], int]:
    """The most frequent shape among ``blocks`` and its count, the first seen on a tie (what
    ``Counter.most_common(1)`` answers, without building a Counter for each node cut into records)."""
    counts: dict[tuple[str, str], int] = {}
    for b in blocks:
        sig = _sig(b)
        counts[sig] = counts.get(sig, 0) + 1
    return max(counts.items(), key=itemgetter(1))


def _group_under_titles(blocks: list[El]) -> list[El]:
    """Blocks led by paper-title headings: each title with the blocks up to the next one is one record."""
    out: list[El] = []
    group: list[El] = []
    for b in blocks:
        if b.memo.get("paper-title") or (group and not group[0].memo.get("paper-title") and b.tag in HEADINGS):
            _flush_titled(group, out)
        group.append(b)
    _flush_titled(group, out)
    return out


def _flush_titled(group: list[El], out: list[El]) -> None:
    """A group led by a paper title becomes one record on ``out``, any other its blocks' records; emptied."""
    if group and group[0].memo.get("paper-title"):
        out.append(_wrap(group))
    else:
        for b in group:
            out.extend(split_records(b))
    group.clear()


def _wrap(parts: list[El]) -> El:
    """Sibling blocks read as one record (a list item of their own)."""
    record = El(tag="li", attrs={}, children=list(parts))
    record.pre, record.post = parts[0].pre, parts[-1].post
    return record


def _skipped(el: El) -> bool:
    """A part of a record that is not its content, by its class: a collapsed abstract, a BibTeX block."""
    names = el.attrs.get("class")
    if not names:
        return False
    return _skip_class(names.lower())


def _skip_class(low: str) -> bool:
    """Whether a lowered class attribute names a part that is not content (``_skipped``). Asked of every
    element with a class on a page: one set test on the attribute, no list of classes."""
    return not _SKIP_CLASSES.isdisjoint(low.split())


def _plain(el: El) -> bool:
    """No collapsed part, BibTeX block or preformatted text anywhere in ``el`` (itself included)."""
    if el.doc is None:  # a record made of parts: each part decides
        return all(_plain(c) for c in el.children if isinstance(c, El))
    root = el.doc[0]
    if "hidden" not in root.memo:  # once per page: where such parts are, in document order
        root.memo["hidden"] = _hidden(el.doc)
    hidden = root.memo["hidden"]
    i = count_upto(hidden, el.pre - 1)  # the first at or after ``el``
    return i == len(hidden) or hidden[i] > el.post


def _hidden(doc: list[El]) -> list[int]:
    """Where a page's collapsed parts, BibTeX blocks and preformatted texts are (this runs over every
    element of the page, and only an element with a class can be skipped)."""
    out: list[int] = []
    for e in doc:
        if e.tag == "details" or e.tag == "pre":
            out.append(e.pre)
        else:
            names = e.attrs.get("class")
            if names and _skip_class(names.lower()):
                out.append(e.pre)
    return out


def _is_badge(el: El) -> bool:
    return "badge" in el.attrs.get("class", "") and "badge" in el.classes


def _has_badges(el: El) -> bool:
    """Whether the element's page has any "badge" class (most have none): asked once per page, by one test
    per element inline rather than a call of ``_is_badge`` for each."""
    root = el.page_root()
    if root is None or root.doc is None:
        return True  # (an element of no page: ``El.inside`` walks it)
    found = root.memo.get("has-badges")
    if found is None:
        found = root.memo["has-badges"] = any("badge" in e.attrs.get("class", "") for e in root.doc)
    return found


def _record_lines(el: El) -> list[str]:
    """The lines of a record, leaving out collapsed abstracts and BibTeX blocks (parts, not content).

    Computed once per record (callers must not change the list)."""
    lines = el.memo.get("record-lines")
    if lines is not None:
        return lines
    if _plain(el):  # nothing to leave out: the record's lines are its text's (often read already)
        lines = el.memo["record-lines"] = el.lines()
        return lines
    parts: list[str] = []
    _record_parts(el, el, parts)
    lines = el.memo["record-lines"] = [ln for ln in (clean(x) for x in "".join(parts).split("\n")) if ln]
    return lines


def _record_parts(node: El, record: El, parts: list[str]) -> None:
    """The text of ``node`` inside ``record`` onto ``parts``, a line break around each block, without
    the parts that are not content (``_record_lines``)."""
    if node is not record and (node.tag == "details" or _skipped(node)):
        return
    if node.is_block:
        parts.append("\n")
    for child in node.children:
        if isinstance(child, str):
            parts.append(child.replace("\n", " "))
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag != "img":
            _record_parts(child, record, parts)
    if node.is_block:
        parts.append("\n")


# ---------------------------------------------------------------- papers

_MORE_AUTHORS: Final = re.compile(r"\.?\s*[*†‡#\d]*\s*(?:,|\(|and\b|&)")  # after a name: the list of authors goes on
_TITLE_CLASS: Final = re.compile(r"(?:^|[\s_-])(?:paper-?)?title\b")
_STYLED: Final = frozenset({"strong", "b", "a", "em", "i", "span", "font", "u"})
_STYLED_RULE: Final = {tag: f"<{tag}>" for tag in _STYLED}


def _title_candidates(el: El) -> Iterator[tuple[str, str]]:
    """(text, rule) for elements marked up as a title, most explicit first (a record is read once).

    One pass in document order: a subtree under a skipped part (abstract, BibTeX) is passed over
    whole for the title markup, as its descendants come right after it. The styled elements' texts
    are made as the reader asks for them: it mostly stops at the first candidates."""
    marked: list[tuple[str, str]] = []
    styled: list[El] = []
    skip_end = -1
    for e in el.elements():
        if e.tag in _STYLED:
            styled.append(e)
        if e.pre <= skip_end:
            continue
        named = e.attrs.get("class")  # (most elements have no class: no list of classes for them)
        low = named.lower() if named else ""
        if low and _skip_class(low):
            skip_end = e.post
            continue
        if e.tag == "papertitle" or ("title" in low and _TITLE_CLASS.search(" ".join(e.classes).lower())):
            marked.append((e.text(), "title-markup"))
        elif e.tag in ("h2", "h3", "h4", "h5", "h6"):
            marked.append((e.text(), "heading-in-record"))
    yield from marked
    for e in styled:
        text = e.text()
        if text:
            yield text, _styled_rule(e)


def _styled_rule(e: El) -> str:
    """How a styled element marks its text: a link around an italic alone ("<a><i>Bull. Lond. Math.
    Soc.</i></a>", a journal linked to its site) marks it as the italic does."""
    if e.tag == "a" and e.post > e.pre:
        only = _only_child(e)
        if isinstance(only, El) and only.tag in ("i", "em"):
            return _STYLED_RULE[only.tag]
    return _STYLED_RULE[e.tag]


_MARKUP: Final = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")
_QUOTES: Final = "\"“”'"
_QUOTES_AROUND: Final = re.compile(f"^[{_QUOTES}]+|[{_QUOTES}]+$")
_FINAL_PERIOD: Final = re.compile(r"\.$")
_URL_START: Final = re.compile(r"^https?://")
_LIST_JOIN: Final = re.compile(rf",|&|{cues.AND_WORD}")  # what joins the names of an author list
_NO_WORDS: Final = re.compile(r"[\W\d]+")
_LEAD_ACRONYM_YEAR: Final = re.compile(r"^[A-Z][\w&@\-]*\s*['’]?\d{2,4}\s+")
_LEAD_NOTES: Final = re.compile(r"^(?:\([^)]{1,60}\)\s*)+")
_APA_YEAR: Final = re.compile(r"^(.{3,1000}?)\(\s*" + scholarly.YEAR + r"[a-z]?\s*\)[.:,]?\s*")
_VENUE_OPENER: Final = re.compile(r"^(?:In|To appear in|Accepted (?:to|by|at|in))\s*:?\s+\S")
_ENDS_WORD_YEAR: Final = re.compile(r"[A-Za-z)]\s*,?\s*\(?" + scholarly.YEAR + r"\)?\.?$")
_ENDS_NUMBER_YEAR: Final = re.compile(r"\d\s*,?\s*\(?" + scholarly.YEAR + r"\)?\.?$")
_SHORT_WORD_CUT: Final = re.compile(r"[A-Z](?<=\b[A-Z])[a-z]{0,5}\.")  # "Nucl.", "J.", "Proc.": a word cut short
_INNER_ABBREVIATION: Final = re.compile(r"[a-z](?<=[a-z][a-z])\.\s")  # "Bull. ": a word cut short, inside
_INITIAL_AFTER_COMMA: Final = re.compile(r",\s*[" + cues.UPPER + r"]\.")  # "Roe, A.": a surname, then initials
_YEAR_IN_PARENS: Final = re.compile(r"\((" + scholarly.YEAR + r")\)")
_ONLY_YEAR: Final = re.compile(r"[^a-z]*" + scholarly.YEAR + r"[^a-z]*")
_TRAILING_LABELS: Final = re.compile(r"(\s*(?:\[[^\]]{0,30}\]|\|))+\s*$")
_GLUED_SPAN: Final = re.compile(r"(\d)([A-Z][a-z])")
_LEAD_DATE: Final = re.compile(r"^" + cues.MONTH + r"\.?,?\s*" + scholarly.YEAR + r"\b[\s,.·]*", re.I)
_IN_PARENS: Final = re.compile(r"\(.*\)")
_LEAD_IN: Final = re.compile(r"^(?:in|at|published in|appeared in|accepted (?:to|by|at|in))\s*:?\s+", re.I)
_SENTENCE_BREAK: Final = re.compile(r"[.!?]\s+\S")
_NO_DIGIT: Final = re.compile(r"\D*")
# white space after a word's full stop ("Proc. ACM"); it opens with the white space, so only those
# positions are tried (the look-behind then reads the stop before it)
_AFTER_ABBREVIATION: Final = re.compile(r"\s(?<=\w\w[.]\s)\s*(?=[A-Za-z(\[*])")


_CLEAN_TITLE_MEMO: Final[MemoTable[str, str]] = MemoTable(65536)


def _clean_title(text: str) -> str:
    known = _CLEAN_TITLE_MEMO.answers.get(text)
    if known is None:
        known = _CLEAN_TITLE_MEMO.keep(text, _compute_clean_title(text))
    return known


def _compute_clean_title(text: str) -> str:
    t = clean(_MARKUP.sub(" ", text))  # markup shown as text is not part of a title
    t = _NUMBERING.sub("", t)
    if t[:1] in _QUOTES or t[-1:] in _QUOTES:  # (``clean`` left no space at either end)
        t = _QUOTES_AROUND.sub("", t)
    t = t.strip(" ,;:-–—")
    t = _FINAL_PERIOD.sub("", t)
    return cues.without_coauthors(t.strip())


_WHEN: Final = rf"(?:(?:{cues.MONTH}|spring|summer|fall|autumn|winter)\.?,?\s+(?:\d{{1,2}},?\s+)?)?"
# a date or a span of dates ("Summer 2021", "Sep. 2019 - Present"): when something happened, never a title
_DATE_ONLY: Final = re.compile(
    rf"{_WHEN}{scholarly.YEAR}(?:\s*(?:[-–—~]|to)\s*(?:{_WHEN}{scholarly.YEAR}|now|present|today))?", re.I)


_TITLE_LIKE_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def _title_like(text: str) -> bool:
    known = _TITLE_LIKE_MEMO.answers.get(text)
    if known is None:
        known = _TITLE_LIKE_MEMO.keep(text, _compute_title_like(text))
    return known


def _compute_title_like(text: str) -> bool:
    words = text.split()
    if not (2 <= len(words) <= 45) or len(text) > 320:
        return False
    if _URL_START.match(text) or _is_link_label(text):
        return False
    if _LIST_JOIN.search(text) and cues.author_share(text) >= 0.6 and len(words) <= 40:
        return False
    if _NO_WORDS.fullmatch(text) or _DATE_ONLY.fullmatch(text):
        return False
    return True


_KIND_LABEL: Final = re.compile(r"[^\W\d][^\d:]{0,40}:")  # a short label ending in a colon, no digits
_FOOTER: Final = re.compile(r"^\s*(?:©|\(c\)|copyright\b|last (?:updated|modified)\b|powered by\b|template\b)", re.I)
_ITEM_TITLE: Final = re.compile(r"(?:article|paper|pub|publication|entry|item|card|project)[-_]?title", re.I)
_CATEGORY_BADGES: Final = {"journal", "conference", "workshop", "book", "chapter", "book chapter", "thesis", "patent",
                           "article", "misc", "inproceedings", "preprints", "papers"}
_STATUS_VENUE: Final = (r"(?:technical|technique|tech\.?)\s+report|preprint|arxiv(?:\s+preprint)?|under\s+review|"
                        r"in\s+submission|submitted|work\s+in\s+progress|to\s+appear|in\s+press")
_PURE_VENUE: Final = re.compile(
    r"(?:[A-Z][\w&@\-]*\s*(?:'?\d{2}|\d{4})?(?:\s+(?:oral|spotlight|poster|findings|workshop))?|"
    + _STATUS_VENUE + ")", re.I)
_STATUS_LABEL: Final = re.compile(r"[\s\[(【]*(?:" + _STATUS_VENUE + r")[\s\])】]*", re.I)


_LEADING_STATUS: Final = re.compile(r"^\s*[\[(【]?\s*(preprint|under review|in submission|submitted|oral|spotlight|"
                                    r"在投|审稿中|已接收|录用|预印本)\s*[\])】]?\s+(?=\S)", re.I)


_TWO_CAPITALS: Final = re.compile(r"[A-Z].*[A-Z]")


def _named_like_venue(label: str) -> bool:
    """A label before a title names its venue when it has a year or an acronym ("ICLR", "CoRL 2024") or says
    where the work stands ("Preprint") or how it was presented ("Oral"); one plain word is a marker ("[New]")."""
    return bool(_DIGIT.search(label) or _TWO_CAPITALS.search(label) or _PRESENTATION.fullmatch(label.strip())
                or _STATUS_LABEL.fullmatch(label) or len(label.strip(" []()【】").split()) > 1)


_PURE_VENUE_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def _pure_venue(text: str) -> bool:
    """A venue label alone ("ICLR 2024", "Technical Report", "Preprint") is never a title."""
    known = _PURE_VENUE_MEMO.answers.get(text)
    if known is None:
        known = _PURE_VENUE_MEMO.keep(text, _compute_pure_venue(text))
    return known


def _compute_pure_venue(text: str) -> bool:
    return bool(_PURE_VENUE.fullmatch(text.strip(" .[]()")))


_LEADS_LINE_MEMO: Final[MemoTable[tuple[str, str], bool]] = MemoTable(65536)


def _leads_line(candidate: str, line: str) -> bool:
    """An inline element is a title when it opens its line (after numbering or a venue label) or fills it."""
    key = (candidate, line)
    known = _LEADS_LINE_MEMO.answers.get(key)
    if known is None:
        known = _LEADS_LINE_MEMO.keep(key, _compute_leads_line(candidate, line))
    return known


def _compute_leads_line(candidate: str, line: str) -> bool:
    rest = _clean_title(line)
    lead = _BRACKET_VENUE.match(rest)
    if lead:
        rest = rest[lead.end():]
    if not rest.startswith(candidate):
        rest = _LEAD_ACRONYM_YEAR.sub("", rest)
        rest = _LEAD_NOTES.sub("", rest).lstrip(_QUOTES)  # ('(with A. Roe) "Title" ...')
    return rest.startswith(candidate[:40]) or len(candidate) >= 0.6 * len(rest)


_AFTER_YEAR_MEMO: Final[MemoTable[tuple[str, str], bool]] = MemoTable(65536)


def _after_year(candidate: str, line: str) -> bool:
    """"Authors (2023). Title. Venue." (APA style, Hugo citation view): the title follows the year."""
    key = (candidate, line)
    known = _AFTER_YEAR_MEMO.answers.get(key)
    if known is None:
        known = _AFTER_YEAR_MEMO.keep(key, _compute_after_year(candidate, line))
    return known


def _compute_after_year(candidate: str, line: str) -> bool:
    m = _APA_YEAR.match(line)
    if m is None:
        return False
    return line[m.end():].startswith(candidate[:40]) and _names_before(m.group(1))


_AFTER_NAMES_MEMO: Final[MemoTable[tuple[str, str], bool]] = MemoTable(65536)


def _after_names(candidate: str, line: str) -> bool:
    """"[KDD 2025] A. Author, B. Author. *Title*.": an italic title that ends its line after the author list
    (and maybe a venue label) is the title, though it does not lead the line."""
    key = (candidate, line)
    known = _AFTER_NAMES_MEMO.answers.get(key)
    if known is None:
        known = _AFTER_NAMES_MEMO.keep(key, _compute_after_names(candidate, line))
    return known


def _compute_after_names(candidate: str, line: str) -> bool:
    pos = line.find(candidate)
    if pos <= 0 or len(line) - pos - len(candidate) > 3 or cues.looks_like_name(candidate):
        return False  # (the title ends the line, a full stop aside; an italic last author is no title)
    head = line[:pos]
    lead = _BRACKET_VENUE.match(head)
    head = head[lead.end():] if lead else head
    head = head.strip(" .,:;")
    return bool(head) and _LIST_JOIN.search(head) is not None and cues.author_share(head) >= 0.6


_LINKED_AFTER_NAMES_MEMO: Final[MemoTable[tuple[str, str], bool]] = MemoTable(65536)


def _linked_after_names(candidate: str, line: str) -> bool:
    """"A. Author, B. Author. <a>Title</a>. <i>Journal</i>, 7, 2022": a linked title after the author list,
    closed by a full stop or a comma, is the title (a linked co-author's name is not: it reads as a name; a
    quoted title is left to the reading of the whole reference)."""
    key = (candidate, line)
    known = _LINKED_AFTER_NAMES_MEMO.answers.get(key)
    if known is None:
        known = _LINKED_AFTER_NAMES_MEMO.keep(key, _compute_linked_after_names(candidate, line))
    return known


def _compute_linked_after_names(candidate: str, line: str) -> bool:
    pos = line.find(candidate)
    end = pos + len(candidate)
    if pos <= 0 or line[pos - 1] in _QUOTES or line[end:end + 1] not in (".", ",", "?", "!") \
            or len(candidate.split()) < 3 \
            or cues.looks_like_name(candidate) or cues.author_share(candidate) >= 0.5:
        return False
    head = line[:pos].strip(" .,:;")
    return bool(head) and _LIST_JOIN.search(head) is not None and (
        _names_before(head) or parse_authors(head) is not None)  # ("Roe, A. M., & Poe, J. S.")


def _inverted_names(text: str) -> list[str] | None:
    """An author list written surname first ("Roe, A. M., & Poe, J. S.", or as BibTeX writes it, "Roe, Ann
    and Poe, Jo"), one name a person, or None."""
    if "," not in text or not (_INITIAL_AFTER_COMMA.search(text) or bibtex_names(text)):
        return None
    return parse_authors(text)


def _names_before(text: str) -> bool:
    """The text before a title is an author list (full names, or bare surnames as APA lists print them)."""
    return cues.author_share(text) >= 0.5 or cues.surname_list(text) or (
        "," in text and parse_authors(text) is not None)  # ("Roe, A. M., Moe, L., & Poe, J. S.")


_IS_AUTHOR_LINE_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def _is_author_line(line: str) -> bool:
    known = _IS_AUTHOR_LINE_MEMO.answers.get(line)
    if known is None:
        known = _IS_AUTHOR_LINE_MEMO.keep(line, _compute_is_author_line(line))
    return known


def _compute_is_author_line(line: str) -> bool:
    return bool(_LIST_JOIN.search(line)) and cues.author_share(line) >= 0.6


def _names_only(line: str) -> bool:
    """A list of names and nothing else: an author line standing alone, where no title can be."""
    return _is_author_line(line) and cues.author_share(line) >= 0.9  # (an author line, names all but alone)


def _may_end_in_year(line: str) -> bool:
    """Whether ``line`` can end the way ``_ENDS_WORD_YEAR`` and ``_ENDS_NUMBER_YEAR`` want ("2024", "(2024).";
    a final newline aside): read from the end, rather than searched for along the whole line."""
    t = line[:-1] if line.endswith(".") else line
    t = t[:-1] if t.endswith(")") else t
    return t[-1:].isdigit() or line.endswith("\n")


_TWO_DIGITS: Final = re.compile(r"\d\d")


def _acronym_year(text: str) -> re.Match[str] | None:
    """``scholarly.ACRONYM_YEAR.search``, where the text has the two digits in a row that any year in it needs
    ("2024", "'24"): that pattern is tried at every word of a line."""
    return scholarly.ACRONYM_YEAR.search(text) if _TWO_DIGITS.search(text) else None


_IS_VENUE_LINE_MEMO: Final[MemoTable[str, bool]] = MemoTable(65536)


def _is_venue_line(line: str) -> bool:
    known = _IS_VENUE_LINE_MEMO.answers.get(line)
    if known is None:
        known = _IS_VENUE_LINE_MEMO.keep(line, _compute_is_venue_line(line))
    return known


def _compute_is_venue_line(line: str) -> bool:
    if _VENUE_OPENER.match(line):
        return True
    ends_in_year = _may_end_in_year(line)
    if ends_in_year and _ENDS_WORD_YEAR.search(line) and cues.author_share(line) < 0.5 \
            and len(line) < 160:
        return True
    if ends_in_year and _ENDS_NUMBER_YEAR.search(line) and scholarly.has_print_details(line) \
            and cues.author_share(line) < 0.5 and len(line) < 160:
        return True  # a journal's name, volume and pages, then the year
    if "(" in line and _YEAR_IN_PARENS.search(line) and scholarly.has_print_details(line) and len(line) < 160 \
            and (cues.author_share(line) < 0.5 or _INNER_ABBREVIATION.search(line)):
        return True  # "Bull. Lond. Math. Soc. 56 (2024), no. 11, 3452-3476": volume (year), issue, pages
    if cues.author_share(line) >= 0.75 and not _acronym_year(line):
        return False
    return bool(scholarly.VENUE_CUE.search(line) or _acronym_year(line)
                or _ONLY_YEAR.fullmatch(line))


_LINK_LABELS_MEMO: Final[MemoTable[frozenset[str], list[str]]] = MemoTable(4096)


def _link_labels(link_texts: frozenset[str]) -> list[str]:
    """Link texts that are labels (pdf, code, a short button), longest first; a linked venue is not one."""
    known = _LINK_LABELS_MEMO.answers.get(link_texts)
    if known is None:
        known = _LINK_LABELS_MEMO.keep(link_texts, _compute_link_labels(link_texts))
    return known


def _compute_link_labels(link_texts: frozenset[str]) -> list[str]:
    return sorted((t for t in link_texts if t and len(t) < 30 and (
        _is_link_label(t) or (len(t.split()) <= 3 and not _is_venue_line(t)))), key=len, reverse=True)


_STRIP_LINKS_TEXT_MEMO: Final[MemoTable[tuple[str, frozenset[str]], str]] = MemoTable(65536)


def _strip_links_text(line: str, link_texts: frozenset[str]) -> str:
    """Remove link labels ("[pdf] [code]", "Paper / Code") from the end of a line."""
    key = (line, link_texts)
    known = _STRIP_LINKS_TEXT_MEMO.answers.get(key)
    if known is None:
        known = _STRIP_LINKS_TEXT_MEMO.keep(key, _compute_strip_links_text(line, link_texts))
    return known


def _compute_strip_links_text(line: str, link_texts: frozenset[str]) -> str:
    labels = _link_labels(link_texts)
    s = line
    for t in labels:
        s = s.replace(f"[[{t}]]", " ").replace(f"[{t}]", " ")
    if s.rstrip().endswith(("]", "|")):  # (the pattern would be tried at every position of the line)
        s = _TRAILING_LABELS.sub("", s)
    if labels:
        s = _cut_labels_at_end(s, labels)
    return clean(s).strip(" |/•·")


def _cut_labels_at_end(line: str, labels: list[str]) -> str:
    """``line`` without the run of labels that ends it ("Title Code / PDF"), each with the separator
    before it; string work from the end, as a pattern compiled per page's labels would cost more."""
    kept = line
    s = line.rstrip()
    while True:
        label = next((t for t in labels if s.endswith(t)), None)
        if label is None:
            return kept
        rest = s[:-len(label)].rstrip()
        if rest.endswith((",", "&", " and")) and cues.looks_like_name(label):
            return kept  # "B. Jones, and <a>Tanmay Shankar</a>": the last of a list of authors, linked
        s = rest
        kept = s
        if s.endswith(("/", "|", "•", "·")):
            s = s[:-1].rstrip()
            kept = s


_VENUE_FROM_MEMO: Final[MemoTable[str, str | None]] = MemoTable(65536)


def _venue_from(line: str) -> str | None:
    answers = _VENUE_FROM_MEMO.answers
    if line not in answers:
        return _VENUE_FROM_MEMO.keep(line, _compute_venue_from(line))
    return answers[line]


def _compute_venue_from(line: str) -> str | None:
    v = clean(_GLUED_SPAN.sub(r"\1 \2", line))  # "2024International": spans without a space
    v = _LEAD_DATE.sub("", v) or v
    if _IN_PARENS.fullmatch(v):
        v = v[1:-1]
    v = _LEAD_IN.sub("", v)
    v = scholarly.venue_without_details(v).strip(" .,;")
    if not v or len(v) > 200:
        return None
    return v


def _venue_after_names(head: str, tail: str) -> bool:
    """What closes a citation after a full author list is its venue, even a bare acronym ('ACL.'), or one
    whose words are cut short ('Nucl. Fusion 61 (2021)': such a period ends no sentence)."""
    return cues.author_share(head) >= 0.8 and len(tail) <= 100 and cues.author_share(tail) < 0.5 \
        and not _is_link_label(tail) and not _SENTENCE_BREAK.search(_SHORT_WORD_CUT.sub("", tail).rstrip("."))


_SPLIT_AUTHOR_VENUE_MEMO: Final[MemoTable[str, tuple[str | None, str | None]]] = MemoTable(65536)


def _split_author_venue(line: str) -> tuple[str | None, str | None]:
    """'A, B and C. EMNLP 2025.' -> ('A, B and C', 'EMNLP 2025')."""
    known = _SPLIT_AUTHOR_VENUE_MEMO.answers.get(line)
    if known is None:
        known = _SPLIT_AUTHOR_VENUE_MEMO.keep(line, _compute_split_author_venue(line))
    return known


def _compute_split_author_venue(line: str) -> tuple[str | None, str | None]:
    first = line.split(",", 1)[0]
    if "." in first and _INNER_ABBREVIATION.search(first) and not _LIST_JOIN.search(first):
        return None, None  # "Bull. Lond. Math. Soc. 56 (2024), ...": a journal's name cut short opens it, no names
    dated = _YEAR_IN_PARENS.search(line) if "(" in line else None
    if dated and dated.start() > 0:  # "A, B, C (2020) European Journal of X": the year closes the authors
        head, tail = line[:dated.start()].strip(" ,."), line[dated.end():].strip(" ,.")
        if tail and _LIST_JOIN.search(head) and not _DIGIT.search(head) and cues.author_share(head) >= 0.8:
            return head, f"{tail} {dated.group(1)}"
    parts = [p.strip() for p in _AFTER_ABBREVIATION.split(line) if p.strip()] if "." in line else []
    if len(parts) >= 2:
        for i in range(1, len(parts)):
            head, tail = " ".join(parts[:i]), " ".join(parts[i:])
            if cues.author_share(head) >= 0.6 and (_is_venue_line(tail) or _venue_after_names(head, tail)):
                return head, tail
    # "A, B, C, IEEE Transactions on X, 2024": authors end where names stop
    pieces = [p.strip() for p in line.split(",")]
    for i in range(1, len(pieces)):
        if not cues.looks_like_name(pieces[i]) and cues.author_share(", ".join(pieces[:i])) >= 0.8:
            tail = ", ".join(pieces[i:])
            if _is_venue_line(tail):
                return ", ".join(pieces[:i]), tail
    # "A, B and C, ACM-MM 2022 (Oral)": a venue after the last name
    m = _acronym_year(line)
    if m and m.start() > 0:
        head = line[:m.start()].rstrip(" ,;.")
        if head and cues.author_share(head) >= 0.8:
            return head, line[m.start():]
    return None, None


def parse_paper(el: El, *, section: Section, strict: bool) -> Publication | None:
    """The paper a record describes, or None; a record is read once per section context."""
    found = _paper(el, section, strict)
    return found.copy() if found else None


def _paper(el: El, section: Section, strict: bool) -> Publication | None:
    """``parse_paper``'s reading itself, shared: for the questions that only look at it (is it a paper, with
    authors, a venue?), which are most of them; callers must not change it."""
    key = (strict, section.title, section.year)
    memo = el.memo.setdefault("paper", {})
    if key not in memo:
        memo[key] = _parse_paper(el, section=section, strict=strict)
    return memo[key]


class _Reading:
    """What a record says, whatever its context: read once, then judged per section (strict or not).

    (A plain class, not a dataclass: compiled, its ``__init__`` is C, where a dataclass's is generated
    Python; a page makes dozens of these and of ``_Draft``.)"""

    def __init__(self, reference: str | None, links: list[tuple[str, str]], lines: list[str],
                 buttons: frozenset[str], badge: str | None, title: str | None, rule: str | None,
                 title_idx: int | None, venue: str | None, lead: bool) -> None:
        self.reference = reference  # a one-line record with no marked title: the line for the reference reader
        self.links = links
        # what the reading by roles starts from (``_read_roles``): the record's lines, the texts of its
        # buttons, its badge, a marked title (its rule and line) and a venue label in front, if the first
        # look found them
        self.lines = lines
        self.buttons = buttons
        self.badge = badge
        self.title = title
        self.rule = rule
        self.title_idx = title_idx
        self.venue = venue
        self.lead = lead  # the first line opens with a bracketed label ("[ICLR 2024] Title")
        self.draft: _Draft | None = None
        self.read = False
        self.kinds: dict[str, str] | None = None

    def link_kinds(self) -> dict[str, str]:
        """The record's links by kind (``_link_kinds``), worked out once for every section context that
        judges the record; callers must not change it."""
        if self.kinds is None:
            self.kinds = _link_kinds(self.links)
        return self.kinds

    def by_roles(self) -> _Draft | None:
        """The reading by roles, computed when the reference reader declines, once. (A method, not a
        closure over ``_read_record``: a closure and its frame refer to each other, and that cycle
        would keep the record's element alive until the cycle collector came.)"""
        if not self.read:
            self.draft, self.read = _read_roles(self), True
        return self.draft


class _Draft:
    """A record read by roles (``_read_roles``); a plain class for the same reason as ``_Reading``."""

    def __init__(self, title: str, rule: str | None, authors: list[str], venue: str | None,
                 venue_line: str | None, lead_year: int | None) -> None:
        self.title = title
        self.rule = rule
        self.authors = authors
        self.venue = venue
        self.venue_line = venue_line
        self.lead_year = lead_year


_PREPRINT: Final = re.compile(r"preprint|arxiv(?: preprint)?")


def _paper_link(kinds: dict[str, str]) -> bool:
    """A link to the paper itself among a record's links by kind (no set built for the question)."""
    return "pdf" in kinds or "arxiv" in kinds or "doi" in kinds


def _parse_paper(el: El, *, section: Section, strict: bool) -> Publication | None:
    if "reading" not in el.memo:
        el.memo["reading"] = _read_record(el)
    reading: _Reading | None = el.memo["reading"]
    if reading is None:
        return None
    if reading.reference is not None:
        bib = _reference(reading.reference, not strict)
        if bib is not None and bib[1] and not _names_only(reading.reference):  # (names alone hold no title)
            pub = bib[0]
            pub.venue = _venue_from(pub.venue) if pub.venue else None
            pub.links = dict(reading.link_kinds())
            pub.year = pub.year or section.year
            pub.section, pub.rule = section.title or None, "html:reference-line"
            return pub
    draft = reading.by_roles()
    if draft is None:
        return None
    title, rule, authors, venue, venue_line, lead_year = (
        draft.title, draft.rule, draft.authors, draft.venue, draft.venue_line, draft.lead_year)
    kinds = reading.link_kinds()
    year = scholarly.find_year(venue or "") or (scholarly.find_year(venue_line) if venue_line else None) or lead_year \
        or section.year
    own_year = year is not None and year != section.year or bool(lead_year)
    evidence = bool(authors) + bool(venue) + _paper_link(kinds) + own_year
    if strict and (not authors or evidence < 2):
        return None
    if not strict and evidence < 1 and not _quoted(title, reading.lines):
        return None  # (a title in quotes is a work's, as citations write it: a list of papers summarised)
    if venue and _PREPRINT.fullmatch(venue.strip(" .").lower()):
        venue = venue.strip(" .")
    return Publication(title=title, authors=authors, venue=venue, year=year, links=dict(kinds),
                       section=section.title or None, rule=f"html:{rule}")


# What a link's text is, beside the label vocabulary (``_LINK_LABEL``): a text this frequent on a page is a
# button; a line with this many links and at most this many other words is a row of buttons.
BUTTON_REPEATS: Final = 3
MENU_LINKS, MENU_OTHER_WORDS = 3, 3
_WORD_RUN: Final = re.compile(r"\w\w*")  # (not "\w+": opening with the class, it is scanned for)


def _menu_line(line: str, link_texts: list[str]) -> bool:
    """A line made of links (maybe with a word or two between them): a row of buttons, not a citation.
    ``link_texts``: the record's, longest first."""
    rest, found = line, 0
    for text in link_texts:
        if text and text in rest:
            found += 1
            rest = rest.replace(text, " ")
    if found < MENU_LINKS:  # too few links for a menu: a line of links only when no word is left (the first tells)
        return _WORD_RUN.search(rest) is None
    return not _at_least(MENU_OTHER_WORDS + 1, _WORD_RUN.finditer(rest))


def _link_repeats(el: El) -> dict[str, int]:
    """How often each link text occurs on the element's page (counted once per page).

    Anchors are counted by their raw text first (kept from parsing), and each distinct raw text is made a
    line once: the same raw text makes the same text, and menus and buttons repeat theirs."""
    root = el.page_root()
    if root is None or root.doc is None:
        return {}
    repeats = root.memo.get("link_repeats")
    if repeats is None:
        by_raw: dict[str, int] = {}
        first: dict[str, El] = {}
        for e in root.doc:
            if e.tag == "a":
                raw = e.raw_text()
                if raw in by_raw:
                    by_raw[raw] += 1
                else:
                    by_raw[raw] = 1
                    first[raw] = e
        repeats = root.memo["link_repeats"] = {}
        for raw, n in by_raw.items():
            text = clean(first[raw].text())
            repeats[text] = repeats.get(text, 0) + n
    return repeats


_LEAD_NOTE: Final = re.compile(r"\s*(\([^)]{1,40}\))")
_YEAR_AT_END: Final = re.compile(r"\(\s*" + scholarly.YEAR + r"[a-z]?\s*\)[.:,]?\s*$")
_YEAR_ENDS_SENTENCE: Final = re.compile(scholarly.YEAR + r"\)?\.\s+(?=[A-Z])")
_NOTE_AT_END: Final = re.compile(r"[\s,]*(\([^()]{2,60}\))\s*[.,]?\s*$")
_PRESENTATION: Final = re.compile(r"[\[(]?(?:oral|spotlight|poster|highlight)[\])]?", re.I)


_LABEL_TAGS: Final = frozenset({"code", "kbd", "strong", "b", "em", "i", "span", "mark"})


def _first_label(el: El, shorter_than: float) -> str | None:
    """The text of the first short styled label in a record (not a wrapper of its first line)."""
    for e in el.elements():
        if e.tag in _LABEL_TAGS:
            text = e.text()
            if text and len(text) < shorter_than:
                return text
    return None


def _wraps_other_roles(candidate: str, lines: list[str], idx: int) -> bool:
    """Whether a styled candidate that holds line ``idx`` also holds a later line of authors or of a venue:
    a wrapper of the whole record (a span or a font around title, authors and venue), not a title that
    runs over two lines."""
    for line in lines[idx + 1:]:
        c = _clean_title(line)
        if not c or c not in candidate:
            return False
        if _is_author_line(line) or _is_venue_line(line):
            return True
    return False


def _line_with(title: str, lines: list[str], cleaned: list[str]) -> int | None:
    """The index of the first line that holds ``title`` (ending at a word's end) or lies inside it.
    ``cleaned``: the record's lines as titles so far, extended as far as this search goes (a line past the
    answer is never cleaned: on a first reading that costs a pattern run per line)."""
    for i, line in enumerate(lines):
        if i == len(cleaned):
            cleaned.append(_clean_title(line))
        c = cleaned[i]
        if c in title:
            return i
        at = c.find(title)
        if at >= 0 and not c[at + len(title):at + len(title) + 1].isalnum():
            return i  # (whole words: "Sparse Voxel", a tag, is not in "Sparse Voxels Rasterization")
    return None


def _quoted(title: str, lines: list[str]) -> bool:
    """Whether ``title`` stands in quotation marks in one of ``lines``."""
    return any(f'"{title}' in ln or f"“{title}" in ln for ln in lines)


def _read_record(el: El) -> _Reading | None:
    lines = _record_lines(el)
    if not lines:
        return None
    links = el.links()
    link_texts = frozenset([clean(t) for t, _ in links])
    if len(lines) > 1 and all(ln in link_texts and len(ln.split()) <= 3 for ln in lines):
        return None  # a few short links, one a line: a paper's resources under it ("Free view", "Replication package")
    lines = [ln for i, ln in enumerate(lines)
             if not _is_link_label(ln) and not (i and ln in link_texts and len(ln.split()) <= 2)]
    if (len(lines) > 2 or (len(lines) == 2 and len(lines[0]) > 80)) and all(len(ln) <= 40 for ln in lines[1:]) \
            and _anchored_lines(el, lines[1:]):
        lines = lines[:1]  # a reference over a cloud of linked tags ("beta regression"), or beside a download
        # link's own label ("ML Dictionary v2")
    if not lines or (len(lines) > 1 and _FOOTER.match(lines[-1])):
        return None  # (a credit then "Last updated ...": the page's footer, wherever the template put it)
    if len(lines) > 1 and _KIND_LABEL.fullmatch(lines[0]):
        lines = lines[1:]  # "Doctoral Dissertation:" over a reference: what kind of work follows, no title
    # buttons repeat from record to record ("PDF", "Code") or are lower-case ("arxiv"); a capitalised text
    # linked once or twice ("Cortex", a journal's name) is content: the record's venue, an author
    repeats = _link_repeats(el)
    buttons = frozenset([t for t in link_texts if _is_link_label(t) or repeats.get(t, 0) >= BUTTON_REPEATS
                         or not t[:1].isupper()])
    if buttons != link_texts:
        longest_first = sorted(link_texts, key=len, reverse=True)
        if any(_menu_line(ln, longest_first) for ln in lines):
            buttons = link_texts  # a line of links, or nearly, is a row of buttons ("Bio Scholar LinkedIn Twitter")
    badge = next((e.text() for e in el.inside("badges", _is_badge) if e.text()), None) if _has_badges(el) else None
    if badge and len(lines) > 1 and lines[0] == badge:
        lines = lines[1:]

    title, rule, title_idx = None, None, None
    first = lines[0]
    cleaned: list[str] = []  # the lines as titles, as far as candidates have looked (``_line_with``)
    for text, why in _title_candidates(el):
        t = _clean_title(text)
        if not _title_like(t):
            continue
        idx = _line_with(t, lines, cleaned)
        if idx is None:
            continue
        if why.startswith("<") and len(lines) == 1 and len(t) >= 0.9 * len(cleaned[0]) \
                and len(t.split()) >= 12:
            continue  # an element wrapping the whole reference marks no title in it
        if why.startswith("<") and len(t) > len(cleaned[idx]) and _wraps_other_roles(t, lines, idx):
            continue  # an element wrapping the title with its authors or venue marks no title either
        if why.startswith("<") and not _after_year(t, lines[idx]) \
                and not (why in ("<em>", "<i>") and _after_names(t, lines[idx])) \
                and not (why == "<a>" and _linked_after_names(t, lines[idx])) and (
                not _leads_line(t, lines[idx]) or (_is_author_line(lines[idx]) and cues.looks_like_name(t))):
            continue
        if why in ("<em>", "<i>", "<span>") and (idx != 0 or _is_venue_line(t)):
            continue
        if why in ("<a>", "<strong>", "<b>", "<font>", "<u>") and idx > 1:
            continue
        if why in ("<strong>", "<b>") and cues.author_share(t) > 0.5:  # ("Title with X and Action Chunking": a half)
            continue
        if _pure_venue(t):
            continue
        if why.startswith("<") and lines[idx].startswith(t) and _MORE_AUTHORS.match(lines[idx], len(t)) \
                and (cues.looks_like_name(t) or ("," in t and parse_authors(t, loose=True))):  # ("Roe, A.")
            continue  # the first of a list of authors
        title, rule, title_idx = t, why, idx
        break

    venue: str | None = None
    # "[ICLR 2024] Title" / "`ICLR 2024` Title, authors": a venue label in front of the title
    lead = _BRACKET_VENUE.match(first)
    label = _first_label(el, 0.9 * len(first))
    if label and first.startswith(label) and _named_like_venue(label) \
            and (_pure_venue(label) or (label != first and _is_venue_line(label))) \
            and (title is None or not title.startswith(label)):
        venue = label.strip(" []【】")  # (a label's brackets are decoration: "[ICDE 2025]")
        status = _LEAD_NOTE.match(first[len(label):])  # "`IJCAI 2022` (Oral) Title"
        if status and not (title and first[len(label):].strip().startswith(title)):
            venue = f"{label} {status.group(1)}"
    elif lead and _is_venue_line(lead.group(1)):
        venue = lead.group(1)

    reference = _strip_links_text(first, buttons) if title is None and len(lines) == 1 else None
    return _Reading(reference, links, lines, buttons, badge, title, rule, title_idx, venue, lead is not None)


def _coauthors_lead(text: str) -> str:
    """What follows a title without the word that leads its co-authors ("with A and B. Journal 2021",
    "joint with A"): the author list that remains is read as any other."""
    if text[:4].lower() == "with" or text[:5].lower() == "joint":
        return cues.WITH_COAUTHORS.sub("", text, count=1)
    return text


def _anchored_lines(el: El, lines: list[str]) -> bool:
    """Whether each of ``lines`` is the whole text of a link in ``el`` (in-page links, "#category=R",
    included)."""
    anchors = {clean(e.text()) for e in el.elements() if e.tag == "a"}
    return all(ln in anchors for ln in lines)


def _read_roles(r: _Reading) -> _Draft | None:
    """A record read by roles (title, authors, venue), from its lines and what the first look found."""
    lines, buttons, badge = r.lines, r.buttons, r.badge
    title, rule, title_idx, venue = r.title, r.rule, r.title_idx, r.venue
    first = lines[0]
    if title is None:
        cand = first
        if venue and cand.startswith(venue):
            cand = cand[len(venue):]
        lead = _BRACKET_VENUE.match(cand)
        if lead and ((r.lead and venue) or not _named_like_venue(lead.group(1))):
            cand = cand[lead.end():]  # a venue label, or a marker ("[New]"), before the title
        status = _LEADING_STATUS.match(cand)
        if status:  # "在投 Title" / "Preprint Title": a status badge before the title
            venue = venue or status.group(1)
            cand = cand[status.end():]
        if len(lines) > 1:
            cand = _strip_links_text(cand, buttons)  # "Title Code [PDF]": buttons after the title
        t = _clean_title(cand)
        if len(lines) == 1:
            # one-line bibliography: "Title, A. Author, B. Author" or "Authors. Title. Venue."
            t = _one_line_title(t)
        if t and _title_like(t) and not _names_only(t) and (len(lines) > 1 or _strip_links_text(t, buttons)):
            title, rule, title_idx = t, "first-line", 0  # (a line of names, or of buttons, holds no title)
    if title is None:
        return None

    rest = [ln for i, ln in enumerate(lines) if i != title_idx]
    if title_idx is not None and len(lines) > 1:
        # "Title AAAI, 2024" / "Title. Authors": what follows the title on its line is a line of its own
        line = lines[title_idx]
        pos = line.find(title)
        tail = _strip_links_text(line[pos + len(title):], buttons).strip(" ,.;:-–—|") if pos >= 0 else ""
        tail = _coauthors_lead(tail)
        if tail and not _is_link_label(tail):
            rest.insert(title_idx, tail)
    authors: list[str] = []
    lead_year: int | None = None
    tail_note: str | None = None
    venue_line = None  # the venue as written, year and pages included: the venue keeps only its name
    if title_idx == 0 and len(lines) == 1:
        whole = _strip_links_text(clean(lines[0]), buttons)
        pos = whole.find(title)
        before = _YEAR_AT_END.sub("", whole[:pos]).strip(" ,.") if pos > 0 else ""
        after = _coauthors_lead(whole[pos + len(title):].strip(" ,.")) if pos >= 0 else ""
        if before and _names_before(before):
            authors = _inverted_names(before) or cues.split_authors(before)
            if after and not _is_author_line(after):
                end = _YEAR_ENDS_SENTENCE.search(after)  # "..., 2020. This book won...":
                after = after[:end.end()].strip(" .") if end else after  # the citation ends at its year
                venue, venue_line = venue or _venue_from(after), after
            rest = []
            lead_year = scholarly.find_year(whole[:pos])
        elif after:
            note = _NOTE_AT_END.search(after)
            if note and cues.author_share(after[:note.start()]) >= 0.6:  # "authors, (Oral)": a note on the venue
                noted_year = _YEAR_IN_PARENS.fullmatch(note.group(1))
                if noted_year:
                    lead_year = int(noted_year.group(1))  # "authors (2023)": the year, no note
                else:
                    tail_note = note.group(1)
                after = after[:note.start()]
            rest = [after]
    # the first line may also hold authors or the venue after the title ("Title. Authors. Venue")
    for k, ln in enumerate(rest):
        ln2 = _strip_links_text(ln, buttons)
        if not ln2:
            continue
        if not authors:
            a, v = _split_author_venue(ln2)
            if a and v:
                if _NO_DIGIT.fullmatch(v) and any(_is_venue_line(later) for later in rest[k + 1:]):
                    # "..., Ofir Press" then "NeurIPS 2024": a venue word ending the author line is a
                    # surname when the venue has a line of its own
                    authors = cues.split_authors(ln2)
                else:
                    authors = cues.split_authors(a)
                    venue_line = venue_line or v
                continue
        if not authors and cues.author_share(ln2) >= 0.6:
            if not _is_venue_line(ln2) or cues.author_share(ln2) >= 0.9:
                authors = cues.split_authors(ln2)
                continue
        if venue_line is None and _is_venue_line(ln2) and len(ln2) < 250:
            a, v = _split_author_venue(ln2)
            if a and v and not authors:
                authors = cues.split_authors(a)
                venue_line = v
            else:
                venue_line = ln2
    if venue_line is None and lead_year is None:
        # "Title | A. Author, ..., B. Author (2023) eLife": the year the author list closes with is the paper's
        dated = next((m for ln in rest if "(" in ln and (m := _YEAR_IN_PARENS.search(ln))), None)
        lead_year = int(dated.group(1)) if dated else None
    if venue is None and venue_line:
        venue = _venue_from(venue_line)
    elif venue and venue_line and _PRESENTATION.fullmatch(venue.strip()):
        venue = f"{_venue_from(venue_line)} ({venue.strip('[]()')})"  # an "Oral" badge belongs to the venue line
    if venue is None and badge and _is_venue_line(badge) and badge.lower() not in _CATEGORY_BADGES:
        venue = badge
    if venue and cues.author_share(venue) >= 0.8 and not _acronym_year(venue) \
            and not _INNER_ABBREVIATION.search(venue):  # ("Bull. Lond. Math. Soc": a journal, cut short)
        venue = None
    if venue and tail_note and tail_note not in venue:
        venue = f"{venue} {tail_note}"
    return _Draft(title, rule, authors, venue, venue_line, lead_year)


# a line read as a one-line reference in a publications section and elsewhere (``parse_bib_line_both``)
_Readings = tuple[tuple[Publication, bool] | None, tuple[Publication, bool] | None]
_READ_REFERENCE_MEMO: Final[MemoTable[str, _Readings]] = MemoTable(16384)


def _read_reference(line: str) -> _Readings:
    known = _READ_REFERENCE_MEMO.answers.get(line)
    if known is None:
        known = _READ_REFERENCE_MEMO.keep(line, parse_bib_line_both(line))
    return known


def _shared_reference(line: str, in_publications: bool) -> tuple[Publication, bool] | None:
    """The reading of a one-line reference for its context (in a publications section or not), shared:
    for a yes or no, which must not change it."""
    return _read_reference(line)[0 if in_publications else 1]


def _reference(line: str, in_publications: bool) -> tuple[Publication, bool] | None:
    """A one-line reference read once per text, for both contexts (records are read in several); a fresh copy."""
    found = _shared_reference(line, in_publications)
    if found is None:
        return None
    pub, has_authors = found
    return pub.copy(), has_authors


def _link_kinds(links: list[tuple[str, str]]) -> dict[str, str]:
    """The first link of each kind (pdf, arxiv, code, doi, project, other)."""
    kinds: dict[str, str] = {}
    for text, href in links:
        kind = cues.link_kind(text, href)
        if kind and kind not in kinds:
            kinds[kind] = href
    return kinds


_PERIOD_BREAK: Final = re.compile(r"\.\s+")
_COMMA: Final = re.compile(r",\s*")


def _one_line_title(text: str) -> str:
    """The title inside a one-line reference: before the first author name, or between periods."""
    pieces = [p.strip() for p in text.split(",")]
    lead = 0  # "A. Author, B. Author and C. Author, Title. Venue": the names come first, the title after them
    while lead < len(pieces) - 1 and pieces[lead] and all(cues.looks_like_name(n) for n in cues.split_authors(pieces[lead])):
        lead += 1
    if lead >= 2:
        title = _PERIOD_BREAK.split(", ".join(pieces[lead:]), maxsplit=1)[0].strip()
        cut = next((m.start() for m in _COMMA.finditer(title) if _is_venue_line(title[m.end():])), None)
        title = title[:cut] if cut else title  # "Title, Publisher, 2020": no period before the venue
        if _title_like(title):
            return title
    ends: cues.SuffixShares | None = None  # made when a piece first reads as a name
    for i in range(1, len(pieces)):
        if cues.looks_like_name(pieces[i]):
            ends = ends or cues.SuffixShares(pieces)
            if ends.share(i) >= 0.5:
                return ", ".join(pieces[:i])
    sentences = [s.strip() for s in _PERIOD_BREAK.split(text) if s.strip()]
    if len(sentences) >= 2 and cues.author_share(sentences[0]) >= 0.6:
        return sentences[1]
    return text


# ---------------------------------------------------------------- news

_EMOJI_CODE: Final = re.compile(r":(?<!\w:)[a-z0-9_+\-]+:(?!\w)")  # ":fire:" (opening with its colon: searched for it)


def parse_news(el: El, *, section: Section, today: dt.date, last_date: str | None) -> NewsItem | None:
    lines = _record_lines(el)
    text = clean(" ".join(lines))
    text = _EMOJI_CODE.sub("", text).strip()
    if not text or len(text) < 8 or _FOOTER.match(text):
        return None
    date, rest = cues.split_news_date(text)
    if date is None and len(lines) > 1 and (alone := cues.NEWS_DATE_RE.match(lines[0] + " x")) is not None \
            and len(alone.group(1)) >= len(lines[0].strip("[]()【】 :")) - 1:
        date, rest = lines[0].strip("[]()【】 :"), clean(" ".join(lines[1:]))  # a date on a line of its own
    if date is None:
        # a date in its own element, maybe beside the record, maybe left empty to mean "same as above"
        around = list(el.elements()) + ([c for c in el.parent.element_children() if c.pre < el.pre]
                                        if el.parent is not None else [])
        date_el = next((e for e in around if "date" in " ".join(e.classes).lower()), None)
        if date_el is not None:
            date = date_el.text() or last_date
    if date is None and rest == text and cues.word_count(text) < 4:  # an undated item is a sentence
        return None
    if _DATE_ONLY.fullmatch(rest.strip(" –—-:·|")):
        return None  # "Aug 2019 – Sep 2019" and nothing else: a span of time (a résumé's entry), no news
    links = [href for _, href in el.links()]
    return NewsItem(date=date, text=rest.strip(" :-–—"), parsed_date=cues.parse_date(date, today) if date else None,
                    links=links)


# ---------------------------------------------------------------- the page

def _explain(section: Section, records: int, found: int, kind: str) -> dict:
    return {"section": section.title or "(before the first heading)", "kind": section.kind or "unknown",
            "read_as": kind, "records": records, "found": found}


def _with_structured(papers: list[Publication], stated: list[Publication]) -> list[Publication]:
    """Papers the page states as data (JSON-LD, citation meta tags, BibTeX) fill what the visual reading
    left out: a missing year, venue or author list, a title with a badge glued to it. On a page whose
    layout yields no paper list, they are the list."""
    if not stated:
        return papers
    if not papers or len(papers) < 2 <= len(stated):
        return [replace(p, section=None) for p in stated]
    by_key = {norm(p.title): p for p in stated if p.title}
    for p in papers:
        key = norm(p.title)
        match = by_key.get(key) or next((s for k, s in by_key.items() if len(k) >= 20 and k in key
                                         and len(k) >= 0.6 * len(key)), None)
        if match is None:
            continue
        if norm(match.title) != key:
            p.title = match.title  # "Preprint Title Code": the stated title has no badges
        p.year = p.year or match.year
        p.venue = p.venue or match.venue
        p.authors = p.authors or list(match.authors)
    return papers


def _segmentation(section: Section, records: list[El], read_as: str, today: dt.date) -> dict:
    """For ``check --explain``: the evidence behind a section's kind, and each record's lines with the
    role each got (title, authors, venue, links, date, text), so a reader sees where records were cut."""
    top = section.heading.parent if section.heading is not None else None
    papers = [_paper(r, section, False) for r in records]
    evidence = {"heading": cues.heading_kind(section.title) if section.title else None,
                "markup": _marker_kind(records[0], top) if records else None,
                "dated": sum(1 for r in records if cues.split_news_date(r.text())[0]) / len(records) if records else 0.0,
                "papers": sum(1 for p in papers if p and (p.authors or p.venue)) / len(records) if records else 0.0}
    cuts = []
    for r, p in zip(records[:40], papers):
        lines = _record_lines(r)[:8]
        if read_as.startswith("news"):
            item = parse_news(r, section=section, today=today, last_date=None)
            roles = ["date" if i == 0 and item and item.date else "text" for i in range(len(lines))]
            label = f"news: {item.text[:60]}" if item else None
        else:
            roles = [_line_role(ln, p) for ln in lines]
            label = f"paper: {p.title[:60]}" if p and p.title and read_as.startswith("publications") else None
            roles = roles if label else [role if role == "links" else "-" for role in roles]
        cuts.append({"lines": lines, "roles": roles, "item": label})
    return {"evidence": evidence, "cuts": cuts}


def _line_role(line: str, paper: Publication | None) -> str:
    if _is_link_label(line):
        return "links"
    if paper is None:
        return "-"
    if paper.title and paper.title[:40] in line:
        return "title"
    if paper.authors and paper.authors[0][:20] in line:
        return "authors"
    if paper.venue and paper.venue[:20] in line:
        return "venue"
    return "other"


def _dedupe_papers(papers: list[Publication]) -> list[Publication]:
    seen: dict[str, int] = {}
    out: list[Publication] = []
    for p in papers:
        key = paper_key(p)
        if key in seen:
            kept = out[seen[key]]
            kept.venue = kept.venue or p.venue
            kept.year = kept.year or p.year
            for k, v in p.links.items():
                kept.links.setdefault(k, v)
            continue
        seen[key] = len(out)
        out.append(p)
    return out


def _dedupe_news(news: list[NewsItem]) -> list[NewsItem]:
    """A news list shown twice (a short list and the full one, or two layouts) is one list."""
    seen: set[tuple[str | None, str]] = set()
    out = []
    for n in news:
        key = (n.date, news_key(n))  # the same words on two dates are two items
        if key not in seen:
            seen.add(key)
            out.append(n)
    return out


def _marker_kind(el: El, top: El | None) -> str | None:
    """A kind named by the markup around a record (class, id or data-category: "news", "publication")."""
    node: El | None = el
    while node is not None and node is not top:
        kind = _own_marker(node)
        if kind:
            return kind
        node = node.parent
    return None


def _own_marker(node: El) -> str | None:
    """The kind the element's own class, id or data-category names; worked out once per element (the
    records of a list share their ancestors)."""
    memo = node.memo
    if "marker" not in memo:
        kind = None
        for name in " ".join([node.attrs.get("class", ""), node.attrs.get("id", ""),
                              node.attrs.get("data-category", "")]).split():
            m = _MARKER.fullmatch(name.lower())
            kind = cues.heading_kind(m.group(1)) if m else None
            if kind:
                break
        memo["marker"] = kind
    return memo["marker"]


def _inline_core(el: El) -> El:
    """The element that holds a record's lines: ``el``, or the inline wrapper that is all it shows
    (``<p><font><span>line<br>line</span></font></p>``)."""
    for _ in range(4):
        if el.post == el.pre:  # (no element inside)
            break
        only = _only_child(el)
        if not isinstance(only, El) or only.is_block or only.tag == "br":
            break
        el = only
    return el


def _one_per_line(records: list[El], kind: str | None, section: Section) -> list[El]:
    """A paragraph whose lines are entries of their own ("2025.06 ...<br>2025.01 ..." or one reference
    per line) holds one record per line."""
    out: list[El] = []
    for r in records:
        holder = _inline_core(r) if kind == "news" else r  # (dated lines inside a <font> or <span>)
        lines = split_at_breaks(holder, blank_line=False) if any(c.tag == "br" for c in holder.element_children()) \
            and _may_hold_entries(holder, kind) else []
        if len(lines) >= 2:
            if kind == "news" and sum(bool(cues.split_news_date(ln.text())[0]) for ln in lines) >= 2:
                out.extend(lines)
                continue
            if kind in ("publications", None) and all(
                    (bib := _reference(ln.text(), kind is not None)) and bib[1] for ln in lines):
                out.extend(lines)
                continue
        out.append(r)
    return out


def _may_hold_entries(holder: El, kind: str | None) -> bool:
    """Whether the first line of ``holder`` opens an entry of ``kind`` (a dated line, a reference): only then
    is the block cut at its breaks, which costs more than a look at one line (``_one_per_line``)."""
    first = holder.lines()[:1]
    if not first:
        return False
    if kind == "news":
        return bool(cues.split_news_date(first[0])[0])
    if kind in ("publications", None):
        return _shared_reference(first[0], kind is not None) is not None  # (no copy for a yes or no)
    return False


def _records_by_kind(section: Section) -> list[tuple[Section, list[El]]]:
    """Records of a section; in a section with no telling heading, grouped by the kind their markup names."""
    if section.forced:
        return [(section, list(section.nodes))]
    if any(n.memo.get("paper-title") for n in section.nodes):
        records = _group_under_titles(section.nodes)
    else:
        records = [r for n in section.nodes for r in split_records(n)]
    if section.kind is not None or not records:
        return [(section, records)]
    top = section.heading.parent if section.heading is not None else None
    groups: dict[str | None, list[El]] = {}
    for r in records:
        groups.setdefault(_marker_kind(r, top), []).append(r)
    if set(groups) == {None}:
        return [(section, records)]
    return [(replace(section, kind=kind), recs) for kind, recs in groups.items()]


def _looks_like_news(records: list[El]) -> bool:
    """Most records open with a date: a news list, whatever its heading says."""
    if len(records) < 2:
        return False
    need, dated = 0.6 * len(records), 0
    for i, r in enumerate(records):  # (it stops as soon as the answer is known: a record's text is costly)
        if cues.split_news_date(r.text())[0]:
            dated += 1
            if dated >= need:
                return True
        elif dated + len(records) - 1 - i < need:  # too few dated even if all the rest were
            return False
    return False


_RANGE_REST: Final = re.compile(r"^\s*(?:[-–—]|to\b|until\b|present\b)|^\s*[\d/.]{4,10}\b")


def _sentences(records: list[El]) -> bool:
    """Records that read as sentences (news), not as timeline rows ("2019-2023 PhD, MIT")."""
    rests = [cues.split_news_date(r.text())[1] for r in records]
    if sum(1 for t in rests if _RANGE_REST.match(t)) >= len(rests) / 3:
        return False  # "08/2018 – 06/2023, University": a timeline of ranges
    words = [len(t.split()) for t in rests]
    return bool(words) and sum(words) / len(words) >= 6


def _looks_like_papers(records: list[El], section: Section, *, with_authors: bool = False) -> bool:
    """Most records read as papers, a marked-up title or authors with a venue or a paper link: a paper
    list, whatever its heading says (a sentence about an award names a venue too, but has neither)."""
    votes = 0
    short = 0  # records of a few words (a menu's "Home", "CV"): no vote either way
    for r in records:
        if r.size < 40 and len(r.text().split()) <= 3:
            short += 1
            continue
        p = _paper(r, section, False)
        if p is None:
            continue
        marked = p.authors if with_authors else (p.authors or p.rule != "html:first-line")
        if marked and (p.venue or _paper_link(p.links)):
            votes += 1
    return votes >= max(2, 0.5 * (len(records) - short))


def extract_html(html: str, *, today: dt.date, selectors: dict[str, str] | None = None,
                 explain: bool = False) -> Page:
    root, tree = parse_html(html)
    try:
        return _read_page(root, tree, html, today=today, selectors=selectors, explain=explain)
    finally:
        release(root)  # the tree is garbage now: freed at once, not left to the cycle collector


def _read_page(root: El, tree: LexborHTMLParser, html: str, *, today: dt.date, selectors: dict[str, str] | None,
               explain: bool) -> Page:
    page = Page()
    sections = split_sections(root)
    if selectors:
        sections = _apply_selectors(tree, root, sections, selectors)
    papers: list[Publication] = []
    news: list[NewsItem] = []
    for base in sections:
        if base.kind == "other" and not base.forced and not explain:
            continue  # read as nothing whatever its records are: cut into them only to show the cuts
        for section, records in _records_by_kind(base):
            if explain:
                start = len(page.explain)
            kind = section.kind
            records = _one_per_line(records, kind, section)
            if kind == "publications" and _looks_like_news(records) and not any(
                    _paper(r, section, True) for r in records[:5]):
                kind = "news"
            if kind == "news" and not _looks_like_news(records) and _looks_like_papers(records, section):
                kind = "publications"
            if kind is None and _looks_like_news(records) and _sentences(records) and not any(
                    _paper(r, section, True) for r in records[:5]):
                kind = "news"  # dated one-line items about acceptances and awards, whatever the heading
            if section.forced:
                kind = section.kind
            elif kind in section.overridden or (kind is None and "publications" in section.overridden):
                page.explain.append(_explain(section, len(records), 0, f"{kind or 'unknown'} (overridden by selector)"))
                continue
            if kind == "publications":
                found = [p for r in records if (p := parse_paper(r, section=section, strict=False))]
                papers.extend(found)
                page.explain.append(_explain(section, len(records), len(found), "publications"))
            elif kind == "news":
                last: str | None = None
                items = []
                for r in records:
                    item = parse_news(r, section=section, today=today, last_date=last)
                    if item and item.date is None and section.inherited:
                        continue  # an undated line under a heading that names nothing (a sidebar's, a card's)
                    if item:
                        last = item.date or last
                        items.append(item)
                news.extend(items)
                page.explain.append(_explain(section, len(records), len(items), "news"))
            elif kind is None and len(records) >= 3 and _looks_like_papers(records, section, with_authors=True):
                # no telling heading, but most records read as papers: a paper list by its content
                found = [p for r in records if (p := parse_paper(r, section=section, strict=False))]
                papers.extend(found)
                page.explain.append(_explain(section, len(records), len(found), "publications (by content)"))
            elif kind is None:
                found = [p for r in records if (p := parse_paper(r, section=section, strict=True))]
                if len(found) >= 2:
                    papers.extend(found)
                page.explain.append(_explain(section, len(records), len(found) if len(found) >= 2 else 0,
                                             "publications (strict)"))
            else:
                page.explain.append(_explain(section, len(records), 0, "rejected"))
            if explain:
                for entry in page.explain[start:]:
                    entry.update(_segmentation(section, records, entry["read_as"] if entry["found"] else "nothing", today))
    page.publications = _with_structured(_dedupe_papers(papers), structured_papers(tree, html))
    page.news = _dedupe_news(news)
    title = title_of(tree)
    page.profile = Profile(name=_page_name(title, sections))
    h1 = next((s.title for s in sections if s.heading is not None and s.heading.tag == "h1"), "")
    page.title = f"{title} {h1}".strip()
    page.bio = _bio_text(sections)
    return page


def _apply_selectors(tree, root: El, sections: list[Section], selectors: dict[str, str]) -> list[Section]:
    """Per-source CSS overrides: each element a selector matches is one record of that kind, and the
    automatic method no longer produces that kind."""
    doc = root.doc or [root]
    by_id = {node.mem_id: doc[i] for i, node in enumerate(element_nodes(tree), 1)}
    for s in sections:
        s.overridden = set(selectors)
    for kind, css in selectors.items():
        nodes = [by_id[n.mem_id] for n in tree.css(css) if n.mem_id in by_id]
        sections.append(Section(title=f"selector {css}", kind=kind, level=1, heading=None, nodes=nodes, forced=True))
    return sections


_TITLE_SEPARATOR: Final = re.compile(r"\s+[|\-–—·:]\s+|'s\s")  # "Ada Lovelace | Home", "Ada's homepage"
_ABOUT: Final = re.compile(r"about|bio|简介|簡介|关于|關於", re.I)


def _page_name(title: str, sections: list[Section]) -> str | None:
    for part in _TITLE_SEPARATOR.split(title) if title else ():  # ("Ada Lovelace | Home", "About Me - Ada Lovelace")
        name = part.strip()
        if name and cues.looks_like_name(name):
            return name
    for s in sections:
        if s.heading is not None and s.level == 1 and cues.looks_like_name(s.title):
            return s.title
    return None


def _bio_text(sections: list[Section]) -> list[str]:
    """Paragraphs outside publication and news sections: where people say who they are. In a section
    named for something else (education, teaching) only running prose counts, not its list lines."""
    out: list[str] = []
    for s in sections:
        if s.kind in ("publications", "news"):
            continue
        about = s.kind != "other" or _ABOUT.search(s.title)
        for n in s.nodes:
            if not about and n.tag not in ("p", "div"):
                continue  # (its text is never built: a list of a whole section can be long)
            text = n.text()
            if len(text) > (40 if about else 120):
                out.append(text)
    return out
