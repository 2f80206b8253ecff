"""Settling what waits for one admin's decision (a report, a suggestion): one compare-and-set.

Two admins may press at the same moment. Each decision is one transaction that starts with
``UPDATE … WHERE id = :id AND status = 'open'``: the first wins, and whatever the decision
writes (an accepted suggestion's fact) is written in that same transaction, only by the winner.
The other learns who settled it first (``AlreadySettled``) and nothing of theirs is written.
"""

from __future__ import annotations

import json
import sqlite3

from bot.domain import Fact, NotFound, ValidationError, actor_name
from bot.store.rows import FactDraft, utcnow
from bot.store.writes import Writes

_SETTLE_REPORT = """
UPDATE report SET status = :status, closed_by = :actor, closed_at = :at
 WHERE id = :id AND status = 'open'
"""
_SETTLE_SUGGESTION = """
UPDATE suggestion SET status = :status, reason = :reason, line = coalesce(:line, line),
       closed_by = :actor, closed_at = :at
 WHERE id = :id AND status = 'open'
"""
_SUGGESTION_FACT = "UPDATE suggestion SET fact_id = :fact_id WHERE id = :id"
_REPORT_STATE = "SELECT status, closed_by FROM report WHERE id = ?"
_SUGGESTION_STATE = "SELECT status, closed_by, line FROM suggestion WHERE id = ?"
_AUDIT = ("INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
          "VALUES (:at, :actor, :action, :entity, :id, :before, :after)")


class AlreadySettled(ValidationError):
    """Someone settled the item first; says how and by whom ("already rejected by @ann")."""

    def __init__(self, entity: str, item_id: int, status: str, by: str) -> None:
        self.entity = entity
        self.item_id = item_id
        self.status = status
        self.by = by
        super().__init__(f"error.{entity}_{status}_by", id=item_id, who=actor_name(by) or "?")


def state(conn: sqlite3.Connection, entity: str, item_id: int) -> tuple[str, str]:
    """(status, closed_by) of a report or a suggestion; NotFound when there is none."""
    row = conn.execute(_REPORT_STATE if entity == "report" else _SUGGESTION_STATE,
                       (item_id,)).fetchone()
    if row is None:
        raise NotFound(f"error.no_{entity}", id=item_id)
    return str(row[0]), str(row[1])


def require_open(conn: sqlite3.Connection, entity: str, item_id: int) -> None:
    """Refuse (with who settled it) unless the item is open: a friendly early check only, the
    compare-and-set in ``_won`` is what decides."""
    status, by = state(conn, entity, item_id)
    if status != "open":
        raise AlreadySettled(entity, item_id, status, by)


def _won(conn: sqlite3.Connection, sql: str, entity: str, item_id: int, **values: object) -> None:
    """Run the compare-and-set; a lost race raises ``AlreadySettled`` (the transaction rolls back)."""
    if conn.execute(sql, {"id": item_id, **values}).rowcount == 1:
        return
    status, by = state(conn, entity, item_id)
    raise AlreadySettled(entity, item_id, status, by)


def _audit(conn: sqlite3.Connection, actor: str, action: str, entity: str, item_id: int,
           before: object, after: object) -> None:
    conn.execute(_AUDIT, {"at": utcnow(), "actor": actor, "action": action, "entity": entity,
                          "id": item_id, "before": json.dumps(before, ensure_ascii=False),
                          "after": json.dumps(after, ensure_ascii=False)})


def close_report(conn: sqlite3.Connection, report_id: int, status: str, actor: str) -> None:
    """Resolve or dismiss an open report, audited (a ``Store.write`` body)."""
    _won(conn, _SETTLE_REPORT, "report", report_id, status=status, actor=actor, at=utcnow())
    _audit(conn, actor, "resolve" if status == "resolved" else "dismiss", "report", report_id,
           {"status": "open"}, {"status": status})


def reject_suggestion(conn: sqlite3.Connection, suggestion_id: int, reason: str, actor: str) -> None:
    """Reject an open suggestion with a reason, audited (a ``Store.write`` body)."""
    _, _, line = conn.execute(_SUGGESTION_STATE, (suggestion_id,)).fetchone() or (0, 0, "")
    _won(conn, _SETTLE_SUGGESTION, "suggestion", suggestion_id, status="rejected",
         reason=reason, line=None, actor=actor, at=utcnow())
    _audit(conn, actor, "reject", "suggestion", suggestion_id, {"status": "open", "line": line},
           {"status": "rejected", "line": line, "reason": reason, "fact_id": None})


def accept_suggestion(conn: sqlite3.Connection, suggestion_id: int, draft: FactDraft, line: str,
                      actor: str, fact_actor: str) -> Fact:
    """Accept an open suggestion and store its fact, in one transaction (a ``Store.write`` body):
    a lost race writes no fact, and a refused fact (a duplicate) leaves the suggestion open."""
    _, _, before = conn.execute(_SUGGESTION_STATE, (suggestion_id,)).fetchone() or (0, 0, "")
    _won(conn, _SETTLE_SUGGESTION, "suggestion", suggestion_id, status="accepted", reason="",
         line=line, actor=actor, at=utcnow())
    writes = Writes(conn, fact_actor)
    fact = writes.fact(writes.add_fact(draft.key or "", draft.values(), draft.source_rows(),
                                       require_note=False))
    writes.finish()
    conn.execute(_SUGGESTION_FACT, {"fact_id": fact.id, "id": suggestion_id})
    _audit(conn, actor, "accept", "suggestion", suggestion_id, {"status": "open", "line": before},
           {"status": "accepted", "line": line, "reason": "", "fact_id": fact.id})
    return fact
