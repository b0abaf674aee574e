"""sources.yaml: the documented form parses; every malformed form is one clear line naming the entry."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.sources import (CACHE_FROM_BYTES, _cache_key, _keep, _parse_apart, config_cache, load_config, parse_config,
                             parse_interval)

GOOD = """
defaults:
  every: 12h
  user_agent_contact: mailto:you@example.org
sources:
  - name: Dana Example
    url: https://dana.example.org/
    every: 1d
    format: html
    tags: [nlp, collaborators]
    selectors:
      publications: "#papers li"
  - name: Local Page
    url: ./pages/dana.md
"""


def test_documented_form():
    config = parse_config(GOOD, "sources.yaml")
    dana, local = config.sources
    assert (dana.name, dana.url, dana.every, dana.format) == ("Dana Example", "https://dana.example.org/", 86400, "html")
    assert dana.tags == ["nlp", "collaborators"] and dana.selectors == {"publications": "#papers li"}
    assert local.every == 12 * 3600 and local.format == "auto"
    assert config.user_agent_contact == "mailto:you@example.org"


@pytest.mark.parametrize("value,seconds", [("30m", 1800), ("12h", 43200), ("1d", 86400), ("1h30m", 5400),
                                           ("90s", 90), (600, 600), ("1w", 604800)])
def test_intervals(value, seconds):
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("text,needle", [
    ("sources: [", "invalid YAML"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    colour: red\n", "source 'A': unknown key 'colour'"),
    ("sources:\n  - name: A\n    url: https://a.org/\n  - name: A\n    url: https://b.org/\n", "source 'A': duplicate name"),
    ("sources:\n  - name: A\n    url: ftp://a.org/\n", "source 'A': bad URL"),
    ("sources:\n  - name: A\n    url: https://\n", "source 'A': bad URL"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    every: sometimes\n", "source 'A': bad interval"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    format: pdf\n", "source 'A': bad format"),
    ("sources:\n  - url: https://a.org/\n", "sources[0]: 'name' is required"),
    ("sources:\n  - name: A\n", "source 'A': 'url' must be"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    url: https://b.org/\n", "duplicate key 'url'"),
    ("source:\n  - name: A\n", "unknown top-level key 'source'"),
    ("sources: {name: A}\n", "'sources' must be a list"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    cron: '61 8 * * *'\n", "source 'A': bad cron expression"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    every: 1d\n    cron: '0 8 * * mon'\n",
     "source 'A': give 'every' or 'cron', not both"),
    ("sources:\n  - name: A\n    url: https://a.org/\n    selectors: {publications: 'li:nth-child('}\n",
     "source 'A': selectors: publications"),
    ("sources:\n  - name: \"A\\nB\"\n    url: https://a.org/\n", "control character or a line break"),
    ("defaults: {concurrency: 2.7}\nsources: []\n", "defaults: concurrency must be a whole number"),
    ("defaults: {politeness: -1}\nsources: []\n", "defaults: politeness must be zero or more"),
    ("defaults: {timeout: fast}\nsources: []\n", "defaults: timeout must be a number"),
])
def test_malformed_files_name_file_entry_and_problem(text, needle):
    with pytest.raises(ConfigError) as err:
        parse_config(text, "my/sources.yaml")
    message = str(err.value)
    assert message.startswith("my/sources.yaml")
    assert needle in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml")


def test_the_shipped_sources_file_is_valid():
    from pathlib import Path

    config = load_config(Path(__file__).parent.parent / "sources.yaml")
    assert len(config.sources) == 5


def test_a_file_with_no_sources_is_loaded_with_a_warning():
    from monitor.sources import config_warnings

    assert config_warnings(parse_config("sources: []\n", "my/sources.yaml")) == [
        "warning: my/sources.yaml: no sources to watch"]


@pytest.mark.parametrize("text", [
    "sources: [", "sources:\n  - name: A\n\tnot: indented\n", "sources:\n  - name: [A\n", "a: b: c\n",
    "sources:\n  - name: A\n    url: https://a.org/\n    url: https://b.org/\n", "sources:\n- name: 'A\n",
    "sources:\n  - name: A\x01\n", "sources:\n  - &x name: A\n  - *y\n", "{sources: [}\n",
])
def test_the_fast_yaml_reader_gives_the_pure_readers_messages(text, monkeypatch):
    """sources.yaml is read by libyaml when PyYAML has it; a file it refuses is read again by the
    pure-Python loader, so every message is the one that loader gives, word for word."""
    import yaml

    from monitor import yamlread

    assert yamlread._FastUniqueKeyLoader.__mro__[1] is yaml.CSafeLoader  # the fast path is the one tested
    with pytest.raises(ConfigError) as fast:
        parse_config(text, "my/sources.yaml")
    monkeypatch.setattr(yamlread, "_FastUniqueKeyLoader", yamlread._UniqueKeyLoader)
    with pytest.raises(ConfigError) as pure:
        parse_config(text, "my/sources.yaml")
    assert str(fast.value) == str(pure.value)
    assert str(fast.value).startswith("my/sources.yaml")


def test_the_fast_yaml_reader_reads_what_the_pure_one_reads(monkeypatch):
    from monitor import yamlread

    text = (Path(__file__).parent.parent / "sources.yaml").read_text()
    fast = parse_config(text, "sources.yaml")
    monkeypatch.setattr(yamlread, "_FastUniqueKeyLoader", yamlread._UniqueKeyLoader)
    assert parse_config(text, "sources.yaml") == fast


def _many(n: int, first: str = "Person") -> str:
    return "sources:\n" + "".join(f"  - name: {first} {i}\n    url: https://p{i}.example.org/\n    tags: [lab]\n"
                                  for i in range(n))


def test_a_large_file_keeps_its_parse_beside_the_database_for_the_same_bytes_only(tmp_path):
    path, cache = tmp_path / "sources.yaml", config_cache(tmp_path / "m.db")
    path.write_text(_many(600))
    assert path.stat().st_size >= CACHE_FROM_BYTES
    first = load_config(path, cache)
    assert cache.exists() and load_config(path, cache) == first == load_config(path)

    _keep(cache, _cache_key(path.read_bytes(), path), parse_config(_many(3, "Cached"), str(path)))
    assert [s.name for s in load_config(path, cache).sources] == ["Cached 0", "Cached 1", "Cached 2"]  # it is read

    path.write_text(_many(600).replace("Person 7\n", "Someone Else\n"))  # other bytes: parsed again, cache renewed
    assert load_config(path, cache).sources[7].name == "Someone Else"
    assert load_config(path, cache).sources[7].name == "Someone Else"

    cache.write_bytes(b"not a pickle")  # a damaged cache costs a parse, nothing else
    assert load_config(path, cache).sources[7].name == "Someone Else"

    path.write_text(_many(600) + "  - name: Person 3\n    url: https://x.example.org/\n")
    with pytest.raises(ConfigError, match="duplicate name"):  # errors are never cached away
        load_config(path, cache)


def test_a_small_file_or_an_unwritable_folder_makes_no_cache(tmp_path):
    small = tmp_path / "small.yaml"
    small.write_text(_many(3))
    cache = config_cache(tmp_path / "m.db")
    assert len(load_config(small, cache).sources) == 3 and not cache.exists()
    big = tmp_path / "big.yaml"
    big.write_text(_many(600))
    nowhere = config_cache(tmp_path / "missing" / "folder" / "m.db")
    assert len(load_config(big, nowhere).sources) == 600 and not nowhere.parent.exists()
    assert config_cache(":memory:") is None and len(load_config(big, config_cache(":memory:")).sources) == 600


CHILD_PARSE = """
import sys
from pathlib import Path
from monitor.errors import ConfigError
from monitor.sources import _cache_key, _cached, _parse_apart, parse_config
path, cache, bad = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
text = path.read_text()
config = _parse_apart(text, str(path), cache, _cache_key(path.read_bytes(), path))
assert config is not None and config == parse_config(text, str(path)), "not parsed in a child"
assert _cached(cache, _cache_key(path.read_bytes(), path)) == config, "the child's bytes are not the cache"
words = []
for parse in (lambda: _parse_apart(bad, str(path), cache, "other"), lambda: parse_config(bad, str(path))):
    try:
        parse()
    except ConfigError as exc:
        words.append(str(exc))
print(len(config.sources), words[0] == words[1], words[0])
"""


def test_a_large_file_is_parsed_in_a_child_that_answers_with_the_parse_or_its_error(tmp_path):
    """In a fresh process (one thread, as ``monitor run`` is when it reads its sources)."""
    path, cache = tmp_path / "sources.yaml", config_cache(tmp_path / "m.db")
    path.write_text(_many(600))
    bad = _many(600) + "  - name: Person 3\n    url: https://x.example.org/\n"
    out = subprocess.run([sys.executable, "-c", CHILD_PARSE, str(path), str(cache), bad], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    count, same, words = out.stdout.strip().split(" ", 2)
    assert count == "600" and same == "True" and "duplicate name" in words


MEANWHILE = """
import os, sys
from pathlib import Path
from monitor.sources import load_config, parse_config
path, cache = Path(sys.argv[1]), Path(sys.argv[2])
calls = []
def meanwhile():
    calls.append([line.split()[1] for line in open("/proc/self/status") if line.startswith("Threads")])
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
    calls[-1].append(len(children))  # the parsing child is there while this runs
config = load_config(path, cache, meanwhile=meanwhile)
assert config == parse_config(path.read_text(), str(path))
assert load_config(path, cache, meanwhile=meanwhile) == config  # read from the cache: no child, no call
def broken():
    raise RuntimeError("meanwhile failed")
cache.unlink()
try:
    load_config(path, cache, meanwhile=broken)
except RuntimeError as exc:
    failed = str(exc)
left = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read_text().split()
print(calls, failed, len(left))
"""


def test_this_process_works_meanwhile_while_a_child_parses_and_the_child_is_always_waited_for(tmp_path):
    path, cache = tmp_path / "sources.yaml", config_cache(tmp_path / "m.db")
    path.write_text(_many(600))
    out = subprocess.run([sys.executable, "-c", MEANWHILE, str(path), str(cache)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[['1', 1]] meanwhile failed 0"


def test_with_another_thread_running_the_file_is_parsed_in_the_process(tmp_path):
    cache = config_cache(tmp_path / "m.db")
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert _parse_apart(_many(600), "sources.yaml", cache, "key") is None and not cache.exists()
    finally:
        stop.set()
        other.join()


def test_when_no_child_can_be_made_the_file_is_parsed_in_the_process(tmp_path, monkeypatch):
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr("threading.active_count", lambda: 1)  # as in a one-threaded run, whatever pytest runs
    monkeypatch.setattr("os.fork", no_fork)
    path, cache = tmp_path / "sources.yaml", config_cache(tmp_path / "m.db")
    path.write_text(_many(600))
    assert _parse_apart(path.read_text(), str(path), cache, "key") is None
    assert len(load_config(path, cache).sources) == 600 and cache.exists()


def test_the_parsing_child_leaves_nothing_behind(tmp_path):
    """Output buffered before the fork is written once (the child leaves with ``os._exit``), and the
    parent's exit handlers run once."""
    path = tmp_path / "sources.yaml"
    path.write_text(_many(600))
    code = ("import atexit, sys; from monitor.sources import load_config, config_cache; "
            "atexit.register(lambda: print('exit handler')); print('before the parse'); "
            f"print(len(load_config({str(path)!r}, config_cache({str(tmp_path / 'm.db')!r})).sources))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.splitlines() == ["before the parse", "600", "exit handler"]
