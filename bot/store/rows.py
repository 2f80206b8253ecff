"""Rows <-> domain objects: the SELECTs every read shares, and the records the audit log keeps."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from sys import intern
from typing import Any

from bot.domain import Company, Fact, FeatureAlias, Kind, Relation, Source, Status

FACT_FIELDS = ("subject_id", "object_id", "kind", "kind_detail", "status", "date", "date_note",
               "confidence", "summary", "scope", "region", "note", "verified", "summary_zh")
"""The columns an edit may change."""

FACT_COLUMNS = ("subject_id", "object_id", "kind", "kind_detail", "status", "date", "date_note",
                "confidence", "summary", "retracted", "scope", "region", "note", "verified",
                "summary_zh")
"""A fact's stored values, in the order the write path passes them around."""

Row = tuple[Any, ...]
"""A row as sqlite3 returns it; also a fact's values in FACT_COLUMNS order."""
Record = dict[str, Any]
"""A company or a fact as a document (an import or export file) holds it: JSON values."""

FACT_SELECT = """
SELECT f.id, f.key, f.subject_id, f.object_id, f.kind, f.kind_detail, f.status, f.date,
       f.date_note, f.confidence, f.summary, f.retracted, f.created_by, f.created_at,
       f.updated_by, f.updated_at, f.scope, f.region, f.note, f.verified, f.summary_zh,
       (SELECT json_group_array(json_array(s.url, s.title, s.publisher, s.date, s.quote, s.id))
          FROM (SELECT * FROM source WHERE fact_id = f.id ORDER BY position) AS s) AS sources
  FROM fact AS f
"""

COMPANY_SELECT = "SELECT id, name, kind, parent_id, description, relation, name_zh FROM company"
ALIAS_SELECT = "SELECT company_id, alias, kind, scope FROM alias"


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_KINDS = {k.value: k for k in Kind}
_STATUSES = {s.value: s for s in Status}
"""Stored values to members by a dict probe: a profile page builds a few dozen facts per turn,
and ``Kind(value)`` goes through the enum machinery each time."""


def fact_from_row(row: Row) -> Fact:
    sources = tuple(
        Source(url=url, title=title, publisher=publisher, date=date, quote=quote, id=sid)
        for url, title, publisher, date, quote, sid in json.loads(row[21] or "[]")
    )
    kind, status = _KINDS.get(row[4]) or Kind(row[4]), _STATUSES.get(row[6]) or Status(row[6])
    return Fact(
        id=row[0], key=row[1] or "", subject_id=row[2], object_id=row[3], kind=kind,
        kind_detail=row[5], status=status, date=row[7], date_note=row[8],
        confidence=row[9], summary=row[10], retracted=bool(row[11]), created_by=row[12],
        created_at=row[13], updated_by=row[14], updated_at=row[15], scope=row[16],
        region=row[17], note=row[18], verified=row[19], summary_zh=row[20], sources=sources,
    )


def fact_record(fact: Fact) -> Record:
    """A fact as plain JSON-able data, for the audit log and exports."""
    return {
        "key": fact.key, "subject_id": fact.subject_id, "object_id": fact.object_id,
        "kind": fact.kind.value, "kind_detail": fact.kind_detail, "status": fact.status.value,
        "date": fact.date, "date_note": fact.date_note, "confidence": fact.confidence,
        "summary": fact.summary, "scope": fact.scope, "region": fact.region, "note": fact.note,
        "verified": fact.verified, "summary_zh": fact.summary_zh, "retracted": fact.retracted,
        "sources": [{"url": s.url, "title": s.title, "publisher": s.publisher, "date": s.date,
                     "quote": s.quote} for s in fact.sources],
    }


def values_record(key: str, values: Row, sources: Iterable[Sequence[str]]) -> Record:
    """``fact_record`` built from the write path's value tuple, without reading the row back."""
    record: Record = {"key": key, **dict(zip(FACT_COLUMNS, values, strict=True))}
    record["retracted"] = bool(record["retracted"])
    record["sources"] = [{"url": u, "title": t, "publisher": p, "date": d, "quote": q}
                         for u, t, p, d, q in sources]
    return record


def company_record(company: Company) -> Record:
    return {"name": company.name, "kind": company.kind, "parent_id": company.parent_id,
            "relation": company.relation.value if company.relation else None,
            "name_zh": company.name_zh, "description": company.description,
            "aliases": list(company.aliases),
            "features": [{"alias": f.alias, "kind": f.kind.value, "scope": f.scope}
                         for f in company.features]}


def companies_from_rows(rows: Iterable[Row], alias_rows: Iterable[Row]) -> list[Company]:
    """Companies with their plain aliases and their feature aliases (rows with a kind)."""
    aliases: dict[int, list[str]] = {}
    features: dict[int, list[FeatureAlias]] = {}
    for company_id, alias, kind, scope in alias_rows:
        if kind:
            features.setdefault(company_id, []).append(FeatureAlias(alias, Kind(kind), scope))
        else:
            aliases.setdefault(company_id, []).append(alias)
    # a kind is one of a dozen words: one string each, not one per company (~6 MB at 100k)
    return [Company(id=r[0], name=r[1], kind=intern(r[2]) if r[2] else r[2], parent_id=r[3],
                    description=r[4],
                    relation=Relation(r[5]) if r[5] else None, name_zh=r[6],
                    aliases=tuple(aliases.get(r[0], ())),
                    features=tuple(features.get(r[0], ()))) for r in rows]


@dataclass(frozen=True, slots=True)
class FactDraft:
    """A fact not yet stored; its fields are cleaned by bot.rules, its rules checked on write."""

    subject_id: int
    object_id: int
    kind: Kind
    status: Status
    date: str
    summary: str
    sources: tuple[Source, ...]
    kind_detail: str = ""
    date_note: str = ""
    confidence: str = ""
    key: str | None = None
    scope: str = ""
    region: str = ""
    note: str = ""
    verified: str = ""
    summary_zh: str = ""

    def values(self) -> Row:
        """The stored values, in ``FACT_COLUMNS`` order (a new draft is never retracted)."""
        return (self.subject_id, self.object_id, self.kind.value, self.kind_detail,
                self.status.value, self.date, self.date_note, self.confidence, self.summary, 0,
                self.scope, self.region, self.note, self.verified, self.summary_zh)

    def source_rows(self) -> list[tuple[str, str, str, str, str]]:
        return [(s.url, s.title, s.publisher, s.date, s.quote) for s in self.sources]


@dataclass(frozen=True, slots=True)
class Edit:
    """One audited fact edit, for ``/changes``: what happened to which fact, without who did it."""

    at: str
    action: str
    fact: Fact


@dataclass(frozen=True, slots=True)
class About:
    """What the store holds, for ``/about``: companies, live facts per kind, last change."""

    companies: int
    facts: int
    facts_per_kind: tuple[tuple[Kind, int], ...]
    last_change: str
    waiting: int = 0
    """Threads waiting for an admin's look (``bot.upkeep``); counted by ``Interop.about``."""
