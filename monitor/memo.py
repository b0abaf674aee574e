"""Memo tables: what a pure function answered, kept by its argument for the next time it is asked.

The extractor asks the same few questions of the same lines and link texts again and again (is it a
list of names, a link label, a venue line...). Each such function keeps its answers in a
``MemoTable`` of its own and reads them with one ``dict.get`` (in the compiled build, a C call on a C
static), written out in the function itself. ``functools.lru_cache`` did the same through a look-up
of the function in its module, a Python-level call, a key and a list kept in recency order; over 200
bench pages a worker's instructions went from 7,743 M to 7,603 M (-1.8%) without it, and a method
that takes the function to call on a miss gives a third of that back (7,647 M). A table that reaches
its size is emptied (``MemoTable.keep``) rather than trimmed one answer at a time: answers are only
ever recomputed, so what is read never changes. ``forget`` empties every table (``extract.forget``:
a worker past its memory limit).
"""

from __future__ import annotations

from typing import Final, Generic, TypeVar

__all__ = ["MemoTable", "forget"]

K = TypeVar("K")
V = TypeVar("V")


class MemoTable(Generic[K, V]):
    """One function's answers by argument (``answers``, read directly), at most ``size`` of them."""

    def __init__(self, size: int = 65536) -> None:
        self.answers: dict[K, V] = {}
        self.size = size
        _TABLES.append(self)

    def keep(self, key: K, value: V) -> V:
        """Keep ``value`` as the answer for ``key`` (the table emptied first when it is full); returns it."""
        if len(self.answers) >= self.size:
            self.answers.clear()
        self.answers[key] = value
        return value

    def __len__(self) -> int:
        return len(self.answers)


_TABLES: Final[list[MemoTable]] = []


def forget() -> None:
    """Empty every table."""
    for table in _TABLES:
        table.answers.clear()
