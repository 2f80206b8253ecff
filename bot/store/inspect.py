"""A read-only look at a database file that is not opened as the Store (``check-config``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.domain import StorageError


@dataclass(frozen=True, slots=True)
class DatabaseState:
    """What ``check-config`` reports: whether the file exists, and what it holds."""

    exists: bool
    companies: int = 0
    facts: int = 0


def inspect_file(path: Path) -> DatabaseState:
    """The file as it is, read-only, without the Store: nothing is created or migrated."""
    if not path.exists():
        return DatabaseState(exists=False)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError("error.db_open", path=str(path), error=str(exc)) from None
    try:
        (verdict,) = conn.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise StorageError("error.db_damaged_at", path=str(path), error=verdict)
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"company", "fact"} <= tables:
            return DatabaseState(exists=True)
        (companies,) = conn.execute("SELECT count(*) FROM company").fetchone()
        (facts,) = conn.execute("SELECT count(*) FROM fact WHERE retracted = 0").fetchone()
        return DatabaseState(exists=True, companies=companies, facts=facts)
    except sqlite3.Error as exc:
        raise StorageError("error.db_read", path=str(path), error=str(exc)) from None
    finally:
        conn.close()
