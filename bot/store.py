"""SQLite persistence: schema and migrations, queries, transactional writes and the audit log.

One writer connection serialises every write in ``BEGIN IMMEDIATE`` transactions, and a small
pool of read-only connections serves queries concurrently under WAL, so readers never wait for
a writer and never see half of a write.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.domain import (
    AuditEntry,
    Company,
    Conflict,
    Fact,
    FeatureAlias,
    Kind,
    NotFound,
    Relation,
    Source,
    Status,
    StorageError,
    ValidationError,
)

# Ordered migrations: index i upgrades user_version i -> i + 1. Never edit a released step.
# Each step is literal SQL, frozen when released: never build one from today's enums.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE company (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind        TEXT NOT NULL DEFAULT '',
        parent_id   INTEGER REFERENCES company(id) ON DELETE SET NULL,
        description TEXT NOT NULL DEFAULT '',
        created_by  TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX company_parent ON company(parent_id);

    CREATE TABLE alias (
        id         INTEGER PRIMARY KEY,
        company_id INTEGER NOT NULL REFERENCES company(id) ON DELETE CASCADE,
        alias      TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (company_id, alias)
    );

    CREATE TABLE fact (
        id          INTEGER PRIMARY KEY,
        key         TEXT UNIQUE,
        subject_id  INTEGER NOT NULL REFERENCES company(id),
        object_id   INTEGER NOT NULL REFERENCES company(id),
        kind        TEXT NOT NULL CHECK (kind IN ('payments', 'logistics', 'shopping/links', 'messaging',
                                              'login', 'content', 'other')),
        kind_detail TEXT NOT NULL DEFAULT '',
        status      TEXT NOT NULL CHECK (status IN ('live', 'partial', 'announced', 'ended')),
        date        TEXT NOT NULL DEFAULT '',
        date_note   TEXT NOT NULL DEFAULT '',
        confidence  TEXT NOT NULL DEFAULT '',
        summary     TEXT NOT NULL,
        retracted   INTEGER NOT NULL DEFAULT 0,
        created_by  TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL DEFAULT '',
        updated_by  TEXT NOT NULL DEFAULT '',
        updated_at  TEXT NOT NULL DEFAULT '',
        CHECK (subject_id <> object_id)
    );
    CREATE INDEX fact_pair ON fact(subject_id, object_id);
    CREATE INDEX fact_object ON fact(object_id, subject_id);
    CREATE INDEX fact_recent ON fact(date DESC, id DESC) WHERE retracted = 0;
    CREATE UNIQUE INDEX fact_unique ON fact(subject_id, object_id, kind, status, date)
        WHERE retracted = 0;

    CREATE TABLE source (
        id        INTEGER PRIMARY KEY,
        fact_id   INTEGER NOT NULL REFERENCES fact(id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        url       TEXT NOT NULL,
        title     TEXT NOT NULL DEFAULT '',
        publisher TEXT NOT NULL DEFAULT '',
        date      TEXT NOT NULL DEFAULT '',
        UNIQUE (fact_id, url)
    );

    CREATE TABLE audit (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        entity    TEXT NOT NULL,
        entity_id INTEGER,
        before    TEXT,
        after     TEXT
    );
    CREATE INDEX audit_entity ON audit(entity, entity_id);

    CREATE TABLE admin_grant (
        user_id    INTEGER PRIMARY KEY,
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL
    );

    -- Full-text search over each fact's summary and its sources' titles and publishers.
    CREATE VIRTUAL TABLE fact_fts USING fts5(summary, sources, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER fact_fts_insert AFTER INSERT ON fact BEGIN
        INSERT INTO fact_fts(rowid, summary, sources) VALUES (new.id, new.summary, '');
    END;
    CREATE TRIGGER fact_fts_update AFTER UPDATE OF summary ON fact BEGIN
        UPDATE fact_fts SET summary = new.summary WHERE rowid = new.id;
    END;
    CREATE TRIGGER fact_fts_delete AFTER DELETE ON fact BEGIN
        DELETE FROM fact_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER source_fts_insert AFTER INSERT ON source BEGIN
        UPDATE fact_fts SET sources = (
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = new.fact_id
        ) WHERE rowid = new.fact_id;
    END;
    CREATE TRIGGER source_fts_delete AFTER DELETE ON source BEGIN
        UPDATE fact_fts SET sources = coalesce((
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = old.fact_id
        ), '') WHERE rowid = old.fact_id;
    END;
    """,
    # 2: scope, region, caveat note, last verified and a Chinese summary per fact; how a company
    # hangs off its parent and its Chinese display name; feature aliases that carry a kind.
    """
    ALTER TABLE fact ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN region TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN verified TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN summary_zh TEXT NOT NULL DEFAULT '';
    DROP INDEX fact_unique;
    CREATE UNIQUE INDEX fact_unique ON fact(subject_id, object_id, kind, scope, status, date)
        WHERE retracted = 0;
    ALTER TABLE company ADD COLUMN relation TEXT NOT NULL DEFAULT '';
    ALTER TABLE company ADD COLUMN name_zh TEXT NOT NULL DEFAULT '';
    ALTER TABLE alias ADD COLUMN kind TEXT NOT NULL DEFAULT '';
    ALTER TABLE alias ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    """,
    # 3 (follows): what chats follow, the outbox of fact changes (written by triggers inside
    # whatever transaction changed the fact, so both write paths feed it), per-chat deliveries,
    # user reports and suggestions, and anonymous daily counts of what people asked and missed.
    """
    CREATE TABLE follow (
        id         INTEGER PRIMARY KEY,
        chat_id    INTEGER NOT NULL,
        company_id INTEGER NOT NULL REFERENCES company(id) ON DELETE CASCADE,
        other_id   INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (chat_id, company_id, other_id)
    );
    CREATE INDEX follow_company ON follow(company_id);
    CREATE INDEX follow_other ON follow(other_id) WHERE other_id <> 0;

    CREATE TABLE fact_change (
        id            INTEGER PRIMARY KEY,
        fact_id       INTEGER NOT NULL,
        action        TEXT NOT NULL,
        before_status TEXT NOT NULL DEFAULT '',
        old_subject   INTEGER NOT NULL DEFAULT 0,
        old_object    INTEGER NOT NULL DEFAULT 0,
        expanded      INTEGER NOT NULL DEFAULT 0,
        at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX fact_change_todo ON fact_change(id) WHERE expanded = 0;
    CREATE TRIGGER fact_follow_insert AFTER INSERT ON fact
        WHEN EXISTS (SELECT 1 FROM follow) BEGIN
        INSERT INTO fact_change (fact_id, action) VALUES (new.id, 'add');
    END;
    CREATE TRIGGER fact_follow_update AFTER UPDATE OF subject_id, object_id, kind, status, date,
        summary, scope, region, note, retracted ON fact
        WHEN EXISTS (SELECT 1 FROM follow) AND (
            old.subject_id IS NOT new.subject_id OR old.object_id IS NOT new.object_id
            OR old.kind IS NOT new.kind OR old.status IS NOT new.status OR old.date IS NOT new.date
            OR old.summary IS NOT new.summary OR old.scope IS NOT new.scope
            OR old.region IS NOT new.region OR old.note IS NOT new.note
            OR old.retracted IS NOT new.retracted) BEGIN
        INSERT INTO fact_change (fact_id, action, before_status, old_subject, old_object)
        VALUES (new.id, CASE WHEN new.retracted > old.retracted THEN 'retract'
                             WHEN new.retracted < old.retracted THEN 'restore'
                             ELSE 'edit' END,
                old.status, old.subject_id, old.object_id);
    END;

    CREATE TABLE notification (
        id        INTEGER PRIMARY KEY,
        chat_id   INTEGER NOT NULL,
        change_id INTEGER NOT NULL REFERENCES fact_change(id) ON DELETE CASCADE,
        UNIQUE (chat_id, change_id)
    );
    CREATE INDEX notification_change ON notification(change_id);

    CREATE TABLE report (
        id         INTEGER PRIMARY KEY,
        subject_id INTEGER NOT NULL DEFAULT 0,
        object_id  INTEGER NOT NULL DEFAULT 0,
        chat_id    INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        text       TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'resolved', 'dismissed')),
        created_at TEXT NOT NULL,
        closed_by  TEXT NOT NULL DEFAULT '',
        closed_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX report_open ON report(id) WHERE status = 'open';
    CREATE INDEX report_user ON report(user_id, created_at);

    CREATE TABLE suggestion (
        id         INTEGER PRIMARY KEY,
        chat_id    INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        line       TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'accepted', 'rejected')),
        reason     TEXT NOT NULL DEFAULT '',
        fact_id    INTEGER,
        created_at TEXT NOT NULL,
        closed_by  TEXT NOT NULL DEFAULT '',
        closed_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX suggestion_open ON suggestion(id) WHERE status = 'open';
    CREATE INDEX suggestion_user ON suggestion(user_id, created_at);

    CREATE TABLE miss_daily (
        day   TEXT NOT NULL,
        kind  TEXT NOT NULL CHECK (kind IN ('name', 'pair')),
        text  TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, kind, text)
    ) WITHOUT ROWID;
    """,
    # i18n: a chat's reply language from /language (en, zh, zh-Hans, zh-Hant); no row = auto.
    """
    CREATE TABLE chat_setting (
        chat_id    INTEGER PRIMARY KEY,
        language   TEXT NOT NULL DEFAULT '',
        updated_by TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL DEFAULT ''
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Pair lookups up to this many (left, right) combinations are served in the event loop's thread.
POINT_PAIRS = 4

FACT_FIELDS = ("subject_id", "object_id", "kind", "kind_detail", "status", "date", "date_note",
               "confidence", "summary", "scope", "region", "note", "verified", "summary_zh")

_FACT_SELECT = """
SELECT f.id, f.key, f.subject_id, f.object_id, f.kind, f.kind_detail, f.status, f.date,
       f.date_note, f.confidence, f.summary, f.retracted, f.created_by, f.created_at,
       f.updated_by, f.updated_at, f.scope, f.region, f.note, f.verified, f.summary_zh,
       (SELECT json_group_array(json_array(s.url, s.title, s.publisher, s.date, s.id))
          FROM (SELECT * FROM source WHERE fact_id = f.id ORDER BY position) AS s) AS sources
  FROM fact AS f
"""


_DUPLICATE_SQL = """
SELECT id FROM fact
 WHERE subject_id = :subject_id AND object_id = :object_id AND kind = :kind AND status = :status
   AND date = :date AND scope = :scope AND retracted = 0 AND id <> :exclude
"""


def _duplicate_params(subject_id: int, object_id: int, kind: str, status: str, date: str,
                      exclude: int = 0, *, scope: str = "") -> dict[str, Any]:
    return {"subject_id": subject_id, "object_id": object_id, "kind": kind, "status": status,
            "date": date, "scope": scope, "exclude": exclude}


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fact_from_row(row: Sequence[Any]) -> Fact:
    sources = tuple(
        Source(url=url, title=title, publisher=publisher, date=date, id=sid)
        for url, title, publisher, date, sid in json.loads(row[21] or "[]")
    )
    return Fact(
        id=row[0], key=row[1] or "", subject_id=row[2], object_id=row[3], kind=Kind(row[4]),
        kind_detail=row[5], status=Status(row[6]), date=row[7], date_note=row[8],
        confidence=row[9], summary=row[10], retracted=bool(row[11]), created_by=row[12],
        created_at=row[13], updated_by=row[14], updated_at=row[15], scope=row[16],
        region=row[17], note=row[18], verified=row[19], summary_zh=row[20], sources=sources,
    )


def fact_record(fact: Fact) -> dict[str, Any]:
    """A fact as plain JSON-able data, for the audit log and exports."""
    return {
        "key": fact.key, "subject_id": fact.subject_id, "object_id": fact.object_id,
        "kind": fact.kind.value, "kind_detail": fact.kind_detail, "status": fact.status.value,
        "date": fact.date, "date_note": fact.date_note, "confidence": fact.confidence,
        "summary": fact.summary, "scope": fact.scope, "region": fact.region, "note": fact.note,
        "verified": fact.verified, "summary_zh": fact.summary_zh, "retracted": fact.retracted,
        "sources": [{"url": s.url, "title": s.title, "publisher": s.publisher, "date": s.date}
                    for s in fact.sources],
    }


def company_record(company: Company) -> dict[str, Any]:
    return {"name": company.name, "kind": company.kind, "parent_id": company.parent_id,
            "relation": company.relation.value if company.relation else None,
            "name_zh": company.name_zh, "description": company.description,
            "aliases": list(company.aliases),
            "features": [{"alias": f.alias, "kind": f.kind.value, "scope": f.scope}
                         for f in company.features]}


_COMPANY_SELECT = "SELECT id, name, kind, parent_id, description, relation, name_zh FROM company"
_ALIAS_SELECT = "SELECT company_id, alias, kind, scope FROM alias"


def _companies_from_rows(rows: Iterable[Sequence[Any]],
                         alias_rows: Iterable[Sequence[Any]]) -> list[Company]:
    """Companies with their plain aliases and their feature aliases (rows with a kind)."""
    aliases: dict[int, list[str]] = {}
    features: dict[int, list[FeatureAlias]] = {}
    for company_id, alias, kind, scope in alias_rows:
        if kind:
            features.setdefault(company_id, []).append(FeatureAlias(alias, Kind(kind), scope))
        else:
            aliases.setdefault(company_id, []).append(alias)
    return [Company(id=r[0], name=r[1], kind=r[2], parent_id=r[3], description=r[4],
                    relation=Relation(r[5]) if r[5] else None, name_zh=r[6],
                    aliases=tuple(aliases.get(r[0], ())),
                    features=tuple(features.get(r[0], ()))) for r in rows]


@dataclass(frozen=True, slots=True)
class FactDraft:
    """A fact not yet stored; validated by the caller (see bot.rules and bot.admin)."""

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


def _storage_error(exc: sqlite3.Error) -> StorageError:
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return StorageError("the database is read-only right now, so nothing was saved")
    if "full" in text:
        return StorageError("the disk is full, so nothing was saved")
    if "locked" in text or "busy" in text:
        return StorageError("the database is busy; please try again in a moment")
    return StorageError(f"the database refused the change ({exc})")


class Store:
    """Async access to the fact database. Create with ``await Store.open(path)``."""

    def __init__(self, path: Path, writer: aiosqlite.Connection,
                 readers: list[aiosqlite.Connection], point: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._point = point
        self._next_reader = itertools.cycle(range(len(readers)))
        self._write_lock = asyncio.Lock()
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, readers: int = 2, check: bool = True) -> Store:
        """Open (creating and migrating if needed) and verify the database.

        With ``check=False`` the caller promises to ``await store.quick_check()`` itself (start-up
        overlaps it with building the index); a file that needs migrating is always checked first.
        """
        path = Path(path)
        if not path.parent.is_dir():  # checked first: a failed aiosqlite.connect leaks its thread
            raise StorageError(f"cannot open the database at {path}: its folder does not exist")
        try:
            writer = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the database at {path}: {exc}") from None
        pool: list[aiosqlite.Connection] = []
        try:
            await cls._configure(writer)
            (version,) = await (await writer.execute("PRAGMA user_version")).fetchone()  # type: ignore[misc]
            if check or version != SCHEMA_VERSION:
                await _quick_check(writer, path)
            await cls._migrate(writer)
            for _ in range(readers):
                reader = await aiosqlite.connect(
                    path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
                pool.append(reader)
                await reader.execute("PRAGMA query_only = ON")
                await reader.execute("PRAGMA busy_timeout = 5000")
            point = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                    isolation_level=None)
            point.execute("PRAGMA query_only = ON")
            point.execute("PRAGMA busy_timeout = 0")  # never block the event loop: fall back instead
        except BaseException as exc:
            for conn in [*pool, writer]:
                await conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StorageError(f"cannot open the database at {path}: {exc}") from None
            raise
        return cls(path, writer, pool, point)

    @staticmethod
    async def _configure(conn: aiosqlite.Connection) -> None:
        await conn.execute("PRAGMA busy_timeout = 5000")
        # A read-only file cannot switch journal mode; it still serves reads, so go on.
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")

    @staticmethod
    async def _migrate(conn: aiosqlite.Connection) -> None:
        (version,) = await (await conn.execute("PRAGMA user_version")).fetchone()  # type: ignore[misc]
        if version > SCHEMA_VERSION:
            raise StorageError(f"the database schema (v{version}) is newer than this program "
                               f"(v{SCHEMA_VERSION}); upgrade interop-bot")
        for step in range(version, SCHEMA_VERSION):
            try:
                await conn.execute("BEGIN IMMEDIATE")
                for statement in _split_sql(MIGRATIONS[step]):
                    await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {step + 1}")
                await conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise _storage_error(exc) from exc

    async def quick_check(self) -> None:
        """SQLite's structural check, on a reader so it can run beside other start-up work."""
        await _quick_check(self._reader(), self.path)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._point.close()
        for conn in [*self._readers, self._writer]:
            await conn.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- plumbing ------------------------------------------------------------------------

    def _reader(self) -> aiosqlite.Connection:
        return self._readers[next(self._next_reader)]

    async def _all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        # One trip to the connection's thread instead of three (execute, fetchall, close):
        # the trips, not SQLite, were most of a /check's time.
        return list(await self._reader().execute_fetchall(sql, params))

    def _point_rows(self, sql: str, params: Sequence[Any]) -> list[Any] | None:
        """A tiny indexed read answered in the event loop's own thread.

        For a point lookup SQLite needs ~30 µs, while the hop to a reader thread and back costs
        several times that; so the hot path (one pair's facts) skips the hop. None means the
        file was busy for a moment (rare under WAL): the caller takes the threaded path.
        """
        try:
            return self._point.execute(sql, params).fetchall()
        except sqlite3.OperationalError:
            return None

    def data_version(self) -> int:
        """Changes whenever any connection (ours, a bulk import, another process) commits.

        Answer caches key on it, so they can never serve a result older than the last write.
        """
        (version,) = self._point.execute("PRAGMA data_version").fetchone()
        return int(version)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Serialise writers; commit on success, roll back on any error."""
        async with self._write_lock:
            conn = self._writer
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _storage_error(exc) from exc
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:  # SQLITE_FULL and friends may have rolled back already
                    await conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.IntegrityError):
                    raise Conflict(f"that would duplicate existing data ({exc})") from exc
                if isinstance(exc, sqlite3.Error):
                    raise _storage_error(exc) from exc
                raise

    @staticmethod
    async def _audit(conn: aiosqlite.Connection, actor: str, action: str, entity: str,
                     entity_id: int | None, before: Any, after: Any) -> None:
        await conn.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
            "VALUES (:at, :actor, :action, :entity, :entity_id, :before, :after)",
            {"at": utcnow(), "actor": actor, "action": action, "entity": entity,
             "entity_id": entity_id,
             "before": None if before is None else json.dumps(before, ensure_ascii=False),
             "after": None if after is None else json.dumps(after, ensure_ascii=False)},
        )

    # -- reads ---------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        rows = await self._all(
            "SELECT (SELECT count(*) FROM company), (SELECT count(*) FROM alias), "
            "(SELECT count(*) FROM fact WHERE retracted = 0), (SELECT count(*) FROM fact), "
            "(SELECT count(*) FROM source), (SELECT count(*) FROM audit)"
        )
        keys = ("companies", "aliases", "facts", "facts_all", "sources", "audit")
        return dict(zip(keys, rows[0], strict=True))

    async def is_empty(self) -> bool:
        """No company and no fact (retracted or not): cheap, unlike counts()."""
        rows = await self._all("SELECT NOT EXISTS (SELECT 1 FROM company) "
                               "AND NOT EXISTS (SELECT 1 FROM fact)")
        return bool(rows[0][0])

    async def companies(self) -> list[Company]:
        """Every company with its aliases; feeds the resolver index at start-up."""
        alias_rows = await self._all(_ALIAS_SELECT + " ORDER BY id")
        return _companies_from_rows(await self._all(_COMPANY_SELECT), alias_rows)

    async def company(self, company_id: int) -> Company | None:
        rows = await self._all(_COMPANY_SELECT + " WHERE id = ?", (company_id,))
        if not rows:
            return None
        alias_rows = await self._all(_ALIAS_SELECT + " WHERE company_id = ? ORDER BY id",
                                     (company_id,))
        return _companies_from_rows(rows, alias_rows)[0]


    async def fact(self, fact_id: int) -> Fact | None:
        rows = await self._all(_FACT_SELECT + " WHERE f.id = ?", (fact_id,))
        return _fact_from_row(rows[0]) if rows else None

    async def facts_between(self, left: Iterable[int], right: Iterable[int]) -> list[Fact]:
        """Live (not retracted) facts with one party in ``left`` and the other in ``right``."""
        left_ids, right_ids = sorted(set(left)), sorted(set(right))
        if not left_ids or not right_ids:
            return []
        lq = ",".join("?" * len(left_ids))
        rq = ",".join("?" * len(right_ids))
        sql = (_FACT_SELECT + f" WHERE f.retracted = 0 AND ("
               f"(f.subject_id IN ({lq}) AND f.object_id IN ({rq})) OR "
               f"(f.subject_id IN ({rq}) AND f.object_id IN ({lq})))")
        params = [*left_ids, *right_ids, *right_ids, *left_ids]
        rows = None
        if len(left_ids) * len(right_ids) <= POINT_PAIRS:  # a direct check: a handful of rows
            rows = self._point_rows(sql, params)
        if rows is None:
            rows = await self._all(sql, params)
        return sorted((_fact_from_row(r) for r in rows), key=lambda f: f.sort_key)

    async def facts_involving(self, company_ids: Iterable[int]) -> list[Fact]:
        ids = sorted(set(company_ids))
        if not ids:
            return []
        q = ",".join("?" * len(ids))
        sql = (_FACT_SELECT + f" WHERE f.retracted = 0 AND f.id IN ("
               f"SELECT id FROM fact WHERE subject_id IN ({q}) "
               f"UNION SELECT id FROM fact WHERE object_id IN ({q}))")
        rows = await self._all(sql, [*ids, *ids])
        return sorted((_fact_from_row(r) for r in rows), key=lambda f: f.sort_key)

    async def recent(self, limit: int) -> list[Fact]:
        rows = await self._all(_FACT_SELECT + " WHERE f.retracted = 0 "
                               "ORDER BY f.date DESC, f.id DESC LIMIT ?", (limit,))
        return [_fact_from_row(r) for r in rows]

    async def search(self, text: str, limit: int = 10) -> list[Fact]:
        """FTS5 search: every word as a prefix, all words first, any word as a fallback."""
        words = [w for w in _fts_words(text) if w]
        if not words:
            return []
        for joiner in (" AND ", " OR "):
            query = joiner.join(f'"{w}"*' for w in words)
            rows = await self._all(
                _FACT_SELECT + " JOIN fact_fts ON fact_fts.rowid = f.id "
                "WHERE fact_fts MATCH ? AND f.retracted = 0 ORDER BY bm25(fact_fts), f.date DESC "
                "LIMIT ?", (query, limit))
            if rows or len(words) == 1:
                return [_fact_from_row(r) for r in rows]
        return []

    async def find_duplicate(self, draft: FactDraft) -> int | None:
        rows = await self._all(_DUPLICATE_SQL, _duplicate_params(
            draft.subject_id, draft.object_id, draft.kind.value, draft.status.value, draft.date,
            scope=draft.scope))
        return rows[0][0] if rows else None

    async def history(self, entity: str, entity_id: int) -> list[AuditEntry]:
        rows = await self._all(
            "SELECT id, at, actor, action, entity, entity_id, before, after FROM audit "
            "WHERE entity = ? AND entity_id = ? ORDER BY id", (entity, entity_id))
        return [AuditEntry(id=r[0], at=r[1], actor=r[2], action=r[3], entity=r[4],
                           entity_id=r[5], before=json.loads(r[6]) if r[6] else None,
                           after=json.loads(r[7]) if r[7] else None) for r in rows]

    async def granted_admins(self) -> list[tuple[int, str, str]]:
        return [tuple(r) for r in await self._all(
            "SELECT user_id, granted_by, granted_at FROM admin_grant ORDER BY granted_at")]

    async def is_granted(self, user_id: int) -> bool:
        return bool(await self._all("SELECT 1 FROM admin_grant WHERE user_id = ?", (user_id,)))

    # -- writes --------------------------------------------------------------------------

    @staticmethod
    async def _insert_company(conn: aiosqlite.Connection, company: Company, actor: str) -> int:
        cursor = await conn.execute(
            "INSERT INTO company (name, kind, parent_id, description, relation, name_zh, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (company.name, company.kind, company.parent_id, company.description,
             company.relation.value if company.relation else "", company.name_zh, actor, utcnow()))
        company_id = cursor.lastrowid
        assert company_id is not None
        for alias in company.aliases:
            await conn.execute("INSERT OR IGNORE INTO alias (company_id, alias) VALUES (?, ?)",
                               (company_id, alias))
        for feature in company.features:
            await conn.execute("INSERT OR IGNORE INTO alias (company_id, alias, kind, scope) "
                               "VALUES (?, ?, ?, ?)",
                               (company_id, feature.alias, feature.kind.value, feature.scope))
        return company_id

    async def add_company(self, company: Company, actor: str) -> Company:
        async with self.transaction() as conn:
            rows = await (await conn.execute("SELECT id FROM company WHERE name = ?",
                                             (company.name,))).fetchall()
            if rows:
                raise Conflict(f"a company named {company.name!r} already exists", rows[0][0])
            company_id = await self._insert_company(conn, company, actor)
            await self._audit(conn, actor, "add", "company", company_id, None,
                              company_record(company))
        stored = await self._company_in(conn, company_id)
        return stored

    async def _company_in(self, conn: aiosqlite.Connection, company_id: int) -> Company:
        rows = await (await conn.execute(_COMPANY_SELECT + " WHERE id = ?",
                                         (company_id,))).fetchall()
        if not rows:
            raise NotFound(f"company {company_id} does not exist")
        alias_rows = await (await conn.execute(
            _ALIAS_SELECT + " WHERE company_id = ? ORDER BY id", (company_id,))).fetchall()
        return _companies_from_rows(rows, alias_rows)[0]

    async def set_aliases(self, company_id: int, add: Sequence[str], remove: Sequence[str],
                          actor: str) -> Company:
        async with self.transaction() as conn:
            before = await self._company_in(conn, company_id)
            for alias in remove:
                await conn.execute("DELETE FROM alias WHERE company_id = ? AND alias = ?",
                                   (company_id, alias))
            for alias in add:
                await conn.execute("INSERT OR IGNORE INTO alias (company_id, alias) VALUES (?, ?)",
                                   (company_id, alias))
            after = await self._company_in(conn, company_id)
            await self._audit(conn, actor, "alias", "company", company_id,
                              {"aliases": list(before.aliases)}, {"aliases": list(after.aliases)})
        return after

    async def add_fact(self, draft: FactDraft, actor: str) -> Fact:
        async with self.transaction() as conn:
            fact_id = await self._insert_fact(conn, draft, actor)
        fact = await self._fact_via_writer(fact_id)
        return fact

    async def _fact_via_writer(self, fact_id: int) -> Fact:
        async with self._write_lock:
            row = await (await self._writer.execute(_FACT_SELECT + " WHERE f.id = ?",
                                                    (fact_id,))).fetchone()
        if row is None:
            raise NotFound(f"fact #{fact_id} does not exist")
        return _fact_from_row(row)

    async def _insert_fact(self, conn: aiosqlite.Connection, draft: FactDraft, actor: str) -> int:
        dup = await (await conn.execute(_DUPLICATE_SQL, _duplicate_params(
            draft.subject_id, draft.object_id, draft.kind.value, draft.status.value,
            draft.date, scope=draft.scope))).fetchone()
        if dup:
            raise Conflict(f"the same fact already exists as #{dup[0]}", dup[0])
        now = utcnow()
        cursor = await conn.execute(
            "INSERT INTO fact (key, subject_id, object_id, kind, kind_detail, status, date, "
            "date_note, confidence, summary, scope, region, note, verified, summary_zh, "
            "created_by, created_at, updated_by, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (draft.key, draft.subject_id, draft.object_id, draft.kind.value, draft.kind_detail,
             draft.status.value, draft.date, draft.date_note, draft.confidence, draft.summary,
             draft.scope, draft.region, draft.note, draft.verified, draft.summary_zh,
             actor, now, actor, now))
        fact_id = cursor.lastrowid
        assert fact_id is not None
        if not draft.key:
            await conn.execute("UPDATE fact SET key = ? WHERE id = ?", (f"fact-{fact_id}", fact_id))
        for position, source in enumerate(draft.sources):
            await conn.execute(
                "INSERT OR IGNORE INTO source (fact_id, position, url, title, publisher, date) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (fact_id, position, source.url, source.title, source.publisher, source.date))
        row = await (await conn.execute(_FACT_SELECT + " WHERE f.id = ?", (fact_id,))).fetchone()
        assert row is not None
        await self._audit(conn, actor, "add", "fact", fact_id, None,
                          fact_record(_fact_from_row(row)))
        return fact_id

    async def _locked_fact(self, conn: aiosqlite.Connection, fact_id: int,
                           *, allow_retracted: bool = False) -> Fact:
        row = await (await conn.execute(_FACT_SELECT + " WHERE f.id = ?", (fact_id,))).fetchone()
        if row is None:
            raise NotFound(f"there is no fact #{fact_id}")
        fact = _fact_from_row(row)
        if fact.retracted and not allow_retracted:
            raise ValidationError(f"fact #{fact_id} is retracted; /restore {fact_id} it first")
        return fact

    async def add_source(self, fact_id: int, source: Source, actor: str) -> Fact:
        async with self.transaction() as conn:
            before = await self._locked_fact(conn, fact_id)
            if any(s.url == source.url for s in before.sources):
                raise Conflict(f"fact #{fact_id} already cites that URL", fact_id)
            await conn.execute(
                "INSERT INTO source (fact_id, position, url, title, publisher, date) "
                "VALUES (?, (SELECT coalesce(max(position), -1) + 1 FROM source WHERE fact_id = ?),"
                " ?, ?, ?, ?)",
                (fact_id, fact_id, source.url, source.title, source.publisher, source.date))
            await self._touch(conn, fact_id, actor)
            after = await self._locked_fact(conn, fact_id)
            await self._audit(conn, actor, "add_source", "fact", fact_id,
                              fact_record(before), fact_record(after))
        return after

    @staticmethod
    async def _touch(conn: aiosqlite.Connection, fact_id: int, actor: str) -> None:
        await conn.execute("UPDATE fact SET updated_by = ?, updated_at = ? WHERE id = ?",
                           (actor, utcnow(), fact_id))

    async def edit_fact(self, fact_id: int, changes: dict[str, Any], actor: str) -> Fact:
        unknown = set(changes) - set(FACT_FIELDS)
        if unknown:
            raise ValidationError(f"cannot edit {', '.join(sorted(unknown))}")
        async with self.transaction() as conn:
            before = await self._locked_fact(conn, fact_id)
            values = {k: (v.value if isinstance(v, Kind | Status) else v) for k, v in changes.items()}
            merged = {**fact_record(before), **values}
            dup = await (await conn.execute(_DUPLICATE_SQL, _duplicate_params(
                merged["subject_id"], merged["object_id"], merged["kind"], merged["status"],
                merged["date"], fact_id, scope=merged["scope"]))).fetchone()
            if dup:
                raise Conflict(f"that edit would duplicate fact #{dup[0]}", dup[0])
            assignments = ", ".join(f"{k} = :{k}" for k in values)
            await conn.execute(f"UPDATE fact SET {assignments} WHERE id = :id",
                               {**values, "id": fact_id})
            await self._touch(conn, fact_id, actor)
            after = await self._locked_fact(conn, fact_id)
            await self._audit(conn, actor, "edit", "fact", fact_id,
                              fact_record(before), fact_record(after))
        return after

    async def set_retracted(self, fact_id: int, retracted: bool, actor: str) -> Fact:
        async with self.transaction() as conn:
            before = await self._locked_fact(conn, fact_id, allow_retracted=True)
            if before.retracted == retracted:
                state = "already retracted" if retracted else "not retracted"
                raise ValidationError(f"fact #{fact_id} is {state}")
            if not retracted:
                dup = await (await conn.execute(_DUPLICATE_SQL, _duplicate_params(
                    before.subject_id, before.object_id, before.kind.value,
                    before.status.value, before.date, fact_id, scope=before.scope))).fetchone()
                if dup:
                    raise Conflict(f"restoring would duplicate fact #{dup[0]}", dup[0])
            await conn.execute("UPDATE fact SET retracted = ? WHERE id = ?",
                               (int(retracted), fact_id))
            await self._touch(conn, fact_id, actor)
            after = await self._locked_fact(conn, fact_id, allow_retracted=True)
            await self._audit(conn, actor, "retract" if retracted else "restore", "fact",
                              fact_id, fact_record(before), fact_record(after))
        return after

    async def set_grant(self, user_id: int, granted: bool, actor: str) -> bool:
        """Grant or revoke; returns False when nothing changed."""
        async with self.transaction() as conn:
            exists = await (await conn.execute("SELECT 1 FROM admin_grant WHERE user_id = ?",
                                               (user_id,))).fetchone()
            if bool(exists) == granted:
                return False
            if granted:
                await conn.execute("INSERT INTO admin_grant VALUES (?, ?, ?)",
                                   (user_id, actor, utcnow()))
            else:
                await conn.execute("DELETE FROM admin_grant WHERE user_id = ?", (user_id,))
            await self._audit(conn, actor, "grant" if granted else "revoke", "admin", user_id,
                              {"admin": not granted}, {"admin": granted})
        return True

    # -- chat settings (i18n) -------------------------------------------------------------

    async def chat_language(self, chat_id: int) -> str:
        """The chat's /language setting, "" when it follows each question (auto)."""
        rows = await self._all("SELECT language FROM chat_setting WHERE chat_id = ?", (chat_id,))
        return str(rows[0][0]) if rows else ""

    async def set_chat_language(self, chat_id: int, language: str, actor: str) -> None:
        """Store the chat's reply language; "" (auto) removes the row."""
        async with self.transaction() as conn:
            if not language:
                await conn.execute("DELETE FROM chat_setting WHERE chat_id = ?", (chat_id,))
                return
            await conn.execute(
                "INSERT INTO chat_setting (chat_id, language, updated_by, updated_at) "
                "VALUES (:chat, :language, :actor, :at) ON CONFLICT (chat_id) DO UPDATE SET "
                "language = excluded.language, updated_by = excluded.updated_by, "
                "updated_at = excluded.updated_at",
                {"chat": chat_id, "language": language, "actor": actor, "at": utcnow()})

    @asynccontextmanager
    async def exclusive_writes(self) -> AsyncIterator[None]:
        """Hold the single-writer slot while bulk work writes through its own connection."""
        async with self._write_lock:
            yield

    async def backup(self, target: Path) -> Path:
        """A consistent copy made with SQLite's online backup API, safe while the bot runs."""
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.unlink(missing_ok=True)
        dest = await aiosqlite.connect(tmp)
        try:
            async with self._write_lock:
                await self._writer.backup(dest)
        finally:
            await dest.close()
        tmp.replace(target)
        return target


async def _quick_check(conn: aiosqlite.Connection, path: Path) -> None:
    (result,) = await (await conn.execute("PRAGMA quick_check")).fetchone()  # type: ignore[misc]
    if result != "ok":
        raise StorageError(f"the database at {path} is damaged ({result})")


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


# -- bulk loading: FTS maintenance once per fact instead of once per row ---------------------

FTS_INSERT_TRIGGERS = ("fact_fts_insert", "source_fts_insert")
"""Triggers that index a new fact and rewrite its FTS row once per source: a bulk load
suspends them and indexes its facts in one statement (``index_new_facts``)."""

_FTS_SOURCES = ("coalesce((SELECT group_concat(title || ' ' || publisher, ' ') FROM source "
                "WHERE fact_id = {}), '')")
"""The ``sources`` text of a fact's FTS row, as the triggers build it."""


def suspend_fts_insert_triggers(conn: sqlite3.Connection) -> list[str]:
    """Drop the FTS insert triggers inside the caller's write transaction; returns their SQL.

    The caller must pass the result to ``restore_fts_triggers`` before it commits. DDL is
    transactional, so no other connection ever sees the schema without them, and a rollback
    (a dry run, a crash) brings them back by itself. Taking the SQL from the file, not from
    MIGRATIONS, restores exactly what was there, whatever created it.
    """
    assert conn.in_transaction, "suspend the FTS triggers only inside a write transaction"
    marks = ", ".join("?" * len(FTS_INSERT_TRIGGERS))
    rows = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                        f"AND name IN ({marks})", FTS_INSERT_TRIGGERS).fetchall()
    for name, _ in rows:
        conn.execute(f'DROP TRIGGER "{name}"')
    return [sql for _, sql in rows]


def restore_fts_triggers(conn: sqlite3.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        conn.execute(statement)


def index_new_facts(conn: sqlite3.Connection, first_id: int, changed_sources: Iterable[int]) -> None:
    """Bring fact_fts up to date after writes made with the insert triggers suspended.

    Facts from ``first_id`` on were inserted while suspended and have no FTS row yet: one
    INSERT ... SELECT indexes them (the same summary and sources text the triggers write).
    Older facts whose sources were replaced get their sources text recomputed.
    """
    conn.execute("INSERT INTO fact_fts (rowid, summary, sources) SELECT id, summary, "
                 f"{_FTS_SOURCES.format('fact.id')} FROM fact WHERE id >= ?", (first_id,))
    conn.executemany(f"UPDATE fact_fts SET sources = {_FTS_SOURCES.format('?')} WHERE rowid = ?",
                     [(fid, fid) for fid in changed_sources if fid < first_id])


def _fts_words(text: str) -> list[str]:
    """Words safe to quote in an FTS5 query (quotes doubled, operators neutralised)."""
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text.casefold())
    return [w.replace('"', '""') for w in cleaned.split()][:12]
