"""The validated configuration (``Config``) and the interval syntax every section shares.

A module of its own, below both ``sources`` (which reads the file) and ``notify``/``channels`` (which
validate their own sections), so each part can use ``Config`` without importing the file reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, overload

from rapidfuzz import fuzz, process, utils

from .errors import ConfigError
from .models import FailingAfter, Source

# "did you mean": a name is suggested for a mistyped one when rapidfuzz's WRatio (0-100, case and
# punctuation ignored, a part of a name scoring as the whole) reaches this; at most so many suggestions.
SUGGEST_SCORE = 80.0
SUGGEST_MAX = 3

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_INTERVAL = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")


@dataclass
class Config:
    """The whole file: defaults, sources, and the raw delivery settings (validated by ``notify``)."""

    path: str
    sources: list[Source]
    every: int = 12 * 3600
    user_agent_contact: str | None = None
    concurrency: int = 32
    per_host: int = 4
    timeout: float = 20.0
    max_bytes: int = 5_000_000
    politeness: float = 1.0  # seconds between two requests to the same host (daemon)
    extraction_timeout: float = 30.0  # seconds one page may take to extract before its check fails
    failing_after: FailingAfter = field(default_factory=FailingAfter)  # the default for every source
    channels: dict[str, Any] = field(default_factory=dict)
    routes: list[Any] = field(default_factory=list)

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise ConfigError(f"{self.path}: no source named {name!r}")


def parse_interval(value: Any) -> int:
    """'12h', '1d', '1h30m', '90s' or a number of seconds -> seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"bad interval {value!r}")
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError(f"bad interval {value!r}: must be positive")
        return int(value)
    text = str(value).strip().lower().replace(" ", "")
    pos, total = 0, 0.0
    for m in _INTERVAL.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text or total <= 0:
        raise ValueError(f"bad interval {value!r} (use e.g. 30m, 12h, 1d, 1h30m)")
    return int(total)


def closest(name: str, candidates: Iterable[str]) -> list[str]:
    """The candidates a mistyped ``name`` most likely meant, best first (the "did you mean" list)."""
    found = process.extract(name, list(candidates), scorer=fuzz.WRatio, processor=utils.default_process,
                            limit=SUGGEST_MAX, score_cutoff=SUGGEST_SCORE)
    return [match for match, _score, _index in found]


def match_name(name: str, candidates: Iterable[str], what: str = "source") -> str:
    """The candidate ``name`` designates: itself, or the only one equal to it ignoring case.

    ConfigError otherwise, with a "did you mean" when some candidate is close, so a typo on the
    command line is one clear line rather than an empty answer.
    """
    names = list(dict.fromkeys(candidates))
    if name in names:
        return name
    folded = [c for c in names if c.casefold() == name.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    if folded:
        raise ConfigError(f"{what} {name!r} is ambiguous: {', '.join(repr(c) for c in folded)} differ only in case;"
                          " give the exact name")
    hints = closest(name, names)
    hint = f" (did you mean {' or '.join(repr(h) for h in hints)}?)" if hints else ""
    raise ConfigError(f"no {what} named {name!r}{hint}")


@overload
def find_source(config_or_names: Config, name: str) -> Source: ...


@overload
def find_source(config_or_names: Iterable[str], name: str) -> str: ...


def find_source(config_or_names: Config | Iterable[str], name: str) -> Source | str:
    """The source ``name`` designates, matched case-insensitively, with a "did you mean" when unknown.

    Given a ``Config``, its ``Source`` (the error names the file); given names (those in the database,
    say), the name as it is spelled there. Every command that takes a source name goes through here.
    """
    if isinstance(config_or_names, Config):
        config = config_or_names
        try:
            return config.source(match_name(name, [s.name for s in config.sources]))
        except ConfigError as exc:
            raise ConfigError(f"{config.path}: {exc}") from None
    return match_name(name, config_or_names)


def sources_tagged(config: Config, tag: str) -> list[Source]:
    """The sources that carry ``tag`` (case-insensitively); ConfigError with a "did you mean" for an unknown tag."""
    tags = [t for s in config.sources for t in s.tags]
    try:
        wanted = match_name(tag, {t.casefold(): t for t in tags}.values(), "tag").casefold()
    except ConfigError as exc:
        raise ConfigError(f"{config.path}: {exc}") from None
    return [s for s in config.sources if wanted in (t.casefold() for t in s.tags)]
