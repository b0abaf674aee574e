"""One paper on two watched pages: told once, naming both people, by email, webhook and Apprise.

Dana and Bo are collaborators: their pages (served on 127.0.0.1) list the same papers, so when both
pages add "Mixture of Depths for Tiny Models" and move "Retrieval Heads" to ACL 2025, a digest, a
pass of ``monitor run`` or a held immediate alert says so once, "on the pages of Bo Li and Dana
Example". The mail server is aiosmtpd, the webhook and the Apprise json:// receiver are local.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from monitor.notify import outbox_hook
from monitor.pipeline import check_sources
from monitor.shared import WINDOW, merge, pages_of, same_paper
from monitor.sources import load_config
from monitor.store import Store

from . import chat_services as cs
from .test_notify import (V1, V2, cli, deliveries, dispatch, email_channel, endpoint, mailbox, secrets,  # noqa: F401
                          webhook_channel, write_config)

NEW = "new paper 'Mixture of Depths for Tiny Models' (Preprint)"
VENUE = "'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)"
BOTH = "on the pages of Bo Li and Dana Example"


@pytest.fixture
def pair(page_server) -> list[dict[str, Any]]:
    page_server.set("/dana/", V1)
    page_server.set("/bo/", V1)
    return [{"name": "Dana Example", "url": page_server.url("/dana/")},
            {"name": "Bo Li", "url": page_server.url("/bo/")}]


@pytest.fixture
def chat_json(monkeypatch):
    service = cs.Service("json", cs.CHECKS["json"])
    with cs.serve(service) as port:
        monkeypatch.setenv("LAB_CHAT_URL", f"json://127.0.0.1:{port}/hooks/papers")
        yield service


def channels(box, hook) -> dict[str, Any]:
    return {"inbox": email_channel(box, retry_base=0), "lab-bot": webhook_channel(hook, retry_base=0),
            "lab-chat": {"type": "apprise", "urls_env": "LAB_CHAT_URL", "timeout": 10, "retry_base": 0}}


def both_publish(page_server) -> None:
    page_server.set("/dana/", V2)
    page_server.set("/bo/", V2)


def bodies(box) -> list[tuple[str, str, str]]:
    """(subject, text, html) of each message."""
    return [(m["Subject"], m.get_body(("plain",)).get_content().replace("\r\n", "\n"),
             m.get_body(("html",)).get_content()) for m in box.messages]


def alert_ids(db: Path, source: str, kind: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute(
            "SELECT e.id FROM events e JOIN sources s ON s.id = e.source_id WHERE s.name = ? AND e.type = ?"
            " AND e.alert = 1 ORDER BY e.id", [source, kind])]


def test_a_digest_lists_a_shared_paper_once_naming_both(tmp_path, page_server, pair, mailbox, endpoint, secrets,
                                                       chat_json):
    mailbox.start()
    routes = [{"channel": c, "schedule": "daily 08:00", "timezone": "UTC"} for c in ("inbox", "lab-bot", "lab-chat")]
    config = write_config(tmp_path, pair, channels(mailbox, endpoint), routes)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    both_publish(page_server)
    cli(config, db, "run", "--once")
    rows = deliveries(db)
    assert len(rows) == 3 and {r["kind"] for r in rows} == {"digest"}
    slot = dt.datetime.fromisoformat(rows[0]["slot"])
    assert len(dispatch(config, db, slot + dt.timedelta(minutes=1)).delivered) == 3

    [(subject, text, html)] = bodies(mailbox)
    assert subject == "[scholarwatch] daily digest, 2 researchers: 1 new paper, 1 venue update"
    for part in (text, html):
        assert part.count("Mixture of Depths for Tiny Models") == 1 and part.count("Retrieval Heads") == 1
        assert f"{NEW} — {BOTH}" in part and f"{VENUE} — {BOTH}" in part
    assert "by Dana Example and Frank Moore" in text

    [payload] = endpoint.accepted()
    assert payload["summary"] == "1 new paper, 1 venue update"
    added, updated = sorted(payload["events"], key=lambda e: e["type"])
    assert (added["type"], updated["type"]) == ("paper_added", "paper_updated")
    assert added["source"] == "Bo Li" and added["sources"] == ["Bo Li", "Dana Example"]
    assert sorted(added["ids"]) == sorted(alert_ids(db, "Bo Li", "paper_added") + alert_ids(db, "Dana Example",
                                                                                            "paper_added"))
    assert updated["sources"] == ["Bo Li", "Dana Example"] and len(updated["ids"]) == 2
    assert f"{NEW} — {BOTH}" in payload["text"]

    [message] = chat_json.messages()
    assert message.count("Mixture of Depths for Tiny Models") == 1 and f"{NEW} — {BOTH}" in message


def test_one_pass_of_run_sends_one_immediate_alert_naming_both(tmp_path, page_server, pair, mailbox, endpoint,
                                                               secrets, chat_json):
    mailbox.start()
    config = write_config(tmp_path, pair, channels(mailbox, endpoint))
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    both_publish(page_server)
    cli(config, db, "run", "--once")

    rows = deliveries(db)
    assert sorted(r["channel"] for r in rows) == ["inbox", "lab-bot", "lab-chat"]  # one per channel, not two
    assert {r["state"] for r in rows} == {"delivered"}
    [(subject, text, _)] = bodies(mailbox)
    assert subject == "[scholarwatch] 2 researchers: 1 new paper, 1 venue update"
    assert f"{NEW} — {BOTH}" in text and text.count("Mixture of Depths") == 1
    [payload] = endpoint.accepted()
    assert [e["sources"] for e in payload["events"]] == [["Bo Li", "Dana Example"]] * 2
    assert sorted(s["name"] for s in payload["sources"]) == ["Bo Li", "Dana Example"]
    [message] = chat_json.messages()
    assert f"{NEW} — {BOTH}" in message
    listing = cli(config, db, "notices").output
    assert listing.count("Bo Li,Dana Example") + listing.count("Bo Li, Dana Example") == 3


def test_a_later_alert_names_the_page_that_listed_it_first(tmp_path, page_server, pair, mailbox, endpoint, secrets,
                                                           chat_json):
    """Dana's page is checked and alerted on; Bo's page, checked later, lists the same paper: his alert
    says it is on both pages (not a second 'new paper' out of nowhere)."""
    mailbox.start()
    config = write_config(tmp_path, pair, channels(mailbox, endpoint))
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once", "--source", "Dana Example")
    page_server.set("/bo/", V2)
    cli(config, db, "run", "--once", "--source", "Bo Li")

    first, second = bodies(mailbox)
    assert first[0] == "[scholarwatch] Dana Example: 1 new paper, 1 venue update"
    assert f"{NEW}\n" in first[1] and "on the pages of" not in first[1]
    assert second[0] == "[scholarwatch] Bo Li: 1 new paper, 1 venue update"
    later_both = "on the pages of Dana Example and Bo Li"  # in the order they listed it
    assert f"{NEW} — {later_both}" in second[1] and f"{VENUE} — {later_both}" in second[1]
    assert f"{NEW} — {later_both}" in second[2]

    one, two = endpoint.accepted()
    assert [e["sources"] for e in one["events"]] == [["Dana Example"]] * 2
    added = next(e for e in two["events"] if e["type"] == "paper_added")
    assert added["source"] == "Bo Li" and added["sources"] == ["Dana Example", "Bo Li"]
    assert added["ids"] == alert_ids(db, "Bo Li", "paper_added")  # Bo's own event; Dana's was in the first
    assert f"{NEW} — {later_both}" in chat_json.messages()[1]


def test_a_hold_joins_a_collaborator_checked_minutes_later(tmp_path, page_server, pair, mailbox, endpoint, secrets):
    """With ``hold: 10m``, Dana's alert waits; Bo's page, checked within the hold, joins it: one message."""
    mailbox.start()
    routes = [{"channel": c, "schedule": "immediate", "hold": "10m"} for c in ("inbox", "lab-bot")]
    chans = channels(mailbox, endpoint)
    del chans["lab-chat"]
    path = write_config(tmp_path, pair, chans, routes)
    db = tmp_path / "m.db"
    cli(path, db, "run", "--once")
    config = load_config(path)
    dana, bo = config.sources

    def check(source) -> None:  # one check, as the daemon makes it: no end of a pass releases the hold
        store = Store(db)
        try:
            asyncio.run(check_sources(config, store, [source], outbox=outbox_hook(config)))
        finally:
            store.close()

    page_server.set("/dana/", V2)
    check(dana)
    rows = deliveries(db)
    assert len(rows) == 2 and {r["state"] for r in rows} == {"pending"}
    held = dt.datetime.fromisoformat(rows[0]["next_attempt_at"]) - dt.datetime.fromisoformat(rows[0]["created_at"])
    assert held == dt.timedelta(minutes=10)
    assert dispatch(path, db, later(minutes=1)).delivered == []  # held
    page_server.set("/bo/", V2)
    check(bo)
    assert len(deliveries(db)) == 2  # Bo's events joined Dana's alerts
    assert dispatch(path, db, later(minutes=5)).delivered == []
    assert len(dispatch(path, db, later(minutes=11)).delivered) == 2

    [(subject, text, _)] = bodies(mailbox)
    assert subject == "[scholarwatch] 2 researchers: 1 new paper, 1 venue update"
    assert f"{NEW} — {BOTH}" in text and text.count("Mixture of Depths") == 1
    [payload] = endpoint.accepted()
    assert [e["sources"] for e in payload["events"]] == [["Bo Li", "Dana Example"]] * 2


def test_run_once_sends_held_alerts_at_the_end_of_its_pass(tmp_path, page_server, pair, mailbox, secrets):
    mailbox.start()
    routes = [{"channel": "inbox", "hold": "1h"}]
    config = write_config(tmp_path, pair[:1], {"inbox": email_channel(mailbox)}, routes)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once")
    assert len(mailbox.messages) == 1 and deliveries(db)[0]["state"] == "delivered"


def test_deliver_now_sends_a_held_alert(tmp_path, page_server, pair, endpoint, secrets):
    routes = [{"channel": "lab-bot", "hold": "1h"}]
    path = write_config(tmp_path, pair[:1], {"lab-bot": webhook_channel(endpoint)}, routes)
    db = tmp_path / "m.db"
    cli(path, db, "run", "--once")
    page_server.set("/dana/", V2)
    config = load_config(path)
    store = Store(db)
    asyncio.run(check_sources(config, store, outbox=outbox_hook(config)))
    store.close()
    assert cli(path, db, "deliver").output.strip() == "0 delivered, 0 to retry, 0 failed"
    assert "1 delivered" in cli(path, db, "deliver", "--now").output
    assert len(endpoint.accepted()) == 1


# ---------------------------------------------------------------- identity, pure

def row(i: int, source: str, title: str, kind: str = "paper_added", days: float = 0, **extra: Any) -> dict[str, Any]:
    from monitor.models import Publication, paper_key

    when = dt.datetime(2025, 6, 10, tzinfo=dt.timezone.utc) + dt.timedelta(days=days)
    return {"id": i, "source": source, "type": kind, "key": paper_key(Publication(title=title)), "title": title,
            "detected_at": when.isoformat(), **extra}


def test_same_paper_tolerates_a_typo_not_another_paper():
    assert same_paper("sparse attention without tears", "sparse atention without tears")
    assert not same_paper("attention is all you need", "attention is not all you need")
    assert not same_paper("scaling laws part 1", "scaling laws part 2")
    assert not same_paper("gpt 3 for science", "gpt 4 for science")
    assert not same_paper("text:an abstract", "text:an abstrac")


def test_merge_groups_by_paper_and_names_pages():
    entries = merge([row(1, "Dana", "Sparse Attention Without Tears"), row(2, "Bo", "Sparse  attention without TEARS."),
                     row(3, "Bo", "Attention Is Not All You Need"), row(4, "Ann", "Attention Is All You Need")])
    assert [(e["title"], e["sources"], e["ids"]) for e in entries] == [
        ("Attention Is All You Need", ["Ann"], [4]),
        ("Sparse  attention without TEARS.", ["Bo", "Dana"], [2, 1]),
        ("Attention Is Not All You Need", ["Bo"], [3])]
    venue = [row(5, "Dana", "X Y Z", "paper_updated", field="venue", after="ACL 2025"),
             row(6, "Bo", "X Y Z", "paper_updated", field="venue", after="acl  2025"),
             row(7, "Cy", "X Y Z", "paper_updated", field="venue", after="EMNLP 2025")]
    assert [e["sources"] for e in merge(venue)] == [["Bo", "Dana"], ["Cy"]]
    assert pages_of(["A", "B", "C"]) == "on the pages of A, B and C"


def test_earlier_pages_are_named_within_the_window_only():
    now = row(10, "Bo", "Sparse Attention Without Tears")
    inside = row(3, "Dana", "Sparse Attention Without Tears", days=-(WINDOW.days - 1))
    outside = row(2, "Cy", "Sparse Attention Without Tears", days=-(WINDOW.days + 1))
    other = row(4, "Ann", "Dense Attention With Tears", days=-1)
    [entry] = merge([now], [outside, inside, other])
    assert entry["sources"] == ["Dana", "Bo"] and entry["ids"] == [10]
    [alone] = merge([now], [row(11, "Dana", "Sparse Attention Without Tears")])  # a later id: not before
    assert alone["sources"] == ["Bo"]


def later(**kw: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(**kw)


@pytest.mark.parametrize("route, problem", [
    ("{channel: inbox, schedule: daily 08:00, hold: 5m}", "'hold' is for immediate routes (a digest already gathers a whole day or week)"),
    ("{channel: inbox, hold: soon}", "hold: bad interval 'soon' (use e.g. 30m, 12h, 1d, 1h30m)"),
    ("{channel: inbox, hold: -5}", "hold: bad interval -5: must be positive"),
])
def test_a_bad_hold_is_a_one_line_error(route, problem):
    from monitor.errors import ConfigError
    from monitor.sources import parse_config

    text = ("sources:\n  - name: Dana\n    url: http://127.0.0.1/dana/\nchannels:\n"
            "  inbox: {type: email, host: h, from: m@example.org, to: [me@example.org]}\nroutes:\n  - " + route + "\n")
    with pytest.raises(ConfigError) as info:
        parse_config(text, "sources.yaml")
    assert str(info.value) == f"sources.yaml: routes[0] (channel 'inbox'): {problem}"


def test_hold_values():
    from monitor.notify import delivery_settings
    from monitor.sources import parse_config

    text = ("sources:\n  - name: Dana\n    url: http://127.0.0.1/dana/\nchannels:\n"
            "  inbox: {type: email, host: h, from: m@example.org, to: [me@example.org]}\nroutes:\n"
            "  - {channel: inbox, hold: 0}\n  - {channel: inbox, hold: 1h30m}\n")
    settings = delivery_settings(parse_config(text, "sources.yaml"))
    assert [r.hold for r in settings.routes] == [0.0, 5400.0]
