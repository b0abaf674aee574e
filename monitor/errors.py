"""One exception tree for the whole package, so callers can catch ``MonitorError`` alone."""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error the monitor raises on purpose."""


class ConfigError(MonitorError):
    """``sources.yaml`` is malformed; the message names the file, the entry and the problem."""


class FetchError(MonitorError):
    """A page could not be fetched or read (network, HTTP status, size, content type, robots.txt)."""


class ExtractError(MonitorError):
    """A page could not be extracted within its budget (too deep, too large, too slow, worker died)."""


class StoreError(MonitorError):
    """The database is missing, locked, or of an unknown schema version."""


class DatabaseFault(StoreError):
    """The database cannot be used: ``problem`` is full, read-only, damaged, uncreatable, io or other
    (``dbfaults.database_error`` names it and writes the message)."""

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


class DeliveryError(MonitorError):
    """A notification channel refused or could not take a message."""
