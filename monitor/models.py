"""The domain, as plain dataclasses that every stage of the pipeline passes along.

``sources -> fetch -> extract -> store -> diff -> notify``: each stage takes and returns these,
so each stage can be tested without the others.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any, Callable

EVENT_TYPES = (
    "paper_added",
    "paper_removed",
    "paper_updated",
    "news_added",
    "news_removed",
    "announcement",
    "announcement_removed",
    "profile_changed",
    "source_failing",
    "source_recovered",
)
# Events a person wants to be told about; the rest are recorded but not alerted. A source that keeps
# failing is one: silence would look like "nothing new".
ALERT_TYPES = frozenset({"paper_added", "paper_updated", "news_added", "announcement", "source_failing",
                         "source_recovered"})


@dataclass(frozen=True)
class FailingAfter:
    """When a run of failed checks becomes ``source_failing``: after so many checks, or so long."""

    checks: int | None = 3
    seconds: int | None = None

    def describe(self) -> str:
        if self.seconds is not None:
            return f"failing for {self.seconds}s"
        return f"{self.checks} failed check{'s' if self.checks != 1 else ''} in a row"


@dataclass
class Source:
    """One researcher's homepage as configured in ``sources.yaml``."""

    name: str
    url: str
    every: int = 12 * 3600  # seconds between checks (the daemon's interval)
    cron: str | None = None
    format: str = "auto"  # auto | html | markdown | text
    tags: list[str] = field(default_factory=list)
    selectors: dict[str, str] = field(default_factory=dict)  # per-source overrides: publications, news
    failing_after: FailingAfter = field(default_factory=FailingAfter)  # when failures are alerted
    headers_env: dict[str, str] = field(default_factory=dict)  # request header -> NAME of an environment variable
    follow: str = "auto"  # auto: also read the pages the homepage links to as its publications or news; none
    pages: list[str] = field(default_factory=list)  # pages read with the homepage, named in sources.yaml (no discovery)
    enabled: bool = True  # False: paused, listed but never checked by `run` or the daemon

    def __reduce__(self) -> tuple[type[Source], tuple[Any, ...]]:
        """Pickled as its field values, unpickled by ``__init__``: the parse of a long sources file is kept
        pickled (``sources.load_config``), and 10,000 sources load in half the time of a pickled ``__dict__``."""
        return Source, tuple(getattr(self, f.name) for f in dataclasses.fields(self))


@dataclass(slots=True)
class Profile:
    name: str | None = None
    position: str | None = None
    affiliation: str | None = None


@dataclass(slots=True)
class Publication:
    """A paper; ``title`` is None for a paper known only by its text (an abstract, say)."""

    title: str | None
    authors: list[str] = field(default_factory=list)
    venue: str | None = None
    year: int | None = None
    links: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    section: str | None = None  # the heading it was found under (for --explain)
    rule: str | None = None  # the rule that produced it (for --explain)
    found_on: str | None = None  # the page of the source's site it was read from (for --explain)

    def copy(self) -> Publication:
        """A copy whose authors and links can be changed without changing this one's. (What
        ``dataclasses.replace`` makes, at a third of its cost: the extractor hands out a copy of each
        paper it reads, about twenty a page.)"""
        return Publication(self.title, list(self.authors), self.venue, self.year, dict(self.links), self.text,
                           self.section, self.rule, self.found_on)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title,
            "authors": self.authors,
            "venue": self.venue,
            "year": self.year,
            "links": self.links,
        }
        if self.title is None or self.text:
            out["text"] = self.text
        return out


@dataclass(slots=True)
class NewsItem:
    date: str | None  # as written on the page
    text: str  # the item without its date
    parsed_date: str | None = None  # ISO date (YYYY, YYYY-MM or YYYY-MM-DD) when the date could be read
    links: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"date": self.date, "parsed_date": self.parsed_date, "text": self.text, "links": self.links}


@dataclass(slots=True)
class Announcement:
    kind: str  # on_market, joining, graduating, hiring_students or other
    text: str  # the sentence

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text}


@dataclass(frozen=True, slots=True)
class SiteLink:
    """A link from a homepage to another page of the same site that is read with it, and why."""

    url: str  # absolute, without fragment
    kind: str  # what the link names: publications | news
    why: str  # the words that matched: "link text 'Publications'", "path /publications/"


class KeptPage:
    """A dataclass field for a page's extraction that may still be the store's JSON of it, made a
    ``Page`` the first time it is read. A check of a source whose pages all answer 304 only asks
    whether a copy is kept (``held_page``), and making a long publications page's copy a ``Page`` costs
    about 0.2 ms, a quarter of such a check. Reading the field always gives a ``Page`` or None."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Page | None:
        if obj is None:
            return None  # the field's default
        value = obj.__dict__.get(self.slot)
        if isinstance(value, str):
            value = obj.__dict__[self.slot] = Page.from_json(json.loads(value))
        return value

    def __set__(self, obj: Any, value: Page | str | None) -> None:
        obj.__dict__[self.slot] = value


def held_page(holder: Any) -> Page | str | None:
    """The ``page`` field (a ``KeptPage``) of ``holder``, a ``PageState`` or a ``PageRead``, as it is held,
    without making it a ``Page``: to pass it on, or to ask whether there is one."""
    return holder.__dict__.get("_page")


@dataclass
class PageState:
    """What is kept of one page of a source between checks: its validators, the hash of its last good
    body with that body's extraction, why it is read, and its own run of failures.

    ``role``: ``home`` (the source's address), ``linked`` (found by following the homepage's links) or
    ``listed`` (named under ``pages:``). A page that fails keeps ``page`` for the merge, so a broken
    publications page never reads as "every paper removed". ``page`` may be given as the store's JSON of
    it (``KeptPage``).
    """

    url: str
    role: str = "home"
    why: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    page: KeptPage = KeptPage()
    links: list[SiteLink] | None = None  # home only: the links followed from it (None: not looked for)
    status: int | None = None
    error: str | None = None
    checked_at: str | None = None
    last_success_at: str | None = None
    failing_since: str | None = None
    failures: int = 0
    failing_alerted: bool = False


@dataclass(slots=True)
class Page:
    """What one fetched document says: the unit that is stored as a snapshot and diffed."""

    profile: Profile = field(default_factory=Profile)
    publications: list[Publication] = field(default_factory=list)
    news: list[NewsItem] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    error_page: bool = False  # looks like an error page served with a success status
    bio: list[str] = field(default_factory=list)  # paragraphs where the person speaks of themselves
    title: str = ""  # the document's title and first top heading: what an error page says it is
    explain: list[dict[str, Any]] = field(default_factory=list)  # sections considered, for --explain
    follow: list[SiteLink] | None = None  # when asked for: the links to the site's publication and news pages

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": asdict(self.profile),
            "publications": [p.to_json() for p in self.publications],
            "news": [n.to_json() for n in self.news],
            "announcements": [a.to_json() for a in self.announcements],
        }

    def to_wire(self) -> tuple[Any, ...]:
        """The page as plain tuples, lists and strings (``from_wire`` makes it again, equal): what a worker
        pickles for the run's process. Pickling the objects themselves writes each one's class and a dict
        of its fields, and reads them back through ``setattr``: a bench page took 118 us there and back,
        64 as tuples."""
        return (_PROFILE_FIELDS(self.profile), [_PUBLICATION_FIELDS(p) for p in self.publications],
                [_NEWS_FIELDS(n) for n in self.news], [_ANNOUNCEMENT_FIELDS(a) for a in self.announcements],
                self.error_page, self.bio, self.title, self.explain,
                None if self.follow is None else [_LINK_FIELDS(link) for link in self.follow])

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...]) -> Page:
        profile, publications, news, announcements, error_page, bio, title, explain, follow = wire
        return cls(Profile(*profile), [Publication(*p) for p in publications], [NewsItem(*n) for n in news],
                   [Announcement(*a) for a in announcements], error_page, bio, title, explain,
                   None if follow is None else [SiteLink(*link) for link in follow])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Page:
        return cls(
            profile=Profile(**(data.get("profile") or {})),
            publications=[
                Publication(
                    title=p.get("title"),
                    authors=list(p.get("authors") or []),
                    venue=p.get("venue"),
                    year=p.get("year"),
                    links=dict(p.get("links") or {}),
                    text=p.get("text"),
                )
                for p in data.get("publications", [])
            ],
            news=[
                NewsItem(date=n.get("date"), text=n.get("text", ""), parsed_date=n.get("parsed_date"),
                         links=list(n.get("links") or []))
                for n in data.get("news", [])
            ],
            announcements=[Announcement(kind=a["kind"], text=a["text"]) for a in data.get("announcements", [])],
        )


def _fields_of(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving an object's fields as a tuple, in the order its class's constructor takes them."""
    names = [f.name for f in fields(cls)]
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda obj: (get(obj),)  # (one name: attrgetter gives the value alone)


_PROFILE_FIELDS = _fields_of(Profile)
_PUBLICATION_FIELDS = _fields_of(Publication)
_NEWS_FIELDS = _fields_of(NewsItem)
_ANNOUNCEMENT_FIELDS = _fields_of(Announcement)
_LINK_FIELDS = _fields_of(SiteLink)


@dataclass
class Event:
    """A typed change between two snapshots of one source."""

    type: str  # one of EVENT_TYPES
    key: str  # stable identity of the item it concerns (normalised title, text prefix, kind)
    title: str | None = None
    text: str | None = None
    field: str | None = None
    before: str | None = None
    after: str | None = None
    kind: str | None = None
    data: dict[str, Any] = dataclasses.field(default_factory=dict)  # the item itself (venue, links...) for reports

    @property
    def alert(self) -> bool:
        if self.type == "paper_updated":
            return self.field in ("venue", "title")
        return self.type in ALERT_TYPES


_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_NOT_WORD = re.compile(r"[^\w]+")
# ASCII in one pass, as bytes (a table of 256, where ``str.translate`` looks each character up in a dict):
# a word character to its lower case, any other character to a space
_ASCII_NORM = bytes(ord(" ") if _NOT_WORD.match(chr(i)) else ord(chr(i).lower()) for i in range(128)) + bytes(range(128, 256))


def norm(text: str | None) -> str:
    """Case, accents, punctuation, zero-width characters and spacing do not make a different item.

    ASCII text (most titles) takes a short cut with the same result: it has no accents or zero-width
    characters, NFKD leaves it as it is, and its casefold is its lower case. It is lowered and its
    punctuation made spaces in one translation of its bytes (1.1 us a title or news item of the bench
    pages, against 1.5 for the same translation of the string, and twice that lowering it, then a search).
    """
    text = text or ""
    if text.isascii():
        return b" ".join(text.encode("ascii").translate(_ASCII_NORM).split()).decode("ascii")
    text = unicodedata.normalize("NFKD", text)
    # the combining marks NFKD split off, dropped: each distinct character asked about once, not each character
    marks = {ord(c): None for c in set(text) if not c.isascii() and unicodedata.combining(c)}
    text = (text.translate(marks) if marks else text).casefold()
    text = _ZERO_WIDTH.sub("", text)
    return " ".join(_NOT_WORD.sub(" ", text).split())


def paper_key(p: Publication) -> str:
    """A paper's identity: its normalised title, or the opening of its text when it has none."""
    return norm(p.title) if p.title else "text:" + norm(p.text)[:200]


def news_key(n: NewsItem) -> str:
    return norm(n.text)[:200]
