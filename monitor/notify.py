"""Delivering alerts: routes and schedules, a transactional outbox, and a retrying dispatcher.

Why an outbox. A monitor that saves the new snapshot and then sends the alert loses the alert
when the send fails (the next run diffs against the saved snapshot and sees nothing new). Here
the pipeline calls ``outbox_hook`` inside the check's own transaction, so the snapshot, its events
and the pending deliveries that will announce them commit together or not at all. Sending happens
later, in ``deliver_due``, as many times as needed.

The delivery unit (table ``deliveries``, events attached in ``delivery_events``; both kept by
``outbox.Outbox``):

* immediate routes: one delivery per (channel, check of one source), grouping that check's
  events. A check is the natural unit of "what changed on this page"; it keeps a message about
  one researcher, and one bad payload never holds back the others.
* daily/weekly routes: one digest per (channel, slot). An event joins the *open* digest for the
  next slot (created if there is none); open means pending and never attempted. At the slot the
  digest becomes due; its first attempt seals it, so its content never changes afterwards.
* an event that several routes send to the same channel goes there once, by the earliest
  schedule (immediate beats a digest).
* one paper on several pages (``shared``): an event about a paper that an unsent immediate delivery
  on the same channel already announces from another page joins that delivery, so the message names
  both pages. An immediate route's ``hold`` keeps its deliveries unsent (due later) to give a
  collaborator's page checked meanwhile that chance; ``monitor run`` releases them at the end of its
  pass (``release_held``).

Each delivery gets a random UUID when it is created; it is stored once and never recomputed. It is
the webhook's ``Idempotency-Key`` and payload ``id`` and the email's ``Message-ID`` (see
``channels.message_id``), and the content is rebuilt from the same stored rows on every attempt,
so one id always means one content. (A hash of the event ids would not do: ids restart in a new
database, and a receiver would drop genuinely new alerts as duplicates.)

State machine, each transition one SQL transaction:
``pending --claim--> sending --accepted--> delivered``; ``sending --error--> pending`` (with
``next_attempt_at`` = now + exponential backoff or the server's Retry-After) or ``failed`` (a
permanent error, or ``max_attempts`` reached); ``failed --monitor retry--> pending``.
Claiming bumps ``attempts`` and sets a lease (``lease_until``), so two dispatchers never send the
same delivery at once and a dispatcher that died mid-send is noticed once the lease expires.

A channel with several targets (an apprise channel with several URLs) may reach some and fail on
others: the targets reached are kept with the delivery (``reached``, fingerprints) and a retry goes
only to the rest.

Exactly once, as far as the receiver can tell: a delivered row is never sent again (a restart only
looks at pending rows and expired leases). The one window left is a crash after the server accepted
a message but before ``delivered`` was committed: the lease expires and the *same* id is sent
again, which receivers drop (the webhook's Idempotency-Key, the email's Message-ID). At-least-once
sending plus a stable id is the exactly-once effect; a new id for the same content is never made.
Chat services (apprise) take no id: there the id is only shown, on the message's last line.

Secrets stay in the environment: channels keep variable names, and every error text stored or
printed goes through ``redact``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .channels import CHANNEL_TYPES, Channel, Notice, SendError, parse_channels
from .config import Config, parse_interval
from .errors import ConfigError, DeliveryError
from .models import ALERT_TYPES, EVENT_TYPES, Source
from .outbox import Outbox

if TYPE_CHECKING:
    from .store import Store

log = logging.getLogger(__name__)

ROUTE_KEYS = {"channel", "sources", "events", "schedule", "timezone", "hold"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LEASE = 600.0  # seconds a claimed delivery belongs to its dispatcher (longer than any send)
_SCHEDULE = re.compile(r"(?:(daily)|weekly\s+([a-z]+))\s+(\d{1,2}):(\d{2})")


# ---------------------------------------------------------------- time

def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(when: dt.datetime) -> str:
    """The one timestamp format of the deliveries table (so text comparison is time comparison)."""
    return when.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


# ---------------------------------------------------------------- schedules and routes

@dataclass(frozen=True)
class Schedule:
    """``immediate``, ``daily HH:MM`` or ``weekly <day> HH:MM``, in a time zone (local by default)."""

    text: str = "immediate"
    hour: int = 0
    minute: int = 0
    weekday: int | None = None  # 0 = Monday; None with a time = daily
    tz: str | None = None

    @property
    def immediate(self) -> bool:
        return self.text == "immediate"

    def next_slot(self, now: dt.datetime) -> dt.datetime | None:
        """The first slot strictly after ``now`` (UTC), or None for immediate."""
        if self.immediate:
            return None
        zone = ZoneInfo(self.tz) if self.tz else None
        local = now.astimezone(zone) if zone else now.astimezone().replace(tzinfo=None)
        slot = local.replace(hour=self.hour, minute=self.minute, second=0, microsecond=0)
        step = dt.timedelta(days=1)
        if self.weekday is not None:
            slot += dt.timedelta(days=(self.weekday - slot.weekday()) % 7)
            step = dt.timedelta(days=7)
        while slot <= local:
            slot += step
        # a naive slot is local wall-clock time; astimezone() applies the DST rule of that date
        return slot.astimezone(dt.timezone.utc)


def parse_schedule(value: Any, tz: str | None = None) -> Schedule:
    text = " ".join(str(value).lower().split()) if value is not None else "immediate"
    if text == "immediate":
        return Schedule()
    m = _SCHEDULE.fullmatch(text)
    day = m.group(2)[:3] if m and m.group(2) else None
    if not m or (day is not None and day not in WEEKDAYS) or int(m.group(3)) > 23 or int(m.group(4)) > 59:
        raise ValueError(f"bad schedule {value!r} (use immediate, 'daily HH:MM' or 'weekly mon HH:MM')")
    return Schedule(text=text, hour=int(m.group(3)), minute=int(m.group(4)),
                    weekday=WEEKDAYS.index(day) if day else None, tz=tz)


@dataclass(frozen=True)
class Route:
    channel: str
    sources: tuple[str, ...] | None = None  # names or tags; None = all
    events: tuple[str, ...] | None = None  # event types; None = every alert-worthy event
    schedule: Schedule = Schedule()
    hold: float = 0.0  # immediate routes: seconds to wait for the same paper on a collaborator's page

    def matches(self, source: Source, event_type: str, alert: bool) -> bool:
        if self.sources is not None and source.name not in self.sources \
                and not set(source.tags) & set(self.sources):
            return False
        if self.events is None:
            return alert
        # listed alert types still skip their minor variants (a changed link list is not news);
        # listed non-alert types (removals, profile changes) are an explicit opt-in
        return event_type in self.events and (alert or event_type not in ALERT_TYPES)


@dataclass
class Settings:
    channels: dict[str, Channel]
    routes: list[Route]

    def secret_values(self) -> list[str]:
        return [v for ch in self.channels.values() for v in ch.secret_values()]


def _route(entry: Any, index: int, config: Config, channels: dict[str, Channel]) -> Route:
    where = f"{config.path}: routes[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each route must be a mapping with at least 'channel'")
    unknown = set(entry) - ROUTE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(ROUTE_KEYS))})")
    name = entry.get("channel")
    if name not in channels:
        known = ", ".join(channels) or "none configured"
        what = "'channel' is required" if name is None else f"unknown channel {name!r}"
        raise ConfigError(f"{where}: {what} (channels: {known})")
    where = f"{config.path}: routes[{index}] (channel {name!r})"
    schedule = _route_schedule(entry, where)
    return Route(channel=name, sources=_route_sources(entry.get("sources", "all"), where, config),
                 events=_route_events(entry.get("events"), where), schedule=schedule,
                 hold=_route_hold(entry.get("hold"), schedule, where))


def _route_sources(value: Any, where: str, config: Config) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: 'sources' must be 'all' or a list of source names or tags")
    known = {s.name for s in config.sources} | {t for s in config.sources for t in s.tags}
    for v in value:
        if v not in known:
            raise ConfigError(f"{where}: sources: {v!r} is neither a source name nor a tag")
    return tuple(value)


def _route_events(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if value == "all":
        return EVENT_TYPES
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: 'events' must be a list of event types")
    for v in value:
        if v not in EVENT_TYPES:
            raise ConfigError(f"{where}: unknown event type {v!r} (one of: {', '.join(EVENT_TYPES)})")
    return tuple(value)


def _route_hold(value: Any, schedule: Schedule, where: str) -> float:
    """How long an immediate alert waits for the same paper on another watched page (0: not at all)."""
    if value is None:
        return 0.0
    if not schedule.immediate:
        raise ConfigError(f"{where}: 'hold' is for immediate routes (a digest already gathers a whole day or week)")
    if value == 0 or str(value).strip() == "0":
        return 0.0
    try:
        return float(parse_interval(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: hold: {exc}") from None


def _route_schedule(entry: dict[str, Any], where: str) -> Schedule:
    tz = entry.get("timezone")
    if tz is not None:
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{where}: unknown timezone {tz!r} (an IANA name like Europe/Paris)") from None
    try:
        return parse_schedule(entry.get("schedule", "immediate"), str(tz) if tz else None)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def delivery_settings(config: Config) -> Settings:
    """Channels and routes, validated; without routes every channel gets every alert at once."""
    channels = parse_channels(config.channels or {}, config.path)
    routes = [_route(r, i, config, channels) for i, r in enumerate(config.routes or [])]
    if not config.routes:
        routes = [Route(channel=name) for name in channels]
    return Settings(channels, routes)


def validate_delivery(config: Config) -> None:
    """Called by ``parse_config``: a bad channel or route stops the run before anything is stored."""
    delivery_settings(config)


def redact(text: str | None, secrets: list[str]) -> str | None:
    """Mask any secret value that an error message might echo back."""
    if text is None:
        return None
    for value in secrets:
        if len(value) >= 3:
            text = text.replace(value, "***")
    return text


# ---------------------------------------------------------------- the outbox

def outbox_hook(config: Config, *, clock: Callable[[], dt.datetime] = utcnow
                ) -> Callable[[Store, Source, list[int]], None] | None:
    """The pipeline's outbox hook, or None when no channel is configured."""
    settings = delivery_settings(config)
    if not settings.channels:
        return None

    def hook(store: Store, source: Source, event_ids: list[int]) -> None:
        enqueue(store, settings, source, event_ids, clock())

    return hook


def enqueue(store: Store, settings: Settings, source: Source, event_ids: list[int], now: dt.datetime) -> list[str]:
    """Add the deliveries for one check's events. Runs inside the caller's transaction: rows only, no sending."""
    if not event_ids:
        return []
    rows = store.event_types(event_ids)
    plan: dict[tuple[str, str | None, str, float], list[int]] = {}
    for event_id, event_type, alert in rows:
        for channel in settings.channels:
            best: tuple[dt.datetime | None, str, float] | None = None
            for route in settings.routes:
                if route.channel != channel or not route.matches(source, event_type, bool(alert)):
                    continue
                slot = route.schedule.next_slot(now)
                if best is None or (best[0] is not None and (slot is None or slot < best[0])):
                    best = (slot, route.schedule.text, route.hold)
                elif slot is None and best[0] is None:
                    best = (None, best[1], min(best[2], route.hold))  # two immediate routes: the shorter hold
            if best is not None:
                key = (channel, iso(best[0]) if best[0] else None, best[1], best[2])
                plan.setdefault(key, []).append(event_id)
    outbox = Outbox(store)
    made = []
    for (channel, slot, schedule, hold), ids in plan.items():
        if slot is None:
            ids = _join_open(outbox, channel, ids)
            if not ids:
                continue
        delivery_id = outbox.open_digest(channel, slot) if slot else None
        if delivery_id is None:
            delivery_id = str(uuid.uuid4())
            outbox.add(delivery_id, channel=channel, kind="digest" if slot else "immediate", schedule=schedule,
                       slot=slot, source_id=None if slot else store.source_id(source.name),
                       next_attempt_at=slot or iso(now + dt.timedelta(seconds=hold)), created_at=iso(now))
            made.append(delivery_id)
        for event_id in ids:
            outbox.attach(delivery_id, event_id)
    return made


def _join_open(outbox: Outbox, channel: str, event_ids: list[int]) -> list[int]:
    """Attach each event about a paper that another page's unsent immediate delivery on this channel
    already announces to that delivery (one message naming both pages); returns the other events."""
    from .shared import MERGED_TYPES, same_change  # rapidfuzz: loaded when an alert is enqueued, not to read the config

    rows = [r for r in outbox.event_rows(event_ids) if r["type"] in MERGED_TYPES]
    if not rows:
        return event_ids
    waiting = outbox.open_immediate(channel)
    joined: set[int] = set()
    for row in rows:
        match = next((w for w in waiting if w["source"] != row["source"] and same_change(w, row)), None)
        if match is not None:
            outbox.attach(match["delivery_id"], row["id"])
            joined.add(row["id"])
    return [i for i in event_ids if i not in joined]


# ---------------------------------------------------------------- the dispatcher

@dataclass
class DispatchReport:
    """What one pass of the dispatcher did, one line per delivery attempted."""

    delivered: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # not tried: their channel just failed in this pass
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{len(self.delivered)} delivered, {len(self.retrying)} to retry, {len(self.failed)} failed"
        return text + (f", {len(self.deferred)} deferred" if self.deferred else "")


async def deliver_due(config: Config, store: Store, *, now: dt.datetime | None = None,
                      until: Callable[[], bool] | None = None) -> DispatchReport:
    """Send every delivery that is due (pending and past next_attempt_at, or with an expired lease).

    ``until``: asked before each send; when it turns true (the daemon is stopping) the rest wait, still
    pending, for the next pass, instead of being cut off in the middle of a send.
    """
    import asyncio  # here, not at the top: `monitor notices` and `sources` never send

    settings = delivery_settings(config)
    now = now or utcnow()
    report = DispatchReport()
    due = Outbox(store).due(iso(now))
    by_channel: dict[str, list[str]] = {}
    for row in due:
        by_channel.setdefault(row["channel"], []).append(row["id"])
    await asyncio.gather(*(_drain(store, settings, name, ids, now, report, until)
                           for name, ids in by_channel.items()))
    return report


async def _drain(store: Store, settings: Settings, name: str, ids: list[str], now: dt.datetime,
                 report: DispatchReport, until: Callable[[], bool] | None = None) -> None:
    """One channel's due deliveries in order; after a transient failure the rest wait for next time."""
    channel = settings.channels.get(name)
    for i, delivery_id in enumerate(ids):
        if until is not None and until():
            return
        if channel is None:
            _finish(store, delivery_id, now, error=f"channel {name!r} is no longer configured", final=True)
            report.failed.append(delivery_id)
            report.lines.append(f"{name}: {delivery_id[:8]} failed: channel {name!r} is no longer configured")
            continue
        notice = _claim(store, delivery_id, name, now)
        if notice is None:  # another dispatcher took it
            continue
        try:
            answer = await channel.send(notice)
        except Exception as exc:  # a bug in one channel must not strand the row in 'sending'
            if not isinstance(exc, SendError):
                exc = SendError(f"{type(exc).__name__}: {exc}", retry=True)
            transient = _failed(store, settings, channel, notice, exc, now, report)
            if transient:
                report.deferred += ids[i + 1:]
                return
            continue
        answer = redact(answer, settings.secret_values()) or ""
        _finish(store, delivery_id, now, answer=answer)
        report.delivered.append(delivery_id)
        report.lines.append(f"{name}: {delivery_id[:8]} delivered ({len(notice.rows)} events): {answer}")
        log.info("delivered %s to %s: %s", delivery_id, name, answer)


def _failed(store: Store, settings: Settings, channel: Channel, notice: Notice, exc: SendError,
            now: dt.datetime, report: DispatchReport) -> bool:
    """Record a failed attempt; returns True when it will be retried (the channel looks down)."""
    error = redact(str(exc), settings.secret_values()) or "error"
    attempts = Outbox(store).attempts(notice.id)
    final = not exc.retry or attempts >= channel.max_attempts
    wait = exc.retry_after if exc.retry_after is not None else channel.backoff(attempts)
    wait = min(wait, max(channel.retry_max, 86400.0))
    _finish(store, notice.id, now, error=error, final=final, retry_at=now + dt.timedelta(seconds=wait),
            reached=exc.reached)
    short = notice.id[:8]
    if final:
        why = "" if not exc.retry else f" after {attempts} attempts"
        report.failed.append(notice.id)
        report.lines.append(f"{channel.name}: {short} failed{why}: {error}")
        log.warning("delivery %s to %s failed%s: %s", notice.id, channel.name, why, error)
        return False
    report.retrying.append(notice.id)
    report.lines.append(f"{channel.name}: {short} attempt {attempts} failed, retry in {int(wait)}s: {error}")
    log.warning("delivery %s to %s: attempt %d failed: %s", notice.id, channel.name, attempts, error)
    return True


def _claim(store: Store, delivery_id: str, channel: str, now: dt.datetime) -> Notice | None:
    """pending (or an expired lease) -> sending, and the content to send, in one transaction."""
    lease = iso(now + dt.timedelta(seconds=LEASE))
    with store.transaction():
        if not Outbox(store).claim(delivery_id, iso(now), lease):
            return None
        return load_notice(store, delivery_id)


def _finish(store: Store, delivery_id: str, now: dt.datetime, *, answer: str | None = None,
            error: str | None = None, final: bool = False, retry_at: dt.datetime | None = None,
            reached: list[str] | None = None) -> None:
    """sending -> delivered | pending | failed, in one transaction (with the targets a partial attempt reached)."""
    outbox = Outbox(store)
    with store.transaction():
        if reached:
            outbox.add_reached(delivery_id, reached)
        if error is None:
            outbox.mark_delivered(delivery_id, iso(now), answer)
        elif final:
            outbox.mark_failed(delivery_id, error)
        else:
            outbox.mark_retry(delivery_id, error, iso(retry_at or now))


def load_notice(store: Store, delivery_id: str) -> Notice:
    """A delivery with its events, each with its source's name and URL, and the same new papers other
    watched pages listed shortly before (so the alert names them too; see ``shared``)."""
    from .shared import earliest

    outbox = Outbox(store)
    d = outbox.delivery(delivery_id)
    rows = outbox.events(delivery_id)
    since = earliest(rows)
    earlier: list[dict[str, Any]] = []
    if since is not None:
        own = {r["id"] for r in rows}
        earlier = [e for e in outbox.earlier_papers(since, max(own)) if e["id"] not in own]
    return Notice(id=d["id"], channel=d["channel"], kind=d["kind"], schedule=d["schedule"],
                  created_at=d["created_at"], rows=rows, earlier=earlier,
                  reached=frozenset(json.loads(d.get("reached") or "[]")))


# ---------------------------------------------------------------- commands: notices, retry, test

def notices(store: Store, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Deliveries, newest first, with their event count and the researchers they concern."""
    return Outbox(store).listing(state, limit)


def release_held(store: Store, *, now: dt.datetime | None = None) -> int:
    """At the end of a ``monitor run`` pass every page it will check is checked: nothing is worth holding."""
    with store.transaction():
        return Outbox(store).release_held(iso(now or utcnow()))


def retry_waiting(store: Store, *, now: dt.datetime | None = None) -> int:
    """Make the deliveries that wait out a retry backoff due now (after the mail server is fixed, say)."""
    with store.transaction():
        return Outbox(store).hasten(iso(now or utcnow()))


def retry_failed(store: Store, delivery_id: str | None = None, *, now: dt.datetime | None = None) -> list[str]:
    """Requeue failed deliveries (one by id or unique id prefix, or all) with a fresh attempt budget."""
    now = now or utcnow()
    outbox = Outbox(store)
    with store.transaction():
        if delivery_id is None:
            ids = outbox.failed_ids()
        else:
            prefix = delivery_id.strip().lower()
            matches = outbox.with_prefix(prefix) if prefix else []
            if not matches:
                raise DeliveryError(f"no delivery with id {delivery_id!r} (see `monitor notices`)")
            if len(matches) > 1:
                raise DeliveryError(f"id {delivery_id!r} is ambiguous: {len(matches)} deliveries start with it")
            if matches[0][1] != "failed":
                raise DeliveryError(f"delivery {matches[0][0]} is {matches[0][1]}, not failed")
            ids = [matches[0][0]]
        for i in ids:
            outbox.requeue(i, iso(now))
    return ids


async def send_test(config: Config, channel_name: str) -> str:
    """Send a test message now (nothing is stored); returns the server's answer or raises SendError."""
    settings = delivery_settings(config)
    channel = settings.channels.get(channel_name)
    if channel is None:
        known = ", ".join(settings.channels) or "none configured"
        raise ConfigError(f"{config.path}: no channel named {channel_name!r} (channels: {known})")
    notice = Notice(id=str(uuid.uuid4()), channel=channel_name, kind="test", schedule="immediate",
                    created_at=iso(utcnow()))
    try:
        return redact(await channel.send(notice), settings.secret_values()) or ""
    except SendError as exc:
        raise SendError(redact(str(exc), settings.secret_values()) or "error", retry=exc.retry) from None


__all__ = ["CHANNEL_TYPES", "DispatchReport", "Route", "Schedule", "Settings", "deliver_due", "delivery_settings",
           "enqueue", "load_notice", "notices", "outbox_hook", "parse_schedule", "redact", "release_held", "retry_failed",
           "send_test", "validate_delivery"]
