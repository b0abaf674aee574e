"""Each template family and each trap, on small pages written for the tests (tests/templates)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from monitor.diff import diff_pages
from monitor.extract import extract

from .conftest import PAGES, SHARED

TEMPLATES = Path(__file__).parent / "templates"
TODAY = dt.date(2026, 11, 23)


def read(name: str, **kw):
    path = TEMPLATES / name
    return extract(path.read_text(), url=str(path), today=TODAY, **kw)


def titles(page) -> list[str]:
    return [p.title for p in page.publications]


def test_barron_papertitle_reused_for_awards_is_not_a_paper():
    page = read("barron.html")
    assert titles(page) == ["Neural Fields for Everyone", "Depth from Defocus in the Wild"]
    first = page.publications[0]
    assert first.year == 2024 and "CVPR" in first.venue
    assert first.authors == ["Jane Roe", "John Doe", "Alice Smith"]
    assert first.links["arxiv"] == "https://arxiv.org/abs/2401.00001"
    assert page.announcements == []  # the joining sentence sits in an HTML comment


def test_acad_homepage_paper_box_badges_and_code_venues():
    page = read("acad_homepage.md")
    assert titles(page) == ["FastVoice: Really Fast Speech Synthesis", "Singing Voice Conversion Without Parallel Data",
                            "Music Generation with Diffusion Transformers"]
    assert [p.venue for p in page.publications] == ["ICLR 2025", "NeurIPS 2024", "Preprint"]
    assert [n.date for n in page.news] == ["2025.01", "2024.09"]
    assert page.news[0].text.endswith("Two papers accepted by ICLR 2025.")
    assert [a.kind for a in page.announcements] == ["on_market"]  # not the commented-out hiring line


def test_alfolio_hidden_abstract_and_bibtex_are_parts_of_their_paper():
    page = read("alfolio.html")
    assert titles(page) == ["Convergence of Sharpness-Aware Minimization",
                            "Generalized Newton Methods in Nonsmooth Optimization"]
    sam, newton = page.publications
    assert sam.venue.startswith("Advances in Neural Information Processing Systems") and sam.year == 2024
    assert newton.venue.startswith("Mathematical Programming") and newton.year == 2023  # not the "Journal" badge
    assert [(n.date, n.parsed_date) for n in page.news] == [("Feb 01, 2025", "2025-02-01"), ("Sep 26, 2024", "2024-09-26")]
    assert [a.kind for a in page.announcements] == ["hiring_students"]
    assert page.profile.position == "assistant professor"


def test_hugo_card_and_citation_views():
    page = read("hugo.html")
    assert titles(page) == ["Sudden Drops in the Loss During Training", "Latent State Transitions in Training Dynamics",
                            "Essay on Interpretability"]
    cited = page.publications[1]
    assert cited.year == 2023 and cited.authors == ["Lena Ray", "Kai Moe"] and "arXiv" in cited.venue
    assert "Why Loss Curves Lie To You" not in titles(page)  # a blog post is not a paper


def test_filter_cards_hidden_full_list_and_inherited_dates():
    page = read("cards.html")
    assert titles(page) == ["Robots That Ask For Help", "Hybrid Random Features", "Learning to Fold Garments"]
    assert [n.date for n in page.news] == ["2025", "2025", "2024"]
    assert "Robots in the Real World" not in titles(page)  # a talk in the same card markup


def test_per_source_selectors_override_the_automatic_method():
    page = read("barron.html", selectors={"publications": "td:has(papertitle)"})
    assert "Best Paper Award, CVPR 2024" not in titles(page)
    forced = read("cards.html", selectors={"news": ".talk"})
    assert [n.text for n in forced.news] == ["Robots in the Real World Invited talk, Example Symposium 2024"]


def test_restyled_page_produces_no_event():
    before = read("acad_homepage.md")
    restyled = (TEMPLATES / "acad_homepage.md").read_text().replace("&nbsp;🎉🎉", "🎉").replace(
        "- `NeurIPS 2024`", "- **NeurIPS 2024**")
    after = extract(restyled, url="x.md", today=TODAY)
    assert [e for e in diff_pages(before, after) if e.alert] == []


def test_hand_written_reference_lines():
    page = read("references.html")
    assert titles(page) == ["Learning Graph Structure from Noisy Observations", "Scalable Inference for Hierarchical Models",
                            "Robust Optimization under Distribution Shift", "Causal Discovery with Latent Confounders"]
    kdd, jmlr, neurips, arxiv = page.publications
    assert kdd.authors == ["A. Quinn", "B. Smith", "C. Jones"] and kdd.year == 2025 and "(KDD)" in kdd.venue
    assert kdd.links == {"pdf": "p1.pdf", "code": "https://github.com/aq/graphs"}
    assert jmlr.venue.startswith("Journal of Machine Learning Research") and jmlr.year == 2023
    assert neurips.venue == "NeurIPS 2022 (Spotlight)" and neurips.year == 2022
    assert arxiv.authors == ["A. Quinn"] and arxiv.year == 2024
    assert "Machine Learning (Fall 2024)" not in " ".join(titles(page))  # teaching is not a paper
    assert [n.date for n in page.news] == ["Oct 2025", "Aug 2025"]
    assert [a.kind for a in page.announcements] == ["hiring_students"]


def test_entries_one_per_line_and_cjk_headings():
    page = read("lines.html")
    assert titles(page) == ["Token Pruning for Vision Transformers", "Efficient Video Diffusion via Temporal Caching",
                            "Sparse Mixture of Experts for Speech", "Learning to Compress Prompts",
                            "Quantized Attention Kernels"]
    assert [p.year for p in page.publications] == [2025, 2025, 2024, 2024, 2023]
    assert [n.date for n in page.news] == ["2025.06", "2025.01"]
    assert not any("Reviewer" in t for t in titles(page))


def test_a_css_selection_maps_back_to_the_elements_the_tree_was_built_from():
    """``element_nodes`` walks lexbor's tree as ``parse_html`` does: on every corpus page and test page the
    nodes come in the order of the elements, tag for tag, so a selector's matches find their elements."""
    from selectolax.lexbor import LexborHTMLParser

    from monitor.extract.dom import element_nodes, parse_html

    files = sorted((SHARED / "corpus" / "pages").glob("*.html")) + sorted(PAGES.glob("*.html")) \
        + sorted(TEMPLATES.glob("*.html"))
    assert len(files) > 150
    for f in files:
        html = f.read_text(encoding="utf-8", errors="replace")
        root, _ = parse_html(html)
        nodes = element_nodes(LexborHTMLParser(html))
        assert [n.tag for n in nodes] == [e.tag for e in (root.doc or [root])[1:]], f.name
