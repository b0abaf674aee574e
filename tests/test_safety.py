"""Page text is untrusted input: control characters and non-http(s) links never reach any output."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET

import pytest

from monitor.safe import _UNSAFE, clean_link, clean_text, redact_url, safe_url

from .conftest import PAGES
from .test_notify import (V1, V2, cli, email_channel, endpoint, mailbox, secrets, webhook_channel,  # noqa: F401
                          write_config)

# v2 with a hostile new paper: terminal escapes, a BEL, XML-forbidden characters, and links whose scheme
# is javascript: (in capitals, which a case-sensitive check lets through) and data:.
HOSTILE = (V2.decode()
           .replace("<strong>Mixture of Depths for Tiny Models</strong>",
                    "<strong>Mixture of Depths&#x1b;[2J&#x1b;]0;pwned&#7; for Tiny\x1b[31m Models&#xFFFF;&#xFFFE;</strong>")
           .replace('<a href="https://arxiv.org/abs/2507.00003">arXiv</a>',
                    '<a href="JAVASCRIPT:alert(1)">arXiv</a>] [<a href="data:text/html;base64,PHNjcmlwdD4=">code</a>]'
                    ' [<a href=" Java&#x9;Script:alert(2)">pdf</a>')
           .replace("I gave a talk at the Example Lab seminar.",
                    "I gave a talk at the Example Lab seminar.</li><li><b>2025.04</b>: New\x1b[8m hidden\x07 talk"
                    " at <a href='jAvAsCrIpT:alert(3)'>the lab</a>.")).encode()

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


def test_clean_text_and_safe_url():
    assert clean_text("a\x1b[31mb\x07c\u0085d\ufffe\uffff\ud800e\tf\ng\r\nh") == "a[31mbcde\tf\ng\nh"
    assert clean_text(None) is None
    for bad in ("JAVASCRIPT:alert(1)", "javascript:x", " java\tscript:x", "data:text/html,x", "vbscript:x",
                "file:///etc/passwd", "relative/path.pdf", "", None, "http://"):
        assert safe_url(bad) is None, bad
    assert safe_url("HTTPS://Example.org/x") == "HTTPS://Example.org/x"
    assert clean_link("papers/a.pdf") == "papers/a.pdf" and clean_link("DATA:x") is None
    assert redact_url("https://me:pw@h.org/p?token=abc&x=1") == "https://***@h.org/p?token=***&x=1"


def test_clean_text_removes_only_unprintable_characters():
    """A printable text is returned as it is, unread by the pattern: each character the pattern removes is
    unprintable (every code point checked)."""
    removed = [cp for cp in range(sys.maxunicode + 1) if _UNSAFE.match(chr(cp))]
    assert removed and not any(chr(cp).isprintable() for cp in removed)


def test_hostile_page_reaches_no_output_unsafe(tmp_path, page_server, mailbox, endpoint, secrets):
    mailbox.start()
    page_server.set("/dana/", V1)
    config = write_config(tmp_path, [{"name": "Dana Example", "url": page_server.url("/dana/")}],
                          {"inbox": email_channel(mailbox), "hook": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", HOSTILE)
    run = cli(config, db, "run", "--once").output
    assert "new paper 'Mixture of Depths[2J]0;pwned for Tiny[31m Models'" in run
    assert not CONTROL.search(run)

    # the terminal: diff and check print no escape sequences
    diff = cli(config, db, "diff", "--all").output
    assert "Mixture of Depths" in diff and "hidden talk" in diff and not CONTROL.search(diff)
    check = cli(config, db, "check", page_server.url("/dana/")).output
    assert "Mixture of Depths" in check and not CONTROL.search(check)
    check_json = cli(config, db, "check", page_server.url("/dana/"), "--json").output
    assert not re.search(r"(?i)javascript|data:", check_json)

    # the feed stays valid XML, and carries no script link
    feed = cli(config, db, "feed").output
    root = ET.fromstring(feed)
    assert len(root.findall("{http://www.w3.org/2005/Atom}entry")) >= 2
    assert not re.search(r"(?i)javascript|data:text", feed)

    # the email: text and HTML, no control characters, no link that is not http(s)
    [msg] = mailbox.messages
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # the mail's own line ends
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    for part in (text, html, str(msg["Subject"])):
        assert not CONTROL.search(part) and not re.search(r"(?i)javascript|data:text", part)
    assert "Mixture of Depths" in text and "href=" in html

    # the webhook payload
    [payload] = endpoint.accepted()
    body = json.dumps(payload, ensure_ascii=False)
    assert "Mixture of Depths" in body
    assert not CONTROL.search(body) and not re.search(r"(?i)javascript|data:text", body)
    links = [e.get("links") for e in payload["events"] if e.get("links")]
    assert all(not isinstance(v, str) or v.startswith("http") or "/" in v for lk in links
               for v in (lk.values() if isinstance(lk, dict) else lk))


@pytest.mark.parametrize("url, shown", [
    ("https://dana.example.org/~dana/pubs.html", "https://dana.example.org/~dana/pubs.html"),  # nothing to hide
    ("http://h.org//x", "http://h.org//x"),
    ("HTTPS://h.org/p", "https://h.org/p"),  # as urlsplit gives it back, on the slow path as before
    ("https://me@h.org/p", "https://***@h.org/p"),
    ("https://h.org/p?api_key=1", "https://h.org/p?api_key=***"),
    ("https://h.org/p#access_token=1", "https://h.org/p#access_token=***"),
    ("https://h.org/p\t?token=1", "https://h.org/p?token=***"),  # a tab does not hide a secret
])
def test_plain_addresses_come_back_as_they_are_and_secrets_never_do(url, shown):
    assert redact_url(url) == shown
