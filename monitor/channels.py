"""Where notices go: a small registry of channel types (email, webhook), like urlwatch's reporters.

A channel type is a class with a ``type`` name, the settings keys it accepts, a constructor that
validates one ``channels:`` entry (raising a one-line ``ConfigError``) and ``async send(notice)``
that returns the server's answer or raises ``SendError`` saying whether a retry may help.
Channels never store secrets: they keep the *name* of an environment variable and read its value
at send time, so a secret is in the process environment only, never in the file or the database.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import hashlib
import hmac
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlparse

from . import __version__
from .config import parse_interval
from .errors import ConfigError, DeliveryError
from .report import describe_event, event_json, group_by_source, summary_line
from .safe import safe_url

if TYPE_CHECKING:  # the mail modules load only when a mail is sent
    import smtplib
    import ssl

PAYLOAD_VERSION = 1
SIGNATURE_HEADER = "X-Scholarwatch-Signature"
SECRET_KEYS = ("password", "secret", "token", "api_key", "apikey", "pass")
COMMON_KEYS = frozenset({"type", "max_attempts", "retry_base", "retry_max", "timeout"})
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BASE = 300.0  # 5 min, doubling: 8 attempts span about 10 hours of outage
DEFAULT_RETRY_MAX = 6 * 3600.0
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINK_LABELS = {"arxiv": "arXiv", "pdf": "PDF", "code": "code", "doi": "DOI", "project": "project", "other": "link"}
# Quoted-printable bodies and CRLF lines: any SMTP server takes them, 8BITMIME or not. Headers are
# written unfolded up to RFC 5322's 998: CPython's folder may otherwise move a whole subject to a
# continuation line, which some readers show with a leading space.
SMTP_POLICY = email.policy.SMTP
WIRE_POLICY = email.policy.SMTP.clone(max_line_length=998)


class SendError(DeliveryError):
    """One failed attempt; ``retry`` says whether trying again later may succeed."""

    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


@dataclass
class Notice:
    """What one delivery says; built from stored rows so every attempt carries the same content."""

    id: str
    channel: str
    kind: str  # immediate | digest | test
    schedule: str
    created_at: str
    rows: list[dict[str, Any]] = field(default_factory=list)  # events with source and source_url

    @property
    def summary(self) -> str:
        return "test message" if self.kind == "test" else summary_line(self.rows)

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
            raise ConfigError(f"{where}: {what} (one of: {', '.join(sorted(CHANNEL_TYPES))})")
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


def text_body(notice: Notice) -> str:
    if notice.kind == "test":
        return (f"This is a test message from scholarwatch's channel {notice.channel!r}.\n"
                f"If you can read it, alerts will reach you here.\n\n-- \nscholarwatch, delivery {notice.id}\n")
    lines = [f"{notice.summary}.", ""]
    for name, rows in group_by_source(notice.rows):
        url = rows[0].get("source_url") or ""
        heading = name + (f"  <{url}>" if url else "")
        lines += [heading, "-" * len(heading)]
        for row in rows:
            lines.append(f"  - {describe_event(row)}")
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
        for name, rows in group_by_source(notice.rows):
            url = safe_url(rows[0].get("source_url"))
            head = f'<a href="{e(url)}">{e(name, quote=False)}</a>' if url else e(name, quote=False)
            parts.append(f"<h2 style=\"font-size: 1.1em\">{head}</h2><ul>")
            for row in rows:
                links = " · ".join(f'<a href="{e(u)}">{e(label, quote=False)}</a>' for label, u in event_links(row))
                parts.append(f"<li>{e(describe_event(row), quote=False)}" + (f"<br><small>{links}</small>" if links else "")
                             + "</li>")
            parts.append("</ul>")
    parts.append(f'<p style="color: #777; font-size: small">scholarwatch, delivery {e(notice.id)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


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
        "sources": [{"name": name, "url": rows[0].get("source_url")} for name, rows in group_by_source(notice.rows)],
        "events": [event_json(r) for r in sorted(notice.rows, key=lambda r: (r["source"], r["id"]))],
    }


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
        import asyncio

        data = self.build(notice).as_bytes(policy=WIRE_POLICY)
        try:
            return await asyncio.to_thread(self._smtp, data, password)
        except SendError:
            raise
        except Exception as exc:  # every smtplib/socket/ssl problem becomes one classified line
            raise _smtp_error(exc, f"{self.host}:{self.port}") from None

    def _context(self) -> ssl.SSLContext:
        import ssl

        return ssl.create_default_context(cafile=self.ca_file)

    def _smtp(self, data: bytes, password: str | None) -> str:
        """One SMTP session (blocking; runs in a thread). Returns the server's answer to DATA."""
        import smtplib

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
    import smtplib

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
    import smtplib
    import socket
    import ssl

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
        import httpx  # only when a webhook is sent: reading the configuration must not load the HTTP stack

        from .fetch import retry_after

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


