"""A small, read-only document tree built once from selectolax (lexbor), with text helpers.

Extraction walks the tree many times (sections, records, lines, links); a plain Python tree with
parent links and document-order indices makes those walks simple and cheap. What a reader can never
see (comments, scripts, styles, templates, the head) is dropped here, so no later rule can pick it up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from selectolax.lexbor import LexborHTMLParser

INVISIBLE = frozenset({
    "script", "style", "template", "noscript", "head", "svg", "math", "iframe", "object", "embed",
    "canvas", "video", "audio", "select", "option", "textarea", "input", "button", "link", "meta",
})
BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "heading", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul", "center", "caption",
})
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6, "heading": 2}
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2002-\u200a\u202f\u205f\u3000]+")


def clean(text: str) -> str:
    """Collapse white space and drop zero-width characters (they hide inside titles)."""
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


@dataclass(eq=False)
class El:
    tag: str
    attrs: dict[str, str]
    parent: El | None = None
    children: list[El | str] = field(default_factory=list)
    pre: int = 0  # document-order index of this element
    post: int = 0  # largest index among its descendants
    mem_id: int = 0  # selectolax identity, to map CSS selections back
    _raw: str | None = field(default=None, repr=False)  # the tree never changes: text is computed once
    _lines: list[str] | None = field(default=None, repr=False)
    memo: dict = field(default_factory=dict, repr=False)  # per-extraction results about this element

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    @property
    def is_block(self) -> bool:
        return self.tag in BLOCK

    def elements(self) -> Iterator[El]:
        """All descendant elements in document order (self excluded)."""
        for child in self.children:
            if isinstance(child, El):
                yield child
                yield from child.elements()

    def element_children(self) -> list[El]:
        return [c for c in self.children if isinstance(c, El)]

    def find_all(self, *tags: str) -> list[El]:
        return [e for e in self.elements() if e.tag in tags]

    def ancestors(self) -> Iterator[El]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    def contains(self, other: El) -> bool:
        return self.pre <= other.pre and other.post <= self.post

    def text(self) -> str:
        """All text on one line."""
        return " ".join(self.lines())

    def raw_text(self) -> str:
        if self._raw is None:
            parts: list[str] = []
            _collect(self, parts)
            self._raw = "".join(parts)
        return self._raw

    def lines(self) -> list[str]:
        """The text as a reader sees it: one entry per visual line (block boundaries and <br>)."""
        if self._lines is None:
            self._lines = [ln for ln in (clean(x) for x in self.raw_text().split("\n")) if ln]
        return self._lines

    def links(self) -> list[tuple[str, str]]:
        """(anchor text, href) of every link, in order."""
        out = []
        for a in ([self] if self.tag == "a" else []) + self.find_all("a"):
            href = a.attrs.get("href", "").strip()
            if href and not href.startswith(("javascript:", "#")):
                out.append((a.text(), href))
        return out


def _collect(el: El, parts: list[str]) -> None:
    if el._raw is not None:
        parts.append(el._raw)
        return
    block = el.is_block
    if block:
        parts.append("\n")
    for child in el.children:
        if isinstance(child, str):
            parts.append(child if el.tag == "pre" else child.replace("\n", " "))
        elif child.tag == "br":
            parts.append("\n")
        elif child.tag != "img":  # a figure's or a badge's alt text is not content
            _collect(child, parts)
    if block:
        parts.append("\n")


def parse_html(html: str) -> tuple[El, LexborHTMLParser]:
    """Build the tree; returns the root element (body, or html when there is no body) and the parser."""
    tree = LexborHTMLParser(html)
    root_node = tree.body or tree.root
    counter = [0]

    def build(node, parent: El | None) -> El:
        attrs = {k: (v if v is not None else "") for k, v in (node.attributes or {}).items()}
        el = El(tag=node.tag, attrs=attrs, parent=parent, pre=counter[0], mem_id=node.mem_id)
        counter[0] += 1
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                text = child.text_content
                if text:
                    el.children.append(text)
            elif tag.startswith("-") or tag in INVISIBLE:
                continue
            else:
                el.children.append(build(child, el))
        el.post = counter[0] - 1
        return el

    root = build(root_node, None) if root_node is not None else El(tag="body", attrs={})
    return root, tree


def title_of(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return clean(node.text()) if node is not None else ""
