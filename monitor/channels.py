"""Where notices go: a small registry of channel types (email, webhook), like urlwatch's reporters.

A channel type is a class with a ``type`` name, the settings keys it accepts, a constructor that
validates one ``channels:`` entry (raising a one-line ``ConfigError``) and ``async send(notice)``
that returns the server's answer or raises ``SendError`` saying whether a retry may help.
Channels never store secrets: they keep the *name* of an environment variable and read its value
at send time, so a secret is in the process environment only, never in the file or the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.policy
import email.utils
import hashlib
import hmac
import html
import json
import logging
import os
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlparse

import httpx

from . import __version__
from .config import parse_interval
from .fetch import retry_after
from .errors import ConfigError, DeliveryError
from .report import describe_event, event_json, group_by_source, summary_line
from .safe import safe_url
from .shared import merge, pages_of

PAYLOAD_VERSION = 1
SIGNATURE_HEADER = "X-Scholarwatch-Signature"
SECRET_KEYS = ("password", "secret", "token", "api_key", "apikey", "pass")
COMMON_KEYS = frozenset({"type", "max_attempts", "retry_base", "retry_max", "timeout"})
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BASE = 300.0  # 5 min, doubling: 8 attempts span about 10 hours of outage
DEFAULT_RETRY_MAX = 6 * 3600.0
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Service names people write as a channel type; the error then points them to the apprise type.
CHAT_SERVICES = frozenset({"slack", "discord", "teams", "msteams", "microsoftteams", "matrix", "telegram", "ntfy",
                           "mattermost", "rocketchat", "rocket", "gotify", "zulip", "googlechat", "gchat", "signal",
                           "pushover", "webex", "whatsapp", "mastodon", "chat", "sms"})
MAX_AUTHORS = 8  # an alert names this many authors of a paper, then "et al."
MAX_TEXT_LINES = 20  # lines of the webhook payload's plain ``text`` before "... and N more"
_LINK_LABELS = {"arxiv": "arXiv", "pdf": "PDF", "code": "code", "doi": "DOI", "project": "project", "other": "link"}
# Quoted-printable bodies and CRLF lines: any SMTP server takes them, 8BITMIME or not. Headers are
# written unfolded up to RFC 5322's 998: CPython's folder may otherwise move a whole subject to a
# continuation line, which some readers show with a leading space.
SMTP_POLICY = email.policy.SMTP
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


class SendError(DeliveryError):
    """One failed attempt; ``retry`` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None,
                 reached: list[str] | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after
        self.reached = reached or []  # targets that accepted it in this attempt (a channel with several)


@dataclass
class Notice:
    """What one delivery says; built from stored rows so every attempt carries the same content."""

    id: str
    channel: str
    kind: str  # immediate | digest | test
    schedule: str
    created_at: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # events with source and source_url
    earlier: list[dict[str, Any]] = field(default_factory=list)  # the same new papers on other pages, before
    reached: frozenset[str] = frozenset()  # targets that already accepted this delivery

    @cached_property
    def entries(self) -> list[dict[str, Any]]:
        """The rows with one entry per paper however many pages list it (``shared.merge``)."""
        return merge(self.rows, self.earlier)

    @property
    def summary(self) -> str:
        return "test message" if self.kind == "test" else summary_line(self.entries)

    @property
    def sources(self) -> list[str]:
        return sorted({r["source"] for r in self.rows})


# ---------------------------------------------------------------- registry

CHANNEL_TYPES: dict[str, type[Channel]] = {}


def register(cls: type[Channel]) -> type[Channel]:
    CHANNEL_TYPES[cls.type] = cls
    return cls


def parse_channels(raw: dict[str, Any], path: str) -> dict[str, Channel]:
    """Validate every ``channels:`` entry; the first problem is a one-line ConfigError."""
    out: dict[str, Channel] = {}
    for name, entry in raw.items():
        where = f"{path}: channel {name!r}"
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{path}: channels: names must be non-empty strings")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be a mapping with at least 'type'")
        kind = entry.get("type")
        cls = CHANNEL_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            what = "'type' is required" if kind is None else f"unknown type {kind!r}"
            hint = ""
            if isinstance(kind, str) and kind.lower().replace("-", "").replace(" ", "") in CHAT_SERVICES:
                hint = f"; {kind} is reached with type: apprise and urls_env naming a variable that holds its Apprise URL"
            raise ConfigError(f"{where}: {what} (one of: {', '.join(sorted(CHANNEL_TYPES))}){hint}")
        out[name] = cls(name, entry, where, Path(path).parent)
    return out


# ---------------------------------------------------------------- base

class Channel:
    """One configured destination. Subclasses add their keys and ``send``."""

    type: ClassVar[str] = ""
    keys: ClassVar[frozenset[str]] = frozenset()
    default_timeout: ClassVar[float] = 30.0

    def __init__(self, name: str, entry: dict[str, Any], where: str, base_dir: Path) -> None:
        self.name = name
        self.where = where
        self.base_dir = base_dir
        self._reject_literal_secrets(entry)
        unknown = set(entry) - self.keys - COMMON_KEYS
        if unknown:
            allowed = ", ".join(sorted(self.keys | COMMON_KEYS))
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} for {self._a()} channel (allowed: {allowed})")
        self.max_attempts = self._int(entry, "max_attempts", DEFAULT_MAX_ATTEMPTS, minimum=1)
        self.retry_base = self._seconds(entry, "retry_base", DEFAULT_RETRY_BASE)
        self.retry_max = self._seconds(entry, "retry_max", DEFAULT_RETRY_MAX)
        self.timeout = self._seconds(entry, "timeout", self.default_timeout, allow_zero=False)

    # -- validation helpers: each raises one line naming the file, the channel and the problem

    def _a(self) -> str:
        return ("an " if self.type[:1] in "aeiou" else "a ") + self.type

    def _reject_literal_secrets(self, entry: dict[str, Any]) -> None:
        for key in entry:
            if str(key).lower() in SECRET_KEYS:
                raise ConfigError(f"{self.where}: {key!r} is not allowed: secrets come only from the environment "
                                  f"(use '{key}_env: VARIABLE_NAME')")

    def _str(self, entry: dict[str, Any], key: str, *, required: bool = False) -> str | None:
        value = entry.get(key)
        if value is None:
            if required:
                raise ConfigError(f"{self.where}: {key!r} is required for {self._a()} channel")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            raise ConfigError(f"{self.where}: {key!r} must be a non-empty string")
        return str(value).strip()

    def _env_name(self, entry: dict[str, Any], key: str) -> str | None:
        value = self._str(entry, key)
        if value is not None and not _ENV_NAME.fullmatch(value):
            raise ConfigError(f"{self.where}: {key!r} must name an environment variable (like SMTP_PASSWORD), "
                              f"not hold the secret itself")
        return value

    def _int(self, entry: dict[str, Any], key: str, default: int, *, minimum: int) -> int:
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ConfigError(f"{self.where}: {key!r} must be a whole number >= {minimum}")
        return value

    def _seconds(self, entry: dict[str, Any], key: str, default: float, *, allow_zero: bool = True) -> float:
        """A duration: a number of seconds or '30s', '5m', '1h'; 0 allowed for retry delays (tests)."""
        if key not in entry:
            return default
        value = entry[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and (value > 0 or allow_zero and value == 0):
            return float(value)
        if allow_zero and str(value).strip() == "0":
            return 0.0
        try:
            return float(parse_interval(value))
        except ValueError as exc:
            raise ConfigError(f"{self.where}: {key!r}: {exc}") from None

    def _secret(self, env_name: str | None) -> str | None:
        """The secret's value from the environment, read at send time; a missing one fails the attempt."""
        if env_name is None:
            return None
        value = os.environ.get(env_name)
        if not value:
            raise SendError(f"environment variable {env_name} is not set", retry=True)
        return value

    def secret_envs(self) -> list[str]:
        """Names of the environment variables holding this channel's secrets (for redaction)."""
        return []

    def secret_values(self) -> list[str]:
        """The secret values to mask in any text stored or shown: those variables' values."""
        return [v for v in (os.environ.get(n) for n in self.secret_envs()) if v]

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure: exponential, capped."""
        return min(self.retry_max, self.retry_base * (2 ** max(0, attempts - 1)))

    async def send(self, notice: Notice) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------- shared text helpers

def event_links(row: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, absolute URL) for an event's item: a paper's links by kind, a news item's links."""
    data = row.get("data")
    if isinstance(data, str):
        data = json.loads(data or "{}")
    links = (data or {}).get("links") or {}
    pairs = list(links.items()) if isinstance(links, dict) else [("link", u) for u in links]
    base = safe_url(row.get("source_url"))
    out = []
    for kind, url in pairs:
        # only http(s) links, in any case (``safe``): never javascript:, data: or a path on this machine
        link = safe_url(urljoin(base, url) if base and isinstance(url, str) else url)
        if link:
            out.append((_LINK_LABELS.get(kind, kind), link))
    return out


def _who(notice: Notice) -> str:
    names = notice.sources
    if len(names) == 1:
        return names[0]
    return f"{len(names)} researchers"


def subject(notice: Notice, prefix: str) -> str:
    """'[scholarwatch] Dana Example: 1 new paper, 1 venue update' -- what happened, at a glance."""
    if notice.kind == "test":
        return f"{prefix} test message from channel {notice.channel!r}".strip()
    label = f"{notice.schedule.split()[0]} digest, " if notice.kind == "digest" else ""
    return f"{prefix} {label}{_who(notice)}: {notice.summary}".strip()


def _data(row: dict[str, Any]) -> dict[str, Any]:
    data = row.get("data")
    if isinstance(data, str):
        data = json.loads(data or "{}")
    return data if isinstance(data, dict) else {}


def authors_line(row: dict[str, Any]) -> str | None:
    """'by A, B and C' for a new paper (the first few, then 'et al.'); None for anything else."""
    authors = [a for a in (_data(row).get("authors") or []) if isinstance(a, str) and a.strip()]
    if row.get("type") != "paper_added" or not authors:
        return None
    if len(authors) > MAX_AUTHORS:
        return "by " + ", ".join(authors[:MAX_AUTHORS]) + " et al."
    return "by " + (authors[0] if len(authors) == 1 else ", ".join(authors[:-1]) + " and " + authors[-1])


def describe_entry(entry: dict[str, Any]) -> str:
    """An alert's line for one entry: the event in words, and every page it is on when several are."""
    line = describe_event(entry)
    names = entry.get("sources") or []
    return f"{line} — {pages_of(names)}" if len(names) > 1 else line


def _test_text(notice: Notice) -> str:
    return (f"This is a test message from scholarwatch's channel {notice.channel!r}.\n"
            "If you can read it, alerts will reach you here.")


def text_body(notice: Notice) -> str:
    if notice.kind == "test":
        return f"{_test_text(notice)}\n\n-- \nscholarwatch, delivery {notice.id}\n"
    lines = [f"{notice.summary}.", ""]
    for name, rows in group_by_source(notice.entries):
        url = rows[0].get("source_url") or ""
        heading = name + (f"  <{url}>" if url else "")
        lines += [heading, "-" * len(heading)]
        for row in rows:
            lines.append(f"  - {describe_entry(row)}")
            by = authors_line(row)
            lines += [f"      {by}"] if by else []
            lines += [f"      {label}: {url}" for label, url in event_links(row)]
        lines.append("")
    lines += ["-- ", f"scholarwatch, delivery {notice.id}"]
    return "\n".join(lines) + "\n"


def html_body(notice: Notice) -> str:
    e = html.escape
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"></head>',
             '<body style="font-family: sans-serif; line-height: 1.4">']
    if notice.kind == "test":
        parts.append(f"<p>This is a test message from scholarwatch's channel <b>{e(notice.channel, quote=False)}</b>. "
                     "If you can read it, alerts will reach you here.</p>")
    else:
        parts.append(f"<p><b>{e(notice.summary, quote=False)}</b></p>")
        for name, rows in group_by_source(notice.entries):
            url = safe_url(rows[0].get("source_url"))
            head = f'<a href="{e(url)}">{e(name, quote=False)}</a>' if url else e(name, quote=False)
            parts.append(f"<h2 style=\"font-size: 1.1em\">{head}</h2><ul>")
            for row in rows:
                by = authors_line(row)
                links = " · ".join(f'<a href="{e(u)}">{e(label, quote=False)}</a>' for label, u in event_links(row))
                parts.append(f"<li>{e(describe_entry(row), quote=False)}"
                             + (f"<br><small>{e(by, quote=False)}</small>" if by else "")
                             + (f"<br><small>{links}</small>" if links else "") + "</li>")
            parts.append("</ul>")
    parts.append(f'<p style="color: #777; font-size: small">scholarwatch, delivery {e(notice.id)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# '*' and '_' are left alone: CommonMark keeps a lone or intra-word one literal ("k_NN", "k*-means"),
# and Slack's dialect would show the backslash of an escaped one.
_MARKDOWN_SPECIAL = re.compile(r"([\\`\[\]<>])")


def md(text: str) -> str:
    """Text shown as itself in CommonMark: a title with '[', '<' or '`' stays a title, not a link or code."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _md_url(url: str) -> str:
    """A link destination that no parenthesis or space in the URL can cut short."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def markdown_body(notice: Notice) -> str:
    """The email's message in Markdown, for chat services (Apprise converts it to each one's dialect)."""
    if notice.kind == "test":
        return f"{md(_test_text(notice))}\n\nscholarwatch · delivery {notice.id}\n"
    lines = [f"**{md(notice.summary)}**", ""]
    for name, rows in group_by_source(notice.entries):
        url = safe_url(rows[0].get("source_url"))
        lines += [f"**[{md(name)}]({_md_url(url)})**" if url else f"**{md(name)}**", ""]
        for row in rows:
            lines.append(f"- {md(describe_entry(row))}")
            extra = [md(by)] if (by := authors_line(row)) else []
            extra += [f"[{md(label)}]({_md_url(u)})" for label, u in event_links(row)]
            if extra:
                lines.append("  " + " · ".join(extra))
        lines.append("")
    lines.append(f"scholarwatch · delivery {notice.id}")
    return "\n".join(lines) + "\n"


def plain_text(notice: Notice) -> str:
    """A short plain summary (the subject and one line per entry): the webhook payload's ``text``, which
    Slack-style incoming webhooks (Slack, Mattermost, Rocket.Chat) show as the message."""
    if notice.kind == "test":
        return f"[scholarwatch] test message from channel {notice.channel!r}"
    lines = [subject(notice, "[scholarwatch]")]
    entries = sorted(notice.entries, key=lambda r: (r["source"], r.get("id") or 0))
    for row in entries[:MAX_TEXT_LINES]:
        who = "" if len(row.get("sources") or []) > 1 else f"{row['source']}: "
        lines.append(f"• {who}{describe_entry(row)}")
    if len(entries) > MAX_TEXT_LINES:
        lines.append(f"… and {len(entries) - MAX_TEXT_LINES} more")
    return "\n".join(lines)


def message_id(delivery_id: str) -> str:
    """The email Message-ID: a pure function of the delivery id, so a re-send is recognisably the same."""
    return f"<{delivery_id}@scholarwatch>"


def payload(notice: Notice) -> dict[str, Any]:
    """The documented webhook body, version 1."""
    return {
        "version": PAYLOAD_VERSION,
        "id": notice.id,
        "created_at": notice.created_at,
        "channel": notice.channel,
        "kind": notice.kind,
        "schedule": notice.schedule,
        "summary": notice.summary,
        "text": plain_text(notice),
        "sources": [{"name": name, "url": rows[0].get("source_url")} for name, rows in group_by_source(notice.rows)],
        "events": [entry_json(r) for r in sorted(notice.entries, key=lambda r: (r["source"], r["id"]))],
    }


def entry_json(entry: dict[str, Any]) -> dict[str, Any]:
    """One event of the payload: its documented shape, the pages it is on (``sources``, the first being
    ``source``'s when it is the only one) and the events it stands for (``ids``)."""
    out = event_json(entry)
    out["sources"] = list(entry.get("sources") or [entry["source"]])
    out["ids"] = list(entry.get("ids") or [entry.get("id")])
    return out


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The signature header value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# ---------------------------------------------------------------- email

@register
class EmailChannel(Channel):
    type = "email"
    keys = frozenset({"host", "port", "security", "username", "password_env", "from", "to", "subject_prefix",
                      "ca_file"})
    securities = {"none": 25, "starttls": 587, "tls": 465}

    def __init__(self, name: str, entry: dict[str, Any], where: str, base_dir: Path) -> None:
        super().__init__(name, entry, where, base_dir)
        self.host = self._str(entry, "host", required=True)
        self.security = str(entry.get("security", "starttls")).lower()
        if self.security not in self.securities:
            raise ConfigError(f"{where}: bad security {entry.get('security')!r} (one of: none, starttls, tls)")
        self.port = self._int(entry, "port", self.securities[self.security], minimum=1)
        self.username = self._str(entry, "username")
        self.password_env = self._env_name(entry, "password_env")
        if self.username and not self.password_env:
            raise ConfigError(f"{where}: 'username' needs 'password_env' (the environment variable with the password)")
        self.sender = self._str(entry, "from", required=True)
        to = entry.get("to")
        to = [to] if isinstance(to, str) else to
        if not to or not isinstance(to, list) or not all(isinstance(a, str) and "@" in a for a in to):
            raise ConfigError(f"{where}: 'to' must be an address or a list of addresses")
        self.to = [a.strip() for a in to]
        if "@" not in (self.sender or ""):
            raise ConfigError(f"{where}: 'from' must be an email address")
        self.prefix = str(entry.get("subject_prefix", "[scholarwatch]"))
        ca = self._str(entry, "ca_file")
        self.ca_file = str(base_dir / ca) if ca else None
        if self.ca_file and not Path(self.ca_file).is_file():
            raise ConfigError(f"{where}: ca_file {ca!r}: no such file")

    def secret_envs(self) -> list[str]:
        return [self.password_env] if self.password_env else []

    def build(self, notice: Notice) -> EmailMessage:
        """The multipart/alternative message; every header is a function of the stored delivery."""
        msg = EmailMessage(policy=SMTP_POLICY)
        msg["Subject"] = subject(notice, self.prefix)
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = email.utils.format_datetime(dt.datetime.fromisoformat(notice.created_at))
        msg["Message-ID"] = message_id(notice.id)
        msg["X-Scholarwatch-Delivery"] = notice.id
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the monitor
        msg.set_content(text_body(notice), cte="quoted-printable")
        msg.add_alternative(html_body(notice), subtype="html", cte="quoted-printable")
        msg.set_boundary(f"==scholarwatch-{notice.id}")
        return msg

    async def send(self, notice: Notice) -> str:
        password = self._secret(self.password_env)
        data = self.build(notice).as_bytes(policy=WIRE_POLICY)
        try:
            return await asyncio.to_thread(self._smtp, data, password)
        except SendError:
            raise
        except Exception as exc:  # every smtplib/socket/ssl problem becomes one classified line
            raise _smtp_error(exc, f"{self.host}:{self.port}") from None

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def _smtp(self, data: bytes, password: str | None) -> str:
        """One SMTP session (blocking; runs in a thread). Returns the server's answer to DATA."""
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.security == "starttls":
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, password or "")
            return _transmit(smtp, self.sender or "", self.to, data)
        finally:
            try:
                smtp.quit()  # the message is already accepted; a failing QUIT changes nothing
            except Exception:
                smtp.close()


def _transmit(smtp: smtplib.SMTP, sender: str, to: list[str], data: bytes) -> str:
    """MAIL, RCPT, DATA by hand (what sendmail does) to keep the server's final answer."""
    code, resp = smtp.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, resp, sender)
    refused = {}
    for rcpt in to:
        code, resp = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused[rcpt] = (code, resp)
    if len(refused) == len(to):
        smtp.rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, resp = smtp.data(data)
    if code != 250:
        raise smtplib.SMTPDataError(code, resp)
    answer = f"{code} {resp.decode(errors='replace')}"
    if refused:
        answer += "; refused: " + ", ".join(f"{a} ({c})" for a, (c, _) in refused.items())
    return answer


def _smtp_error(exc: Exception, where: str) -> SendError:
    """Permanent (5xx answers, bad certificates, missing STARTTLS/AUTH) vs. worth retrying (the rest)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        text = ", ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in exc.recipients.items())
        return SendError(f"recipients refused: {text}", retry=not all(500 <= c < 600 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        message = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        label = "login refused" if isinstance(exc, smtplib.SMTPAuthenticationError) else "server said"
        return SendError(f"{label}: {exc.smtp_code} {' '.join(message.split())}", retry=not 500 <= exc.smtp_code < 600)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return SendError(f"{where}: {exc}", retry=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return SendError(f"{where}: certificate not trusted: {exc.verify_message}", retry=False)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return SendError(f"{where}: timed out", retry=True)
    if isinstance(exc, OSError) and exc.strerror:
        return SendError(f"cannot connect to {where}: {exc.strerror}", retry=True)
    return SendError(f"{where}: {type(exc).__name__}: {exc}", retry=True)


# ---------------------------------------------------------------- webhook

@register
class WebhookChannel(Channel):
    type = "webhook"
    keys = frozenset({"url", "url_env", "secret_env"})
    default_timeout = 15.0

    def __init__(self, name: str, entry: dict[str, Any], where: str, base_dir: Path) -> None:
        super().__init__(name, entry, where, base_dir)
        self.url = self._str(entry, "url")
        self.url_env = self._env_name(entry, "url_env")
        if (self.url is None) == (self.url_env is None):
            raise ConfigError(f"{where}: give exactly one of 'url' (an http(s) URL) or 'url_env' for a webhook channel")
        if self.url is not None:
            parsed = urlparse(self.url)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"{where}: bad url {self.url!r} (an http or https URL)")
        self.secret_env = self._env_name(entry, "secret_env")

    def secret_envs(self) -> list[str]:
        return [n for n in (self.url_env, self.secret_env) if n]

    def _target(self) -> tuple[str, str]:
        """The URL to post to and how to name it in messages (never a URL that came from a secret)."""
        if self.url is not None:  # host and port only: user info or a token in the path stay out of logs
            parts = urlparse(self.url)
            return self.url, f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        url = self._secret(self.url_env) or ""
        return url, f"${self.url_env}"

    def request(self, notice: Notice, now: float | None = None) -> tuple[bytes, dict[str, str]]:
        """The body and headers; the body is the same on every attempt, the signature is fresh."""
        body = json.dumps(payload(notice), ensure_ascii=False, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json", "User-Agent": f"scholarwatch/{__version__}",
                   "Idempotency-Key": notice.id}
        secret = self._secret(self.secret_env)
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, body, int(now if now is not None else time.time()))
        return body, headers

    async def send(self, notice: Notice) -> str:
        url, label = self._target()
        body, headers = self.request(notice)
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                resp = await client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise SendError(f"{label}: timed out", retry=True) from None
        except httpx.HTTPError as exc:
            raise SendError(f"cannot reach {label}: {_cause(exc)}", retry=True) from None
        answer = f"HTTP {resp.status_code} {resp.reason_phrase}".strip()
        snippet = " ".join(resp.text[:200].split())
        if 200 <= resp.status_code < 300:
            return answer + (f": {snippet}" if snippet else "")
        detail = f"{label}: {answer}" + (f": {snippet}" if snippet else "")
        if resp.status_code == 429 or resp.status_code >= 500:
            raise SendError(detail, retry=True, retry_after=retry_after(resp.headers.get("Retry-After")))
        raise SendError(detail, retry=False)


def _cause(exc: BaseException) -> str:
    inner = exc.__cause__ or exc.__context__
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    return str(exc) or type(exc).__name__




# ---------------------------------------------------------------- apprise: chat and push services

# Apprise's services report a refused request as "... error=<HTTP status>." in their log lines. A 4xx
# answer other than these says the URL, the token or the message is wrong: trying again cannot help.
_APPRISE_STATUS = re.compile(r"\berror=(\d{3})\b")
RETRYABLE_4XX = frozenset({408, 425, 429})
# One variable may hold several URLs: separated by white space, or by commas before the next scheme.
_URL_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]*://)")
_URL_PARTS = re.compile(r"[/:@?&=#,;]+")


@register
class AppriseChannel(Channel):
    """Slack, Discord, Teams, Matrix, Telegram, ntfy and the other services Apprise speaks to, by URL.

    An Apprise URL carries its service's token, so the URLs come only from the environment
    (``urls_env``). The message is the email's, in Markdown, which Apprise turns into each service's
    dialect; a message too long for a service is split rather than refused. Apprise gives no message
    ids, so a delivery is sent at least once: a crash between a service's acceptance and its record
    sends it again, recognisable by the delivery id on its last line. With several URLs, a retry goes
    only to the URLs that have not accepted the delivery yet (``Notice.reached``).
    """

    type = "apprise"
    keys = frozenset({"urls_env", "title_prefix"})
    default_timeout = 30.0

    def __init__(self, name: str, entry: dict[str, Any], where: str, base_dir: Path) -> None:
        super().__init__(name, entry, where, base_dir)
        raw = entry.get("urls_env")
        names = [raw] if isinstance(raw, str) else raw
        if not names or not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"{where}: 'urls_env' is required for an apprise channel: the name of the environment "
                              f"variable that holds its Apprise URLs (or a list of names)")
        for value in names:
            if not _ENV_NAME.fullmatch(value.strip()):
                raise ConfigError(f"{where}: 'urls_env' must name environment variables (like LAB_SLACK_URL), "
                                  f"not hold the URLs themselves")
        self.urls_env = tuple(dict.fromkeys(n.strip() for n in names))
        self.prefix = str(entry.get("title_prefix", "[scholarwatch]"))

    def _reject_literal_secrets(self, entry: dict[str, Any]) -> None:
        super()._reject_literal_secrets(entry)
        for key in ("url", "urls"):
            if key in entry:
                raise ConfigError(f"{self.where}: {key!r} is not allowed: an Apprise URL carries its service's token, "
                                  f"so it comes from the environment (use 'urls_env: VARIABLE_NAME')")

    def secret_envs(self) -> list[str]:
        return list(self.urls_env)

    def secret_values(self) -> list[str]:
        """The variables' values, and each URL's token-like parts, which a service's error may quote alone."""
        values = super().secret_values()
        return values + [part for value in values for url in split_urls(value) for part in url_secrets(url)]

    def targets(self) -> list[tuple[str, str, str]]:
        """(fingerprint, URL, label) of each URL, read from the environment now; the label names no secret."""
        out: dict[str, tuple[str, str, str]] = {}
        for env in self.urls_env:
            urls = split_urls(self._secret(env) or "")
            if not urls:
                raise SendError(f"environment variable {env} holds no URL", retry=True)
            for i, url in enumerate(urls, 1):
                label = f"${env}" + (f" #{i}" if len(urls) > 1 else "")
                out.setdefault(fingerprint(url), (fingerprint(url), url, label))
        return list(out.values())

    async def send(self, notice: Notice) -> str:
        message = Message(subject(notice, self.prefix), markdown_body(notice), text_body(notice))
        answers, errors, reached, retry = [], [], [], False
        for key, url, label in self.targets():
            if key in notice.reached:
                continue
            try:
                service = await asyncio.to_thread(apprise_notify, url, message, self.timeout)
            except SendError as exc:
                errors.append(f"{label}: {exc}")
                retry = retry or exc.retry
                continue
            reached.append(key)
            answers.append(f"{label}: accepted by {service}")
        if errors:
            raise SendError("; ".join(errors), retry=retry, reached=reached)
        return "; ".join(answers) or "every URL had accepted it already"


def split_urls(value: str) -> list[str]:
    return [u for u in _URL_SEPARATOR.split(value.strip()) if u]


def fingerprint(url: str) -> str:
    """What the outbox keeps of a URL that accepted a delivery: a hash, never the URL and its token."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that may be a token or a password (long, or with digits), for masking."""
    rest = url.split("://", 1)[-1]
    host = urlparse(url).hostname if "@" in rest.split("/", 1)[0] else None
    return [p for p in _URL_PARTS.split(rest)
            if p != host and (len(p) >= 16 or (len(p) >= 8 and any(c.isdigit() for c in p)))]


def _mask(text: str, url: str) -> str:
    for part in sorted([url, *url_secrets(url)], key=len, reverse=True):
        text = text.replace(part, "***")
    return text


class _MaskSecrets(logging.Filter):
    """Masks the URLs Apprise was given, and their token-like parts, in its log records before any
    handler sees them: some of its services log a token in full when they refuse it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = text
        for part in sorted(self.secrets, key=len, reverse=True):
            masked = masked.replace(part, "***")
        if masked != text:
            record.msg, record.args = masked, ()
        return True


_APPRISE_LOG_MASK = _MaskSecrets()


@lru_cache(maxsize=1)
def _apprise_asset() -> Any:
    """Apprise, imported on first use (it loads every service's plugin), with nothing kept on disk.

    Its log lines reach the user through ``SendError``; they stay out of the monitor's own log, and
    are masked (``_MaskSecrets``) for any handler that reads them anyway."""
    import apprise

    logger = logging.getLogger(apprise.logger.name)
    logger.propagate = False
    logger.addFilter(_APPRISE_LOG_MASK)
    return apprise.AppriseAsset(storage_mode="memory")


@dataclass(frozen=True)
class Message:
    """One alert for chat services: a title, and the body in Markdown and in plain text."""

    title: str
    markdown: str
    text: str


def apprise_notify(url: str, message: Message, timeout: float) -> str:
    """Send one message to one Apprise URL (blocking; runs in a thread); the service's name, or SendError.

    A service that takes Markdown or HTML gets the Markdown body (Apprise converts it to the service's
    dialect); a text-only one gets the email's plain text, which reads well as is. A message longer than
    the service allows is split into several rather than refused."""
    import apprise

    asset = _apprise_asset()
    _APPRISE_LOG_MASK.secrets.update([url, *url_secrets(url)])
    plugin = apprise.Apprise.instantiate(url, asset=asset)
    if plugin is None:
        scheme = url.split("://", 1)[0] if "://" in url else url[:12]
        raise SendError(f"not a URL Apprise can send to (scheme {_mask(scheme, url)!r}; "
                        f"see https://github.com/caronc/apprise/wiki)", retry=False)
    formats = plugin.notify_format if isinstance(plugin.notify_format, tuple) else (plugin.notify_format,)
    rich = apprise.NotifyFormat.MARKDOWN in formats or apprise.NotifyFormat.HTML in formats
    body = message.markdown if rich else message.text
    if "overflow=" not in url and len(message.title) + len(body) + 16 > plugin.body_maxlen:
        plugin.overflow_mode = apprise.OverflowMode.SPLIT
    service = str(plugin.service_name)
    sender = apprise.Apprise(asset=asset)
    sender.add(plugin)
    result = sender.notify(body=body, title=message.title, timeout=timeout,
                           body_format=apprise.NotifyFormat.MARKDOWN if rich else apprise.NotifyFormat.TEXT)
    if result:
        return service
    said = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL")]
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        raise SendError(f"{service}: timed out after {timeout:g}s", retry=True)
    codes = [int(c) for line in said for c in _APPRISE_STATUS.findall(line)]
    permanent = bool(codes) and all(400 <= c < 500 and c not in RETRYABLE_4XX for c in codes)
    detail = " ".join(said[-1].split()) if said else "not accepted"
    raise SendError(f"{service}: {_mask(detail, url)}", retry=not permanent)
