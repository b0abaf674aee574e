"""A source as a small site: the homepage and the publication and news pages it links to.

Sites are served by real HTTP servers on 127.0.0.1; the monitor runs through its command line on a real
SQLite file. The pure parts (which links are followed, how pages merge) are tested on their own first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.merge import merge_pages, site_hash
from monitor.fetch import Fetcher
from monitor.models import NewsItem, Page, PageState, Publication, held_page
from monitor.site import FOLLOW_MAX, _elsewhere, _names_file, discover, scope
from monitor.sitefetch import read_site, resolve_links, retry_at
from monitor.sources import parse_config
from monitor.store import Store

from .conftest import PageServer, serve_http
from .test_daemon import server, start, wait_until  # noqa: F401 (fixtures: a timed page server, a daemon process)
from .test_daemon import write_config as daemon_config


# ---------------------------------------------------------------- pages

def paper(title: str, venue: str, links: str = "") -> str:
    return f"<li><b>{title}</b><br>Dana Example, Bo Li<br><em>{venue}</em> {links}</li>"


def html(title: str, body: str, nav: str = "", bio: str = "") -> str:
    return (f"<html><head><title>{title}</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<h1>{title}</h1>{bio}{body}</body></html>")


BIO = "<p>I am a PhD student at Example University.</p>"


NAV = ('<li><a href="/">Home</a></li><li><a href="/publications/">Publications</a></li>'
       '<li><a href="news.html">News</a></li>')
HOME = html("Dana Example", "<h2>Selected Publications</h2><ul>"
            + paper("Sparse Attention for Long Documents", "ICML 2025") + "</ul>", NAV, BIO)
PUBS = html("Publications", "<ul>"
            + paper("Sparse Attention for Long Documents", "ICML 2025",
                    '[<a href="papers/sparse.pdf">pdf</a>] [<a href="https://arxiv.org/abs/2501.00001">arXiv</a>]')
            + paper("Calibrated Retrieval for Question Answering", "EMNLP 2023")
            + paper("Tiny Models Think Too", "Preprint") + "</ul>")
NEWS = html("News", "<ul><li><b>2025-05</b>: Our paper on sparse attention was accepted to ICML 2025.</li>"
                    "<li><b>2024-09</b>: I started my PhD at Example University.</li></ul>")
ALL_TITLES = {"Sparse Attention for Long Documents", "Calibrated Retrieval for Question Answering",
              "Tiny Models Think Too"}


def serve_site(pages: PageServer, home: str = HOME, pubs: str = PUBS, news: str = NEWS) -> str:
    pages.set("/", home)
    pages.set("/publications/", pubs)
    pages.set("/news.html", news)
    return pages.url("/")


def write_config(tmp: Path, url: str, extra: str = "", defaults: str = "") -> Path:
    path = tmp / "sources.yaml"
    text = (f"defaults:\n{defaults}" if defaults else "") + f"sources:\n  - name: Dana\n    url: {url}\n" + extra
    path.write_text(text)
    return path


def cli(config: Path, db: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def run(config: Path, db: Path):
    result = cli(config, db, "run")
    assert result.exit_code == 0, result.output
    return result.output


def outcome(output: str) -> str:
    return next(line.split()[1] for line in output.splitlines() if line.split()[:1] == ["Dana"])


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def items(db: Path, kind: str) -> list[str]:
    rows = query(db, f"SELECT data FROM items_with_data WHERE kind = '{kind}' AND present = 1")
    return sorted(json.loads(d)["title" if kind == "paper" else "text"] for (d,) in rows)


def events(db: Path) -> list[tuple[str, str | None]]:
    return query(db, "SELECT type, COALESCE(title, text) FROM events ORDER BY id")


# ---------------------------------------------------------------- which links are followed (pure)

def test_links_named_as_publications_or_news_are_followed_and_nothing_else():
    page = """<html><body>
    <nav><ul><li><a href="/">Home</a></li><li><a href="/publications/">Publications</a></li>
    <li><a href="news.html">News</a></li><li><a href="#bio">Bio</a></li><li><a href="/teaching/">Teaching</a></li>
    <li><a href="/cv.pdf">CV</a></li></ul></nav>
    <a href="https://scholar.google.com/citations?user=x">Publications</a>
    <a href="http://other.example/news/">News</a>
    <ul><li>A Paper. Dana Example. ICML 2024 [<a href="/projects/p1.html">paper</a>] [<a href="/files/p.pdf">pdf</a>]</li></ul>
    <p>The list is <a href="Paper.html">here</a>; <a href="/login?next=/publications/">Publications</a>
    <a href="/index.html#news">News</a> <a href="/private/publications.html?token=abc">all</a>
    <a href="mailto:dana@example.org">Publications</a> <a href="/papers.pdf">Papers</a></p>
    </body></html>"""
    links = discover(page, fmt="html", url="http://127.0.0.1:8000/index.html")
    assert [(link.url, link.kind) for link in links] == [
        ("http://127.0.0.1:8000/publications/", "publications"),  # named by its text and its path
        ("http://127.0.0.1:8000/news.html", "news"),
        ("http://127.0.0.1:8000/Paper.html", "publications"),  # named by its path alone
    ]
    assert links[0].why == "link text 'Publications', path /publications/"
    assert links[2].why == "path /Paper.html"


@pytest.mark.parametrize("href, elsewhere", [
    ("https://example.org/pubs/", False), ("http://www.example.org/", False), ("//example.org/x", False),
    ("HTTPS://WWW.Example.ORG:8443/x", False), ("https://user:pw@example.org/", False),
    ("http://a@b@www.example.org/x", False), ("https://example.org", False), ("http://lab.example.net/", False),
    ("https://other.org/example.org", True), ("http://example.org.evil.com/", True),
    ("https://example.org?x=1", False), ("https://example.org#pubs", False), ("https://example.org?to=a@b", False),
    ("https://other.org?u=https://example.org/", True),
    ("http://", True), ("//", True), ("https://www./", True), ("mailto:dana@example.org", True),
    ("javascript:void(0)", True), ("http:pubs", True), ("HtTp://example.org/", False),
    ("/publications/", False), ("pubs.html", False), ("../news/", False), ("?page=2", False), ("h", False),
])
def test_a_link_to_another_host_or_scheme_is_told_before_it_is_resolved(href, elsewhere):
    """The quick look before resolving: the host between ``//`` and the next ``/``, ``?`` or ``#`` (after any
    ``user@``, before any port, any case, without ``www.``), or another scheme; a relative link stays."""
    assert _elsewhere(href, ("example.org", "lab.example.net")) is elsewhere


@pytest.mark.parametrize("href, named_file", [
    ("paper.pdf", True), ("/files/Slides.PPTX?dl=1#p2", True), ("../cv.pdf", True), ("img/me.jpg", True),
    ("/publications/", False), ("news.html#2024", False), ("pubs.php?y=2024", False), ("Paper", False),
    ("?page=2", False), ("#top", False), ("x.pdf/..", False), ("x.pdf/.", False), ("/v1.2/", False), ("", False),
])
def test_a_link_to_a_file_is_told_before_it_is_resolved(href, named_file):
    """Told from the link as written; the rows a quick look cannot settle (no path of their own, a dot
    segment last) are left to the full check."""
    assert _names_file(href) is named_file


def test_numbers_in_links_name_nothing_and_cost_nothing():
    digits = "164166132562435277123456"  # a status id: a run of digits the heading patterns are slow to refuse
    page = f'<ul><li><a href="/status/{digits}">{digits}</a></li><li><a href="/2024/news/">2024 News</a></li></ul>'
    started = time.monotonic()
    links = discover(page, fmt="html", url="https://dana.example.org/")
    assert time.monotonic() - started < 1.0
    assert [(link.url, link.why) for link in links] == [("https://dana.example.org/2024/news/",
                                                         "link text '2024 News', path /2024/news/")]


def test_at_most_follow_max_pages_are_followed_the_best_named_first():
    nav = "".join(f'<li><a href="/p{i}.html">Papers {i}</a></li>' for i in range(6))
    page = f'<html><body><ul>{nav}</ul><p><a href="/news/">more</a></p></body></html>'
    links = discover(page, fmt="html", url="https://dana.example.org/")
    assert len(links) == FOLLOW_MAX
    assert links[0].url == "https://dana.example.org/news/"  # a path that names the page outranks a text


def test_a_homepage_in_a_folder_of_its_own_stays_in_it():
    assert scope("https://uni.example.edu/~dana/index.html") == "/~dana/"
    assert scope("https://uni.example.edu/people/dana/") == "/people/dana/"
    assert scope("https://dana.github.io/about/") == "/"
    page = ('<ul><li><a href="/news/">News</a></li><li><a href="/people/dana/publications.html">Publications</a>'
            '</li><li><a href="https://www.uni.example.edu/people/dana/news.html">News</a></li></ul>')
    links = discover(page, fmt="html", url="http://uni.example.edu/people/dana/")
    assert [link.url for link in links] == ["http://uni.example.edu/people/dana/publications.html",
                                            "https://www.uni.example.edu/people/dana/news.html"]


def test_markdown_and_text_homepages_have_links_too():
    md = "# Dana\n\n- [Publications](publications.md)\n- [Blog](blog.md)\n- [arXiv](https://arxiv.org/a/dana)\n"
    assert [link.url for link in discover(md, fmt="markdown", url="https://dana.example.org/README.md")] == \
        ["https://dana.example.org/publications.md"]
    text = "Dana Example\nPapers: https://dana.example.org/papers.html\nCode: https://dana.example.org/code/\n"
    assert [link.url for link in discover(text, fmt="text", url="https://dana.example.org/index.txt")] == \
        ["https://dana.example.org/papers.html"]


# ---------------------------------------------------------------- merging pages (pure)

def test_a_paper_on_two_pages_is_one_paper_with_the_richer_record():
    home = Page(publications=[Publication(title="Sparse Attention for Long Documents", venue="ICML 2025")],
                news=[NewsItem(date="2025-05", text="Paper accepted to ICML.", parsed_date="2025-05")])
    pubs = Page(publications=[Publication(title="Sparse attention for long documents.", venue="ICML 2025",
                                          authors=["Dana Example"], links={"pdf": "papers/s.pdf"}),
                              Publication(title="Tiny Models Think Too", venue="Preprint")],
                news=[NewsItem(date="May 2025", text="Paper accepted to ICML.", parsed_date="2025-05")])
    merged = merge_pages([("https://d.org/", home), ("https://d.org/publications/", pubs)])
    assert [(p.title, p.authors) for p in merged.page.publications] == [
        ("Sparse attention for long documents.", ["Dana Example"]), ("Tiny Models Think Too", [])]
    assert len(merged.page.news) == 1
    origin = merged.origins[("paper", "sparse attention for long documents")]
    assert origin.chosen == "https://d.org/publications/" and origin.pages == {"https://d.org/",
                                                                               "https://d.org/publications/"}
    assert merged.origins[("paper", "tiny models think too")].pages == {"https://d.org/publications/"}
    alone = merge_pages([("https://d.org/", home)]).page  # one page: the homepage as it is
    assert alone.to_json() == home.to_json()


def test_a_followed_pages_links_resolve_against_it_and_the_site_hash_covers_every_page():
    page = resolve_links(Page(publications=[Publication(title="T", links={"pdf": "papers/t.pdf",
                                                                          "code": "https://github.com/d/t"})]),
                         "https://d.org/publications/")
    assert page.publications[0].links == {"pdf": "https://d.org/publications/papers/t.pdf",
                                          "code": "https://github.com/d/t"}
    assert site_hash([("https://d.org/", "abc")]) == "abc"  # a homepage alone: the hash of its body, as before
    two = site_hash([("https://d.org/", "abc"), ("https://d.org/p/", "def")])
    assert two != site_hash([("https://d.org/", "abc"), ("https://d.org/p/", "deg")])


# ---------------------------------------------------------------- sources.yaml

@pytest.mark.parametrize("entry, message", [
    ("follow: sometimes", "follow: use auto (also read the pages the homepage links to as its publications or news)"
                          " or none (the homepage alone), not 'sometimes'"),
    ("follow: no", "follow: use auto"),
    ("pages: https://d.org/pubs.html\n    follow: none", "give 'pages' (the pages read with the homepage, no links"
                                                         " followed) or 'follow', not both"),
    ("pages: []", "'pages' must be a list of addresses"),
    ("pages: [https://d.org/cv.pdf]", "pages[0]: 'https://d.org/cv.pdf' is not a web page (HTML, Markdown or text)"),
    ("pages: [https://d.org/a.html, https://d.org/a.html]", "pages[1]: 'https://d.org/a.html' is listed twice"),
    ("pages: [https://d.org/]", "pages[0]: 'https://d.org/' is the source's own address"),
    ("pages: [ftp://d.org/a]", "pages[0]: bad URL 'ftp://d.org/a'"),
    ("pages: [" + ", ".join(f"https://d.org/{i}.html" for i in range(11)) + "]", "at most 10 pages per source"),
])
def test_follow_and_pages_are_checked_when_the_file_is_read(entry, message):
    with pytest.raises(ConfigError) as err:
        parse_config(f"sources:\n  - name: Dana\n    url: https://d.org/\n    {entry}\n")
    assert str(err.value).startswith("sources.yaml: source 'Dana': ") and message in str(err.value)


def test_follow_is_auto_by_default():
    config = parse_config("sources:\n  - name: A\n    url: https://a.org/\n  - name: B\n    url: https://b.org/\n"
                          "    follow: none\n  - name: C\n    url: https://c.org/\n    pages: [https://c.org/p/]\n")
    assert [(s.follow, s.pages) for s in config.sources] == [("auto", []), ("none", []),
                                                             ("auto", ["https://c.org/p/"])]


# ---------------------------------------------------------------- whole sites, through the command line

def test_a_site_is_read_whole_merged_and_unchanged_it_is_all_304s(tmp_path, page_server):
    config = write_config(tmp_path, serve_site(page_server))
    db = tmp_path / "m.db"
    first = run(config, db)
    assert outcome(first) == "new"
    assert items(db, "paper") == sorted(ALL_TITLES)  # the paper on both pages is one paper
    assert items(db, "news") == ["I started my PhD at Example University.",
                                 "Our paper on sparse attention was accepted to ICML 2025."]
    kept = json.loads(query(db, "SELECT data FROM items_with_data WHERE key = 'sparse attention for long documents'")[0][0])
    assert kept["links"]["pdf"] == page_server.url("/publications/papers/sparse.pdf")  # the richer record

    shown = cli(config, db, "show", "Dana").output
    assert f"  also reads     {page_server.url('/publications/')} (link text 'Publications', path /publications/):" \
           " 3 papers, 0 news" in shown
    assert [p["role"] for p in json.loads(cli(config, db, "show", "Dana", "--json").output)["pages"]] == \
        ["home", "linked", "linked"]

    second = run(config, db)
    assert outcome(second) == "not_modified"
    for path in ("/", "/publications/", "/news.html"):
        hits = page_server.hits(path)
        assert len(hits) == 2 and "if-none-match" not in hits[0] and hits[1]["if-none-match"].startswith('"')
    assert query(db, "SELECT COUNT(*) FROM snapshots") == [(1,)]
    assert events(db) == []

    page_server.set("/news.html", NEWS.replace("<ul>", "<ul><li><b>2025-07</b>: I gave a talk at ACL 2025.</li>"))
    third = run(config, db)
    assert outcome(third) == "changed" and "I gave a talk at ACL 2025." in third.split("Changes:")[1]
    assert page_server.hits("/")[-1]["if-none-match"]  # the homepage answered 304, the news page did not
    assert events(db) == [("news_added", "I gave a talk at ACL 2025.")]


def test_papers_kept_only_on_a_subpage_are_found_and_their_additions_alerted(tmp_path, page_server):
    page_server.set("/", html("Dana Example", "<h2>About</h2><p>I work on sparse models.</p>",
                              '<li><a href="Paper.html">Research output</a></li>'))
    page_server.set("/Paper.html", PUBS)
    config = write_config(tmp_path, page_server.url("/"))
    db = tmp_path / "m.db"
    assert "Dana    new      200   3" in run(config, db)
    page_server.set("/Paper.html", PUBS.replace("<ul>", "<ul>" + paper("Mixture of Depths for Tiny Models", "ACL 2025")))
    second = run(config, db)
    assert "new paper 'Mixture of Depths for Tiny Models' (ACL 2025)" in second
    assert events(db) == [("paper_added", "Mixture of Depths for Tiny Models")]


def test_a_link_to_another_host_is_never_followed(tmp_path, page_server):
    elsewhere = PageServer()

    class Handler(__import__("http.server").server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            elsewhere.requests.append((self.path, {}))
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PUBS.encode())

    with serve_http(Handler) as port:
        other = f"http://localhost:{port}"
        home = html("Dana Example", "<h2>Publications</h2><ul>" + paper("Sparse Attention for Long Documents",
                                                                        "ICML 2025") + "</ul>",
                    f'<li><a href="{other}/publications/">Publications</a></li>'
                    f'<li><a href="http://127.0.0.1:{port}/news.html">News</a></li>')
        page_server.set("/", home)
        config = write_config(tmp_path, page_server.url("/"))
        db = tmp_path / "m.db"
        run(config, db)
        checked = json.loads(cli(config, db, "check", "Dana", "--json").output)
    assert elsewhere.requests == []  # another host, and the same host on another port: another site
    assert items(db, "paper") == ["Sparse Attention for Long Documents"]
    assert [p["role"] for p in checked["pages"]] == ["home"]


def test_a_page_several_sources_link_is_asked_for_once_a_run(tmp_path, page_server):
    """Two members of a lab whose homepages link the lab's publication list and its news page: one request
    each per run serves both sources (a 404 is an answer too)."""
    nav = '<li><a href="/lab/publications.html">Publications</a></li><li><a href="/lab/news.html">News</a></li>'
    for who in ("dana", "bo"):
        page_server.set(f"/{who}/", html(f"{who.title()} Example", "<h2>About</h2><p>I work on sparse models.</p>",
                                         nav))
    page_server.set("/lab/publications.html", PUBS)
    page_server.set("/lab/news.html", b"", status=404)
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - name: Dana\n    url: {page_server.url('/dana/')}\n"
                      f"  - name: Bo\n    url: {page_server.url('/bo/')}\n")
    db = tmp_path / "m.db"
    run(config, db)
    assert len(page_server.hits("/lab/publications.html")) == len(page_server.hits("/lab/news.html")) == 1
    titles = query(db, "SELECT s.name, COUNT(*) FROM items i JOIN sources s ON s.id = i.source_id"
                       " WHERE i.kind = 'paper' GROUP BY s.name ORDER BY s.name")
    assert titles == [("Bo", 3), ("Dana", 3)]

    for who in ("dana", "bo"):
        page_server.set(f"/{who}/", html(f"{who.title()} Example", "<h2>About</h2><p>I work on sparse models,"
                                         " still.</p>", nav))
    run(config, db)  # both homepages changed, so both ask again: the same conditional request, sent once
    [_, again] = page_server.hits("/lab/publications.html")
    assert again["if-none-match"].startswith('"') and len(page_server.hits("/lab/news.html")) == 2


def test_a_subpage_that_starts_failing_keeps_its_papers_and_is_reported(tmp_path, page_server):
    config = write_config(tmp_path, serve_site(page_server), defaults="  failing_after: 2\n")
    db = tmp_path / "m.db"
    run(config, db)
    page_server.set("/publications/", b"", status=404)
    first = run(config, db)
    assert outcome(first) == "unchanged"
    assert f"Dana: page {page_server.url('/publications/')}: HTTP 404; its last good copy is used" in first
    assert "1 followed page failed" in first
    assert items(db, "paper") == sorted(ALL_TITLES) and events(db) == []  # not "every paper removed"
    assert "HTTP 404" in cli(config, db, "sources").output

    page_server.set("/publications/", html("Not found", "<p>Sorry, this page does not exist.</p>"))
    second = run(config, db)  # an error page served with 200 is a failure too
    assert "source failing since" in second and "page " + page_server.url("/publications/") in second
    assert [t for t, _ in events(db)] == ["source_failing"]
    assert items(db, "paper") == sorted(ALL_TITLES)

    page_server.set("/publications/", PUBS)
    third = run(config, db)
    assert outcome(third) == "not_modified"  # the same page as before the outage: its old ETag matches
    assert [t for t, _ in events(db)] == ["source_failing", "source_recovered"]
    assert query(db, "SELECT outcome FROM checks") == [("new",), ("unchanged",), ("unchanged",), ("not_modified",)]


def test_a_subpage_beyond_the_extraction_budget_fails_alone(tmp_path, page_server):
    config = write_config(tmp_path, serve_site(page_server))
    db = tmp_path / "m.db"
    run(config, db)
    page_server.set("/news.html", "<div>" * 1000 + "deep" + "</div>" * 1000)
    output = run(config, db)
    assert outcome(output) == "unchanged" and "news.html: extraction failed: page nested deeper than" in output
    assert len(items(db, "news")) == 2


def test_a_page_robots_txt_forbids_is_not_read(tmp_path, page_server):
    url = serve_site(page_server)
    page_server.set("/robots.txt", "User-agent: *\nDisallow: /publications/\n", content_type="text/plain")
    config = write_config(tmp_path, url)
    db = tmp_path / "m.db"
    assert outcome(run(config, db)) == "new"
    assert page_server.hits("/publications/") == [] and len(page_server.hits("/news.html")) == 1
    assert items(db, "paper") == ["Sparse Attention for Long Documents"]
    explained = cli(config, db, "check", "Dana", "--explain").output
    assert f"{page_server.url('/publications/')} (link text 'Publications', path /publications/): not read:" \
           " disallowed by robots.txt" in explained
    assert page_server.hits("/publications/") == []


def test_a_link_that_leaves_the_homepage_is_held_for_one_check_then_its_items_go(tmp_path, page_server):
    config = write_config(tmp_path, serve_site(page_server))
    db = tmp_path / "m.db"
    run(config, db)
    page_server.set("/", HOME.replace('<li><a href="news.html">News</a></li>', ""))
    held = run(config, db)
    assert outcome(held) == "suspect"
    assert f"2 items only on {page_server.url('/news.html')} (no longer linked from the homepage): held" in held
    assert len(items(db, "news")) == 2 and events(db) == []
    confirmed = run(config, db)
    assert outcome(confirmed) == "confirmed"
    assert [t for t, _ in events(db)] == ["news_removed", "news_removed"] and items(db, "news") == []
    page_server.set("/", HOME)  # the link is back: its items return, and are not news
    assert outcome(run(config, db)) == "changed"
    assert len(items(db, "news")) == 2 and [t for t, _ in events(db)] == ["news_removed", "news_removed"]


def test_a_page_followed_for_the_first_time_brings_no_alerts_but_a_new_paper_beside_it_does(tmp_path, page_server):
    serve_site(page_server, home=HOME.replace(NAV, ""))  # no links yet: the homepage alone
    config = write_config(tmp_path, page_server.url("/"))
    db = tmp_path / "m.db"
    run(config, db)
    sparse = paper("Sparse Attention for Long Documents", "ICML 2025")
    page_server.set("/", HOME.replace(sparse, sparse + paper("Mixture of Depths for Tiny Models", "ACL 2025")))
    output = run(config, db)
    assert outcome(output) == "changed"
    assert events(db) == [("paper_added", "Mixture of Depths for Tiny Models")]  # not the old papers now in view
    assert len(items(db, "paper")) == 4 and len(items(db, "news")) == 2


def test_follow_none_reads_the_homepage_alone_and_pages_names_the_pages(tmp_path, page_server):
    url = serve_site(page_server)
    page_server.set("/all-papers.html", PUBS)
    db = tmp_path / "m.db"
    run(write_config(tmp_path, url, "    follow: none\n"), db)
    assert page_server.hits("/publications/") == page_server.hits("/news.html") == []
    assert items(db, "paper") == ["Sparse Attention for Long Documents"]

    run(write_config(tmp_path, url, f"    pages: [{page_server.url('/all-papers.html')}]\n"), db)
    assert len(page_server.hits("/all-papers.html")) == 1 and page_server.hits("/publications/") == []
    assert items(db, "paper") == sorted(ALL_TITLES) and events(db) == []  # a page read for the first time
    assert query(db, "SELECT role, why FROM source_pages WHERE role != 'home'") == [("listed", "listed under pages:")]


def test_check_says_which_pages_it_read_and_why(tmp_path, page_server):
    url = serve_site(page_server)
    config = write_config(tmp_path, url)
    db = tmp_path / "m.db"
    explained = cli(config, db, "check", url, "--explain")
    assert explained.exit_code == 0, explained.output
    assert "3 publications" in explained.output and "2 news items" in explained.output
    assert f"  - {url} (the source's address): 1 paper, 0 news items" in explained.output
    assert f"  - {page_server.url('/publications/')} (link text 'Publications', path /publications/): 3 papers," \
           " 0 news items" in explained.output
    assert f"  on {page_server.url('/news.html')}:" in explained.output
    assert f"page: {page_server.url('/publications/')}" in explained.output

    data = json.loads(cli(config, db, "check", "dana", "--json").output)  # by name: the source's settings
    assert [(p["url"], p["role"], p["papers"], p["news"]) for p in data["pages"]] == [
        (url, "home", 1, 0), (page_server.url("/publications/"), "linked", 3, 0),
        (page_server.url("/news.html"), "linked", 0, 2)]
    assert {p["title"] for p in data["publications"]} == ALL_TITLES

    alone = json.loads(cli(config, db, "check", url, "--json", "--no-follow").output)
    assert len(alone["publications"]) == 1 and [p["role"] for p in alone["pages"]] == ["home"]
    assert not db.exists()  # check stores nothing


STORED = Page(publications=[Publication(title="A Stored Paper", authors=["Dana Example"], venue="ICML 2025")])


@pytest.mark.parametrize("given, held, read", [
    (json.dumps(STORED.to_json()), str, STORED),  # the store's JSON: decoded when first read, then held decoded
    (STORED, Page, STORED),
    (None, type(None), None),
])
def test_a_kept_page_is_decoded_only_when_read(given, held, read):
    state = PageState(url="https://x.org/publications/", role="linked", page=given)
    assert isinstance(held_page(state), held)
    assert state.page == read
    assert held_page(state) is state.page  # read once: a Page (or None) from then on
    assert PageState(url="https://x.org/").page is None


def test_an_unchanged_site_passes_its_pages_stored_copies_on_undecoded(tmp_path, page_server):
    config = write_config(tmp_path, serve_site(page_server))
    db = tmp_path / "m.db"
    run(config, db)
    store = Store(db)
    source_id = next(store.rows("SELECT id FROM sources"))["id"]
    source = parse_config(config.read_text(), str(config)).sources[0]
    home, known = store.site_state(source_id)
    assert {key: type(held_page(s)) for key, s in known.items()} == \
        {page_server.url("/publications/"): str, page_server.url("/news.html"): str}

    async def check():
        async with Fetcher(user_agent="monitor-test (mailto:test@example.org)", respect_robots=False) as fetcher:
            site = await read_site(source, fetcher, _no_extraction, home, known)
        # looked at here, as the pipeline does: a repr of the pages (a task's, pytest's) would decode them
        answers = [site.home.status] + [r.result.status if r.result else None for r in site.pages]
        return answers, [type(held_page(r)) for r in site.pages], site

    answers, held, site = asyncio.run(check())
    assert answers == [304, 304, 304]
    assert held == [str, str]  # every page answered 304: none was decoded
    assert {p.title for r in site.pages for p in r.page.publications} == ALL_TITLES  # decoded when asked
    store.close()


async def _no_extraction(job):
    raise AssertionError("an unchanged page is not extracted")


def test_an_upgraded_database_reads_the_same_single_page_as_unchanged(tmp_path, page_server):
    """A database from before sites: its source's snapshot is the homepage's, and nothing is re-announced."""
    page_server.set("/", HOME.replace(NAV, ""))
    config = write_config(tmp_path, page_server.url("/"))
    db = tmp_path / "m.db"
    run(config, db)
    with sqlite3.connect(db) as conn:  # as the schema was before source_pages (and the counts of 0010)
        conn.execute("DROP TABLE source_pages")
        for column in ("papers", "news", "check_count", "event_count"):
            conn.execute(f"ALTER TABLE sources DROP COLUMN {column}")
        conn.execute("PRAGMA user_version = 7")
    Store(db).close()
    assert query(db, "SELECT role, content_hash IS NOT NULL, page IS NOT NULL FROM source_pages") == \
        [("home", 1, 1)]
    assert outcome(run(config, db)) == "unchanged"  # read whole once, to look for its links
    assert outcome(run(config, db)) == "not_modified"
    assert query(db, "SELECT COUNT(*) FROM snapshots") == [(1,)] and events(db) == []


def test_a_homepage_read_alone_keeps_its_extraction_once_in_its_snapshot(tmp_path, page_server):
    serve_site(page_server, home=HOME.replace(NAV, ""))
    config = write_config(tmp_path, page_server.url("/"))
    db = tmp_path / "m.db"
    home = "SELECT page IS NOT NULL FROM source_pages WHERE role = 'home'"
    assert outcome(run(config, db)) == "new"
    assert query(db, home) == [(0,)]  # no copy: the snapshot holds it
    shown = json.loads(cli(config, db, "show", "Dana", "--json").output)
    assert [(p["role"], p["papers"], p["news"]) for p in shown["pages"]] == [("home", 1, 0)]

    page_server.set("/", HOME)  # now it links to its publications and news: merged, from its own extraction
    assert outcome(run(config, db)) == "changed"
    assert query(db, home) == [(1,)] and items(db, "paper") == sorted(ALL_TITLES)
    page_server.set("/publications/", PUBS.replace("Tiny Models Think Too", "Tiny Models Think Twice"))
    assert outcome(run(config, db)) == "changed"  # the homepage answered 304: its kept extraction is merged
    assert items(db, "paper") == sorted(ALL_TITLES - {"Tiny Models Think Too"} | {"Tiny Models Think Twice"})


# ---------------------------------------------------------------- the daemon

def test_the_daemon_reads_the_whole_site_politely(tmp_path, server, start):  # noqa: F811 (fixtures)
    serve_site(server)
    config = daemon_config(tmp_path / "sources.yaml", [("Dana", server.url("/"), "1s")], politeness=0.3)
    db = tmp_path / "m.db"
    daemon = start(config, db)
    assert wait_until(lambda: len(server.hits("/news.html")) >= 2, 15), daemon.text()
    daemon.send(signal.SIGTERM)
    assert daemon.wait(15) == 0
    assert items(db, "paper") == sorted(ALL_TITLES) and len(items(db, "news")) == 2
    assert all(h.get("if-none-match") for h in server.hits("/publications/")[1:])  # the next checks: 304s
    assert 'check source="Dana" outcome=new' in daemon.text() and "outcome=not_modified" in daemon.text()
    site = [t for t, path in server.requests.times if path in ("/", "/publications/", "/news.html")]
    assert min(b - a for a, b in zip(site, site[1:])) >= 0.28  # one site, one host: politeness between requests


@pytest.mark.parametrize("role, failures, page, rests_days", [
    ("linked", 0, None, None),  # never tried: read it now
    ("linked", 1, None, 1), ("linked", 2, None, 2), ("linked", 3, None, 4),
    ("linked", 4, None, 7), ("linked", 500, None, 7),  # doubling, never beyond a week
    ("linked", 3, Page(), None),  # it was read well once: a page that fails is read at every check
    ("listed", 3, None, None),  # sources.yaml names it: asked for at every check
])
def test_a_link_never_read_well_rests_doubling_up_to_a_week(role, failures, page, rests_days):
    when = "2026-01-01T00:00:00+00:00"
    due = retry_at(PageState(url="https://x.org/news/", role=role, failures=failures, page=page, checked_at=when))
    expected = None if rests_days is None else dt.datetime.fromisoformat(when) + dt.timedelta(days=rests_days)
    assert due == expected


def test_a_link_that_never_worked_rests_between_tries_but_a_listed_page_that_fails_is_reported(tmp_path, page_server):
    url = serve_site(page_server, news="")
    del page_server.routes["/news.html"]  # the News link is broken from the start
    config = write_config(tmp_path, url)
    db = tmp_path / "m.db"
    first = run(config, db)
    assert outcome(first) == "new" and "followed page" not in first
    dead = "SELECT failures, status, error FROM source_pages WHERE url LIKE '%news.html'"
    assert query(db, dead) == [(1, 404, "HTTP 404")]
    second = run(config, db)  # the homepage is unchanged: the dead link is not asked again so soon
    assert outcome(second) == "not_modified" and len(page_server.hits("/news.html")) == 1
    assert query(db, dead) == [(1, 404, "HTTP 404")]
    assert f"  also reads     {page_server.url('/news.html')} (link text 'News', path /news.html):" \
           " never read (HTTP 404), 1 try so far" in cli(config, db, "show", "Dana").output
    assert f"{page_server.url('/news.html')} (link text 'News', path /news.html): not read: HTTP 404" in \
        cli(config, db, "check", "Dana", "--explain").output  # a check asked for by hand reads every link

    with sqlite3.connect(db) as conn:  # a day and a bit later, it is due again; the second failure doubles the rest
        conn.execute("UPDATE source_pages SET checked_at = '2000-01-01T00:00:00+00:00' WHERE url LIKE '%news.html'")
    run(config, db)
    assert len(page_server.hits("/news.html")) == 3 and query(db, dead) == [(2, 404, "HTTP 404")]
    run(config, db)
    assert len(page_server.hits("/news.html")) == 3

    page_server.set("/", HOME.replace("at Example University.", "at Example University, in Lisbon."))
    page_server.set("/news.html", NEWS)  # the homepage changed, so the link is tried at once: and now it works
    fourth = run(config, db)
    assert len(page_server.hits("/news.html")) == 4 and outcome(fourth) == "changed"
    assert query(db, dead) == [(0, 200, None)]
    assert events(db) == [("profile_changed", None)]  # what a page read for the first time lists: not news

    del page_server.routes["/news.html"]
    listed = write_config(tmp_path, url, f"    pages: [{page_server.url('/news.html')}]\n")
    third = run(listed, db)
    assert f"Dana: page {page_server.url('/news.html')}: HTTP 404" in third and "1 followed page failed" in third


def test_a_protected_sites_pages_get_its_credentials_and_headers_and_store_none(tmp_path, page_server, monkeypatch):
    url = serve_site(page_server).replace("http://", "http://dana:s3cret@")
    monkeypatch.setenv("DANA_KEY", "k-123")
    config = write_config(tmp_path, url, "    headers_env: {X-Api-Key: DANA_KEY}\n")
    db = tmp_path / "m.db"
    run(config, db)
    for path in ("/", "/publications/", "/news.html"):
        [hit] = page_server.hits(path)
        assert hit["authorization"].startswith("Basic ") and hit["x-api-key"] == "k-123"
    stored = "\n".join(str(row) for row in query(db, "SELECT url, why, links FROM source_pages"))
    assert "s3cret" not in stored and "dana:" not in stored and page_server.url("/publications/") in stored


def test_a_new_address_forgets_the_old_sites_pages(tmp_path, page_server):
    serve_site(page_server)
    page_server.set("/v2/", HOME.replace(NAV, ""))
    db = tmp_path / "m.db"
    run(write_config(tmp_path, page_server.url("/")), db)
    assert len(query(db, "SELECT * FROM source_pages")) == 3
    run(write_config(tmp_path, page_server.url("/v2/")), db)
    assert query(db, "SELECT url, role FROM source_pages") == [(page_server.url("/v2/"), "home")]


@pytest.mark.parametrize("path", ["", "/", "a", "a.b", ".a", "..", "...", "..a", "a..", "/x/.bashrc", "/x/y.tar.gz",
                                  "/p/index.html", "/a.b/c", "a/b.", ".a.b", "x/..b.c", "/....pdf", "/a/.../b.PDF"])
def test_a_path_s_suffix_is_what_posixpath_says(path):
    import posixpath

    from monitor.site import _suffix

    assert _suffix(path) == posixpath.splitext(posixpath.basename(path))[1]
