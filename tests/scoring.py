"""The corpus scorer (../shared/corpus/score.py) run in-process, for the edit loop and the accuracy gate.

``score.py`` drives the project only through its command line, one ``monitor`` process per page and
two per replayed version: minutes on the whole corpus, nearly all of it interpreter start-up. Here the
same scorer runs unchanged, except that its ``monitor ...`` commands go to the real click command in
this process (click's CliRunner), and sites are spread over worker processes. Matching, tallies and
figures are score.py's own, so the numbers are the ones the command-line run prints.

    python -m tests.scoring                         # whole corpus: extraction and events
    python -m tests.scoring --only extraction -v --site 'a*'
    python -m tests.scoring --corpus ../shared/seeds
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import multiprocessing
import subprocess
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SCORER = SHARED / "corpus" / "score.py"
MONITOR = "monitor-in-process"  # the command name score.py is given; it never reaches a shell


def load_scorer() -> ModuleType:
    if not SCORER.is_file():
        raise FileNotFoundError(f"{SCORER}: the corpus scorer is missing (../shared beside the project root)")
    spec = importlib.util.spec_from_file_location("corpus_score", SCORER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_monitor(args: list[str]) -> subprocess.CompletedProcess:
    """One ``monitor`` command through its real click entry point, in this process."""
    from click.testing import CliRunner

    from monitor.cli import main

    result = CliRunner().invoke(main, args, catch_exceptions=True)
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, stderr)


class InProcess:
    """Stands in for the ``subprocess`` module inside score.py: monitor commands run here."""

    CompletedProcess = subprocess.CompletedProcess
    CalledProcessError = subprocess.CalledProcessError

    def run(self, cmd: list[str], *, check: bool = False, text: bool = False, **kw: Any) -> subprocess.CompletedProcess:
        if not cmd or cmd[0] != MONITOR:
            return subprocess.run(cmd, check=check, text=text, **kw)
        proc = run_monitor(list(cmd[1:]))
        if check and proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc


def _scorer() -> ModuleType:
    mod = load_scorer()
    mod.subprocess = InProcess()
    return mod


def _check_one(page: str) -> tuple[str, str, str]:
    """``monitor check PAGE --json``: the page's extraction as the scorer reads it."""
    proc = run_monitor(["check", page, "--json"])
    return page, proc.stdout if proc.returncode == 0 else "", proc.stderr


def _events_one(case: dict) -> tuple[str, dict, str]:
    mod = _scorer()
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        result = mod.score_events([case], [MONITOR], True)
    return case["id"], _plain(result), out.getvalue() + err.getvalue()


def _plain(result: dict) -> dict:
    """Tallies as (tp, fp, fn) so that they cross process boundaries and add up."""
    out: dict[str, Any] = {}
    for key, value in result.items():
        if hasattr(value, "tp"):
            out[key] = (value.tp, value.fp, value.fn)
        elif isinstance(value, dict) and key == "by_type":
            out[key] = {k: (v.tp, v.fp, v.fn) for k, v in value.items()}
        else:
            out[key] = value
    return out


def score(corpus: Path | None = None, *, sites: list[str] | None = None, exclude: list[str] | None = None,
          only: str | None = None, jobs: int | None = None, log: list[str] | None = None) -> dict:
    """score.py's figures (the structure of its ``--json`` output), computed in-process."""
    mod = load_scorer()
    corpus = corpus or SCORER.parent
    cases = mod.load_cases(Path(corpus), sites or None, exclude)
    jobs = jobs or max(1, min(len(cases), multiprocessing.cpu_count()))
    out: dict[str, Any] = {"cases": len(cases)}
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(jobs) as pool:
        if only != "events":
            got = pool.map(_check_one, [str(c["page"]) for c in cases], chunksize=1)
            out["extraction"] = _score_extraction(mod, cases, {p: (o, e) for p, o, e in got}, log)
        if only != "extraction" and any(c["transitions"] for c in cases):
            got = pool.map(_events_one, [c for c in cases if len(c["versions"]) >= 2], chunksize=1)
            out["events"] = _merge_events(mod, got, log)
    return out


def _score_extraction(mod: ModuleType, cases: list[dict], checked: dict[str, tuple[str, str]],
                      log: list[str] | None) -> dict:
    """score.py's own extraction scoring, over check outputs computed beforehand."""

    def cached(cmd: list[str], cwd: str | None = None) -> object:
        stdout, stderr = checked[cmd[2]]
        if not stdout:
            raise RuntimeError(f"monitor check {cmd[2]} failed: {stderr.strip()[-500:]}")
        return json.loads(stdout)

    mod.run_json = cached
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        result = mod.score_extraction(cases, [MONITOR], log is not None)
    if log is not None:
        log.append((out.getvalue() + err.getvalue()).rstrip())
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            for case in cases:
                one = mod.score_extraction([case], [MONITOR], False)
                ya, va = one["year_accuracy"], one["venue_accuracy"]
                log.append(f"  {case['id']}: year {'-' if ya is None else f'{ya:.2f}'}, venue {'-' if va is None else f'{va:.2f}'}")
    if "!" in err.getvalue():
        result["crashes"] = [ln for ln in err.getvalue().splitlines() if ln.startswith("!")]
    return {k: v.prf() if hasattr(v, "prf") else v for k, v in result.items()}


def _merge_events(mod: ModuleType, got: list[tuple[str, dict, str]], log: list[str] | None) -> dict:
    alert = mod.Tally()
    by_type: dict[str, Any] = {}
    clean = total = 0
    crashes: list[str] = []
    for _site, result, text in got:
        alert.add(*result["alert"])
        for kind, counts in result["by_type"].items():
            by_type.setdefault(kind, mod.Tally()).add(*counts)
        c, t = result["noise_transitions"]
        clean, total = clean + c, total + t
        crashes += [ln for ln in text.splitlines() if ln.startswith("!")]
        if log is not None and text.strip():
            log.append(text.rstrip())
    return {"crashes": crashes, "alert": alert.prf(), "noise_clean": [clean, total], "alert_counts": (alert.tp, alert.fp, alert.fn),
            "by_type": {k: v.prf() for k, v in sorted(by_type.items())},
            "by_type_counts": {k: (v.tp, v.fp, v.fn) for k, v in sorted(by_type.items())}}


def report(out: dict) -> str:
    """The figures laid out as score.py prints them."""
    lines = []
    if "extraction" in out:
        ex = out["extraction"]
        lines.append(f"extraction over {out['cases']} pages")
        for k in ("publications", "news", "announcements"):
            p, r, f = ex[k]
            lines.append(f"  {k:<22} P {p:6.3f}  R {r:6.3f}  F1 {f:6.3f}")
        ya, va = ex["year_accuracy"], ex["venue_accuracy"]
        lines.append(f"  year accuracy {ya if ya is None else f'{ya:.3f}'}   venue accuracy {va if va is None else f'{va:.3f}'}")
    if "events" in out:
        ev = out["events"]
        p, r, f = ev["alert"]
        lines.append("events over replayed versions")
        lines.append(f"  {'alert-worthy events':<22} P {p:6.3f}  R {r:6.3f}  F1 {f:6.3f}   (tp, fp, fn) {ev['alert_counts']}")
        for kind, (p, r, f) in ev["by_type"].items():
            lines.append(f"    {kind:<22} P {p:6.3f}  R {r:6.3f}  F1 {f:6.3f}   {ev['by_type_counts'][kind]}")
        lines.append(f"  noise-only transitions with no alert: {ev['noise_clean'][0]}/{ev['noise_clean'][1]}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(SCORER.parent))
    ap.add_argument("--only", choices=["extraction", "events"])
    ap.add_argument("--site", action="append")
    ap.add_argument("--exclude", action="append")
    ap.add_argument("--sites-from")
    ap.add_argument("--jobs", type=int)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sites = list(args.site or [])
    if args.sites_from:
        sites += [ln.strip() for ln in Path(args.sites_from).read_text().splitlines()
                  if ln.strip() and not ln.startswith("#")]
    log: list[str] | None = [] if args.verbose else None
    out = score(Path(args.corpus), sites=sites or None, exclude=args.exclude, only=args.only, jobs=args.jobs, log=log)
    if log:
        print("\n".join(x for x in log if x))
    if args.json:
        print(json.dumps({k: v for k, v in out.items()}, indent=1, default=list))
    else:
        print(report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
