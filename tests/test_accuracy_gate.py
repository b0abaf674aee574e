"""The accuracy gate: the corpus and seed scores may not drop below the pins in tests/scores.json.

The figures are those of ../shared/corpus/score.py, run in-process (tests/scoring.py): the scorer's own
matching and tallies, with its ``monitor`` commands sent to the real click command in this process
instead of a new interpreter each. The command-line path itself is covered end to end elsewhere.
Raising a pin is a deliberate commit.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import SHARED
from .scoring import score

PINS = json.loads((Path(__file__).parent / "scores.json").read_text())


def figures(result: dict) -> dict[str, float]:
    ex = result["extraction"]
    assert not ex.get("crashes"), ex["crashes"]
    out = {
        "publications_f1": ex["publications"][2],
        "news_f1": ex["news"][2],
        "announcements_f1": ex["announcements"][2],
        "year_accuracy": ex["year_accuracy"],
        "venue_accuracy": ex["venue_accuracy"],
    }
    if "events" in result:
        assert not result["events"]["crashes"], result["events"]["crashes"]
        out["alert_precision"], out["alert_recall"] = result["events"]["alert"][:2]
        out["noise_transitions_clean"] = result["events"]["noise_clean"][0]
    return out


def check(got: dict[str, float], pins: dict[str, float]) -> None:
    below = {k: (round(got[k], 3), v) for k, v in pins.items() if k in got and got[k] + 1e-9 < v}
    assert not below, f"scores below their pins (got, pin): {below}"


def test_the_seeds_stay_perfect():
    check(figures(score(SHARED / "seeds")), PINS["seeds"])


def test_the_corpus_scores_hold():
    check(figures(score(SHARED / "corpus")), PINS["corpus"])
