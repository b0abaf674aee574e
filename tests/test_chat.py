"""Chat alerts through Apprise, end to end: the real pipeline, real Apprise plugins, local services.

Each service in ``chat_services`` checks a request the way the real one does (Slack wants text or
attachments and answers "ok", Discord refuses content over 2000 characters, Telegram refuses
unbalanced Markdown...). Slack, Discord, Telegram, Teams and ntfy.sh are reached at their real host
names through a local HTTPS proxy that is itself the far end; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote_plus

import pytest
import requests

from monitor.errors import ConfigError
from monitor.sources import parse_config

from . import chat_services as cs
from .test_notify import V1, V2, cli, deliveries, dispatch, write_config

SLACK = "https://hooks.slack.com/services/T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7"
DISCORD = "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
TELEGRAM = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-1001234567890/"
TEAMS = ("https://prod-00.westus.logic.azure.com:443/workflows/643e69f83c8944438d68119179a10a64/triggers/manual/"
         "paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=KODuebWbDGYFr0z0eu6Rj8aUKz71")
NTFY_CLOUD = "ntfy://lab-papers-x9f3k"
MATTERMOST_HOOK = "q8w4e6r5t7y9u1i3o2p4a6s8d0"

# service -> (how its URL is made from the port of its local stand-in, or a fixed URL via the proxy)
DIRECT = {
    "json": lambda p: f"json://127.0.0.1:{p}/hooks/papers",
    "form": lambda p: f"form://127.0.0.1:{p}/hooks/papers",
    "ntfy": lambda p: f"ntfy://127.0.0.1:{p}/lab-papers",
    "mattermost": lambda p: f"mmost://127.0.0.1:{p}/{MATTERMOST_HOOK}",
    "rocketchat": lambda p: f"rocket://a8Yh2kPq/Zt93LmWx7Qe@127.0.0.1:{p}/#papers",
    "gotify": lambda p: f"gotify://127.0.0.1:{p}/{cs.GOTIFY_TOKEN}",
    "matrix": lambda p: f"matrix://{cs.MATRIX_USER}:{cs.MATRIX_PASSWORD}@127.0.0.1:{p}/#lab",
}
PROXIED = {"slack": ("hooks.slack.com", SLACK), "discord": ("discord.com", DISCORD),
           "telegram": ("api.telegram.org", TELEGRAM), "teams": ("prod-00.westus.logic.azure.com", TEAMS),
           "ntfy.sh": ("ntfy.sh", NTFY_CLOUD)}


class Chat:
    """Every local stand-in, by name, with the Apprise URL that reaches it."""

    def __init__(self) -> None:
        self.services: dict[str, cs.Service] = {}
        self.urls: dict[str, str] = {}
        self.proxy: cs.Proxy | None = None

    def __getitem__(self, name: str) -> cs.Service:
        return self.services[name]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return cs.make_certificate(tmp_path_factory.mktemp("chat-tls"))


@pytest.fixture
def chat(certificate, monkeypatch) -> Iterator[Chat]:
    state = Chat()
    servers = []
    for name, url in DIRECT.items():
        service = cs.Service(name, cs.CHECKS[name])
        ctx = cs.serve(service)
        port = ctx.__enter__()
        servers.append(ctx)
        state.services[name], state.urls[name] = service, url(port)
    hosts = {}
    for name, (host, url) in PROXIED.items():
        service = cs.Service(name, cs.CHECKS["ntfy" if name == "ntfy.sh" else name])
        state.services[name], state.urls[name] = service, url
        hosts[host] = service
    state.proxy = cs.Proxy(*certificate, hosts)
    for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    for var in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(var, state.proxy.url)
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    # the guard: requests (which Apprise uses) sends these hosts to the local proxy, and nowhere else
    for host, _ in PROXIED.values():
        assert requests.utils.get_environ_proxies(f"https://{host}/")["https"] == state.proxy.url
    try:
        yield state
    finally:
        state.proxy.close()
        for ctx in servers:
            ctx.__exit__(None, None, None)
        assert state.proxy.refused == []


@pytest.fixture
def dana(page_server):
    page_server.set("/dana/", V1)
    return {"name": "Dana Example", "url": page_server.url("/dana/"), "tags": ["nlp"]}


def apprise_channel(env: str = "LAB_CHAT_URL", **extra: Any) -> dict[str, Any]:
    return {"type": "apprise", "urls_env": env, "timeout": 10, **extra}


def v1_then_v2(config: Path, db: Path, page_server, path: str = "/dana/") -> None:
    cli(config, db, "run", "--once")
    page_server.set(path, V2)
    cli(config, db, "run", "--once")


# ---------------------------------------------------------------- every service, end to end

@pytest.mark.parametrize("service", [*DIRECT, *PROXIED])
def test_a_new_paper_reaches_each_service(service, tmp_path, page_server, dana, chat, monkeypatch):
    monkeypatch.setenv("LAB_CHAT_URL", chat.urls[service])
    config = write_config(tmp_path, [dana], {"lab": apprise_channel()})
    db = tmp_path / "m.db"
    v1_then_v2(config, db, page_server)

    [row] = deliveries(db)
    assert row["state"] == "delivered", row["last_error"]
    [text] = chat[service].messages()
    assert "Mixture of Depths for Tiny Models" in text and "Preprint" in text
    assert "Dana Example" in text and "Frank Moore" in text  # the researcher, and the paper's authors
    assert "Retrieval Heads Are All You Need" in text and "ACL 2025" in text
    assert row["id"] in text  # the delivery id: a duplicate after a crash is recognisable
    assert row["response"].startswith("$LAB_CHAT_URL: accepted by ")
    sent = unquote_plus(b"".join(r.body for r in chat[service].accepted).decode())
    assert dana["url"] in sent  # a link to the page
    assert "https://arxiv.org/abs/2507.00003" in sent


@pytest.mark.parametrize("service", ["telegram", "slack", "discord", "matrix"])
def test_news_with_its_date_and_a_title_full_of_markup(service, tmp_path, page_server, chat, monkeypatch):
    """A title with '*', '_' and '[' stays text (Telegram refuses unbalanced Markdown), and news has its date."""
    monkeypatch.setenv("LAB_CHAT_URL", chat.urls[service])
    page_server.set("/eve/", markup_page(with_new=False))
    eve = {"name": "Eve_Doe [lab]", "url": page_server.url("/eve/")}
    config = write_config(tmp_path, [eve], {"lab": apprise_channel()})
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    page_server.set("/eve/", markup_page(with_new=True))
    cli(config, db, "run", "--once")
    [row] = deliveries(db)
    assert row["state"] == "delivered", row["last_error"]
    [text] = chat[service].messages()
    assert "news (2025.06): Our paper on k_NN search was accepted to SIGIR 2025." in text.replace("\\", "")
    assert "k*-means" in text.replace("\\", "")


def markup_page(*, with_new: bool) -> str:
    news = "<li><b>2025.06</b>: Our paper on k_NN search was accepted to SIGIR 2025.</li>" if with_new else ""
    paper = ("<li><strong>Beyond k*-means: [Re]clustering with_underscores</strong><br>Eve Doe, Ann Lee<br>"
             "<em>SIGIR 2025</em></li>") if with_new else ""
    return ("<html><head><title>Eve</title></head><body><h1>Eve Doe</h1><h2>News</h2><ul>" + news +
            "<li><b>2024.11</b>: I gave a talk at the Example Lab seminar.</li>"
            "<li><b>2024.09</b>: I started my PhD at Example University.</li></ul>"
            "<h2>Publications</h2><ol>" + paper +
            "<li><strong>Sparse Attention Without Tears</strong><br>Eve Doe, Bo Li<br><em>ICML 2025</em></li>"
            "<li><strong>Calibrated Language Models for Science</strong><br>Eve Doe<br><em>EMNLP 2023</em></li>"
            "</ol></body></html>")


# ---------------------------------------------------------------- failures, retries, digests

def test_a_500_is_retried_and_the_retry_says_the_same(tmp_path, page_server, dana, chat, monkeypatch):
    chat["json"].plan = [500]
    monkeypatch.setenv("LAB_CHAT_URL", chat.urls["json"])
    config = write_config(tmp_path, [dana], {"lab": apprise_channel(retry_base="2m")})
    db = tmp_path / "m.db"
    v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] == "$LAB_CHAT_URL: JSON: Failed to send JSON POST notification: Internal server error., error=500."
    wait = dt.datetime.fromisoformat(row["next_attempt_at"]) - dt.datetime.fromisoformat(row["last_attempt_at"])
    assert wait == dt.timedelta(minutes=2)  # the channel's backoff
    assert dispatch(config, db, later(minutes=1)).delivered == []
    assert dispatch(config, db, later(minutes=3)).delivered == [row["id"]]
    first, second = chat["json"].requests
    assert first.body == second.body and row["id"] in second.json()["message"]  # one id, one content
    assert dispatch(config, db, later(days=30)).lines == []  # delivered means never again
    assert len(chat["json"].requests) == 2


def test_a_refused_url_fails_at_once(tmp_path, page_server, dana, chat, monkeypatch):
    """Slack answers 404 no_service for a deleted webhook: retrying cannot help."""
    monkeypatch.setenv("LAB_CHAT_URL", SLACK.replace("/T1JJ3T3L2/", "/X1JJ3T3L2/"))
    config = write_config(tmp_path, [dana], {"lab": apprise_channel()})
    db = tmp_path / "m.db"
    v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert (row["state"], row["attempts"]) == ("failed", 1) and "error=404" in row["last_error"]
    assert row["last_error"].startswith("$LAB_CHAT_URL: Slack: ")
    assert "X1JJ3T3L2" not in row["last_error"]
    assert dispatch(config, db, later(days=1)).lines == []
    assert "failed" in cli(config, db, "notices", "--state", "failed").output


def test_a_daily_digest_and_a_long_one_split_for_discord(tmp_path, page_server, chat, monkeypatch):
    """Twelve researchers' news in one digest is longer than Discord's 2000 characters: several
    messages, each accepted, together holding every paper."""
    monkeypatch.setenv("LAB_CHAT_URL", chat.urls["discord"])
    people = [f"Researcher {chr(65 + i)}" for i in range(12)]
    sources = []
    for i, name in enumerate(people):
        page_server.set(f"/p{i}/", paper_page(name, i, 1))
        sources.append({"name": name, "url": page_server.url(f"/p{i}/")})
    route = {"channel": "lab", "schedule": "daily 08:00", "timezone": "UTC"}
    config = write_config(tmp_path, sources, {"lab": apprise_channel()}, [route])
    db = tmp_path / "m.db"
    cli(config, db, "run", "--once")
    for i, name in enumerate(people):
        page_server.set(f"/p{i}/", paper_page(name, i, 3))
    cli(config, db, "run", "--once")
    [row] = deliveries(db)
    assert row["kind"] == "digest" and chat["discord"].requests == []
    slot = dt.datetime.fromisoformat(row["slot"])
    assert dispatch(config, db, slot + dt.timedelta(seconds=1)).delivered == [row["id"]]

    messages = chat["discord"].messages()
    assert len(messages) > 1 and len(chat["discord"].requests) == len(messages)  # split, none refused
    assert all(len(r.json()["content"]) <= 2000 for r in chat["discord"].accepted)
    whole = "".join(messages)
    assert "daily digest, 12 researchers: 24 new papers" in whole
    for i, name in enumerate(people):
        assert name in whole and all(t in whole for t in titles(i, 3)[1:])


WORDS = ["Sparse", "Dense", "Robust", "Causal", "Neural", "Latent", "Modular", "Federated", "Bayesian", "Graph",
         "Quantum", "Adaptive"]
TOPICS = ["Parsing", "Retrieval", "Translation", "Summarisation", "Tagging", "Planning"]


def titles(i: int, n: int) -> list[str]:
    return [f"{WORDS[i]} {TOPICS[j]} with {WORDS[(i + j + 3) % len(WORDS)]} Priors" for j in range(n)]


def paper_page(name: str, i: int, n: int) -> str:
    items = "".join(f"<li><strong>{t}</strong><br>{name}, Ann Lee<br><em>Preprint</em></li>" for t in titles(i, n))
    return (f"<html><head><title>{name}</title></head><body><h1>{name}</h1><h2>Publications</h2>"
            f"<ol>{items}</ol></body></html>")


def test_several_urls_a_retry_goes_only_to_those_that_failed(tmp_path, page_server, dana, chat, monkeypatch):
    chat["form"].plan = [503]
    monkeypatch.setenv("LAB_CHAT_URL", f"{chat.urls['json']}  {chat.urls['form']}")
    config = write_config(tmp_path, [dana], {"lab": apprise_channel(retry_base=0)})
    db = tmp_path / "m.db"
    v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert row["state"] == "pending" and row["last_error"].startswith("$LAB_CHAT_URL #2: Form: ")
    reached = json.loads(row["reached"])
    assert len(reached) == 1 and "127.0.0.1" not in row["reached"]  # a fingerprint, not the URL
    assert dispatch(config, db, later(seconds=1)).delivered == [row["id"]]
    assert len(chat["json"].accepted) == 1  # not sent twice
    assert len(chat["form"].requests) == 2 and len(chat["form"].accepted) == 1
    assert deliveries(db)[0]["response"] == "$LAB_CHAT_URL #2: accepted by Form"


def test_an_unset_variable_waits_and_test_notify_works(tmp_path, page_server, dana, chat, monkeypatch):
    monkeypatch.delenv("LAB_CHAT_URL", raising=False)
    config = write_config(tmp_path, [dana], {"lab": apprise_channel(retry_base=0)})
    db = tmp_path / "m.db"
    v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert row["state"] == "pending" and row["last_error"] == "environment variable LAB_CHAT_URL is not set"
    monkeypatch.setenv("LAB_CHAT_URL", chat.urls["telegram"])
    assert dispatch(config, db, later(seconds=1)).delivered == [row["id"]]
    out = cli(config, db, "test-notify", "lab").output
    assert out.strip() == "lab: accepted: $LAB_CHAT_URL: accepted by Telegram"
    assert "test message from channel 'lab'" in chat["telegram"].messages()[-1]


def test_secrets_stay_out_of_the_database_the_output_and_the_log(tmp_path, page_server, dana, chat, monkeypatch,
                                                                 caplog):
    """Apprise itself logs some tokens in full (an invalid Zulip token); none reaches a log handler at the
    daemon's level (INFO), even one attached to Apprise's own logger."""
    token = "Zt93LmWx7QeTok8812"
    monkeypatch.setenv("LAB_CHAT_URL", f"{SLACK.replace('/T1JJ3T3L2/', '/X1JJ3T3L2/')} zulip://bot@example.org/{token}")
    config = write_config(tmp_path, [dana], {"lab": apprise_channel()})
    db = tmp_path / "m.db"
    caplog.set_level(logging.INFO)
    outputs = [cli(config, db, "run", "--once").output]
    page_server.set("/dana/", V2)
    outputs.append(cli(config, db, "run", "--once").output)
    outputs += [cli(config, db, "notices").output, cli(config, db, "test-notify", "lab", code=1).output]
    [row] = deliveries(db)
    assert row["state"] == "failed"
    assert "not a URL Apprise can send to (scheme 'zulip'" in row["last_error"]
    blobs = [db.read_bytes()] + [p.read_bytes() for p in tmp_path.glob("m.db-*")]
    for secret in (token, "TIiajkdnlazkcOXrIdevi7"):
        assert all(secret.encode() not in b for b in blobs)
        assert all(secret not in out for out in outputs)
        assert secret not in caplog.text


@pytest.mark.parametrize("text, problem", [
    ("  lab: {type: apprise, urls: 'slack://a/b/c'}\n", "'urls' is not allowed: an Apprise URL carries its service's token"),
    ("  lab: {type: apprise, url: 'ntfy://topic'}\n", "'url' is not allowed"),
    ("  lab: {type: apprise}\n", "'urls_env' is required for an apprise channel"),
    ("  lab: {type: apprise, urls_env: 'slack://a/b/c'}\n", "'urls_env' must name environment variables"),
    ("  lab: {type: apprise, urls_env: [A, 3]}\n", "'urls_env' is required"),
    ("  lab: {type: apprise, urls_env: A, token: x}\n", "'token' is not allowed: secrets come only from the environment"),
    ("  lab: {type: apprise, urls_env: A, colour: red}\n", "unknown key 'colour' for an apprise channel"),
    ("  lab: {type: slack}\n", "unknown type 'slack' (one of: apprise, email, webhook); slack is reached with type: "
                               "apprise and urls_env naming a variable that holds its Apprise URL"),
    ("  lab: {type: Discord}\n", "Discord is reached with type: apprise"),
])
def test_apprise_channel_mistakes_are_one_line_errors(text, problem):
    base = "sources:\n  - name: Dana\n    url: http://127.0.0.1/dana/\nchannels:\n"
    with pytest.raises(ConfigError) as info:
        parse_config(base + text, "sources.yaml")
    message = str(info.value)
    assert message.startswith("sources.yaml: channel 'lab': ") and problem in message, message
    assert "\n" not in message


def test_the_readme_example_is_accepted():
    text = "sources:\n  - name: Dana\n    url: http://127.0.0.1/dana/\n" + readme_block("lab-slack:")
    config = parse_config(text, "sources.yaml")
    assert {c["type"] for c in config.channels.values()} == {"apprise"} and len(config.channels) == 3


def readme_block(marker: str) -> str:
    """The yaml block of README.md that holds ``marker``."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for block in readme.split("```yaml")[1:]:
        block = block.split("```")[0]
        if marker in block:
            return block
    raise AssertionError(f"no yaml block with {marker!r} in README.md")


# ---------------------------------------------------------------- the webhook's text for Slack-style hooks

@pytest.mark.parametrize("service, path", [("slack", "/services/T1JJ3T3L2/B1BRTD4JD/TIiajkdnlazkcOXrIdevi7"),
                                           ("mattermost", f"/hooks/{MATTERMOST_HOOK}"),
                                           ("rocketchat", "/hooks/a8Yh2kPq/Zt93LmWx7Qe")])
def test_the_webhook_payload_is_taken_by_slack_style_incoming_webhooks(service, path, tmp_path, page_server, dana):
    hook = cs.Service(service, cs.CHECKS[service])
    with cs.serve(hook) as port:
        channel = {"type": "webhook", "url": f"http://127.0.0.1:{port}{path}", "timeout": 5}
        config = write_config(tmp_path, [dana], {"hook": channel})
        db = tmp_path / "m.db"
        v1_then_v2(config, db, page_server)
    [row] = deliveries(db)
    assert row["state"] == "delivered", row["last_error"]
    [text] = hook.messages()
    assert text.startswith("[scholarwatch] Dana Example: 1 new paper, 1 venue update\n")
    assert "new paper 'Mixture of Depths for Tiny Models' (Preprint)" in text
    assert hook.accepted[0].json()["version"] == 1  # the same payload, one field more


def later(**kw: float) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc) + dt.timedelta(**kw)
