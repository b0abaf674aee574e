"""Memo tables (``monitor.memo``): a memoised function answers as the function it keeps answers of, the first
time and every time after, and a table stays within its size."""

from __future__ import annotations

import pytest

from monitor import memo, scholarly
from monitor.extract import cues, html
from monitor.memo import MemoTable


def test_keep_returns_the_answer_and_a_full_table_is_emptied_before_it_grows():
    table: MemoTable[str, int] = MemoTable(3)
    assert [table.keep(k, v) for k, v in (("a", 1), ("b", 2), ("c", 3))] == [1, 2, 3]
    assert table.answers == {"a": 1, "b": 2, "c": 3}
    assert table.keep("d", 4) == 4
    assert table.answers == {"d": 4}  # emptied, then kept: never more than its size
    assert len(table) == 1


def test_forget_empties_every_table():
    first: MemoTable[str, bool] = MemoTable()
    second: MemoTable[tuple[str, str], str] = MemoTable()
    first.keep("x", True)
    second.keep(("x", "y"), "z")
    memo.forget()
    assert len(first) == len(second) == 0


@pytest.mark.parametrize("function, computed, args", [
    (scholarly.find_year, scholarly._compute_find_year, ("NeurIPS 2023",)),
    (scholarly.find_year, scholarly._compute_find_year, ("no year here",)),  # None is an answer too
    (cues.heading_kind, cues._compute_heading_kind, ("Recent News", True)),
    (cues.heading_kind, cues._compute_heading_kind, ("Detecting Fake News", True)),
    (cues.heading_kind, cues._compute_heading_kind, ("Detecting Fake News", False)),  # the mode is part of the key
    (cues.looks_like_name, cues._compute_looks_like_name, ("Ada Lovelace",)),
    (cues.looks_like_name, cues._compute_looks_like_name, ("Deep learning for graphs",)),
    (cues.author_share, cues._compute_author_share, ("A. Roe, B. Poe and C. Moe",)),
    (html._is_link_label, html._compute_is_link_label, ("[pdf] [code]",)),
    (html._is_link_label, html._compute_is_link_label, ("A title",)),
    (html._venue_from, html._compute_venue_from, ("In Proceedings of ICML 2024",)),
    (html._venue_from, html._compute_venue_from, ("",)),  # None
    (html._split_author_venue, html._compute_split_author_venue, ("A, B and C. EMNLP 2025.",)),
    (html._leads_line, html._compute_leads_line, ("A Title", "1. A Title. ICML 2024")),
    (html._strip_links_text, html._compute_strip_links_text, ("A Title [pdf] [code]", frozenset({"pdf", "code"}))),
])
def test_a_memoised_function_answers_as_it_computes_every_time(function, computed, args):
    memo.forget()
    expected = computed(*args)
    assert [function(*args) for _ in range(3)] == [expected] * 3


def test_each_argument_of_a_two_argument_function_is_part_of_its_key():
    memo.forget()
    answers = [cues.heading_kind("Detecting Fake News", mode) for mode in (True, False, True)]
    assert answers == [cues._compute_heading_kind("Detecting Fake News", mode) for mode in (True, False, True)]
    assert answers[0] != answers[1]
    lines = ("1. A Title. ICML 2024", "B. Roe. Another Paper. ICML 2024")
    assert [html._leads_line("A Title", line) for line in lines] == [True, False]
