"""A small, read-only document tree built once from selectolax (lexbor), with text helpers.

Extraction walks the tree many times (sections, records, lines, links); a plain Python tree with
parent links and document-order indices makes those walks simple and cheap. What a reader can never
see (comments, scripts, styles, templates, the head) is dropped here, so no later rule can pick it up.

Every walk here is iterative, so any depth is safe in this module. The rules that read the tree
afterwards (html.py) recurse by depth, and lexbor itself slows down sharply with depth (200,000
nested elements take minutes), so a page deeper than ``Limits.max_depth`` or larger than
``Limits.max_elements`` is refused with ``PageTooComplex`` before those rules run: first by a
linear scan of the markup (before lexbor sees it), then by the tree as built.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable, Final, Iterator, Mapping

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import ExtractError

INVISIBLE: Final = frozenset({
    "script", "style", "template", "noscript", "head", "svg", "math", "iframe", "object", "embed",
    "canvas", "video", "audio", "select", "option", "textarea", "input", "button", "link", "meta",
    # what browsers never show wherever it stands: a second document's <title> pasted into the body
    "title", "base", "noembed", "noframes", "datalist", "area", "param", "rp",
})
BLOCK: Final = frozenset({
    "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "heading", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul", "center", "caption",
})
HEADINGS: Final = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6, "heading": 2}
_ZERO_WIDTH_CHARS: Final = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # dropped by ``clean`` (they hide inside titles)
_OTHER_SPACES: Final = "\t\r\f\v\u00a0\u2002-\u200a\u202f\u205f\u3000"  # white space but " " (a character class's body)
_ZERO_WIDTH: Final = re.compile(f"[{_ZERO_WIDTH_CHARS}]")
_SPACES: Final = re.compile(f"[ {_OTHER_SPACES}][ {_OTHER_SPACES}]*")  # ("[...]+", opening with the class: scanned for)
# What ``clean`` would change inside a text: a zero-width character, or a run of ``_SPACES`` that is not
# one plain space: any space but " " (this class), or two " " in a row (looked for apart: the engine
# scans ahead for a class alone, and tried every position of the text for the two as branches)
_UNCLEAN: Final = re.compile(f"[{_ZERO_WIDTH_CHARS}{_OTHER_SPACES}]")
# What ``str.split()`` takes for white space and ``_SPACES`` does not (and the zero-width characters): a text
# without any collapses the same by splitting and joining, which is several times cheaper than the two
# substitutions
_NOT_SPLIT_ALIKE: Final = re.compile(f"[{_ZERO_WIDTH_CHARS}\n\x1c-\x1f\x85\u1680\u2000\u2001\u2028\u2029]")


@dataclass(frozen=True)
class Limits:
    """How much tree one page may build: beyond this the page is refused, not read slowly or not at all."""

    max_depth: int = 400  # html.py recurses once per level; Python's stack allows about 1,000 frames
    max_elements: int = 200_000  # about 100 MB of tree; real homepages have a few thousand

    def __reduce__(self) -> tuple[type[Limits], tuple[int, int]]:
        """Pickled as its two numbers, for a job crossing into a worker: the compiled build (``setup.py``)
        cannot unpickle a frozen dataclass the default way, which sets its fields one by one."""
        return Limits, (self.max_depth, self.max_elements)


class PageTooComplex(ExtractError):
    """The page is deeper or larger than the extraction budget allows."""


_limits: ContextVar[Limits] = ContextVar("dom_limits", default=Limits())


@contextmanager
def limits(value: Limits) -> Iterator[None]:
    """Apply ``value`` to every ``parse_html`` in this context (the heuristics call it themselves)."""
    token = _limits.set(value)
    try:
        yield
    finally:
        _limits.reset(token)


# The markup scan: tags outside comments, scripts and styles. Void and self-closed tags never make
# the tree deeper; an end tag closes everything opened after its element (as the parser does); an
# element the parser closes by itself (p, li, td, a...) closes its open predecessor of the same name.
_SKIP: Final = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style|textarea|title)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_TAG: Final = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^<>]*?(/?)>")
_VOID: Final = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                          "source", "track", "wbr", "image", "keygen"})
_SELF_CLOSING: Final = frozenset({"p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead", "tbody",
                                  "tfoot", "colgroup", "caption", "rb", "rt", "rp", "a", "nobr", "html", "head",
                                  "body"})
MARKUP_DEPTH_FACTOR: Final = 4  # the scan is an estimate: it refuses only well beyond the tree's own limit
SCAN_ABOVE_TAGS: Final = 5000  # fewer tags than this parse fast at any nesting (5,000 nested divs: ~30 ms)
EAGER_TEXT: Final = 1000  # characters: elements this small get their text while the tree is built


def nesting_estimate(html: str, stop_at: int) -> int:
    """The deepest nesting the markup asks for, in linear time (counting stops past ``stop_at``).

    Close enough to refuse a pathological page before lexbor spends minutes on it (its time grows
    much faster than the depth); the tree itself is measured again after parsing.
    """
    stack: list[str] = []
    open_counts: dict[str, int] = {}
    deepest = 0
    for m in _TAG.finditer(_SKIP.sub(" ", html)):
        closing, name, self_closed = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or (self_closed and not closing):
            continue
        if closing or name in _SELF_CLOSING:
            if open_counts.get(name):
                _pop_to(name, stack, open_counts)
            if closing:
                continue
        stack.append(name)
        open_counts[name] = open_counts.get(name, 0) + 1
        if len(stack) > deepest:
            deepest = len(stack)
            if deepest > stop_at:
                break
    return deepest


def _pop_to(name: str, stack: list[str], open_counts: dict[str, int]) -> None:
    """Close the open elements down to the innermost ``name`` (``nesting_estimate``)."""
    while stack:
        top = stack.pop()
        open_counts[top] -= 1
        if top == name:
            return


def clean(text: str) -> str:
    """Collapse white space and drop zero-width characters (they hide inside titles)."""
    if text.isprintable():  # the common case: only plain spaces to collapse (every other space, and every
        # zero-width character, is unprintable: ``tests/test_cues.py`` checks each character)
        if "  " not in text and text[:1] != " " and text[-1:] != " ":
            return text  # clean already (most calls: texts built from cleaned lines)
        inner = text.strip()  # (most of the rest: a line of markup's text, indented, with no run inside)
        return inner if "  " not in inner else " ".join(inner.split())
    if "  " not in text and _UNCLEAN.search(text) is None:  # most other texts: two fast scans
        return text.strip()
    if _NOT_SPLIT_ALIKE.search(text) is None:  # tabs, non-breaking spaces: the same as below
        return " ".join(text.split())
    return _SPACES.sub(" ", _ZERO_WIDTH.sub("", text)).strip()


class El:
    """One element: tag, attributes, children (elements and text), and what is computed about it once.

    A plain slotted class: pages have thousands of elements, and building them is a large share of
    reading a page."""

    __slots__ = ("tag", "attrs", "parent", "children", "pre", "post", "_raw", "_lines", "_text", "memo",
                 "doc", "_size", "_visible", "_classes", "_element_children")

    def __init__(self, tag: str, attrs: dict[str, str], parent: El | None = None,
                 children: list[El | str] | None = None, pre: int = 0,
                 doc: list[El] | None = None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[El | str] = [] if children is None else children
        self.pre = pre  # document-order index of this element
        self.post = 0  # largest index among its descendants
        self._raw: str | None = None  # the tree never changes: text is computed once
        self._lines: list[str] | None = None
        self._text: str | None = None
        self.memo: dict = {}  # per-extraction results about this element
        self.doc = doc  # the parsed page's elements in document order
        self._size = -1  # characters of text inside, counted once bottom-up
        self._visible: bool | None = None  # holds any non-blank text (also bottom-up)
        self._classes: list[str] | None = None
        self._element_children: list[El] | None = None

    def __repr__(self) -> str:
        return f"El({self.tag!r}, pre={self.pre}, post={self.post})"

    @property
    def has_text(self) -> bool:
        """Whether any non-blank text is inside (what ``raw_text().strip()`` would say, without building it)."""
        if self._visible is None:
            self._visible = bool(self.raw_text().strip())
        return self._visible

    @property
    def size(self) -> int:
        """About how much text the element holds (raw characters), without building that text."""
        if self._size < 0:
            self._size = len(self.raw_text())
        return self._size

    @property
    def classes(self) -> list[str]:
        if self._classes is None:
            self._classes = self.attrs.get("class", "").split()
        return self._classes

    @property
    def is_block(self) -> bool:
        return self.tag in BLOCK

    def elements(self) -> Iterator[El]:
        """All descendant elements in document order (self excluded): a slice of the page's element list
        for parsed elements, a walk (iterative, so any depth is safe) for records made of parts."""
        if self.doc is not None:
            return iter(self.doc[self.pre + 1:self.post + 1])
        return self._walk()

    def _walk(self) -> Iterator[El]:
        stack: list[Iterator[El | str]] = [iter(self.children)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
            elif isinstance(child, El):
                yield child
                stack.append(iter(child.children))

    def element_children(self) -> list[El]:
        """The children that are elements (computed once: the tree never changes; callers must not
        change the list)."""
        if self._element_children is None:
            self._element_children = [c for c in self.children if isinstance(c, El)]
        return self._element_children

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
        if self._text is None:
            self._text = " ".join(self.lines())
        return self._text

    def raw_text(self) -> str:
        if self._raw is None:
            parts: list[str] = []
            _collect(self, parts)
            self._raw = "".join(parts)
        return self._raw

    def lines(self) -> list[str]:
        """The text as a reader sees it: one entry per visual line (block boundaries and <br>)."""
        if self._lines is None:
            # nested elements share most of their lines: each raw line is cleaned once per page
            doc = self.doc  # (what ``_line_cache`` does, without two calls: lines are asked of most elements)
            cleaned = doc[0].memo.setdefault("clean-lines", {}) if doc is not None else self._line_cache()
            lines = []
            for raw in self.raw_text().split("\n"):
                line = cleaned.get(raw)
                if line is None:
                    line = cleaned[raw] = clean(raw)
                if line:
                    lines.append(line)
            self._lines = lines
        return self._lines

    def page_root(self) -> El | None:
        """The root of this element's page, where what is worked out once per page is kept (``memo``); a
        record made of parts uses its parts' page; None for an element of no page."""
        doc = self.doc
        if doc is None:
            doc = next((c.doc for c in self.children if isinstance(c, El) and c.doc is not None), None)
            if doc is None:
                return None
        return doc[0]

    def _line_cache(self) -> dict[str, str]:
        """The page's cleaned lines by raw line."""
        root = self.page_root()
        return {} if root is None else root.memo.setdefault("clean-lines", {})

    def links(self) -> list[tuple[str, str]]:
        """(anchor text, href) of every link, in order."""
        out = []
        for a in ([self] if self.tag == "a" else []) + self.inside("anchors", _is_link):
            href = a.attrs.get("href", "").strip()
            if href and not href.startswith(("javascript:", "#")):
                out.append((a.text(), href))
        return out

    def inside(self, name: str, select: Callable[[El], bool]) -> list[El]:
        """The elements inside this one that ``select`` picks, in document order: a slice of the page's list
        of them (made once per page, kept as ``name``), not a walk of this element, which may be a whole
        section asked about again and again; a record made of parts is walked."""
        if self.doc is None:
            return [e for e in self.elements() if select(e)]
        memo = self.doc[0].memo
        kept = memo.get(name)
        if kept is None:
            found = [e for e in self.doc if select(e)]
            kept = memo[name] = (found, [e.pre for e in found])
        found, where = kept
        return found[count_upto(where, self.pre):count_upto(where, self.post)]


def count_upto(positions: list[int], limit: int) -> int:
    """How many of the ascending ``positions`` are at most ``limit`` (``bisect_right``, as a loop the
    compiled build runs natively: the page's elements of a kind are sliced by it for each record, and
    ``bisect`` with a key function cost ten times as much)."""
    lo, hi = 0, len(positions)
    while lo < hi:
        mid = (lo + hi) // 2
        if positions[mid] <= limit:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _is_link(el: El) -> bool:
    return el.tag == "a"


def _collect(el: El, parts: list[str]) -> None:
    """The raw text of ``el`` into ``parts``: block boundaries and <br> as newlines, alt texts left out.

    Iterative (an explicit stack of pending pieces), and it reuses the text already computed for a subtree.
    """
    todo: list[El | str] = [el]
    while todo:
        node = todo.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        if node._raw is not None:
            parts.append(node._raw)
            continue
        pending: list[El | str] = []
        if node.is_block:
            pending.append("\n")
        for child in node.children:
            if isinstance(child, str):
                pending.append(child if node.tag == "pre" else child.replace("\n", " "))
            elif child.tag == "br":
                pending.append("\n")
            elif child.tag != "img":  # a figure's or a badge's alt text is not content
                pending.append(child)
        if node.is_block:
            pending.append("\n")
        todo.extend(reversed(pending))


class _LastDocument:
    """The document lexbor parsed last, and the bytes offered for the next one (see ``lexbor_tree``). Each is
    one tuple, replaced whole: a reader in another thread sees an old pair or a new one, never half of each."""

    def __init__(self) -> None:
        self.parsed: tuple[str, LexborHTMLParser] | None = None  # the text, and lexbor's parse of it
        self.offered: tuple[str, bytes] | None = None  # a text, and its UTF-8 bytes


_LAST: Final = _LastDocument()


def lexbor_tree(html: str) -> LexborHTMLParser:
    """The document as lexbor parses it, kept for the next reader of the same page: a homepage is read for
    its items, then for its links (``site.discover``), and both read the same tree, which neither changes.
    The same page is the same ``str`` object (told apart by identity: an equality test or a hash would read
    the whole page). Lexbor reads UTF-8: given the page's own bytes (``offer_utf8``), it parses them as they
    are, where from a ``str`` it has the text encoded first. The extraction worker lets both go when its job
    ends (``forget_document``, from ``worker_process.run_job``)."""
    parsed = _LAST.parsed
    if parsed is not None and parsed[0] is html:
        return parsed[1]
    offered = _LAST.offered
    tree = LexborHTMLParser(offered[1] if offered is not None and offered[0] is html else html)
    _LAST.parsed = (html, tree)
    return tree


def offer_utf8(html: str, utf8: bytes) -> None:
    """``utf8`` is ``html`` encoded as UTF-8, byte for byte: lexbor is to read those bytes if it reads ``html``
    (nothing is parsed here: ``parse_html`` checks a page's limits before lexbor reads it)."""
    _LAST.offered = (html, utf8)


def forget_document() -> None:
    """Let the last document's parse, and any bytes offered, go."""
    _LAST.parsed = _LAST.offered = None


def parse_html(html: str) -> tuple[El, LexborHTMLParser]:
    """Build the tree; returns the root element (body, or html when there is no body) and the parser.

    Raises ``PageTooComplex`` when the page exceeds the current ``limits``.
    """
    budget = _limits.get()
    deepest = budget.max_depth * MARKUP_DEPTH_FACTOR
    if html.count("<") > max(SCAN_ABOVE_TAGS, deepest) and nesting_estimate(html, deepest) > deepest:
        raise PageTooComplex(f"page nested deeper than {budget.max_depth} levels")
    tree = lexbor_tree(html)
    root_node = tree.body or tree.root
    if root_node is None:
        return El(tag="body", attrs={}), tree
    max_depth, max_elements = budget.max_depth, budget.max_elements
    root = El(root_node.tag or "body", _attributes(root_node), None, None, 0)
    doc = root.doc = [root]
    # Depth-first, in document order: the hot loop of reading a page. ``node`` steps through the current
    # element's lexbor children by their sibling links (``first_child``/``next``: no generator per element
    # and no keyword call, which ``iter`` costs); a child element is entered at once (the parent's state,
    # with the sibling to resume at, waits on ``stack``) and the parent resumed when that child is
    # complete. Meanwhile the current element is measured: its text's size, whether any of it is visible,
    # and its text's parts (small elements are nearly all read, so their text is built here, bottom-up,
    # from the children's).
    stack: list[tuple[El, LexborNode | None, int, bool, list[str | None], bool]] = []
    parts: list[str | None] = []  # None: the text of a child too large to build here (see below)
    parent, node, kids = root, root_node.first_child, root.children
    size, visible, keep_newlines = 0, False, root.tag == "pre"
    depth = 1  # of the children being read
    while True:
        while node is not None:
            text = node.text_content  # None unless a text node: asked first, as most nodes are text
            if text is None:
                tag = node.tag
                if tag is not None and tag not in INVISIBLE and tag[:1] != "-":  # None: a processing instruction
                    if depth > max_depth:
                        raise PageTooComplex(f"page nested deeper than {max_depth} levels")
                    pre = len(doc)
                    if pre >= max_elements:
                        raise PageTooComplex(f"page has more than {max_elements} elements")
                    # (what ``_attributes`` does, without a call per element)
                    attrs: dict[str, str] = node.attributes  # type: ignore[assignment]  # valued just below
                    if attrs and None in attrs.values():
                        attrs = _valued(attrs)
                    el = El(tag, attrs, parent, None, pre, doc)
                    doc.append(el)
                    kids.append(el)
                    stack.append((parent, node.next, size, visible, parts, keep_newlines))
                    parent, node, kids = el, node.first_child, el.children
                    size, visible, parts, keep_newlines = 0, False, [], tag == "pre"
                    depth += 1
                    continue
            elif text:
                kids.append(text)
                size += len(text)
                if not visible and not text.isspace():
                    visible = True
                parts.append(text if keep_newlines else text.replace("\n", " "))
            node = node.next
        # the children of ``parent`` are all read
        done = parent
        done.post = len(doc) - 1
        done._size = size
        done._visible = visible
        if size <= EAGER_TEXT:
            raw = "".join(parts)  # type: ignore[arg-type]  # a child is never larger than its parent: no None
            done._raw = f"\n{raw}\n" if done.tag in BLOCK else raw
        if not stack:
            return root, tree
        parent, node, parent_size, parent_visible, parts, keep_newlines = stack.pop()
        kids = parent.children
        depth -= 1
        size += parent_size
        if done.tag == "br":
            parts.append("\n")
        elif done.tag != "img":  # alt texts are not content
            parts.append(done._raw)  # None for a large child, and then its parent is large too
        visible = parent_visible or (visible and done.tag != "img")


def element_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    """The lexbor nodes of ``parse_html``'s elements below its root, in the same order (``pre`` 1, 2, ...),
    found by the same walk: what maps a CSS selection back to the elements (per-source selectors), so the
    tree built for every page keeps no lexbor identity it would ask each node for."""
    root_node = tree.body or tree.root
    out: list[LexborNode] = []
    if root_node is None:
        return out
    stack: list[LexborNode | None] = []
    node = root_node.first_child
    while True:
        while node is not None:
            if node.text_content is None:
                tag = node.tag
                if tag is not None and tag not in INVISIBLE and tag[:1] != "-":
                    out.append(node)
                    stack.append(node.next)
                    node = node.first_child
                    continue
            node = node.next
        if not stack:
            return out
        node = stack.pop()


def release(root: El) -> None:
    """Break the reference cycles of a tree that is no longer needed (parent links, the page's element
    list, memos), so that it is freed as soon as its last reference goes.

    Left to Python's cycle collector, every page's tree lives on until a full collection, and each
    collection walks all the trees waiting for it: about a quarter of extraction time. The tree must
    not be read afterwards.
    """
    if root.doc is None:
        return
    for el in root.doc:
        el.parent = None
        el.doc = None
        el.memo.clear()


def _attributes(node: LexborNode) -> dict[str, str]:
    """A node's attributes, an attribute written without a value as the empty string."""
    attrs = node.attributes
    return _valued(attrs) if attrs and None in attrs.values() else attrs  # type: ignore[return-value]


def _valued(attrs: Mapping[str, str | None]) -> dict[str, str]:
    """``attrs`` with the empty string for each attribute written without a value."""
    return {k: (v if v is not None else "") for k, v in attrs.items()}


def title_of(tree: LexborHTMLParser) -> str:
    node = tree.css_first("title")
    return clean(node.text()) if node is not None else ""
