"""The data linter: one set of rules over a dataset's rows, used by ``python -m bot check-data``,
by ``/import``'s dry run (errors block Apply) and by the seed's test.

It reads the rows of the import/export format (``bot.dataset``: companies with ``name``,
``parent``, ``aliases``, ``features``; facts with ``key``, ``subject``, ``object``, ``kind``...)
as plain dicts, before anything is stored, and never touches the store or Telegram. Errors are
data the bot would answer wrongly from (or could not export and import back); warnings are data
that is probably out of date or weakly sourced, and are fine when they are true.

A fact may name the fact it follows up in ``supersedes`` (a key). Without that link, a thread's
order is the store's own: by date, then file order, so a follow-up is simply its newest fact.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.domain import InteropError, Kind, Region, Status, parse_fact_date
from bot.rules import clean_url, name_key, parent_cycle, url_shape_problem
from bot.texts import t

ERROR = "error"
WARNING = "warning"
STALE_ANNOUNCED_MONTHS = 12

# Rules, each with its text "lint.<rule>" in bot/texts.py and bot/texts_zh.py.
URL = "url"
PARTIAL_NOTE = "partial-note"
PARENT_CYCLE = "parent-cycle"
DUPLICATE_NAME = "duplicate-name"
NOT_A_COMPANY = "not-a-company"
DUPLICATE_FACT = "duplicate-fact"
FOLLOW_UP = "follow-up"
KIND = "kind"
STATUS = "status"
REGION = "region"
DATE = "date"
STALE_ANNOUNCED = "stale-announced"
SINGLE_SOURCE = "single-source"
NO_FACTS = "no-facts"
WARNING_RULES = frozenset({STALE_ANNOUNCED, SINGLE_SOURCE, NO_FACTS})


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule: where (a fact's key, a company's name, or a row label), which rule, and
    the values its text needs."""

    key: str
    rule: str
    values: tuple[tuple[str, str], ...] = ()
    row: int | None = None
    """The file's own row (CSV line) when it has one; None for JSON records."""

    @property
    def level(self) -> str:
        return WARNING if self.rule in WARNING_RULES else ERROR

    @property
    def is_error(self) -> bool:
        return self.level == ERROR

    def detail(self, lang: str | None = None) -> str:
        return t(f"lint.{self.rule}", lang, **dict(self.values))

    def line(self, lang: str | None = None) -> str:
        """``key: rule: detail``, the one-line form the command prints."""
        return _printable(f"{self.key}: {self.rule}: {self.detail(lang)}")


@dataclass(frozen=True, slots=True)
class Report:
    """Every finding of one check, in the order of the rows they are about."""

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_error)


def _printable(text: str) -> str:
    """A lone surrogate in a file's text cannot be printed or sent: shown as U+FFFD instead."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isprintable() else text


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def url_problem(url: str) -> str:
    """Why a source URL is malformed (the words of its rule), or "" when it is fine."""
    try:
        clean_url(url)
    except InteropError as exc:
        return str(exc)
    problem = url_shape_problem(url)
    return str(problem) if problem else ""


def _date_end(text: str) -> date | None:
    """The last day a YYYY, YYYY-MM or YYYY-MM-DD date can mean (None when undated or broken):
    an announcement dated "2025" is only surely a year old once 2026 is over."""
    try:
        parts = [int(p) for p in text.split("-")]
        year, month = parts[0], parts[1] if len(parts) > 1 else 12
        day = parts[2] if len(parts) > 2 else calendar.monthrange(year, month)[1]
        return date(year, month, day)
    except (ValueError, IndexError):
        return None


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_between(earlier: date, later: date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


class _Companies:
    """The companies by normalised name key (bot.rules.name_key), as every write path matches."""

    def __init__(self, rows: Sequence[Mapping[str, object]]) -> None:
        self.rows = rows
        self.owner: dict[str, int] = {}  # key of a name or alias -> index of its company
        self.parent: dict[int, int | None] = {}

    def label_keys(self, index: int) -> list[tuple[str, str]]:
        row = self.rows[index]
        labels = [_text(row.get("name"))]
        aliases = row.get("aliases")
        labels += [a for a in aliases if isinstance(a, str)] if isinstance(aliases, list) else []
        features = row.get("features")
        if isinstance(features, list):
            labels += [_text(f.get("alias")) for f in features if isinstance(f, dict)]
        return [(label, name_key(label)) for label in labels if name_key(label)]

    def name(self, index: int) -> str:
        return _text(self.rows[index].get("name"))

    def find(self, label: str) -> int | None:
        return self.owner.get(name_key(label))


def check(doc: Mapping[str, Any], *, today: date | None = None,
          base_companies: Sequence[Mapping[str, object]] = (), whole: bool = True) -> Report:
    """Every finding in ``doc`` (the import/export document), errors and warnings in row order.

    ``whole=False`` is for a file about to be imported into a store holding ``base_companies``:
    its rows are checked against those too (a parent, a party or a name may be one of them),
    findings are only about the file's own rows, and the warnings about the whole data (stale
    threads, companies without facts) and follow-ups of facts the file does not hold are left
    to a check of the whole data.
    """
    today = today or datetime.now(UTC).date()
    raw_companies = doc.get("companies") or []
    raw_facts = doc.get("facts") or []
    file_companies = [c for c in raw_companies if isinstance(c, dict)]
    # A row the parser could not read (an "_error") is refused by the import as it is.
    facts = [(i, f) for i, f in enumerate(raw_facts, start=1) if isinstance(f, dict) and "_error" not in f]
    findings: list[Finding] = []

    # The file's companies replace stored ones of the same name, as an import updates them.
    file_keys = {name_key(_text(c.get("name"))) for c in file_companies}
    rows = [c for c in base_companies if name_key(_text(c.get("name"))) not in file_keys]
    first_file = len(rows)
    rows += file_companies
    companies = _Companies(rows)
    findings += _name_rules(companies, first_file)
    findings += _parent_rules(companies, first_file)
    findings += _fact_rules(facts, companies, today, whole=whole)
    if whole:
        findings += _empty_trees(facts, companies)
    return Report(tuple(findings))


def _company_finding(companies: _Companies, index: int, rule: str, **values: str) -> Finding:
    row = companies.rows[index]
    number = row.get("_row")
    return Finding(companies.name(index) or t("import.label_company", n=index + 1), rule,
                   tuple(values.items()), number if isinstance(number, int) else None)


def _name_rules(companies: _Companies, first_file: int) -> list[Finding]:
    """Every name and alias names one company; a clash is reported on the later company."""
    findings: list[Finding] = []
    for index in range(len(companies.rows)):
        for label, key in companies.label_keys(index):
            owner = companies.owner.setdefault(key, index)
            if owner != index and index >= first_file:
                findings.append(_company_finding(companies, index, DUPLICATE_NAME, label=label,
                                                 owner=companies.name(owner)))
    return findings


def _parent_rules(companies: _Companies, first_file: int) -> list[Finding]:
    """Parents are companies, and no company is its own ancestor (bot.rules.parent_cycle)."""
    findings: list[Finding] = []
    for index, row in enumerate(companies.rows):
        parent = _text(row.get("parent"))
        if not parent:
            companies.parent[index] = None
            continue
        companies.parent[index] = found = companies.find(parent)
        if found is None and index >= first_file:
            findings.append(_company_finding(companies, index, NOT_A_COMPANY, role="parent",
                                             name=parent))
    reported: set[frozenset[int]] = set()
    for index in range(first_file, len(companies.rows)):
        loop = parent_cycle(companies.parent.get, index, companies.parent.get(index))
        if loop and frozenset(loop) not in reported:
            reported.add(frozenset(loop))
            findings.append(_company_finding(companies, index, PARENT_CYCLE,
                                             chain=" → ".join(companies.name(i) for i in loop)))
    return findings


class _Memo:
    """Each distinct kind, status, region, date and party name meets its rule once: a big file
    repeats them thousands of times."""

    def __init__(self) -> None:
        self.choices: dict[tuple[type, object], object] = {}
        self.dates: dict[str, str] = {}
        self.companies: dict[str, int | None] = {}

    def choice(self, kind: type[Kind] | type[Status] | type[Region], value: Any) -> Any:
        memo_key = (kind, value if isinstance(value, str) else None)
        if memo_key not in self.choices:
            self.choices[memo_key] = _choice(kind, value)
        return self.choices[memo_key]

    def date(self, value: str, today: date) -> str:
        found = self.dates.get(value)
        if found is None:
            try:
                parse_fact_date(value, today=today)
                found = ""
            except InteropError as exc:
                found = str(exc)
            self.dates[value] = found
        return found

    def company(self, companies: _Companies, name: str) -> int | None:
        if name not in self.companies:
            self.companies[name] = companies.find(name)
        return self.companies[name]


def _fact_key(index: int, row: Mapping[str, object]) -> str:
    key = _text(row.get("key")).strip()
    if key:
        return key
    number = row.get("_row")
    return t("import.label_row", n=number) if isinstance(number, int) else t("import.label_fact", n=index)


def _fact_rules(facts: Sequence[tuple[int, Mapping[str, Any]]], companies: _Companies, today: date,
                *, whole: bool) -> list[Finding]:
    findings: list[Finding] = []
    seen: dict[tuple[Any, ...], str] = {}
    threads: dict[tuple[object, ...], list[tuple[str, int, Mapping[str, object]]]] = defaultdict(list)
    by_key: dict[str, int] = {}  # a fact's key -> its position (the first, if used twice)
    placed: dict[int, tuple[tuple[object, ...], str]] = {}  # position -> (thread, date)
    memo = _Memo()

    for position, (index, row) in enumerate(facts):
        key = _fact_key(index, row)
        number = row.get("_row")
        line = number if isinstance(number, int) else None

        def found(rule: str, **values: str) -> None:
            findings.append(Finding(key, rule, tuple(values.items()), line))  # noqa: B023

        for source in row.get("sources") or []:
            url = _text(source.get("url")) if isinstance(source, dict) else ""
            problem = url_problem(url)
            if problem:
                found(URL, problem=problem)
        status = memo.choice(Status, row.get("status"))
        if status is None:
            found(STATUS, value=_text(row.get("status")), allowed=_allowed(Status))
        if status is Status.PARTIAL and not _text(row.get("note")).strip():
            found(PARTIAL_NOTE)
        kind = memo.choice(Kind, row.get("kind"))
        if kind is None:
            found(KIND, value=_text(row.get("kind")), allowed=_allowed(Kind))
        region_text = _text(row.get("region")).strip()
        region = memo.choice(Region, region_text) if region_text else None
        if region_text and region is None:
            found(REGION, value=region_text, allowed=_allowed(Region))
        fact_date = _text(row.get("date")).strip()
        date_problem = memo.date(fact_date, today)
        if date_problem:
            found(DATE, value=fact_date, problem=date_problem)
            fact_date = ""
        parties: list[int | None] = []
        for role in ("subject", "object"):
            name = _text(row.get(role))
            owner = memo.company(companies, name)
            parties.append(owner)
            if owner is None:
                found(NOT_A_COMPANY, role=role, name=name)
        sources = row.get("sources")
        count = len(sources) if isinstance(sources, list) else 0
        if _text(row.get("confidence")).strip().lower() == "high" and count == 1:
            found(SINGLE_SOURCE)
        own_key = _text(row.get("key")).strip()
        if own_key and own_key in by_key:
            found(DUPLICATE_FACT, other=own_key)
        elif own_key:
            by_key[own_key] = position
        if None in parties or kind is None or status is None or row.get("retracted") is True:
            continue
        scope = _text(row.get("scope")).strip()
        thread = (parties[0], parties[1], kind, scope, region.value if region else "")
        same = (*thread[:4], status, fact_date)
        if same in seen:
            found(DUPLICATE_FACT, other=seen[same])
        else:
            seen[same] = key
        threads[thread].append((fact_date, index, row))
        placed[position] = (thread, fact_date)

    for position, (index, row) in enumerate(facts):
        target = _text(row.get("supersedes")).strip()
        if not target:
            continue
        mine = placed.get(position)
        older = placed.get(by_key[target]) if target in by_key else None
        if target not in by_key:
            if not whole:
                continue  # it may be a stored fact the file does not hold
            problem = t("lint.follow_up.unknown", key=target)
        elif mine is None or older is None:
            continue  # a broken row: reported above
        elif older[0] != mine[0]:
            problem = t("lint.follow_up.thread", key=target)
        elif (mine[1], position) < (older[1], by_key[target]):
            problem = t("lint.follow_up.older", key=target, date=mine[1] or "—",
                        other=older[1] or "—")
        else:
            continue
        number = row.get("_row")
        findings.append(Finding(_fact_key(index, row), FOLLOW_UP, (("problem", problem),),
                                number if isinstance(number, int) else None))

    if whole:
        findings += _stale_threads(threads, companies, today)
    return findings


def _stale_threads(threads: Mapping[tuple[object, ...], list[tuple[str, int, Mapping[str, object]]]],
                   companies: _Companies, today: date) -> list[Finding]:
    """A thread whose newest fact (the store's order: date, then file order) is an announcement
    more than a year old: probably shipped, or quietly dropped, since."""
    findings: list[Finding] = []
    for events in threads.values():
        fact_date, index, row = max(events, key=lambda e: (e[0], e[1]))
        if _choice(Status, row.get("status")) is not Status.ANNOUNCED:
            continue
        end = _date_end(fact_date) if fact_date else None
        if end is None or today <= _add_months(end, STALE_ANNOUNCED_MONTHS):
            continue
        number = row.get("_row")
        findings.append(Finding(_fact_key(index, row), STALE_ANNOUNCED,
                                (("date", fact_date), ("months", str(_months_between(end, today)))),
                                number if isinstance(number, int) else None))
    return findings


def _empty_trees(facts: Sequence[tuple[int, Mapping[str, object]]], companies: _Companies) -> list[Finding]:
    """A company none of whose group (everything under its topmost parent) has a fact: nothing
    the bot can say about it, so probably a leftover or a name with its facts missing."""
    def root(index: int) -> int:
        seen = {index}
        parent = companies.parent.get(index)
        while parent is not None and parent not in seen:
            seen.add(parent)
            index = parent
            parent = companies.parent.get(index)
        return index

    busy: set[int] = set()
    for _, row in facts:
        if row.get("retracted") is True:
            continue
        for role in ("subject", "object"):
            owner = companies.find(_text(row.get(role)))
            if owner is not None:
                busy.add(root(owner))
    return [_company_finding(companies, index, NO_FACTS)
            for index in range(len(companies.rows)) if root(index) not in busy]


def _choice(kind: type[Kind] | type[Status] | type[Region], value: object) -> object:
    try:
        return kind.parse(value) if isinstance(value, str) else None
    except InteropError:
        return None


def _allowed(kind: type[Kind] | type[Status] | type[Region]) -> str:
    return ", ".join(member.value for member in kind)


def summary(report: Report, lang: str | None = None) -> str:
    return t("lint.counts", lang, errors=len(report.errors), warnings=len(report.warnings))


def lines(report: Report, lang: str | None = None) -> Iterable[str]:
    """The command's output: one line per finding, errors first, then the counts."""
    for finding in (*report.errors, *report.warnings):
        yield finding.line(lang)
    yield summary(report, lang)
