"""Every read query of the store, on the read-only connection pool (a mixin of ``Store``)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from bot.domain import AuditEntry, Company, Fact, Kind
from bot.store.rows import (
    ALIAS_SELECT,
    COMPANY_SELECT,
    FACT_SELECT,
    About,
    Edit,
    FactDraft,
    Row,
    companies_from_rows,
    fact_from_row,
)
from bot.store.search import COMPANIES_NAMED, FTS_TEXT, OVERFETCH, Query, like_clause, parse_query
from bot.store.stale import STALE_COUNT, STALE_PAGE

T = TypeVar("T")
Params = Sequence[object] | Mapping[str, object]

POINT_PAIRS = 4
"""Pair lookups up to this many (left, right) combinations are served in the event loop's thread."""
PROFILE_CHUNK = 500
"""Facts of a profile read by one statement (well under SQLite's limit on parameters)."""
PROFILE_EAGER = 64
"""A profile's facts read with its ids: its first pages (some 20 to 40 facts a page)."""

_DUPLICATE_SQL = """
SELECT id FROM fact
 WHERE subject_id = :subject_id AND object_id = :object_id AND kind = :kind AND status = :status
   AND date = :date AND scope = :scope AND retracted = 0
"""

CHANGE_ACTIONS = ("add", "edit", "add_source", "retract", "restore", "import", "verify")
"""Audit actions on facts that ``/changes`` reports."""


_FTS_SELECT = FACT_SELECT.replace("  FROM fact AS f", f", {FTS_TEXT} AS fts_text\n  FROM fact AS f") + \
    " JOIN fact_fts ON fact_fts.rowid = f.id"


def _profile_union(n: int) -> str:
    """The live facts with a party among ``n`` ids (``?1``..): id, kind and date, each fact once.

    Both halves are read from the party indexes alone (they hold retracted, kind and date); the
    second skips facts the first already has (a company and its product as the two parties).
    """
    q = ",".join(f"?{i}" for i in range(1, n + 1))
    return (f"SELECT id, kind, date FROM fact WHERE subject_id IN ({q}) AND retracted = 0 "
            f"UNION ALL SELECT id, kind, date FROM fact WHERE object_id IN ({q}) AND retracted = 0 "
            f"AND subject_id NOT IN ({q})")


_PROFILE_ORDER = " ORDER BY kind, date = '', date || char(1114111) DESC, id"


def _like(word: str) -> str:
    """A word for LIKE, its wildcards taken literally."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _involving(ids: Sequence[int]) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) of live facts with a party among ``ids``."""
    return f" WHERE f.id IN (SELECT id FROM ({_profile_union(len(ids))}))", list(ids)


def _profile_ids_sql(n: int) -> str:
    """Every id of a profile of ``n`` companies, in the profile's order."""
    return f"SELECT id FROM ({_profile_union(n)}){_PROFILE_ORDER}"


def _by_id_sql(n: int) -> str:
    """Whole facts by ``n`` ids."""
    return FACT_SELECT + f" WHERE f.id IN ({','.join('?' * n)})"


def _in_order(rows: Sequence[Row], ids: Sequence[int]) -> list[Row]:
    """Fact rows in the order of ``ids`` (facts are retracted, never deleted)."""
    by_id = {row[0]: row for row in rows}
    return [by_id[i] for i in ids]


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    return conn.execute(sql, params).fetchall()


def _rows_by_id(conn: sqlite3.Connection, order: Sequence[int]) -> list[Row]:
    """Whole fact rows of ``order``, in its order, ``PROFILE_CHUNK`` ids per statement."""
    rows: list[Row] = []
    for start in range(0, len(order), PROFILE_CHUNK):
        chunk = order[start:start + PROFILE_CHUNK]
        rows += _in_order(conn.execute(_by_id_sql(len(chunk)), chunk).fetchall(), chunk)
    return rows


def _profile_rows(conn: sqlite3.Connection, ids: list[int], eager: int) -> tuple[list[int], list[Row]]:
    """Every live fact id of a profile of ``ids`` in the profile's order, and the rows of its
    first ``eager`` facts, from one snapshot."""
    conn.execute("BEGIN")
    try:
        order = [r[0] for r in conn.execute(_profile_ids_sql(len(ids)), ids)]
        return order, _rows_by_id(conn, order[:eager])
    finally:
        conn.execute("COMMIT")


class Reads:
    """Read queries; ``Store`` provides the connections (``read``, and ``_point`` for the few
    reads the event loop's thread answers itself)."""

    _point: sqlite3.Connection
    _known_versions: tuple[int, int, int] | None = None

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        raise NotImplementedError

    async def _all(self, sql: str, params: Params = ()) -> list[Row]:
        """One statement's rows, on a reader thread: one trip there and back."""
        return await self.read(_fetchall, sql, params)

    def _point_rows(self, sql: str, params: Params) -> list[Row] | None:
        """A tiny indexed read answered in the event loop's own thread.

        For a point lookup SQLite needs ~30 µs, and the trip to a reader thread and back costs as
        much again or more; so the hot path (one pair's facts) skips the trip. None means the
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

    def company_changes(self) -> int:
        """The newest entry of the company change log (a trigger logs every company and alias
        change, whoever commits it): the name index is current while this has not moved."""
        return self._versions()[2]

    def _versions(self) -> tuple[int, int, int]:
        """(data_version, facts counter, newest company change), read again only after a commit.

        Every update asks for these; ``PRAGMA data_version`` alone tells whether any connection
        committed since the last read, and nothing can change without a commit.
        """
        (version,) = self._point.execute("PRAGMA data_version").fetchone()
        known = self._known_versions
        if known is not None and known[0] == version:
            return known
        facts, names = self._point.execute(
            "SELECT (SELECT n FROM change_count WHERE what = 'facts'), "
            "(SELECT coalesce(max(seq), 0) FROM company_change)").fetchone()
        # data_version was read first: a commit landing in between only causes one more read.
        self._known_versions = (int(version), int(facts), int(names))
        return self._known_versions

    def companies_changed_since(self, seq: int, limit: int) -> tuple[int, list[int]] | None:
        """The companies changed after log entry ``seq`` and the newest entry read; None when
        more than ``limit`` changed or the log no longer reaches back that far (reload all)."""
        rows = self._point.execute(
            "SELECT seq, company_id FROM company_change WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit + 1)).fetchall()
        if not rows:
            return seq, []
        if len(rows) > limit or rows[0][0] != seq + 1:  # the log is gapless; a gap was pruned
            return None
        return int(rows[-1][0]), sorted({int(cid) for _, cid in rows if cid})

    def content_version(self) -> tuple[int, int]:
        """Moves on any change to a fact, a source, a company or an alias, and on nothing else.

        Answer caches key on it: a commit that changes no answer (the adapter's saved state, a
        follow, a counter) keeps them, which ``PRAGMA data_version`` would not.
        """
        _, facts, names = self._versions()
        return facts, names

    async def counts(self) -> dict[str, int]:
        rows = await self._all(
            "SELECT (SELECT count(*) FROM company), (SELECT count(*) FROM alias), "
            "(SELECT count(*) FROM fact WHERE retracted = 0), (SELECT count(*) FROM fact), "
            "(SELECT count(*) FROM source), (SELECT count(*) FROM audit)"
        )
        keys = ("companies", "aliases", "facts", "facts_all", "sources", "audit")
        return dict(zip(keys, rows[0], strict=True))

    async def about(self) -> About:
        """Companies, live facts per kind (area) and when the data last changed."""
        [(companies, last)] = await self._all(
            "SELECT (SELECT count(*) FROM company), "
            "(SELECT max(at) FROM audit WHERE entity IN ('fact', 'company'))")
        per_kind = await self._all("SELECT kind, count(*) FROM fact WHERE retracted = 0 "
                                   "GROUP BY kind ORDER BY count(*) DESC, kind")
        kinds = tuple((Kind(k), n) for k, n in per_kind)
        return About(companies=companies, facts=sum(n for _, n in kinds), facts_per_kind=kinds,
                     last_change=last or "")

    async def is_empty(self) -> bool:
        """No company and no fact (retracted or not): cheap, unlike counts()."""
        rows = await self._all("SELECT NOT EXISTS (SELECT 1 FROM company) "
                               "AND NOT EXISTS (SELECT 1 FROM fact)")
        return bool(rows[0][0])

    async def companies(self) -> list[Company]:
        """Every company with its aliases; feeds the resolver index at start-up."""
        alias_rows = await self._all(ALIAS_SELECT + " ORDER BY id")
        return companies_from_rows(await self._all(COMPANY_SELECT), alias_rows)

    async def company(self, company_id: int) -> Company | None:
        rows = await self._all(COMPANY_SELECT + " WHERE id = ?", (company_id,))
        if not rows:
            return None
        alias_rows = await self._all(ALIAS_SELECT + " WHERE company_id = ? ORDER BY id",
                                     (company_id,))
        return companies_from_rows(rows, alias_rows)[0]

    async def name_owner(self, key: str) -> int | None:
        """The company holding a normalised name key (bot.rules.name_key), if any."""
        rows = await self._all("SELECT company_id FROM name_key WHERE key = ?", (key,))
        return int(rows[0][0]) if rows else None

    async def fact(self, fact_id: int) -> Fact | None:
        rows = await self._all(FACT_SELECT + " WHERE f.id = ?", (fact_id,))
        return fact_from_row(rows[0]) if rows else None

    async def facts_between(self, left: Iterable[int], right: Iterable[int]) -> list[Fact]:
        """Live (not retracted) facts with one party in ``left`` and the other in ``right``."""
        left_ids, right_ids = sorted(set(left)), sorted(set(right))
        if not left_ids or not right_ids:
            return []
        lq = ",".join("?" * len(left_ids))
        rq = ",".join("?" * len(right_ids))
        sql = (FACT_SELECT + f" WHERE f.retracted = 0 AND ("
               f"(f.subject_id IN ({lq}) AND f.object_id IN ({rq})) OR "
               f"(f.subject_id IN ({rq}) AND f.object_id IN ({lq})))")
        params = [*left_ids, *right_ids, *right_ids, *left_ids]
        rows = None
        if len(left_ids) * len(right_ids) <= POINT_PAIRS:  # a direct check: a handful of rows
            rows = self._point_rows(sql, params)
        if rows is None:
            rows = await self._all(sql, params)
        return sorted((fact_from_row(r) for r in rows), key=lambda f: f.sort_key)

    async def facts_involving(self, company_ids: Iterable[int], kind: Kind | None = None,
                              saying: Sequence[str] = ()) -> list[Fact]:
        """Live facts with a party in ``company_ids`` (of one ``kind`` when given, and whose
        summary contains one of the words ``saying`` when given: a big company's other facts
        are then never built), oldest first."""
        ids = sorted(set(company_ids))
        if not ids:
            return []
        where, params = _involving(ids)
        if kind is not None:
            where += " AND f.kind = ?"
            params.append(kind.value)
        if saying:
            where += " AND (" + " OR ".join(["f.summary LIKE ? ESCAPE '\\'"] * len(saying)) + ")"
            params += [f"%{_like(word)}%" for word in saying]
        rows = await self._all(FACT_SELECT + where, params)
        return sorted((fact_from_row(r) for r in rows), key=lambda f: f.sort_key)

    async def profile_facts(self, company_ids: Iterable[int], eager: int | None = None
                            ) -> tuple[list[int], list[Fact]]:
        """Live facts with a party in ``company_ids``, in a profile's order: kind by kind, the
        latest date first (a year before its months, undated last), then by id.

        Every id comes at once (the party indexes alone), but only the first ``eager`` facts
        whole: a big company's later pages are read by ``facts_by_id`` when someone turns to them.
        """
        ids = sorted(set(company_ids))
        if not ids:
            return [], []
        order, rows = await self.read(_profile_rows, ids, PROFILE_EAGER if eager is None else eager)
        return order, [fact_from_row(r) for r in rows]

    async def facts_by_id(self, ids: Sequence[int]) -> list[Fact]:
        """Whole facts by id, in the order of ``ids`` (the rest of a profile, as it is paged)."""
        if not ids:
            return []
        return [fact_from_row(r) for r in await self.read(_rows_by_id, list(ids))]

    async def recent(self, limit: int) -> list[Fact]:
        rows = await self._all(FACT_SELECT + " WHERE f.retracted = 0 "
                               "ORDER BY f.date DESC, f.id DESC LIMIT ?", (limit,))
        return [fact_from_row(r) for r in rows]

    async def fact_pairs(self) -> list[tuple[int, int, Kind, int]]:
        """Every (subject, object, kind) that live facts link, with how many: the web table's
        rows, columns and the cells worth a /check, read in one pass without the facts."""
        rows = await self._all("SELECT subject_id, object_id, kind, count(*) FROM fact "
                               "WHERE retracted = 0 GROUP BY subject_id, object_id, kind "
                               "ORDER BY subject_id, object_id, kind")
        return [(int(s), int(o), Kind(k), int(n)) for s, o, k, n in rows]

    async def changes(self, limit: int) -> list[Edit]:
        """The latest audited fact edits, newest first, with the fact as it is now.

        Who made each edit stays out: ``Edit`` has no actor, so no adapter can show one.
        """
        marks = ",".join("?" * len(CHANGE_ACTIONS))
        rows = await self._all(
            f"SELECT a.at, a.action, a.entity_id FROM audit AS a WHERE a.entity = 'fact' "
            f"AND a.action IN ({marks}) AND a.entity_id IN (SELECT id FROM fact) "
            f"ORDER BY a.id DESC LIMIT ?", (*CHANGE_ACTIONS, limit))
        ids = sorted({r[2] for r in rows})
        facts: dict[int, Fact] = {}
        if ids:
            facts = {f.id: f for f in map(fact_from_row, await self._all(_by_id_sql(len(ids)), ids))}
        return [Edit(at=at, action=action, fact=facts[fid]) for at, action, fid in rows if fid in facts]

    async def search(self, text: str, limit: int = 10) -> list[Fact]:
        """Facts whose summaries, sources or companies' names match: all terms first, then any.

        Ranked by bm25 (company names weigh most, sources least), newest first on ties.
        """
        query = parse_query(text)
        if query.empty:
            return []
        if not query.long:
            return await self._search_short(query, limit)
        likes, like_params = like_clause(query)
        for joiner in (" AND ", " OR "):
            where = "fact_fts MATCH ? AND f.retracted = 0" + (f" AND {likes}" if likes else "")
            rows = await self._all(
                _FTS_SELECT + " WHERE " + where +
                " ORDER BY bm25(fact_fts, 1.0, 1.0, 0.5, 2.0), f.date DESC LIMIT ?",
                (query.match(joiner), *like_params, limit * OVERFETCH))
            if joiner == " AND ":
                rows = [r for r in rows if query.words_ok(r[-1])]
            if rows or len(query.long) == 1:
                return [fact_from_row(r) for r in rows[:limit]]
        return []

    async def _search_short(self, query: Query, limit: int) -> list[Fact]:
        """Only terms too short for trigrams (京东): facts of companies so named, then a bounded scan."""
        found: dict[int, Fact] = {}
        companies: set[int] | None = None
        for pattern in query.likes():
            named = {r[0] for r in await self._all(COMPANIES_NAMED, {"p": pattern})}
            companies = named if companies is None else companies & named
        if companies:
            for fact in sorted(await self.facts_involving(companies),
                               key=lambda f: f.sort_key, reverse=True)[:limit]:
                found[fact.id] = fact
        if len(found) < limit:
            likes, params = like_clause(query)
            rows = await self._all(
                _FTS_SELECT + " WHERE f.retracted = 0 AND " + likes + " LIMIT ?",
                (*params, limit * OVERFETCH))
            for row in rows:
                if len(found) >= limit:
                    break
                if query.words_ok(row[-1]):
                    found.setdefault(row[0], fact_from_row(row))
        return list(found.values())[:limit]

    async def find_duplicate(self, draft: FactDraft) -> int | None:
        rows = await self._all(_DUPLICATE_SQL, {
            "subject_id": draft.subject_id, "object_id": draft.object_id, "kind": draft.kind.value,
            "status": draft.status.value, "date": draft.date, "scope": draft.scope})
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

    async def stale_fact_ids(self, cutoffs: dict[str, str], limit: int,
                             offset: int) -> tuple[list[int], int]:
        """The newest facts of threads waiting for a look (``bot.store.stale``), oldest first,
        and how many wait in all (0 when ``offset`` is past the end: ask ``stale_count``);
        ``cutoffs`` holds the ISO days ``announced_before``, ``partial_before``, ``unchecked_before``."""
        rows = await self._all(STALE_PAGE, {**cutoffs, "limit": limit, "offset": offset})
        return [int(r[0]) for r in rows], int(rows[0][1]) if rows else 0

    async def stale_count(self, cutoffs: dict[str, str]) -> int:
        """How many threads are waiting for a look (see ``stale_fact_ids``)."""
        return int((await self._all(STALE_COUNT, cutoffs))[0][0])
