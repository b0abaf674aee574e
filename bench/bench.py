#!/usr/bin/env python3
"""End-to-end throughput benchmark for ``monitor run --once`` against a local web server.

What it does:

1. Generates N homepages from the real pages in ``../shared/corpus/pages`` (HTML) and
   ``../shared/seeds`` (Markdown and plain text). Each copy is varied (new owner name in the title,
   first heading and bio; a few list items dropped or swapped; a generated paper inserted; some
   numbers changed) so that no two bodies are identical. Mostly HTML, like the real world.
2. Serves them from nginx (``/p{i}/index.html``, ``.md`` or ``.txt``) with ETag and Last-Modified,
   or, when nginx is not installed, from Python's ``ThreadingHTTPServer`` (Last-Modified only).
3. Writes a sources.yaml for the N pages and runs ``monitor run --once`` twice as a subprocess: a
   first run (all pages new: fetch + extract + store) and a second, unchanged run (conditional
   requests answered 304, no extraction).
4. Reports per run: wall time, pages/s, CPU time and peak RSS of the monitor process (from
   ``os.wait4``'s rusage for that one child), the outcomes and HTTP statuses recorded in the
   database for that run, the per-check latency, and the database size at the end.

Usage (from the project root, with the project's virtualenv)::

    .venv/bin/python bench/bench.py                 # N=1000, table
    .venv/bin/python bench/bench.py --n 200 --json  # JSON on stdout
    .venv/bin/python bench/bench.py --keep --out bench/out   # keep pages, config, DB and logs
    .venv/bin/python bench/bench.py --profile       # also profile a fresh first run with cProfile

Only 127.0.0.1 is contacted. The script installs nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.server
import json
import os
import pstats
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS_PAGES = SHARED / "corpus" / "pages"
CORPUS_LABELS = SHARED / "corpus" / "labels"
SEEDS = SHARED / "seeds"

# Share of generated pages per kind; the rest is HTML.
MARKDOWN_SHARE = 0.08
TEXT_SHARE = 0.04

FIRST_NAMES = (
    "Alice Amir Ana Anika Ben Bo Carlos Chen Chiara Daniel Dana Deepak Elena Emeka Eva Farah Felix Gabriel "
    "Hana Hao Ines Ivan Jia Jonas Julia Kai Karim Kenji Lara Lei Lina Luca Maya Mei Mateo Nadia Nikhil Noor "
    "Olga Omar Pablo Priya Qing Rafael Rina Ruben Sara Sofia Tariq Teo Uma Victor Wei Xin Yara Yusuf Zara Zhen"
).split()
LAST_NAMES = (
    "Abe Adeyemi Bauer Bianchi Castro Chen Costa Dubois Eriksen Fischer Garcia Gupta Haddad Hoffmann Ibrahim "
    "Ito Jensen Kaur Kim Kowalski Larsen Li Liu Lopez Martins Meyer Moreau Nakamura Novak Okafor Olsen Park "
    "Petrov Qureshi Rahman Rossi Sato Schmidt Silva Singh Suzuki Tanaka Torres Ueda Vargas Wang Weber Wu Xu "
    "Yamada Yang Yilmaz Zhang Zhao Zhou"
).split()
TITLE_A = ("Efficient", "Scalable", "Robust", "Sparse", "Provable", "Self-Supervised", "Causal", "Adaptive",
           "Multimodal", "Federated", "Contrastive", "Hierarchical", "Diffusion-Based", "Retrieval-Augmented")
TITLE_B = ("Attention", "Representation Learning", "Policy Optimization", "Graph Transformers", "Language Models",
           "Reward Modeling", "Test-Time Adaptation", "Program Synthesis", "Video Generation", "Tokenization",
           "Mixture-of-Experts", "Neural Rendering", "Preference Learning", "Knowledge Distillation")
TITLE_C = ("for Long-Context Reasoning", "under Distribution Shift", "at Scale", "for Low-Resource Languages",
           "with Noisy Labels", "for Robotic Manipulation", "in the Wild", "without Labels",
           "for Scientific Discovery", "via Implicit Feedback", "for Code Generation", "on Edge Devices")
VENUES = ("NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "NAACL", "CVPR", "ICCV", "ECCV", "AAAI", "KDD", "SIGIR",
          "TACL", "TPAMI", "JMLR", "arXiv preprint")


# ---------------------------------------------------------------- templates and variation

@dataclass
class Template:
    """One real page used as a template."""

    path: Path
    kind: str  # html | markdown | text
    person: str | None
    text: str


@dataclass
class GeneratedPage:
    """One generated page, as served and as listed in sources.yaml."""

    index: int
    kind: str
    template: str
    person: str
    url_path: str
    size: int


def _labels() -> dict[str, dict[str, Any]]:
    """Per-file metadata (owner's name, format) from the corpus labels and the seed truth files."""
    meta: dict[str, dict[str, Any]] = {}
    for f in CORPUS_LABELS.glob("*.json"):
        data = json.loads(f.read_text(encoding="utf-8"))
        for v in data.get("versions", []):
            meta[Path(v["file"]).name] = {"person": data.get("person")}
    for f in (SEEDS / "truth").glob("*.json"):
        data = json.loads(f.read_text(encoding="utf-8"))
        meta[f.stem + ".txt"] = {"person": data.get("person"), "format": data.get("format")}
    return meta


def _guess_person(text: str) -> str | None:
    """The owner's name when no label gives it: a <title> or a first line that looks like a name."""
    m = re.search(r"<title[^>]*>([^<]{1,120})</title>", text, re.I)
    candidates = re.split(r"\s[-|/–—]\s", m.group(1)) if m else [text.strip().splitlines()[0] if text.strip() else ""]
    for c in candidates:
        c = re.sub(r"\(.*?\)", "", c).strip()
        if re.fullmatch(r"[A-Z][\w'-]+(?: [A-Z][\w'.-]+){1,2}", c) and "Home" not in c and "About" not in c:
            return c
    return None


def load_templates() -> list[Template]:
    """The real pages: HTML from the corpus, Markdown and plain text from the seeds."""
    meta = _labels()
    out: list[Template] = []
    for f in sorted(CORPUS_PAGES.glob("*.html")):
        text = f.read_text(encoding="utf-8", errors="replace")
        out.append(Template(f, "html", meta.get(f.name, {}).get("person") or _guess_person(text), text))
    for f in sorted(SEEDS.glob("*.txt")):
        text = f.read_text(encoding="utf-8", errors="replace")
        fmt = meta.get(f.name, {}).get("format")
        if fmt not in ("markdown", "text"):
            fmt = "markdown" if re.search(r"^#{1,6} |\A---\n", text, re.M) else "text"
        out.append(Template(f, fmt, meta.get(f.name, {}).get("person") or _guess_person(text), text))
    return out


def _person(rng: random.Random, used: set[str]) -> str:
    """A fresh owner name, unique within the run."""
    for attempt in range(1000):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if attempt > 20:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice('ABCDEFGHJKLMNPRSTVWZ')}. {rng.choice(LAST_NAMES)}"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of names")


def _paper(rng: random.Random, owner: str) -> dict[str, str]:
    """A plausible, generated publication entry."""
    others = [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 4))]
    authors = others[:]
    authors.insert(rng.randint(0, len(authors)), owner)
    year = str(rng.randint(2019, 2025))
    venue = rng.choice(VENUES)
    return {"title": f"{rng.choice(TITLE_A)} {rng.choice(TITLE_B)} {rng.choice(TITLE_C)}",
            "authors": ", ".join(authors), "venue": venue if venue.startswith("arXiv") else f"{venue} {year}",
            "year": year}


def _replace_name(text: str, old: str | None, new: str) -> str:
    if old:
        text = text.replace(old, new)
    return text


def _edit_spans(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Apply non-overlapping (start, end, replacement) edits."""
    for start, end, repl in sorted(edits, key=lambda e: e[0], reverse=True):
        text = text[:start] + repl + text[end:]
    return text


_LEAF_LI = re.compile(r"<li\b[^>]*>(?:(?!<li\b|</li>).)*?</li>", re.S | re.I)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_TEXT_NODE = re.compile(r">([^<>]+)<")
_NUMBER = re.compile(r"(?<![\w.,/-])(\d{1,5})(?![\w.,/-])")
_PUB_HEADING = re.compile(
    r"<(h[1-4]|heading)\b[^>]*>(?:(?!</\1>).){0,200}?(?:publications?|papers|preprints|research\b)(?:(?!</\1>).)*?</\1\s*>",
    re.S | re.I)


def _li_runs(text: str) -> list[list[re.Match[str]]]:
    """Leaf <li> elements grouped into runs of siblings (separated only by whitespace)."""
    runs: list[list[re.Match[str]]] = []
    for m in _LEAF_LI.finditer(text):
        if runs and not text[runs[-1][-1].end():m.start()].strip():
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def _vary_numbers(text: str, rng: random.Random, count: int, html: bool) -> str:
    """Change a few standalone numbers in visible text (not years, not inside scripts or styles)."""
    blocked = [(m.start(), m.end()) for m in _SCRIPT_STYLE.finditer(text)] if html else []
    spans: list[tuple[int, int, str]] = []
    nodes = _TEXT_NODE.finditer(text) if html else [re.match(r"(?s)(.*)", text)]
    for node in nodes:
        if node is None or any(a <= node.start() < b for a, b in blocked):
            continue
        for m in _NUMBER.finditer(node.group(1)):
            value = int(m.group(1))
            if 1900 <= value <= 2100:
                continue
            start = node.start(1) + m.start(1)
            spans.append((start, start + len(m.group(1)), str(max(0, value + rng.randint(1, 9) * rng.choice((-1, 1))))))
    return _edit_spans(text, rng.sample(spans, min(count, len(spans))))


def vary_html(text: str, person: str | None, name: str, rng: random.Random) -> str:
    """A varied copy of an HTML page."""
    text = _replace_name(text, person, name)
    text = re.sub(r"(<title[^>]*>)(.*?)(</title>)", lambda m: m.group(1) + (m.group(2) if name in m.group(2)
                  else f"{name} - {m.group(2).strip()}") + m.group(3), text, count=1, flags=re.S | re.I)
    edits: list[tuple[int, int, str]] = []
    runs = [r for r in _li_runs(text) if len(r) >= 3]
    for _ in range(rng.randint(0, 3)) if runs else ():  # drop a few items, never emptying a list
        run = rng.choice(runs)
        victim = rng.choice(run)
        if not any(s == victim.start() for s, _, _ in edits):
            edits.append((victim.start(), victim.end(), ""))
    if runs and rng.random() < 0.7:  # swap two neighbours
        run = rng.choice(runs)
        k = rng.randrange(len(run) - 1)
        a, b = run[k], run[k + 1]
        if not any(s in (a.start(), b.start()) for s, _, _ in edits):
            edits.append((a.start(), b.end(), b.group(0) + text[a.end():b.start()] + a.group(0)))
    text = _edit_spans(text, edits)

    paper = _paper(rng, name)
    heading = _PUB_HEADING.search(text)
    if heading:
        nxt = _LEAF_LI.search(text, heading.end(), heading.end() + 4000)
        if nxt and re.search(r"\b(?:19|20)\d\d\b", nxt.group(0)):  # a list of papers: add one more
            entry = (f"<li><b>{paper['title']}</b><br>{paper['authors']}<br><i>{paper['venue']}</i></li>\n")
            text = text[:nxt.start()] + entry + text[nxt.start():]
        else:
            entry = f"\n<p><b>{paper['title']}</b><br>{paper['authors']}<br><i>{paper['venue']}</i></p>\n"
            text = text[:heading.end()] + entry + text[heading.end():]
    else:
        entry = f"<p>New paper: <b>{paper['title']}</b>, {paper['authors']}. <i>{paper['venue']}</i>.</p>\n"
        pos = text.lower().rfind("</body>")
        text = text[:pos] + entry + text[pos:] if pos >= 0 else text + entry
    return _vary_numbers(text, rng, rng.randint(1, 4), html=True)


def vary_markdown(text: str, person: str | None, name: str, rng: random.Random) -> str:
    """A varied copy of a Markdown page."""
    text = _replace_name(text, person, name)
    lines = text.split("\n")
    items = [i for i, line in enumerate(lines) if re.match(r"\s*(?:[-*+]|\d+\.)\s+\S", line)]
    pairs = [i for i in items if i + 1 in items]
    if pairs and rng.random() < 0.7:
        k = rng.choice(pairs)
        lines[k], lines[k + 1] = lines[k + 1], lines[k]
    for k in sorted(rng.sample(items, min(len(items) // 5, rng.randint(0, 2))), reverse=True):
        del lines[k]
    paper = _paper(rng, name)
    entry = ["", f"**{paper['title']}**  ", f"{paper['authors']}  ", f"*{paper['venue']}*", ""]
    heading = next((i for i, line in enumerate(lines)
                    if re.match(r"#{1,6}\s.*(?:publication|paper|preprint|conference)", line, re.I)), None)
    if heading is not None:
        lines[heading + 1:heading + 1] = entry
    else:
        lines += entry
    text = "\n".join(lines)
    if not re.search(r"^# ", text, re.M):  # give the page an owner heading, below any front matter
        fm = re.match(r"\A---\s*\n.*?\n---\s*\n", text, re.S)
        at = fm.end() if fm else 0
        text = text[:at] + f"\n# {name}\n\n" + text[at:]
    return _vary_numbers(text, rng, rng.randint(1, 4), html=False)


def vary_text(text: str, person: str | None, name: str, rng: random.Random) -> str:
    """A varied copy of a plain-text page (one block per line group)."""
    text = _replace_name(text, person, name)
    if not person:
        text = f"{name}\n\n{text}"
    blocks = text.split("\n\n")
    paper = _paper(rng, name)
    entry = f"{paper['title']}\n\n{paper['authors']}\n\n{paper['venue']}"
    blocks.insert(min(len(blocks), rng.randint(2, 4)), entry)
    return _vary_numbers("\n\n".join(blocks), rng, rng.randint(1, 4), html=False)


VARY = {"html": vary_html, "markdown": vary_markdown, "text": vary_text}
EXT = {"html": "html", "markdown": "md", "text": "txt"}


def generate(n: int, site: Path, seed: int) -> list[GeneratedPage]:
    """Write N varied pages under ``site`` (``p{i}/index.{ext}``) plus a robots.txt; bodies all differ."""
    rng = random.Random(seed)
    templates = load_templates()
    by_kind = {k: [t for t in templates if t.kind == k] for k in VARY}
    used_names: set[str] = set()
    seen: set[str] = set()
    pages: list[GeneratedPage] = []
    site.mkdir(parents=True, exist_ok=True)
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    for i in range(n):
        roll = rng.random()
        kind = "markdown" if roll < MARKDOWN_SHARE else "text" if roll < MARKDOWN_SHARE + TEXT_SHARE else "html"
        if not by_kind[kind]:
            kind = "html"
        tpl = rng.choice(by_kind[kind])
        name = _person(rng, used_names)
        for _ in range(10):
            body = VARY[kind](tpl.text, tpl.person, name, rng)
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
            if digest not in seen:
                break
        else:  # practically unreachable: the owner's name alone makes bodies differ
            body += f"\n<!-- copy {i} -->\n" if kind == "html" else f"\n\n(copy {i})\n"
            digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        seen.add(digest)
        url_path = f"/p{i}/index.{EXT[kind]}"
        out = site / url_path.lstrip("/")
        out.parent.mkdir(exist_ok=True)
        data = body.encode("utf-8")
        out.write_bytes(data)
        pages.append(GeneratedPage(i, kind, tpl.path.name, name, url_path, len(data)))
    return pages


# ---------------------------------------------------------------- servers

class Server(Protocol):
    name: str

    def start(self) -> str: ...

    def stop(self) -> None: ...


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0, alive: Any = None) -> None:
    """Return once 127.0.0.1:port accepts connections; raise on timeout or if ``alive()`` turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise RuntimeError("server exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on 127.0.0.1:{port} within {timeout:g}s")


NGINX_CONF = """\
{user}worker_processes 2;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    types {{
        text/html html htm;
        text/markdown md markdown;
        text/plain txt;
    }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/plain text/markdown;  # text/html is always included
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    keepalive_requests 100000;
    etag on;
    if_modified_since exact;
    {gzip}
    client_body_temp_path {work}/tmp/body;
    proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi;
    uwsgi_temp_path {work}/tmp/uwsgi;
    scgi_temp_path {work}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{ }}
    }}
}}
"""


class NginxServer:
    """Debian's nginx in the foreground (``daemon off``), in its own process group, stopped in stop()."""

    name = "nginx"

    def __init__(self, binary: str, site: Path, work: Path, gzip: bool) -> None:
        self.binary, self.site, self.work, self.gzip = binary, site, work, gzip
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        port = free_port()
        (self.work / "tmp").mkdir(parents=True, exist_ok=True)
        conf = self.work / "nginx.conf"
        # As root, nginx's workers drop to "nobody", who cannot read a private temp dir: keep them as root.
        user = "user root;\n" if os.geteuid() == 0 else ""
        gzip = "gzip on; gzip_types text/plain text/markdown; gzip_min_length 256;" if self.gzip else "gzip off;"
        conf.write_text(NGINX_CONF.format(user=user, work=self.work, port=port, site=self.site, gzip=gzip),
                        encoding="utf-8")
        version = subprocess.run([self.binary, "-v"], capture_output=True, text=True).stderr.strip()
        self.name = version.split(":", 1)[-1].strip() or "nginx"
        self.proc = subprocess.Popen([self.binary, "-p", str(self.work), "-c", str(conf), "-e",
                                      str(self.work / "nginx-error.log")],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self.work / "nginx-stderr.log", "wb"), start_new_session=True)
        try:
            wait_for_port(port, alive=lambda: self.proc is not None and self.proc.poll() is None)
        except RuntimeError as exc:
            log = (self.work / "nginx-stderr.log").read_text(errors="replace")
            log += (self.work / "nginx-error.log").read_text(errors="replace") \
                if (self.work / "nginx-error.log").exists() else ""
            raise RuntimeError(f"nginx: {exc}\n{log.strip()}") from None
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # fast shutdown; the master stops its workers
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # our own nginx's group only
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files over HTTP/1.1 keep-alive, with Last-Modified / If-Modified-Since, no log lines."""

    protocol_version = "HTTP/1.1"
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".md": "text/markdown; charset=utf-8", ".txt": "text/plain; charset=utf-8",
                      ".html": "text/html; charset=utf-8"}

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


class _Threading(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


class PythonServer:
    """Fallback: ``ThreadingHTTPServer`` in a thread of this process (no ETag, Last-Modified only)."""

    name = "python ThreadingHTTPServer (fallback)"

    def __init__(self, site: Path) -> None:
        self.site = site
        self.httpd: _Threading | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> str:
        self.httpd = _Threading(("127.0.0.1", 0), partial(_QuietHandler, directory=str(self.site)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        port = int(self.httpd.server_address[1])
        wait_for_port(port)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        httpd, self.httpd = self.httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


# ---------------------------------------------------------------- runs

@dataclass
class RunStats:
    """One ``monitor run --once``."""

    label: str
    exit_code: int
    wall_s: float
    pages_per_s: float
    cpu_user_s: float
    cpu_sys_s: float
    max_rss_mib: float
    outcomes: dict[str, int] = field(default_factory=dict)
    http_status: dict[str, int] = field(default_factory=dict)
    check_duration_p50_s: float | None = None
    check_duration_p95_s: float | None = None
    check_duration_max_s: float | None = None
    load_before: float = 0.0  # 1-minute load average when the run started (other work skews timings)
    db_bytes: dict[str, int] = field(default_factory=dict)
    summary: str = ""
    stderr_tail: str = ""


def write_sources(path: Path, pages: list[GeneratedPage], base: str, concurrency: int) -> None:
    """sources.yaml for the generated pages (strings JSON-quoted, which YAML reads as-is)."""
    q = json.dumps
    lines = ["# generated by bench/bench.py", "defaults:", f"  concurrency: {concurrency}",
             f"  per_host: {concurrency}", "  user_agent_contact: mailto:bench@example.org", "", "sources:"]
    for p in pages:
        lines.append(f"  - name: {q(f'p{p.index:05d} {p.person}')}")
        lines.append(f"    url: {q(base + p.url_path)}")
        if p.kind != "html":
            lines.append(f"    format: {p.kind}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def monitor_exe() -> Path:
    exe = Path(sys.executable).parent / "monitor"
    if not exe.exists():
        sys.exit(f"error: no 'monitor' next to {sys.executable}; run with the project's virtualenv python "
                 f"(.venv/bin/python bench/bench.py)")
    return exe


def _max_check_id(db: Path) -> int:
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM checks").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _run_rows(db: Path, after_id: int) -> tuple[dict[str, int], dict[str, int], list[float]]:
    """Outcome counts, HTTP status counts and check durations of the checks with id > after_id."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        outcomes = dict(conn.execute("SELECT outcome, COUNT(*) FROM checks WHERE id > ? GROUP BY outcome "
                                     "ORDER BY 2 DESC", [after_id]).fetchall())
        status = {str(k): v for k, v in conn.execute(
            "SELECT COALESCE(status, 'none'), COUNT(*) FROM checks WHERE id > ? GROUP BY 1 ORDER BY 2 DESC",
            [after_id]).fetchall()}
        durations = [r[0] for r in conn.execute("SELECT duration FROM checks WHERE id > ?", [after_id])]
    return outcomes, status, durations


def run_monitor(label: str, argv: list[str], db: Path, work: Path, n: int) -> RunStats:
    """Run one monitor command to completion; rusage comes from os.wait4 on that child alone."""
    before = _max_check_id(db)
    load = os.getloadavg()[0]
    out_path, err_path = work / f"{label}.stdout", work / f"{label}.stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=work)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    sizes = db_size(db)  # before our own reads, which could leave an empty -wal/-shm behind
    stdout = out_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    stderr = err_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    summary = next((line for line in reversed(stdout) if " checked, " in line), "")
    outcomes, http, durations = _run_rows(db, before) if db.exists() else ({}, {}, [])
    q = statistics.quantiles(durations, n=20) if len(durations) >= 2 else None
    return RunStats(
        label=label, exit_code=proc.returncode, wall_s=round(wall, 3), pages_per_s=round(n / wall, 1),
        cpu_user_s=round(usage.ru_utime, 2), cpu_sys_s=round(usage.ru_stime, 2),
        max_rss_mib=round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        outcomes=outcomes, http_status=http,
        check_duration_p50_s=round(statistics.median(durations), 3) if durations else None,
        check_duration_p95_s=round(q[18], 3) if q else None,
        check_duration_max_s=round(max(durations), 3) if durations else None,
        load_before=round(load, 2), db_bytes=sizes, summary=summary, stderr_tail="\n".join(stderr[-5:]))


def startup_cost(exe: Path, work: Path) -> float:
    """Seconds for `monitor --version` (interpreter start and imports, included in each run's wall time)."""
    t0 = time.perf_counter()
    subprocess.run([str(exe), "--version"], cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return round(time.perf_counter() - t0, 3)


def profile_first_run(cfg: Path, work: Path, top: int = 25) -> str:
    """cProfile a fresh first run (its own DB); the top functions by own and cumulative time."""
    prof, db = work / "first-run.prof", work / "profile.db"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "monitor.cli", "--config", str(cfg),
                    "--db", str(db), "run", "--once"], cwd=work, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=False)
    if not prof.exists():
        return "profile: no output"
    import io

    buf = io.StringIO()
    stats = pstats.Stats(str(prof), stream=buf)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return buf.getvalue()


def db_size(db: Path) -> dict[str, int]:
    sizes = {"db_bytes": db.stat().st_size if db.exists() else 0}
    for suffix in ("-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists() and p.stat().st_size:
            sizes[f"{suffix[1:]}_bytes"] = p.stat().st_size
    return sizes


# ---------------------------------------------------------------- report

def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


def print_table(result: dict[str, Any]) -> None:
    info = result["setup"]
    print(f"pages: {info['n']} ({', '.join(f'{v} {k}' for k, v in info['kinds'].items())}), "
          f"{_mib(info['total_bytes'])}, median {info['median_page_bytes'] / 1024:.1f} KiB; "
          f"generated in {info['generate_s']:.1f}s")
    print(f"server: {info['server']} at {info['base_url']}; concurrency {info['concurrency']}; "
          f"gzip {'on' if info['gzip'] else 'off'}")
    print(f"memory: max RSS of the monitor process via {info['rss_method']}; "
          f"monitor start-up (--version) {info['startup_s']:.2f}s, which net/s leaves out")
    print()
    header = ("run", "load", "wall s", "pages/s", "net/s", "cpu s", "cpu %", "max RSS", "check s p50/p95", "outcomes", "http")
    rows = [header]
    for r in result["runs"]:
        cpu = r["cpu_user_s"] + r["cpu_sys_s"]
        busy = r["wall_s"] - info["startup_s"]
        net = info["n"] / busy if busy > 0 else float("nan")  # a run shorter than the start-up measured: no figure
        rows.append((r["label"], f"{r['load_before']:.1f}", f"{r['wall_s']:.2f}", f"{r['pages_per_s']:.1f}", f"{net:.1f}", f"{cpu:.1f}",
                     f"{100 * cpu / r['wall_s']:.0f}", f"{r['max_rss_mib']:.0f} MiB",
                     f"{r['check_duration_p50_s']}/{r['check_duration_p95_s']}",
                     " ".join(f"{k}={v}" for k, v in r["outcomes"].items()) or "-",
                     " ".join(f"{k}={v}" for k, v in r["http_status"].items()) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    print()
    print("(load: 1-min load average at the start of the run, on {} CPUs; check s: checks.duration, which "
          "includes time spent waiting for the monitor's event loop)".format(info["cpus"]))
    sizes = result["db"]
    print("db: " + ", ".join(f"{k.replace('_bytes', '')} {_mib(v)}" for k, v in sizes.items())
          + f" ({sizes['db_bytes'] / max(1, info['n']) / 1024:.1f} KiB per source)")
    for r in result["runs"]:
        if r["exit_code"] != 0:
            print(f"\n{r['label']}: monitor exited {r['exit_code']}\n{r['stderr_tail']}")
        elif r["summary"]:
            print(f"{r['label']}: {r['summary']}")
    if result.get("profile"):
        print("\n" + result["profile"])
    if result.get("kept"):
        print(f"\nkept: {result['kept']}")


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="number of pages/sources (default 1000)")
    ap.add_argument("--out", type=Path, help="work directory (default: a new temp dir, removed unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (pages, config, DB, logs)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    ap.add_argument("--seed", type=int, default=1, help="random seed for the page variations (default 1)")
    ap.add_argument("--concurrency", type=int, default=64, help="defaults.concurrency and per_host (default 64)")
    ap.add_argument("--server", choices=("auto", "nginx", "python"), default="auto",
                    help="auto: nginx if installed, else the Python fallback")
    ap.add_argument("--gzip", action="store_true", help="serve gzip-compressed responses (nginx only)")
    ap.add_argument("--profile", action="store_true",
                    help="afterwards, cProfile a fresh first run (separate DB) and print the top functions")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("--n must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    exe = monitor_exe()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the finally below still stops the server
    note = partial(print, file=sys.stderr, flush=True)

    work = (args.out.resolve() if args.out else Path(tempfile.mkdtemp(prefix="scholarwatch-bench-")))
    own_dir = args.out is None
    work.mkdir(parents=True, exist_ok=True)
    site, cfg, db = work / "site", work / "sources.yaml", work / "monitor.db"
    for stale in (site, db, Path(f"{db}-wal"), Path(f"{db}-shm"), work / "profile.db"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()

    server: Server | None = None
    result: dict[str, Any] = {}
    try:
        note(f"generating {args.n} pages in {site} ...")
        t0 = time.perf_counter()
        pages = generate(args.n, site, args.seed)
        gen_s = time.perf_counter() - t0

        nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
        if args.server == "nginx" and not nginx:
            sys.exit("error: nginx not found; install it with: apt-get install -y nginx")
        if nginx and args.server != "python":
            server = NginxServer(nginx, site, work, args.gzip)
        else:
            if args.server == "auto":
                note("nginx not found (install it with: apt-get install -y nginx); "
                     "falling back to Python's ThreadingHTTPServer, which may itself be the bottleneck")
            server = PythonServer(site)
        base = server.start()
        note(f"serving with {server.name} at {base}")
        write_sources(cfg, pages, base, args.concurrency)

        startup = startup_cost(exe, work)
        cmd = [str(exe), "--config", str(cfg), "--db", str(db), "run", "--once"]
        runs = []
        for label in ("first", "second"):
            note(f"{label} run ...")
            stats = run_monitor(label, cmd, db, work, args.n)
            note(f"  {stats.wall_s:.1f}s, {stats.pages_per_s:.1f} pages/s, exit {stats.exit_code}")
            runs.append(asdict(stats))

        kinds: dict[str, int] = {}
        for p in pages:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
        sizes = sorted(p.size for p in pages)
        result = {
            "setup": {"n": args.n, "kinds": kinds, "total_bytes": sum(sizes), "median_page_bytes": sizes[len(sizes) // 2],
                      "generate_s": round(gen_s, 2), "server": server.name, "base_url": base,
                      "concurrency": args.concurrency, "gzip": bool(args.gzip and isinstance(server, NginxServer)),
                      "rss_method": "os.wait4() rusage of the monitor child (ru_maxrss)", "startup_s": startup,
                      "cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "runs": runs,
            "db": runs[-1]["db_bytes"],
        }
        if args.profile:
            note("profiling a fresh first run with cProfile ...")
            result["profile"] = profile_first_run(cfg, work)
    finally:
        if server is not None:
            server.stop()
        if own_dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.keep or not own_dir:
        result["kept"] = str(work)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result)
    return 0 if all(r["exit_code"] == 0 for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
