"""Source health: when a run of failed checks becomes an alert, and when the source is back (pure).

A source that fails once (a timeout, a deploy in progress) is not news; one that keeps failing is,
because otherwise its silence reads as "nothing new". ``after_check`` takes the stored state and one
check's result and returns the new state and, at most once per run of failures, an event:
``source_failing`` when the run reaches the source's ``failing_after`` threshold, and
``source_recovered`` at the first success after that alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import Event, FailingAfter


@dataclass(frozen=True)
class Health:
    last_success_at: str | None = None
    failing_since: str | None = None  # the first failed check of the current run of failures
    failures: int = 0  # failed checks in a row
    alerted: bool = False  # source_failing was emitted for this run


def _elapsed(since: str, now: str) -> float:
    return (dt.datetime.fromisoformat(now) - dt.datetime.fromisoformat(since)).total_seconds()


def after_check(health: Health, *, failed: bool, at: str, error: str | None,
                threshold: FailingAfter) -> tuple[Health, Event | None]:
    """The state after one check at ``at`` (ISO time), and the event it causes, if any."""
    if not failed:
        event = None
        if health.alerted:
            event = Event(type="source_recovered", key="source",
                          text=f"working again after {health.failures} failed check"
                               f"{'s' if health.failures != 1 else ''} since {_minute(health.failing_since)}",
                          data={"failing_since": health.failing_since, "failures": health.failures,
                                "last_success_at": health.last_success_at})
        return Health(last_success_at=at), event
    since = health.failing_since or at
    failures = health.failures + 1
    reached = (threshold.checks is not None and failures >= threshold.checks) or \
              (threshold.seconds is not None and _elapsed(since, at) >= threshold.seconds)
    event = None
    if reached and not health.alerted:
        event = Event(type="source_failing", key="source", text=error or "failed",
                      data={"failing_since": since, "failures": failures,
                            "last_success_at": health.last_success_at, "threshold": threshold.describe()})
    return Health(last_success_at=health.last_success_at, failing_since=since, failures=failures,
                  alerted=health.alerted or reached), event


def _minute(when: str | None) -> str:
    return (when or "?")[:16].replace("T", " ") + (" UTC" if when else "")
