"""Bytes to text, the way browsers do it: a byte-order mark, the declared charset (header, ``<meta>``,
XML declaration) widened to the superset browsers use, strict UTF-8, then detection.

A module of its own so an extraction worker can decode the bytes it is sent without loading the
HTTP stack (``fetch``), and the parent never decodes a body it will not extract.
"""

from __future__ import annotations

import codecs
import re
from typing import Final

SNIFF_BYTES: Final = 4096  # where <meta charset> must appear (HTML's prescan uses 1024; pages in the wild are sloppier)

# Labels browsers know but Python's codec registry does not.
_LABEL_ALIASES: Final = {
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "gb_2312-80": "gbk",
    "x-gbk": "gbk",
}
# Browsers decode these declared charsets with a superset (WHATWG Encoding Standard): pages labelled
# gb2312 routinely contain GBK-only characters, "iso-8859-1" pages contain windows-1252 quotes, etc.
_SUPERSETS: Final = {
    "ascii": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gbk",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
# Text codecs that a web page must not be allowed to select.
_REFUSED_CODECS: Final = frozenset(
    {"undefined", "idna", "punycode", "unicode-escape", "raw-unicode-escape", "utf-7", "mbcs", "oem"}
)
BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET: Final = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING: Final = re.compile(rb"""^\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)""")


def decode_body(body: bytes, content_type: str | None = None) -> str:
    """A stored body as text, decoded as it was when fetched (the charset parameter is not stored, so the
    in-document declaration, then detection, stand in for it)."""
    return decode_bytes(body, None, content_type)[0]


def decode_bytes(body: bytes, charset: str | None, content_type: str | None) -> tuple[str, str]:
    """Decode a page to text; returns (text, codec name).

    Order: a byte-order mark (it cannot be wrong, so it beats the header, as in browsers), the
    Content-Type charset, an in-document declaration (HTML ``<meta>``, XML declaration), strict
    UTF-8, then charset-normalizer; last resort UTF-8 with replacement characters.
    """
    text, codec, _ = decode_page(body, charset, content_type)
    return text, codec


def decode_page(body: bytes, charset: str | None, content_type: str | None) -> tuple[str, str, bool]:
    """``decode_bytes``, and whether the text is ``body`` itself read as UTF-8 (no mark taken off, nothing
    replaced), so that a reader that wants UTF-8 can be given the bytes as they came (``dom.offer_utf8``)."""
    for bom, bom_encoding in BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding, False

    encoding = _codec(charset)
    if encoding is None and _sniffable(content_type):
        head = body[:SNIFF_BYTES]
        if meta := _META_CHARSET.search(head):
            encoding = _codec(meta.group(1).decode("ascii"))
            if encoding is not None and encoding.startswith("utf-16"):
                encoding = "utf-8"  # HTML: a page that can declare itself in ASCII bytes is not UTF-16
        elif declaration := _XML_ENCODING.search(head):
            encoding = _codec(declaration.group(1).decode("ascii"))
    if encoding == "utf-8":
        try:  # (read strictly first, which costs the same, to know whether anything was replaced)
            return body.decode("utf-8"), encoding, True  # (no byte-order mark: the loop above took any)
        except UnicodeDecodeError:
            return body.decode("utf-8", errors="replace"), encoding, False
    if encoding is not None:
        return _strip_bom(body.decode(encoding, errors="replace")), encoding, False

    try:
        return body.decode("utf-8"), "utf-8", True
    except UnicodeDecodeError:
        pass
    detected = _detect(body)
    if detected is not None:
        return _strip_bom(body.decode(detected, errors="replace")), detected, False
    return body.decode("utf-8", errors="replace"), "utf-8", False


def _detect(body: bytes) -> str | None:
    """charset-normalizer's guess, preferring windows-1252 among equally good candidates: for
    short Western text it often ranks cp1250 or cp1257 first although they decode it differently,
    and windows-1252 is what undeclared legacy pages are written in."""
    import charset_normalizer  # only for the rare page that is neither declared nor UTF-8

    matches = charset_normalizer.from_bytes(body)
    best = matches.best()
    if best is None:
        return None
    for match in matches:
        tied = match.percent_chaos == best.percent_chaos and match.percent_coherence == best.percent_coherence
        if tied and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return _codec(best.encoding) or best.encoding


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, widened to the superset browsers use; None when unknown
    or not something a page may pick (base64, rot13, utf-7...)."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        info = codecs.lookup(_LABEL_ALIASES.get(label, label))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED_CODECS:
        return None
    return _SUPERSETS.get(info.name, info.name)


def _strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def _sniffable(content_type: str | None) -> bool:
    return content_type is None or "html" in content_type or "xml" in content_type
