"""Plain domain objects shared by the store, the resolver, the answers and both adapters.

Nothing here knows about SQLite or Telegram, so every layer can pass these around freely.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

if TYPE_CHECKING:
    from bot.datacheck import Finding


class Choice(StrEnum):
    """A value admins type (kind, status, relation, region): read from its value or its name in
    any case, or a synonym; anything else is an ``InvalidValue`` listing the choices."""

    @classmethod
    def parse(cls, text: str) -> Self:
        key = text.strip().casefold()
        for member in cls:
            if key == member.value.casefold() or key == member.name.casefold():
                return member
        synonym = cls._synonyms().get(key)
        if synonym is not None:
            return cls(synonym)
        raise InvalidValue(cls.__name__.lower(), text, [m.value for m in cls])

    @classmethod
    def _synonyms(cls) -> dict[str, str]:
        return {}


class Kind(Choice):
    """What the relationship between two platforms is about."""

    PAYMENTS = "payments"
    LOGISTICS = "logistics"
    SHOPPING = "shopping/links"
    MESSAGING = "messaging"
    LOGIN = "login"
    CONTENT = "content"
    OTHER = "other"

    @classmethod
    def _synonyms(cls) -> dict[str, str]:
        """Friendly names, so admins need not recall the slash in "shopping/links"."""
        return {"links": "shopping/links", "link": "shopping/links", "shopping": "shopping/links"}


class Status(Choice):
    """Where an integration stands at the date of a fact."""

    LIVE = "live"
    PARTIAL = "partial"
    ANNOUNCED = "announced"
    ENDED = "ended"


class Relation(Choice):
    """How a company relates to its parent, so roll-ups can say what the link is."""

    SUBSIDIARY = "subsidiary"  # owned by the parent
    PRODUCT = "product"  # a product or service of the parent (WeChat Pay of WeChat)
    AFFILIATE = "affiliate"  # a minority stake (Ant Group and Alibaba)


class Region(Choice):
    """Where a fact holds; a fact without a region holds everywhere it is reported."""

    GLOBAL = "global"
    CN = "China mainland"
    HK = "Hong Kong"
    MO = "Macau"
    TW = "Taiwan"
    EU = "EU/EEA"
    UK = "UK"
    US = "US"
    JP = "Japan"
    KR = "South Korea"
    IN = "India"
    SG = "Singapore"
    TH = "Thailand"
    MY = "Malaysia"
    ID = "Indonesia"
    LK = "Sri Lanka"
    PH = "Philippines"
    VN = "Vietnam"
    AU = "Australia"
    BR = "Brazil"
    AE = "UAE"
    QA = "Qatar"
    KG = "Kyrgyzstan"
    UZ = "Uzbekistan"
    BT = "Bhutan"
    NP = "Nepal"


class Verdict(StrEnum):
    """The headline of a check: a status, or the honest "we have nothing on this pair"."""

    LIVE = "live"
    PARTIAL = "partial"
    ANNOUNCED = "announced"
    ENDED = "ended"
    NO_RECORD = "no_record"


class InteropError(Exception):
    """Base for every error the project raises on purpose; adapters show its message to people.

    It carries a catalogue key and its values, not a sentence: ``str(exc)`` says it in the
    locale current when it is shown (``bot.texts.t``), so every adapter that shows ``str(exc)``
    speaks the reader's language. Values named ``field`` or ``role`` are field names ("date",
    "subject"), and ``fields`` a tuple of them: they are said in the reader's language too
    (``field.<name>`` keys). A text that is not a catalogue key is shown as given (a sentence
    already put through ``t``).
    """

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params = params
        super().__init__(key)

    def __str__(self) -> str:
        from bot.texts import EN, field_label, t

        if self.key not in EN:
            return self.key
        values = {k: field_label(v) if k in ("field", "role") else v for k, v in self.params.items()}
        names = values.get("fields")
        if isinstance(names, tuple):
            values["fields"] = t("list.separator").join(field_label(v) for v in names)
        return t(self.key, **values)


class InvalidValue(InteropError):
    """A field value outside the allowed set; carries the allowed values so replies can list them."""

    def __init__(self, field_name: str, value: str, allowed: list[str]) -> None:
        self.field_name = field_name
        self.value = value
        self.allowed = allowed
        super().__init__("error.invalid_value", field=field_name, value=value, allowed=", ".join(allowed))


class ValidationError(InteropError):
    """Input that cannot be stored as given; the message says what to fix."""


class NotFound(InteropError):
    """An id or name that does not exist (or no longer does)."""


class Conflict(InteropError):
    """A write that would duplicate an existing row; ``existing_id`` points at it."""

    def __init__(self, key: str, /, existing_id: int | None = None, **params: object) -> None:
        self.existing_id = existing_id
        super().__init__(key, **params)


class StorageError(InteropError):
    """The database refused a write (read-only file, full disk...); reads may still work."""


def actor_name(label: str) -> str:
    """Who an audit actor is, for people: "tg:42 @ann" -> "@ann" (the id alone when no name)."""
    kind, _, name = label.partition(" ")
    return name.strip() or kind


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_fact_date(text: str, *, today: date | None = None) -> str:
    """Validate a YYYY, YYYY-MM or YYYY-MM-DD date and keep its precision.

    The empty string means "the source gives no date" and is allowed. Dates more than a year
    ahead are refused: facts record events, and an announcement date is never that far out.
    """
    text = text.strip()
    if not text:
        return ""
    match = _DATE_RE.match(text)
    if not match:
        raise ValidationError("error.date_format", value=text)
    year, month, day = (int(g) if g else None for g in match.groups())
    assert year is not None
    if year < 1990:
        raise ValidationError("error.date_early", value=text)
    try:
        earliest = date(year, month or 1, day or 1)
    except ValueError:
        raise ValidationError("error.date_unreal", value=text) from None
    limit = (today or date.today()).replace(month=1, day=1)
    if earliest.year > limit.year + 1:
        raise ValidationError("error.date_future", value=text)
    return text


def last_day(value: str) -> date | None:
    """The last day a stored date (YYYY, YYYY-MM, YYYY-MM-DD) can mean, from which its age
    counts ("2024-11" is 30 Nov 2024); None when empty or unreadable."""
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) == 1:
            return date(parts[0], 12, 31)
        if len(parts) == 2:
            return date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1) - timedelta(days=1)
        return date(parts[0], parts[1], parts[2])
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True, slots=True)
class FeatureAlias:
    """An alias that names one feature of a company: "AirDrop" is the iPhone's file sharing."""

    alias: str
    kind: Kind
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Company:
    """A platform, service or group. ``parent_id`` links make up groups (Taobao -> Alibaba).

    ``relation`` says how it hangs off its parent (None without one); ``name_zh`` is the
    Chinese display name (one of its aliases); ``features`` are aliases that carry a kind.
    """

    id: int
    name: str
    kind: str = ""
    parent_id: int | None = None
    description: str = ""
    aliases: tuple[str, ...] = ()
    relation: Relation | None = None
    name_zh: str = ""
    features: tuple[FeatureAlias, ...] = ()


@dataclass(frozen=True, slots=True)
class Source:
    url: str
    title: str = ""
    publisher: str = ""
    date: str = ""
    quote: str = ""
    """A verbatim excerpt of the page that supports the fact (shown quoted, never rephrased)."""
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Fact:
    """One dated event between a subject (accepts/hosts/offers) and an object (the outside service)."""

    id: int
    subject_id: int
    object_id: int
    kind: Kind
    status: Status
    date: str
    summary: str
    sources: tuple[Source, ...] = ()
    kind_detail: str = ""
    date_note: str = ""
    confidence: str = ""
    key: str = ""
    scope: str = ""
    region: str = ""
    note: str = ""
    verified: str = ""
    summary_zh: str = ""
    retracted: bool = False
    created_by: str = ""
    created_at: str = ""
    updated_by: str = ""
    updated_at: str = ""

    @property
    def sort_key(self) -> tuple[str, int]:
        """Chronological order; an undated fact sorts first, it is the least informative."""
        return (self.date, self.id)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, object] | None
    after: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A ranked resolver guess, for "did you mean" keyboards."""

    company: Company
    score: float
    matched: str


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one name.

    Exactly one of three shapes: ``company`` set (confident), ``company`` None with
    ``candidates`` (ambiguous or unknown with suggestions), or neither (unknown, nothing close).
    """

    query: str
    company: Company | None
    candidates: tuple[Candidate, ...] = ()

    @property
    def resolved(self) -> bool:
        return self.company is not None


@dataclass(frozen=True, slots=True)
class FactView:
    """A fact with its two parties resolved, and whether it reaches the asked pair via an affiliate."""

    fact: Fact
    subject: Company
    object: Company
    via_affiliate: bool = False


@dataclass(frozen=True, slots=True)
class Link:
    """One edge of the company tree: ``company`` hangs off ``parent`` as ``relation`` says."""

    company: Company
    parent: Company
    relation: Relation | None = None


@dataclass(frozen=True, slots=True)
class Thread:
    """All facts about one (subject, object, kind, scope): its current state is the latest fact.

    ``links`` say, for a roll-up thread, how its parties belong to the asked companies
    ("via WeChat Pay, WeChat's payment service").
    """

    subject: Company
    object: Company
    kind: Kind
    events: tuple[FactView, ...]
    links: tuple[Link, ...] = ()

    @property
    def current(self) -> FactView:
        return self.events[-1]

    @property
    def standing(self) -> FactView:
        """Where it stands: the latest fact, except that an announcement (an extension, a plan)
        after a live or partial fact does not hide it; an ended fact does."""
        latest = self.events[-1]
        if latest.fact.status is not Status.ANNOUNCED:
            return latest
        for view in reversed(self.events[:-1]):
            if view.fact.status is Status.ENDED:
                break
            if view.fact.status in (Status.LIVE, Status.PARTIAL):
                return view
        return latest

    @property
    def scope(self) -> str:
        return self.current.fact.scope

    @property
    def via_affiliate(self) -> bool:
        return self.current.via_affiliate


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The answer to "does A work with B?": direct threads first, then group roll-up threads."""

    a: Company
    b: Company
    verdict: Verdict
    threads: tuple[Thread, ...] = ()
    rollup: tuple[Thread, ...] = ()
    kind: Kind | None = None
    """The kind the question asked about: the verdict answers it, other kinds follow briefly."""
    scope: str = ""
    feature: str = ""
    """A feature the question named ("iMessage"): only its own threads (``scope``) answer."""
    negated: bool = False
    """The question was negated ("does X block Y"): the headline states where it stands."""
    group: Company | None = None
    """With no record at all: the group both parties belong to ("Taobao and Alipay"), said so
    that "no record" is not read as "unrelated"."""

    def of_kind(self, kind: Kind) -> tuple[Thread, ...]:
        """This kind's threads: direct ones, or else the roll-up's."""
        direct = tuple(t for t in self.threads if t.kind is kind)
        return direct or tuple(t for t in self.rollup if t.kind is kind)

    def of_feature(self, threads: Sequence[Thread]) -> tuple[Thread, ...]:
        """The threads that answer the named feature: its own scope's, and those with no
        scope whose facts say its name ("Oppo will add AirDrop-compatible sharing"). A thread
        scoped to another feature never answers it."""
        scope = self.scope.casefold()
        names = {scope} | {f.alias.casefold() for c in (self.a, self.b) for f in c.features
                           if f.scope.casefold() == scope}
        return tuple(t for t in threads if t.scope.casefold() == scope or (
            not t.scope and any(_says_name(e.fact.summary, names) for e in t.events)))


def _says_name(text: str, names: set[str]) -> bool:
    folded = text.casefold()
    return any(re.search(rf"(?<![a-z0-9]){re.escape(n)}(?![a-z0-9])", folded) for n in names if n)


T = TypeVar("T")


class NotLoaded(LookupError):
    """A render reached an item that was never loaded: rendering reads no SQL, so whoever
    renders awaits ``rendered`` (which loads what is missing first) instead."""

    def __init__(self, items: Built[Any], index: int) -> None:
        super().__init__(f"item {index} of {len(items)} is not loaded; render through rendered()")
        self.items = items
        self.index = index


def _unbuildable(items: Sequence[Any]) -> Sequence[Any]:
    raise AssertionError("loaded items are built by ensure() only")


class Built(Sequence[T], Generic[T]):
    """Items built from their raw form on first access, each once, ``chunk`` at a time.

    A company with thousands of facts is shown ten to a page: its fact ids are read at once,
    but only the facts someone looks at are read in full and become objects (``build`` turns
    a run of raw items into as many built ones). With ``load`` the items are read by an
    awaited ``ensure`` instead, off the event loop's thread; an item not loaded then raises
    ``NotLoaded`` rather than reading in the middle of a render.
    """

    __slots__ = ("_build", "_chunk", "_load", "_made", "_raw", "_ready")

    def __init__(self, raw: Sequence[Any], build: Callable[[Sequence[Any]], Sequence[T]],
                 chunk: int = 1, made: Sequence[T] = (),
                 load: Callable[[Sequence[Any]], Awaitable[Sequence[T]]] | None = None) -> None:
        """``made``: the first items, built already (read along with the raw ones)."""
        self._raw = raw
        self._build = build
        self._chunk = max(1, chunk)
        self._made: list[T | None] = [*made[:len(raw)], *[None] * (len(raw) - len(made))]
        self._load = load
        self._ready = min(len(made), len(raw))  # the first items, built without a gap

    @classmethod
    def loaded(cls, raw: Sequence[Any], made: Sequence[T],
               load: Callable[[Sequence[Any]], Awaitable[Sequence[T]]]) -> Built[T]:
        """Items whose first ones are ``made``; the rest only by ``ensure`` (``load`` reads a
        run of raw items into as many built ones)."""
        return cls(raw, _unbuildable, made=made, load=load)

    @property
    def ready(self) -> int:
        """How many of the first items are built."""
        return self._ready

    async def ensure(self, upto: int | None = None) -> None:
        """Load the first ``upto`` items (all when None) that are not loaded yet, in one read."""
        end = len(self._raw) if upto is None else min(max(0, upto), len(self._raw))
        if end <= self._ready:
            return
        if self._load is None:
            self[self._ready:end]  # built in place (the builder reads no store)
        else:
            for offset, item in enumerate(await self._load(self._raw[self._ready:end])):
                if self._made[self._ready + offset] is None:
                    self._made[self._ready + offset] = item
        self._ready = max(self._ready, end)

    @classmethod
    def each(cls, raw: Sequence[Any], build: Callable[[Any], T]) -> Built[T]:
        """Items built one by one from their own raw item."""
        return cls(raw, lambda items: [build(item) for item in items])

    def __len__(self) -> int:
        return len(self._raw)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        made = self._made[index]
        if made is None:
            index = range(len(self))[index]  # a negative index counts from the end
            if self._load is not None:
                raise NotLoaded(self, index)
            for offset, item in enumerate(self._build(self._raw[index:index + self._chunk])):
                if self._made[index + offset] is None:
                    self._made[index + offset] = item
            made = self._made[index]
            assert made is not None
        return made

    def __iter__(self) -> Iterator[T]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Built({len(self)} items)"


R = TypeVar("R")
LOAD_AHEAD = 64
"""Items read at least per load when a render runs short (a page of facts is some 20 to 40)."""


async def rendered(make: Callable[[], R]) -> R:
    """``make()`` (a render) once every item it reaches is loaded: a render that meets an item
    not loaded stops there, the items up to twice as far are read (awaited, on a reader
    thread), and it runs again. So no SQL runs while a page renders."""
    while True:
        try:
            return make()
        except NotLoaded as missing:
            await missing.items.ensure(max(2 * missing.index, missing.index + LOAD_AHEAD))


@dataclass(frozen=True, slots=True)
class Profile:
    company: Company
    parent: Company | None
    children: tuple[Company, ...]
    affiliates: tuple[Company, ...]
    facts: Sequence[FactView]  # kind by kind, newest first; built as they are shown (``Built``)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Why a question could not be answered: each name's resolution, for did-you-mean."""

    resolutions: tuple[Resolution, ...]


@dataclass(frozen=True, slots=True)
class CheckHint:
    """Why ``/check`` text was not a pair: one company named twice, or one name alone.

    For one name, ``partner`` is a company it has facts with, so the hint can suggest a real pair.
    """

    same: Company | None = None
    single: Company | None = None
    partner: Company | None = None


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    hits: tuple[FactView, ...] = field(default_factory=tuple)
    fallback: bool = False
    """A sentence the bot could not read, searched as a last resort: the answer says so."""


# -- what a text means (Interop.decide): one result type per kind of answer -------------------


@dataclass(frozen=True, slots=True)
class Checks:
    """Several pairs named in one question: one verdict line each, ``more`` pairs left out."""

    results: tuple[CheckResult, ...]
    kind: Kind | None = None
    more: int = 0


@dataclass(frozen=True, slots=True)
class KindFacts:
    """One company and a kind ("does rcs work on iPhone?"): that company's threads of the kind."""

    company: Company
    kind: Kind
    threads: tuple[Thread, ...] = ()
    scope: str = ""


class OwnershipVerdict(StrEnum):
    YES = "yes"  # owned, or a product of it, all the way up
    AFFILIATE = "affiliate"  # connected, but through a minority stake
    NO = "no"
    RELATED = "related"  # neither owns the other, but both belong to ``parent``
    CHAIN = "chain"  # "who owns X": just the chain upwards (empty: no parent known)


@dataclass(frozen=True, slots=True)
class Ownership:
    """An ownership question answered from the company tree; ``chain`` goes from child upwards."""

    child: Company
    parent: Company | None
    verdict: OwnershipVerdict
    chain: tuple[Link, ...] = ()
    other_chain: tuple[Link, ...] = ()
    other: Company | None = None
    """For ``RELATED``: the second company asked about (``parent`` is the group both belong to)."""


@dataclass(frozen=True, slots=True)
class SmallTalk:
    """Hi, thanks, help, what can you do: a short friendly help."""


@dataclass(frozen=True, slots=True)
class Latest:
    """What's new: the latest facts."""

    views: tuple[FactView, ...] = ()


@dataclass(frozen=True, slots=True)
class Substitution:
    """The question named ``asked`` but the facts are its product's (WeChat -> WeChat Pay)."""

    asked: Company
    used: Company
    relation: Relation | None = None
    topic: bool = False
    """``used`` is a topic ``asked`` is one of ("Google Maps" -> Third-party navigation apps)."""


Meaning = (CheckResult | Checks | Profile | KindFacts | Ownership | SmallTalk | Latest
           | SearchResult | Unresolved | CheckHint)


class Mode(StrEnum):
    """What a text was sent as, which ``Interop.decide`` reads it by."""

    ASK = "ask"  # free text in a chat
    CHECK = "check"  # /check arguments
    COMPANY = "company"  # /company arguments
    INLINE = "inline"  # an inline query


@dataclass(frozen=True, slots=True)
class Decision:
    """What a text means and its answer, plus what must not go unsaid: names the bot does not
    know (with close names when it has some) and companies answered in place of another."""

    result: Meaning
    unknown: tuple[Resolution, ...] = ()
    notes: tuple[Substitution, ...] = ()
    suggest: Unresolved | None = None
    """Names a short text may have meant, offered beside the answer (as buttons in Telegram)."""
    corrected: tuple[tuple[str, Company], ...] = ()
    """Names read with a character corrected ("淘包" as 淘宝): said before the answer."""


# -- what admin commands return (rendered by bot.render.admin) --------------------------------

EDITABLE_FIELDS = ("subject", "object", "kind", "status", "date", "summary", "kind_detail",
                   "date_note", "confidence", "scope", "region", "note", "summary_zh", "verified")
"""The fields ``/editfact`` may change."""


class UnknownCompany(InteropError):
    """A company name in an admin command that does not resolve; carries the close matches."""

    def __init__(self, role: str, resolution: Resolution) -> None:
        self.role = role
        self.resolution = resolution
        super().__init__("error.unknown_company", role=role, name=resolution.query)

    @property
    def name(self) -> str:
        return self.resolution.query

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        return self.resolution.candidates


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field's value before and after an audited change, as readable text."""

    field: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One audit entry of a fact, reduced to the fields that changed."""

    at: str
    actor: str
    action: str
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class Roster:
    """Who may change facts: configured owners and the admins they granted."""

    owners: tuple[int, ...]
    granted: tuple[tuple[int, str, str], ...]


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = True
    new_companies: int = 0
    updated_companies: int = 0
    warnings: list[tuple[str, str]] = field(default_factory=list)
    """Rows accepted as they are but worth fixing (an existing partial fact without a note)."""
    findings: tuple[Finding, ...] = ()
    """What the data linter (bot.datacheck) says about the file's rows; any error blocks it."""

    settled_labels: set[str] = field(default_factory=set)
    """Keys, names and labels of rows that write nothing: identical to what is stored, or
    rejected (and reported) on their own."""
    diffs: list[tuple[str, str, str, str]] = field(default_factory=list)
    """Each changed field of each updated fact: (row label, field, old value, new value)."""
    older: list[tuple[str, str]] = field(default_factory=list)
    """Updated facts whose stored version is newer than the file: (row label, stored time).
    Applying the row would undo that later edit."""

    @property
    def blocked(self) -> bool:
        """The linter found errors: the import is refused as a whole and nothing is written."""
        return any(f.is_error for f in self.findings)

    @property
    def changes(self) -> int:
        return self.new + self.updated + self.new_companies + self.updated_companies


# -- what a follower is told ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactChange:
    """A followed fact that changed, as a chat will read it: what happened (an outbox entry)."""

    action: str  # add, edit, retract, restore
    fact: Fact
    before_status: Status | None
    row_id: int = 0  # its notification row, settled when the message listing it is accepted


# -- what readers tell the admins -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    """A reader's note that something is wrong with a pair's (or a company's) facts."""

    id: int
    subject_id: int  # 0 when not about a company
    object_id: int  # 0 when about one company only
    chat_id: int
    user_id: int
    text: str
    status: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A proposed fact in /addfact's one-line form; it touches no fact until an admin accepts it."""

    id: int
    chat_id: int
    user_id: int
    line: str
    status: str
    reason: str
    fact_id: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Miss:
    """A name nobody found, or a pair with no record, and how often it was asked lately."""

    kind: str  # "name" or "pair"
    text: str
    count: int
