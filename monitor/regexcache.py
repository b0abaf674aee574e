"""Regular expressions compiled once per installation instead of once per process.

Each ``monitor`` command and each extraction worker compiles a few hundred patterns while its modules
load (the extractor's cues, the command line's and the HTTP stack's grammars): about 40 ms of the 80 ms a
worker takes to start, and 36 ms of a run's start, spent again by every process. Python's ``re`` keeps
what it compiled in a dict (``re._cache``, keyed by the pattern's type, the pattern and its flags), where
``re.compile`` looks first. So a process writes the compiled form (``_sre`` code) of the patterns it
compiled to a file of the user's cache directory, and the next process of the same role fills ``re``'s
dict from that file before its modules load: a pattern made from its code costs a few microseconds.

Some modules build patterns from sets (``email``'s header grammar), so their text differs from one
process to the next: a pattern new to the file is only noted the first time (its key), and its code is
written when a later process compiles it again, so those never pile up. (A new file, or one written
for other files of this package, takes every pattern at once.)

The file changes nothing but the time it takes: a pattern is written only when the one made from its
code equals (pattern, flags and code: ``Pattern.__eq__``) the one Python compiled; a file written by
another Python build, or for other files of this package (edited, upgraded), is ignored and replaced
(each installation has a file of its own, and one unused for 30 days goes when another is written);
``_sre`` checks any code it is given; and a file that cannot be read or written is passed over in
silence, the process compiling as it always would. ``MONITOR_CACHE_DIR`` names the directory (default:
``$XDG_CACHE_HOME/scholarwatch``, else ``~/.cache/scholarwatch``); set empty, no file is read or written.
"""

from __future__ import annotations

import binascii
import marshal
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ENV = "MONITOR_CACHE_DIR"
LIMIT = 448  # patterns in one file at most: ``re`` keeps 512 (``re._MAXCACHE``) and drops the oldest past that
# A file no process has read or written for this long is an installation's that is gone (or one of an older
# name): the next file written in its folder removes it, so the folder does not grow with each install.
STALE_SECONDS = 30 * 24 * 3600

Key = tuple[type, Any, int]  # re's own key: the pattern's type, the pattern, the flags it was compiled with
Entry = tuple[Any, int, int, list[int], int, dict[str, int], tuple[str | None, ...]]  # what ``_sre.compile`` takes


class _State:
    """What this process knows of its role's file."""

    def __init__(self) -> None:
        self.current = False  # a file for this Python and these package files was read
        self.kept: dict[Key, Entry] = {}  # patterns with their code, read from the file or written to it
        self.noted: set[Key] = set()  # patterns the file read notes as seen once (not kept yet)
        self.pending: set[Key] = set()  # patterns this process saw first: the file it writes notes them
        self.refused: set[Key] = set()  # patterns whose code did not make them again: always compiled
        self.stamp: tuple[Any, ...] | None = None  # ``_stamp()``, taken once: what this process's code is


_state = _State()


def cache_dir() -> Path | None:
    """Where the files go (None: nowhere, ``MONITOR_CACHE_DIR`` set empty)."""
    named = os.environ.get(ENV)
    if named is not None:
        return Path(named) if named else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scholarwatch"


def _supported() -> bool:
    """CPython's ``re``, as 3.11 to 3.13 build it: a dict of compiled patterns, a parser and a code generator."""
    compiler = getattr(re, "_compiler", None)
    return (sys.implementation.name == "cpython" and isinstance(getattr(re, "_cache", None), dict)
            and hasattr(compiler, "_code") and hasattr(getattr(re, "_parser", None), "parse"))


def _stamp() -> tuple[Any, ...]:
    """What the file was written for: the Python build (``_sre``'s code) and this package's files (a new
    version compiles other patterns: its file starts afresh instead of growing with the old ones). Taken
    once a process, so a save writes the stamp of the code that compiled its patterns, even when the
    package is upgraded under a long-running process."""
    if _state.stamp is None:
        _state.stamp = _take_stamp()
    return _state.stamp


def _take_stamp() -> tuple[Any, ...]:
    import _sre  # type: ignore[import-not-found]

    package = Path(__file__).parent
    files = []
    for folder in (package, package / "extract"):
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith((".py", ".so", ".pyd")):
                    st = entry.stat()
                    files.append((folder.name, entry.name, st.st_size, st.st_mtime_ns))
    return (sys.version, _sre.MAGIC, _sre.CODESIZE, sys.maxunicode, str(package), tuple(sorted(files)))


def _file(role: str) -> Path | None:
    """The role's file for this installation: two installs of the monitor (a virtual environment each, say)
    keep a file each, where one shared file would be replaced at every switch from one to the other."""
    folder = cache_dir()
    if folder is None:
        return None
    install = binascii.crc32(os.fsencode(Path(__file__).parent))  # (its own path: cheap to import and to take)
    return folder / f"patterns-{role}-{sys.implementation.cache_tag}-{install:08x}.marshal"


def load(role: str) -> int:
    """Put the patterns of ``role``'s file into ``re``'s dict (those not there already); how many were put.
    Called before the modules that compile them are imported."""
    import _sre  # type: ignore[import-not-found]

    path = _file(role)
    if path is None or not _supported():
        return 0
    try:
        current = _stamp()  # (taken now, as the modules load: ``_stamp``)
        stamp, entries, noted = marshal.loads(path.read_bytes())
        if stamp != current:
            return 0
        cache: dict[Key, Any] = re._cache  # type: ignore[attr-defined]
        kept = {(type(entry[0]), entry[0], entry[1]): entry for entry in entries[:LIMIT]}
        made = {key: _sre.compile(entry[0], *entry[2:]) for key, entry in kept.items() if key not in cache}
        seen_once = {(type(pattern), pattern, flags) for pattern, flags in noted}
    except Exception:  # no file yet, one not ours to read, or a ``re`` built otherwise: compiled as usual
        return 0
    cache.update(made)  # all or nothing: a file with one bad pattern gives none
    _state.kept, _state.noted, _state.current = kept, seen_once, True
    try:
        os.utime(path)  # in use: not stale (``STALE_SECONDS``), however long since it was last written
    except OSError:
        pass
    return len(made)


def _entry(key: Key, compiled: re.Pattern[Any]) -> Entry | None:
    """What ``_sre.compile`` needs to make ``compiled`` again (``re._compiler.compile``, step by step), or
    None when what it makes is not the same pattern."""
    import _sre  # type: ignore[import-not-found]

    _, pattern, flags = key
    parsed = re._parser.parse(pattern, flags)  # type: ignore[attr-defined]
    code = [int(op) for op in re._compiler._code(parsed, flags)]  # type: ignore[attr-defined]  # opcodes are int subclasses
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    entry: Entry = (pattern, flags, int(flags | parsed.state.flags), code, parsed.state.groups - 1, groupindex,
                    tuple(indexgroup))
    return entry if _sre.compile(pattern, *entry[2:]) == compiled else None


def _prune(written: Path) -> None:
    """Remove the pattern files of ``written``'s folder (and any left half-written) that no process has
    read or written for ``STALE_SECONDS``."""
    cutoff = time.time() - STALE_SECONDS
    try:
        with os.scandir(written.parent) as entries:
            names = [entry.path for entry in entries if entry.name.startswith("patterns-")
                     and entry.name.endswith((".marshal", ".part")) and entry.name != written.name]
    except OSError:
        return
    for path in names:
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
        except OSError:  # another process removed it first, or it is not ours to remove: the others still go
            pass


def save(role: str) -> int:
    """Write ``role``'s file when this process compiled patterns it lacked; how many those were. Only
    they are compiled again here (for their code): once the file is complete, this costs a look at
    ``re``'s dict."""
    path = _file(role)
    if path is None or not _supported():
        return 0
    st = _state
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    try:
        cache: dict[Key, Any] = re._cache  # type: ignore[attr-defined]
        fresh = [(key, p) for key, p in list(cache.items())
                 if key not in st.kept and key not in st.pending and key not in st.refused
                 and isinstance(key[1], (str, bytes)) and not key[2] & (re.DEBUG | getattr(re, "TEMPLATE", 0))]
        if not fresh:
            return 0
        for key, compiled in fresh:
            if st.current and key not in st.noted:
                st.pending.add(key)  # seen once: noted, kept if a later process compiles it too
                continue
            try:
                entry = _entry(key, compiled)
            except Exception:  # a pattern ``re``'s own steps do not make again as it compiled it
                entry = None
            if entry is None:
                st.refused.add(key)
            else:
                st.kept[key] = entry
        entries = list(st.kept.values())[-LIMIT:]
        noted = [(pattern, flags) for _, pattern, flags in st.pending]
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(marshal.dumps((_stamp(), entries, noted)))
        os.replace(partial, path)  # whole or not at all, whichever process writes last
        st.current = True
        _prune(path)
    except Exception:  # an unwritable folder, a full disk: nothing kept, nothing else changes
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        return 0
    return len(fresh)
