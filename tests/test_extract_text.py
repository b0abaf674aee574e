"""Tests for plain-text extraction: the two real text seeds against their truth, and small pages that
exercise each generic rule (so the rules are shown to work beyond the seeds)."""

from __future__ import annotations

import datetime
import json
import re
import unicodedata
from collections import Counter

import pytest

from monitor.extract import cues
from monitor.extract.text import extract_text, parse_authors, parse_bib_line, parse_date
from monitor.models import Page

from .conftest import SHARED
from .test_cues import DATES, STRICT_HEADINGS

SEEDS = SHARED / "seeds"
TODAY = datetime.date(2026, 11, 23)


def norm(text: str | None) -> str:
    """Casefold, drop punctuation, collapse whitespace: how titles are compared with the truth."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def load_seed(stem: str) -> tuple[str, dict]:
    truth_path = SEEDS / "truth" / f"{stem}.json"
    assert truth_path.exists(), f"{truth_path}: the shared seeds are missing (../shared beside the project root)"
    truth = json.loads(truth_path.read_text())
    return (SEEDS / truth["seed"]).read_text(encoding="utf-8"), truth


def assert_matches_truth(page: Page, truth: dict) -> None:
    """Titled papers match one-to-one by normalised title with equal years; untitled ones by text prefix."""
    t_pubs = truth["publications"]
    titled = [p for p in t_pubs if p.get("title")]
    untitled = [p for p in t_pubs if not p.get("title")]
    got_titled = [p for p in page.publications if p.title]
    got_untitled = [p for p in page.publications if not p.title]

    want = Counter(norm(p["title"]) for p in titled)
    have = Counter(norm(p.title) for p in got_titled)
    assert not want - have, f"missed: {sorted(want - have)}"
    assert not have - want, f"extra: {sorted(have - want)}"
    years = {norm(p["title"]): p["year"] for p in titled}
    wrong = {p.title: (p.year, years[norm(p.title)]) for p in got_titled if p.year != years[norm(p.title)]}
    assert not wrong, f"wrong years (got, want): {wrong}"

    assert len(got_untitled) == len(untitled)
    remaining = list(got_untitled)
    for t in untitled:
        hit = next((g for g in remaining if (g.text or "").startswith(t["text"][:80])), None)
        assert hit is not None, f"no untitled paper starts with {t['text'][:80]!r}"
        assert hit.year == t["year"]
        remaining.remove(hit)


# ---------------------------------------------------------------- the real seeds


def test_seed_001_untitled_abstracts_under_year_headings() -> None:
    text, truth = load_seed("001_c4fe9b630d850d4a")
    page = extract_text(text, today=TODAY)
    assert_matches_truth(page, truth)
    assert page.profile.name == truth["person"]
    assert [p.rule for p in page.publications] == ["text:abstract-under-year"] * 3
    assert [p.section for p in page.publications] == ["2026", "2025", "2023"]
    assert all(p.text and len(p.text) > 300 for p in page.publications)
    assert page.publications[0].text.rstrip().endswith("SafeWeights-ACL")  # the whole paragraph, not a cut
    assert page.news == [] and page.announcements == []


def test_seed_004_aggregator_listing() -> None:
    text, truth = load_seed("004_66f3f37ab8ca50ac")
    page = extract_text(text, today=TODAY)
    assert_matches_truth(page, truth)
    assert page.profile.name == truth["person"]
    assert len(page.publications) == 42  # the header's '42 Papers'; h-index and citations are not papers
    assert {p.rule for p in page.publications} == {"text:listing-record"}
    assert {p.section for p in page.publications} == {"42 Papers"}
    assert all(p.venue is None for p in page.publications)
    assert page.news == [] and page.announcements == []


def test_seed_004_authors_and_code_links() -> None:
    text, _ = load_seed("004_66f3f37ab8ca50ac")
    by_title = {p.title: p for p in extract_text(text, today=TODAY).publications}
    first = by_title["Are More Layers Beneficial to Graph Transformers?"]
    assert first.authors == ["Haiteng Zhao", "Shuming Ma", "Dongdong Zhang"]  # 'et al.' and affiliation dropped
    adapters = by_title["Revisiting the Parameter Efficiency of Adapters from the Perspective of Precision Redundancy"]
    assert adapters.authors == ["Shibo Jie", "Haoqing Wang", "Zhi-Hong Deng"]
    assert adapters.links == {"code": "https://github.com/JieShibo/PETL-ViT"}
    infocl = by_title["Rethinking Minimal Sufficient Representation in Contrastive Learning"]
    assert infocl.links == {"code": "https://github.com/Haoqing-Wang/InfoCL"}  # sentence period not in the URL
    assert by_title["Mixture of Lookup Experts"].links == {}
    assert all(p.authors for p in by_title.values())
    assert not any("·" in a or "et al" in a for p in by_title.values() for a in p.authors)


def test_seed_004_yearless_dates_take_the_year_of_reading() -> None:
    text, _ = load_seed("004_66f3f37ab8ca50ac")
    page = extract_text(text, today=datetime.date(2027, 1, 5))
    by_title = {p.title: p.year for p in page.publications}
    assert by_title["MemTrain: Self-Supervised Context Memory Training"] == 2027
    assert by_title["Mixture of Lookup Experts"] == 2025


def test_every_seed_runs() -> None:
    """Markdown seeds read as text must not crash (a user may set the wrong format)."""
    paths = sorted(SEEDS.glob("*.txt"))
    assert paths, f"{SEEDS}: the shared seeds are missing (../shared beside the project root)"
    for path in paths:
        page = extract_text(path.read_text(encoding="utf-8"), today=TODAY)
        assert isinstance(page, Page), path.name
        assert page.announcements == [], path.name


# ---------------------------------------------------------------- generic pages


LISTING = """\
Ada Q. Example

ML
h-index12
7papers
310citations

3 Papers

XYZApr 3, 2021Code
Learning Sparse Things from Dense Signals

Mira Stone, Tom Reed, Lena Park et al. · some-university

We study how sparse structure can be recovered from dense measurements. Our method combines a convex relaxation \
with a learned prior. Experiments on three benchmarks show consistent gains over strong baselines. \
Code: https://github.com/example/sparse-things

QMar 28
A Second Paper About Graphs

Tom Reed

In this work we propose a graph method that scales to very large inputs. We prove bounds on its error and show \
that it runs in linear time on sparse graphs. Extensive experiments confirm the theory on real data sets.

ABC2019-07-14
Third Paper: Short Title

Lena Park, Mira Stone

This paper revisits a classic problem. We show that a simple baseline, tuned well, matches recent methods.
"""


def test_generic_listing_records() -> None:
    page = extract_text(LISTING, today=datetime.date(2024, 6, 1))
    assert page.profile.name == "Ada Q. Example"
    got = [(p.title, p.year, p.authors) for p in page.publications]
    assert got == [
        ("Learning Sparse Things from Dense Signals", 2021, ["Mira Stone", "Tom Reed", "Lena Park"]),
        ("A Second Paper About Graphs", 2024, ["Tom Reed"]),
        ("Third Paper: Short Title", 2019, ["Lena Park", "Mira Stone"]),
    ]
    assert page.publications[0].links == {"code": "https://github.com/example/sparse-things"}
    assert all(p.rule == "text:listing-record" and p.section == "3 Papers" for p in page.publications)


NUMBERED = """\
Jane Roe
Assistant Professor, Department of Things, Some University

About

I am an assistant professor working on machine learning and its uses in science. My group develops methods \
for learning from small data, and we collaborate widely with biologists and chemists. Before joining the \
university I was a postdoc, and before that I studied mathematics. I enjoy teaching and mentoring students.

Selected Publications

1. J. Roe, A. Smith, and B. Jones. Learning to Count with Few Labels. In Proc. of NeurIPS 2023.
2. Roe J, Lee K. When Do Small Models Generalize? A Study of Scale. ICML 2022.
3. C. Brown and J. Roe, "Robust Estimation under Heavy Tails," IEEE Transactions on Signal Processing, 2021.
4. Roe, J., & Smith, A. (2020). Fast Kernels for Long Sequences. Journal of Machine Learning Research.
5. Graph Sketches for Streaming Data. J. Roe, M. Patel. KDD 2019.

Talks

Learning from Small Data. Invited talk, Some Workshop 2023.
"""


def test_publications_heading_with_numbered_references() -> None:
    page = extract_text(NUMBERED, today=TODAY)
    assert page.profile.name == "Jane Roe"
    got = [(p.title, p.year) for p in page.publications]
    assert got == [
        ("Learning to Count with Few Labels", 2023),
        ("When Do Small Models Generalize? A Study of Scale", 2022),
        ("Robust Estimation under Heavy Tails", 2021),
        ("Fast Kernels for Long Sequences", 2020),
        ("Graph Sketches for Streaming Data", 2019),
    ]
    pubs = page.publications
    assert pubs[0].authors == ["J. Roe", "A. Smith", "B. Jones"]
    assert pubs[0].venue == "In Proc. of NeurIPS 2023"
    assert pubs[1].authors == ["Roe J", "Lee K"] and pubs[1].venue == "ICML 2022"
    assert pubs[2].authors == ["C. Brown", "J. Roe"]
    assert pubs[2].venue == "IEEE Transactions on Signal Processing, 2021"
    assert pubs[3].authors == ["Roe J.", "Smith A."]
    assert pubs[4].authors == ["J. Roe", "M. Patel"] and pubs[4].venue == "KDD 2019"
    assert {p.rule for p in pubs} == {"text:bib-line"}
    assert {p.section for p in pubs} == {"Selected Publications"}


BIO_ONLY = """\
John Q. Public

Home | Research | Contact

About Me

I am a fifth-year PhD student in computer science at a large public university, advised by two wonderful \
professors. My research focuses on efficient inference for language models, and I am broadly interested in \
systems for machine learning. Previously, I interned at two industry labs, where we built serving systems. \
In 2021 I received my bachelor's degree in mathematics.

2024

I spent the summer of 2024 visiting a lab abroad, where I learned a great deal about hardware design and met \
many collaborators. It was a wonderful experience, and I am grateful to everyone who hosted me there. I also \
took a long hike through the mountains and read many books about the history of computing and mathematics.

Contact

Email: john at example dot edu. Office: Building 1, Room 23.
"""


def test_bio_paragraphs_are_not_papers() -> None:
    page = extract_text(BIO_ONLY, today=TODAY)
    assert page.publications == []
    assert page.news == []
    assert page.profile.name == "John Q. Public"


ABSTRACTS = """\
Research

2022

We present a method for aligning two point clouds without correspondences. Our approach casts the problem as \
optimal transport and solves it with a fast iterative scheme. Experiments on synthetic and real scans show that \
the method is both faster and more accurate than iterative closest point, especially under heavy noise.

In this paper we study the sample complexity of learning halfspaces with label noise. We give a simple \
algorithm whose error matches the known lower bound up to logarithmic factors. We also show that no \
polynomial-time method can do better under standard hardness assumptions, and we close with open problems.

2020

Learning Compact Codes for Retrieval
We propose a hashing method that learns compact binary codes for fast retrieval. Our codes preserve the \
neighbourhood structure of the data and can be trained end to end. On three benchmarks, our method improves \
recall at a fixed code length over prior hashing methods, with no extra cost at query time.
"""


def test_abstracts_under_year_headings() -> None:
    page = extract_text(ABSTRACTS, today=TODAY)
    got = [(p.title, p.year, (p.text or "")[:20], p.rule) for p in page.publications]
    assert got == [
        (None, 2022, "We present a method ", "text:abstract-under-year"),
        (None, 2022, "In this paper we stu", "text:abstract-under-year"),
        ("Learning Compact Codes for Retrieval", 2020, "We propose a hashing", "text:titled-abstract"),
    ]
    assert page.publications[0].section == "2022"


MULTILINE = """\
Publications

Conference Papers

Efficient Attention for Long Documents
Alice Wong, Bob Martin, Carol Diaz
ACL 2024

Socialized Embeddings

Alice Wong, Dan Kim
EMNLP 2021 (Oral)

Journal Articles

Alice Wong, Erin Cole, Frank Li
A Survey of Sequence Models
Transactions on Machine Learning Research 2023

Invited Talks

Efficient Attention for Long Documents
Some University Seminar, 2024
"""


def test_title_author_venue_entries() -> None:
    page = extract_text(MULTILINE, today=TODAY)
    got = [(p.title, p.authors, p.venue, p.year, p.section) for p in page.publications]
    assert got == [
        ("Efficient Attention for Long Documents", ["Alice Wong", "Bob Martin", "Carol Diaz"], "ACL 2024", 2024,
         "Conference Papers"),
        ("Socialized Embeddings", ["Alice Wong", "Dan Kim"], "EMNLP 2021 (Oral)", 2021, "Conference Papers"),
        ("A Survey of Sequence Models", ["Alice Wong", "Erin Cole", "Frank Li"],
         "Transactions on Machine Learning Research 2023", 2023, "Journal Articles"),
    ]
    assert {p.rule for p in page.publications} == {"text:title-authors"}


NEWS = """\
Kim Lee
PhD student

News

2024-05: Our paper on sparse attention was accepted to ICML 2024.
May 2024 - Gave a talk at the Example Seminar.
[2024/03] Started an internship at a research lab.
- Sep. 5th, 2023: Released the code for our new toolkit at https://example.org/toolkit.
(2023.01) Passed my qualifying exam.
2022: Joined the lab as a first-year student.

Publications

K. Lee, M. Park. Sparse Attention at Scale. ICML 2024.
"""


def test_news_section_with_dated_lines() -> None:
    page = extract_text(NEWS, today=TODAY)
    got = [(n.date, n.parsed_date, n.text) for n in page.news]
    assert got == [
        ("2024-05", "2024-05", "Our paper on sparse attention was accepted to ICML 2024."),
        ("May 2024", "2024-05", "Gave a talk at the Example Seminar."),
        ("2024/03", "2024-03", "Started an internship at a research lab."),
        ("Sep. 5th, 2023", "2023-09-05", "Released the code for our new toolkit at https://example.org/toolkit."),
        ("2023.01", "2023-01", "Passed my qualifying exam."),
        ("2022", "2022", "Joined the lab as a first-year student."),
    ]
    assert page.news[3].links == ["https://example.org/toolkit"]
    assert [(p.title, p.year) for p in page.publications] == [("Sparse Attention at Scale", 2024)]
    assert page.profile.name == "Kim Lee"


NEWS_BY_YEAR = """\
Updates

2023
Jun 2: Moved to a new city.
Mar: Defended my thesis,
which took five years.

Teaching

Fall 2022: Intro to Programming
"""


def test_news_under_year_subheadings_and_wrapped_items() -> None:
    page = extract_text(NEWS_BY_YEAR, today=TODAY)
    assert [(n.date, n.parsed_date, n.text) for n in page.news] == [
        ("Jun 2", "2023-06-02", "Moved to a new city."),
        ("Mar", "2023-03", "Defended my thesis, which took five years."),
    ]
    assert page.publications == []


def test_hard_wrapped_reference_outside_a_named_section() -> None:
    text = ("Pat Doe\n\n"
            "P. Doe, Q. Xu, and R. Yang. Counting Objects in Crowded\n"
            "Scenes with Weak Labels. In Proceedings of CVPR, 2022.\n")
    page = extract_text(text, today=TODAY)
    assert [(p.title, p.year, p.authors) for p in page.publications] == [
        ("Counting Objects in Crowded Scenes with Weak Labels", 2022, ["P. Doe", "Q. Xu", "R. Yang"]),
    ]


def test_short_title_ending_in_a_section_word_is_not_a_heading() -> None:
    text = "Publications\n\nDetecting Fake News\nAna Ruiz, Ben Ode\nWWW 2020\n"
    page = extract_text(text, today=TODAY)
    assert [(p.title, p.year) for p in page.publications] == [("Detecting Fake News", 2020)]
    assert page.news == []


def test_empty_and_blank_pages() -> None:
    for text in ("", "\n\n   \n", "Hello"):
        page = extract_text(text, today=TODAY)
        assert page.publications == [] and page.news == []


BADGES = """\
Lee Ann (李安) - Homepage

Home

About Me

News

Publications

Lee Ann

I am a researcher working on speech. We build fast models.

🔥 News

2024.05: 🎉 Our paper on fast speech is accepted by ICML 2024!
2023.09: Released a toolkit.

📝 Publications

🎙 Speech Synthesis

NeurIPS 2019

Fast Things: Quick and Robust Speech Synthesis

Lee Ann, Bo Chen*, Cy Diaz

Project

Fast Things is the first fully parallel model of its kind.

ICLR 2021

Slow Things Done Right with Careful Alignment

Bo Chen, Lee Ann

Project | Code

ICLR 2023 Bag of Tricks for Unsupervised Speech, Lee Ann, Bo Chen, Dan Evans | Project

AAAI 2022 Parallel and High-Fidelity Text-to-Lip Generation, Bo Chen, Lee Ann

[NeurIPS 2024] Make Learning Stronger via Flat Minima, Dan Evans, Lee Ann. [code] (to be updated)

Work in Progress A Study on Activation Functions in Transformers, Lee Ann, Eve Fox

🎖 Honors and Awards

2021 National Scholarship, Ministry of Education
"""


def test_badge_style_homepage() -> None:
    """Venue badge above the title, title, authors, each in its own paragraph; then one-line entries
    written 'VENUE Title, Author, Author'. The news list uses emoji-prefixed headings."""
    page = extract_text(BADGES, today=TODAY)
    assert page.profile.name == "Lee Ann"
    got = [(p.title, p.venue, p.year, p.rule) for p in page.publications]
    assert got == [
        ("Fast Things: Quick and Robust Speech Synthesis", "NeurIPS 2019", 2019, "text:title-authors"),
        ("Slow Things Done Right with Careful Alignment", "ICLR 2021", 2021, "text:title-authors"),
        ("Bag of Tricks for Unsupervised Speech", "ICLR 2023", 2023, "text:bib-line"),
        ("Parallel and High-Fidelity Text-to-Lip Generation", "AAAI 2022", 2022, "text:bib-line"),
        ("Make Learning Stronger via Flat Minima", "NeurIPS 2024", 2024, "text:bib-line"),
        ("A Study on Activation Functions in Transformers", "Work in Progress", None, "text:bib-line"),
    ]
    assert page.publications[0].authors == ["Lee Ann", "Bo Chen*", "Cy Diaz"]
    assert page.publications[2].authors == ["Lee Ann", "Bo Chen", "Dan Evans"]
    assert page.publications[4].authors == ["Dan Evans", "Lee Ann"]
    assert {p.section for p in page.publications} == {"Speech Synthesis"}
    assert [(n.date, n.parsed_date) for n in page.news] == [("2024.05", "2024-05"), ("2023.09", "2023-09")]


AUTHORS_FIRST = """\
Featured Publications

Ann Lee, Bo Chen, Cy Diaz
January, 2024 International Conference on Learning Representations (ICLR)

Sudden Drops in the Loss: A Study of Training Phases

Most analyses of models focus on the end of training. We present a case study of how structure emerges \
during training and show that it appears abruptly, together with a drop in the loss. We then test its \
causal role by suppressing it and find that it is necessary for later gains in accuracy on several tasks.

Cite URL

Bo Chen, Ann Lee
November, 2023 arXiv preprint

First Things First: Lessons from an Earlier Era of Models

Cite URL
"""


def test_authors_then_venue_then_title() -> None:
    page = extract_text(AUTHORS_FIRST, today=TODAY)
    got = [(p.title, p.year, p.authors) for p in page.publications]
    assert got == [
        ("Sudden Drops in the Loss: A Study of Training Phases", 2024, ["Ann Lee", "Bo Chen", "Cy Diaz"]),
        ("First Things First: Lessons from an Earlier Era of Models", 2023, ["Bo Chen", "Ann Lee"]),
    ]
    assert page.publications[1].venue == "November, 2023 arXiv preprint"


def test_title_wrapped_over_two_lines_and_undated_venue_line() -> None:
    text = ("Publications\n\n"
            "Probing the Safety Boundary of Language Models via\n"
            "Unsafe Decoding Path Generation\n"
            "Ann Lee, Bo Chen, Cy Diaz\n"
            "Under Review\n\n"
            "Globally convergent Newton methods in nonsmooth optimization\n"
            "P. D. Khanh, B. S. Mordukhovich, and D. B. Tran\n"
            "Mathematical Programming, 2024, [Paper]\n")
    page = extract_text(text, today=TODAY)
    got = [(p.title, p.venue, p.year) for p in page.publications]
    assert got == [
        ("Probing the Safety Boundary of Language Models via Unsafe Decoding Path Generation", "Under Review", None),
        ("Globally convergent Newton methods in nonsmooth optimization", "Mathematical Programming, 2024", 2024),
    ]
    assert page.publications[1].authors == ["P. D. Khanh", "B. S. Mordukhovich", "D. B. Tran"]


def test_titles_with_link_rows_and_no_authors() -> None:
    text = ("Selected Recent Work\n\n"
            "Token Statistics Transformer: Linear-Time Attention\n\nICLR 2025 (Spotlight)\n\nPaper | Code\n\n"
            "On the Edge of Memorization in Diffusion Models\n\nPaper | Code\n\n"
            "A Textbook Nobody Links To\n\nWebsite | GitHub\n")
    page = extract_text(text, today=TODAY)
    got = [(p.title, p.venue, p.year, p.rule) for p in page.publications]
    assert got == [
        ("Token Statistics Transformer: Linear-Time Attention", "ICLR 2025 (Spotlight)", 2025, "text:title-links"),
        ("On the Edge of Memorization in Diffusion Models", None, None, "text:title-links"),
    ]


def test_duplicate_listing_is_one_paper() -> None:
    text = ("Selected Publications\n\n"
            "Learning to Count\nAnn Lee, Bo Chen\nNeurIPS 2023\n\n"
            "All Publications\n\n"
            "Learning to Count\nAnn Lee, Bo Chen\nNeurIPS 2023\n\n"
            "Learning to Sort\nBo Chen, Ann Lee\nICML 2022\n")
    page = extract_text(text, today=TODAY)
    assert [p.title for p in page.publications] == ["Learning to Count", "Learning to Sort"]


def test_highlights_without_dates_are_not_news_and_seasons_are_dates() -> None:
    text = ("Research Highlights\n\n"
            "Agents that write code and use tools\n\n"
            "Pragmatic language understanding\n\n"
            "News\n\n"
            "Spring 2023: Invited talks at two universities.\n"
            "Dec 2022: Gave a talk at a workshop.\n\n"
            "Highlights Publications Talks Misc\n\n"
            "Ann Lee, Bo Chen. A Paper Under a Navigation Bar. ICML 2021.\n")
    page = extract_text(text, today=TODAY)
    assert [(n.date, n.parsed_date) for n in page.news] == [("Spring 2023", "2023"), ("Dec 2022", "2022-12")]
    # a navigation bar naming several sections is not a section heading: it ends the news, and the
    # reference under it is still found
    assert [p.title for p in page.publications] == ["A Paper Under a Navigation Bar"]


@pytest.mark.parametrize(
    ("first_line", "name"),
    [
        ("Lee Ann (李安) - Homepage", "Lee Ann"),
        ("About Me - Druv Example", "Druv Example"),
        ("Bo Chen / Personal Website", "Bo Chen"),
        ("Publications", None),
        ("Welcome to my homepage!", None),
    ],
)
def test_profile_name_from_the_first_line(first_line: str, name: str | None) -> None:
    assert extract_text(first_line + "\n\nSome text follows here.\n", today=TODAY).profile.name == name


# ---------------------------------------------------------------- the line readers


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2024-05", "2024-05"),
        ("2024-05-03", "2024-05-03"),
        ("2024/5", "2024-05"),
        ("May 2024", "2024-05"),
        ("Sept. 2023", "2023-09"),
        ("Mar 1, 2023", "2023-03-01"),
        ("3 March 2023", "2023-03-03"),
        ("05/2021", "2021-05"),
        ("2019", "2019"),
        ("Jun 2", None),
        ("2024-13", "2024"),  # no month 13: the year alone, as the shared reader takes it
    ],
)
def test_parse_date(written: str, iso: str | None) -> None:
    assert parse_date(written) == iso


def test_parse_date_with_default_year() -> None:
    assert parse_date("Jun 2", 2026) == "2026-06-02"


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("Mira Stone, Tom Reed, Lena Park et al. · some-lab", ["Mira Stone", "Tom Reed", "Lena Park"]),
        ("A. Smith, B. Jones and C. de la Cruz", ["A. Smith", "B. Jones", "C. de la Cruz"]),
        ("Smith, J., Doe, A.", ["Smith J.", "Doe A."]),
        ("Learning, Reasoning, and Planning", None),
        ("Towards Robust Models, Without Labels", None),
        ("I am a student, and I like music", None),
    ],
)
def test_parse_authors(line: str, names: list[str] | None) -> None:
    assert parse_authors(line) == names


def test_parse_bib_line_rejects_prose() -> None:
    assert parse_bib_line("I am a PhD student. I work on vision. I like hiking in 2024.") is None


@pytest.mark.parametrize(("line", "kind"), STRICT_HEADINGS)
def test_headings_read_as_the_shared_vocabulary_says(line: str, kind: str | None) -> None:
    """The text reader's headings are the shared vocabulary's whole section phrases (strict mode)."""
    page = extract_text(line + "\n\nSome text follows here.\n", today=TODAY)
    read = [e["kind"] for e in page.explain]
    assert read == ([{"publications": "pubs"}.get(kind, kind)] if kind else [])
    assert cues.heading_kind(line, head_noun=False) == kind


@pytest.mark.parametrize(("written", "default_year", "iso"), DATES)
def test_dates_read_as_the_shared_vocabulary_says(written: str, default_year: int | None, iso: str | None) -> None:
    """A date on its own reads the same in plain text as in the HTML path (cues.parse_date)."""
    assert parse_date(written, default_year) == iso
    assert cues.parse_date(written, default_year=default_year) == iso
