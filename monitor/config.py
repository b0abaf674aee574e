"""The validated configuration (``Config``) and the interval syntax every section shares.

A module of its own, below both ``sources`` (which reads the file) and ``notify``/``channels`` (which
validate their own sections), so each part can use ``Config`` without importing the file reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, overload

from .errors import ConfigError
from .models import FailingAfter, Source
from .names import resolve, unknown

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

    @property
    def enabled_sources(self) -> list[Source]:
        """The sources `run` and the daemon check: all but the paused ones (``enabled: false``)."""
        return [s for s in self.sources if s.enabled]

    def source(self, name: str) -> Source:
        """The source ``name`` designates, ignoring case; ConfigError with the closest names otherwise."""
        found = resolve(name, [s.name for s in self.sources])
        if found is None:
            raise ConfigError(unknown(name, [s.name for s in self.sources], self.path))
        return next(s for s in self.sources if s.name == found)


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
        return config_or_names.source(name)
    names = list(config_or_names)
    found = resolve(name.strip(), names)
    if found is None:
        raise ConfigError(unknown(name.strip(), names))
    return found


def sources_tagged(config: Config, tag: str) -> list[Source]:
    """The sources that carry ``tag`` (case-insensitively); ConfigError with a "did you mean" for an unknown tag."""
    tags = list({t.casefold(): t for s in config.sources for t in s.tags}.values())
    found = resolve(tag.strip(), tags)
    if found is None:
        raise ConfigError(unknown(tag.strip(), tags, config.path, what="tag"))
    wanted = found.casefold()
    return [s for s in config.sources if wanted in (t.casefold() for t in s.tags)]
