"""Keeping the watch list from the command line: add, import, remove, rename, pause and resume sources.

Every change goes through the same steps: read sources.yaml (it must be valid), make the one edit on
its text (``yamledit``: comments and layout outside the entry stay byte for byte), read the result back
with the strict reader and check it says exactly what was meant and nothing else, then replace the
file atomically, holding an advisory lock on its folder so two edits never interleave.

The database keys a source's history by its name. ``rename`` renames the stored row with the entry;
a source renamed by hand keeps its history too: ``Store.sync_sources`` gives the new name to the
stored source at the same address whose name left the file.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import re
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

from .config import Config
from .errors import ConfigError, MonitorError
from .fetch import Fetcher, user_agent
from .lock import holder, take_flock, writer_lock
from .models import Page, Source
from .names import same_name
from .probe import Look, look_at_all
from .safe import redact_url
from .sources import check_url, parse_config
from .store import Store
from .yamledit import Document, render_entry

EDIT_LOCK_WAIT = 10.0  # seconds an edit waits for another one on the same file
NAME_MAX = 80  # characters of a name taken from a page
# Title segments that name the kind of page rather than the person ("Home | Dana Example").
GENERIC_TITLES = frozenset({"home", "homepage", "home page", "index", "about", "about me", "welcome", "main",
                            "personal website", "personal homepage", "personal page", "website", "cv", "bio"})
_TITLE_SPLIT = re.compile(r"\s+[|\-–—·:»]\s+|\s*[|·»]\s*")
URL_HEADER = "url"  # a CSV file's first row is a header when its first cell says this
CSV_COLUMNS = ("url", "name", "tags")  # without a header, the columns in this order
_TAG_SPLIT = re.compile(r"[;|\s]+")


@dataclass
class Candidate:
    """A page someone wants watched: the address as typed, and what they said about it."""

    raw: str
    name: str | None = None
    tags: list[str] = field(default_factory=list)
    format: str | None = None
    where: str = ""  # "list.csv:3" for an imported line

    def fields(self, name: str, url: str) -> dict[str, object]:
        out: dict[str, object] = {"name": name, "url": url}
        if self.format and self.format != "auto":
            out["format"] = self.format
        if self.tags:
            out["tags"] = list(self.tags)
        return out


@dataclass
class Placed:
    """A candidate ready to be written: its entry's name and address, and what a look at it found."""

    candidate: Candidate
    name: str
    url: str  # as written in sources.yaml (a local path relative to its folder when typed relative)
    resolved: str  # as the monitor reads it (a local path made absolute)
    page: Page | None = None


# ------------------------------------------------------------ addresses and names


def written_url(raw: str, config_path: str) -> tuple[str, str]:
    """(as written in sources.yaml, as read) for an address typed on the command line.

    An http(s) URL is kept as it is; a local path typed relative to the current folder is written
    relative to the folder of sources.yaml, which is how sources.yaml reads it.
    """
    raw = raw.strip()
    resolved = check_url(raw, config_path, Path.cwd())
    if urlsplit(raw).scheme in ("http", "https"):
        return raw, resolved
    if urlsplit(raw).scheme == "file":
        raise ConfigError(f"{config_path}: {raw!r}: give a local file as a path, not a file:// URL")
    if not Path(resolved).is_file():
        raise ConfigError(f"{config_path}: {raw!r} is neither an http(s) URL nor a file")
    if Path(os.path.expanduser(raw)).is_absolute():
        return resolved, resolved
    return os.path.relpath(resolved, Path(config_path).absolute().parent), resolved


def page_key(url: str) -> str:
    """What makes two addresses the same page: scheme and host in any case, a default port, a trailing
    slash and a fragment make no difference; a local file is its real path."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return "file:" + os.path.normcase(os.path.realpath(os.path.expanduser(url)))
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def default_name(page: Page | None, url: str) -> str:
    """A name for a page nobody named: the person the page is about, else its title, else its address
    without the scheme (``dana.github.io``, ``example.edu/~dana``) or its file name."""
    if page is not None:
        person = " ".join((page.profile.name or "").split())
        if person and len(person) <= NAME_MAX:
            return person
        segments = [s.strip() for s in _TITLE_SPLIT.split(" ".join((page.title or "").split())) if s.strip()]
        named = [s for s in segments if s.casefold() not in GENERIC_TITLES]
        if named and len(named[0]) <= NAME_MAX:
            return named[0]
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        path = re.sub(r"/(index\.html?)?$", "", parts.path)  # dana.github.io, example.edu/~dana
        return parts.hostname + path
    return Path(url).stem or url


def unique_name(name: str, url: str, taken: list[str]) -> str:
    """``name``, or ``name (host)``, or ``name (2)``...: the first that no source has (ignoring case)."""
    host = urlsplit(url).hostname or Path(url).name
    options = [name] + ([f"{name} ({host})"] if host and host != name else [])
    n = 2
    while True:
        for option in options:
            if not any(same_name(option, t) for t in taken):
                return option
        options = [f"{name} ({n})"]
        n += 1


def duplicate(config: Config, url: str, name: str | None) -> str | None:
    """Why an entry would duplicate a source: the same page, or the same name (ignoring case)."""
    key = page_key(url)
    for s in config.sources:
        if page_key(s.url) == key:
            return f"{url} is already watched as {s.name!r}"
    if name is not None:
        for s in config.sources:
            if same_name(s.name, name):
                return f"a source named {s.name!r} exists already ({s.url})"
    return None


# ------------------------------------------------------------ reading and writing the file


@contextmanager
def edit_lock(config_path: str) -> Iterator[None]:
    """One edit of sources.yaml at a time: an advisory lock on its folder (the file itself is replaced)."""
    folder = Path(os.path.realpath(config_path)).parent
    fd = os.open(folder, os.O_RDONLY)
    try:
        if not take_flock(fd, EDIT_LOCK_WAIT, poll=0.05):
            raise ConfigError(f"{config_path}: another edit of this file is under way; try again")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_text(config_path: str) -> str:
    """The file as it is, byte for byte (no newline translation), or a ConfigError line."""
    try:
        return Path(config_path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: no such file (give --config or set MONITOR_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc}") from None


def write_text(config_path: str, text: str) -> None:
    """Replace the file atomically (a crash leaves the old or the new file, never half of one); a
    symbolic link keeps pointing at the file it named, which gets the new text; permissions are kept."""
    target = Path(os.path.realpath(config_path))
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8"))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_settings(a: Config, b: Config) -> bool:
    """Everything but the sources and the routes: an edit of one entry never changes these."""
    keys = ("every", "user_agent_contact", "concurrency", "per_host", "timeout", "max_bytes", "politeness",
            "extraction_timeout", "failing_after", "channels")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _apply(config_path: str, edit: Callable[[Document, Config], str],
           expect: Callable[[Config, Config], bool], what: str) -> Config:
    """Read, edit, check the result says what was meant (``expect(before, after)``), write; under the lock."""
    with edit_lock(config_path):
        text = read_text(config_path)
        before = parse_config(text, config_path)
        new_text = edit(Document(text, config_path), before)
        if new_text == text:
            return before
        try:
            after = parse_config(new_text, config_path)
        except ConfigError as exc:
            raise ConfigError(f"{config_path}: {what} would make the file invalid, so it is left as it was:"
                              f" {exc}") from None
        if not (_same_settings(before, after) and expect(before, after)):
            raise ConfigError(f"{config_path}: {what}: the edited file would not say what was meant; it is left"
                              " as it was (edit it by hand)")
        write_text(config_path, new_text)
        return after


# ------------------------------------------------------------ the edits


def append(config_path: str, placed: list[Placed]) -> Config:
    """Write new entries at the end of the list, after checking again that none is a duplicate."""

    def edit(doc: Document, before: Config) -> str:
        for p in placed:
            why = duplicate(before, p.resolved, p.name)
            if why:
                raise ConfigError(f"{config_path}: {why}")
        for p in placed:
            doc = Document(doc.append(p.candidate.fields(p.name, p.url)), config_path)
        return doc.text

    def expect(before: Config, after: Config) -> bool:
        wanted = [(p.name, p.resolved) for p in placed]
        return (after.sources[:len(before.sources)] == before.sources
                and [(s.name, s.url) for s in after.sources[len(before.sources):]] == wanted
                and after.routes == before.routes)

    what = f"adding {placed[0].name!r}" if len(placed) == 1 else f"adding {len(placed)} sources"
    return _apply(config_path, edit, expect, what)


def validate(config_path: str, p: Placed) -> None:
    """The entry on its own through the strict reader: a bad name or tag is refused before any write."""
    text = "sources:\n" + render_entry(p.candidate.fields(p.name, p.url), 2, 4)
    parse_config(text, config_path)


def remove(config_path: str, name: str) -> Source:
    """Take a source's entry out of the file; the source as it was configured."""
    gone: list[Source] = []

    def edit(doc: Document, before: Config) -> str:
        source = before.source(name)
        gone.append(source)
        routes = doc.route_mentions(source.name)
        if routes:
            raise ConfigError(f"{config_path}: source {source.name!r} is named in routes (sources: ...); take it"
                              " out of them first")
        return doc.remove(source.name)

    def expect(before: Config, after: Config) -> bool:
        return after.sources == [s for s in before.sources if s.name != gone[0].name] and after.routes == before.routes

    _apply(config_path, edit, expect, f"removing {name!r}")
    return gone[0]


def rename_entry(config_path: str, old: str, new: str) -> tuple[Source, int]:
    """Give an entry a new name, and the routes that list it; (the source as it was, routes changed)."""
    was: list[Source] = []
    mentions: list[int] = []

    def edit(doc: Document, before: Config) -> str:
        source = before.source(old)
        was.append(source)
        clash = [s.name for s in before.sources if s.name != source.name and same_name(s.name, new)]
        if clash:
            raise ConfigError(f"{config_path}: a source named {clash[0]!r} exists already")
        mentions.append(len(doc.route_mentions(source.name)))
        return doc.rename(source.name, new.strip())

    def expect(before: Config, after: Config) -> bool:
        renamed = [s if s.name != was[0].name else replace(s, name=new.strip()) for s in before.sources]
        return after.sources == renamed

    _apply(config_path, edit, expect, f"renaming {old!r}")
    return was[0], (mentions[0] if mentions else 0)


def set_enabled(config_path: str, name: str, enabled: bool) -> tuple[Source, bool]:
    """Pause or resume a source; (the source, whether anything changed)."""
    was: list[Source] = []

    def edit(doc: Document, before: Config) -> str:
        source = before.source(name)
        was.append(source)
        if source.enabled == enabled:
            return doc.text
        return doc.set_enabled(source.name, enabled)

    def expect(before: Config, after: Config) -> bool:
        flipped = [s if s.name != was[0].name else replace(s, enabled=enabled) for s in before.sources]
        return after.sources == flipped and after.routes == before.routes

    _apply(config_path, edit, expect, f"{'resuming' if enabled else 'pausing'} {name!r}")
    return was[0], was[0].enabled != enabled


# ------------------------------------------------------------ import files


@dataclass
class Line:
    """One line of an import file: a candidate, or the one-line reason it could not be read."""

    where: str
    candidate: Candidate | None = None
    error: str | None = None


def read_import(path: str) -> list[Line]:
    """The candidates of an import file: CSV (url,name,tags; a header row optional) or one URL a line.

    ``#`` comments and blank lines are skipped in both. A CSV file is one whose first line holds a comma
    (or that is named .csv); tags in a cell are separated by ``;``, ``|`` or spaces.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return []
    is_csv = path.lower().endswith(".csv") or "," in numbered[0][1]
    if not is_csv:
        return [Line(where=f"{path}:{n}", candidate=Candidate(raw=line.strip(), where=f"{path}:{n}"))
                for n, line in numbered]
    rows = [(n, row) for n, row in zip((n for n, _ in numbered), csv.reader(io.StringIO(
        "\n".join(line for _, line in numbered))))]
    columns = list(CSV_COLUMNS)
    if rows and rows[0][1] and rows[0][1][0].strip().casefold() == URL_HEADER:
        columns = [c.strip().casefold() for c in rows[0][1]]
        unknown_columns = [c for c in columns if c not in CSV_COLUMNS]
        if unknown_columns:
            raise ConfigError(f"{path}:{rows[0][0]}: unknown column {unknown_columns[0]!r}"
                              f" (columns: {', '.join(CSV_COLUMNS)})")
        rows = rows[1:]
    out = []
    for n, row in rows:
        where = f"{path}:{n}"
        cells = dict(zip(columns, (c.strip() for c in row)))
        if len(row) > len(columns):
            out.append(Line(where=where, error=f"{len(row)} columns, at most {len(columns)} ({', '.join(columns)})"))
            continue
        if not cells.get("url"):
            out.append(Line(where=where, error="no url"))
            continue
        tags = [t for t in _TAG_SPLIT.split(cells.get("tags", "")) if t]
        out.append(Line(where=where, candidate=Candidate(raw=cells["url"], name=cells.get("name") or None,
                                                         tags=tags, where=where)))
    return out


# ------------------------------------------------------------ adding: look, name, place


@dataclass
class Outcome:
    """What became of one candidate: ``added`` (placed), ``duplicate`` (skipped), ``failed`` (its page
    could not be read) or ``invalid`` (a bad address or name)."""

    candidate: Candidate
    status: str
    message: str = ""
    placed: Placed | None = None
    page: Page | None = None


async def place(config: Config, candidates: list[Candidate], *, check: bool, force: bool) -> list[Outcome]:
    """Decide each candidate's fate: its address read, duplicates (of the file or of an earlier line)
    skipped, its page looked at (``check``; a page that fails is not placed unless ``force``), a name
    found (given, or the page's, made unique), and the entry read by the strict reader."""
    out: list[Outcome] = []
    resolved: dict[int, tuple[str, str]] = {}
    seen: dict[str, str] = {page_key(s.url): f"is already watched as {s.name!r}" for s in config.sources}
    given = {s.name.casefold(): f"a source named {s.name!r} exists already" for s in config.sources}
    for i, c in enumerate(candidates):
        try:
            url, where = written_url(c.raw, config.path)
        except ConfigError as exc:
            out.append(Outcome(c, "invalid", _without_file(str(exc), config.path)))
            continue
        key = page_key(where)
        if key in seen:
            out.append(Outcome(c, "duplicate", f"{c.raw} {seen[key]}"))
            continue
        if c.name and c.name.strip().casefold() in given:
            out.append(Outcome(c, "duplicate", given[c.name.strip().casefold()]))
            continue
        seen[key] = f"is already on {c.where or 'an earlier line'}"
        if c.name:
            given[c.name.strip().casefold()] = f"the name {c.name.strip()!r} is already on {c.where or 'an earlier line'}"
        resolved[i] = (url, where)
        out.append(Outcome(c, "added"))
    todo = [i for i, o in enumerate(out) if o.status == "added"]
    if check and todo:
        looks = await _look(config, [(resolved[i][1], candidates[i].format or "auto") for i in todo])
        for i, look in zip(todo, looks):
            out[i].page = look.page
            if not look.ok:
                out[i].message = look.error or "nothing read"
                if not force:
                    out[i].status = "failed"
    taken = [s.name for s in config.sources] + [c.name.strip() for c in candidates if c.name]
    for i in todo:
        o = out[i]
        if o.status != "added":
            continue
        url, where = resolved[i]
        name = o.candidate.name.strip() if o.candidate.name else unique_name(default_name(o.page, where), where, taken)
        taken.append(name)
        o.placed = Placed(candidate=o.candidate, name=name, url=url, resolved=where, page=o.page)
        try:
            validate(config.path, o.placed)
        except ConfigError as exc:
            o.status, o.placed, o.message = "invalid", None, _without_file(str(exc), config.path)
    return out


async def _look(config: Config, targets: list[tuple[str, str]]) -> list[Look]:
    async with Fetcher(user_agent=user_agent(config.user_agent_contact), concurrency=config.concurrency,
                       per_host=config.per_host, timeout=config.timeout, max_bytes=config.max_bytes) as fetcher:
        return await look_at_all(fetcher, targets, config.concurrency, config.extraction_timeout)


def _without_file(message: str, config_path: str) -> str:
    """A candidate's problem without the file's name in front (the line it came from is shown instead)."""
    prefix = f"{config_path}: "
    while message.startswith(prefix):
        message = message[len(prefix):]
    return message


# ------------------------------------------------------------ what the database holds


def _reader(db_path: str) -> Store | None:
    """The database for reading, or None when there is none yet (or none this monitor can read)."""
    if not Path(db_path).is_file():
        return None
    try:
        return Store(db_path, readonly=True)
    except MonitorError:
        return None


def history(db_path: str, name: str) -> dict[str, int] | None:
    """How much is stored under a name (checks, snapshots, items, events), or None without a database."""
    store = _reader(db_path)
    if store is None:
        return None
    try:
        return store.history(name)
    finally:
        store.close()


def stored_note(db_path: str, config: Config, name: str, url: str) -> str | None:
    """For a new entry: the stored history it continues, that of a removed source of the same name, or
    of the one removed source at the same address (``Store.sync_sources`` adopts it at the next check)."""
    store = _reader(db_path)
    if store is None:
        return None
    try:
        rows = store.source_summaries()
    finally:
        store.close()
    configured = {s.name for s in config.sources}
    by_name = [r for r in rows if r["name"] == name]
    by_page = [r for r in rows if r["url"] == redact_url(url) and r["name"] not in configured]
    found = by_name or (by_page if len(by_page) == 1 else [])
    if not found or not found[0]["checks"]:
        return None
    r = found[0]
    why = "" if r["name"] == name else " (the same address)"
    return (f"it continues the history stored for {r['name']!r}{why}: {_counted(r['checks'], 'check')},"
            f" {_counted(r['events'], 'event')}")


def _counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@dataclass
class Renamed:
    """What ``rename`` did: the entry (and ``routes`` route mentions) renamed, and the stored history."""

    old: str
    new: str
    routes: int = 0
    stored: dict[str, int] | None = None  # the history that moved with it, when the database was renamed too
    held_by: str | None = None  # the writer holding the database, which adopts the new name itself


def rename(config_path: str, db_path: str, old: str, new: str) -> Renamed:
    """Rename a source in sources.yaml and its stored history with it, so nothing is lost or duplicated.

    The row is renamed first and the file second (the row is renamed back if the file cannot be
    written). When a daemon or a run holds the database, only the file is changed: that writer gives
    the stored row the new name when it next reads sources.yaml, finding it by its address.
    """
    config = parse_config(read_text(config_path), config_path)
    source = config.source(old)
    new = new.strip()
    if not new:
        raise ConfigError(f"{config_path}: the new name is empty")
    if new == source.name:
        raise ConfigError(f"{config_path}: source {source.name!r} already has that name")
    reader = _reader(db_path)
    if reader is not None:
        try:
            ids = reader.source_id(source.name), reader.source_id(new)
        finally:
            reader.close()
        if ids[1] is not None and ids[1] != ids[0]:
            raise ConfigError(f"{db_path}: the history of another source named {new!r} is stored there"
                              " (removed from sources.yaml); choose another name")
    held = holder(db_path) if Path(db_path).is_file() else None
    if held is not None or not Path(db_path).is_file():
        _, routes = rename_entry(config_path, source.name, new)
        return Renamed(old=source.name, new=new, routes=routes, held_by=held)
    with writer_lock(db_path, "monitor rename"):
        store = Store(db_path)
        try:
            moved = store.rename_source(source.name, new)
            try:
                _, routes = rename_entry(config_path, source.name, new)
            except BaseException:
                if moved:
                    store.rename_source(new, source.name)
                raise
            return Renamed(old=source.name, new=new, routes=routes, stored=store.history(new) if moved else None)
        finally:
            store.close()
