"""The SQL of what readers tell the admins: reports, suggestions, the daily counts of misses,
and ``/forgetme``. Settling a report or a suggestion is in settle.py (one compare-and-set)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from bot.domain import ValidationError
from bot.store.rows import utcnow

ReportRow = tuple[int, int, int, int, int, str, str, str]
"""id, subject_id, object_id, chat_id, user_id, text, status, created_at."""
SuggestionRow = tuple[int, int, int, str, str, str, int | None, str]
"""id, chat_id, user_id, line, status, reason, fact_id, created_at."""
MissCount = tuple[str, str, str, int]
"""day, kind, text, count."""

_REPORT = "SELECT id, subject_id, object_id, chat_id, user_id, text, status, created_at FROM report"
_SUGGESTION = ("SELECT id, chat_id, user_id, line, status, reason, fact_id, created_at "
               "FROM suggestion")
_RATE = {
    "report": "SELECT count(*) FROM report WHERE user_id = ? AND created_at >= ?",
    "suggestion": "SELECT count(*) FROM suggestion WHERE user_id = ? AND created_at >= ?",
}


class TooMany(ValidationError):
    """The user reached the hourly limit."""


def _check_rate(conn: sqlite3.Connection, table: str, user_id: int, per_hour: int) -> None:
    since = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (count,) = conn.execute(_RATE[table], (user_id, since)).fetchone()
    if count >= per_hour:
        raise TooMany(f"feedback.rate_{table}", n=per_hour)


def add_report(conn: sqlite3.Connection, chat_id: int, user_id: int, subject_id: int,
               object_id: int, text: str, per_hour: int) -> ReportRow:
    """Store a report, refused (``TooMany``) past ``per_hour`` from this user in the last hour."""
    _check_rate(conn, "report", user_id, per_hour)
    cursor = conn.execute(
        "INSERT INTO report (subject_id, object_id, chat_id, user_id, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)", (subject_id, object_id, chat_id, user_id, text, utcnow()))
    found = report(conn, cursor.lastrowid or 0)
    assert found is not None
    return found


def report(conn: sqlite3.Connection, report_id: int) -> ReportRow | None:
    row: ReportRow | None = conn.execute(_REPORT + " WHERE id = ?", (report_id,)).fetchone()
    return row


def add_suggestion(conn: sqlite3.Connection, chat_id: int, user_id: int, line: str,
                   per_hour: int) -> SuggestionRow:
    """Store a suggestion, refused (``TooMany``) past ``per_hour`` in the last hour."""
    _check_rate(conn, "suggestion", user_id, per_hour)
    cursor = conn.execute(
        "INSERT INTO suggestion (chat_id, user_id, line, created_at) VALUES (?, ?, ?, ?)",
        (chat_id, user_id, line, utcnow()))
    found = suggestion(conn, cursor.lastrowid or 0)
    assert found is not None
    return found


def suggestion(conn: sqlite3.Connection, suggestion_id: int) -> SuggestionRow | None:
    row: SuggestionRow | None = conn.execute(_SUGGESTION + " WHERE id = ?",
                                             (suggestion_id,)).fetchone()
    return row


def open_items(conn: sqlite3.Connection,
               limit: int) -> tuple[list[ReportRow], list[SuggestionRow]]:
    """The newest open reports and open suggestions, up to ``limit`` of each."""
    reports = conn.execute(_REPORT + " WHERE status = 'open' ORDER BY id DESC LIMIT ?",
                           (limit,)).fetchall()
    suggestions = conn.execute(_SUGGESTION + " WHERE status = 'open' ORDER BY id DESC LIMIT ?",
                               (limit,)).fetchall()
    return reports, suggestions


def forget_user(conn: sqlite3.Connection, user_id: int) -> tuple[int, int]:
    """The user's own follows (their private chat) and their reports and suggestions."""
    conn.execute("DELETE FROM notification WHERE chat_id = ?", (user_id,))
    follows = conn.execute("DELETE FROM follow WHERE chat_id = ?", (user_id,)).rowcount
    reports = conn.execute("DELETE FROM report WHERE user_id = ?", (user_id,)).rowcount
    reports += conn.execute("DELETE FROM suggestion WHERE user_id = ?", (user_id,)).rowcount
    return follows, reports


def save_misses(conn: sqlite3.Connection, counts: list[MissCount], keep_from: str) -> None:
    """Add daily counts and forget days before ``keep_from``."""
    conn.executemany(
        "INSERT INTO miss_daily (day, kind, text, count) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (day, kind, text) DO UPDATE SET count = count + excluded.count", counts)
    conn.execute("DELETE FROM miss_daily WHERE day < ?", (keep_from,))


def misses(conn: sqlite3.Connection, kind: str, since: str, limit: int) -> list[tuple[str, int]]:
    """The most asked texts of ``kind`` since the day ``since``, with how often."""
    return conn.execute(
        "SELECT text, sum(count) AS n FROM miss_daily WHERE kind = ? AND day >= ? "
        "GROUP BY text ORDER BY n DESC, text LIMIT ?", (kind, since, limit)).fetchall()
