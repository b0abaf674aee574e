"""Delivery end to end: the real pipeline, a real SMTP server (aiosmtpd) and a real webhook endpoint.

Everything listens on 127.0.0.1; nothing is mocked. Time is moved forward by passing ``now=`` to
``deliver_due`` or by setting ``retry_base: 0`` on a channel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import shutil
import sqlite3
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.models import Source
from monitor.notify import LEASE, Route, _claim, deliver_due, parse_schedule
from monitor.sources import load_config, parse_config
from monitor.store import Store

from .conftest import PAGES, free_port, serve_http

SMTP_PASSWORD = "s3cret-smtp-pass-7731"
WEBHOOK_SECRET = "whsec-topsecret-4455-xyz"
V1, V2 = (PAGES / "v1.html").read_bytes(), (PAGES / "v2.html").read_bytes()


# ---------------------------------------------------------------- a real SMTP server

@dataclass
class Mailbox:
    """An aiosmtpd server on 127.0.0.1 that can be started late (an outage) and stopped."""

    port: int = field(default_factory=free_port)
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    controller: Controller | None = None
    accept_logins: bool = True

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        ok = self.accept_logins and (login, password) == ("me", SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)  # not handled: the server answers 535 itself

    def start(self, **kwargs: Any) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, authenticator=self.authenticate,
                                     **kwargs)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


# ---------------------------------------------------------------- a real webhook endpoint

@dataclass
class Endpoint:
    """Answers with ``plan`` (status, headers) in turn, then ``default``; records every request."""

    plan: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    default: tuple[int, dict[str, str]] = (200, {})
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/scholarwatch"

    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(body) for headers, body in self.requests if headers.get("x-answer") == "200"]

    def keys(self) -> list[str]:
        return [h["idempotency-key"] for h, _ in self.requests]


@pytest.fixture
def endpoint():
    state = Endpoint()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, headers = state.plan.pop(0) if state.plan else state.default
            recorded = {k.lower(): v for k, v in self.headers.items()}
            recorded["x-answer"] = str(status)
            state.requests.append((recorded, body))
            reply = b'{"ok": true}' if status < 300 else b"not now"
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    with serve_http(Handler) as port:
        state.port = port
        yield state


# ---------------------------------------------------------------- helpers

def email_channel(box: Mailbox, **extra: Any) -> dict[str, Any]:
    return {"type": "email", "host": "127.0.0.1", "port": box.port, "security": "none", "timeout": 5,
            "from": "monitor@example.org", "to": ["me@example.org"], **extra}


def webhook_channel(ep: Endpoint, **extra: Any) -> dict[str, Any]:
    return {"type": "webhook", "url": ep.url, "secret_env": "WEBHOOK_SECRET", "timeout": 5, **extra}


def write_config(tmp: Path, sources: list[dict[str, Any]], channels: dict[str, Any],
                 routes: list[dict[str, Any]] | None = None) -> Path:
    data: dict[str, Any] = {"sources": sources, "channels": channels}
    if routes:
        data["routes"] = routes
    path = tmp / "sources.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def check_v1_then_v2(config: Path, db: Path, page_server) -> None:
    """A first run on v1, then v2 is published and checked: one paper added, one venue updated."""
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once")


def cli(config: Path, db: Path, *args: str, code: int | None = 0):
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def deliveries(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM deliveries ORDER BY created_at, rowid")]


def dispatch(config: Path, db: Path, now: dt.datetime):
    store = Store(db)
    try:
        return asyncio.run(deliver_due(load_config(config), store, now=now))
    finally:
        store.close()


def alert_event_ids(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM events WHERE alert = 1 ORDER BY id")]


def later(**kw: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(**kw)


@pytest.fixture
def secrets(monkeypatch):
    monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("WEBHOOK_SECRET", WEBHOOK_SECRET)


@pytest.fixture
def dana(page_server):
    page_server.set("/dana/", V1)
    return {"name": "Dana Example", "url": page_server.url("/dana/"), "tags": ["nlp"]}


# ---------------------------------------------------------------- email

def test_immediate_email_is_a_readable_multipart_message(tmp_path, page_server, dana, mailbox, secrets):
    mailbox.start()
    config = write_config(tmp_path, [dana], {"inbox": email_channel(mailbox)})
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    assert mailbox.messages == []  # a first snapshot is not news
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once")

    [msg] = mailbox.messages
    [row] = deliveries(db)
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["response"].startswith("250")
    assert msg["Subject"] == "[scholarwatch] Dana Example: 1 new paper, 1 venue update"
    assert msg["Message-ID"] == f"<{row['id']}@scholarwatch>"
    assert msg["X-Scholarwatch-Delivery"] == row["id"] and msg["To"] == "me@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Dana Example" in text and "new paper 'Mixture of Depths for Tiny Models' (Preprint)" in text
    assert "'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)" in text
    assert "arXiv: https://arxiv.org/abs/2507.00003" in text
    assert '<a href="https://arxiv.org/abs/2507.00003">arXiv</a>' in html and "Dana Example</a></h2>" in html


def bo_page(page: bytes) -> bytes:
    """A page of Bo's own: Dana's layout with other papers (so nothing is listed by both)."""
    for a, b in RENAMED:
        page = page.replace(a, b)
    return page


RENAMED = [(b"Mixture of Depths for Tiny Models", b"Token Merging for Long Documents"),
           (b"Sparse Attention Without Tears", b"Dense Retrieval at Scale"),
           (b"Retrieval Heads Are All You Need", b"Probing Heads for Syntax"),
           (b"Calibrated Language Models for Science", b"Uncertainty in Code Models")]


def test_daily_digest_groups_researchers_in_one_email(tmp_path, page_server, dana, mailbox, secrets):
    mailbox.start()
    page_server.set("/bo/", bo_page(V1))
    bo = {"name": "Bo Li", "url": page_server.url("/bo/")}
    config = write_config(tmp_path, [dana, bo], {"inbox": email_channel(mailbox)},
                          [{"channel": "inbox", "sources": "all", "schedule": "daily 08:00", "timezone": "UTC"}])
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    page_server.set("/bo/", bo_page(V2))
    cli(config, db, "run", "--once")
    assert mailbox.messages == []  # waits for its slot
    [row] = deliveries(db)  # both checks joined the one open digest
    assert row["kind"] == "digest" and row["slot"].endswith("T08:00:00+00:00")
    slot = dt.datetime.fromisoformat(row["slot"])
    assert dispatch(config, db, slot - dt.timedelta(minutes=1)).delivered == []
    assert dispatch(config, db, slot + dt.timedelta(minutes=1)).delivered == [row["id"]]

    [msg] = mailbox.messages
    assert msg["Subject"] == "[scholarwatch] daily digest, 2 researchers: 2 new papers, 2 venue updates"
    assert msg["Message-ID"] == f"<{row['id']}@scholarwatch>"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert part.index("Bo Li") < part.index("Dana Example")  # one section per researcher
        assert part.index("Token Merging for Long Documents") < part.index("Dana Example")
        assert part.index("Dana Example") < part.index("Mixture of Depths for Tiny Models")
    assert f"Bo Li  <{bo['url']}>\n{'-' * len('Bo Li  <' + bo['url'] + '>')}\n  - new paper" in text
    assert html.count("<h2") == 2


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem"), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return d / "cert.pem", d / "key.pem"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_test_notify_over_tls_with_login(tmp_path, mailbox, secrets, certificate, security):
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    if security == "tls":  # aiosmtpd does not count implicit TLS as TLS for AUTH: allow it explicitly
        mailbox.start(ssl_context=server_ctx, auth_require_tls=False)
    else:
        mailbox.start(tls_context=server_ctx, require_starttls=True)
    channel = email_channel(mailbox, security=security, username="me", password_env="SMTP_PASSWORD",
                            ca_file=str(cert))
    config = write_config(tmp_path, [], {"inbox": channel})
    result = cli(config, tmp_path / "m.db", "test-notify", "inbox")
    assert result.output.startswith("inbox: accepted: 250 Message accepted")
    assert mailbox.logins == [("me", SMTP_PASSWORD)]
    [msg] = mailbox.messages
    assert msg["Subject"] == "[scholarwatch] test message from channel 'inbox'"
    assert SMTP_PASSWORD not in result.output


def test_test_notify_failure_is_one_line_and_exit_1(tmp_path, mailbox, endpoint, secrets):
    endpoint.default = (404, {})
    config = write_config(tmp_path, [], {"inbox": email_channel(mailbox), "lab-bot": webhook_channel(endpoint)})
    down = cli(config, tmp_path / "m.db", "test-notify", "inbox", code=1)
    assert down.output.strip() == f"error: inbox: cannot connect to 127.0.0.1:{mailbox.port}: Connection refused"
    refused = cli(config, tmp_path / "m.db", "test-notify", "lab-bot", code=1)
    assert refused.output.strip() == f"error: lab-bot: 127.0.0.1:{endpoint.port}: HTTP 404 Not Found: not now"
    assert endpoint.requests[0][0]["idempotency-key"]  # the test message carries an id too


# ---------------------------------------------------------------- webhook

def test_webhook_payload_is_signed_versioned_and_keyed(tmp_path, page_server, dana, endpoint, secrets):
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)

    [(headers, body)] = endpoint.requests
    [row] = deliveries(db)
    t, v1 = (part.split("=", 1)[1] for part in headers["x-scholarwatch-signature"].split(","))
    expected = hmac.new(WEBHOOK_SECRET.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected) and abs(time.time() - int(t)) < 60
    assert headers["idempotency-key"] == row["id"] and headers["content-type"] == "application/json"
    data = json.loads(body)
    assert set(data) == {"version", "id", "created_at", "channel", "kind", "schedule", "summary", "text", "sources",
                         "events"}
    assert (data["version"], data["id"], data["kind"], data["channel"]) == (1, row["id"], "immediate", "lab-bot")
    assert data["created_at"] == row["created_at"] and data["summary"] == "1 new paper, 1 venue update"
    assert data["sources"] == [{"name": "Dana Example", "url": dana["url"]}]
    assert [e["id"] for e in data["events"]] == alert_event_ids(db)
    added = next(e for e in data["events"] if e["type"] == "paper_added")
    assert added["title"] == "Mixture of Depths for Tiny Models" and added["venue"] == "Preprint"
    assert added["links"] == {"arxiv": "https://arxiv.org/abs/2507.00003"} and added["source"] == "Dana Example"
    assert added["sources"] == ["Dana Example"] and added["ids"] == [added["id"]]
    assert data["text"] == ("[scholarwatch] Dana Example: 1 new paper, 1 venue update\n"
                            "• Dana Example: new paper 'Mixture of Depths for Tiny Models' (Preprint)\n"
                            "• Dana Example: 'Retrieval Heads Are All You Need' now at ACL 2025 (was Preprint)")


def test_4xx_fails_fast(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.default = (400, {})
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("failed", 1) and "HTTP 400" in row["last_error"]
    assert dispatch(config, db, later(days=30)).failed == []  # nothing is retried by itself
    assert len(endpoint.requests) == 1


def test_429_retries_after_retry_after(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.plan = [(429, {"Retry-After": "120"})]
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, retry_base="1h")})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("pending", 1) and "HTTP 429" in row["last_error"]
    wait = dt.datetime.fromisoformat(row["next_attempt_at"]) - dt.datetime.fromisoformat(row["last_attempt_at"])
    assert wait == dt.timedelta(seconds=120)  # the server's Retry-After, not the hour of backoff
    assert dispatch(config, db, later(seconds=60)).delivered == []
    assert dispatch(config, db, later(seconds=180)).delivered == [row["id"]]
    assert endpoint.keys() == [row["id"], row["id"]]


def test_n_failures_then_failed_then_retry_command_delivers(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.default = (503, {})
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, max_attempts=3, retry_base=0)})
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once")  # attempt 1
    cli(config, db, "deliver")  # attempt 2
    last = cli(config, db, "deliver")  # attempt 3: the last
    assert "failed after 3 attempts" in last.output
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("failed", 3)
    listing = cli(config, db, "notices", "--state", "failed").output
    assert row["id"][:8] in listing and "failed" in listing and "HTTP 503" in listing
    assert "No pending deliveries." in cli(config, db, "notices", "--state", "pending").output
    assert cli(config, db, "deliver").output.strip() == "0 delivered, 0 to retry, 0 failed"

    endpoint.default = (200, {})
    assert "Requeued 1 delivery" in cli(config, db, "retry").output
    assert cli(config, db, "retry").output.strip() == "No failed deliveries."
    assert "delivered (2 events)" in cli(config, db, "deliver").output
    [listed] = json.loads(cli(config, db, "notices", "--json").output)
    assert (listed["id"], listed["state"], listed["attempts"], listed["events"]) == (row["id"], "delivered", 1, 2)
    assert listed["channel"] == "lab-bot" and listed["sources"] == ["Dana Example"]
    assert endpoint.keys() == [row["id"]] * 4 and len(endpoint.accepted()) == 1


def test_retry_by_id_and_errors(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.default = (410, {})
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert "no delivery with id 'zzz'" in cli(config, db, "retry", "zzz", code=2).output
    assert f"Requeued 1 delivery: {row['id'][:8]}" in cli(config, db, "retry", row["id"][:8]).output
    assert "is pending, not failed" in cli(config, db, "retry", row["id"], code=2).output


# ---------------------------------------------------------------- outages, restarts, exactly once

def test_outage_then_recovery_delivers_every_event_exactly_once(tmp_path, page_server, dana, mailbox, endpoint,
                                                                 secrets):
    endpoint.default = (503, {"Retry-After": "0"})
    channels = {"inbox": email_channel(mailbox, retry_base=0), "lab-bot": webhook_channel(endpoint, retry_base=0)}
    config = write_config(tmp_path, [dana], channels)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    assert "1 checked, 0 failed" in cli(config, db, "run", "--once").output  # the check itself succeeds
    page_server.set("/dana/", V1)  # a second change while everything is still down
    cli(config, db, "run", "--once")
    rows = deliveries(db)
    assert len(rows) == 4 and {r["state"] for r in rows} == {"pending"}
    assert mailbox.messages == [] and {h["x-answer"] for h, _ in endpoint.requests} == {"503"}

    mailbox.start()
    endpoint.default = (200, {})
    cli(config, db, "run", "--once")  # the page is unchanged: only the outbox moves
    cli(config, db, "run", "--once")
    assert dispatch(config, db, later(days=365)).delivered == []

    rows = deliveries(db)
    assert {r["state"] for r in rows} == {"delivered"}
    by_channel = {c: [r["id"] for r in rows if r["channel"] == c] for c in channels}
    assert sorted(mailbox.ids()) == sorted(f"<{i}@scholarwatch>" for i in by_channel["inbox"])
    accepted = endpoint.accepted()
    assert sorted(p["id"] for p in accepted) == sorted(by_channel["lab-bot"])
    assert set(endpoint.keys()) == set(by_channel["lab-bot"])  # retries reused the ids
    events = alert_event_ids(db)
    assert sorted(e["id"] for p in accepted for e in p["events"]) == events  # each event once
    texts = "".join(m.get_body(("plain",)).get_content() for m in mailbox.messages)
    assert texts.count("now at ACL 2025") == 1 and texts.count("now at Preprint") == 1


def test_a_restart_never_resends_a_delivered_one(tmp_path, page_server, dana, endpoint, secrets):
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, retry_base=0)})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    assert len(endpoint.requests) == 1
    for when in (later(seconds=1), later(seconds=LEASE * 2), later(days=400)):
        assert dispatch(config, db, when).lines == []  # a new Store, new process state
    cli(config, db, "run", "--once")
    assert len(endpoint.requests) == 1


def test_crash_after_acceptance_resends_the_same_id(tmp_path, page_server, dana, endpoint, secrets):
    """The documented window: accepted, then the process dies before 'delivered' is committed."""
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, retry_base=0)})
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    endpoint.default = (503, {})
    page_server.set("/dana/", V2)
    cli(config, db, "run", "--once")
    [row] = deliveries(db)
    endpoint.default = (200, {})

    store = Store(db)
    now = later(seconds=1)
    notice = _claim(store, row["id"], "lab-bot", now)
    from monitor.notify import delivery_settings
    asyncio.run(delivery_settings(load_config(config)).channels["lab-bot"].send(notice))
    store.close()  # ... and the process dies here
    assert deliveries(db)[0]["state"] == "sending"

    assert dispatch(config, db, now + dt.timedelta(seconds=LEASE / 2)).lines == []  # the lease still holds
    assert dispatch(config, db, now + dt.timedelta(seconds=LEASE + 1)).delivered == [row["id"]]
    accepted = endpoint.accepted()
    assert [p["id"] for p in accepted] == [row["id"], row["id"]]  # the receiver dedupes this by id
    assert accepted[0] == accepted[1]  # the same content under the same id
    assert dispatch(config, db, later(days=30)).lines == []


def test_a_digest_is_sealed_by_its_first_attempt(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.default = (503, {})
    route = {"channel": "lab-bot", "schedule": "weekly mon 08:00", "timezone": "Europe/Paris"}
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, retry_base=0)}, [route])
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [first] = deliveries(db)
    slot = dt.datetime.fromisoformat(first["slot"])
    local = slot.astimezone(ZoneInfo("Europe/Paris"))
    assert (local.weekday(), local.hour, local.minute) == (0, 8, 0)
    assert dispatch(config, db, slot + dt.timedelta(seconds=1)).retrying == [first["id"]]
    page_server.set("/dana/", V1)
    cli(config, db, "run", "--once")  # same slot, but the first digest is sealed: a second one
    rows = deliveries(db)
    assert len(rows) == 2 and rows[1]["slot"] == first["slot"]

    endpoint.default = (200, {})
    assert sorted(dispatch(config, db, slot + dt.timedelta(seconds=2)).delivered) == sorted(r["id"] for r in rows)
    bodies = [b for h, b in endpoint.requests if h["idempotency-key"] == first["id"]]
    assert len(bodies) == 2 and bodies[0] == bodies[1]  # byte for byte the same on every attempt


def test_secrets_never_reach_the_database_or_the_output(tmp_path, page_server, dana, mailbox, endpoint, secrets):
    mailbox.start(auth_require_tls=False)
    channels = {"inbox": email_channel(mailbox, username="me", password_env="SMTP_PASSWORD"),
                "lab-bot": webhook_channel(endpoint)}
    config = write_config(tmp_path, [dana], channels)
    db = tmp_path / "m.db"
    outputs = [cli(config, db, "run", "--once").output]
    page_server.set("/dana/", V2)
    outputs.append(cli(config, db, "run", "--once").output)
    assert len(mailbox.messages) == 1 and mailbox.logins == [("me", SMTP_PASSWORD)]
    assert len(endpoint.accepted()) == 1
    outputs += [cli(config, db, *args).output for args in (("notices",), ("notices", "--json"),
                                                            ("test-notify", "inbox"), ("test-notify", "lab-bot"),
                                                            ("deliver",), ("feed",))]
    # a refused login is reported without the password
    mailbox.accept_logins = False
    bad = cli(config, db, "test-notify", "inbox", code=1)
    assert "login refused: 535" in bad.output
    outputs.append(bad.output)
    blobs = [db.read_bytes()] + [p.read_bytes() for p in tmp_path.glob("m.db-*")]
    for secret in (SMTP_PASSWORD, WEBHOOK_SECRET):
        assert all(secret.encode() not in b for b in blobs)
        assert all(secret not in out for out in outputs)


def test_missing_secret_is_a_failed_attempt_not_a_crash(tmp_path, page_server, dana, endpoint, monkeypatch):
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert row["state"] == "pending" and row["last_error"] == "environment variable WEBHOOK_SECRET is not set"
    assert endpoint.requests == []  # never sent unsigned
    warned = cli(config, db, "run").stderr  # and said at the start of every run (and of the daemon)
    assert warned == (f"warning: {config}: channel 'lab-bot': environment variable WEBHOOK_SECRET is not set;"
                      " its deliveries wait (and are retried) until it is\n")


# ---------------------------------------------------------------- routes and schedules

def test_routes_pick_channels_by_source_tag_and_event_type(tmp_path, page_server, dana, mailbox, endpoint, secrets):
    mailbox.start()
    page_server.set("/bo/", V1)
    bo = {"name": "Bo Li", "url": page_server.url("/bo/")}
    channels = {"inbox": email_channel(mailbox), "lab-bot": webhook_channel(endpoint)}
    routes = [{"channel": "lab-bot", "sources": ["nlp"], "events": ["paper_added", "paper_removed"]},
              {"channel": "inbox", "sources": ["Bo Li"]},
              {"channel": "inbox", "sources": "all", "schedule": "daily 08:00"}]
    config = write_config(tmp_path, [dana, bo], channels, routes)
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/dana/", V2)
    page_server.set("/bo/", V2)
    cli(config, db, "run", "--once")
    rows = deliveries(db)
    kinds = sorted((r["channel"], r["kind"]) for r in rows)
    # Bo goes to the inbox at once (immediate beats the digest); Dana waits for the digest
    assert kinds == [("inbox", "digest"), ("inbox", "immediate"), ("lab-bot", "immediate")]
    [hook] = endpoint.accepted()
    assert [e["type"] for e in hook["events"]] == ["paper_added"] and hook["sources"][0]["name"] == "Dana Example"
    [msg] = mailbox.messages
    assert msg["Subject"] == "[scholarwatch] Bo Li: 1 new paper, 1 venue update"


def test_schedule_slots():
    now = dt.datetime(2025, 3, 5, 7, 59, tzinfo=dt.timezone.utc)  # a Wednesday
    assert parse_schedule("immediate").next_slot(now) is None
    daily = parse_schedule("daily 08:00", "UTC")
    assert daily.next_slot(now) == now.replace(minute=0, hour=8)
    assert daily.next_slot(now.replace(hour=8, minute=0)) == dt.datetime(2025, 3, 6, 8, tzinfo=dt.timezone.utc)
    weekly = parse_schedule("Weekly  Monday 18:30", "Asia/Tokyo")
    assert weekly.next_slot(now) == dt.datetime(2025, 3, 10, 9, 30, tzinfo=dt.timezone.utc)
    route = Route(channel="c", sources=("nlp",), events=("paper_updated", "paper_removed"))
    src = Source(name="X", url="http://x", tags=["nlp"])
    assert route.matches(src, "paper_updated", True) and route.matches(src, "paper_removed", False)
    assert not route.matches(src, "paper_updated", False)  # a links-only update is not news
    assert not route.matches(Source(name="Y", url="http://y"), "paper_removed", False)


BASE = "sources:\n  - name: Dana\n    url: http://127.0.0.1/dana/\n    tags: [nlp]\n"
INBOX = "  inbox: {type: email, host: smtp.example.org, from: m@example.org, to: [me@example.org]}\n"


@pytest.mark.parametrize("text, entry, problem", [
    ("channels:\n  inbox: {type: sms}\n", "channel 'inbox'", "unknown type 'sms' (one of: apprise, email, webhook); sms is reached with type: apprise"),
    ("channels:\n  inbox: {host: h}\n", "channel 'inbox'", "'type' is required"),
    ("channels:\n  inbox: {type: email, from: m@e.org, to: [me@e.org]}\n", "channel 'inbox'",
     "'host' is required for an email channel"),
    ("channels:\n  bot: {type: webhook, secret_env: S}\n", "channel 'bot'", "give exactly one of 'url'"),
    ("channels:\n  bot: {type: webhook, url: 'ftp://x'}\n", "channel 'bot'", "bad url 'ftp://x'"),
    ("channels:\n  inbox: {type: email, host: h, from: m@e.org, to: [me@e.org], password: hunter2}\n",
     "channel 'inbox'", "'password' is not allowed: secrets come only from the environment"),
    ("channels:\n  bot: {type: webhook, url: 'https://x.org/h', secret: hunter2}\n", "channel 'bot'",
     "'secret' is not allowed"),
    ("channels:\n  bot: {type: webhook, url: 'https://x.org/h', secret_env: 'hunter2!'}\n", "channel 'bot'",
     "'secret_env' must name an environment variable"),
    ("channels:\n  inbox: {type: email, host: h, security: ssl, from: m@e.org, to: [me@e.org]}\n",
     "channel 'inbox'", "bad security 'ssl'"),
    ("channels:\n  inbox: {type: email, host: h, from: m@e.org, to: [me@e.org], username: me}\n",
     "channel 'inbox'", "'username' needs 'password_env'"),
    ("channels:\n  inbox: {type: email, host: h, from: m@e.org, to: [me@e.org], max_attempts: 0}\n",
     "channel 'inbox'", "'max_attempts' must be a whole number >= 1"),
    ("channels:\n" + INBOX + "routes:\n  - channel: inbx\n", "routes[0]", "unknown channel 'inbx' (channels: inbox)"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, schedule: daily 8am}\n", "routes[0] (channel 'inbox')",
     "bad schedule 'daily 8am'"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, schedule: weekly funday 08:00}\n", "routes[0] (channel 'inbox')",
     "bad schedule"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, events: [paper_eaten]}\n", "routes[0] (channel 'inbox')",
     "unknown event type 'paper_eaten'"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, sources: [Nobody]}\n", "routes[0] (channel 'inbox')",
     "'Nobody' is neither a source name nor a tag"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, timezone: Mars/Olympus}\n", "routes[0] (channel 'inbox')",
     "unknown timezone 'Mars/Olympus'"),
    ("channels:\n" + INBOX + "routes:\n  - {channel: inbox, when: now}\n", "routes[0]", "unknown key 'when'"),
])
def test_malformed_channels_and_routes_are_one_line_errors(text, entry, problem):
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + text, "conf/sources.yaml")
    message = str(info.value)
    assert message.startswith(f"conf/sources.yaml: {entry}: ") and problem in message, message
    assert "\n" not in message and "hunter2" not in message


def test_a_bad_channel_stops_the_run_before_anything_is_stored(tmp_path):
    config = tmp_path / "sources.yaml"
    config.write_text(BASE + "channels:\n  inbox: {type: pigeon}\n")
    db = tmp_path / "m.db"
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), "run", "--once"])
    assert result.exit_code == 2 and not db.exists()
    assert result.output.strip() == f"error: {config}: channel 'inbox': unknown type 'pigeon' (one of: apprise, email, webhook)"


def test_the_example_configuration_from_the_issue_is_accepted():
    text = BASE + """channels:
  inbox:
    type: email
    host: smtp.example.org
    port: 587
    security: starttls
    username: me
    password_env: SMTP_PASSWORD
    from: monitor@example.org
    to: [me@example.org]
  lab-bot:
    type: webhook
    url: https://example.org/hooks/scholarwatch
    secret_env: WEBHOOK_SECRET
routes:
  - channel: inbox
    sources: all
    events: [paper_added, paper_updated, news_added, announcement]
    schedule: immediate
  - channel: lab-bot
    sources: [nlp]
    schedule: weekly mon 08:00
"""
    config = parse_config(text, "sources.yaml")
    assert set(config.channels) == {"inbox", "lab-bot"} and len(config.routes) == 2


def test_deliver_now_sends_what_waits_out_a_backoff(tmp_path, page_server, dana, endpoint, secrets):
    endpoint.plan = [(503, {})]
    config = write_config(tmp_path, [dana], {"lab-bot": webhook_channel(endpoint, retry_base="1h")})
    db = tmp_path / "m.db"
    check_v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert cli(config, db, "deliver").output.strip() == "0 delivered, 0 to retry, 0 failed"  # an hour to wait
    out = cli(config, db, "deliver", "--now").output
    assert "1 waiting delivery made due now" in out and "delivered" in out
    [row] = deliveries(db)
    assert row["state"] == "delivered" and len(endpoint.accepted()) == 1
