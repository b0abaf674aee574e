"""The long-running monitor: each source checked on its own schedule by the real pipeline.

An APScheduler 3.x ``AsyncIOScheduler`` fires one job per source (``every`` or ``cron`` from
sources.yaml). Nothing is persisted besides what the pipeline writes: after a restart the schedule
is derived from ``sources.last_check_at``, so a source that missed its slot (or many slots) while
the daemon was down is checked once, soon, and the others keep their rhythm.

Jobs are spread out (a random first-run offset and a jitter on every run) so that a restart or a
thousand sources never fire at once, and a per-host gate keeps ``politeness`` seconds between two
requests to the same host whichever sources they belong to.

Signals: SIGHUP reloads sources.yaml (a malformed file is reported and the running configuration
kept); SIGTERM or SIGINT stop taking new work and give in-flight checks ``grace`` seconds to finish
(a second signal stops at once). A check cut short is simply redone at the next start: the pipeline
writes each check in one transaction, so the database never holds half of one.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import math
import os
import random
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .config import Config
from .dbfaults import DATABASE_ERRORS, database_error
from .errors import ConfigError, DatabaseFault, MonitorError
from .fetch import Fetcher, user_agent
from .models import Source
from .notify import deliver_due, outbox_hook
from .pipeline import CheckResult, check_sources
from .lock import writer_lock
from .safe import redact_in
from .sources import config_cache, config_warnings, load_config
from .store import Store

log = logging.getLogger("monitor.daemon")

UTC = dt.timezone.utc
STARTUP_SPREAD = 60.0  # seconds: overdue sources are checked within min(interval, this) of a start
JITTER_FRACTION = 0.1  # each run is delayed by up to this share of the interval...
JITTER_CAP = 300.0  # ...but never by more than five minutes
FETCHER_MAX_AGE = 24 * 3600.0  # a fresh Fetcher daily, so robots.txt rules are read again
CANCEL_WAIT = 5.0  # seconds a cancelled check gets to unwind after the grace period
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_URL_SECRETS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^/\s@\"']*@)?(?P<rest>[^\s?#\"']*)"
                          r"(?P<query>[?#][^\s\"']*)?")


# ---------------------------------------------------------------- schedules

def crontab_trigger(expr: str, *, jitter: float | None = None) -> BaseTrigger:
    """A trigger that reads a crontab line as cron does, which ``CronTrigger.from_crontab`` does not quite.

    APScheduler 3.x counts weekday 0 as Monday (its docs call this a historical mistake), so
    ``0 8 * * 1`` would fire on Tuesdays: the weekday field is rewritten with day names, which both
    read the same way. And when both day of month and weekday are restricted, cron fires on either
    (``0 8 1 * mon``: the 1st and every Monday) where a CronTrigger wants both: that case becomes an
    OrTrigger of the two. Times are local, as with cron. ValueError for an unreadable expression.
    """
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"bad cron expression {expr!r}: five fields (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    weekdays = _crontab_weekdays(weekday)
    if day not in ("*", "?") and weekdays != "*":
        return OrTrigger([CronTrigger(minute=minute, hour=hour, day=day, month=month),
                          CronTrigger(minute=minute, hour=hour, month=month, day_of_week=weekdays)], jitter=jitter)
    return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekdays, jitter=jitter)


def _crontab_weekdays(field: str) -> str:
    """A crontab weekday field (numbers 0-7, names, ranges, lists, steps) as a list of day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.lower().split(","):
        span, _, step_text = part.partition("/")
        if step_text and (not step_text.isdigit() or int(step_text) == 0):
            raise ValueError(f"bad step in weekday field {field!r}")
        step = int(step_text) if step_text else 1
        if span == "*":
            low, high = 0, 6
        elif "-" in span:
            first, last = span.split("-", 1)
            low, high = _weekday(first), _weekday(last)
            if last == "sun":  # "mon-sun": Sunday as the end of the week (7)
                high = 7
        else:
            low = _weekday(span)
            high = 6 if step_text else low
        if low > high:
            raise ValueError(f"bad range in weekday field {field!r}")
        days.update(d % 7 for d in range(low, high + 1, step))
    return ",".join(_WEEKDAYS[d] for d in sorted(days))


def _weekday(token: str) -> int:
    if token.isdigit() and int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(f"bad day of week {token!r}")


def jitter_for(period: float) -> float:
    """How much later than its slot a run may start: a tenth of the period, at most five minutes."""
    return min(period * JITTER_FRACTION, JITTER_CAP)


def make_trigger(source: Source) -> BaseTrigger:
    """The source's trigger, jittered: its cron expression if it has one, else its interval."""
    if source.cron:
        return crontab_trigger(source.cron, jitter=jitter_for(cron_period(crontab_trigger(source.cron))))
    return IntervalTrigger(seconds=source.every, timezone=UTC, jitter=jitter_for(source.every))


def make_triggers(config: Config) -> dict[str, BaseTrigger]:
    """Every source's trigger, or a ConfigError naming the source whose cron expression is unreadable."""
    triggers = {}
    for source in config.sources:
        try:
            triggers[source.name] = make_trigger(source)
        except ValueError as exc:
            raise ConfigError(f"{config.path}: source {source.name!r}: {exc}") from None
    return triggers


def cron_period(trigger: BaseTrigger, now: dt.datetime | None = None) -> float:
    """Seconds between the next two slots of a trigger (what 'its interval' means for a cron source)."""
    now = now or dt.datetime.now(UTC)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    if first is None or second is None:
        return 86400.0
    return max(1.0, (second - first).total_seconds())


def plan_first_run(source: Source, last_check: dt.datetime | None, now: dt.datetime, *,
                   spread: float = STARTUP_SPREAD, rng: random.Random | None = None) -> dt.datetime | None:
    """When the first check after a (re)start is due; None to let the trigger pick its next slot.

    A source never checked, or whose last check is older than its interval (for cron: a slot passed
    since), is due now, once, at a random offset within min(interval, ``spread``) so that a restart
    does not fire everything at once. Any other source keeps its rhythm: last check + interval.
    """
    rng = rng or random.Random()
    if source.cron:
        trigger = crontab_trigger(source.cron)
        period = cron_period(trigger, now)
        slot = trigger.get_next_fire_time(None, last_check + dt.timedelta(seconds=1)) if last_check else None
        if last_check is not None and (slot is None or slot > now):
            return None
    else:
        period = float(source.every)
        due = last_check + dt.timedelta(seconds=period) if last_check else None
        if due is not None and due > now:
            return due + dt.timedelta(seconds=rng.uniform(0, jitter_for(period)))
    return now + dt.timedelta(seconds=rng.uniform(0, min(period, spread)))


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------- politeness and sharing

def host_of(url: str) -> str | None:
    """The host a source's requests go to; None for a local file (nobody to be polite to)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower() or None


class HostGate:
    """One check at a time per host, and ``delay`` seconds from the end of one to the start of the next.

    The Fetcher's per-host limit caps parallel requests within a run; this gate is about time, and
    holds across sources: twenty researchers on one university server are checked one by one.
    Different hosts never wait for each other. A turn lasts at most ``hold`` seconds (the request
    timeout): a source whose server hangs, and whose check goes on retrying, gives the host back
    then, so it never holds up the other sources of its host longer than one request may take.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @contextlib.asynccontextmanager
    async def turn(self, host: str | None, delay: float, hold: float | None = None) -> AsyncIterator[None]:
        if host is None:
            yield
            return
        lock = self._locks.setdefault(host, asyncio.Lock())
        await lock.acquire()
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if not given_back:
                given_back = True
                self._last[host] = time.monotonic()
                lock.release()

        timer: asyncio.TimerHandle | None = None
        try:
            wait = self._last.get(host, -math.inf) + delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if hold is not None:
                timer = asyncio.get_running_loop().call_later(hold, give_back)
            yield
        finally:
            if timer is not None:
                timer.cancel()
            give_back()

    def forget(self, hosts: set[str]) -> None:
        """Drop the state of hosts no source uses any more (unless a check holds their lock)."""
        for host in list(self._locks):
            if host not in hosts and not self._locks[host].locked():
                del self._locks[host]
                self._last.pop(host, None)


def _fetcher_settings(config: Config) -> tuple[str, int, int, float, int]:
    return (user_agent(config.user_agent_contact), config.concurrency, config.per_host, config.timeout,
            config.max_bytes)


class FetcherPool:
    """The one Fetcher all checks share (its connection pool and robots.txt cache pay off only when shared).

    It is replaced when a reload changes its settings, and once a day so robots.txt is read again;
    the old one is closed when the last check using it is done.
    """

    def __init__(self, max_age: float = FETCHER_MAX_AGE) -> None:
        self.max_age = max_age
        self._current: Fetcher | None = None
        self._settings: tuple[str, int, int, float, int] | None = None
        self._born = 0.0
        self._users: dict[Fetcher, int] = {}

    async def configure(self, config: Config) -> None:
        """Use a Fetcher with these settings (a new one only when they changed)."""
        settings = _fetcher_settings(config)
        if self._current is None or settings != self._settings:
            await self._replace(settings)

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[Fetcher]:
        if self._settings is None:
            raise RuntimeError("FetcherPool.use() before configure()")
        if self._current is None or time.monotonic() - self._born > self.max_age:
            await self._replace(self._settings)
        fetcher = self._current
        assert fetcher is not None
        self._users[fetcher] += 1
        try:
            yield fetcher
        finally:
            self._users[fetcher] -= 1
            if fetcher is not self._current and self._users[fetcher] == 0:
                await self._close(fetcher)

    async def close(self) -> None:
        for fetcher in list(self._users):
            await self._close(fetcher)
        self._current = None

    async def _replace(self, settings: tuple[str, int, int, float, int]) -> None:
        agent, concurrency, per_host, timeout, max_bytes = settings
        fetcher = Fetcher(user_agent=agent, concurrency=concurrency, per_host=per_host, timeout=timeout,
                          max_bytes=max_bytes, decode=False)  # bodies are decoded in the extraction worker
        await fetcher.__aenter__()
        old, self._current, self._settings, self._born = self._current, fetcher, settings, time.monotonic()
        self._users[fetcher] = 0
        if old is not None and self._users.get(old) == 0:
            await self._close(old)

    async def _close(self, fetcher: Fetcher) -> None:
        self._users.pop(fetcher, None)
        with contextlib.suppress(Exception):
            await fetcher.__aexit__(None, None, None)


# ---------------------------------------------------------------- logging helpers

def redact(text: str) -> str:
    """Drop credentials and query strings from any URL in a message (tokens hide there)."""
    def one(m: re.Match[str]) -> str:
        return m.group("scheme") + m.group("rest") + ("?…" if m.group("query") else "")

    return _URL_SECRETS.sub(one, " ".join(str(text).split()))


def _q(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


@dataclass
class Counts:
    checks: int = 0
    failed: int = 0
    events: int = 0
    deliveries: int = 0

    def text(self) -> str:
        return (f"checks={self.checks} failed={self.failed} events={self.events} "
                f"deliveries={self.deliveries}")


# ---------------------------------------------------------------- the daemon

class Daemon:
    """Schedules the checks, runs them through the pipeline, and handles reloads and shutdown."""

    def __init__(self, config_path: str, config: Config, store: Store, *, grace: float = 30.0,
                 summary_every: float = 60.0, deliver_every: float = 60.0,
                 startup_spread: float = STARTUP_SPREAD) -> None:
        self.config_path = config_path
        self.config = config
        self.store = store
        self.grace = grace
        self.summary_every = summary_every
        self.deliver_every = deliver_every
        self.startup_spread = startup_spread
        self.triggers = make_triggers(config)
        self.sources = {s.name: s for s in config.enabled_sources}  # what is scheduled: paused ones are not
        self.ids: dict[str, int] = {}  # source name -> id, synced at start and on every reload
        self.hook = outbox_hook(config)
        self.gate = HostGate()
        self.fetchers = FetcherPool()
        # coalesce: any number of missed slots make one run. max_instances: a source still being checked
        # (or waiting for its host) is not queued again. misfire_grace_time None: a late run (a busy loop)
        # still runs instead of waiting a whole interval; coalesce keeps it to one.
        self.scheduler = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                        "misfire_grace_time": None})
        self.period = Counts()
        self.total = Counts()
        self._slots = asyncio.Semaphore(config.concurrency)
        self._slots_limit = config.concurrency
        self._waiting: set[asyncio.Task[Any]] = set()
        self._running: set[asyncio.Task[Any]] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self._stopping = False
        self._reload_lock = asyncio.Lock()
        self._delivery: asyncio.Task[None] | None = None
        self._deliver_again = False
        self.fault: DatabaseFault | None = None  # a damaged database found while running: the exit message
        self._started = time.monotonic()

    # ------------------------------------------------------------ lifecycle

    async def serve(self) -> None:
        """Run until SIGTERM/SIGINT, then stop cleanly."""
        self._install_signals()
        try:
            await self.fetchers.configure(self.config)
            ids = self.ids = self.store.sync_sources(self.config.sources)
            self.scheduler.start(paused=True)
            now = dt.datetime.now(UTC)
            for source in self.sources.values():
                self._schedule(source, self._last_check(ids[source.name]), now)
            self.scheduler.add_job(self._deliver_job, IntervalTrigger(seconds=self.deliver_every, timezone=UTC),
                                   id="daemon:deliver", name="delivery", next_run_time=now)
            self.scheduler.add_job(self._summary_job,
                                   IntervalTrigger(seconds=self.summary_every * 60, timezone=UTC),
                                   id="daemon:summary", name="summary")
            if not self._stopping:
                self.scheduler.resume()
            log.info("started: pid=%d sources=%d paused=%d config=%s delivery=%s", os.getpid(), len(self.sources),
                     len(self.config.sources) - len(self.sources), self.config_path,
                     "on" if self.hook else "off (no channels)")
            await self._stop.wait()
            await self._shutdown()
        finally:
            await self.fetchers.close()

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        handlers: list[tuple[int, Callable[[], None]]] = [(signal.SIGTERM, self.request_stop),
                                                           (signal.SIGINT, self.request_stop)]
        if hasattr(signal, "SIGHUP"):
            handlers.append((signal.SIGHUP, self.request_reload))
        for signum, handler in handlers:
            try:
                loop.add_signal_handler(signum, handler)
            except (NotImplementedError, RuntimeError):  # Windows: no loop signal handlers
                signal.signal(signum, lambda *_, h=handler: loop.call_soon_threadsafe(h))

    def request_stop(self) -> None:
        """First signal: no new work, in-flight checks get the grace period. Second: stop now."""
        if self._stopping:
            self._force.set()
            return
        self._stopping = True
        if self.scheduler.running:
            self.scheduler.pause()
        self._stop.set()

    def request_reload(self) -> None:
        if self._stopping:
            return
        if not self.scheduler.running:
            log.warning("reload ignored: still starting (send SIGHUP again once started)")
            return
        task = asyncio.get_running_loop().create_task(self.reload())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _shutdown(self) -> None:
        for task in self._waiting:
            task.cancel()
        busy = self._running | self._waiting | self._background
        log.info("stopping: in_flight=%d grace=%gs", len(self._running), self.grace)
        deadline = time.monotonic() + self.grace
        force = asyncio.ensure_future(self._force.wait())
        while busy and not self._force.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await asyncio.wait(busy | {force}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            busy = {t for t in busy if not t.done()}
        force.cancel()
        if busy:
            why = "second stop signal" if self._force.is_set() else "grace period over"
            log.warning("%s: abandoning in_flight=%d (redone at the next start)", why, len(busy))
            for task in busy:
                task.cancel()
            await asyncio.wait(busy, timeout=CANCEL_WAIT)
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs on the next loop iteration
        await self.fetchers.close()
        self.store.close()
        log.info("stopped cleanly after %s: %s", _duration(time.monotonic() - self._started), self.total.text())

    # ------------------------------------------------------------ scheduling

    def _last_check(self, source_id: int) -> dt.datetime | None:
        return _parse_time(self.store.source_row(source_id)["last_check_at"])

    def _schedule(self, source: Source, last_check: dt.datetime | None, now: dt.datetime) -> None:
        first = plan_first_run(source, last_check, now, spread=self.startup_spread)
        options: dict[str, Any] = {} if first is None else {"next_run_time": first}
        self.scheduler.add_job(self._check_job, self.triggers[source.name], args=[source.name],
                               id=_job_id(source.name), name=source.name, replace_existing=True, **options)

    async def reload(self) -> None:
        """Re-read sources.yaml; apply it whole, or keep the running configuration and say why."""
        async with self._reload_lock:
            try:
                config = load_config(self.config_path, config_cache(self.store.path))
                triggers = make_triggers(config)
                hook = outbox_hook(config)
                if self._stopping:
                    return
                ids = self.store.sync_sources(config.sources)
            except (DatabaseFault, *DATABASE_ERRORS) as exc:
                log.error("reload failed, keeping the running configuration: %s", self._database_fault(exc))
                return
            except Exception as exc:  # whatever is wrong with the new file, the running setup stays
                message = str(exc) if isinstance(exc, MonitorError) else f"{type(exc).__name__}: {exc}"
                log.error("reload failed, keeping the running configuration: %s", redact(message))
                return
            old = self.sources
            new = {s.name: s for s in config.enabled_sources}  # pausing one unschedules it, resuming reschedules
            added = [n for n in new if n not in old]
            removed = [n for n in old if n not in new]
            changed = [n for n in new if n in old and new[n] != old[n]]
            rescheduled = [n for n in changed if _schedule_key(new[n]) != _schedule_key(old[n])]
            self.config, self.sources, self.triggers, self.hook, self.ids = config, new, triggers, hook, ids
            for name in removed:
                with contextlib.suppress(Exception):
                    self.scheduler.remove_job(_job_id(name))
            now = dt.datetime.now(UTC)
            for name in added + rescheduled:
                last = None if name in old and new[name].url != old[name].url else self._last_check(ids[name])
                self._schedule(new[name], last, now)
            if self._slots_limit != config.concurrency:
                self._slots, self._slots_limit = asyncio.Semaphore(config.concurrency), config.concurrency
            self.gate.forget({h for s in config.sources if (h := host_of(s.url))})
            await self.fetchers.configure(config)
            log.info("reloaded %s: sources=%d paused=%d added=%d removed=%d changed=%d", self.config_path, len(new),
                     len(config.sources) - len(new), len(added), len(removed), len(changed))

    # ------------------------------------------------------------ jobs

    async def _check_job(self, name: str) -> None:
        """One scheduled check: wait for the host's turn and a free slot, then run the pipeline.

        While it waits it is only queued (cancelled at once on stop); once it runs it is in flight
        (given the grace period).
        """
        task = asyncio.current_task()
        if self._stopping or name not in self.sources or task is None:
            return
        self._waiting.add(task)
        try:
            host = host_of(self.sources[name].url)
            async with self.gate.turn(host, self.config.politeness, hold=self.config.timeout), self._slots:
                self._waiting.discard(task)
                source = self.sources.get(name)  # a reload may have changed or removed it meanwhile
                if source is None or self._stopping:
                    return
                self._running.add(task)
                found = await self._check(source)
            if found:
                self._send_soon()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            if task in self._running:
                log.warning("check source=%s abandoned at shutdown (redone at the next start)", _q(name))
        finally:
            self._waiting.discard(task)
            self._running.discard(task)

    async def _check(self, source: Source) -> bool:
        """Run one source's check; True when it produced events to deliver."""
        config, hook, ids = self.config, self.hook, self.ids
        started = time.monotonic()
        try:
            async with self.fetchers.use() as fetcher:
                [result] = await check_sources(config, self.store, [source], outbox=hook, fetcher=fetcher,
                                               ids=ids, spacing=config.politeness)
        except (DatabaseFault, *DATABASE_ERRORS) as exc:  # a full disk: this check is not stored, and redone
            fault = self._database_fault(exc)
            result = CheckResult(source=source.name, outcome="failed", duration=time.monotonic() - started,
                                 error=str(fault))
        except Exception as exc:  # a pipeline error costs this check, never the daemon
            result = CheckResult(source=source.name, outcome="failed", duration=time.monotonic() - started,
                                 error=redact_in(f"check crashed: {type(exc).__name__}: {exc}", source.url))
        self._count(result)
        return bool(result.event_ids)

    def _database_fault(self, exc: BaseException) -> DatabaseFault:
        """The database error in one line; a damaged database also stops the daemon (nothing more is
        written to it), with that line as its exit message."""
        fault = exc if isinstance(exc, DatabaseFault) else database_error(self.store.path, exc)
        if fault.problem == "damaged" and self.fault is None:
            self.fault = fault
            log.error("stopping: %s", fault)
            self.request_stop()
        return fault

    def _count(self, result: CheckResult) -> None:
        failed = result.outcome == "failed"
        for counts in (self.period, self.total):
            counts.checks += 1
            counts.failed += failed
            counts.events += len(result.events)
        line = (f"check source={_q(result.source)} outcome={result.outcome} status={result.status or '-'} "
                f"duration={result.duration:.2f}s events={len(result.events)}")
        if result.error:
            line += f" error={_q(redact(result.error))}"
        if result.page_errors:
            line += f" pages_failed={len(result.page_errors)}"  # which ones: `monitor sources` (no addresses here)
        log.log(logging.WARNING if failed else logging.INFO, line)

    async def _deliver_job(self) -> None:
        self._send_soon()

    def _send_soon(self) -> None:
        """Deliver what is due in a task of its own, never inside a check job: a slow channel holds up
        neither the next check of any source nor its host. One dispatcher at a time; a request that
        arrives meanwhile makes it pass once more."""
        if self._stopping:
            return
        if self._delivery is not None and not self._delivery.done():
            self._deliver_again = True
            return
        task = self._delivery = asyncio.get_running_loop().create_task(self._deliver())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver(self) -> None:
        while True:
            self._deliver_again = False
            try:
                report = await deliver_due(self.config, self.store, until=lambda: self._stopping)
            except (DatabaseFault, *DATABASE_ERRORS) as exc:
                log.error("delivery failed: %s", self._database_fault(exc))
            except Exception as exc:  # a channel that is down must not stop the checks
                log.error("delivery failed: %s: %s", type(exc).__name__, redact(str(exc)))
            else:
                self.period.deliveries += len(report.delivered)
                self.total.deliveries += len(report.delivered)
            if not self._deliver_again or self._stopping:
                break

    async def _summary_job(self) -> None:
        period, self.period = self.period, Counts()
        log.info("summary (last %s): %s sources=%d", _duration(self.summary_every * 60), period.text(),
                 len(self.sources))


def _job_id(name: str) -> str:
    return f"source:{name}"


def _schedule_key(source: Source) -> tuple[Any, ...]:
    return (source.url, source.every, source.cron)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}min"
    return f"{seconds / 3600:.1f}h"


def _setup_logging() -> None:
    """One line per record on stderr; third-party INFO chatter (httpx logs every URL) stays out."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s")
    for noisy in ("apscheduler", "httpx", "httpcore", "aiohttp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def run_daemon(config_path: str, db_path: str, *, grace: float = 30.0, summary_every: float = 60.0,
               deliver_every: float = 60.0, startup_spread: float = STARTUP_SPREAD) -> None:
    """Run the daemon until SIGTERM/SIGINT; returns (exit status 0) after a clean stop.

    A malformed sources.yaml or an unreadable cron expression raises ConfigError before anything
    runs; the CLI turns it into one line and exit status 2.
    """
    _setup_logging()
    config = load_config(config_path, config_cache(db_path))
    make_triggers(config)
    for warning in config_warnings(config):
        log.warning("%s", warning.removeprefix("warning: "))
    with writer_lock(db_path, "monitor daemon"):
        store = Store(db_path)
        try:
            asyncio.run(_serve(config_path, config, store, grace=grace, summary_every=summary_every,
                               deliver_every=deliver_every, startup_spread=startup_spread))
        finally:
            store.close()


async def _serve(config_path: str, config: Config, store: Store, **options: Any) -> None:
    """Build the daemon inside the running loop (its locks, events and Fetcher belong to it).

    A damaged database found while running stops the daemon cleanly, then exits with its one line.
    """
    daemon = Daemon(config_path, config, store, **options)
    await daemon.serve()
    if daemon.fault is not None:
        raise daemon.fault
