"""Markdown rendering: the renderer in use (markdown-it.rs where it has a wheel) writes what markdown-it-py
writes, so a Markdown page reads the same on every Python."""

from __future__ import annotations

import pytest

from monitor.extract import _FRONT_MATTER, detect_format, extract, markdown_to_html, python_markdown
from monitor.extract import _render_markdown as render

from .conftest import SHARED

reference = python_markdown()

# (Markdown, what its HTML must hold): the parts of GitHub's Markdown that homepages lean on
CASES = [
    ("# Publications\n\n- **A Title.** A. Author. *NeurIPS 2024*.\n",
     ["<h1>Publications</h1>", "<li><strong>A Title.</strong> A. Author. <em>NeurIPS 2024</em>.</li>"]),
    ("| Year | Paper |\n|---|---|\n| 2024 | [Paper](https://x.org/p.pdf) |\n",
     ["<table>", "<th>Year</th>", '<td><a href="https://x.org/p.pdf">Paper</a></td>']),
    ("~~withdrawn~~ talk\n", ["<s>withdrawn</s> talk"]),
    ('<p align="center"><img src="me.png"></p>\n\nHi, <b>I am</b> here.\n',
     ['<p align="center"><img src="me.png"></p>', "<b>I am</b>"]),
    ("1. first\n2. second\n   - nested\n", ["<ol>", "<li>first</li>", "<ul>\n<li>nested</li>"]),
    ("Caf&eacute; &amp; [link][r]\n\n[r]: https://r.org \"T\"\n",
     ['Café &amp; <a href="https://r.org" title="T">link</a>']),
    ("```\n<not a tag>\n```\n", ["<pre><code>&lt;not a tag&gt;\n</code></pre>"]),
]


@pytest.mark.parametrize("markdown, holds", CASES, ids=[str(i) for i in range(len(CASES))])
def test_markdown_renders(markdown, holds):
    html = render(markdown)
    for part in holds:
        assert part in html, (part, html)
    assert html == reference(markdown)


def test_front_matter_is_dropped():
    html = markdown_to_html("---\nlayout: page\ntitle: Home\n---\n# Jane Doe\n")
    assert html == "<h1>Jane Doe</h1>\n"


def _markdown_pages() -> list[tuple[str, str]]:
    pages = [(p.name, p.read_text()) for p in sorted((SHARED / "corpus" / "pages").glob("*.md"))]
    pages += [(p.name, p.read_text()) for p in sorted((SHARED / "seeds").glob("*.txt"))
              if detect_format(p.read_text()) == "markdown"]
    return pages


def test_markup_indented_after_a_blank_line_is_markup_not_code():
    """kramdown reads an HTML block to its closing tag, so a homepage's hand-indented paper boxes render as
    boxes on its Jekyll site; CommonMark showed the indented lines after a blank line as code."""
    page = ('# Selected Publications\n<div class="publications">\n    <div class="pub">\n\n'
            '        <div class="pub-content">\n            <b>Example, D.</b>, A. Roe, "Forces for Free: Contact '
            'Estimation", Science Robotics, 2025.\n        </div>\n    </div>\n</div>\n\n'
            '    plain code stays code\n')
    html = markdown_to_html(page)
    assert "&lt;div" not in html and '<div class="pub-content">' in html
    assert "<pre><code>plain code stays code" in html  # (an indented line that is no markup is still code)
    papers = extract(page, format="markdown").publications
    assert [(p.title, p.venue, p.year) for p in papers] == [
        ("Forces for Free: Contact Estimation", "Science Robotics, 2025", 2025)]


def test_template_code_a_jekyll_page_never_shows_is_dropped():
    """A Jekyll source's Liquid tags and output, and kramdown's attribute lines, are consumed by the site's
    build: read as text they became records ("{% include paper.html title=... %}" read as a paper)."""
    page = ("# Publications\n\n{% include publications.html\n  title=\"Spiking Transformers\"\n  conference=\"ICCV 2025\"\n%}"
            "\n\n**Sparse Graphs at Scale**  \nAnn Lee, Tom Wu\n{: .paper__cite}\n\nBy {{ site.author.name }}, "
            "{: not an attribute line}\n")
    html = markdown_to_html(page)
    assert "include" not in html and "ICCV" not in html and "site.author" not in html and "paper__cite" not in html
    assert "<strong>Sparse Graphs at Scale</strong>" in html and "Ann Lee, Tom Wu" in html
    assert "{: not an attribute line}" in html  # (only a line of its own is a block's attribute list)


def test_every_markdown_page_renders_as_markdown_it_py_renders_it():
    pages = _markdown_pages()
    assert len(pages) >= 8, "the corpus's and the seeds' Markdown pages are missing"
    differ = [name for name, text in pages
              if render(_FRONT_MATTER.sub("", text, count=1)) != reference(_FRONT_MATTER.sub("", text, count=1))]
    assert differ == []
