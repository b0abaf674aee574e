"""Local stand-ins for chat services, each checking a request the way the real service does.

Everything listens on 127.0.0.1. Services that can be given any host (ntfy, Mattermost, Rocket.Chat,
Gotify, Matrix, Apprise's json:// and form://) are addressed directly. Services whose host is fixed
in Apprise (Slack at hooks.slack.com, Discord at discord.com, Telegram at api.telegram.org, Teams
workflows at *.logic.azure.com) are reached through ``Proxy``: an HTTPS proxy on 127.0.0.1 that
answers every CONNECT itself, with a certificate made for those names, and never opens a connection
anywhere else; the test points ``HTTPS_PROXY`` and ``REQUESTS_CA_BUNDLE`` at it.

Each service records what it received (``requests``) and what it accepted (``accepted``), and can
be told to answer with given statuses first (``plan``), like a service having a bad minute.
"""

from __future__ import annotations

import http.server
import json
import re
import socketserver
import ssl
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

PROXIED_HOSTS = ("hooks.slack.com", "discord.com", "api.telegram.org", "prod-00.westus.logic.azure.com", "ntfy.sh")


@dataclass
class Request:
    method: str
    host: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def url(self):
        return urlsplit(self.path)

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


Answer = tuple[int, Any]  # status, and a body: dict/list (JSON) or str (text)


@dataclass
class Service:
    """One service: ``check`` answers a request as the real one would."""

    name: str
    check: Callable[[Request], Answer]
    requests: list[Request] = field(default_factory=list)
    accepted: list[Request] = field(default_factory=list)
    plan: list[int] = field(default_factory=list)  # statuses to answer first, whatever the request

    def answer(self, req: Request) -> Answer:
        self.requests.append(req)
        if self.plan:
            status = self.plan.pop(0)
            return status, {"error": "the service is having a bad minute"}
        status, body = self.check(req)
        if 200 <= status < 300:
            self.accepted.append(req)
        return status, body

    def messages(self) -> list[str]:
        """The text of every accepted message (what a person would read), by service."""
        return [message_text(self.name, r) for r in self.accepted if message_text(self.name, r) is not None]


def message_text(name: str, req: Request) -> str | None:
    if name in ("slack",):
        data = req.json()
        parts = [data.get("text") or ""] + [a.get("title", "") + "\n" + a.get("text", "") for a in
                                            data.get("attachments") or []]
        return "\n".join(p for p in parts if p)
    if name == "discord":
        data = req.json()
        return (data.get("content") or "") + "".join(e.get("description", "") for e in data.get("embeds") or [])
    if name == "telegram":
        return req.json()["text"]
    if name == "teams":
        card = req.json()["attachments"][0]["content"]
        return "\n".join(_card_texts(card["body"]))
    if name in ("ntfy", "ntfy.sh", "gotify"):
        data = req.json()
        return f"{data.get('title', '')}\n{data['message']}"
    if name in ("mattermost", "rocketchat"):
        return req.json()["text"]
    if name == "matrix":
        return req.json()["body"] if "/send/" in req.path else None
    if name == "json":
        data = req.json()
        return f"{data['title']}\n{data['message']}"
    if name == "form":
        data = req.form()
        return f"{data['title']}\n{data['message']}"
    raise AssertionError(name)


def _card_texts(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        if item.get("text"):
            yield item["text"]
        yield from _card_texts(item.get("items") or [])
        for column in item.get("columns") or []:
            yield from _card_texts(column.get("items") or [])


# ---------------------------------------------------------------- what each service accepts

def _json(req: Request) -> Any:
    try:
        return req.json()
    except ValueError:
        return None


def slack(req: Request) -> Answer:
    """An incoming webhook: https://api.slack.com/messaging/webhooks (errors are plain-text codes)."""
    if not re.fullmatch(r"/services/T\w+/B\w+/\w+", req.url.path):
        return 404, "no_service"
    data = _json(req)
    if not isinstance(data, dict):
        return 400, "invalid_payload"
    text = data.get("text")
    attachments = data.get("attachments") or []
    if not (text or data.get("blocks") or any(a.get("text") or a.get("fallback") for a in attachments)):
        return 400, "no_text"
    if len(text or "") > 40000:
        return 400, "msg_too_long"
    return 200, "ok"


def discord(req: Request) -> Answer:
    """A webhook execution: content up to 2000 characters, or embeds."""
    if not re.fullmatch(r"/api/webhooks/\d+/[\w-]+", req.url.path):
        return 404, {"message": "Unknown Webhook", "code": 10015}
    data = _json(req)
    if not isinstance(data, dict):
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    content, embeds = data.get("content") or "", data.get("embeds") or []
    if not content.strip() and not embeds:
        return 400, {"message": "Cannot send an empty message", "code": 50006}
    if len(content) > 2000:
        return 400, {"content": ["Must be 2000 or fewer in length."]}
    if any(len(e.get("description") or "") > 4096 for e in embeds):
        return 400, {"embeds": ["Must be 4096 or fewer in length."]}
    if "wait=true" in (req.url.query or "") or data.get("wait"):
        return 200, {"id": "1", "content": content, "channel_id": "2"}
    return 204, ""


def telegram(req: Request) -> Answer:
    """Bot API sendMessage: a chat, a non-empty text of at most 4096 characters, parseable entities."""
    m = re.fullmatch(r"/bot(\d+:[\w-]+)/(\w+)", req.url.path)
    if not m:
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
    if m.group(2) != "sendMessage":
        return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: method {m.group(2)} not expected"}
    data = _json(req) or {}
    if not data.get("chat_id"):
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
    text = data.get("text") or ""
    if not text.strip():
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
    if len(text) > 4096:
        return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
    mode = str(data.get("parse_mode") or "").lower()
    problem = _legacy_markdown_problem(text) if mode == "markdown" else _html_problem(text) if mode == "html" else None
    if problem:
        return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {problem}"}
    return 200, {"ok": True, "result": {"message_id": 1, "chat": {"id": data["chat_id"]}, "text": text}}


def _legacy_markdown_problem(text: str) -> str | None:
    """Telegram's legacy Markdown: *bold*, _italic_, `code`, [label](url); '\\' escapes _ * ` [."""
    open_mark, i = None, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in "_*`[":
            i += 2
            continue
        if c in "*_`":
            open_mark = None if open_mark == c else (c if open_mark is None else open_mark)
        elif c == "[" and open_mark is None:
            m = re.match(r"\[[^\]]*\]\([^)]*\)", text[i:])
            if not m:
                return f"can't find end of the entity starting at byte offset {i}"
            i += m.end()
            continue
        i += 1
    return f"can't find end of the entity {open_mark!r}" if open_mark else None


def _html_problem(text: str) -> str | None:
    allowed = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span", "tg-spoiler",
               "blockquote", "tg-emoji"}
    for tag in re.findall(r"</?([a-zA-Z-]+)", text):
        if tag.lower() not in allowed:
            return f"unsupported start tag \"{tag}\""
    return None


def teams(req: Request) -> Answer:
    """A Teams workflow (Power Automate) trigger: an Adaptive Card in a message; 202 Accepted."""
    if not req.url.path.startswith("/workflows/") or "sig=" not in (req.url.query or ""):
        return 401, {"error": {"code": "DirectApiAuthorizationRequired"}}
    data = _json(req)
    try:
        [attachment] = data["attachments"]
        card = attachment["content"]
        ok = (attachment["contentType"] == "application/vnd.microsoft.card.adaptive" and card["type"] == "AdaptiveCard"
              and any(_card_texts(card["body"])))
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        return 400, {"error": {"code": "InvalidRequestContent", "message": "no Adaptive Card in the message"}}
    return 202, ""


def ntfy(req: Request) -> Answer:
    """Publishing as JSON to the server root: a valid topic and a message."""
    data = _json(req)
    if req.url.path != "/" or not isinstance(data, dict):
        return 400, {"code": 40001, "http": 400, "error": "invalid request: expected JSON at /"}
    if not re.fullmatch(r"[-_A-Za-z0-9]{1,64}", str(data.get("topic") or "")):
        return 400, {"code": 40009, "http": 400, "error": "invalid request: topic invalid"}
    return 200, {"id": "hwQ2YpKdmg", "time": 1700000000, "event": "message", "topic": data["topic"],
                 "message": data.get("message") or "triggered"}


def mattermost(req: Request) -> Answer:
    """An incoming webhook (Slack-compatible): text or attachments; 200 'ok'."""
    if not re.fullmatch(r"/hooks/[a-z0-9]{26}", req.url.path):
        return 400, {"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.", "status_code": 400}
    data = _json(req)
    if not isinstance(data, dict) or not (data.get("text") or data.get("attachments")):
        return 400, {"id": "web.incoming_webhook.text.app_error", "message": "No text specified.", "status_code": 400}
    return 200, "ok"


def rocketchat(req: Request) -> Answer:
    """An integration webhook: /hooks/<id>/<token>, JSON with text."""
    if not re.fullmatch(r"/hooks/\w+/\w+", req.url.path):
        return 404, {"success": False, "error": "Invalid integration id or token provided."}
    data = _json(req)
    if not isinstance(data, dict) or not (data.get("text") or data.get("attachments")):
        return 400, {"success": False, "error": "text or attachments required"}
    return 200, {"success": True}


GOTIFY_TOKEN = "AppTokenQ7x9"


def gotify(req: Request) -> Answer:
    """POST /message with an application token; message is required."""
    token = req.headers.get("x-gotify-key") or parse_qs(req.url.query).get("token", [""])[0]
    if token != GOTIFY_TOKEN:
        return 401, {"error": "Unauthorized", "errorCode": 401,
                     "errorDescription": "you need to provide a valid access token or user credentials to access this api"}
    data = _json(req)
    if req.url.path != "/message" or not isinstance(data, dict) or not data.get("message"):
        return 400, {"error": "Bad Request", "errorCode": 400, "errorDescription": "Field 'message' is required"}
    return 200, {"id": 1, "appid": 1, "message": data["message"], "title": data.get("title", "")}


MATRIX_USER, MATRIX_PASSWORD, MATRIX_TOKEN = "labbot", "MatrixPw-55x1", "syt_bGFiYm90_token"


def matrix(req: Request) -> Answer:
    """A homeserver's client-server API: password login, joining a room by alias, sending m.room.message."""
    path = unquote(req.url.path)
    if path == "/_matrix/client/v3/login":
        data = _json(req) or {}
        user = (data.get("identifier") or {}).get("user") or data.get("user")
        if (user, data.get("password")) != (MATRIX_USER, MATRIX_PASSWORD):
            return 403, {"errcode": "M_FORBIDDEN", "error": "Invalid username or password"}
        return 200, {"access_token": MATRIX_TOKEN, "user_id": f"@{MATRIX_USER}:localhost", "device_id": "DEV"}
    if req.headers.get("authorization") != f"Bearer {MATRIX_TOKEN}":
        return 401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Unrecognised access token"}
    if path.startswith("/_matrix/client/v3/join/#"):
        return 200, {"room_id": "!lab:localhost"}
    m = re.fullmatch(r"/_matrix/client/v3/rooms/(![^/]+)/send/m\.room\.message/[^/]+", path)
    if m and req.method == "PUT":
        data = _json(req) or {}
        if m.group(1) != "!lab:localhost":
            return 403, {"errcode": "M_FORBIDDEN", "error": "not in the room"}
        if data.get("msgtype") not in ("m.text", "m.notice") or not data.get("body"):
            return 400, {"errcode": "M_BAD_JSON", "error": "msgtype and body are required"}
        return 200, {"event_id": "$abc:localhost"}
    if path == "/_matrix/client/v3/logout":
        return 200, {}
    return 404, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"}


def generic_json(req: Request) -> Answer:
    """Apprise's json:// at a receiver of one's own: JSON with a message."""
    data = _json(req)
    if not isinstance(data, dict) or "message" not in data:
        return 400, "a JSON object with a message is expected"
    return 200, {"ok": True}


def generic_form(req: Request) -> Answer:
    """Apprise's form:// at a receiver of one's own: a urlencoded form with a message."""
    if not req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return 415, "a form is expected"
    return (200, "received") if "message" in req.form() else (400, "message missing")


CHECKS: dict[str, Callable[[Request], Answer]] = {
    "slack": slack, "discord": discord, "telegram": telegram, "teams": teams, "ntfy": ntfy, "mattermost": mattermost,
    "rocketchat": rocketchat, "gotify": gotify, "matrix": matrix, "json": generic_json, "form": generic_form}


# ---------------------------------------------------------------- serving

def _handler(route: Callable[[str, str], Service | None]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            host = (self.headers.get("Host") or "").split(":")[0]
            req = Request(self.command, host, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            service = route(host, self.path)
            status, reply = (404, "no such service") if service is None else service.answer(req)
            data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(reply, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = do_GET = _serve

    return Handler


@contextmanager
def serve(service: Service) -> Iterator[int]:
    """One service on 127.0.0.1 (an ephemeral port) for the duration of a test."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(lambda host, path: service))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the proxied services' host names (the test's CA bundle)."""
    names = ",".join(f"DNS:{h}" for h in PROXIED_HOSTS)
    cert, key = folder / "services.pem", folder / "services.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=local chat services",
                    "-addext", f"subjectAltName={names}"], check=True, capture_output=True)
    return cert, key


class Proxy:
    """An HTTPS proxy on 127.0.0.1 that is itself the far end: it answers CONNECT for the known hosts,
    speaks TLS with the test certificate and hands each request to that host's Service. A CONNECT to
    any other host is refused, so no request ever leaves the machine."""

    def __init__(self, cert: Path, key: Path, services: dict[str, Service]) -> None:
        self.services = services  # host -> Service
        self.connects: list[str] = []
        self.refused: list[str] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        handler = _handler(lambda host, path: self.services.get(host))
        proxy = self

        class Tunnel(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                target = line[1] if len(line) > 1 and line[0] == "CONNECT" else ""
                host = target.rsplit(":", 1)[0]
                if host not in proxy.services:
                    proxy.refused.append(target or " ".join(line))
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                proxy.connects.append(target)
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                try:
                    tls = context.wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    return
                handler(tls, self.client_address, self.server)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Tunnel)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
