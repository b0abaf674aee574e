"""Credentials and secrets in source URLs: basic auth that works, headers from the environment,
and addresses that are shown and stored only redacted."""

from __future__ import annotations

import base64
import http.server
import json
import sqlite3
import xml.etree.ElementTree as ET

import pytest
import yaml
from click.testing import CliRunner

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.sources import parse_config

from .conftest import serve_http
from .test_notify import V1, V2, email_channel, endpoint, mailbox, secrets, webhook_channel  # noqa: F401

USER, PASSWORD, TOKEN, API_KEY = "dana", "pa$$-word-9931", "tok-5521-zz", "key-8812-yy"


class Site:
    """A page behind basic auth and an API key header; records every request's headers."""

    def __init__(self) -> None:
        self.body = V1
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.redirect_to: str | None = None


@pytest.fixture
def site():
    state = Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append((self.path, headers))
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.path.startswith("/robots.txt"):
                status, body = 404, b""
            elif state.redirect_to and self.path.startswith("/dana/"):
                self.send_response(302)
                self.send_header("Location", state.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            elif headers.get("authorization") != expected or headers.get("x-api-key") != API_KEY:
                status, body = 401, b"who are you?"
            else:
                status, body = 200, state.body
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serve_http(Handler) as port:
        state.port = port
        yield state


def secret_url(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{USER}:{PASSWORD.replace('$', '%24')}@{host}:{port}/dana/?token={TOKEN}&lang=en"


def write(tmp, sources, channels=None):
    path = tmp / "sources.yaml"
    data = {"sources": sources}
    if channels:
        data["channels"] = channels
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(config, db, *args, code=0):
    result = CliRunner().invoke(main, ["--config", str(config), "--db", str(db), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def leaks(text: str) -> list[str]:
    return [s for s in (PASSWORD, PASSWORD.replace("$", "%24"), TOKEN, API_KEY) if s in text]


def test_credentials_in_url_work_and_are_never_shown_or_stored(tmp_path, site, mailbox, endpoint, secrets,
                                                               monkeypatch):
    monkeypatch.setenv("DANA_KEY", API_KEY)
    mailbox.start()
    source = {"name": "Dana Example", "url": secret_url(site.port), "headers_env": {"X-Api-Key": "DANA_KEY"}}
    config = write(tmp_path, [source], {"inbox": email_channel(mailbox), "hook": webhook_channel(endpoint)})
    db = tmp_path / "m.db"
    first = cli(config, db, "run", "--once")
    assert "Dana Example  new" in first.output, first.output
    page = [h for p, h in site.requests if p.startswith("/dana/")]
    assert page and page[-1]["x-api-key"] == API_KEY and page[-1]["authorization"].startswith("Basic ")
    assert site.requests[-1][0] == f"/dana/?token={TOKEN}&lang=en"  # the token still goes to the site
    site.body = V2
    second = cli(config, db, "run", "--once")
    assert "new paper 'Mixture of Depths for Tiny Models'" in second.output

    shown = cli(config, db, "sources").output
    assert f"http://***@127.0.0.1:{site.port}/dana/?token=***&lang=en" in shown
    feed = cli(config, db, "feed").output
    ET.fromstring(feed)
    [msg] = mailbox.messages
    [payload] = endpoint.accepted()
    with sqlite3.connect(db) as conn:
        stored = "\n".join(conn.iterdump())
    outputs = [first.output, second.output, shown, feed, msg.as_string(), json.dumps(payload), stored,
               cli(config, db, "diff", "--json").output]
    for out in outputs:
        assert leaks(out) == [], out[:2000]
    assert payload["sources"][0]["url"] == f"http://***@127.0.0.1:{site.port}/dana/?token=***&lang=en"


def test_check_by_name_sends_the_sources_credentials_and_headers(tmp_path, site, monkeypatch):
    monkeypatch.setenv("DANA_KEY", API_KEY)
    config = write(tmp_path, [{"name": "Dana Example", "url": secret_url(site.port),
                               "headers_env": {"X-Api-Key": "DANA_KEY"}}])
    checked = cli(config, tmp_path / "m.db", "check", "Dana Example")
    assert "3 publications" in checked.output and leaks(checked.output) == []
    [(_, headers)] = [(p, h) for p, h in site.requests if p.startswith("/dana/")]
    assert headers["x-api-key"] == API_KEY and headers["authorization"].startswith("Basic ")
    monkeypatch.delenv("DANA_KEY")
    unset = cli(config, tmp_path / "m.db", "check", "Dana Example", code=2)
    assert "headers_env: environment variable DANA_KEY is not set" in unset.stderr


def test_unset_header_variable_warns_once_and_fails_that_check_clearly(tmp_path, site, monkeypatch):
    monkeypatch.delenv("DANA_KEY", raising=False)
    site.body = V1
    config = write(tmp_path, [{"name": "Dana Example", "url": secret_url(site.port),
                               "headers_env": {"X-Api-Key": "DANA_KEY"}}])
    db = tmp_path / "m.db"
    result = cli(config, db, "run", "--once", code=1)
    assert result.stderr.count("headers_env: environment variable DANA_KEY is not set") == 1
    assert "Dana Example: headers_env: environment variable DANA_KEY is not set (for header X-Api-Key)" \
        in result.stdout
    assert not [p for p, _ in site.requests if p.startswith("/dana/")]  # not even tried without its header


def test_credentials_do_not_follow_a_redirect_to_another_host(tmp_path, site, page_server, monkeypatch):
    monkeypatch.setenv("DANA_KEY", API_KEY)
    page_server.set("/moved/", V1)
    site.redirect_to = page_server.url("/moved/").replace("127.0.0.1", "localhost")
    config = write(tmp_path, [{"name": "Dana Example", "url": secret_url(site.port),
                               "headers_env": {"X-Api-Key": "DANA_KEY"}}])
    cli(config, tmp_path / "m.db", "run", "--once")
    [moved] = page_server.hits("/moved/")
    assert "authorization" not in moved and "x-api-key" not in moved


def test_config_rejects_literal_headers_and_never_prints_a_password():
    with pytest.raises(ConfigError, match="headers_env"):
        parse_config("sources:\n  - name: A\n    url: https://a.org/\n    headers: {Authorization: Bearer x}\n")
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        parse_config("sources:\n  - name: A\n    url: https://a.org/\n    headers_env: {Authorization: 'Bearer x'}\n")
    with pytest.raises(ConfigError) as err:
        parse_config(f"sources:\n  - name: A\n    url: 'https://me:{PASSWORD}@a.org:99999/'\n")
    assert PASSWORD not in str(err.value) and "***@" in str(err.value)
