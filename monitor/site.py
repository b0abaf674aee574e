"""Which other pages of a researcher's site are read with the homepage, and which never are.

Many researchers keep their papers on a page of their own (``/publications/``, ``Paper.html``) and
their news on another, so a source can be a small set of pages: the homepage and, one hop away, the
pages its links name as publications or news. A link qualifies by its text or by its path, read with
the extractor's own section vocabulary (``extract.cues.heading_kind``, the words that name a
"Publications" or "News" heading, in every language it knows): nothing here lists those words again.

What is never followed: another host (``www.`` aside, and http -> https of the same host is the same
site), a page outside the homepage's own folder when the homepage lives in one (``/~dana/``,
``/people/dana/``: the institution's news is not the researcher's), a fragment of the homepage itself,
anything that is not an http(s) HTML, Markdown or text page (PDFs, slides, BibTeX...), login pages,
and links that carry credentials. A text match counts only for a link that stands alone (a menu
entry), not for a "[paper]" link inside a citation; a path match counts wherever the link is.

The thresholds are data, here, with the rest of the rules (``FOLLOW_MAX`` and its kin).
"""

from __future__ import annotations

import posixpath
import re
from typing import Final, TYPE_CHECKING
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from .models import SiteLink
from .safe import redact_url

# Reading links loads selectolax and the extractor, when a homepage's links are read; reading
# sources.yaml uses this module's address rules alone, so it loads neither.
if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

FOLLOW_MAX: Final = 4  # linked pages read with a homepage, at most (the best-named first)
LISTED_MAX: Final = 10  # pages a source may list under ``pages:``
FOLLOW_KINDS: Final = frozenset({"publications", "news"})
PATH_SCORE, TEXT_SCORE = 2, 1  # a link named by its path outranks one named by its text alone
LINK_TEXT_MAX: Final = 60  # longer link texts are sentences or titles, not the name of a page
SCOPE_DEPTH: Final = 2  # a homepage this many folders deep (/people/dana/) is a page among others: stay under it
PAGE_SUFFIXES: Final = frozenset({"", ".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".md",
                                  ".markdown", ".txt"})
PAGE_TYPES: Final = frozenset({"text/html", "application/xhtml+xml", "text/markdown", "text/x-markdown", "text/plain"})
INDEX_NAMES: Final = frozenset({"index", "default", "home", "main"})  # /publications/index.html is named by its folder
LOGIN: Final = re.compile(
    r"(?<![a-z])(?:log[-_ ]?(?:in|on|out)|sign[-_ ]?(?:in|on|up|out)|sso|cas|oauth2?|auth(?:enticate|orize)?|"
    r"wp-login|wp-admin|admin|accounts?|register|password|shibboleth)(?![a-z])", re.I)
_URL_IN_TEXT: Final = re.compile(r"https?://[^\s<>()\"'\]]+")


def is_web(url: str | None) -> bool:
    return urlsplit(url or "").scheme.lower() in ("http", "https")


def _port(parts) -> int | None:
    try:
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None


def _host(parts) -> str:
    host = (parts.hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def same_site(home: str, url: str) -> bool:
    """One host (``www.`` aside) on the same port, by the same scheme or from http up to https."""
    a, b = urlsplit(home), urlsplit(url)
    sa, sb = a.scheme.lower(), b.scheme.lower()
    if sb not in ("http", "https") or not (sa == sb or (sa, sb) == ("http", "https")):
        return False
    if not _host(a) or _host(a) != _host(b):
        return False
    return _port(a) == _port(b) or ((sa, sb) == ("http", "https") and a.port is None and b.port is None)


def same_origin(a: str, b: str) -> bool:
    """Scheme, host and port alike: where a source's credentials and headers may go."""
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower() == pb.scheme.lower() and (pa.hostname or "").lower() == (pb.hostname or "").lower()
            and _port(pa) == _port(pb))


def scope(home: str) -> str:
    """The folder a homepage's own pages live under: its user folder (``/~dana/``), its folder when that is
    ``SCOPE_DEPTH`` deep or more (``/people/dana/``), else the whole site (``/``)."""
    path = urlsplit(home).path or "/"
    folders = [s for s in path[: path.rfind("/") + 1].split("/") if s]
    if folders and folders[0].startswith("~"):
        return f"/{folders[0]}/"
    if len(folders) >= SCOPE_DEPTH:
        return "/" + "/".join(folders) + "/"
    return "/"


def canonical(url: str) -> str:
    """The page an address names, for telling two addresses of one page: no fragment, no scheme, no
    ``www.``, no default port, and an index file named by its folder."""
    parts = urlsplit(url)
    path = parts.path or "/"
    stem, _ = posixpath.splitext(posixpath.basename(path))
    if stem.lower() in INDEX_NAMES:
        path = path[: path.rfind("/") + 1]
    port = "" if parts.port in (None, 80, 443) else f":{parts.port}"
    return f"//{_host(parts)}{port}{path}" + (f"?{parts.query}" if parts.query else "")


_CAMEL_CASE: Final = re.compile(r"(?<=[a-z])(?=[A-Z])")
_NOT_WORD: Final = re.compile(r"[\W_]+")
_NUMBER_WORD: Final = re.compile(r"[\d\W_]+")
_FILE_SUFFIX: Final = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,5}")


def path_words(path: str) -> str:
    """The words a path names its page with: '/research/selectedPapers.html' -> 'selected Papers'."""
    segments = [unquote(s) for s in path.split("/") if s]
    while segments:
        stem, suffix = posixpath.splitext(segments[-1])
        if suffix.lower() not in PAGE_SUFFIXES:
            stem = segments[-1]
        if stem.lower() in INDEX_NAMES and len(segments) > 1:
            segments.pop()
            continue
        words = _CAMEL_CASE.sub(" ", stem)
        return " ".join(_NOT_WORD.sub(" ", words).split())
    return ""


def is_page(url: str) -> bool:
    """An address that can be a web page: http(s), and no file suffix of a document, image or archive."""
    return is_web(url) and _page_path(urlsplit(url).path)


def _page_path(path: str) -> bool:
    """A path with no file suffix of a document, image or archive (``is_page`` without the scheme)."""
    suffix = _suffix(path)
    return suffix.lower() in PAGE_SUFFIXES or not _FILE_SUFFIX.fullmatch(suffix)


def _suffix(path: str) -> str:
    """``posixpath.splitext(posixpath.basename(path))[1]``, as string work the compiled build runs natively
    (asked of every link of a homepage to its own site): the last dot's part of the last segment, unless
    only dots come before it (``.bashrc``, ``..``)."""
    name = path[path.rfind("/") + 1:]
    dot = name.rfind(".")
    return name[dot:] if dot > 0 and name[:dot].strip(".") else ""


def login_like(url: str, text: str = "") -> bool:
    parts = urlsplit(url)
    return bool(LOGIN.search(unquote(parts.path)) or LOGIN.search(unquote(parts.query)) or LOGIN.search(text))


def page_type_ok(content_type: str | None) -> bool:
    """Followed pages are HTML, Markdown or text (no content type: read as such, like the homepage)."""
    return content_type is None or content_type in PAGE_TYPES


def refusal(home: str, url: str, text: str = "") -> str | None:
    """Why ``url`` is not a page of the homepage's site to read (None when it is)."""
    if not is_web(url):
        return "not an http(s) address"
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None or redact_url(url) != url:
        return "carries credentials"
    if not same_site(home, url):
        return "another site"
    if not (parts.path or "/").startswith(scope(home)):
        return f"outside {scope(home)}"
    if canonical(url) == canonical(home):
        return "the homepage itself"
    if not is_page(url):
        return "not a web page"
    if login_like(url, text):
        return "a login page"
    return None


def _naming(words: str) -> str:
    """The words that can name a page: numbers (ids, dates, counts) never do, and a long run of digits is
    slow for the heading patterns to refuse."""
    return " ".join(w for w in words.split() if not _NUMBER_WORD.fullmatch(w))


def link_kind(text: str, path: str) -> tuple[str, str, int] | None:
    """(kind, why, score) when the link's text or path names a publications or news page."""
    from .extract.cues import heading_kind

    named = _naming(text) if len(text) <= LINK_TEXT_MAX else ""
    by_text = heading_kind(named) if named else None
    words = _naming(path_words(path))
    by_path = heading_kind(words) if words else None
    reasons, score, kind = [], 0, None
    if by_text in FOLLOW_KINDS:
        reasons.append(f"link text {text!r}")
        score, kind = score + TEXT_SCORE, by_text
    if by_path in FOLLOW_KINDS:
        reasons.append(f"path {path}")
        score, kind = score + PATH_SCORE, kind or by_path
    return (kind, ", ".join(reasons), score) if kind else None


def _stands_alone(a: LexborNode) -> bool:
    """The link is all the text of its parent (a menu entry), not a word inside a sentence or a citation."""
    parent = a.parent
    if parent is None:
        return True
    rest = parent.text(deep=True)
    for other in parent.css("a"):
        rest = rest.replace(other.text(deep=True), " ", 1)
    return not _NOT_WORD.sub("", rest)


def _anchors(html: str, base: str) -> tuple[str, list[tuple[str, LexborNode | None]]]:
    """(base address, [(href, element)]) of a document's links. Their words are read only for the few
    that stay on the site (``_label``): most links of a homepage lead elsewhere."""
    from .extract.dom import lexbor_tree

    tree = lexbor_tree(html)
    tag = tree.css_first("base[href]") if tree.tags("base") else None  # (rare: the selector only then)
    if tag is not None and is_web(urljoin(base, tag.attributes.get("href") or "")):
        base = urljoin(base, tag.attributes.get("href") or "")
    # Every <a>, by its tag (lexbor's list of them, in document order, without parsing and matching a
    # selector: with the <base> test above, 49 to 36 us a bench page): one without an href is passed over as
    # an empty one is. (``attrs.get`` reads one attribute; ``attributes`` would build a dict of them all.)
    return base, [((a.attrs.get("href") or "").strip(), a) for a in tree.tags("a")]


def _label(a: LexborNode) -> str:
    """A link's words: its text, else its title or ARIA label."""
    text = a.text(deep=True) or a.attrs.get("title") or a.attrs.get("aria-label") or ""
    return " ".join(text.split())


_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _elsewhere(href: str, own: tuple[str, ...]) -> bool:
    """A quick look, before resolving a link: another scheme (mailto:, javascript:) or another host.

    The host is what stands between the address's ``//`` and the next ``/``, ``?`` or ``#`` (as ``urlsplit``
    reads it), after any ``user@``, before any ``:port``, in lower case and without ``www.``; found by index,
    not by splitting the address (a homepage has some 90 links to other sites, each asked this)."""
    if href.startswith("https://"):
        start = 8
    elif href.startswith(("http://", "//")):
        start = 7 if href[0] == "h" else 2
    elif href[:1] in "hH" and href[:8].lower().startswith(("http://", "https://")):
        start = 8 if href[4] in "sS" else 7
    else:
        return bool(_SCHEME.match(href))
    end = href.find("/", start)
    netloc = href[start:end] if end >= 0 else href[start:]
    if "?" in netloc or "#" in netloc:  # (rare: a query or fragment right after the host)
        netloc = netloc.split("?", 1)[0].split("#", 1)[0]
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
    colon = netloc.find(":")
    host = (netloc if colon < 0 else netloc[:colon]).lower()
    return host.removeprefix("www.") not in own


def _names_file(href: str) -> bool:
    """A link whose own path ends in a file that is no page (``paper.pdf``, ``../slides.pptx?dl=1``): told
    before resolving it, which only the remaining links need (more than half of a homepage's links to its
    own site are files). Resolving leaves a path's last segment as it is, unless it is empty, ``.`` or ``..``,
    which name no file here either."""
    path = href.split("#", 1)[0].split("?", 1)[0]
    return bool(path) and not _page_path(path)


def discover(text: str, *, fmt: str, url: str, content_type: str | None = None) -> list[SiteLink]:
    """The pages of the homepage's site its links name as publications or news, best first, at most
    ``FOLLOW_MAX``. ``url``: the homepage's address after redirects (links resolve against it)."""
    from .extract import detect_format, markdown_to_html

    if not is_web(url):
        return []
    fmt = detect_format(text, content_type, url) if fmt == "auto" else fmt
    anchors: list[tuple[str, LexborNode | None]]
    if fmt == "text":
        base, anchors = url, [(m.group(0).rstrip(".,;:"), None) for m in _URL_IN_TEXT.finditer(text)]
    else:
        base, anchors = _anchors(markdown_to_html(text) if fmt == "markdown" else text, url)
    found: dict[str, tuple[int, int, SiteLink]] = {}
    own = _host(urlsplit(base)), _host(urlsplit(url))
    for order, (href, element) in enumerate(anchors):
        if not href or href.startswith("#") or _elsewhere(href, own) or _names_file(href):
            continue
        parts = urlsplit(urljoin(base, href))._replace(fragment="")
        if not _page_path(parts.path):
            continue  # a PDF, an image, a BibTeX file: ``refusal`` would say so, after the costlier naming
        target, path = urlunsplit(parts), parts.path or "/"
        label = _label(element) if element is not None else ""
        named = link_kind(label, path)
        if named is None or refusal(url, target, label) is not None:
            continue
        if named[2] == TEXT_SCORE and (element is None or not _stands_alone(element)):
            continue  # named by a word inside a sentence or a citation ("[paper]"), not by a menu entry
        if named[2] > PATH_SCORE and (element is None or not _stands_alone(element)):
            named = link_kind("", path)
        assert named is not None
        kind, why, score = named
        key = canonical(target)
        if key not in found or found[key][0] < score:
            found[key] = (score, found[key][1] if key in found else order, SiteLink(url=target, kind=kind, why=why))
    ranked = sorted(found.values(), key=lambda f: (-f[0], f[1]))
    return [link for _, _, link in ranked[:FOLLOW_MAX]]
