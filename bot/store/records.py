"""The store seen as a document's records: what an export reads and what an import compares.

bot/dataset.py validates, applies and writes documents; the SQL they need lives here. Import
queries run on the writer's connection inside the import's one transaction (``Store.write``);
an export runs on a reader's connection (``Store.read``) inside one read snapshot.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from bot.store.rows import FACT_COLUMNS, Record, Row

_COMPANY_SQL = "SELECT id, name, kind, parent_id, description, relation, name_zh FROM company ORDER BY id"
_FACT_EXPORT_SQL = """
SELECT f.key, f.subject_id, f.object_id, f.kind, f.kind_detail, f.status, f.date, f.date_note,
       f.confidence, f.summary, f.scope, f.region, f.note, f.verified, f.summary_zh, f.retracted,
       (SELECT json_group_array(json_object('url', s.url, 'title', s.title,
                                            'publisher', s.publisher, 'date', s.date,
                                            'quote', s.quote))
          FROM (SELECT * FROM source WHERE fact_id = f.id ORDER BY position) AS s)
  FROM fact AS f ORDER BY f.id
"""
_FACT_BEFORE = f"SELECT {', '.join(FACT_COLUMNS)}, updated_at FROM fact WHERE id = ?"


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One read transaction: every statement inside sees the same committed state."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def company_names(conn: sqlite3.Connection) -> dict[int, str]:
    return dict(conn.execute("SELECT id, name FROM company").fetchall())


def name_owners(conn: sqlite3.Connection) -> dict[str, int]:
    """Which company holds each normalised name key."""
    return dict(conn.execute("SELECT key, company_id FROM name_key").fetchall())


def fact_keys(conn: sqlite3.Connection) -> dict[str, int]:
    """Every fact's key and id (retracted ones too)."""
    return {key: fid for fid, key in conn.execute("SELECT id, key FROM fact")}


def company_record(conn: sqlite3.Connection,
                   company_id: int) -> tuple[Row, list[tuple[str, str, str]]]:
    """A stored company as an import compares it: (kind, parent_id, description, relation,
    name_zh) and its aliases as (alias, kind, scope), oldest first."""
    row = conn.execute("SELECT kind, parent_id, description, relation, name_zh "
                       "FROM company WHERE id = ?", (company_id,)).fetchone()
    aliases = conn.execute("SELECT alias, kind, scope FROM alias WHERE company_id = ? "
                           "ORDER BY id", (company_id,)).fetchall()
    return tuple(row), aliases


def fact_before(conn: sqlite3.Connection, fact_id: int) -> Row | None:
    """A stored fact's columns (FACT_COLUMNS) and its updated_at, before an import changes it."""
    row: Row | None = conn.execute(_FACT_BEFORE, (fact_id,)).fetchone()
    return row


def company_records(conn: sqlite3.Connection) -> list[Record]:
    """Every company as a document record, in id order."""
    names = company_names(conn)
    aliases: dict[int, list[str]] = {}
    features: dict[int, list[dict[str, str]]] = {}
    for cid, alias, kind, scope in conn.execute(
            "SELECT company_id, alias, kind, scope FROM alias ORDER BY id"):
        if kind:
            features.setdefault(cid, []).append({"alias": alias, "kind": kind, "scope": scope})
        else:
            aliases.setdefault(cid, []).append(alias)
    return [{"name": r[1], "kind": r[2], "parent": names.get(r[3]) if r[3] else None,
             "relation": r[5] or None, "name_zh": r[6], "description": r[4],
             "aliases": aliases.get(r[0], []), "features": features.get(r[0], [])}
            for r in conn.execute(_COMPANY_SQL)]


def fact_records(conn: sqlite3.Connection, names: dict[int, str]) -> Iterator[Record]:
    """Facts one at a time, straight from the cursor: never the whole table in memory."""
    for r in conn.execute(_FACT_EXPORT_SQL):
        yield {"key": r[0], "subject": names[r[1]], "object": names[r[2]], "kind": r[3],
               "kind_detail": r[4], "status": r[5], "date": r[6], "date_note": r[7],
               "confidence": r[8], "summary": r[9], "scope": r[10], "region": r[11],
               "note": r[12], "verified": r[13], "summary_zh": r[14], "retracted": bool(r[15]),
               "sources": json.loads(r[16])}
