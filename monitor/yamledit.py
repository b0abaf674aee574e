"""Editing sources.yaml in place: one entry changes, and every other byte of the file stays as it was.

A round-trip YAML library re-emits the whole document: ruamel.yaml, the usual choice, normalises the
indentation and the spaces after a colon, and hangs the comment above an entry on the entry before it,
so deleting one entry takes its neighbour's comment along. Here PyYAML's composer only *locates*:
its node tree gives the exact place of every entry and scalar, the edit is made on the text at that
place, and whatever new text is needed (an entry, a name) is written by PyYAML's emitter, so quoting
is always right. The caller reads the result back with the strict reader before writing it.

What belongs to an entry (what ``remove`` takes away): its lines from the ``-`` to its last value,
the comment lines right above it (no blank line between, indented at least as far as its ``-``), the
comment lines after it indented deeper than its ``-`` (a commented-out key), and one blank line
after it when blank lines surround it (so the list keeps its spacing).
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import ConfigError

_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # the line breaks YAML (and PyYAML's marks) count
ENTRY_KEY_ORDER = ("name", "url", "format", "tags", "enabled")  # how a new entry's keys are written
DEFAULT_INDENT = 2  # a new list's indentation when the file has none to copy


@dataclass
class Entry:
    """One item of the ``sources`` list, located in the text."""

    node: MappingNode
    name: str | None
    start: int  # first character of its first line (its leading comments included)
    end: int  # just past its last line (its line break included)
    content_end: int  # just past the line of its last value
    dash_col: int  # the column of its ``-``
    key_col: int  # the column of its keys

    def value(self, key: str) -> Node | None:
        return next((v for k, v in self.node.value if isinstance(k, ScalarNode) and k.value == key), None)


class Document:
    """The text of a sources file and where its entries are; every edit returns a new text."""

    def __init__(self, text: str, path: str = "sources.yaml") -> None:
        self.text = text
        self.path = path
        found = _BREAK.search(text)
        self.newline = found.group() if found else "\n"
        self.line_starts = [0] + [m.end() for m in _BREAK.finditer(text)]
        try:
            self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {str(exc).splitlines()[0]}") from None
        if self.root is not None and not isinstance(self.root, MappingNode):
            raise ConfigError(f"{path}: the top level must be a mapping with a 'sources' list")
        self.sources_key, self.sources = self._top("sources")
        self.entries = self._entries()

    # ------------------------------------------------------------ reading positions

    def _top(self, key: str) -> tuple[ScalarNode | None, Node | None]:
        if self.root is None:
            return None, None
        for k, v in self.root.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
        return None, None

    def line(self, index: int) -> int:
        return bisect.bisect_right(self.line_starts, index) - 1

    def line_start(self, line: int) -> int:
        return self.line_starts[line]

    def line_end(self, line: int) -> int:
        """Just past the line's break (or the end of the text)."""
        return self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)

    def line_text(self, line: int) -> str:
        return _BREAK.sub("", self.text[self.line_start(line):self.line_end(line)])

    def _blank(self, line: int) -> bool:
        return not self.line_text(line).strip()

    def _comment(self, line: int) -> bool:
        return self.line_text(line).lstrip().startswith("#")

    def _indent(self, line: int) -> int:
        text = self.line_text(line)
        return len(text) - len(text.lstrip(" "))

    def _last_index(self, node: Node) -> int:
        """Just past the last character of a node's content (a block's trailing breaks not included)."""
        if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
            last = node.value[-1]
            return self._last_index(last[1] if isinstance(node, MappingNode) else last)
        end = node.end_mark.index
        while end > node.start_mark.index and self.text[end - 1] in " \t\r\n\x85\u2028\u2029":
            end -= 1
        return end

    def _dash(self, node: Node) -> int:
        """Where the ``-`` of a list item is: on its first line, or on a line of its own above."""
        start = node.start_mark.index
        line = self.line(start)
        before = self.text[self.line_start(line):start]
        if before.rstrip().endswith("-"):
            return self.line_start(line) + before.rstrip().rindex("-")
        for up in range(line - 1, -1, -1):
            text = self.line_text(up)
            if text.lstrip().startswith("-"):
                return self.line_start(up) + text.index("-")
            if text.strip() and not text.lstrip().startswith("#"):
                break
        raise ConfigError(f"{self.path}: cannot find the '-' of the entry at line {line + 1}")

    def _entries(self) -> list[Entry]:
        if not isinstance(self.sources, SequenceNode) or self.sources.flow_style:
            return []
        items = self.sources.value
        out: list[Entry] = []
        floor = self.line(self.sources_key.end_mark.index) + 1 if self.sources_key else 0
        for i, node in enumerate(items):
            if not isinstance(node, MappingNode):
                raise ConfigError(f"{self.path}: sources[{i}]: each source must be a mapping")
            dash = self._dash(node)
            dash_line, dash_col = self.line(dash), dash - self.line_start(self.line(dash))
            first = dash_line
            while first - 1 >= floor and self._comment(first - 1) and self._indent(first - 1) >= dash_col:
                first -= 1
            last = self.line(self._last_index(node) - 1) if self._last_index(node) > 0 else dash_line
            content_last = last
            nxt = self.line(self._dash(items[i + 1])) if i + 1 < len(items) else len(self.line_starts)
            probe = last + 1
            while probe < nxt and (self._blank(probe) or (self._comment(probe) and self._indent(probe) > dash_col)):
                if not self._blank(probe):
                    last = probe
                probe += 1
            key_col = node.value[0][0].start_mark.column if node.value and not node.flow_style else dash_col + 2
            name = self._name(node)
            out.append(Entry(node=node, name=name, start=self.line_start(first), end=self.line_end(last),
                             content_end=self.line_end(content_last), dash_col=dash_col, key_col=key_col))
            floor = last + 1
        return out

    @staticmethod
    def _name(node: MappingNode) -> str | None:
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == "name" and isinstance(v, ScalarNode):
                return v.value.strip()
        return None

    def entry(self, name: str) -> Entry:
        for e in self.entries:
            if e.name == name:
                return e
        raise ConfigError(f"{self.path}: no source named {name!r}")

    # ------------------------------------------------------------ edits

    def append(self, fields: dict[str, Any]) -> str:
        """The text with a new entry at the end of the list, indented and spaced like the entries above."""
        if isinstance(self.sources, SequenceNode) and self.sources.flow_style:
            if self.sources.value:
                raise ConfigError(f"{self.path}: 'sources' is written as a flow list [...]; write it as a block"
                                  " list (one '- name: ...' entry per item) to edit it from the command line")
            return self._first_entry(fields, replace=(self.sources.start_mark.index, self.sources.end_mark.index))
        if self.entries:
            last = self.entries[-1]
            spaced = len(self.entries) > 1 and self._gap(self.entries[-2], last)
            lines = render_entry(fields, last.dash_col, last.key_col, self.newline)
            at = last.end
            head = "" if self.text[:at].endswith(("\n", "\r", "\x85", "\u2028", "\u2029")) else self.newline
            return self.text[:at] + head + (self.newline if spaced else "") + lines + self.text[at:]
        if self.sources is not None:
            if not (isinstance(self.sources, ScalarNode) and self.sources.tag == "tag:yaml.org,2002:null"):
                raise ConfigError(f"{self.path}: 'sources' must be a list")
            return self._first_entry(fields, replace=(self.sources.start_mark.index, self.sources.end_mark.index))
        tail = "" if not self.text or self.text.endswith(("\n", "\r")) else self.newline
        return (self.text + tail + "sources:" + self.newline
                + render_entry(fields, DEFAULT_INDENT, 2 * DEFAULT_INDENT, self.newline))

    def _first_entry(self, fields: dict[str, Any], replace: tuple[int, int]) -> str:
        """The first entry of an empty list (``sources:``, ``sources: []``, ``sources: null``)."""
        assert self.sources_key is not None
        col = self.sources_key.start_mark.column + DEFAULT_INDENT
        start, end = replace
        if start == end:  # nothing written after "sources:": the entry goes on the next line
            text, found = self.text, _BREAK.search(self.text, self.sources_key.end_mark.index)
        else:
            text = self.text[:start] + self.text[end:]
            if _BREAK.match(text, start) or start == len(text):  # no trailing space left after "sources:"
                trimmed = len(text[:start].rstrip(" \t"))
                text, start = text[:trimmed] + text[start:], trimmed
            found = _BREAK.search(text, start)
        at = found.end() if found else len(text)
        head = "" if found else self.newline
        return text[:at] + head + render_entry(fields, col, col + DEFAULT_INDENT, self.newline) + text[at:]

    def _gap(self, a: Entry, b: Entry) -> bool:
        """Whether blank lines separate two entries."""
        return any(self._blank(n) for n in range(self.line(a.end), self.line(b.start)))

    def remove(self, name: str) -> str:
        """The text without the entry (see the module docstring for what belongs to it)."""
        e = self.entry(name)
        start, end = e.start, e.end
        before = self.line(start) - 1
        after = self.line(end) if end < len(self.text) else None
        blank_before = before >= 0 and self._blank(before) and self.line_start(before) >= self._floor(e)
        if after is not None and self._blank(after) and (blank_before or e is self.entries[0]):
            end = self.line_end(after)
        elif blank_before and e is self.entries[-1]:
            start = self.line_start(before)
        return self.text[:start] + self.text[end:]

    def _floor(self, e: Entry) -> int:
        """Where the text that may belong to an entry starts: after the entry before it, or "sources:"."""
        i = self.entries.index(e)
        if i:
            return self.entries[i - 1].end
        return self.line_end(self.line(self.sources_key.end_mark.index)) if self.sources_key else 0

    def rename(self, old: str, new: str, in_routes: bool = True) -> str:
        """The text with the entry's name, and the routes that list it by name, saying ``new``."""
        e = self.entry(old)
        node = e.value("name")
        assert isinstance(node, ScalarNode)
        spans = [node]
        if in_routes:
            spans += self.route_mentions(old)
        text = self.text
        for n in sorted(spans, key=lambda n: n.start_mark.index, reverse=True):
            text = text[:n.start_mark.index] + scalar(new, n.style) + text[n.end_mark.index:]
        return text

    def route_mentions(self, name: str) -> list[ScalarNode]:
        """The scalars in ``routes: [{sources: [...]}]`` that name this source."""
        _, routes = self._top("routes")
        found: list[ScalarNode] = []
        if not isinstance(routes, SequenceNode):
            return found
        for route in routes.value:
            if not isinstance(route, MappingNode):
                continue
            for k, v in route.value:
                if isinstance(k, ScalarNode) and k.value == "sources" and isinstance(v, SequenceNode):
                    found += [s for s in v.value if isinstance(s, ScalarNode) and s.value == name]
        return found

    def set_enabled(self, name: str, enabled: bool) -> str:
        """The text with the entry paused (``enabled: false``) or active again.

        Resuming takes away an ``enabled: false`` line of its own, so pause then resume gives back the
        very same file; otherwise the value is set in place, or a line is added after the entry's last.
        """
        e = self.entry(name)
        value = e.value("enabled")
        if value is not None:
            assert isinstance(value, ScalarNode)
            line = self.line(value.start_mark.index)
            alone = re.fullmatch(r"\s*enabled\s*:\s*\S+\s*", self.line_text(line))
            if enabled and alone and not e.node.flow_style and self.line(value.end_mark.index) == line:
                return self.text[:self.line_start(line)] + self.text[self.line_end(line):]
            pairs = [k for k, _ in e.node.value]
            if enabled and e.node.flow_style and pairs[-1].value == "enabled" and len(pairs) > 1:
                cut = self._last_index(e.node.value[-2][1])  # ", enabled: false" goes as it came
                return self.text[:cut] + self.text[value.end_mark.index:]
            return (self.text[:value.start_mark.index] + ("true" if enabled else "false")
                    + self.text[value.end_mark.index:])
        if enabled:
            return self.text
        if e.node.flow_style:
            close = e.node.end_mark.index - 1
            if self.text[close] != "}":
                raise ConfigError(f"{self.path}: source {name!r}: cannot find the end of its {{...}} mapping")
            return self.text[:close] + ", enabled: false" + self.text[close:]
        at = e.content_end
        head = "" if self.text[:at].endswith(("\n", "\r")) else self.newline
        return self.text[:at] + head + " " * e.key_col + "enabled: false" + self.newline + self.text[at:]


def scalar(value: str, style: str | None = None) -> str:
    """A string as a YAML scalar (plain when it can be, quoted when it must), in a given quoting style."""
    out = yaml.safe_dump({"k": value}, default_style=style if style in ("'", '"') else None, allow_unicode=True,
                         width=math.inf, default_flow_style=False)
    return out.split(": ", 1)[1].rstrip("\r\n")


def flow_list(values: list[str]) -> str:
    """A list of strings as a one-line YAML flow sequence, ``[nlp, 'a, b']``."""
    out = yaml.safe_dump({"k": values}, default_flow_style=None, allow_unicode=True, width=math.inf)
    return out.split(": ", 1)[1].rstrip("\r\n")


def render_entry(fields: dict[str, Any], dash_col: int, key_col: int, newline: str = "\n") -> str:
    """A new list entry: ``- name: ...`` at ``dash_col``, the other keys at ``key_col``, tags as ``[a, b]``."""
    lines = []
    for key in [k for k in ENTRY_KEY_ORDER if k in fields] + [k for k in fields if k not in ENTRY_KEY_ORDER]:
        value = fields[key]
        if isinstance(value, list):
            text = flow_list([str(v) for v in value])
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = scalar(str(value))
        lines.append(f"{key}: {text}")
    first = " " * dash_col + "- " + " " * max(0, key_col - dash_col - 2) + lines[0]
    return newline.join([first] + [" " * key_col + line for line in lines[1:]]) + newline
