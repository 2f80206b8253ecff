"""THE write path: every change to companies, aliases, facts, sources and grants, with its audit row.

Admin commands (through ``Store``) and imports (``bot.dataset``) both open a ``Writes`` on the
one writer connection, inside one ``BEGIN IMMEDIATE`` transaction (``run_transaction``), so they
share one set of rules (bot.rules), one duplicate check, one name-key check and one audit
format. Speed for bulk imports lives here too: new facts are batched into ``executemany`` and,
with ``bulk=True``, the per-row FTS triggers are suspended and the facts indexed at the end.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from bot.domain import (
    Company,
    Conflict,
    Fact,
    NotFound,
    Source,
    StorageError,
    ValidationError,
    actor_name,
)
from bot.rules import check_new_fact, name_key, parent_cycle, require_sources
from bot.store.bulk import index_new_facts, restore_fts_triggers, suspend_fts_insert_triggers
from bot.store.errors import storage_error
from bot.store.rows import (
    ALIAS_SELECT,
    COMPANY_SELECT,
    FACT_COLUMNS,
    FACT_FIELDS,
    FACT_SELECT,
    FactDraft,
    Record,
    Row,
    companies_from_rows,
    company_record,
    fact_from_row,
    fact_record,
    utcnow,
    values_record,
)

T = TypeVar("T")
Pair = Row
SourceRow = tuple[str, str, str, str, str]
"""url, title, publisher, date, quote."""

FLUSH_ROWS = 20_000
"""New facts buffered before one executemany: big enough to amortise, small enough for memory."""
_MAX_ROWID = 2**63 - 1

_INSERT_FACT = (f"INSERT INTO fact (id, key, {', '.join(FACT_COLUMNS)}, created_by, created_at, "
                f"updated_by, updated_at) VALUES ({', '.join('?' * (len(FACT_COLUMNS) + 6))})")
_INSERT_SOURCE = ("INSERT INTO source (fact_id, position, url, title, publisher, date, quote) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")
_UPDATE_FACT = (f"UPDATE fact SET {', '.join(c + ' = ?' for c in FACT_COLUMNS)}, "
                "updated_by = ?, updated_at = ? WHERE id = ?")
_SELECT_VALUES = f"SELECT key, {', '.join(FACT_COLUMNS)} FROM fact WHERE id = ?"
_SELECT_SOURCES = ("SELECT url, title, publisher, date, quote FROM source WHERE fact_id = ? "
                   "ORDER BY position")

_to_json = json.JSONEncoder(ensure_ascii=False).encode
"""json.dumps(..., ensure_ascii=False) without building an encoder per call (one per audit row)."""


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def run_transaction(conn: sqlite3.Connection, fn: Callable[..., T], *args: object,
                    rollback: bool = False) -> T:
    """Run ``fn(conn, *args)`` in one BEGIN IMMEDIATE transaction; commit, or roll back on any
    error (or always, with ``rollback``: a dry run is the same code path, undone)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise storage_error(exc) from exc
    try:
        result = fn(conn, *args)
        if rollback:
            conn.execute("ROLLBACK")
        else:
            conn.execute("COMMIT")
        return result
    except BaseException as exc:
        if conn.in_transaction:  # SQLITE_FULL and friends may have rolled back already
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise storage_error(exc) from exc
        raise


class _Clock:
    """utcnow() for the audit rows, formatted once per second instead of once per row."""

    __slots__ = ("second", "text")

    def __init__(self) -> None:
        self.second = -1
        self.text = ""

    def __call__(self) -> str:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.text


def pair_of(values: Row) -> Pair:
    """What makes two live facts the same: (subject, object, kind, scope, status, date)."""
    return (values[0], values[1], values[2], values[10], values[4], values[5])


_PAIR_SQL = ("SELECT id FROM fact WHERE subject_id = ? AND object_id = ? AND kind = ? AND scope = ? "
             "AND status = ? AND date = ? AND retracted = 0 AND id <> ?")


class LivePairs:
    """The duplicate check (the same rule as the fact_unique index), asked before each write so a
    duplicate is refused with the id it duplicates.

    A bulk write loads every live pair once (a dict beats 100k point queries); a small write asks
    SQLite per fact. Both answer the same question.
    """

    def __init__(self, conn: sqlite3.Connection, *, preload: bool) -> None:
        self.conn = conn
        self.live: dict[Pair, int] | None = None
        if preload:
            # Ordered like the unique index of live facts, so SQLite reads that small index
            # instead of every fact's full row.
            self.live = {(s, o, k, sc, st, d): fid for fid, s, o, k, sc, st, d in conn.execute(
                "SELECT id, subject_id, object_id, kind, scope, status, date FROM fact "
                "WHERE retracted = 0 ORDER BY subject_id, object_id, kind, scope, status, date")}

    def owner(self, pair: Pair, exclude: int = 0) -> int | None:
        if self.live is not None:
            found = self.live.get(pair)
            return None if found == exclude else found
        row = self.conn.execute(_PAIR_SQL, (*pair, exclude)).fetchone()
        return None if row is None else int(row[0])

    def moved(self, fid: int, old: Pair | None, new: Pair | None) -> None:
        """Fact ``fid`` was live at ``old`` and is now live at ``new`` (None: not live)."""
        if self.live is None:
            return
        if old is not None and self.live.get(old) == fid:
            del self.live[old]
        if new is not None:
            self.live[new] = fid


class Writes:
    """One write transaction's state: the audit rows, the duplicate check, buffered new facts.

    Open it inside ``run_transaction``, call the operations, then ``finish()`` before the
    commit (it writes what is buffered and the audit rows).
    """

    def __init__(self, conn: sqlite3.Connection, actor: str, *, bulk: bool = False) -> None:
        self.conn = conn
        self.actor = actor
        self.bulk = bulk
        self.now = utcnow()
        self.clock = _Clock()
        self.audit_rows: list[Row] = []
        self.pairs = LivePairs(conn, preload=bulk)
        (top,) = conn.execute("SELECT max(id) FROM fact").fetchone()
        self.first_id = self.next_id = (top or 0) + 1
        self.facts: list[Row] = []
        self.sources: list[Row] = []
        self.changed_sources: list[int] = []
        self.triggers: list[str] | None = None

    # -- audit ---------------------------------------------------------------------------

    def audit(self, action: str, entity: str, entity_id: int | None, before: object, after: object) -> None:
        self.audit_rows.append((self.clock(), self.actor, action, entity, entity_id,
                                None if before is None else _to_json(before),
                                None if after is None else _to_json(after)))

    def finish(self) -> None:
        """Write the buffered facts, index them, and write the audit rows."""
        self.flush()
        if self.triggers is not None:
            index_new_facts(self.conn, self.first_id, self.changed_sources)
            restore_fts_triggers(self.conn, self.triggers)
            self.triggers = None
        self.conn.executemany("INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)", self.audit_rows)
        self.audit_rows.clear()

    # -- facts ---------------------------------------------------------------------------

    def add_fact(self, key: str, values: Row, sources: Sequence[SourceRow],
                 *, action: str = "add", audit_after: object = None, require_note: bool = True) -> int:
        """A new fact: the rules for new facts, the duplicate check, then into the batch."""
        check_new_fact(values[0], values[1], values[4], values[12], len(sources),
                       require_note=require_note)
        retracted = bool(values[9])
        pair = pair_of(values)
        if not retracted:
            dup = self.pairs.owner(pair)
            if dup is not None:
                raise Conflict("error.fact_exists", dup, id=dup)
        fid = self.next_id
        if fid > _MAX_ROWID:
            raise StorageError("error.out_of_ids")
        self.next_id += 1
        key = key or f"fact-{fid}"
        self.facts.append((fid, key, *values, self.actor, self.now, self.actor, self.now))
        self.sources.extend([(fid, i, *s) for i, s in enumerate(sources)])
        self.audit(action, "fact", fid, None,
                   audit_after if audit_after is not None else values_record(key, values, sources))
        if not retracted:
            self.pairs.moved(fid, None, pair)
        if not self.bulk or len(self.facts) >= FLUSH_ROWS:
            self.flush()
        return fid

    def flush(self) -> None:
        """Write what is buffered; called before any other write, so writes keep their order."""
        if not self.facts:
            return
        if self.bulk and self.triggers is None:
            self.triggers = suspend_fts_insert_triggers(self.conn)
        self.conn.executemany(_INSERT_FACT, self.facts)
        self.conn.executemany(_INSERT_SOURCE, self.sources)
        self.facts.clear()
        self.sources.clear()

    def stored(self, fid: int) -> tuple[str, Row, list[SourceRow]] | None:
        """A fact's key, values and sources as the write path sees them (buffered rows included)."""
        self.flush()
        row = self.conn.execute(_SELECT_VALUES, (fid,)).fetchone()
        if row is None:
            return None
        sources = [tuple(s) for s in self.conn.execute(_SELECT_SOURCES, (fid,))]
        return row[0], tuple(row[1:]), sources

    def update_fact(self, fid: int, values: Row, sources: Sequence[SourceRow] | None,
                    *, action: str, audit_after: object = None) -> bool:
        """Replace a stored fact's values (and its sources, unless None); False if nothing changed."""
        stored = self.stored(fid)
        if stored is None:
            raise NotFound("error.no_fact", id=fid)
        key, old, old_sources = stored
        new_sources = list(old_sources) if sources is None else [tuple(s) for s in sources]
        if old == values and old_sources == new_sources:
            return False
        require_sources(len(new_sources))
        pair = pair_of(values)
        if not values[9]:
            dup = self.pairs.owner(pair, exclude=fid)
            if dup is not None:
                raise Conflict("error.would_duplicate", dup, id=dup)
        self.conn.execute(_UPDATE_FACT, (*values, self.actor, self.now, fid))
        if new_sources != old_sources:
            self.conn.execute("DELETE FROM source WHERE fact_id = ?", (fid,))
            self.conn.executemany(_INSERT_SOURCE, [(fid, i, *s) for i, s in enumerate(new_sources)])
            self.changed_sources.append(fid)
        self.audit(action, "fact", fid, values_record(key, old, old_sources),
                   audit_after if audit_after is not None else values_record(key, values, new_sources))
        self.pairs.moved(fid, None if old[9] else pair_of(old), None if values[9] else pair)
        return True

    def fact(self, fid: int, *, allow_retracted: bool = False) -> Fact:
        self.flush()
        row = self.conn.execute(FACT_SELECT + " WHERE f.id = ?", (fid,)).fetchone()
        if row is None:
            raise NotFound("error.no_fact", id=fid)
        fact = fact_from_row(row)
        if fact.retracted and not allow_retracted:
            raise ValidationError("error.retracted", id=fid)
        return fact

    def edit_fact(self, fid: int, changes: Record, *, action: str = "edit") -> Fact:
        unknown = set(changes) - set(FACT_FIELDS)
        if unknown:
            raise ValidationError("error.cannot_edit", fields=tuple(sorted(unknown)))
        before = self.fact(fid)
        record = {**fact_record(before),
                  **{k: getattr(v, "value", v) for k, v in changes.items()}}
        values = tuple(int(record[c]) if c == "retracted" else record[c] for c in FACT_COLUMNS)
        if values[0] == values[1]:
            raise ValidationError("error.would_be_same")
        self.update_fact(fid, values, None, action=action)
        return self.fact(fid)

    def add_source(self, fid: int, source: Source) -> Fact:
        before = self.fact(fid)
        if any(s.url == source.url for s in before.sources):
            raise Conflict("error.cites_url", fid, id=fid)
        rows = [(s.url, s.title, s.publisher, s.date, s.quote) for s in [*before.sources, source]]
        self.update_fact(fid, _values(before), rows,
                         action="add_source")
        return self.fact(fid)

    def set_retracted(self, fid: int, retracted: bool) -> Fact:
        before = self.fact(fid, allow_retracted=True)
        if before.retracted == retracted:
            if retracted:  # a second confirm, or a second admin: say who was first
                raise ValidationError("error.fact_retracted_by", id=fid,
                                      who=actor_name(before.updated_by) or "?")
            raise ValidationError("error.not_retracted", id=fid)
        values = tuple(int(retracted) if c == "retracted" else v
                       for c, v in zip(FACT_COLUMNS, _values(before), strict=True))
        try:
            self.update_fact(fid, values, None, action="retract" if retracted else "restore")
        except Conflict as exc:
            raise Conflict("error.restore_duplicate", exc.existing_id, id=exc.existing_id) from None
        return self.fact(fid, allow_retracted=True)

    # -- companies and their names -------------------------------------------------------

    def claim_name(self, company_id: int, label: str) -> None:
        """Reserve ``label``'s normalised key for the company; another company's key is a Conflict.

        The check and the write run in the caller's transaction, and the name_key PRIMARY KEY
        is the last word, so two concurrent /alias commands can never both win.
        """
        key = name_key(label)
        if not key:
            raise ValidationError("error.label_letters", label=label)
        row = self.conn.execute("SELECT k.company_id, c.name FROM name_key AS k "
                                "JOIN company AS c ON c.id = k.company_id WHERE k.key = ?",
                                (key,)).fetchone()
        if row is None:
            self.conn.execute("INSERT INTO name_key (key, company_id) VALUES (?, ?)", (key, company_id))
        elif row[0] != company_id:
            raise Conflict("error.label_taken", row[0], label=label, owner=row[1])

    def release_names(self, company_id: int) -> None:
        """Drop the company's keys that none of its names and aliases still has."""
        labels = [r[0] for r in self.conn.execute(
            "SELECT name FROM company WHERE id = ? UNION ALL SELECT alias FROM alias "
            "WHERE company_id = ?", (company_id, company_id))]
        keep = {name_key(label) for label in labels}
        for (key,) in self.conn.execute("SELECT key FROM name_key WHERE company_id = ?",
                                        (company_id,)).fetchall():
            if key not in keep:
                self.conn.execute("DELETE FROM name_key WHERE key = ?", (key,))

    def company(self, company_id: int) -> Company:
        rows = self.conn.execute(COMPANY_SELECT + " WHERE id = ?", (company_id,)).fetchall()
        if not rows:
            raise NotFound("error.no_company", id=company_id)
        alias_rows = self.conn.execute(ALIAS_SELECT + " WHERE company_id = ? ORDER BY id",
                                       (company_id,)).fetchall()
        return companies_from_rows(rows, alias_rows)[0]

    def add_company(self, company: Company, *, action: str = "add", audit_after: object = None) -> int:
        """A new company with its aliases and feature aliases; every name claims its key."""
        cursor = self.conn.execute(
            "INSERT INTO company (name, kind, parent_id, description, relation, name_zh, "
            "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (company.name, company.kind, company.parent_id, company.description,
             company.relation.value if company.relation else "", company.name_zh, self.actor, self.now))
        company_id = cursor.lastrowid
        assert company_id is not None
        self.check_parent(company_id, company.parent_id)
        self.claim_name(company_id, company.name)
        for alias in company.aliases:
            self.add_alias(company_id, alias)
        for feature in company.features:
            self.add_alias(company_id, feature.alias, feature.kind.value, feature.scope)
        self.audit(action, "company", company_id, None,
                   audit_after if audit_after is not None else company_record(company))
        return company_id

    def check_parent(self, company_id: int, parent_id: int | None) -> None:
        """Refuse a parent that would make the company its own ancestor (bot.rules.parent_cycle,
        the rule the data linter applies to files): every way a parent is set comes here."""
        def parent_of(cid: int) -> int | None:
            row = self.conn.execute("SELECT parent_id FROM company WHERE id = ?", (cid,)).fetchone()
            return row[0] if row else None

        loop = parent_cycle(parent_of, company_id, parent_id)
        if loop:
            names = dict(self.conn.execute(
                f"SELECT id, name FROM company WHERE id IN ({', '.join('?' * len(loop))})", loop))
            raise ValidationError("error.parent_cycle",
                                  chain=" → ".join(str(names.get(cid, cid)) for cid in loop))

    def update_company(self, company_id: int, kind: str, parent_id: int | None, description: str,
                       relation: str, name_zh: str) -> None:
        self.check_parent(company_id, parent_id)
        self.conn.execute("UPDATE company SET kind = ?, parent_id = ?, description = ?, "
                          "relation = ?, name_zh = ? WHERE id = ?",
                          (kind, parent_id, description, relation, name_zh, company_id))

    def add_alias(self, company_id: int, alias: str, kind: str = "", scope: str = "") -> None:
        """Add an alias (a feature alias with a kind), or turn an existing one into a feature."""
        self.claim_name(company_id, alias)
        existing = self.conn.execute("SELECT id FROM alias WHERE company_id = ? AND alias = ?",
                                     (company_id, alias)).fetchone()
        if existing is None:
            self.conn.execute("INSERT INTO alias (company_id, alias, kind, scope) VALUES (?, ?, ?, ?)",
                              (company_id, alias, kind, scope))
        elif kind:
            self.conn.execute("UPDATE alias SET kind = ?, scope = ? WHERE id = ?",
                              (kind, scope, existing[0]))

    def set_aliases(self, company_id: int, add: Sequence[str], remove: Sequence[str]) -> Company:
        before = self.company(company_id)
        for alias in remove:
            self.conn.execute("DELETE FROM alias WHERE company_id = ? AND alias = ?", (company_id, alias))
        for alias in add:
            self.add_alias(company_id, alias)
        if remove:
            self.release_names(company_id)
        after = self.company(company_id)
        self.audit("alias", "company", company_id, {"aliases": list(before.aliases)},
                   {"aliases": list(after.aliases)})
        return after

    # -- rights --------------------------------------------------------------------------

    def set_grant(self, user_id: int, granted: bool) -> bool:
        exists = self.conn.execute("SELECT 1 FROM admin_grant WHERE user_id = ?", (user_id,)).fetchone()
        if bool(exists) == granted:
            return False
        if granted:
            self.conn.execute("INSERT INTO admin_grant VALUES (?, ?, ?)", (user_id, self.actor, self.now))
        else:
            self.conn.execute("DELETE FROM admin_grant WHERE user_id = ?", (user_id,))
        self.audit("grant" if granted else "revoke", "admin", user_id,
                   {"admin": not granted}, {"admin": granted})
        return True


def _values(fact: Fact) -> Row:
    """A stored fact's values in ``FACT_COLUMNS`` order."""
    record = fact_record(fact)
    return tuple(int(record[c]) if c == "retracted" else record[c] for c in FACT_COLUMNS)


def one(actor: str, operation: Callable[[Writes], T]) -> Callable[[sqlite3.Connection], T]:
    """A transaction body that runs one ``Writes`` operation and finishes it."""
    def body(conn: sqlite3.Connection) -> T:
        writes = Writes(conn, actor)
        result = operation(writes)
        writes.finish()
        return result
    return body


__all__ = ["FactDraft", "LivePairs", "Writes", "_DryRun", "one", "pair_of", "run_transaction"]
