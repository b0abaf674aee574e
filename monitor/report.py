"""Turning stored events into words and JSON, shared by `monitor diff`, the feed and the alerts."""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any, Iterable

ANNOUNCEMENT_WORDS = {
    "on_market": "is on the job market",
    "joining": "is joining a new place",
    "graduating": "is graduating",
    "hiring_students": "is hiring students",
    "other": "made an announcement",
}


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """The documented JSON shape of one event."""
    data = row.get("data")
    if isinstance(data, str):
        data = json.loads(data or "{}")
    out = {
        "id": row.get("id"),
        "source": row["source"],
        "type": row["type"],
        "title": row.get("title"),
        "text": row.get("text"),
        "field": row.get("field"),
        "before": row.get("before"),
        "after": row.get("after"),
        "kind": row.get("kind"),
        "alert": bool(row.get("alert")),
        "detected_at": row["detected_at"],
    }
    if data:
        out["venue"] = data.get("venue")
        out["links"] = data.get("links")
        if data.get("date"):
            out["date"] = data["date"]
        if data.get("failing_since"):
            out["failing_since"], out["failures"] = data["failing_since"], data.get("failures")
    return out


def _data(row: dict[str, Any]) -> dict[str, Any]:
    data = row.get("data")
    if isinstance(data, str):
        data = json.loads(data or "{}")
    return data or {}


def _venue(row: dict[str, Any]) -> str:
    data = _data(row)
    venue = (data or {}).get("venue")
    year = (data or {}).get("year")
    if venue and year and str(year) not in venue:
        return f" ({venue}, {year})"
    if venue or year:
        return f" ({venue or year})"
    return ""


def _short(text: str | None, n: int = 100) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1] + "…"


def describe_event(row: dict[str, Any]) -> str:
    """One readable line: "new paper 'X' (ACL 2025)"."""
    t = row["type"]
    title = row.get("title") or _short(row.get("text"), 80)
    if t == "paper_added":
        return f"new paper '{title}'{_venue(row)}"
    if t == "paper_removed":
        return f"paper no longer listed: '{title}'"
    if t == "paper_updated":
        field = row.get("field")
        if field == "venue":
            return f"'{title}' now at {row.get('after') or 'no venue'} (was {row.get('before') or 'no venue'})"
        if field == "title":
            return f"paper retitled: '{row.get('before')}' -> '{row.get('after')}'"
        return f"'{title}': {field} changed"
    if t == "news_added":
        date = _data(row).get("date")
        return f"news{f' ({_short(date, 30)})' if date else ''}: {_short(row.get('text'), 160)}"
    if t == "news_removed":
        return f"news item gone: {_short(row.get('text'), 100)}"
    if t == "announcement":
        return f"{ANNOUNCEMENT_WORDS.get(row.get('kind') or 'other', 'announcement')}: \"{_short(row.get('text'), 200)}\""
    if t == "announcement_removed":
        return f"announcement withdrawn: \"{_short(row.get('text'), 120)}\""
    if t == "profile_changed":
        return f"{row.get('field')} changed: {row.get('before') or '-'} -> {row.get('after') or '-'}"
    if t == "source_failing":
        data = _data(row)
        since = (data.get("failing_since") or "")[:16].replace("T", " ")
        n = data.get("failures")
        return (f"source failing since {since} UTC ({n} failed check{'s' if n != 1 else ''}): "
                f"{_short(row.get('text'), 200)}")
    if t == "source_recovered":
        return f"source {_short(row.get('text'), 200)}"
    return f"{t}: {title}"


def group_by_source(rows: Iterable[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    rows = sorted(rows, key=lambda r: (r["source"], r.get("id") or 0))
    return [(name, list(items)) for name, items in groupby(rows, key=lambda r: r["source"])]


def summary_line(rows: list[dict[str, Any]]) -> str:
    """'3 new papers, 1 job-market announcement': what a subject line should say."""
    counts: dict[str, int] = {}
    for r in rows:
        key = r["type"]
        if key == "paper_updated":
            key = "venue" if r.get("field") == "venue" else "update"
        if key == "announcement":
            key = "market" if r.get("kind") == "on_market" else "announcement"
        counts[key] = counts.get(key, 0) + 1
    words = {
        "paper_added": ("new paper", "new papers"),
        "venue": ("venue update", "venue updates"),
        "update": ("paper update", "paper updates"),
        "news_added": ("news item", "news items"),
        "market": ("job-market announcement", "job-market announcements"),
        "announcement": ("career announcement", "career announcements"),
        "source_failing": ("source failing", "sources failing"),
        "source_recovered": ("source recovered", "sources recovered"),
    }
    parts = []
    for key, (one, many) in words.items():
        n = counts.get(key, 0)
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts) or "no changes"
