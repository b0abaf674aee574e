"""One entry point from a fetched document (HTML, Markdown or plain text) to a ``Page``.

Markdown is rendered to HTML (markdown-it, raw HTML allowed, as GitHub and Jekyll do) and then
goes through the same HTML path, so the two never drift apart. Plain text has its own reader.
Announcements and the profile line are read afterwards, the same way for all three forms.

The size part of the extraction budget (``dom.Limits``: depth and element count) is applied here to
every tree the HTML path builds; the time part is the caller's (``monitor.worker`` runs extraction
in a process it can stop).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Callable, Final

from .. import memo
from ..models import Page
from .announce import find_announcements, find_profile
from .dom import Limits, PageTooComplex, forget_document, limits as dom_limits
from .html import extract_html
from .text import extract_text

__all__ = ["extract", "detect_format", "forget", "markdown_to_html", "looks_like_error_page", "Limits",
           "PageTooComplex"]

MARKDOWN_RULES: Final = ("table", "strikethrough")  # CommonMark (raw HTML allowed) with GitHub's tables and ~~strikes~~


def python_markdown() -> Callable[[str], str]:
    """markdown-it-py's renderer: the reference, and the one used where markdown-it.rs has no wheel."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    return md.enable(list(MARKDOWN_RULES)).render


def _markdown_renderer() -> Callable[[str], str]:
    """markdown-it.rs (the Rust port of markdown-it, same presets) where it is installed: it writes the
    same HTML as markdown-it-py on every Markdown page of the corpus and the seeds, in a seventeenth of the
    time (markdown-it-py was half of reading a Markdown page; ``tests/test_markdown.py`` holds them to the
    same output). Its wheels stop at Python 3.12; later Pythons use markdown-it-py."""
    try:
        import markdown_it_pyrs
    except ImportError:
        return python_markdown()
    return markdown_it_pyrs.MarkdownIt("commonmark").enable_many(list(MARKDOWN_RULES)).render  # type: ignore[arg-type]


_render_markdown = _markdown_renderer()
_FRONT_MATTER: Final = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
# What Jekyll consumes and a reader never sees: Liquid tags ("{% include paper.html title=... %}", whose output
# comes from another file) and output ("{{ site.author }}"), and kramdown's attribute lists on a line of
# their own ("{: .paper__cite}")
_TEMPLATE_CODE: Final = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|^[ \t]*\{:[^}\n]*\}[ \t]*$", re.S | re.M)
# Markup indented as the page's author laid it out ("    <div class=...>" after a blank line): kramdown, which
# renders Jekyll's pages, reads an HTML block to its closing tag, where CommonMark would show such a line as
# code (the markup itself, as text): the indent is dropped
_INDENTED_MARKUP: Final = re.compile(
    r"^(?: {4,}|\t+)(?=</?(?:div|p|img|a|span|table|tr|td|th|tbody|thead|ul|ol|li|h[1-6]|section|br|hr|b|strong|i|"
    r"em|u|font|center|figure|figcaption|details|summary|blockquote|dl|dt|dd|nav|header|footer|article|aside|main|"
    r"sup|sub|small)\b)", re.M)
_ERROR_TITLE: Final = re.compile(
    r"\b(?:40[0-9]|41[0-9]|50[0-9])\b|not found|page not found|doesn'?t exist|does not exist|server error|"
    r"service unavailable|bad gateway|access denied|forbidden|under maintenance|site not found|"
    r"there isn'?t a github pages site here|domain (?:is )?for sale|account suspended", re.I)


@functools.lru_cache(maxsize=2)  # a homepage is rendered twice in a row: to extract it, then to find its links
def markdown_to_html(text: str) -> str:
    """Render Markdown as a Jekyll/GitHub page would show it (front matter and template code dropped, inline
    HTML kept)."""
    text = _FRONT_MATTER.sub("", text, count=1)
    if "{%" in text or "{{" in text or "{:" in text:
        text = _TEMPLATE_CODE.sub("", text)
    if "    <" in text or "\t<" in text:
        text = _INDENTED_MARKUP.sub("", text)
    return _render_markdown(text)


def detect_format(body: str, content_type: str | None = None, url: str | None = None) -> str:
    """html, markdown or text, from the content type, the file name, then the content itself."""
    ct = (content_type or "").lower()
    path = (url or "").lower().split("?")[0]
    if "markdown" in ct or path.endswith((".md", ".markdown")):
        return "markdown"
    if "html" in ct or path.endswith((".html", ".htm")):
        return "html"
    head = body[:4000].lstrip().lower()
    if head.startswith(("<!doctype html", "<html", "<?xml")) or re.search(r"<(?:body|head)\b", head):
        return "html"
    sample = body[:20000]
    if _FRONT_MATTER.match(body) or len(re.findall(r"^#{1,6}\s+\S|\[[^\]]+\]\([^)\s]+\)|^\s*[*-]\s+\S|\*\*\S",
                                                   sample, re.M)) >= 3:
        return "markdown"
    if len(re.findall(r"<(?:div|p|table|ul|li|br|a)\b", sample, re.I)) >= 5:
        return "html"
    return "text"


def forget() -> None:
    """Empty the extractor's memo tables (``monitor.memo``) and its caches of the last page read.

    They fill with the lines of every page read, for pages that repeat them, and a long-lived reader
    grows with them (a worker to 165 MiB over 5,000 different pages); emptied past a size, it stays flat.
    What they hold is only ever recomputed, so reading is unchanged."""
    memo.forget()
    markdown_to_html.cache_clear()
    forget_document()


def looks_like_error_page(page: Page, title: str) -> bool:
    return bool(_ERROR_TITLE.search(title or "")) and not page.publications and len(page.news) < 2


def extract(body: str, *, format: str = "auto", content_type: str | None = None, url: str | None = None,
            today: dt.date | None = None, selectors: dict[str, str] | None = None,
            limits: Limits | None = None, explain: bool = False) -> Page:
    """Everything a page says: profile, publications, news, announcements.

    ``explain`` also records, per section, its records with the role each line got and the evidence
    behind the section's kind (``Page.explain``); without it, a section whose heading names another kind
    (teaching, education) is not cut into records at all, and not listed. Raises ``PageTooComplex`` (an
    ``ExtractError``) for a page beyond ``limits``.
    """
    with dom_limits(limits or Limits()):
        return _extract(body, format=format, content_type=content_type, url=url, today=today, selectors=selectors,
                        explain=explain)


def _extract(body: str, *, format: str, content_type: str | None, url: str | None, today: dt.date | None,
             selectors: dict[str, str] | None, explain: bool) -> Page:
    today = today or dt.date.today()
    fmt = detect_format(body, content_type, url) if format == "auto" else format
    if fmt == "text":
        page = extract_text(body, today=today)
        if not page.bio:
            page.bio = [b for b in re.split(r"\n\s*\n", body[:5000]) if len(b) > 40][:5]
        page.title = body.strip().splitlines()[0] if body.strip() else ""
    else:
        html = markdown_to_html(body) if fmt == "markdown" else body
        page = extract_html(html, today=today, selectors=selectors, explain=explain)
    page.announcements = find_announcements(page.bio, page.news)
    page.profile = find_profile(page.bio, page.profile.name)
    page.error_page = looks_like_error_page(page, page.title)
    return page
