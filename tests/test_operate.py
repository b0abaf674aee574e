"""Safe to operate: read-only commands never create a database, and can read a read-only one."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.lock import lock_path, writer_lock

from .conftest import PAGES

READERS = (("diff",), ("feed",), ("notices",), ("sources",), ("diff", "--json"), ("show", "Dana Example"),
           ("history", "dana example"), ("diff", "Dana Example", "--text"), ("feed", "--source", "Dana Example"))


def cli(config, db, *args):
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def setup(tmp_path, page_server):
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana Example\n    url: {page_server.url('/dana/')}\n")
    return config


def test_read_commands_on_a_mistyped_db_create_nothing(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    typo = tmp_path / "dbb" / "monitr.db"
    for args in READERS:
        result = cli(config, typo, *args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{typo}: no such database" in result.stderr and "No changes" not in result.output
        assert not typo.parent.exists(), args


def test_read_commands_read_a_read_only_database(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    folder = tmp_path / "db"
    db = folder / "m.db"
    assert cli(config, db, "run", "--once").exit_code == 0
    page_server.set("/dana/", (PAGES / "v2.html").read_bytes())
    assert cli(config, db, "run", "--once").exit_code == 0
    before = hashlib.sha256(db.read_bytes()).hexdigest(), sorted(os.listdir(folder))
    db.chmod(stat.S_IRUSR | stat.S_IRGRP)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        for args in READERS:
            result = cli(config, db, *args)
            assert result.exit_code == 0, (args, result.output)
        assert "new paper 'Mixture of Depths for Tiny Models'" in cli(config, db, "diff").output
        assert "Dana Example" in cli(config, db, "sources").output
    finally:
        folder.chmod(stat.S_IRWXU)
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert (hashlib.sha256(db.read_bytes()).hexdigest(), sorted(os.listdir(folder))) == before


def monitor_cmd(config, db, *args, wait="0.3", timeout=60):
    env = {**os.environ, "MONITOR_LOCK_WAIT": wait}
    exe = Path(sys.executable).with_name("monitor")
    return subprocess.run([str(exe), "--config", str(config), "--db", str(db), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_a_second_writer_is_refused_with_the_holder_named(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    db = tmp_path / "m.db"
    daemon = subprocess.Popen([str(Path(sys.executable).with_name("monitor")), "--config", str(config), "--db",
                               str(db), "daemon", "--start-spread", "0"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not (lock_path(str(db)).exists() and "monitor daemon" in lock_path(str(db)).read_text()):
            assert time.monotonic() < deadline and daemon.poll() is None
            time.sleep(0.1)
        second = monitor_cmd(config, db, "run", "--once")
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"is in use by pid {daemon.pid} (monitor daemon, since " in second.stderr
        assert second.stdout == ""
        for args in [a for a in READERS if "--text" not in a]:  # (a text diff needs two snapshots: one so far)
            read = monitor_cmd(config, db, *args)  # readers take no lock: they work while the daemon writes
            assert read.returncode == 0 and read.stderr == "", (args, read.stderr)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    assert daemon.returncode == 0
    assert monitor_cmd(config, db, "run", "--once").returncode == 0  # the lock went with its holder


def test_a_writer_waits_a_moment_for_the_holder(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    db = tmp_path / "m.db"
    holder = threading.Thread(target=lambda: _hold(str(db), 1.0))
    holder.start()
    time.sleep(0.2)
    result = monitor_cmd(config, db, "run", "--once", wait="10")
    holder.join()
    assert result.returncode == 0, result.stderr
    assert "Dana Example" in result.stdout


def _hold(db: str, seconds: float) -> None:
    with writer_lock(db, "a test"):
        time.sleep(seconds)


def test_local_paths_resolve_against_the_config_file(tmp_path, monkeypatch):
    conf = tmp_path / "conf"
    (conf / "pages").mkdir(parents=True)
    (conf / "pages" / "dana.html").write_bytes((PAGES / "v1.html").read_bytes())
    config = conf / "sources.yaml"
    config.write_text("sources:\n  - name: Dana Example\n    url: pages/dana.html\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = cli(config, tmp_path / "m.db", "run", "--once")
    assert result.exit_code == 0, result.output
    assert "Dana Example  new" in result.output


def test_the_shipped_config_works_from_another_folder(tmp_path, monkeypatch):
    from monitor.sources import load_config

    shipped = Path(__file__).parent.parent / "sources.yaml"
    monkeypatch.chdir(tmp_path)
    local = [s for s in load_config(shipped).sources if not s.url.startswith("http")]
    assert local and all(Path(s.url).is_file() for s in local)


def test_a_url_without_a_scheme_gets_a_hint(tmp_path):
    from monitor.errors import ConfigError
    from monitor.sources import parse_config

    for url, hint in (("example.org", "https://example.org"), ("dana.github.io/papers", "https://dana.github.io/papers"),
                      ("localhost:8000/dana", "http://localhost:8000/dana")):
        try:
            parse_config(f"sources:\n  - name: A\n    url: '{url}'\n", str(tmp_path / "sources.yaml"))
        except ConfigError as exc:
            assert f"did you mean '{hint}'" in str(exc), str(exc)
        else:
            raise AssertionError(url)
    parse_config("sources:\n  - name: A\n    url: page.html\n", str(tmp_path / "sources.yaml"))  # a file to come


def test_run_without_once_is_one_pass_not_a_daemon(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    db = tmp_path / "m.db"
    proc = subprocess.run([sys.executable, "-m", "monitor.cli", "--config", str(config), "--db", str(db), "run"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Dana Example" in proc.stdout and "new" in proc.stdout
    assert "no such database" not in cli(config, db, "sources").output


def _workers_of(pid: int) -> list[int]:
    """Process ids of the extraction workers whose parent is ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:")), None)
        if ppid == pid and "monitor.worker" in cmdline:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = next(line for line in (Path("/proc") / str(pid) / "status").read_text().splitlines()
                     if line.startswith("State:"))
    except (OSError, StopIteration):
        return False
    return "Z" not in state  # a zombie has exited


def test_extraction_workers_die_with_a_killed_run(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    page = sorted(Path(__file__).resolve().parent.parent.parent.joinpath("shared", "corpus", "pages").glob("*.html"))[0]
    lines = ["sources:"]
    for i in range(40):
        (pages / f"p{i}.html").write_text(page.read_text(errors="replace").replace("<body", f"<body data-copy='{i}'"))
        lines += [f"  - name: Page {i}", f"    url: pages/p{i}.html"]
    config = tmp_path / "sources.yaml"
    config.write_text("\n".join(lines) + "\n")
    run = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "--db", str(tmp_path / "m.db"),
                            "run", "--once"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and not workers and run.poll() is None:
        workers = _workers_of(run.pid)
        time.sleep(0.05)
    assert workers, "the run finished before its workers could be seen"
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "extraction workers outlived their killed parent"


def test_a_worker_in_the_middle_of_a_big_page_dies_with_a_killed_run(tmp_path, page_server):
    from .test_budget import many_papers

    page_server.set("/big/", many_papers(40_000))  # about 15 s of extraction on this machine
    config = tmp_path / "sources.yaml"
    config.write_text(f"defaults:\n  extraction_timeout: 600\nsources:\n  - name: Big\n    url: {page_server.url('/big/')}\n")
    run = subprocess.Popen([sys.executable, "-m", "monitor.cli", "--config", str(config), "--db", str(tmp_path / "m.db"),
                            "run"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (page_server.hits("/big/") and _workers_of(run.pid)):
            time.sleep(0.05)
        workers = _workers_of(run.pid)
        assert workers and run.poll() is None
        time.sleep(1.0)  # the page is in its worker
    finally:
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
    killed = time.monotonic()
    while time.monotonic() < killed + 10 and any(_alive(w) for w in workers):
        time.sleep(0.1)
    assert not any(_alive(w) for w in workers), "a busy worker outlived its killed parent"
    assert time.monotonic() - killed < 3


def test_check_by_source_name_uses_its_selectors_and_a_tried_one(tmp_path):
    page = tmp_path / "dana.html"
    page.write_text("<html><body><div class='odd'><span>Alpha beta gamma delta paper one</span>"
                    "<span>Alpha beta gamma delta paper two</span></div></body></html>")
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - name: Dana Example\n    url: dana.html\n    selectors:\n"
                      "      news: 'div.odd span'\n")
    by_name = cli(config, tmp_path / "m.db", "check", "dana example", "--json")
    assert by_name.exit_code == 0, by_name.output
    assert [n["text"] for n in json.loads(by_name.output)["news"]] == [
        "Alpha beta gamma delta paper one", "Alpha beta gamma delta paper two"]
    tried = cli(config, tmp_path / "m.db", "check", "Dana Example", "--selector", "news=div.odd span:first-child", "--json")
    assert [n["text"] for n in json.loads(tried.output)["news"]] == ["Alpha beta gamma delta paper one"]
    bad = CliRunner().invoke(main, ["--config", str(config), "check", "Dana Example", "--selector", "x=li"])
    assert bad.exit_code == 2 and "use publications=CSS or news=CSS" in bad.stderr

    (tmp_path / "plain.html").write_bytes((PAGES / "v1.html").read_bytes())
    config.write_text(config.read_text() + "  - name: Plain\n    url: plain.html\n    format: text\n")
    as_file = json.loads(cli(config, tmp_path / "m.db", "check", str(tmp_path / "plain.html"), "--json").output)
    as_source = json.loads(cli(config, tmp_path / "m.db", "check", "plain", "--json").output)
    assert len(as_file["publications"]) == 3 and as_source["publications"] == []  # read as plain text, as told


def test_run_source_checks_only_the_named_ones_and_an_unknown_name_is_one_line(tmp_path, page_server):
    page_server.set("/bo/", (PAGES / "v1.html").read_bytes())
    config = setup(tmp_path, page_server)
    config.write_text(config.read_text() + f"  - name: Bo Li\n    url: {page_server.url('/bo/')}\n")
    db = tmp_path / "m.db"
    only = cli(config, db, "run", "--source", "Bo Li")
    assert only.exit_code == 0 and "1 checked" in only.output and "Dana" not in only.output
    assert page_server.hits("/dana/") == [] and len(page_server.hits("/bo/")) == 1
    typo = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), "run", "--source", "Bo Lee"])
    assert typo.exit_code == 2 and typo.stderr == f"error: {config}: no source named 'Bo Lee'\n"
    assert len(page_server.hits("/bo/")) == 1  # nothing was checked


def test_a_damaged_or_uncreatable_database_is_one_line_and_nothing_changes(tmp_path, page_server):
    config = setup(tmp_path, page_server)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not an SQLite database, it is garbage " * 20)
    before = damaged.read_bytes()
    nowhere = tmp_path / "a-file"
    nowhere.write_text("x")
    for db in (damaged, nowhere / "sub" / "m.db"):
        for args in (("run",), ("diff",), ("sources",), ("deliver",), ("retry",), ("daemon",)):
            result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args])
            assert result.exit_code == 2, (db, args, result.output)
            assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
            assert "Traceback" not in result.output + result.stderr
    assert damaged.read_bytes() == before
