"""The compiled build (``make fast``: the extractor compiled with mypyc) reads every page as the plain build
does, and runs the whole pipeline from its own installation.

Compiled code checks type annotations at run time, where plain Python does not: a value the annotations
do not allow (a None where a str is declared) is a TypeError there, and the page would be lost. The
corpus, the seeds and the test pages, read every way the monitor reads a page, are the guard.

``make test`` builds the compiled build first and names its interpreter (``MONITOR_COMPILED_PYTHON``);
a bare ``pytest`` looks for it in ``.venv-fast`` and skips these tests, visibly, when it is not there
or was built from other sources than the checkout's (``make fast`` builds it again).
"""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import HERE, PAGES, SHARED

ROOT = HERE.parent
DUMP = HERE / "support" / "extraction_dump.py"
NAMED = os.environ.get("MONITOR_COMPILED_PYTHON")  # named by make test: then it must be there, and current
COMPILED_PYTHON = Path(NAMED or ROOT / ".venv-fast" / "bin" / "python")

pytestmark = pytest.mark.skipif(not NAMED and not COMPILED_PYTHON.exists(),
                                reason=f"no compiled build at {COMPILED_PYTHON} (make fast; make test builds it)")


def compiled_sources() -> list[str]:
    """The files ``setup.py`` compiles (its ``COMPILED`` list)."""
    for node in ast.parse((ROOT / "setup.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "COMPILED":
            return list(ast.literal_eval(node.value))
    raise AssertionError("setup.py names no COMPILED modules")


def compiled_modules() -> list[str]:
    return [p.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for p in compiled_sources()]


@pytest.fixture(scope="module", autouse=True)
def current_build() -> None:
    """The compiled build was made from the checkout's sources of the modules it compiles (an install keeps
    each source beside its compiled module)."""
    where = subprocess.run([str(COMPILED_PYTHON), "-P", "-c", "import monitor; print(monitor.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    installed = Path(where).parent.parent
    stale = [p for p in compiled_sources() if (installed / p).read_bytes() != (ROOT / p).read_bytes()]
    if stale and not NAMED:
        pytest.skip(f"the compiled build is older than the checkout ({stale[0]} differs): make fast")
    assert not stale, f"the compiled build at {COMPILED_PYTHON} was made from other sources: {stale}"


def pages() -> list[Path]:
    """Every version of every corpus page, the seeds, and the test suite's own pages and templates."""
    corpus = SHARED / "corpus"
    files = [corpus / v["file"] for label in sorted((corpus / "labels").glob("*.json"))
             for v in json.loads(label.read_text(encoding="utf-8"))["versions"]]
    files += sorted(p for p in (SHARED / "seeds").iterdir() if p.is_file())
    files += sorted(PAGES.iterdir()) + sorted((HERE / "templates").iterdir())
    return files


def test_the_compiled_build_reads_every_page_as_the_plain_build(tmp_path):
    files = pages()
    assert len(files) > 200
    builds = {"plain": sys.executable, "compiled": str(COMPILED_PYTHON)}
    # -P: the checkout's folder is not put first on the path, so each interpreter imports its own build
    runs = {name: subprocess.Popen([python, "-P", str(DUMP), str(tmp_path / f"{name}.txt"), *map(str, files)],
                                   cwd=tmp_path, stderr=subprocess.PIPE, text=True)
            for name, python in builds.items()}
    for name, proc in runs.items():
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, f"{name}: {err[-2000:]}"
    plain = (tmp_path / "plain.txt").read_text(encoding="utf-8").splitlines()
    compiled = (tmp_path / "compiled.txt").read_text(encoding="utf-8").splitlines()

    loaded = {"plain": json.loads(plain[0]), "compiled": json.loads(compiled[0])}
    for module in compiled_modules():
        assert loaded["plain"][module].endswith(".py"), module
        assert not loaded["compiled"][module].endswith(".py"), f"{module} is not compiled: {loaded['compiled'][module]}"
    # a nested function makes a cycle with its frame in a compiled module even when it does not in Python
    for name, lines in (("plain", plain), ("compiled", compiled)):
        assert json.loads(lines[1]) == {"cyclic_garbage": 0}, name
    results = len(files) * 4 * 2
    assert len(plain) == len(compiled) > results + 1  # (the edge inputs come on top of the files)
    differ = [(p[:120], c[:120]) for p, c in zip(plain[2:], compiled[2:]) if p != c]
    assert differ == [], f"{len(differ)} results differ, first: {differ[0]}"
    errors = sum('"error":' in line for line in plain[2:])
    assert 0 < errors < len(plain) / 20  # the edge inputs that go past the limits, and only those few


def test_the_compiled_build_runs_the_pipeline_from_its_own_install(tmp_path, page_server):
    """The run's own process uses compiled modules too (``site`` to follow a site's pages, ``safe`` to
    clean and redact what it stores and prints, ``decode``): a homepage alone, one that links its
    publications page, and a failing address with a secret in it."""
    page_server.set("/dana/", (PAGES / "v1.html").read_bytes())
    page_server.set("/lee/", "<html><body><h1>Lee Example</h1><nav><a href='pubs.html'>Publications</a></nav>"
                             "<p>I study graphs.</p></body></html>")
    page_server.set("/lee/pubs.html", (PAGES / "v1.html").read_bytes())
    page_server.set("/gone/?token=s3cr3tvalue", "down", status=500)
    sources = [("Dana Example", page_server.url("/dana/")), ("Lee Example", page_server.url("/lee/")),
               ("Gone Example", page_server.url("/gone/?token=s3cr3tvalue"))]
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n" + "".join(f"  - name: {n}\n    url: '{u}'\n" for n, u in sources), encoding="utf-8")
    db = tmp_path / "monitor.db"
    monitor = COMPILED_PYTHON.parent / "monitor"
    run = subprocess.run([str(monitor), "--config", str(config), "--db", str(db), "run", "--once"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Dana Example" in run.stdout and "new" in run.stdout
    assert "Gone Example" in run.stdout and "500" in run.stdout
    assert "s3cr3tvalue" not in run.stdout + run.stderr
    with sqlite3.connect(db) as conn:
        papers = dict(conn.execute("SELECT s.name, n.papers FROM snapshots n JOIN sources s ON s.id = n.source_id"))
        followed = conn.execute("SELECT p.url, p.role, p.status FROM source_pages p JOIN sources s"
                                " ON s.id = p.source_id WHERE s.name = 'Lee Example' AND p.role != 'home'").fetchall()
        errors = [e for (e,) in conn.execute("SELECT last_error FROM sources WHERE name = 'Gone Example'")]
    assert papers["Dana Example"] >= 2
    assert papers["Lee Example"] == papers["Dana Example"]  # its papers are on the page it links
    assert followed == [(page_server.url("/lee/pubs.html"), "linked", 200)]
    assert errors and "500" in errors[0] and "s3cr3tvalue" not in errors[0]
