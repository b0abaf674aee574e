"""The ``monitor`` command: a thin shell over the pipeline, the store and the report formatting."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shlex
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Coroutine, NoReturn, TypeVar

import click

from . import __version__
from .config import FORMATS, Config, find_source, parse_interval, sources_tagged
from .dbfaults import DATABASE_ERRORS, database_error
from .errors import MonitorError
from .lock import holder, writer_lock
from .models import Event, Page, PageState, Source
from .overview import HISTORY_LIMIT, history_lines, overview_lines, source_history, source_overview
from .report import describe_event, event_json, group_by_source
from .safe import clean_text, redact_in, redact_url

T = TypeVar("T")

if TYPE_CHECKING:  # the commands import the rest where they use it, so a read-only command starts fast
    from .pipeline import CheckResult
    from .sitefetch import SiteRead
    from .store import Store


class Ctx:
    def __init__(self, config_path: str, db_path: str) -> None:
        self.config_path = config_path
        self.db_path = db_path

    def config(self, meanwhile: Callable[[], object] | None = None) -> Config:
        """The sources file, read (``meanwhile``: this process's work while a child parses a long one)."""
        from .sources import config_cache, load_config

        return load_config(self.config_path, config_cache(self.db_path), meanwhile=meanwhile)

    def store(self) -> Store:
        from .store import Store

        return Store(self.db_path)

    def reader(self) -> Store:
        """The database for a command that only reads: never created, never changed."""
        from .store import Store

        return Store(self.db_path, readonly=True)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


class Group(click.Group):
    """Turns every MonitorError (and every database failure) into one clear line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            _fail(str(exc))
        except DATABASE_ERRORS as exc:  # a full disk, a damaged file...: what it means, in one line
            _fail(str(database_error(ctx.obj.db_path if isinstance(ctx.obj, Ctx) else "the database", exc)))


@click.group(cls=Group)
@click.option("--config", "config_path", envvar="MONITOR_CONFIG", default="sources.yaml", show_default=True,
              help="The sources file (or MONITOR_CONFIG).")
@click.option("--db", "db_path", envvar="MONITOR_DB", default="db/monitor.db", show_default=True,
              help="The SQLite database (or MONITOR_DB).")
@click.version_option(__version__, prog_name="monitor")
@click.pass_context
def main(ctx: click.Context, config_path: str, db_path: str) -> None:
    """scholarwatch: watch researchers' homepages for new papers, news and career announcements."""
    ctx.obj = Ctx(config_path, db_path)


# ---------------------------------------------------------------- run

@main.command()
@click.option("--once", is_flag=True, help="Accepted for cron lines written that way: `run` always makes one pass.")
@click.option("--source", "names", multiple=True, help="Only these sources (repeatable).")
@click.pass_obj
def run(obj: Ctx, once: bool, names: tuple[str, ...]) -> None:
    """Check every source now, deliver what is due, and exit (one pass, for cron); `monitor daemon` keeps running.

    Exits 0 when the run completed (some sources may have failed: they are listed), 1 when every source
    checked failed, 2 on a configuration or database error.
    """
    from .sources import config_warnings

    fresh = not Path(obj.db_path).exists()
    if fresh:
        _warm_workers(1)
    config = obj.config(meanwhile=_load_run_modules)
    if fresh:
        _load_run_modules()  # (done already when a child parsed the sources: then nothing is left to import)
        _warm_workers()
    sources = [config.source(n) for n in names] if names else config.enabled_sources
    for s in sources:
        if not s.enabled:
            click.echo(f"warning: source {s.name!r} is paused (enabled: false), so it is not checked;"
                       f" `monitor resume {shlex.quote(s.name)}` lets it be checked again", err=True)
    if names and not any(s.enabled for s in sources):
        _fail("nothing to check: every source named is paused")
    sources = [s for s in sources if s.enabled]
    for warning in config_warnings(config):
        click.echo(warning, err=True)
    with writer_lock(obj.db_path, "monitor run --once"):
        _run_once(obj, config, sources)


def _warm_workers(count: int = 0) -> None:
    """A run with no database yet checks every source for the first time, and a first check always
    extracts: the extraction workers start before the first page is fetched instead of after it.
    ``count``: how many to have started (0: all). The run starts one first thing, which imports the
    extractor on the other core while this process reads the sources and imports the fetcher, and the
    others once those imports are done, while it creates the database and fetches the first pages:
    started all at once, they competed with those imports for the two cores of the development machine,
    and the first request left later (first runs of 1,000 pages, 18 alternating triples: all at once
    2.608 s on average, one then the other 2.576 s, both after the imports 2.582 s)."""
    from .worker import shared_pool

    pool = shared_pool()
    pool.warm(count or pool.size)


def _load_run_modules() -> None:
    """What a run imports anyway (the pipeline, the fetcher and its HTTP stack, the event loop): loaded
    while a child parses a long sources file, instead of after it."""
    from . import outbox, pipeline  # noqa: F401

    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop where it is installed: a run of unchanged pages is mostly event-loop and
    socket work, and uvloop does it for about three quarters of the CPU of asyncio's own loop
    (1,000 conditional GETs: 0.18 s against 0.23 to 0.27 s)."""
    try:
        import uvloop
    except ImportError:
        import asyncio

        return asyncio.run(main)
    return uvloop.run(main)


def _run_once(obj: Ctx, config: Config, sources: list[Source]) -> None:
    store = obj.store()
    tty = sys.stderr.isatty()
    done = [0]

    def progress(res: CheckResult) -> None:
        done[0] += 1
        if tty:
            click.echo(f"\r  checked {done[0]}/{len(sources)}: {res.source[:40]:<40}", err=True, nl=False)

    started = dt.datetime.now(dt.timezone.utc)
    try:
        results = _run_loop(_run_and_deliver(config, store, sources, progress))
    finally:
        store.close()  # now, not whenever the collector gets to it: closing folds the WAL into the file
    if tty:
        click.echo("\r" + " " * 60 + "\r", err=True, nl=False)
    click.echo(f"monitor run --once at {started:%Y-%m-%d %H:%M:%S} UTC ({obj.config_path})")
    _print_run_table(results)
    paused = [s.name for s in config.sources if not s.enabled]
    if paused:
        click.echo(f"{len(paused)} paused, not checked: {', '.join(paused)}")
    _print_changes(results)
    if results and all(r.outcome == "failed" for r in results):
        sys.exit(1)


async def _run_and_deliver(config: Config, store: Store, sources, progress) -> list[CheckResult]:
    from .heap import settle
    from .outbox import Outbox
    from .pipeline import check_sources

    # With no channel and nothing left to send, the delivery code is not even loaded (a tenth of the
    # start-up of a run that finds nothing new).
    delivering = bool(config.channels) or Outbox(store).unsent()
    hook = None
    if delivering:
        from .notify import outbox_hook

        hook = outbox_hook(config)
    settle()
    results = await check_sources(config, store, sources, on_result=progress, outbox=hook, batch=True)
    if delivering:
        from .notify import deliver_due, release_held

        release_held(store)  # the pass is over: no page it checks can join a held alert any more
        await deliver_due(config, store)
    return results


def _print_run_table(results: list[CheckResult]) -> None:
    rows = [("source", "outcome", "http", "papers", "news", "events")]
    for r in results:
        rows.append((r.source, r.outcome, str(r.status or "-"), "-" if r.papers is None else str(r.papers),
                     "-" if r.news is None else str(r.news), str(len(r.events))))
    widths = [min(40, max(len(row[i]) for row in rows)) for i in range(len(rows[0]))]
    # one write for the whole table: a line at a time is a flushed write per source
    click.echo("\n".join("  ".join(cell[:40].ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows))
    failed = [r for r in results if r.outcome == "failed"]
    suspect = [r for r in results if r.outcome == "suspect"]
    pages = sum(len(r.page_errors) for r in results)
    click.echo(f"\n{len(results)} checked, {len(failed)} failed, {len(suspect)} held as suspect, "
               f"{sum(len(r.events) for r in results)} new events"
               + (f", {pages} followed page{'s' if pages != 1 else ''} failed" if pages else ""))
    for r in failed + suspect:
        click.echo(f"  {r.source}: {r.error}")
    for r in results:  # a followed page that failed: the check went on with that page's last good copy
        for problem in r.page_errors:
            click.echo(f"  {r.source}: page {problem}")


def _print_changes(results: list[CheckResult]) -> None:
    """What a cron mail should say: every alert-worthy change, by source, in words."""
    lines: list[str] = []
    minor = 0
    for r in results:
        alerts = [e for e in r.events if e.alert]
        minor += len(r.events) - len(alerts)
        if alerts:
            lines.append(f"{r.source}:")
            lines += [f"  - {describe_event(_event_row(e))}" for e in alerts]
    click.echo("\nChanges:" if lines else "\nNo new changes.")
    for line in lines:
        click.echo(line)
    if minor:
        click.echo(f"(and {minor} minor change{'s' if minor != 1 else ''}: removals, link or author edits;"
                   " see `monitor diff --all`)")


def _event_row(e: Event) -> dict[str, Any]:
    return {"type": e.type, "title": e.title, "text": e.text, "field": e.field, "before": e.before,
            "after": e.after, "kind": e.kind, "data": e.data}


# ---------------------------------------------------------------- check

@main.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the extracted page as JSON.")
@click.option("--explain", is_flag=True, help="Show which pages were read and which section and rule produced each item.")
@click.option("--format", "fmt", type=click.Choice(["auto", "html", "markdown", "text"]), default=None,
              help="How to read the page (default: the source's format, else auto).")
@click.option("--selector", "tried", multiple=True, metavar="KIND=CSS",
              help="Try a selector (publications=CSS or news=CSS) in place of the source's; repeatable.")
@click.option("--no-follow", is_flag=True, help="Read the page alone, not the publication and news pages it links to.")
@click.pass_obj
def check(obj: Ctx, target: str, as_json: bool, explain: bool, fmt: str | None, tried: tuple[str, ...],
          no_follow: bool) -> None:
    """Fetch or read one page (a URL, a file, or the name of a source) with the pages of its site it links to as
    its publications or news, and print what is extracted (stores nothing). A source's name brings its format,
    selectors, request headers and pages along."""
    import asyncio
    from .fetch import Fetcher, user_agent
    from .merge import merge_pages
    from .sitefetch import read_site
    from .worker import shared_pool

    named = _named_source(obj, target)
    source = replace(named) if named else Source(name=target, url=target)
    selectors = dict(source.selectors)
    for item in tried:
        kind, _, css = item.partition("=")
        if kind not in ("publications", "news") or not css.strip():
            _fail(f"--selector {item!r}: use publications=CSS or news=CSS")
        selectors[kind] = css.strip()
    source.selectors, source.format = selectors, fmt or source.format
    if no_follow:
        source.follow, source.pages = "none", []
    url = source.url

    async def get() -> SiteRead:
        pool = shared_pool()
        async with Fetcher(user_agent=user_agent(None), respect_robots=True) as fetcher:
            return await read_site(source, fetcher, pool.extract, PageState(url=redact_url(url)), {}, explain=explain)

    site = asyncio.run(get())
    if not site.home.ok or site.home.text is None:
        _fail(f"{redact_url(url)}: {clean_text(redact_in(site.home.error, url)) or 'no content'}")
    if not isinstance(site.home_page, Page):
        _fail(f"{redact_url(target)}: extraction failed: {clean_text(str(site.home_page))}")
    reads = sorted((r for r in site.pages if r.page is not None), key=lambda r: r.key)
    page = merge_pages([(redact_url(url), site.home_page)] + [(r.key, r.page) for r in reads if r.page]).page \
        if reads else site.home_page
    pages = _pages_read(source, site)
    if as_json:
        data = page.to_json()
        data["pages"] = pages
        if explain:
            data["explain"] = {"sections": page.explain,
                               "items": [{"title": p.title, "section": p.section, "rule": p.rule,
                                          "page": p.found_on or redact_url(url)} for p in page.publications]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    prof = page.profile
    click.echo(f"{prof.name or target}" + (f": {prof.position}" if prof.position else "")
               + (f", {prof.affiliation}" if prof.affiliation else ""))
    click.echo(f"\n{len(page.publications)} publications")
    for p in page.publications:
        label = p.title or f"(untitled) {(p.text or '')[:80]}..."
        extra = ", ".join(x for x in (p.venue, str(p.year) if p.year and str(p.year) not in (p.venue or "") else None) if x)
        click.echo(f"  - {label}" + (f" ({extra})" if extra else ""))
        if explain:
            click.echo(f"      section: {p.section or '-'}; rule: {p.rule}"
                       + (f"; page: {p.found_on}" if reads and p.found_on else ""))
    click.echo(f"\n{len(page.news)} news items")
    for n in page.news:
        click.echo(f"  - {n.date + ': ' if n.date else ''}{n.text[:120]}")
    click.echo(f"\n{len(page.announcements)} announcements")
    for a in page.announcements:
        click.echo(f"  - [{a.kind}] {a.text}")
    if page.error_page:
        click.echo("\nwarning: this looks like an error page")
    if explain or len(pages) > 1:
        click.echo("\npages read:")
        for entry in pages:
            click.echo(f"  - {_page_line(entry)}")
    if explain:
        click.echo("\nsections considered:")
        shown = None
        for s in page.explain:
            if reads and s.get("page") != shown:
                shown = s.get("page")
                click.echo(f"  on {shown}:")
            click.echo(f"  - {s['section'][:50]!r}: heading kind {s['kind']}, read as {s['read_as']}, "
                       f"{s['records']} blocks, {s['found']} items")
            if "evidence" in s:
                ev = s["evidence"]
                click.echo(f"      evidence: heading words -> {ev['heading'] or 'none'}, markup -> {ev['markup'] or 'none'}, "
                           f"dated records {ev['dated']:.0%}, records read as papers {ev['papers']:.0%}")
            for r in s.get("cuts", []):
                click.echo(f"      | record -> {r['item'] or 'nothing'}")
                for line, role in zip(r["lines"], r["roles"]):
                    click.echo(f"      |   {role:<8} {line[:100]}")


def _pages_read(source: Source, site: SiteRead) -> list[dict[str, Any]]:
    """The pages a check read, in order, with why each was read and what it gave (``check --json``'s list)."""
    from .sitefetch import discovers

    home = site.home_page if isinstance(site.home_page, Page) else None
    why = ("the source's address" + ("" if discovers(source) or source.pages else " (links not followed)"))
    out: list[dict[str, Any]] = [{"url": redact_url(source.url), "role": "home", "why": why,
                                  "status": site.home.status, "papers": len(home.publications) if home else None,
                                  "news": len(home.news) if home else None, "error": None}]
    for r in site.pages:
        out.append({"url": r.key, "role": r.role, "why": r.why, "status": r.result.status if r.result else None,
                    "papers": len(r.page.publications) if r.page else None,
                    "news": len(r.page.news) if r.page else None,
                    "error": clean_text(r.skipped or r.error)})
    return out


def _page_line(entry: dict[str, Any]) -> str:
    if entry["papers"] is None:
        return f"{entry['url']} ({entry['why']}): not read: {entry['error']}"
    papers, news = entry["papers"], entry["news"]
    got = f"{papers} paper{'s' if papers != 1 else ''}, {news} news item{'s' if news != 1 else ''}"
    return f"{entry['url']} ({entry['why']}): {got}" + (f" (failed: {entry['error']})" if entry["error"] else "")


def _named_source(obj: Ctx, target: str) -> Source | None:
    """The source ``target`` names (ignoring case) in the config, when it is not a URL or a file; a
    near miss of a name ("Dana Exmple") is an error that offers the closest names."""
    from .names import resolve, suggestions, unknown

    if "://" in target or Path(target).exists():
        return None
    try:
        config = obj.config()
    except MonitorError:
        return None
    names = [s.name for s in config.sources]
    found = resolve(target.strip(), names)
    if found is not None:
        return config.source(found)
    if "/" not in target and suggestions(target.strip(), names):
        _fail(unknown(target.strip(), names, config.path))
    return None


# ---------------------------------------------------------------- diff

def parse_since(value: str) -> str:
    """'2d', '12h', '1w' ago, or an ISO date/time -> an ISO timestamp in UTC."""
    try:
        seconds = parse_interval(value)
        when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
        return when.isoformat(timespec="seconds")
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a duration (2d, 12h) nor a date (2025-01-31)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


@main.command()
@click.argument("source", required=False)
@click.option("--since", help="Every event since then: a duration (2d, 12h, 1w) or a date (2025-01-31).")
@click.option("--json", "as_json", is_flag=True, help="Print the events as a JSON list.")
@click.option("--all", "show_all", is_flag=True, help="Include events that are not alerts (removals, links...).")
@click.option("--text", "as_text", is_flag=True,
              help="Show how the page's text changed between two snapshots (a unified diff); needs SOURCE.")
@click.option("--from", "id_from", type=int, metavar="ID", help="With --text: the older snapshot (ids: `monitor history`).")
@click.option("--to", "id_to", type=int, metavar="ID", help="With --text: the newer snapshot (default: the newest).")
@click.pass_obj
def diff(obj: Ctx, source: str | None, since: str | None, as_json: bool, show_all: bool, as_text: bool,
         id_from: int | None, id_to: int | None) -> None:
    """What changed: the newest check's events per source, or every event since a time; with --text, the
    page's own text between two stored snapshots."""
    if (id_from is not None or id_to is not None) and not as_text:
        _fail("--from and --to choose the snapshots of `diff SOURCE --text`")
    if as_text:
        if not source:
            _fail("--text needs a SOURCE: `monitor diff NAME --text`")
        if since or show_all or as_json:
            _fail("--text compares two snapshots: it does not go with --since, --all or --json")
        _text_diff(obj, source, id_from, id_to)
        return
    store = obj.reader()
    if source:
        source = _stored_name(obj, store, source)
    rows = store.events(source=source, since=parse_since(since) if since else None)
    if as_json:
        click.echo(json.dumps([event_json(r) for r in rows], ensure_ascii=False, indent=1))
        return
    if not show_all:
        rows = [r for r in rows if r["alert"]]
    if not rows:
        click.echo("No changes." if since else "No changes in the newest checks.")
        return
    for name, events in group_by_source(rows):
        click.echo(f"{name}:")
        for e in events:
            click.echo(f"  - {describe_event(e)}")


def _stored_name(obj: Ctx, store: Store, name: str) -> str:
    """The stored source ``name`` designates (ignoring case; removed sources' history included)."""
    from .names import resolve, unknown

    stored = store.source_names()
    found = resolve(name.strip(), stored)
    if found is not None:
        return found
    try:
        configured = resolve(name.strip(), [s.name for s in obj.config().sources])
    except MonitorError:
        configured = None
    if configured is not None:
        _fail(f"source {configured!r} has no history in {obj.db_path} yet (`monitor run --once` checks it)")
    _fail(unknown(name.strip(), stored, obj.db_path))
    raise AssertionError("unreachable")


def _text_diff(obj: Ctx, name: str, id_from: int | None, id_to: int | None) -> None:
    """The unified diff of the text of two snapshots of a source (the newest two by default)."""
    from .textdiff import pick_pair, snapshot_diff

    store = obj.reader()
    name = _stored_name(obj, store, name)
    old, new = pick_pair(store, name, id_from, id_to)
    lines = snapshot_diff(store, name, old, new, format=_configured_format(obj, name))
    if not lines:
        click.echo(f"No difference in the text of snapshots {old['id']} and {new['id']}"
                   " (the pages differ in markup, links, scripts or styles only).")
        return
    for i, line in enumerate(lines):
        click.echo(_diff_style(line, header=i < 2))


def _configured_format(obj: Ctx, name: str) -> str:
    """The format sources.yaml gives the source (auto when it names none, or cannot be read)."""
    try:
        return find_source(obj.config(), name).format
    except MonitorError:
        return "auto"


def _diff_style(line: str, header: bool) -> str:
    """Colours for a terminal (click drops them when the output is not one); ``header``: a ---/+++ line."""
    if header:
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


# ---------------------------------------------------------------- show, history

@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print it as a JSON object.")
@click.pass_obj
def show(obj: Ctx, name: str, as_json: bool) -> None:
    """What the monitor knows of one source now: its papers, news and announcements as stored, when it
    was last checked and last changed (reads the database only)."""
    store = obj.reader()
    data = source_overview(store, _stored_name(obj, store, name))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for line in overview_lines(data):
        click.echo(line)


@main.command()
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=0), default=HISTORY_LIMIT, show_default=True,
              help="At most this many entries, newest first (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print it as a JSON object.")
@click.pass_obj
def history(obj: Ctx, name: str, limit: int, as_json: bool) -> None:
    """One source over time: each stored snapshot with its outcome, counts and events, and when it was
    failing or recovered (reads the database only)."""
    store = obj.reader()
    data = source_history(store, _stored_name(obj, store, name), limit)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    for line in history_lines(data):
        click.echo(line)


# ---------------------------------------------------------------- sources

@main.command("sources")
@click.pass_obj
def sources_cmd(obj: Ctx) -> None:
    """Each source with its last check, outcome, last success, failing since, and counts (times in UTC)."""
    config = obj.config()
    store = obj.reader()
    known = {r["name"]: r for r in store.source_summaries()}
    # the configuration decides what is listed (the database is only read); the address shown is redacted
    header = ("source", "last check", "outcome", "last success", "failing since", "papers", "news", "events", "url")
    table = [header]
    errors = []
    for s in config.sources:
        r = known.get(s.name)
        if r is None:
            table.append((s.name, "never", "paused" if not s.enabled else "-", "never", "-", "0", "0", "0",
                          redact_url(s.url)))
            continue
        table.append((s.name, _when(r["last_check_at"]) if r["last_check_at"] else "never",
                      "paused" if not s.enabled else r["last_outcome"] or "-",  # `run` and the daemon skip it
                      _when(r["last_success_at"]) if r["last_success_at"] else "never", _failing(r),
                      str(r["papers"]), str(r["news"]), str(r["events"]), redact_url(s.url)))
        if r["last_error"]:
            errors.append(f"  {s.name}: {r['last_error']}")
    widths = [min(50, max(map(len, column))) for column in zip(*table)]
    row_format = "  ".join(f"{{:{w}.50}}" for w in widths)  # each cell cut at 50 characters, padded to its column
    lines = [row_format.format(*row).rstrip() for row in table] + errors
    click.echo("\n".join(lines))  # one write: ten thousand sources print in a few hundredths of a second


# ---------------------------------------------------------------- keeping the watch list

FOUND_PAPERS = 3  # what `add` shows of a page it looked at: this many paper titles,
FOUND_NEWS = 2  # news items,
FOUND_ANNOUNCEMENTS = 2  # and announcements


def _counted(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _found(page: Page) -> str:
    return (f"{_counted(len(page.publications), 'paper')}, {_counted(len(page.news), 'news item')},"
            f" {_counted(len(page.announcements), 'announcement')}")


def _print_found(page: Page, url: str) -> None:
    """What a look at a page found: whom it is about, the counts and a few titles."""
    prof = page.profile
    if prof.name or prof.position or prof.affiliation:
        click.echo(", ".join(x for x in (prof.name, prof.position, prof.affiliation) if x))
    click.echo(f"{redact_url(url)}: {_found(page)}")
    for p in page.publications[:FOUND_PAPERS]:
        label = p.title or f"(untitled) {(p.text or '')[:80]}"
        click.echo(f"  paper: {label}" + (f" ({p.venue})" if p.venue else ""))
    for n in page.news[:FOUND_NEWS]:
        click.echo(f"  news: {n.date + ': ' if n.date else ''}{n.text[:100]}")
    for a in page.announcements[:FOUND_ANNOUNCEMENTS]:
        click.echo(f"  announcement [{a.kind}]: {a.text[:100]}")


def _reload_hint(obj: Ctx) -> str:
    """``; the running daemon (pid N) takes the change after a reload: kill -HUP N`` when a daemon runs on
    this database (it reads sources.yaml again on SIGHUP), else ''."""
    held = holder(obj.db_path) if obj.db_path != ":memory:" else None
    if not held or "daemon" not in held:
        return ""
    pid = held.split()[1] if held.startswith("pid ") else "PID"
    return f"; the running daemon (pid {pid}) takes the change after a reload: kill -HUP {pid}"


@main.command()
@click.argument("url")
@click.option("--name", help="The source's name (default: whom the page is about, its title, or its address).")
@click.option("--tag", "tags", multiple=True, help="A tag, for routing alerts (repeatable).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None, help="How to read the page (default auto).")
@click.option("--no-check", is_flag=True, help="Add it without reading the page first.")
@click.option("--force", is_flag=True, help="Add it even when the page cannot be read now.")
@click.pass_obj
def add(obj: Ctx, url: str, name: str | None, tags: tuple[str, ...], fmt: str | None, no_check: bool,
        force: bool) -> None:
    """Add a page to sources.yaml, after reading it once to show what the monitor finds there.

    Comments and layout of sources.yaml are kept. Exits 0 when added, 1 when the page could not be
    read (not added, unless --force), 2 when refused (a duplicate address or name, a bad address).
    """
    import asyncio
    from . import watchlist

    config = obj.config()
    candidate = watchlist.Candidate(raw=url, name=name, tags=list(tags), format=fmt)
    [outcome] = asyncio.run(watchlist.place(config, [candidate], check=not no_check, force=force))
    if outcome.page is not None:
        _print_found(outcome.page, outcome.placed.resolved if outcome.placed else url)
    if outcome.status in ("duplicate", "invalid"):
        _fail(f"{config.path}: {outcome.message}")
    if outcome.status == "failed":
        click.echo(f"error: {outcome.message}: not added (--force adds it anyway)", err=True)
        sys.exit(1)
    placed = outcome.placed
    assert placed is not None
    if outcome.message:
        click.echo(f"warning: {outcome.message}; added anyway (--force)", err=True)
    watchlist.append(config.path, [placed])
    tagged = f", tags: {', '.join(placed.candidate.tags)}" if placed.candidate.tags else ""
    click.echo(f"added {placed.name!r} to {config.path} ({redact_url(placed.url)}{tagged})")
    note = watchlist.stored_note(obj.db_path, config, placed.name, placed.resolved)
    if note:
        click.echo(note)
    click.echo(f"`monitor run --once` checks it from now on{_reload_hint(obj)}")


@main.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--tag", "tags", multiple=True, help="A tag for every source imported (repeatable).")
@click.option("--no-check", is_flag=True, help="Add the pages without reading them first (fast).")
@click.option("--force", is_flag=True, help="Add pages that cannot be read now too.")
@click.pass_obj
def import_cmd(obj: Ctx, file: str, tags: tuple[str, ...], no_check: bool, force: bool) -> None:
    """Add many pages at once: a CSV file (url,name,tags; header optional) or one URL a line.

    Each page is read first like `add` does (several at once); duplicates are skipped with a note, and a
    bad line never stops the others. Exits 0 when every line was added or skipped as a duplicate, 1 when
    some failed (they are listed), 2 when the file cannot be read.
    """
    import asyncio
    from . import watchlist

    config = obj.config()
    lines = watchlist.read_import(file)
    candidates = [ln.candidate for ln in lines if ln.candidate is not None]
    for c in candidates:
        c.tags = list(dict.fromkeys([*c.tags, *tags]))
    if candidates and not no_check and sys.stderr.isatty():
        click.echo(f"reading {_counted(len(candidates), 'page')}...", err=True)
    outcomes = iter(asyncio.run(watchlist.place(config, candidates, check=not no_check, force=force)))
    placed: list[watchlist.Placed] = []
    counts = {"added": 0, "duplicate": 0, "failed": 0}
    for ln in lines:
        if ln.candidate is None:
            click.echo(f"{ln.where}: failed: {ln.error}")
            counts["failed"] += 1
            continue
        o = next(outcomes)
        if o.status == "added" and o.placed is not None:
            placed.append(o.placed)
            found = f": {_found(o.page)}" if o.page is not None else ""
            forced = f" (--force: {o.message})" if o.message else ""
            click.echo(f"{ln.where}: added {o.placed.name!r} ({redact_url(o.placed.url)}){found}{forced}")
            counts["added"] += 1
        elif o.status == "duplicate":
            click.echo(f"{ln.where}: skipped: {o.message}")
            counts["duplicate"] += 1
        else:
            click.echo(f"{ln.where}: failed: {o.message}" + ("" if o.status == "invalid" else ": not added"))
            counts["failed"] += 1
    if placed:
        watchlist.append(config.path, placed)
    click.echo(f"\n{file}: {counts['added']} added to {config.path}, {_counted(counts['duplicate'], 'duplicate')}"
               f" skipped, {counts['failed']} failed" + (" (--force adds pages that cannot be read now)"
                                                         if counts["failed"] and not force else ""))
    if placed:
        click.echo(f"`monitor run --once` checks them from now on{_reload_hint(obj)}")
    if counts["failed"]:
        sys.exit(1)


@main.command()
@click.argument("name")
@click.pass_obj
def remove(obj: Ctx, name: str) -> None:
    """Take a source out of sources.yaml (its stored history stays in the database)."""
    from . import watchlist

    source = watchlist.remove(obj.config_path, name)
    click.echo(f"removed {source.name!r} from {obj.config_path}")
    counts = watchlist.history(obj.db_path, source.name)
    if counts and counts["checks"]:
        click.echo(f"Its history stays in {obj.db_path} ({_counted(counts['checks'], 'check')},"
                   f" {_counted(counts['events'], 'event')}): `monitor diff {shlex.quote(source.name)} --since 1y`"
                   f" shows it, and a source added again as {source.name!r} continues it.")
    else:
        click.echo("Nothing was stored for it.")
    click.echo(f"`monitor run` no longer checks it{_reload_hint(obj)}")


@main.command()
@click.argument("old")
@click.argument("new")
@click.pass_obj
def rename(obj: Ctx, old: str, new: str) -> None:
    """Rename a source in sources.yaml (and in the routes that name it) with its stored history."""
    from . import watchlist

    done = watchlist.rename(obj.config_path, obj.db_path, old, new)
    routes = f" (and in {_counted(done.routes, 'route')})" if done.routes else ""
    click.echo(f"renamed {done.old!r} to {done.new!r} in {obj.config_path}{routes}")
    if done.held_by:
        click.echo(f"{obj.db_path} is in use by {done.held_by}: it gives the stored history the new name when it"
                   " next reads sources.yaml (it finds the source by its address)" + _reload_hint(obj))
    elif done.stored and done.stored["checks"]:
        click.echo(f"its history ({_counted(done.stored['checks'], 'check')}, {_counted(done.stored['events'], 'event')})"
                   f" follows it in {obj.db_path}")


def _set_enabled(obj: Ctx, name: str, enabled: bool) -> None:
    from . import watchlist

    source, changed = watchlist.set_enabled(obj.config_path, name, enabled)
    if not changed:
        click.echo(f"{source.name!r} is already {'active' if enabled else 'paused'}")
        return
    if enabled:
        click.echo(f"resumed {source.name!r}: `monitor run` checks it again{_reload_hint(obj)}")
    else:
        click.echo(f"paused {source.name!r} (enabled: false): `monitor run` skips it until"
                   f" `monitor resume {shlex.quote(source.name)}`{_reload_hint(obj)}")


@main.command()
@click.argument("name")
@click.pass_obj
def pause(obj: Ctx, name: str) -> None:
    """Stop checking a source for now (enabled: false); it stays listed, with its history."""
    _set_enabled(obj, name, False)


@main.command()
@click.argument("name")
@click.pass_obj
def resume(obj: Ctx, name: str) -> None:
    """Check a paused source again."""
    _set_enabled(obj, name, True)


# ---------------------------------------------------------------- daemon

@main.command("daemon")
@click.option("--grace", type=click.FloatRange(min=0), default=30.0, show_default=True,
              help="Seconds in-flight checks get to finish after SIGTERM/SIGINT.")
@click.option("--summary-every", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True,
              help="Minutes between two summary lines in the log.")
@click.option("--start-spread", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds over which the checks due at start are spread (at most one interval).")
@click.pass_obj
def daemon_cmd(obj: Ctx, grace: float, summary_every: float, start_spread: float) -> None:
    """Keep running: check each source on its schedule and deliver alerts (SIGHUP reloads, SIGTERM stops)."""
    from .daemon import run_daemon

    run_daemon(obj.config_path, obj.db_path, grace=grace, summary_every=summary_every, startup_spread=start_spread)


# ---------------------------------------------------------------- delivery: notices, retry, deliver, test-notify

def _when(value: str | None) -> str:
    return (value or "-")[:16].replace("T", " ")


def _failing(row: dict[str, Any]) -> str:
    if not row["failing_since"]:
        return "-"
    n = row["failures"]
    return f"{_when(row['failing_since'])} ({n} check{'s' if n != 1 else ''})"


def _notice_note(r: dict[str, Any]) -> str:
    if r["state"] == "delivered":
        return r["response"] or ""
    if r["state"] == "pending" and r["attempts"] == 0 and not r["last_error"]:
        return f"due {_when(r['next_attempt_at'])}"
    if r["state"] == "pending":
        return f"next try {_when(r['next_attempt_at'])}: {r['last_error'] or ''}"
    return r["last_error"] or ""


@main.command()
@click.option("--state", type=click.Choice(["pending", "sending", "delivered", "failed"]), help="Only this state.")
@click.option("--json", "as_json", is_flag=True, help="Print the deliveries as a JSON list.")
@click.option("--limit", default=200, show_default=True, help="At most this many, newest first.")
@click.pass_obj
def notices(obj: Ctx, state: str | None, as_json: bool, limit: int) -> None:
    """The delivery outbox: each notice with its channel, state, attempts, events and last error."""
    from .outbox import Outbox  # not notify: listing the outbox needs none of the sending code

    rows = Outbox(obj.reader()).listing(state, limit)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo(f"No {state} deliveries." if state else "No deliveries yet.")
        return
    header = ("id", "channel", "kind", "state", "tries", "events", "created", "sources", "note")
    table = [header] + [(r["id"][:8], r["channel"], r["kind"], r["state"], str(r["attempts"]), str(r["events"]),
                         _when(r["created_at"]), ", ".join(r["sources"]), _notice_note(r)) for r in rows]
    widths = [min(40, max(len(row[i]) for row in table)) for i in range(len(header) - 1)]
    for row in table:
        cells = [str(c)[:40].ljust(w) for c, w in zip(row, widths)] + [" ".join(row[-1].split())[:100]]
        click.echo("  ".join(cells).rstrip())


@main.command()
@click.argument("delivery_id", required=False)
@click.pass_obj
def retry(obj: Ctx, delivery_id: str | None) -> None:
    """Requeue failed deliveries (all, or the one with this id or id prefix) with fresh attempts."""
    from .notify import retry_failed

    ids = retry_failed(obj.store(), delivery_id)
    if not ids:
        click.echo("No failed deliveries.")
        return
    click.echo(f"Requeued {len(ids)} deliver{'y' if len(ids) == 1 else 'ies'}: {', '.join(i[:8] for i in ids)}")
    click.echo("They are sent by the next `monitor deliver` or `monitor run --once`, or by the daemon.")


@main.command()
@click.option("--now", "hurry", is_flag=True,
              help="Also send the deliveries waiting out a retry backoff or a hold (digests keep their slot).")
@click.pass_obj
def deliver(obj: Ctx, hurry: bool) -> None:
    """Send what is due in the outbox now, without checking any page."""
    import asyncio
    import logging
    from .notify import deliver_due, retry_waiting

    quiet = logging.NullHandler()  # the report below says it all; no second copy on stderr
    logger = logging.getLogger("monitor.notify")
    logger.addHandler(quiet)
    if hurry:
        hastened = retry_waiting(obj.store())
        click.echo(f"{hastened} waiting deliver{'y' if hastened == 1 else 'ies'} made due now")
    try:
        report = asyncio.run(deliver_due(obj.config(), obj.store()))
    finally:
        logger.removeHandler(quiet)
    for line in report.lines:
        click.echo(line)
    click.echo(report.summary())


@main.command("test-notify")
@click.argument("channel")
@click.pass_obj
def test_notify(obj: Ctx, channel: str) -> None:
    """Send a test message through CHANNEL and print the server's answer (exit 1 if it fails)."""
    import asyncio
    from .channels import SendError
    from .notify import send_test

    try:
        answer = asyncio.run(send_test(obj.config(), channel))
    except SendError as exc:
        click.echo(f"error: {channel}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{channel}: accepted: {answer}")


# ---------------------------------------------------------------- feed

@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write the feed to this file (atomically).")
@click.option("--since", default="30d", show_default=True, help="Events since: a duration (30d) or a date.")
@click.option("--all", "show_all", is_flag=True, help="Include events that are not alerts (removals, links...).")
@click.option("--self-url", help="The URL the feed is published at (its rel=self link).")
@click.option("--source", "names", multiple=True, metavar="NAME", help="Only this source's events (repeatable).")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="Only the events of the sources with this tag in sources.yaml (repeatable).")
@click.pass_obj
def feed(obj: Ctx, out: str | None, since: str, show_all: bool, self_url: str | None, names: tuple[str, ...],
         tags: tuple[str, ...]) -> None:
    """An Atom feed of recent events, for feed readers: of every source, or of some (--source, --tag)."""
    from .feed import build_feed, write_feed

    store = obj.reader()
    chosen: list[str] | None = None
    scope: str | None = None
    if names or tags:
        named = {_stored_name(obj, store, n) for n in names}
        members = set(named)
        config = obj.config() if tags else None
        for tag in tags:
            members |= {s.name for s in sources_tagged(config, tag)}
        chosen = sorted(members)
        scope = ", ".join(sorted(named) + sorted({f"tag {t.strip().casefold()}" for t in tags}))
    data = build_feed(store, parse_since(since), include_all=show_all, self_url=self_url, sources=chosen,
                      scope=scope)
    if out:
        write_feed(data, out)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(data.decode("utf-8"), nl=False)


if __name__ == "__main__":
    main()
