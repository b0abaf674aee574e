"""Decoding a page (``decode.decode_page``): the text, the codec, and whether the text is the body itself
read as UTF-8, in which case lexbor is given the bytes as they came (``dom.offer_utf8``)."""

from __future__ import annotations

import codecs

import pytest

from monitor.decode import decode_bytes, decode_page
from monitor.extract.dom import forget_document, lexbor_tree, offer_utf8, parse_html

PAGE = "<html><head><title>Zoë Müller</title></head><body><h2>Publications</h2><p>Über Graphen — 2024</p></body></html>"


@pytest.mark.parametrize("body, charset, content_type, text, codec, exact", [
    (PAGE.encode(), None, "text/html", PAGE, "utf-8", True),  # strict UTF-8
    (PAGE.encode(), "utf-8", "text/html", PAGE, "utf-8", True),  # the header says so
    (PAGE.encode(), "UTF8", "text/html", PAGE, "utf-8", True),  # any spelling of it
    (b'<meta charset="utf-8">caf\xc3\xa9', None, "text/html", '<meta charset="utf-8">café', "utf-8", True),
    (b"caf\xe9 \xc3\xa9", "utf-8", "text/html", "caf\ufffd é", "utf-8", False),  # a byte replaced
    (codecs.BOM_UTF8 + b"abc", None, "text/html", "abc", "utf-8", False),  # a mark taken off
    (PAGE.encode("latin-1", "replace"), "iso-8859-1", "text/html", PAGE.encode("latin-1", "replace").decode("latin-1"),
     "cp1252", False),  # another codec (ISO-8859-1 is read as its superset)
    (b"plain ascii", None, "text/plain", "plain ascii", "utf-8", True),
])
def test_decode_page_says_when_the_text_is_the_body_read_as_utf8(body, charset, content_type, text, codec, exact):
    assert decode_page(body, charset, content_type) == (text, codec, exact)
    assert decode_bytes(body, charset, content_type) == (text, codec)
    if exact:
        assert text.encode("utf-8") == body


def test_lexbor_reads_the_offered_bytes_of_a_text_and_keeps_its_parse_for_that_same_text():
    text = PAGE
    try:
        offer_utf8(text, text.encode("utf-8"))
        from_bytes = lexbor_tree(text)
        assert lexbor_tree(text) is from_bytes  # the same text: the same parse
        other = "".join(list(text))  # equal, not the same object: parsed again, from the text
        assert other is not text and lexbor_tree(other) is not from_bytes
        assert from_bytes.html == lexbor_tree(other).html
        assert from_bytes.css_first("title").text() == "Zoë Müller"
    finally:
        forget_document()


def test_the_limits_are_checked_before_lexbor_reads_offered_bytes():
    from monitor.extract import dom

    deep = "<div>" * 5000 + "x" + "</div>" * 5000
    try:
        forget_document()
        offer_utf8(deep, deep.encode())
        with dom.limits(dom.Limits(max_depth=100)), pytest.raises(dom.PageTooComplex):
            parse_html(deep)
        assert dom._LAST.parsed is None  # refused from the text alone: lexbor never read it
    finally:
        forget_document()
