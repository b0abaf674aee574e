"""The delivery outbox's tables (``deliveries``, ``delivery_events``): every statement on them is here.

``notify`` decides what to send, when and to whom; this module only keeps the rows. It works on the
``Store``'s connection, so the rows the outbox hook writes join the check's own transaction, and the
state transitions run in ``Store.transaction()`` as the caller chooses. It reads ``events`` and
``sources`` only to join them in, and never writes them (they belong to ``Store``).
"""

from __future__ import annotations

import json
from typing import Any

from .store import Store


class Outbox:
    """Reads and writes of the deliveries and the events attached to them."""

    def __init__(self, store: Store) -> None:
        self.db = store.db

    # ------------------------------------------------------------ enqueueing

    def open_digest(self, channel: str, slot: str) -> str | None:
        """The digest for this channel and slot that is still open (pending, never attempted)."""
        row = self.db.execute(
            "SELECT id FROM deliveries WHERE channel = ? AND kind = 'digest' AND slot = ? AND state = 'pending'"
            " AND last_attempt_at IS NULL ORDER BY created_at LIMIT 1", [channel, slot]).fetchone()
        return row[0] if row else None

    def add(self, delivery_id: str, *, channel: str, kind: str, schedule: str, slot: str | None,
            source_id: int | None, next_attempt_at: str, created_at: str) -> None:
        self.db.execute(
            "INSERT INTO deliveries (id, channel, kind, schedule, slot, source_id, state, attempts, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            [delivery_id, channel, kind, schedule, slot, source_id, next_attempt_at, created_at])

    def open_immediate(self, channel: str) -> list[dict[str, Any]]:
        """The paper events of this channel's immediate deliveries not yet attempted, with their source:
        a collaborator's page listing the same paper joins one of these instead of making its own."""
        return list(self.db.query(
            "SELECT d.id AS delivery_id, e.id, e.type, e.key, e.field, e.after, s.name AS source FROM deliveries d"
            " JOIN delivery_events de ON de.delivery_id = d.id JOIN events e ON e.id = de.event_id"
            " JOIN sources s ON s.id = e.source_id WHERE d.channel = ? AND d.kind = 'immediate'"
            " AND d.state = 'pending' AND d.attempts = 0 AND e.type IN ('paper_added', 'paper_updated')"
            " ORDER BY d.created_at, d.rowid, e.id", [channel]))

    def event_rows(self, event_ids: list[int]) -> list[dict[str, Any]]:
        """Type, key, field and after of these events, with their source's name: what joining needs."""
        marks = ",".join("?" * len(event_ids))
        return list(self.db.query(
            f"SELECT e.id, e.type, e.key, e.field, e.after, s.name AS source FROM events e"
            f" JOIN sources s ON s.id = e.source_id WHERE e.id IN ({marks}) ORDER BY e.id", list(event_ids)))

    def attach(self, delivery_id: str, event_id: int) -> None:
        """Add an event to a delivery; an event already attached stays attached once."""
        self.db.execute("INSERT OR IGNORE INTO delivery_events (delivery_id, event_id) VALUES (?, ?)",
                        [delivery_id, event_id])

    # ------------------------------------------------------------ the dispatcher's transitions

    def due(self, now: str) -> list[dict[str, Any]]:
        """Id and channel of each delivery to send: pending and due, or sending with an expired lease."""
        return list(self.db.query(
            "SELECT id, channel FROM deliveries WHERE (state = 'pending' AND next_attempt_at <= ?)"
            " OR (state = 'sending' AND lease_until <= ?) ORDER BY created_at, rowid", [now, now]))

    def claim(self, delivery_id: str, now: str, lease_until: str) -> bool:
        """pending (or an expired lease) -> sending; False when it is not due or someone else has it."""
        cur = self.db.execute(
            "UPDATE deliveries SET state = 'sending', attempts = attempts + 1, last_attempt_at = ?, lease_until = ?"
            " WHERE id = ? AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending'"
            " AND lease_until <= ?))", [now, lease_until, delivery_id, now, now])
        return cur.rowcount == 1

    def attempts(self, delivery_id: str) -> int:
        return int(self.db.execute("SELECT attempts FROM deliveries WHERE id = ?", [delivery_id]).fetchone()[0])

    def mark_delivered(self, delivery_id: str, at: str, response: str | None) -> None:
        self.db.execute("UPDATE deliveries SET state = 'delivered', delivered_at = ?, response = ?,"
                        " last_error = NULL, lease_until = NULL WHERE id = ?", [at, response, delivery_id])

    def mark_failed(self, delivery_id: str, error: str) -> None:
        self.db.execute("UPDATE deliveries SET state = 'failed', last_error = ?, lease_until = NULL"
                        " WHERE id = ?", [error, delivery_id])

    def mark_retry(self, delivery_id: str, error: str, next_attempt_at: str) -> None:
        self.db.execute("UPDATE deliveries SET state = 'pending', last_error = ?, lease_until = NULL,"
                        " next_attempt_at = ? WHERE id = ?", [error, next_attempt_at, delivery_id])

    def add_reached(self, delivery_id: str, targets: list[str]) -> None:
        """Remember the targets that accepted a delivery whose other targets failed (fingerprints only)."""
        row = self.db.execute("SELECT reached FROM deliveries WHERE id = ?", [delivery_id]).fetchone()
        known = json.loads(row[0] or "[]") if row else []
        merged = known + [t for t in targets if t not in known]
        self.db.execute("UPDATE deliveries SET reached = ? WHERE id = ?", [json.dumps(merged), delivery_id])

    # ------------------------------------------------------------ content

    def delivery(self, delivery_id: str) -> dict[str, Any]:
        return next(self.db.query("SELECT * FROM deliveries WHERE id = ?", [delivery_id]))

    def earlier_papers(self, since: str, before_id: int) -> list[dict[str, Any]]:
        """Paper events (added, updated) detected since ``since`` with ids below ``before_id``, with their
        source's name: what other watched pages said shortly before a delivery's papers (see ``shared``)."""
        return list(self.db.query(
            "SELECT e.id, e.type, e.key, e.field, e.after, e.detected_at, s.name AS source FROM events e"
            " JOIN sources s ON s.id = e.source_id WHERE e.type IN ('paper_added', 'paper_updated')"
            " AND e.detected_at >= ? AND e.id < ? ORDER BY e.id", [since, before_id]))

    def events(self, delivery_id: str) -> list[dict[str, Any]]:
        """A delivery's events, each with its source's name and URL, by source then event."""
        return list(self.db.query(
            "SELECT e.*, s.name AS source, s.url AS source_url FROM delivery_events de"
            " JOIN events e ON e.id = de.event_id JOIN sources s ON s.id = e.source_id"
            " WHERE de.delivery_id = ? ORDER BY s.name, e.id", [delivery_id]))

    # ------------------------------------------------------------ commands: notices, retry

    def listing(self, state: str | None, limit: int) -> list[dict[str, Any]]:
        """Deliveries, newest first, with their event count and the comma-joined names of their sources."""
        where, params = ("WHERE d.state = ?", [state]) if state else ("", [])
        sql = (f"SELECT d.id, d.channel, d.kind, d.schedule, d.state, d.attempts, d.created_at, d.next_attempt_at,"
               f" d.last_attempt_at, d.delivered_at, d.last_error, d.response,"
               f" (SELECT COUNT(*) FROM delivery_events de WHERE de.delivery_id = d.id) AS events,"
               f" (SELECT GROUP_CONCAT(DISTINCT s.name) FROM delivery_events de JOIN events e ON e.id = de.event_id"
               f"  JOIN sources s ON s.id = e.source_id WHERE de.delivery_id = d.id) AS sources"
               f" FROM deliveries d {where} ORDER BY d.created_at DESC, d.rowid DESC LIMIT ?")
        return list(self.db.query(sql, [*params, limit]))

    def failed_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM deliveries WHERE state = 'failed'").fetchall()]

    def with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """(id, state) of every delivery whose id starts with ``prefix``."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, state FROM deliveries WHERE substr(id, 1, ?) = ?", [len(prefix), prefix]).fetchall()]

    def hasten(self, now: str) -> int:
        """Pending deliveries waiting out a retry backoff or a hold become due now (digests keep their slot)."""
        cur = self.db.execute("UPDATE deliveries SET next_attempt_at = ? WHERE state = 'pending'"
                              " AND (attempts > 0 OR kind = 'immediate') AND next_attempt_at > ?", [now, now])
        return cur.rowcount

    def release_held(self, now: str) -> int:
        """Immediate deliveries held for a collaborator's page (a route's ``hold``) become due now."""
        cur = self.db.execute("UPDATE deliveries SET next_attempt_at = ? WHERE state = 'pending' AND attempts = 0"
                              " AND kind = 'immediate' AND next_attempt_at > ?", [now, now])
        return cur.rowcount

    def requeue(self, delivery_id: str, now: str) -> None:
        """failed -> pending, due now, with a fresh attempt budget."""
        self.db.execute("UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?"
                        " WHERE id = ? AND state = 'failed'", [now, delivery_id])
