"""Editing sources.yaml in place: the edited entry changes, every other byte of the file stays."""

from __future__ import annotations

import pytest

from monitor.errors import ConfigError
from monitor.sources import parse_config
from monitor.yamledit import Document, render_entry, scalar

# Comments above, inside and after entries, aligned comments, odd spacing, quotes, a flow entry,
# a commented-out key, blank lines between some entries, routes naming a source.
RICH = """\
# The researchers to watch.
defaults:                 # optional
  every: 12h              # check interval
  user_agent_contact: mailto:you@example.org

sources:   # keep this list sorted by lab
  # --- NLP ---
  - name: Dana Example                  # required, unique
    url: https://dana.example.org/      # http(s) URL
    tags: [nlp, collaborators]          # optional
    selectors:
      publications: "#papers li"
  # Eve moved to a new page in 2024
  - name: 'Eve'
    url:   https://eve.example.org/
    # every: 1d

  - {name: Flo, url: "https://flo.example.org/"}

  - name: "Gus"
    url: https://gus.example.org/
    every: 1d    # he posts rarely
channels:
  team:
    type: webhook
    url: https://example.org/hook
routes:
- channel: team
  sources: [Eve, nlp]   # Eve and the NLP group
"""

DANA = """\
  # --- NLP ---
  - name: Dana Example                  # required, unique
    url: https://dana.example.org/      # http(s) URL
    tags: [nlp, collaborators]          # optional
    selectors:
      publications: "#papers li"
"""
EVE = """\
  # Eve moved to a new page in 2024
  - name: 'Eve'
    url:   https://eve.example.org/
    # every: 1d
"""

COLUMN_ZERO = "sources:\n- name: A\n  url: https://a.org/\n# about B\n- name: B\n  url: https://b.org/\nroutes: []\n"


def names(text: str) -> list[str]:
    return [s.name for s in parse_config(text, "sources.yaml").sources]


def test_entries_are_located_with_their_comments():
    doc = Document(RICH)
    assert [e.name for e in doc.entries] == ["Dana Example", "Eve", "Flo", "Gus"]
    dana, eve, flo, gus = doc.entries
    assert RICH[dana.start:dana.end] == DANA
    assert RICH[eve.start:eve.end] == EVE
    assert RICH[flo.start:flo.end] == '  - {name: Flo, url: "https://flo.example.org/"}\n'
    assert RICH[gus.start:gus.end].endswith("every: 1d    # he posts rarely\n")
    assert (dana.dash_col, dana.key_col) == (2, 4)


def test_remove_cuts_out_the_entry_and_nothing_else():
    assert Document(RICH).remove("Dana Example") == RICH.replace(DANA, "", 1)
    # a blank line on each side: the one after goes with the entry, so the list keeps its spacing
    assert Document(RICH).remove("Flo") == RICH.replace('  - {name: Flo, url: "https://flo.example.org/"}\n\n', "", 1)
    # the last entry takes the blank line that set it apart
    assert Document(RICH).remove("Gus") == RICH.replace(
        '\n  - name: "Gus"\n    url: https://gus.example.org/\n    every: 1d    # he posts rarely\n', "", 1)
    assert names(Document(RICH).remove("Flo")) == ["Dana Example", "Eve", "Gus"]
    assert Document(RICH).remove("Eve") == RICH.replace(EVE, "", 1)  # (a route names it: the caller refuses)


def test_append_then_remove_gives_back_the_same_bytes():
    for text in (RICH, COLUMN_ZERO, RICH.replace("\n", "\r\n"), "sources:\n  - name: A\n    url: https://a.org/"):
        added = Document(text).append({"name": "New: One", "url": "https://new.example.org/", "tags": ["x", "a, b"]})
        assert names(added)[-1] == "New: One"
        assert parse_config(added, "s.yaml").sources[-1].tags == ["x", "a, b"]
        again = Document(added).remove("New: One")
        assert again == (text if text.endswith("\n") else text + "\n")  # a missing last line break is added


def test_append_copies_the_layout_of_the_entries_above():
    added = Document(RICH).append({"name": "Hal", "url": "https://hal.example.org/", "format": "markdown"})
    head, tail = RICH.split("channels:\n", 1)
    # spaced like the last two entries, indented like them, before the next top-level key
    assert added == head + "\n  - name: Hal\n    url: https://hal.example.org/\n    format: markdown\n" \
        + "channels:\n" + tail
    zero = Document(COLUMN_ZERO).append({"name": "C", "url": "https://c.org/"})
    assert zero == COLUMN_ZERO.replace("routes: []", "- name: C\n  url: https://c.org/\nroutes: []")
    crlf = RICH.replace("\n", "\r\n")
    assert "\n" not in Document(crlf).append({"name": "Hal", "url": "https://h.org/"}).replace("\r\n", "")


@pytest.mark.parametrize("text,expected", [
    ("", "sources:\n  - name: A\n    url: https://a.org/\n"),
    ("# nothing yet\n", "# nothing yet\nsources:\n  - name: A\n    url: https://a.org/\n"),
    ("sources:\n", "sources:\n  - name: A\n    url: https://a.org/\n"),
    ("sources: []\nroutes: []\n", "sources:\n  - name: A\n    url: https://a.org/\nroutes: []\n"),
    ("sources: ~   # none yet\n", "sources:    # none yet\n  - name: A\n    url: https://a.org/\n"),
    ("defaults:\n  every: 1d\nsources:\nroutes: []\n",
     "defaults:\n  every: 1d\nsources:\n  - name: A\n    url: https://a.org/\nroutes: []\n"),
])
def test_the_first_entry_of_an_empty_list(text, expected):
    assert Document(text).append({"name": "A", "url": "https://a.org/"}) == expected


def test_rename_changes_the_name_and_the_routes_naming_it_only():
    renamed = Document(RICH).rename("Eve", "Eve Adams")
    assert renamed == RICH.replace("name: 'Eve'", "name: 'Eve Adams'").replace("[Eve, nlp]", "[Eve Adams, nlp]")
    assert Document(RICH).rename("Gus", 'Gus "the" Bus') == RICH.replace('"Gus"', '"Gus \\"the\\" Bus"')
    odd = Document(RICH).rename("Dana Example", "yes")  # a word YAML would read as a boolean is quoted
    assert names(odd)[0] == "yes"


def test_pause_then_resume_gives_back_the_same_bytes():
    for name in ("Dana Example", "Eve", "Flo", "Gus"):
        paused = Document(RICH).set_enabled(name, False)
        config = parse_config(paused, "s.yaml")
        assert [s.name for s in config.sources if not s.enabled] == [name]
        assert Document(paused).set_enabled(name, True) == RICH
    paused = Document(RICH).set_enabled("Dana Example", False)
    assert paused == RICH.replace('      publications: "#papers li"\n',
                                  '      publications: "#papers li"\n    enabled: false\n', 1)
    # a value written by hand is set in place, its comment kept
    by_hand = RICH.replace("    every: 1d    # he posts rarely", "    enabled: false   # on leave")
    assert Document(by_hand).set_enabled("Gus", True) == by_hand.replace("enabled: false", "enabled: true")


def test_scalars_are_quoted_only_when_they_must_be():
    assert scalar("Dana Example") == "Dana Example"
    assert scalar("no") == "'no'" and scalar("#1: lab") == "'#1: lab'"
    assert scalar("Zoë Ünal") == "Zoë Ünal"
    assert render_entry({"url": "https://a.org/", "name": "A", "tags": ["x"]}, 2, 4) == \
        "  - name: A\n    url: https://a.org/\n    tags: [x]\n"


def test_a_flow_list_of_sources_is_not_rewritten():
    with pytest.raises(ConfigError, match="flow list"):
        Document("sources: [{name: A, url: 'https://a.org/'}]\n").append({"name": "B", "url": "https://b.org/"})
