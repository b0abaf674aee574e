"""No floods, nothing old announced as new, and failures a user can see.

Pages come from a real HTTP server on 127.0.0.1, alerts go to a real webhook endpoint on 127.0.0.1,
and the state is a real SQLite file, driven through the `monitor` command.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main
from monitor.health import Health, after_check
from monitor.models import FailingAfter
from monitor.store import Store

from .conftest import PAGES, free_port
from .test_daemon import receiver  # noqa: F401 (fixture: a webhook endpoint on 127.0.0.1)

V1 = (PAGES / "v1.html").read_text()
ERROR_PAGE = (PAGES / "error200.html").read_bytes()
ADDED = {"paper_added", "news_added"}


def write_config(tmp: Path, sources: list[tuple[str, str]], *, hook: str | None = None, extra: str = "") -> Path:
    lines = ["defaults:", "  failing_after: 3"] if not extra else ["defaults:", extra]
    lines += ["sources:"] + [f"  - name: {n}\n    url: {u}" for n, u in sources]
    if hook:
        lines += ["channels:", "  hook:", "    type: webhook", f"    url: {hook}", "    max_attempts: 1"]
    path = tmp / "sources.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(config: Path, db: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)


def events(db: Path) -> list[tuple[str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT type, COALESCE(title, text) FROM events ORDER BY id").fetchall()


def outcome(output: str, name: str) -> str:
    """The outcome column of ``name``'s row in the run table."""
    return next(line.split()[1] for line in output.splitlines() if line.split()[:1] == [name])


def posted(receiver) -> list[str]:  # noqa: F811
    return [e["type"] for _, body in receiver.posts for e in body["events"]]


def news_page(items: list[str]) -> str:
    """v1 with these news items instead of its own."""
    lis = "".join(f"<li><b>{item.split(': ', 1)[0]}</b>: {item.split(': ', 1)[1]}</li>" for item in items)
    start, end = V1.index("<h2>News</h2>"), V1.index("<h2>Publications</h2>")
    return V1[:start] + f"<h2>News</h2>\n<ul>{lis}</ul>\n" + V1[end:]


# ---------------------------------------------------------------- 1. no floods, nothing old as new

def test_an_error_page_for_two_checks_then_the_real_page_announces_nothing(tmp_path, page_server, receiver):  # noqa: F811
    page_server.set("/d/", V1)
    config = write_config(tmp_path, [("Dana", page_server.url("/d/"))], hook=receiver.url())
    db = tmp_path / "monitor.db"
    assert cli(config, db, "run", "--once").exit_code == 0
    page_server.set("/d/", ERROR_PAGE)  # a GitHub Pages 404 served with status 200
    for _ in range(2):
        run = cli(config, db, "run", "--once")
        assert outcome(run.output, "Dana") == "failed"
        assert "Dana: looks like an error page ('404 - Page not found" in run.output
    page_server.set("/d/", V1)
    back = cli(config, db, "run", "--once")
    assert back.exit_code == 0 and "No new changes." in back.output
    assert events(db) == []  # no removals while it was down, no "17 new papers" when it came back
    assert receiver.posts == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM items WHERE present = 1").fetchone()[0] == 6  # 3 papers, 2 news, 1 ann.


def test_a_page_that_lost_nearly_everything_stays_an_outage_then_only_what_is_new_is_reported(tmp_path, page_server):
    page_server.set("/d/", V1)
    config = write_config(tmp_path, [("Dana", page_server.url("/d/"))])
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.set("/d/", "<html><body><h1>Dana Example</h1><p>Under construction.</p></body></html>")
    for _ in range(5):
        cli(config, db, "run", "--once")
    assert [t for t, _ in events(db)] == ["source_failing"]  # never a list of removals
    page_server.set("/d/", (PAGES / "v2.html").read_bytes())  # back, with one paper really new
    cli(config, db, "run", "--once")
    got = [(t, x) for t, x in events(db) if t != "source_failing"]
    assert ("paper_added", "Mixture of Depths for Tiny Models") in got
    assert [t for t, _ in got if t in ADDED] == ["paper_added"]
    assert "source_recovered" in [t for t, _ in got]


def test_a_page_reverted_to_an_older_version_does_not_announce_its_old_items(tmp_path, page_server, receiver):  # noqa: F811
    old = ["2023.05: I joined the Example Lab as a Ph.D. student.", "2023.09: Our workshop paper won a best paper award."]
    new = ["2025.03: Our paper on sparse attention was accepted to ICML 2025.",
           "2024.11: I gave a talk at the Example Lab seminar."]
    page_server.set("/d/", news_page(old))
    config = write_config(tmp_path, [("Dana", page_server.url("/d/"))], hook=receiver.url())
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.set("/d/", news_page(new))  # the old news rotated out
    cli(config, db, "run", "--once")
    assert sorted(t for t, _ in events(db) if t in ADDED) == ["news_added", "news_added"]
    page_server.set("/d/", news_page(old))  # a deploy of an old branch: two-year-old news again
    run = cli(config, db, "run", "--once")
    assert "No new changes." in run.output
    assert sorted(t for t, _ in events(db) if t in ADDED) == ["news_added", "news_added"]  # none added
    page_server.set("/d/", news_page(new + ["2025.06: A brand new item about our ACL 2025 paper."]))
    cli(config, db, "run", "--once")
    added = [x for t, x in events(db) if t == "news_added"]
    assert len(added) == 3 and "brand new item" in added[-1]
    assert posted(receiver).count("news_added") == 3


# ---------------------------------------------------------------- 2. failures a user can see

def test_a_source_failing_for_good_is_announced_once_and_its_recovery_too(tmp_path, page_server, receiver):  # noqa: F811
    page_server.set("/ok/", V1)
    page_server.set("/gone/", V1)
    config = write_config(tmp_path, [("Gone", page_server.url("/gone/")), ("Ok", page_server.url("/ok/"))],
                          hook=receiver.url())
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.routes.pop("/gone/")  # 404 from now on
    for i in range(4):
        run = cli(config, db, "run", "--once")
        assert run.exit_code == 0  # the other source worked
        assert ("Gone:\n  - source failing since" in run.output) == (i == 2), run.output
    assert posted(receiver) == ["source_failing"]
    listing = cli(config, db, "sources").output
    gone = next(line for line in listing.splitlines() if line.startswith("Gone"))
    assert "failed" in gone and "(4 checks)" in gone and "never" not in gone
    header = listing.splitlines()[0]
    assert "last success" in header and "failing since" in header
    ok = next(line for line in listing.splitlines() if line.startswith("Ok "))
    assert ok.count(" - ") >= 1  # not failing
    diff = json.loads(cli(config, db, "diff", "--since", "1d", "--json").output)
    failing = [e for e in diff if e["type"] == "source_failing"]
    assert len(failing) == 1 and failing[0]["text"] == "HTTP 404" and failing[0]["failures"] == 3 and failing[0]["alert"]
    with sqlite3.connect(db) as conn:
        first_failure = conn.execute("SELECT MIN(c.started_at) FROM checks c JOIN sources s ON s.id = c.source_id"
                                     " WHERE s.name = 'Gone' AND c.outcome = 'failed'").fetchone()[0]
    assert failing[0]["failing_since"] == first_failure
    assert "Gone:\n  - source failing since" in cli(config, db, "diff").output  # after its newest snapshot

    page_server.set("/gone/", V1)
    run = cli(config, db, "run", "--once")
    assert "Gone:\n  - source working again after 4 failed checks since" in run.output
    assert posted(receiver) == ["source_failing", "source_recovered"]
    gone = next(line for line in cli(config, db, "sources").output.splitlines() if line.startswith("Gone"))
    assert "(4 checks)" not in gone


def test_run_once_exits_1_when_every_source_failed_and_prints_a_cron_report(tmp_path, page_server):
    dead = f"http://127.0.0.1:{free_port()}/"
    page_server.set("/broken/", b"oops", status=500)
    config = write_config(tmp_path, [("Broken", page_server.url("/broken/")), ("Dead", dead)])
    db = tmp_path / "monitor.db"
    run = cli(config, db, "run", "--once")
    assert run.exit_code == 1
    assert run.output.startswith("monitor run --once at 20") and " UTC " in run.output.splitlines()[0]
    assert "2 checked, 2 failed" in run.output and "Broken: HTTP 500" in run.output

    page_server.set("/fine/", V1)
    config = write_config(tmp_path, [("Broken", page_server.url("/broken/")), ("Fine", page_server.url("/fine/"))])
    cli(config, db, "run", "--once")
    page_server.set("/fine/", (PAGES / "v2.html").read_bytes())
    run = cli(config, db, "run", "--once")
    assert run.exit_code == 0
    assert "\nChanges:\nBroken:\n  - source failing since " in run.output  # its third failure in a row
    assert "\nFine:\n  - new paper 'Mixture of Depths for Tiny Models' (Preprint)" in run.output
    assert "'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)" in run.output


def test_the_threshold_can_be_a_duration(tmp_path):
    day = FailingAfter(checks=None, seconds=86400)
    state, event = after_check(Health(), failed=True, at="2025-06-01T00:00:00+00:00", error="HTTP 404",
                               threshold=day)
    for at in ("2025-06-01T12:00:00+00:00", "2025-06-01T23:59:00+00:00"):
        state, event = after_check(state, failed=True, at=at, error="HTTP 404", threshold=day)
        assert event is None
    state, event = after_check(state, failed=True, at="2025-06-02T00:00:00+00:00", error="HTTP 404", threshold=day)
    assert event is not None and event.type == "source_failing" and event.data["failures"] == 4
    state, again = after_check(state, failed=True, at="2025-06-03T00:00:00+00:00", error="HTTP 404", threshold=day)
    assert again is None and state.alerted
    state, back = after_check(state, failed=False, at="2025-06-04T00:00:00+00:00", error=None, threshold=day)
    assert back is not None and back.type == "source_recovered" and state == Health("2025-06-04T00:00:00+00:00")
    config = tmp_path / "sources.yaml"
    config.write_text("sources:\n  - name: A\n    url: http://127.0.0.1:9/\n    failing_after: sometimes\n")
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(tmp_path / "m.db"), "sources"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: " + str(config) + ": source 'A': bad failing_after 'sometimes'"
                                     " (a number of checks such as 3, or a duration such as 1d)")
    assert not (tmp_path / "m.db").exists()


def test_an_old_database_is_migrated_with_its_health_and_deliveries_intact(tmp_path):
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    from monitor.store import migrations

    for version, _, sql in migrations():
        if version <= 2:
            conn.executescript(sql)
    conn.executescript("""
        INSERT INTO sources (id, name, url, created_at) VALUES (1, 'A', 'http://x/', '2025-01-01T00:00:00+00:00');
        INSERT INTO snapshots (id, source_id, taken_at, content_hash, state, page, body)
            VALUES (1, 1, '2025-01-01T00:00:00+00:00', 'h', 'accepted', '{}', x'');
        INSERT INTO checks (source_id, started_at, duration, outcome) VALUES
            (1, '2025-01-01T00:00:00+00:00', 1, 'new'), (1, '2025-01-02T00:00:00+00:00', 1, 'failed'),
            (1, '2025-01-03T00:00:00+00:00', 1, 'failed');
        INSERT INTO events (id, source_id, snapshot_id, type, key, detected_at, alert)
            VALUES (7, 1, 1, 'paper_added', 'k', '2025-01-01T00:00:00+00:00', 1);
        INSERT INTO deliveries (id, channel, kind, schedule, next_attempt_at, created_at)
            VALUES ('d1', 'hook', 'immediate', 'immediate', '2025-01-01', '2025-01-01');
        INSERT INTO delivery_events VALUES ('d1', 7);
        PRAGMA user_version = 2;
    """)
    conn.close()
    store = Store(db)
    health = store.health(1)
    assert (health["last_success_at"], health["failing_since"], health["failures"]) == \
        ("2025-01-01T00:00:00+00:00", "2025-01-02T00:00:00+00:00", 2)
    assert store.db.execute("SELECT event_id FROM delivery_events").fetchall() == [(7,)]
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_returning_items_in_the_pure_diff():
    from monitor.diff import Gone, diff_pages, drop_returning, is_revert, item_keys, returning_key
    from monitor.models import NewsItem, Page

    def page(*news: tuple[str, str]) -> Page:
        return Page(news=[NewsItem(date=d, text=t) for d, t in news])

    tpami = "One paper accepted to T-PAMI."
    before = page(("Sep. 2024", tpami), ("Apr. 2024", tpami))
    after = page(("Jul. 2025", tpami), ("Sep. 2024", tpami), ("Apr. 2024", tpami))
    [added] = diff_pages(before, after)
    assert added.type == "news_added" and added.data["date"] == "Jul. 2025"  # the new one, by its date
    announced = Gone(keys={"news": {returning_key("news", added.key, date="Jul. 2025")}},
                     settled={"news": {returning_key("news", added.key, date="Jul. 2025")}})
    assert drop_returning([added], announced) == []
    assert drop_returning([added], Gone()) == [added]
    first_seen = Gone(keys={"news": {returning_key("news", added.key, date="Jul. 2025")}})
    assert drop_returning([added], first_seen) == [added]  # an edit may list an old item again
    assert drop_returning([added], first_seen, revert=True) == []
    assert is_revert(after, [item_keys(after)]) and not is_revert(after, [item_keys(before)])


def test_a_route_can_carry_the_failure_alerts_alone(tmp_path, page_server, receiver):  # noqa: F811
    page_server.set("/gone/", V1)
    config = write_config(tmp_path, [("Gone", page_server.url("/gone/"))], extra="  failing_after: 1")
    config.write_text(config.read_text() + f"channels:\n  ops:\n    type: webhook\n    url: {receiver.url()}\n"
                      "routes:\n  - channel: ops\n    events: [source_failing, source_recovered]\n")
    db = tmp_path / "monitor.db"
    cli(config, db, "run", "--once")
    page_server.set("/gone/", (PAGES / "v2.html").read_bytes())  # a new paper: not for this route
    cli(config, db, "run", "--once")
    page_server.routes.pop("/gone/")
    cli(config, db, "run", "--once")
    page_server.set("/gone/", (PAGES / "v2.html").read_bytes())
    cli(config, db, "run", "--once")
    assert posted(receiver) == ["source_failing", "source_recovered"]
    assert "paper_added" in [t for t, _ in events(db)]


TITLES = ["Sparse Attention Without Tears", "Retrieval Heads Are All You Need", "Calibrated Models for Science",
          "Graph Kernels on a Budget", "Learning to Parse Receipts", "Federated Tuning of Speech Models",
          "Robust Optimal Transport Revisited", "Protein Folding with Small Data", "Tokenizers Without Borders"]


def papers_page(titles: list[str]) -> str:
    items = "".join(f'<li class="paper"><strong>{t}</strong><br><b>Dana Example</b>, Bo Li<br><em>ACL 2024</em></li>'
                    for t in titles)
    return f"<html><body><h1>Dana Example</h1><h2>Publications</h2><ol>{items}</ol></body></html>"


def test_a_page_that_lost_most_items_is_held_then_believed_and_what_comes_back_is_not_new(tmp_path, page_server):
    full, part = TITLES[:8], TITLES[:3]  # 3 of 8: most of it gone, but not (nearly) all
    page_server.set("/d/", papers_page(full))
    config = write_config(tmp_path, [("Dana", page_server.url("/d/"))])
    db = tmp_path / "monitor.db"
    assert outcome(cli(config, db, "run").output, "Dana") == "new"

    page_server.set("/d/", papers_page(part))  # a broken deploy, say
    assert outcome(cli(config, db, "run").output, "Dana") == "suspect"
    page_server.set("/d/", papers_page(full))  # and fixed: as if nothing had happened
    back = cli(config, db, "run")
    assert "No new changes." in back.output and events(db) == []

    page_server.set("/d/", papers_page(part))  # this time it is meant
    assert outcome(cli(config, db, "run").output, "Dana") == "suspect"
    assert events(db) == []  # held: no removals yet
    assert outcome(cli(config, db, "run").output, "Dana") == "confirmed"
    assert sorted(x for t, x in events(db)) == sorted(full[3:]) and {t for t, _ in events(db)} == {"paper_removed"}

    page_server.set("/d/", papers_page(full + [TITLES[8]]))  # the old list is restored, with one new paper
    again = cli(config, db, "run")
    assert [(t, x) for t, x in events(db) if t == "paper_added"] == [("paper_added", TITLES[8])]
    assert "new paper 'Tokenizers Without Borders'" in again.output
