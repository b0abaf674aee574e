"""Diff units: identity survives restyling; real changes become typed events."""

from __future__ import annotations

import pytest

from monitor.diff import diff_pages, is_suspect, venue_changed
from monitor.models import Announcement, NewsItem, Page, Publication


def paper(title, venue=None, authors=("A. One", "B. Two"), links=None, year=None):
    return Publication(title=title, venue=venue, authors=list(authors), links=links or {}, year=year)


def page(*papers, news=(), ann=()):
    return Page(publications=list(papers), news=[NewsItem(date=None, text=t) for t in news],
                announcements=list(ann))


def kinds(events):
    return sorted((e.type, e.field) for e in events)


def test_reorder_case_punctuation_zero_width_and_wrapping_are_the_same_paper():
    old = page(paper("Sparse Attention Without Tears", "ICML 2025"), paper("Retrieval Heads: All You Need", "ACL 2024"))
    new = page(paper("Retrieval heads — all you need", "ACL 2024"),
               paper("Sparse\u200b Attention  Without\nTears.", "ICML 2025"))
    assert diff_pages(old, new) == []


def test_a_fixed_typo_is_not_news():
    old = page(paper("Scalable langauge model with generalized continual learning", "ICLR 2024"))
    new = page(paper("Scalable language model with generalized continual learning", "ICLR 2024"))
    assert [e for e in diff_pages(old, new) if e.alert] == []


def test_new_paper_and_preprint_accepted():
    old = page(paper("Retrieval Heads Are All You Need", "Preprint"))
    new = page(paper("Retrieval Heads Are All You Need", "ACL 2025"), paper("A Brand New Result", "arXiv"))
    events = diff_pages(old, new)
    assert kinds(events) == [("paper_added", None), ("paper_updated", "venue")]
    upd = next(e for e in events if e.type == "paper_updated")
    assert (upd.before, upd.after, upd.alert) == ("Preprint", "ACL 2025", True)


def test_retitled_paper_is_an_update_not_add_and_remove():
    old = page(paper("Learning to Rank with Sparse Transformers for Dense Retrieval", "NeurIPS 2024"))
    new = page(paper("Learning to Rank with Sparse Transformers for Dense Passage Retrieval", "NeurIPS 2024"))
    assert kinds(diff_pages(old, new)) == [("paper_updated", "title")]


def test_news_and_announcements():
    old = page(news=["Gave a talk at the lab."])
    new = page(news=["Paper accepted to ICML 2025!", "Gave a talk at the lab."],
               ann=[Announcement(kind="on_market", text="I am on the job market.")])
    events = diff_pages(old, new)
    assert kinds(events) == [("announcement", None), ("news_added", None)]
    again = diff_pages(new, new)
    assert again == []  # an announcement is news only when newly present
    gone = diff_pages(new, page(news=["Paper accepted to ICML 2025!", "Gave a talk at the lab."]))
    assert kinds(gone) == [("announcement_removed", None)] and not gone[0].alert


def test_untitled_papers_match_by_text():
    text = "We study the safety of large language models and propose a framework for intervention. " * 3
    old = page(Publication(title=None, text=text, year=2025))
    new = page(Publication(title=None, text=text.replace("framework", "framework ") + " ", year=2025))
    assert diff_pages(old, new) == []


def test_suspect_pages():
    full = page(*[paper(f"Paper number {i} about things") for i in range(8)], news=["a", "b"])
    assert is_suspect(full, page()) is not None
    assert is_suspect(full, page(paper("Paper number 1 about things"))) is not None
    assert is_suspect(full, page(*full.publications[:7], news=["a", "b"])) is None
    error = page()
    error.error_page = True
    assert "error page" in is_suspect(None, error)


def test_an_item_scrolling_off_a_newest_n_list_is_not_an_alert():
    old = page(news=["Item five", "Item four", "Item three"])
    new = page(news=["Item six is here", "Item five", "Item four"])
    events = diff_pages(old, new)
    assert kinds(events) == [("news_added", None), ("news_removed", None)]
    assert [e.type for e in events if e.alert] == ["news_added"]


def test_a_change_of_announcement_of_the_same_kind_is_news():
    old = page(ann=[Announcement(kind="joining", text="I will join Sea AI Lab as a research scientist.")])
    new = page(ann=[Announcement(kind="joining", text="In 2025 I join Example University as an assistant professor.")])
    assert kinds(diff_pages(old, new)) == [("announcement", None)]
    same = page(ann=[Announcement(kind="joining", text="I will join Sea AI Lab as a research scientist!")])
    assert diff_pages(old, same) == []


@pytest.mark.parametrize("before,after,changed", [
    ("preprint", "ICLR 2025", True),
    ("ICLR 2024", "ICML 2024", True),
    ("ICML 2024", "ICML 2024 (Oral)", True),
    ("NeurIPS 2023", "NeurIPS 2024", True),
    ("Workshop at ICML 2024 & under review at TMLR", "Workshop at ICML 2024 & under review", True),
    ("[ACL 2022]", "[ACL 2022] The 60th Annual Meeting of the ACL", False),
    ("to appear at EMNLP 2024", "EMNLP 2024", False),
    ("arXiv, 2021", "arXiv:2110.11334", False),
    ("IEEE TKDE, 10.1109/TKDE.2020.3016208", "IEEE TKDE, 2020", False),
    ("AAAI Conference on Artificial Intelligence 2025", "AAAI2025 AAAI Conference on Artificial Intelligence 2025", False),
    ("IEEE Transactions on Pattern Analysis and Machine Intelligence, 2024",
     "T-PAMI IEEE Transactions on Pattern Analysis and Machine Intelligence, 2024", False),
    ("European Conference on Artificial Intelligence, 2025", "ECAI, 2025", False),
    ("IEEE Sensors Journal, 2025", "IEEE Sensors Journal", False),  # the year went to the year field
    ("ICML 2023", "ICML", False),
    ("arXiv 2023", "ICML", True),
    ("IEEE Transactions on Intelligent Transportations", "IEEE Transactions on Intelligent Transportation Systems",
     False),  # a name's typo fixed
    ("IEEE Transactions on Image Processing", "IEEE Transactions on Information Theory", True),
    ("Solar Physics", "Journal of Computational Physics", True),
])
def test_venue_changed(before: str, after: str, changed: bool) -> None:
    assert venue_changed(before, after) is changed


@pytest.mark.parametrize("before,after,authors_after,links,retitled", [
    ("Schema Curation via Causal Association Rule Mining", "Human Schema Curation via Causal Association Rule Mining",
     ("A. One", "B. Two"), None, True),
    ("Tailored Computing: Domain-Specific Systems and Hardware for Embodied Autonomous Intelligence",
     "Domain-Specific Systems and Hardware for Embodied Autonomous Intelligence", ("A. One", "B. Two"), None, True),
    ("Task Vectors are Cross-Modal", "Vision-Language Models Create Cross-Modal Task Representations",
     ("A. One", "B. Two"), {"arxiv": "https://arxiv.org/abs/2410.22330"}, True),  # same authors and link
    ("Counting Objects in Clutter", "Vision-Language Models Create Cross-Modal Task Representations",
     ("A. One", "B. Two"), None, False),  # the same authors, another title and no shared link: two papers
    ("Learning to Walk in Sparse Worlds", "Learning to Run in Dense Worlds", ("C. Three",), None, False),
])
def test_a_paper_renamed_keeps_its_identity(before, after, authors_after, links, retitled) -> None:
    old = page(paper(before, links={"arxiv": "https://arxiv.org/abs/2410.22330"}), paper("Another Paper Entirely Here"))
    new = page(paper(after, authors=authors_after, links=links), paper("Another Paper Entirely Here"))
    got = kinds(diff_pages(old, new))
    assert (("paper_updated", "title") in got) is retitled
    assert (("paper_added", None) in got) is not retitled


TITLES = [f"Paper number {w} about learning" for w in ("one", "two", "three", "four", "five", "six")]


@pytest.mark.parametrize("changed, expected", [
    (1, 1),  # one paper's PDF replaced: an update of that paper
    (3, 3),  # three of six: still news of those papers
    (4, 0),  # four of six at once: the site renamed its files, nothing happened to any paper
    (6, 0),
])
def test_links_that_all_change_at_once_are_a_rewrite_of_the_site_not_news(changed: int, expected: int) -> None:
    old = page(*[paper(t, links={"pdf": f"files/{i}/old-name.pdf"}) for i, t in enumerate(TITLES)])
    new = page(*[paper(t, links={"pdf": f"files/{i}/{'new' if i < changed else 'old'}-name.pdf"})
                 for i, t in enumerate(TITLES)])
    assert [e.field for e in diff_pages(old, new)] == ["links"] * expected


@pytest.mark.parametrize("before, after, update", [
    (["Chen Change Loy", "Yi-Zhe Song"], ["C. C. Loy", "YZ Song"], False),  # written with initials: the same people
    (["Jingkang Yang", "Kaiyang Zhou"], ["J. Yang", "K. Zhou"], False),
    (["Jingkang Yang", "Kaiyang Zhou"], ["Kaiyang Zhou", "Jingkang Yang"], True),  # the order of authors changed
    (["Jingkang Yang", "Kaiyang Zhou"], ["J. Yang", "K. Zhou", "Z. Liu"], True),  # an author added
    (["Jingkang Yang", "Kaiyang Zhou"], ["J. Yang", "K. Zhu"], True),
])
def test_authors_change_when_the_people_do_not_when_their_names_are_abbreviated(before, after, update) -> None:
    events = diff_pages(page(paper("A Paper on Learning", authors=before)), page(paper("A Paper on Learning", authors=after)))
    assert [e.field for e in events] == (["authors"] if update else [])


def test_a_sentence_that_said_two_things_is_withdrawn_once() -> None:
    said = "I expect to graduate in June 2024 and I am looking for jobs."
    old = page(ann=[Announcement(kind="graduating", text=said), Announcement(kind="on_market", text=said),
                    Announcement(kind="hiring_students", text="We are hiring PhD students.")])
    events = diff_pages(old, page())
    assert [(e.type, e.text, e.data.get("kinds")) for e in events] == [
        ("announcement_removed", said, ["graduating", "on_market"]),
        ("announcement_removed", "We are hiring PhD students.", None)]


@pytest.mark.parametrize("before, after, expected", [
    (("PhD student", "MIT"), ("Postdoc", "Stanford"), [("position and affiliation", "PhD student; MIT", "Postdoc; Stanford")]),
    (("PhD student", "MIT"), ("Postdoc", "MIT"), [("position", "PhD student", "Postdoc")]),
    (("PhD student", "MIT"), ("PhD Student", "MIT."), []),
])
def test_a_move_is_one_profile_change(before, after, expected) -> None:
    old, new = page(), page()
    old.profile.position, old.profile.affiliation = before
    new.profile.position, new.profile.affiliation = after
    assert [(e.field, e.before, e.after) for e in diff_pages(old, new)] == expected


def test_a_papers_copy_has_every_field_and_lists_of_its_own() -> None:
    """``Publication.copy`` (the extractor's copy of each paper it hands out) leaves no field behind, and
    changing the copy's authors or links leaves the original as it was."""
    import dataclasses

    values = {f.name: f"value of {f.name}" for f in dataclasses.fields(Publication)}
    values.update(authors=["Dana Example"], links={"pdf": "http://x/p.pdf"}, year=2024)
    original = Publication(**values)
    copy = original.copy()
    assert dataclasses.asdict(copy) == dataclasses.asdict(original)
    copy.authors.append("Bo Li")
    copy.links["code"] = "http://x/code"
    assert original.authors == ["Dana Example"] and original.links == {"pdf": "http://x/p.pdf"}
