"""The accuracy gate: the corpus and seed scores may not drop below the pins in tests/scores.json.

It drives the real command line through ../shared/corpus/score.py, as anyone scoring the project
would; raising a pin is a deliberate commit.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from .conftest import SHARED

PINS = json.loads((Path(__file__).parent / "scores.json").read_text())
SCORER = SHARED / "corpus" / "score.py"
MONITOR = f"{shlex.quote(sys.executable)} -m monitor"


def score(*args: str) -> dict:
    proc = subprocess.run([sys.executable, str(SCORER), "--json", "--monitor", MONITOR, *args],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "!" not in proc.stderr, proc.stderr[-2000:]  # the scorer reports every crash with "!"
    return json.loads(proc.stdout)


def figures(result: dict) -> dict[str, float]:
    ex = result["extraction"]
    out = {
        "publications_f1": ex["publications"][2],
        "news_f1": ex["news"][2],
        "announcements_f1": ex["announcements"][2],
        "year_accuracy": ex["year_accuracy"],
        "venue_accuracy": ex["venue_accuracy"],
    }
    if "events" in result:
        out["alert_precision"], out["alert_recall"] = result["events"]["alert"][:2]
        clean, total = result["events"]["noise_clean"]
        out["noise_transitions_clean"] = clean
    return out


def check(got: dict[str, float], pins: dict[str, float]) -> None:
    below = {k: (round(got[k], 3), v) for k, v in pins.items() if k in got and got[k] + 1e-9 < v}
    assert not below, f"scores below their pins (got, pin): {below}"


def test_the_seeds_stay_perfect():
    check(figures(score("--corpus", str(SHARED / "seeds"))), PINS["seeds"])


def test_the_corpus_scores_hold():
    check(figures(score()), PINS["corpus"])
