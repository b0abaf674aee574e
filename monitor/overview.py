"""What the store knows of one source, now and over time: ``monitor show`` and ``monitor history``.

Both read the database only. ``show`` is the source's newest accepted page as the monitor holds it
(papers in page order, each with when it was first seen), with when it was last checked and last
changed; ``history`` is its timeline, newest first: each stored snapshot (a change of the page) with
the outcome of the check that stored it, its counts and its events, and the checks that marked the
source failing or recovered. Each builds a JSON-ready dict (the ``--json`` shape) and, from it, the
lines a terminal shows.
"""

from __future__ import annotations

from typing import Any

from .errors import StoreError
from .models import Page, news_key, paper_key
from .report import ANNOUNCEMENT_WORDS, describe_event, event_json
from .store import Store

SHOWN_AUTHORS = 3  # `show` lists the first authors of a paper, then "et al."
SHOWN_TEXT = 200  # characters of a news item or an announcement in `show` (the JSON has all)
HISTORY_LIMIT = 20  # timeline entries `history` shows unless told (--limit; 0 for all)
EVENTS_SHOWN = 10  # events listed under one timeline entry (the JSON has all)


def when(value: str | None) -> str:
    """'2025-06-01T06:00:02+00:00' -> '2025-06-01 06:00' (times are stored in UTC)."""
    return (value or "-")[:16].replace("T", " ")


def _record(store: Store, name: str) -> dict[str, Any]:
    row = store.source_record(name)
    if row is None:
        raise StoreError(f"{store.path}: no source named {name!r}")
    return row


# ---------------------------------------------------------------- show

def source_overview(store: Store, name: str) -> dict[str, Any]:
    """The ``monitor show --json`` shape: the source, its check times, and its page's items."""
    row = _record(store, name)
    snapshots = store.snapshot_list(row["id"], limit=1)
    newest = snapshots[0] if snapshots else None
    accepted = store.latest_snapshot(row["id"], accepted_only=True)
    seen = {(i["kind"], i["key"]): i["first_seen"] for i in store.present_items(row["id"])}
    page = accepted.page if accepted else Page()
    out: dict[str, Any] = {
        "source": row["name"], "url": row["url"], "active": bool(row["active"]),
        "last_checked_at": row["last_check_at"], "last_outcome": row["last_outcome"], "last_error": row["last_error"],
        "last_success_at": row["last_success_at"], "failing_since": row["failing_since"],
        "failures": row["failures"], "last_changed_at": row["last_changed_at"], "last_event_at": row["last_event_at"],
        "checks": row["checks"], "snapshots": row["snapshots"], "events": row["events"],
        "snapshot": {"id": accepted.id, "taken_at": accepted.taken_at} if accepted else None,
        "suspect": ({"id": newest["id"], "taken_at": newest["taken_at"], "reason": newest["suspect_reason"]}
                    if newest and newest["state"] == "suspect" else None),
        "profile": page.to_json()["profile"] if accepted else None,
        "publications": [{**p.to_json(), "first_seen": seen.get(("paper", paper_key(p)))} for p in page.publications],
        "news": [{**n.to_json(), "first_seen": seen.get(("news", news_key(n)))} for n in page.news],
        "announcements": [{**a.to_json(), "first_seen": seen.get(("announcement", a.kind))}
                          for a in page.announcements],
        "pages": [{k: p[k] for k in ("url", "role", "why", "status", "error", "checked_at", "failures", "papers",
                                     "news")} for p in store.site_pages(row["id"])],
    }
    return out


def _page_state(p: dict[str, Any]) -> str:
    """How a page read with the homepage stands: never read (a dead link), failing, or what it gives."""
    if p["papers"] is None:
        return f"never read ({p['error']}), {p['failures']} tr{'ies' if p['failures'] != 1 else 'y'} so far"
    if p["error"]:
        return f"failing: {p['error']}"
    return f"{p['papers']} paper{'s' if p['papers'] != 1 else ''}, {p['news']} news"


def _authors(names: list[str]) -> str:
    if len(names) <= SHOWN_AUTHORS:
        return ", ".join(names)
    return ", ".join(names[:SHOWN_AUTHORS]) + " et al."


def _venue_year(p: dict[str, Any]) -> str:
    venue, year = p.get("venue"), p.get("year")
    if venue and year and str(year) not in venue:
        return f"{venue}, {year}"
    return venue or (str(year) if year else "")


def _short(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SHOWN_TEXT else text[: SHOWN_TEXT - 1] + "…"


def overview_lines(data: dict[str, Any]) -> list[str]:
    """``monitor show`` for a terminal."""
    lines = [f"{data['source']}  {data['url']}"]
    if not data["active"]:
        lines.append("  (no longer in sources.yaml: what it showed last is kept)")
    checked = data["last_checked_at"]
    lines.append(f"  last checked   {when(checked) + ' UTC: ' + (data['last_outcome'] or '-') if checked else 'never'}")
    if data["last_error"]:
        lines.append(f"                 {data['last_error']}")
    if data["failing_since"]:
        n = data["failures"]
        lines.append(f"  failing since  {when(data['failing_since'])} UTC ({n} failed check{'s' if n != 1 else ''};"
                     f" last success {when(data['last_success_at']) + ' UTC' if data['last_success_at'] else 'never'})")
    changed = data["last_changed_at"]
    lines.append(f"  last changed   {when(changed) + ' UTC' if changed else 'never'}"
                 + (f" ({data['snapshots']} snapshot{'s' if data['snapshots'] != 1 else ''})" if changed else ""))
    lines.append(f"  last event     {when(data['last_event_at']) + ' UTC' if data['last_event_at'] else 'none yet'}"
                 + (f" ({data['events']} in all)" if data["events"] else ""))
    profile = data["profile"] or {}
    who = ", ".join(x for x in (profile.get("position"), profile.get("affiliation")) if x)
    if who:
        lines.append(f"  profile        {who}")
    if data["suspect"]:
        s = data["suspect"]
        lines.append(f"  held back      snapshot {s['id']} of {when(s['taken_at'])} UTC is held as suspect"
                     f" ({s['reason']}); shown below is the page before it")
    for p in data["pages"] if len(data["pages"]) > 1 else []:  # a site: the pages read with the homepage
        if p["role"] != "home":
            lines.append(f"  also reads     {p['url']} ({p['why']}): {_page_state(p)}")
    if data["snapshot"] is None:
        lines.append("\nNo page stored yet: no check of this source has succeeded.")
        return lines
    lines.append(f"\nPublications ({len(data['publications'])})")
    for p in data["publications"]:
        lines.append(f"  - {p['title'] or '(untitled) ' + _short(p.get('text'))[:80]}")
        details = [x for x in (_venue_year(p), _authors(p["authors"])) if x]
        if p["first_seen"]:
            details.append(f"seen since {p['first_seen'][:10]}")
        if details:
            lines.append("      " + " · ".join(details))
    lines.append(f"\nNews ({len(data['news'])})")
    for n in data["news"]:
        lines.append(f"  - {(n['date'] + '  ') if n['date'] else ''}{_short(n['text'])}")
    lines.append(f"\nAnnouncements ({len(data['announcements'])})")
    for a in data["announcements"]:
        since = f" (since {a['first_seen'][:10]})" if a["first_seen"] else ""
        lines.append(f"  - {ANNOUNCEMENT_WORDS.get(a['kind'], a['kind'])}: \"{_short(a['text'])}\"{since}")
    return lines


# ---------------------------------------------------------------- history

def source_history(store: Store, name: str, limit: int = HISTORY_LIMIT) -> dict[str, Any]:
    """The ``monitor history --json`` shape: the newest ``limit`` timeline entries (0: all), newest first."""
    row = _record(store, name)
    snapshots = store.snapshot_list(row["id"], limit=limit or None)
    health = store.health_events(row["id"])
    by_snapshot: dict[int, list[dict[str, Any]]] = {}
    events = store.snapshot_events(row["id"], snapshots[-1]["id"]) if snapshots else []
    for e in events:  # the shown snapshots are the newest ones: every event from the oldest shown on
        by_snapshot.setdefault(e["snapshot_id"], []).append(e)
    entries: list[dict[str, Any]] = []
    for s in snapshots:
        entries.append({"at": s["taken_at"], "snapshot": s["id"], "outcome": s["outcome"] or s["state"],
                        "state": s["state"], "reason": s["suspect_reason"], "confirmed_at": s["confirmed_at"],
                        "papers": s["papers"], "news": s["news"], "announcements": s["announcements"],
                        "events": [_brief(e) for e in by_snapshot.get(s["id"], [])]})
    for e in health:
        entries.append({"at": e["detected_at"], "snapshot": None, "outcome": e["type"].removeprefix("source_"),
                        "events": [_brief(e)]})
    # newest first; at the same moment a check's snapshot comes before the health event it also brought
    entries.sort(key=lambda x: (x["at"], x["snapshot"] is not None), reverse=True)
    total = row["snapshots"] + len(health)
    shown = entries[:limit] if limit else entries
    return {"source": row["name"], "url": row["url"], "checks": row["checks"], "failed_checks": row["failed_checks"],
            "snapshots": row["snapshots"], "first_check_at": row["first_check_at"],
            "shown": len(shown), "older": total - len(shown), "timeline": shown}


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    """An event in the documented JSON shape, with the line that says it in words."""
    return {**event_json(row), "brief": describe_event(row)}


def history_lines(data: dict[str, Any]) -> list[str]:
    """``monitor history`` for a terminal: a table of entries, each with its events in brief."""
    n, failed, snaps = data["checks"], data["failed_checks"], data["snapshots"]
    lines = [f"{data['source']}: {snaps} snapshot{'s' if snaps != 1 else ''}, {n} check{'s' if n != 1 else ''}"
             f" ({failed} failed)" + (f" since {when(data['first_check_at'])} UTC" if data["first_check_at"] else "")]
    if not data["timeline"]:
        lines.append("Nothing stored yet.")
        return lines
    header = ("when (UTC)", "snapshot", "outcome", "papers", "news", "announcements", "events")
    rows = [(when(e["at"]), str(e["snapshot"] or "-"), e["outcome"], *(_count(e, k) for k in header[3:6]),
             str(len(e["events"]))) for e in data["timeline"]]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for entry, row in zip(data["timeline"], rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if entry.get("state") == "suspect":
            lines.append(f"    (held as suspect: {entry['reason']})")
        elif entry.get("confirmed_at"):
            lines.append(f"    (suspect, confirmed by the check of {when(entry['confirmed_at'])})")
        events = entry["events"]
        lines += [f"    - {e['brief']}" for e in events[:EVENTS_SHOWN]]
        if len(events) > EVENTS_SHOWN:
            lines.append(f"    ... and {len(events) - EVENTS_SHOWN} more (--json lists them all)")
    if data["older"]:
        lines.append(f"({data['older']} older entr{'ies' if data['older'] != 1 else 'y'} not shown: --limit 0 shows all)")
    return lines


def _count(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    return "" if value is None else str(value)
