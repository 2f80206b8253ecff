"""Bulk-load helpers: FTS maintenance once per fact instead of once per row, and a bigger page cache."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

FTS_INSERT_TRIGGERS = ("fact_fts_insert", "source_fts_insert")
"""Triggers that index a new fact and rewrite its FTS row once per source: a bulk load
suspends them and indexes its facts in one statement (``index_new_facts``)."""

_FTS_SOURCES = ("coalesce((SELECT group_concat(title || ' ' || publisher, ' ') FROM source "
                "WHERE fact_id = {0}), '')")
"""The ``sources`` text of a fact's FTS row, as the triggers build it."""

_FTS_NAMES = ("coalesce((SELECT group_concat(n, ' ') FROM ("
              "SELECT name AS n FROM company WHERE id IN ({0}.subject_id, {0}.object_id) "
              "UNION ALL SELECT alias FROM alias WHERE company_id IN ({0}.subject_id, {0}.object_id))), '')")
"""The ``names`` text of a fact's FTS row: both companies' names and aliases."""

IMPORT_CACHE_KIB = 64 * 1024
_DEFAULT_CACHE_KIB = 2000  # SQLite's own default


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
    INSERT ... SELECT indexes them (the same text the triggers write). Older facts whose
    sources were replaced get their sources text recomputed.
    """
    conn.execute("INSERT INTO fact_fts (rowid, summary, summary_zh, sources, names) "
                 f"SELECT id, summary, summary_zh, {_FTS_SOURCES.format('fact.id')}, "
                 f"{_FTS_NAMES.format('fact')} FROM fact WHERE id >= ?", (first_id,))
    conn.executemany(f"UPDATE fact_fts SET sources = {_FTS_SOURCES.format('?')} WHERE rowid = ?",
                     [(fid, fid) for fid in changed_sources if fid < first_id])


def rebuild_name_keys(conn: sqlite3.Connection) -> None:
    """Fill the name_key table for companies and aliases written around the write path (bench
    generators): names first, then aliases oldest first, as migration 3 does."""
    from bot.rules import name_key

    taken = dict(conn.execute("SELECT key, company_id FROM name_key"))
    rows = [*conn.execute("SELECT name, id FROM company ORDER BY id"),
            *conn.execute("SELECT alias, company_id FROM alias ORDER BY id")]
    new: list[tuple[str, int]] = []
    for label, company_id in rows:
        key = name_key(label)
        if key and key not in taken:
            taken[key] = company_id
            new.append((key, company_id))
    conn.executemany("INSERT INTO name_key (key, company_id) VALUES (?, ?)", new)


def _cache_kib(path: str) -> int:
    """Page cache for a bulk write, sized to the file it writes into.

    New facts land at random places in the fact table's indexes, so the pages an import keeps
    rewriting grow with the file: on a big store the default 2 MB cache spills dirty pages again
    and again, which costs a third of the import. More than the file is useless. The memory is
    taken only as pages are touched, and handed back when the import ends.
    """
    try:
        size_kib = os.path.getsize(path) // 1024
    except OSError:
        size_kib = 0
    return max(_DEFAULT_CACHE_KIB, min(IMPORT_CACHE_KIB, size_kib))


@contextmanager
def bulk_cache(conn: sqlite3.Connection, path: str) -> Iterator[None]:
    """A bigger page cache on the writer for the length of one bulk write."""
    (before,) = conn.execute("PRAGMA cache_size").fetchone()
    conn.execute(f"PRAGMA cache_size = -{_cache_kib(path)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(before)}")
        conn.execute("PRAGMA shrink_memory")
