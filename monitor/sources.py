"""Reading ``sources.yaml``: the researchers to watch, checked strictly so a typo never passes silently.

Every problem is reported as one ``ConfigError`` line naming the file, the entry and the problem, and
is raised before anything touches the database. This module validates the top level, ``defaults`` and
``sources``; the delivery sections (``channels``, ``routes``) are validated by ``notify``, which owns
them, and this module assembles the result into one ``Config``.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import re
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from .config import FORMATS, Config, parse_interval
from .errors import ConfigError
from .models import FailingAfter, Source
from .safe import redact_url
from .site import LISTED_MAX, is_page, is_web

SELECTOR_KEYS = ("publications", "news")
SOURCE_KEYS = {"name", "url", "every", "cron", "format", "tags", "selectors", "failing_after", "headers_env",
               "enabled", "follow", "pages"}
FOLLOW_MODES = ("auto", "none")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0, DEL and C1: no such character in a name
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_KEYS = {"every", "user_agent_contact", "concurrency", "per_host", "timeout", "max_bytes", "politeness",
                "extraction_timeout", "failing_after"}
TOP_KEYS = {"defaults", "sources", "channels", "routes"}


def parse_failing_after(value: Any) -> FailingAfter:
    """3 or '3 checks' (failed checks in a row), or a duration ('1d', '12h'); ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"bad failing_after {value!r}: at least 1 check")
        return FailingAfter(checks=value)
    m = re.fullmatch(r"\s*(\d+)\s*checks?\s*", str(value))
    if m and int(m.group(1)) >= 1:
        return FailingAfter(checks=int(m.group(1)))
    try:
        return FailingAfter(checks=None, seconds=parse_interval(str(value)))
    except ValueError:
        raise ValueError(f"bad failing_after {value!r} (a number of checks such as 3, or a duration such as 1d)"
                         ) from None


_HOST_LIKE = re.compile(r"(?:www\.)?(?:[A-Za-z0-9-]+\.)+([A-Za-z]{2,24})(?::\d+)?(?:[/?#].*)?")
_FILE_SUFFIXES = {"html", "htm", "xhtml", "md", "markdown", "txt", "text", "xml", "json", "php", "asp", "aspx",
                  "jsp", "shtml", "rst", "tex", "pdf", "yaml", "yml", "csv"}


def _resolve_path(url: str, where: str, base_dir: Path) -> str:
    """A local path, resolved against the folder of sources.yaml (not the current directory).

    Something that reads as a host name ("example.org/~dana") and is no file there gets a hint.
    """
    path = Path(os.path.expanduser(url))
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        m = _HOST_LIKE.fullmatch(url)
        if m and (url.startswith("www.") or m.group(1).lower() not in _FILE_SUFFIXES or "/" in url.split(".", 1)[1]):
            raise ConfigError(f"{where}: {url!r} is neither a file nor a URL: give the scheme"
                              f" (did you mean 'https://{url}'?)")
    return os.path.normpath(str(path))


def check_url(url: Any, where: str, base_dir: Path | None = None) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ConfigError(f"{where}: 'url' must be an http(s) URL or a file path")
    url = url.strip()
    parsed = urlparse(url)
    shown = redact_url(url) if parsed.scheme not in ("http", "https") or not parsed.netloc or " " in url else url
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc or " " in url:
            raise ConfigError(f"{where}: bad URL {shown!r}")
        try:
            parsed.port
        except ValueError:
            raise ConfigError(f"{where}: bad URL {redact_url(url)!r} (bad port)") from None
        return url
    if parsed.scheme == "" and base_dir is not None:
        return _resolve_path(url, where, base_dir)
    if parsed.scheme in ("", "file") or re.fullmatch(r"[a-zA-Z]", parsed.scheme):  # a path, maybe C:\...
        return url
    if re.fullmatch(r"[A-Za-z0-9.-]+:\d+(?:[/?#].*)?", url):  # "example.org:8080/x", "localhost:8000"
        raise ConfigError(f"{where}: bad URL {shown!r}: give the scheme (did you mean 'http://{shown}'?)")
    raise ConfigError(f"{where}: bad URL {shown!r} (only http, https and local files are supported)")


def _headers_env(value: Any, where: str) -> dict[str, str]:
    """``{Header-Name: ENV_VAR}``: request headers whose values are read from the environment."""
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: 'headers_env' must map header names to environment variable names,"
                          " e.g. {Authorization: DANA_AUTH}")
    out: dict[str, str] = {}
    for header, env in value.items():
        if not isinstance(header, str) or not _HEADER_NAME.fullmatch(header):
            raise ConfigError(f"{where}: headers_env: bad header name {header!r}")
        if not isinstance(env, str) or not _ENV_NAME.fullmatch(env):
            raise ConfigError(f"{where}: headers_env: {header}: give the NAME of an environment variable"
                              " (the value itself never goes into sources.yaml)")
        out[header] = env
    return out


def missing_header_envs(source: Source) -> list[str]:
    """The environment variables this source's ``headers_env`` names that are not set."""
    return [env for env in source.headers_env.values() if not os.environ.get(env)]


def source_headers(source: Source) -> dict[str, str]:
    """The extra request headers of a source, read from the environment now; ConfigError when one is unset."""
    missing = missing_header_envs(source)
    if missing:
        raise ConfigError(f"headers_env: environment variable {missing[0]} is not set"
                          f" (for header {next(h for h, e in source.headers_env.items() if e == missing[0])})")
    return {h: " ".join(os.environ[e].split()) for h, e in source.headers_env.items()}


def config_warnings(config: Config) -> list[str]:
    """Said once, at start: one line per source whose headers_env names an unset variable, one per channel
    whose password_env, url_env or secret_env does, and one for a file that lists no source at all."""
    out = [] if config.sources else [f"warning: {config.path}: no sources to watch"]
    for s in config.enabled_sources:
        for env in missing_header_envs(s):
            header = next(h for h, e in s.headers_env.items() if e == env)
            out.append(f"warning: {config.path}: source {s.name!r}: headers_env: environment variable {env} is"
                       f" not set (header {header}); its checks fail until it is")
    if not config.channels:  # nothing to deliver: the delivery code is not even loaded
        return out
    from .notify import delivery_settings

    for name, channel in delivery_settings(config).channels.items():
        for env in channel.secret_envs():
            if not os.environ.get(env):
                out.append(f"warning: {config.path}: channel {name!r}: environment variable {env} is not set;"
                           " its deliveries wait (and are retried) until it is")
    return out


def _cron_problem(cron: str) -> str | None:
    """What APScheduler (the daemon's scheduler) says is wrong with a crontab line, if anything."""
    from apscheduler.triggers.cron import CronTrigger  # imported here: most commands never need it

    try:
        CronTrigger.from_crontab(cron)
    except ValueError as exc:
        return str(exc)
    return None


def _css_ok(css: str) -> bool:
    from selectolax.lexbor import LexborHTMLParser, SelectolaxError

    try:
        LexborHTMLParser("<p></p>").css(css)
    except SelectolaxError:
        return False
    return bool(css.strip())


def _source(entry: Any, index: int, path: str, default_every: int,
            default_failing: FailingAfter = FailingAfter(), base_dir: Path | None = None) -> Source:
    """One entry of ``sources``; a relative local path is resolved against the folder of ``path``
    (``base_dir``, computed once per file by the caller)."""
    where = f"{path}: sources[{index}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each source must be a mapping with at least 'name' and 'url'")
    name = entry.get("name")
    if isinstance(name, str) and name.strip():
        where = f"{path}: source {name.strip()!r}"
    unknown = set(entry) - SOURCE_KEYS
    if "headers" in unknown:
        raise ConfigError(f"{where}: request headers go in 'headers_env', with the NAME of an environment"
                          " variable for each value (e.g. headers_env: {Authorization: DANA_AUTH})")
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(SOURCE_KEYS))})")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is required and must be a non-empty string")
    if _CONTROL.search(name):
        raise ConfigError(f"{where}: the name holds a control character or a line break")
    url = check_url(entry.get("url"), where, base_dir or Path(path).absolute().parent)
    try:
        every = parse_interval(entry["every"]) if "every" in entry else default_every
        failing = parse_failing_after(entry["failing_after"]) if "failing_after" in entry else default_failing
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    cron = entry.get("cron")
    if cron is not None:
        if "every" in entry:
            raise ConfigError(f"{where}: give 'every' or 'cron', not both")
        cron = str(cron).strip()
        if len(cron.split()) != 5:
            raise ConfigError(f"{where}: bad cron expression {cron!r} (five fields: minute hour day month weekday)")
        problem = _cron_problem(cron)
        if problem:
            raise ConfigError(f"{where}: bad cron expression {cron!r}: {problem}")
    fmt = str(entry.get("format", "auto")).lower()
    if fmt not in FORMATS:
        raise ConfigError(f"{where}: bad format {fmt!r} (one of {', '.join(FORMATS)})")
    tags = entry.get("tags", [])
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ConfigError(f"{where}: 'tags' must be a list of strings")
    selectors = entry.get("selectors", {}) or {}
    if not isinstance(selectors, dict) or set(selectors) - set(SELECTOR_KEYS):
        raise ConfigError(f"{where}: 'selectors' takes CSS selectors for {', '.join(SELECTOR_KEYS)}")
    for kind, css in selectors.items():
        if not _css_ok(str(css)):
            raise ConfigError(f"{where}: selectors: {kind}: {css!r} is not a CSS selector")
    headers_env = _headers_env(entry["headers_env"], where) if "headers_env" in entry else {}
    follow = _follow(entry["follow"], where) if "follow" in entry else "auto"
    pages = _pages(entry["pages"], url, where, Path(path).absolute().parent) if "pages" in entry else []
    if pages and "follow" in entry:
        raise ConfigError(f"{where}: give 'pages' (the pages read with the homepage, no links followed) or"
                          " 'follow', not both")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: 'enabled' must be true or false, not {enabled!r}")
    return Source(name=name.strip(), url=url, every=every, cron=cron, format=fmt, tags=tags,
                  selectors={k: str(v) for k, v in selectors.items()}, failing_after=failing, headers_env=headers_env,
                  enabled=enabled, follow=follow, pages=pages)


def _follow(value: Any, where: str) -> str:
    """``auto`` (the homepage's links to its publication and news pages are followed) or ``none``."""
    mode = value.strip().lower() if isinstance(value, str) else None
    if mode not in FOLLOW_MODES:
        raise ConfigError(f"{where}: follow: use auto (also read the pages the homepage links to as its"
                          f" publications or news) or none (the homepage alone), not {value!r}")
    return mode


def _pages(value: Any, url: str, where: str, base_dir: Path) -> list[str]:
    """The pages read with the homepage, in order: web pages or local files, each once, at most LISTED_MAX."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: 'pages' must be a list of addresses, e.g. [https://dana.example.org/publications/]")
    if len(value) > LISTED_MAX:
        raise ConfigError(f"{where}: pages: at most {LISTED_MAX} pages per source ({len(value)} given)")
    pages: list[str] = []
    seen = {redact_url(url)}
    for i, raw in enumerate(value):
        at = f"{where}: pages[{i}]"
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"{at}: give the address of a page (an http(s) URL or a file path)")
        page = check_url(raw, at, base_dir)
        if is_web(page) and not is_page(page):
            raise ConfigError(f"{at}: {redact_url(page)!r} is not a web page (HTML, Markdown or text)")
        if redact_url(page) in seen:
            raise ConfigError(f"{at}: {redact_url(page)!r} is " + ("the source's own address" if redact_url(page)
                                                                   == redact_url(url) else "listed twice"))
        seen.add(redact_url(page))
        pages.append(page)
    return pages


def parse_config(text: str, path: str = "sources.yaml") -> Config:
    """Parse and validate the text of a sources file."""
    import yaml  # here, not at the top: a command that finds its sources cached never reads YAML

    from .yamlread import load_yaml

    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid YAML{at}: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping with a 'sources' list")
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: 'defaults' must be a mapping")
    bad = set(defaults) - DEFAULT_KEYS
    if bad:
        raise ConfigError(f"{path}: defaults: unknown key {sorted(bad)[0]!r} (allowed: {', '.join(sorted(DEFAULT_KEYS))})")
    config = Config(path=path, sources=[])
    try:
        if "every" in defaults:
            config.every = parse_interval(defaults["every"])
        if "failing_after" in defaults:
            config.failing_after = parse_failing_after(defaults["failing_after"])
        for key, kind in (("concurrency", int), ("per_host", int), ("timeout", float), ("max_bytes", int),
                          ("politeness", float), ("extraction_timeout", float)):
            if key in defaults:
                raw = defaults[key]
                if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (kind is int and raw != int(raw)):
                    raise ValueError(f"{key} must be {'a whole number' if kind is int else 'a number'}, not {raw!r}")
                value = kind(raw)
                if value < 0 or (value == 0 and key != "politeness"):
                    raise ValueError(f"{key} must be {'zero or more' if key == 'politeness' else 'positive'}")
                setattr(config, key, value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: defaults: {exc}") from None
    contact = defaults.get("user_agent_contact")
    config.user_agent_contact = str(contact) if contact else None
    sources = data.get("sources")
    if sources is None:
        sources = []
    if not isinstance(sources, list):
        raise ConfigError(f"{path}: 'sources' must be a list")
    seen: dict[str, str] = {}
    base_dir = Path(path).absolute().parent
    for i, entry in enumerate(sources):
        src = _source(entry, i, path, config.every, config.failing_after, base_dir)
        other = seen.get(src.name.casefold())
        if other is not None:
            also = "" if other == src.name else f" (as {other!r})"
            raise ConfigError(f"{path}: source {src.name!r}: duplicate name{also}"
                              " (names must be unique, ignoring case)")
        seen[src.name.casefold()] = src.name
        config.sources.append(src)
    channels = data.get("channels") or {}
    routes = data.get("routes") or []
    if not isinstance(channels, dict):
        raise ConfigError(f"{path}: 'channels' must be a mapping of channel names to settings")
    if not isinstance(routes, list):
        raise ConfigError(f"{path}: 'routes' must be a list")
    config.channels, config.routes = channels, routes
    if channels or routes:  # nothing to deliver: the delivery code is not even loaded
        from .notify import validate_delivery

        validate_delivery(config)
    return config


CACHE_FROM_BYTES = 32 * 1024  # a sources file this big (some 300 sources) keeps its parse in a cache file


def load_config(path: str | Path, cache: str | Path | None = None, *,
                meanwhile: Callable[[], object] | None = None) -> Config:
    """Read and validate a sources file from disk. ``cache``: a file where the parse of a large file is
    kept (``CACHE_FROM_BYTES``), so that reading it again costs an unpickling, not a parse; it is used
    only for the very same bytes, read from the same place by the same code. ``meanwhile``: work for
    this process while a child parses the file (``_parse_apart``), when one does."""
    p = Path(path)
    try:
        data = p.read_bytes()
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file (give --config or set MONITOR_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read: {exc}") from None
    if cache is None or len(data) < CACHE_FROM_BYTES:
        return parse_config(text, str(p))
    key = _cache_key(data, p)
    config = _cached(Path(cache), key)
    if config is None:
        config = _parse_apart(text, str(p), Path(cache), key, meanwhile)
    if config is None:
        config = parse_config(text, str(p))
        _keep(Path(cache), key, config)
    config.path = str(p)
    return config


def _parse_apart(text: str, path: str, cache: Path, key: str,
                 meanwhile: Callable[[], object] | None = None) -> Config | None:
    """``parse_config`` in a forked child, which sends back the cache's bytes, kept here as they come
    (None: no fork here, or the child failed; the caller parses). This process runs ``meanwhile``
    while it waits.

    The YAML reader builds the whole file's node graph before the first source is made: some 25 MB for
    10,000 sources, freed again but kept by the allocator in this process for as long as it runs (a
    first run of 10,000 sources peaked 9 MB higher than one whose parse was cached). A child takes that
    peak with it when it exits. Only on Linux (macOS's system libraries are not safe in a forked child)
    and from a process with one thread (a lock another thread held at the fork would stay held
    in the child). The child's errors are raised here, with the same words.
    """
    import threading

    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return None
    try:
        read, write = os.pipe()
    except OSError:  # no file descriptors left: parsed here
        return None
    try:
        pid = os.fork()
    except OSError:  # no process to spare (a container's limit, memory): parsed here
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: parse, answer, leave without running any of the parent's exit code
        code = 0
        # No cyclic collection in the child: one would write to the header of every object it inherited,
        # copying each page of memory it shares with the parent (some 30 ms of a 1,000-source parse that
        # takes 20); what the parse leaves behind goes when the child exits.
        gc.disable()
        try:
            os.close(read)
            try:
                answer: tuple[str, Any] = (key, parse_config(text, path))
            except ConfigError as exc:
                answer = ("error", str(exc))
            with os.fdopen(write, "wb") as out:
                pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            code = 1
        os._exit(code)
    os.close(write)
    try:
        if meanwhile is not None:
            meanwhile()
    finally:  # whatever it did, the child is heard and waited for
        with os.fdopen(read, "rb") as answers:
            blob = answers.read()  # to the end before waiting: a full pipe would block the child
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    kind, value = pickle.loads(blob)
    if kind == "error":
        raise ConfigError(value)
    _keep_bytes(cache, blob)
    return value


def _cache_key(data: bytes, path: Path) -> str:
    """The file's bytes, where it is (relative file sources resolve against it, ``~`` against $HOME), and
    the code that parses it (the package's files as they are now)."""
    digest = hashlib.sha256(data)
    here = Path(__file__).parent
    code = sorted((e.name, st.st_mtime_ns, st.st_size) for e in os.scandir(here) if e.name.endswith(".py")
                  for st in (e.stat(),))
    for part in (str(path.absolute()), os.environ.get("HOME", ""), repr(code)):
        digest.update(b"\0" + part.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _cached(cache: Path, key: str) -> Config | None:
    try:
        with open(cache, "rb") as f:
            stored_key, config = pickle.load(f)
    except Exception:  # no cache yet, or one that cannot be read: the file is parsed
        return None
    return config if stored_key == key and isinstance(config, Config) else None


def _keep(cache: Path, key: str, config: Config) -> None:
    """Write the cache whole or not at all; a folder that cannot be written only costs the next parse."""
    try:
        blob = pickle.dumps((key, config), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # a value that does not pickle: no cache, and nothing else changes
        return
    _keep_bytes(cache, blob)


def _keep_bytes(cache: Path, blob: bytes) -> None:
    """The cache file, written whole (a temporary file renamed over it) or not at all."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=cache.name + ".", dir=cache.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, cache)
    except OSError:  # a full disk: no cache, and nothing else changes
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def config_cache(db_path: str | Path) -> Path | None:
    """Where the parse of a large sources file is kept: beside the database (none for one in memory)."""
    if str(db_path) == ":memory:":
        return None
    db = Path(db_path)
    return db.with_name(db.name + ".sources-cache")
