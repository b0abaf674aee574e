"""Page text is untrusted input: the one place where it is made safe, and where URLs are redacted.

Where the cleaning happens. A homepage can hold anything: terminal escape sequences (ESC, BEL),
characters XML forbids (C0 controls, U+FFFE, U+FFFF, lone surrogates), ``JAVASCRIPT:`` and
``data:`` links. Every output (the terminal, the email, the webhook, the feed) is built from what
the extractor returned, so the page is cleaned once, as it leaves extraction: ``worker.run_job``
passes every ``Page`` through ``clean_page`` before anyone sees it. ``monitor check`` and the
pipeline both extract through it, so what is printed, stored, diffed and turned into events is
already clean, and no output has to remember to clean. Fetch and extraction error texts (which can
quote a server) are cleaned where a check records them (``pipeline``). Two outputs also keep a guard
for databases written before this module existed: the feed cleans every string it writes (one bad
row must never make the XML invalid for every source) and ``channels.event_links`` keeps only
http(s) links.

- ``clean_text``: C0 and C1 control characters out (newline and tab stay; CR becomes a newline), and
  DEL, lone surrogates, U+FFFE and U+FFFF;
- ``safe_url``: the URL when its scheme is http or https (any case), else None;
- ``clean_link``: for links stored with a paper or news item, which may be relative to the page: a
  relative reference is kept, an absolute one only when http(s);
- ``redact_url``: a URL fit to show or store: user name and password, and the values of
  secret-looking query parameters (token, key, secret, password, sig, auth...) become ``***``.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .models import Page

# C0 controls but tab and newline, DEL, C1 controls, surrogates (lone ones only reach us this way),
# and the two non-characters XML 1.0 forbids.
_UNSAFE: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SCHEME: Final = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers drop tabs and newlines inside URLs and leading control characters and spaces, so
# "java\tscript:" is a javascript: URL: those are removed before the scheme is read.
_URL_JUNK: Final = re.compile(r"[\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200f\u2028\u2029\u202f\u205f\u3000\ufeff]")
SECRET_PARAMS: Final = re.compile(
    r"(token|key|secret|passw(or)?d|pwd|pass|sig|signature|auth|authorization|credential|session|sid|code|"
    r"access[_-]?token|api[_-]?key|client[_-]?secret)$", re.IGNORECASE)
SECRET_WORDS: Final = ("token", "secret", "passw", "apikey", "api_key", "api-key", "auth", "signature", "credential")
MASK: Final = "***"


def clean_text(text: Any) -> Any:
    """``text`` without control characters (newline and tab kept), lone surrogates, U+FFFE, U+FFFF.

    Anything that is not a string is returned as it is, so it can be applied to optional fields.
    """
    if not isinstance(text, str):
        return text
    if text.isprintable():  # the usual text: nothing to take out (all it takes out is unprintable), no pattern
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub("", text)


def _scheme(url: str) -> str | None:
    m = _SCHEME.match(url)
    return m.group(1).lower() if m else None


def safe_url(url: Any) -> str | None:
    """The URL when its scheme is http or https (in any case), cleaned; None otherwise (relative too)."""
    if not isinstance(url, str):
        return None
    url = _URL_JUNK.sub("", url)
    return url if _scheme(url) in ("http", "https") and urlsplit(url).netloc else None


def clean_link(url: Any) -> str | None:
    """A stored link: a relative reference (resolved later against the page's address) or an http(s) URL."""
    if not isinstance(url, str):
        return None
    if not (url.isascii() and url.isprintable() and " " not in url):  # (else there is nothing to take out)
        url = _URL_JUNK.sub("", url)
    if not url:
        return None
    if url[:8].lower().startswith(("http://", "https://")):  # most links: no pattern to run for the scheme
        return url
    scheme = _scheme(url)
    if scheme is None:
        return url
    return url if scheme in ("http", "https") else None


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_any(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_clean_any(v) for v in value)
    if isinstance(value, dict):
        return {clean_text(k): _clean_any(v) for k, v in value.items()}
    return value


def clean_page(page: Page) -> Page:
    """The page with every text cleaned and every link that is not http(s) (or relative) dropped, in
    place: the page and its items are the extractor's own, just made (``worker.run_job``)."""
    pr = page.profile
    pr.name, pr.position, pr.affiliation = clean_text(pr.name), clean_text(pr.position), clean_text(pr.affiliation)
    for p in page.publications:
        p.title = clean_text(p.title)
        p.authors = [clean_text(a) for a in p.authors]
        p.venue = clean_text(p.venue)
        p.links = {clean_text(k): u for k, u in ((k, clean_link(v)) for k, v in p.links.items()) if u}
        p.text = clean_text(p.text)
        p.section = clean_text(p.section)
    for n in page.news:
        n.date, n.text, n.parsed_date = clean_text(n.date), clean_text(n.text), clean_text(n.parsed_date)
        n.links = [u for u in (clean_link(x) for x in n.links) if u]
    for a in page.announcements:
        a.text = clean_text(a.text)
    page.bio = [clean_text(b) for b in page.bio]
    page.title = clean_text(page.title)
    page.explain = _clean_any(page.explain)
    return page


def _secret_param(name: str) -> bool:
    low = name.lower()
    return bool(SECRET_PARAMS.search(low)) or any(w in low for w in SECRET_WORDS)


# An http(s) address without credentials, query, fragment, whitespace or control characters: it has
# nothing to redact, and urlsplit/urlunsplit would give it back as it is.
_PLAIN_WEB: Final = re.compile(r"https?://[^@?#\s\x00-\x1f\x7f-\x9f]*\Z")


def redact_url(url: Any) -> Any:
    """The URL as it may be shown or stored: credentials and secret-looking query values as ``***``.

    ``https://me:pw@host/p?token=abc&x=1`` -> ``https://***@host/p?token=***&x=1``. A local path
    is returned unchanged; so is anything that is not a string.
    """
    if not isinstance(url, str):
        return url
    if _PLAIN_WEB.match(url):  # the usual address: nothing to hide, and splitting it would change nothing
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https"):
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_secret_param(k) for k, _ in pairs):
            query = urlencode([(k, MASK if _secret_param(k) else v) for k, v in pairs], safe="*/:")
    fragment = parts.fragment
    if fragment and "=" in fragment:
        pairs = parse_qsl(fragment, keep_blank_values=True)
        if any(_secret_param(k) for k, _ in pairs):
            fragment = urlencode([(k, MASK if _secret_param(k) else v) for k, v in pairs], safe="*/:")
    return urlunsplit((parts.scheme, netloc, parts.path, query, fragment))


def redact_in(text: Any, url: str) -> Any:
    """``text`` with every occurrence of ``url`` (and of its password) replaced by the redacted form."""
    if not isinstance(text, str) or not url:
        return text
    shown = redact_url(url)
    if shown == url:
        return text
    text = text.replace(url, shown)
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, MASK)
    return text
