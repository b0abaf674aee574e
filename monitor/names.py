"""Finding a source by the name someone typed: case does not matter, and a near miss gets a suggestion.

Every command that takes a source's name (``run --source``, ``check``, ``diff``, ``add``, ``remove``,
``rename``, ``pause``, ``resume``) goes through ``resolve``, so "dana example" finds "Dana Example"
everywhere and "Dana Exmple" answers ``did you mean 'Dana Example'?``.
"""

from __future__ import annotations

from typing import Iterable

from rapidfuzz import fuzz, process, utils

SUGGEST_CUTOFF = 75.0  # rapidfuzz WRatio score (0-100) from which a name is offered as "did you mean"
SUGGEST_MARGIN = 10.0  # only names scoring within this much of the best one ("Deng": not "Ziqian Zeng" too)
SUGGEST_LIMIT = 3  # at most this many suggestions


def same_name(a: str, b: str) -> bool:
    """Two names are the same source's when they differ only in case or surrounding spaces."""
    return a.strip().casefold() == b.strip().casefold()


def matches(query: str, names: Iterable[str]) -> list[str]:
    """The names ``query`` designates: the exact one if present, else those equal to it ignoring case."""
    names = list(names)
    if query in names:
        return [query]
    return [n for n in names if same_name(n, query)]


def resolve(query: str, names: Iterable[str]) -> str | None:
    """The one name ``query`` designates, or None (no name, or several differing only in case)."""
    found = matches(query, names)
    return found[0] if len(found) == 1 else None


def suggestions(query: str, names: Iterable[str]) -> list[str]:
    """The closest names to a mistyped one, best first (typos, a missing word, another case)."""
    scored = process.extract(query, list(names), scorer=fuzz.WRatio, processor=utils.default_process,
                             limit=SUGGEST_LIMIT, score_cutoff=SUGGEST_CUTOFF)
    if not scored:
        return []
    best = scored[0][1]
    return [name for name, score, _ in scored if score >= best - SUGGEST_MARGIN]


def did_you_mean(query: str, names: Iterable[str]) -> str:
    """`` (did you mean 'X'?)`` for an unknown name, or '' when nothing is close."""
    close = suggestions(query, names)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(n) for n in close) + "?)"


def unknown(query: str, names: Iterable[str], where: str | None = None, what: str = "source") -> str:
    """The one-line message for a name that designates no source (or several, differing only in case)."""
    names = list(names)
    prefix = f"{where}: " if where else ""
    several = matches(query, names)
    if len(several) > 1:
        return f"{prefix}{query!r} could be any of {', '.join(repr(n) for n in several)}: give the exact name"
    return f"{prefix}no {what} named {query!r}{did_you_mean(query, names)}"
