#!/usr/bin/env python3
"""scholarwatch against urlwatch, side by side, on the same local pages in the same run.

    make versus                                     # N = 1,000 and 10,000
    .venv/bin/python bench/versus.py --n 1000       # one size
    .venv/bin/python bench/versus.py --n 200 --json

For each N: N unique pages built from the corpus (``bench.generate``, as ``bench.py`` does), served
by one local server on 127.0.0.1 (nginx with ETag, Last-Modified and 304s when installed, else
Python's server); then, alternating so that a busy machine hurts both alike, urlwatch's first run,
the monitor's first run, urlwatch's unchanged run and the monitor's unchanged run: one round, done
``--rounds`` times (3 by default) from empty state (no database, no cache). The monitor's compiled
patterns (``monitor/regexcache.py``) are kept in a folder of the benchmark, filled by a run over a few
of the pages before the rounds, as on a machine where the monitor has run before (as its modules and
urlwatch's come byte-compiled). Each tool's figure is its
median round, and the bars are judged on the medians: one slow minute of the machine (or one fast
one of urlwatch's) does not decide a bar, and the spread is printed beside each figure. urlwatch is
installed from PyPI into its own virtual environment (``bench/.venv-urlwatch``, made on first use;
never a project dependency) and runs with its defaults: one job per page, its 10 threads, its
minidb cache. The monitor runs ``monitor run --once`` with ``--concurrency`` (default 64).

Per run: wall time, pages/s, the ratio to urlwatch's, CPU seconds (the process and the children it
waited for), and the peak memory of the whole process tree (RSS of the process and every child,
extraction workers included, sampled every 20 ms from ``/proc``, psutil where it cannot). Then the
database size per source, extraction milliseconds per page over the corpus (median and p90, as
``extract_speed.py`` measures them in a fresh process set up as an extraction worker: one pass, and
the best of 3 rounds), and the start-up of the read-only commands against the monitor's database.
The bars: first run at least as fast as urlwatch's, unchanged run at least 4x, peak tree memory at
most 200 MB, read-only start-up under 0.2 s, extraction median at most 5 ms (one pass).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the page generator, the servers, the sources.yaml writer)

URLWATCH = "urlwatch==2.29"
URLWATCH_VENV = HERE / ".venv-urlwatch"
SAMPLE_EVERY = 0.02  # seconds between two memory samples of a process tree
STARTUP_ROUNDS = 7  # a read-only command's start-up figure is its best of this many
BARS = {"first_ratio": 1.0, "unchanged_ratio": 4.0, "peak_tree_mb": 200.0, "startup_s": 0.2,
        "extraction_median_ms": 5.0}
READ_ONLY = (("--help",), ("diff",), ("sources",), ("notices",))
WARM_PAGES = 40  # the run that fills the monitor's pattern cache before the rounds reads this many pages


@dataclass
class Run:
    """One run of one tool."""

    tool: str
    label: str  # first | unchanged
    exit_code: int
    wall_s: float
    pages_per_s: float
    cpu_s: float
    peak_tree_mb: float
    peak_processes: int
    round: int = 1


def urlwatch_exe(venv: Path = URLWATCH_VENV) -> Path:
    """urlwatch in its own virtual environment, installed from PyPI the first time."""
    exe = venv / "bin" / "urlwatch"
    if not _runs(exe):  # never installed, or a venv whose Python has gone (made from a copy since deleted)
        print(f"installing {URLWATCH} into {venv} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", URLWATCH], check=True)
    return exe


def _runs(exe: Path) -> bool:
    try:
        return subprocess.run([str(exe), "--version"], capture_output=True, timeout=60).returncode == 0
    except OSError:
        return False


class TreeSampler:
    """The peak summed RSS of a process and all its descendants, sampled in a thread.

    Read from ``/proc`` (each task's ``children`` list and each process's ``statm``): about 0.03 ms of CPU
    a sample. ``psutil``'s ``children(recursive=True)`` scans every process of the machine instead, about
    1 ms a sample, 5% of a core at 50 samples a second, taken from a tool that keeps both cores busy (the
    monitor's first run) but not from one that uses one (urlwatch's). psutil stays the fallback where the
    kernel has no ``children`` lists."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.root = psutil.Process(pid)
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _proc_tree(self) -> list[int] | None:
        """The pids of the process and its descendants from ``/proc``; None without ``children`` lists."""
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue  # gone meanwhile
            for tid in tasks:
                try:
                    with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                        todo.extend(int(c) for c in f.read().split())
                except FileNotFoundError:
                    if pid == self.pid and tid == str(pid) and os.path.exists(f"/proc/{pid}"):
                        return None  # the process is there, the list is not: no such lists on this kernel
                except OSError:
                    pass
        return pids

    def _rss(self, pid: int) -> int:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                return int(f.read().split()[1]) * self.page
        except (OSError, IndexError, ValueError):
            return 0

    def _psutil_tree(self) -> tuple[int, int]:
        tree = [self.root, *self.root.children(recursive=True)]
        total = 0
        for proc in tree:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total, len(tree)

    def _loop(self) -> None:
        fast = True
        while not self._stop.is_set():
            pids = self._proc_tree() if fast else None
            try:
                if pids is None:
                    fast = False
                    total, count = self._psutil_tree()
                else:
                    total, count = sum(self._rss(pid) for pid in pids), len(pids)
            except psutil.Error:
                return
            if total > self.peak:
                self.peak, self.processes = total, count
            self._stop.wait(SAMPLE_EVERY)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def timed(tool: str, label: str, argv: list[str], work: Path, n: int) -> Run:
    """Run a command to completion: wall time, CPU from wait4 (with the children it reaped), peak tree RSS."""
    with open(work / f"{tool}-{label}.stdout", "wb") as out, open(work / f"{tool}-{label}.stderr", "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=work)
        sampler = TreeSampler(proc.pid)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            sampler.stop()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(tool=tool, label=label, exit_code=proc.returncode, wall_s=round(wall, 3),
               pages_per_s=round(n / wall, 1), cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
               peak_tree_mb=round(sampler.peak / 1e6, 1), peak_processes=sampler.processes)


def write_urls(path: Path, pages: list[bench.GeneratedPage], base: str) -> None:
    """urlwatch's job list: one plain URL job per page (its default: the raw page, diffed as text)."""
    docs = [json.dumps({"name": f"p{p.index:05d} {p.person}", "url": base + p.url_path}) for p in pages]
    path.write_text("\n---\n".join(docs) + "\n", encoding="utf-8")


def startup(exe: Path, cfg: Path, db: Path, work: Path) -> dict[str, float]:
    """Best-of wall seconds of each read-only command, output discarded."""
    out: dict[str, float] = {}
    for args in READ_ONLY:
        best = float("inf")
        for _ in range(STARTUP_ROUNDS):
            t0 = time.perf_counter()
            subprocess.run([str(exe), "--config", str(cfg), "--db", str(db), *args], cwd=work,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            best = min(best, time.perf_counter() - t0)
        out[" ".join(args)] = round(best, 3)
    return out


def build_of(python: Path) -> str:
    """Which build of the extractor ``python`` imports: "compiled" (``make fast``) or "plain"."""
    out = subprocess.run([str(python), "-P", "-c", "import monitor.extract.dom as d; print(d.__file__)"],
                         capture_output=True, text=True, check=True)
    return "plain" if out.stdout.strip().endswith(".py") else "compiled"


def extraction_ms(python: Path) -> dict[str, Any]:
    """``extract_speed.py``'s figures, from a fresh process of the measured build set up as an extraction
    worker: one pass over the corpus (every page new to the process, as in a run) and each page's best
    of 3 rounds."""
    out = subprocess.run([str(python), str(HERE / "extract_speed.py"), "--json"], capture_output=True,
                         text=True, check=True)
    return dict(json.loads(out.stdout))


def one_size(n: int, args: argparse.Namespace, monitor: Path, urlwatch: Path) -> dict[str, Any]:
    work = (args.out / f"n{n}") if args.out else Path(tempfile.mkdtemp(prefix=f"scholarwatch-versus-{n}-"))
    if work.exists() and args.out:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    server: bench.Server | None = None
    note = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    try:
        note(f"N={n}: generating pages ...")
        pages = bench.generate(n, work / "site", args.seed)
        nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        if nginx and args.server != "python":
            server = bench.NginxServer(nginx, work / "site", work, False)
        else:
            if args.server == "nginx":
                sys.exit("error: nginx not found; install it with: apt-get install -y nginx")
            server = bench.PythonServer(work / "site")
        base = server.start()
        cfg, db = work / "sources.yaml", work / "monitor.db"
        bench.write_sources(cfg, pages, base, args.concurrency)
        write_urls(work / "urls.yaml", pages, base)
        warm = work / "warm"
        warm.mkdir(exist_ok=True)
        bench.write_sources(warm / "sources.yaml", pages[:WARM_PAGES], base, args.concurrency)
        note(f"N={n}: a monitor run over {min(n, WARM_PAGES)} pages fills its pattern cache ...")
        subprocess.run([str(monitor), "--config", str(warm / "sources.yaml"), "--db", str(warm / "m.db"), "run"],
                       cwd=warm, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        uw = [str(urlwatch), "--urls", "urls.yaml", "--config", "urlwatch.yaml", "--hooks", "hooks.py",
              "--cache", "cache.db"]
        mon = [str(monitor), "--config", str(cfg), "--db", str(db), "run", "--once"]
        runs: list[Run] = []
        for round_ in range(1, args.rounds + 1):
            for stale in [*work.glob(db.name + "*"), work / "cache.db"]:  # each round from empty state
                stale.unlink(missing_ok=True)
            for label in ("first", "unchanged"):
                for tool, argv in (("urlwatch", uw), ("monitor", mon)):
                    note(f"N={n}, round {round_}/{args.rounds}: {tool} {label} run ...")
                    run = timed(tool, label, argv, work, n)
                    run.round = round_
                    note(f"  {run.wall_s:.1f}s, {run.pages_per_s:.0f} pages/s, peak tree {run.peak_tree_mb:.0f} MB,"
                         f" exit {run.exit_code}")
                    runs.append(run)
        outcomes = dict(bench._run_rows(db, 0)[0]) if db.exists() else {}
        sizes = {"monitor": sum(bench.db_size(db).values()), "urlwatch": (work / "cache.db").stat().st_size
                 if (work / "cache.db").exists() else 0}
        note(f"N={n}: start-up of the read-only commands ...")
        starts = startup(monitor, cfg, db, work)
        return {"n": n, "server": server.name, "runs": [asdict(r) for r in runs], "outcomes": outcomes,
                "db_bytes_per_source": {k: round(v / n) for k, v in sizes.items()}, "startup_s": starts,
                "work": str(work) if args.keep or args.out else None}
    finally:
        if server is not None:
            server.stop()
        if not (args.keep or args.out):
            shutil.rmtree(work, ignore_errors=True)


def median_runs(runs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each tool's median round of each run (by wall time; the upper middle of an even count), with
    ``wall_range``: the fastest and slowest of its rounds, and ``peak_all_mb``: the highest peak of them."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key in {(r["tool"], r["label"]) for r in runs}:
        same = sorted((r for r in runs if (r["tool"], r["label"]) == key), key=lambda r: r["wall_s"])
        out[key] = {**same[len(same) // 2], "wall_range": (same[0]["wall_s"], same[-1]["wall_s"]),
                    "peak_all_mb": max(r["peak_tree_mb"] for r in same), "rounds": len(same)}
    return out


def verdict(size: dict[str, Any]) -> dict[str, bool]:
    """The bars, on each tool's median round; memory on the highest peak of all the monitor's runs."""
    by = median_runs(size["runs"])
    ratio = {label: by[("monitor", label)]["pages_per_s"] / by[("urlwatch", label)]["pages_per_s"]
             for label in ("first", "unchanged")}
    peak = max(r["peak_tree_mb"] for r in size["runs"] if r["tool"] == "monitor")  # every round's
    return {"first run >= urlwatch": ratio["first"] >= BARS["first_ratio"],
            "unchanged run >= 4x urlwatch": ratio["unchanged"] >= BARS["unchanged_ratio"],
            "peak tree <= 200 MB": peak <= BARS["peak_tree_mb"],
            "read-only start-up < 0.2 s": all(v < BARS["startup_s"] for v in size["startup_s"].values())}


def print_report(result: dict[str, Any]) -> None:
    ex = result["extraction"]
    once, best = ex["one_pass"], ex["best"]
    print(f"{result['cpus']} CPUs, load {result['load']:.1f} at the start; the monitor's {result['build']} build;"
          " extraction over the corpus"
          f" ({ex['pages']} pages, one core, a process set up as a worker): one pass median {once['median_ms']} ms,"
          f" p90 {once['p90_ms']} ms; best of {ex['rounds']} median {best['median_ms']} ms, p90 {best['p90_ms']} ms;"
          f" bar: median <= {BARS['extraction_median_ms']:g} ms (one pass):"
          f" {'yes' if once['median_ms'] <= BARS['extraction_median_ms'] else 'NO'}")
    for size in result["sizes"]:
        by = median_runs(size["runs"])
        rounds = max(r["rounds"] for r in by.values())
        print(f"\nN = {size['n']} pages ({size['server']}); {rounds} round{'s' if rounds > 1 else ''}, each tool's"
              " median round (its fastest and slowest in brackets; memory: the highest peak of all rounds)")
        rows = [("run", "tool", "wall s", "(range)", "pages/s", "x urlwatch", "(range)", "cpu s", "peak tree MB",
                 "processes")]
        walls = {(r["tool"], r["label"], r["round"]): r["wall_s"] for r in size["runs"]}
        for label in ("first", "unchanged"):
            uw = by[("urlwatch", label)]
            for tool in ("urlwatch", "monitor"):
                r = by[(tool, label)]
                ratio = r["pages_per_s"] / uw["pages_per_s"]
                low, high = r["wall_range"]
                # the ratio's range: each of this tool's rounds against urlwatch's round of the same number
                ratios = [walls[("urlwatch", label, k)] / walls[(tool, label, k)] for k in range(1, rounds + 1)]
                rows.append((label, tool, f"{r['wall_s']:.2f}", f"({low:.2f}-{high:.2f})", f"{r['pages_per_s']:.0f}",
                             f"{ratio:.2f}", f"({min(ratios):.2f}-{max(ratios):.2f})", f"{r['cpu_s']:.1f}",
                             f"{r['peak_all_mb']:.0f}", str(r["peak_processes"])))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        per = size["db_bytes_per_source"]
        print(f"  database per source: monitor {per['monitor'] / 1024:.1f} KiB,"
              f" urlwatch {per['urlwatch'] / 1024:.1f} KiB")
        print("  monitor outcomes: " + " ".join(f"{k}={v}" for k, v in size["outcomes"].items()))
        print("  read-only start-up (best of %d): " % STARTUP_ROUNDS
              + ", ".join(f"monitor {k} {v:.3f} s" for k, v in size["startup_s"].items()))
        bad = [r for r in size["runs"] if r["exit_code"] != 0]
        for r in bad:
            print(f"  {r['tool']} {r['label']} run exited {r['exit_code']}")
        print("  bars: " + ", ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in verdict(size).items()))
        if size.get("work"):
            print(f"  kept: {size['work']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 10000], help="page counts (default 1000 10000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--concurrency", type=int, default=64, help="the monitor's concurrency and per_host")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the four runs, each from empty state; each"
                    " tool's figure is its median round (default 3)")
    ap.add_argument("--server", choices=("auto", "nginx", "python"), default="auto")
    ap.add_argument("--out", type=Path, help="keep everything under this folder (n<N>/ per size)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--monitor", type=Path, help="another build's monitor command, such as the compiled build's"
                    " .venv-fast/bin/monitor (default: this venv's)")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks stop the servers
    monitor = (args.monitor or bench.monitor_exe()).absolute()  # (not resolved: a venv's python is a link)
    urlwatch = urlwatch_exe()
    # An installed package comes byte-compiled (pip compiles urlwatch's); an editable checkout may not,
    # and with PYTHONDONTWRITEBYTECODE set every start would compile the monitor's modules again.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "monitor")], check=False)
    patterns = tempfile.mkdtemp(prefix="scholarwatch-versus-patterns-")
    os.environ["MONITOR_CACHE_DIR"] = patterns  # the runs' own, filled before each size's rounds
    python = monitor.parent / "python"  # the build's own interpreter, for its extraction figures
    if not python.exists():
        python = Path(sys.executable)
    result: dict[str, Any] = {"cpus": os.cpu_count(), "load": os.getloadavg()[0], "urlwatch": URLWATCH,
                              "build": build_of(python), "extraction": extraction_ms(python), "sizes": []}
    for n in args.n:
        result["sizes"].append(one_size(n, args, monitor, urlwatch))
    shutil.rmtree(patterns, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_report(result)
    return 0 if all(r["exit_code"] == 0 for s in result["sizes"] for r in s["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
