"""Compiled patterns kept between processes (``monitor.regexcache``). ``re``'s dict belongs to a process, so
every case runs real processes one after the other over one cache folder, as commands and workers do."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from monitor import regexcache

from .conftest import PAGES

# (pattern, flags, a text to try it on): groups, named groups, flags, Unicode classes, bytes, verbose
PATTERNS = [
    (r"(?P<year>(?:19|20)\d{2})(?:-(\d{2}))?", 0, "in 2024-05 and 1999"),
    (r"\b(?:neurips|icml|acl)\b", "I", "NeurIPS 2024, ACL 2023"),
    (r"^\s*(?:[-*\u2022]|\d+\.)\s+(.+)$", "M", "intro\n - one\n2. two"),
    (r"(?x) (\w+) \s* @ \s* (\w+)  # name at host", 0, "dana @ example"),
    (r"[\u00c0-\u017f]+", 0, "Zoë Łukasz café"),
    (r"(a)|(b)", "S", "ab\nba"),
    (b"\\x00[\\x80-\\xff]+", 0, b"\x00\xe9\xff!"),
]

SCRIPT = r"""
import json, re, sys
from monitor import regexcache

loaded = regexcache.load(sys.argv[1])
out = {"loaded": loaded, "patterns": []}
for text, flags, sample in PATTERNS + [(t, 0, "") for t in json.loads(sys.argv[2])]:
    flag = getattr(re, flags) if flags else 0
    compiled = re.compile(text, flag)
    key = (type(text), text, flag)
    fresh = re._compiler.compile(text, flag)
    out["patterns"].append({
        "pattern": repr(text),
        "from_file": key in regexcache._state.kept,
        "same_as_compiled": compiled == fresh,
        "groups": compiled.groups, "names": dict(compiled.groupindex),
        "found": repr(compiled.findall(sample)),
    })
out["saved"] = regexcache.save(sys.argv[1])
print(json.dumps(out))
"""


def _run(cache: Path | str, role: str = "t", extra: list[str] | None = None, install: Path | None = None) -> dict:
    """One process over ``cache``; ``install``: a folder holding another copy of the package, run instead (the
    folder a ``-c`` script starts in comes first on its path)."""
    env = {**os.environ, "MONITOR_CACHE_DIR": str(cache)}
    code = f"PATTERNS = {PATTERNS!r}\n{SCRIPT}"
    proc = subprocess.run([sys.executable, "-c", code, role, json.dumps(extra or [])], capture_output=True,
                          text=True, env=env, timeout=60, cwd=install)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _file(cache: Path, role: str = "t") -> Path:
    (path,) = cache.glob(f"patterns-{role}-*.marshal")
    return path


def test_patterns_made_from_the_file_are_the_patterns_python_compiles(tmp_path):
    first = _run(tmp_path)
    assert first["loaded"] == 0 and first["saved"] >= len(PATTERNS)
    assert not any(p["from_file"] for p in first["patterns"])
    second = _run(tmp_path)
    assert second["loaded"] >= len(PATTERNS) and second["saved"] == 0  # complete: nothing compiled anew
    for cold, warm in zip(first["patterns"], second["patterns"]):
        assert warm["from_file"] and warm["same_as_compiled"], warm["pattern"]
        assert (warm["groups"], warm["names"], warm["found"]) == (cold["groups"], cold["names"], cold["found"])
    assert second["patterns"][0]["found"] == repr([("2024", "05"), ("1999", "")])


def test_a_pattern_new_to_the_file_is_kept_when_a_second_process_compiles_it(tmp_path):
    _run(tmp_path)  # a new file takes everything
    size = _file(tmp_path).stat().st_size
    once = _run(tmp_path, extra=["one-off-1", "again"])
    assert once["saved"] == 2 and not any(p["from_file"] for p in once["patterns"][-2:])
    twice = _run(tmp_path, extra=["one-off-2", "again"])
    assert [p["from_file"] for p in twice["patterns"][-2:]] == [False, False]  # both only noted until now
    third = _run(tmp_path, extra=["one-off-3", "again"])
    assert [p["from_file"] for p in third["patterns"][-2:]] == [False, True]  # "again": kept at its second sighting
    # patterns that differ in each process (as ``email`` builds some from sets) never pile up
    for n in range(4, 12):
        _run(tmp_path, extra=[f"one-off-{n}", "again"])
    assert _file(tmp_path).stat().st_size < size + 200


def test_two_installations_keep_a_file_each(tmp_path):
    other = tmp_path / "other-install"
    shutil.copytree(Path(regexcache.__file__).parent, other / "monitor", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    for install in (None, other):
        assert _run(cache, install=install)["loaded"] == 0  # (the other's first process finds no file of its own)
    assert len(list(cache.glob("patterns-t-*.marshal"))) == 2
    for _ in range(2):  # switching from one to the other and back: each still finds its own patterns
        for install in (None, other):
            assert _run(cache, install=install)["loaded"] >= len(PATTERNS)


def test_files_unused_for_a_month_go_when_a_file_is_written(tmp_path):
    month_ago = time.time() - regexcache.STALE_SECONDS - 3600
    _run(tmp_path)
    own = _file(tmp_path)
    os.utime(own, (month_ago, month_ago))
    stale = [tmp_path / "patterns-t-cpython-311.marshal",  # the name before installations had files of their own
             tmp_path / "patterns-worker-cpython-311-deadbeef.marshal",  # an installation deleted since
             tmp_path / "patterns-t-cpython-311-deadbeef.marshal.4242.part"]  # a write cut short
    recent = tmp_path / "patterns-worker-cpython-311-cafef00d.marshal"
    other = tmp_path / "notes.txt"
    for path in [*stale, recent, other]:
        path.write_bytes(b"x")
    for path in [*stale, other]:
        os.utime(path, (month_ago, month_ago))
    assert _run(tmp_path)["loaded"] >= len(PATTERNS)  # reading its file marks it used: it stays
    assert time.time() - own.stat().st_mtime < 600
    assert all(p.exists() for p in [*stale, recent, other])  # nothing written yet: nothing removed
    assert _run(tmp_path, extra=["new-1"])["saved"] == 1  # a file written: the stale ones go
    assert not any(p.exists() for p in stale)
    assert own.exists() and recent.exists() and other.exists()


def test_a_damaged_or_foreign_file_is_passed_over_and_written_anew(tmp_path):
    _run(tmp_path)
    path = _file(tmp_path)
    stamp, entries, noted = marshal.loads(path.read_bytes())
    year = next(i for i, e in enumerate(entries) if e[0] == PATTERNS[0][0])
    broken = [*entries[:year], (*entries[year][:3], entries[year][3][:-3], *entries[year][4:]), *entries[year + 1:]]
    for damage in (b"not marshal data", path.read_bytes()[:100], marshal.dumps(("other python", entries, noted)),
                   marshal.dumps((stamp, broken, noted)), marshal.dumps((stamp, entries))):
        path.write_bytes(damage)
        result = _run(tmp_path)
        assert result["loaded"] == 0 and not any(p["from_file"] for p in result["patterns"])
        assert all(p["same_as_compiled"] for p in result["patterns"])
        assert result["patterns"][0]["found"] == repr([("2024", "05"), ("1999", "")])
        assert _run(tmp_path)["loaded"] >= len(PATTERNS)  # the file is whole again


def test_an_empty_cache_setting_reads_and_writes_nothing(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "MONITOR_CACHE_DIR": "", "XDG_CACHE_HOME": str(home), "HOME": str(home)}
    code = "from monitor import regexcache; import re; re.compile('x+y'); print(regexcache.save('t'))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.stdout.strip() == "0" and not home.exists()


def test_a_cache_folder_that_cannot_be_written_changes_nothing(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder would be")
    result = _run(blocked / "patterns")
    assert result["saved"] == 0 and all(p["same_as_compiled"] for p in result["patterns"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_a_run_leaves_complete_files_for_the_command_and_the_workers(tmp_path, page_server):
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "MONITOR_CACHE_DIR": str(cache)}
    argv = [sys.executable, "-m", "monitor", "--config", str(config), "--db", str(tmp_path / "m.db"), "run"]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _file(cache, "command").stat().st_size > 0
    # a worker's file holds every pattern the extractor compiles as it loads: a new worker compiles none
    check = ("from monitor import regexcache; n = regexcache.load('worker'); import monitor.extract;"
             " print(n, regexcache.save('worker'))")
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, env=env, timeout=60)
    loaded, fresh = map(int, out.stdout.split())
    assert loaded > 100 and fresh == 0, out.stderr
