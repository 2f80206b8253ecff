"""SQLite errors turned into the project's errors, by SQLite's own error code, never by message text."""

from __future__ import annotations

import sqlite3

from bot.domain import Conflict, InteropError, StorageError, ValidationError

_DUPLICATE = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})
_REFUSED = frozenset({"SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT_FOREIGNKEY",
                      "SQLITE_CONSTRAINT_NOTNULL", "SQLITE_CONSTRAINT_TRIGGER",
                      "SQLITE_CONSTRAINT_DATATYPE"})


def storage_error(exc: sqlite3.Error) -> InteropError:
    """The error to show for ``exc``, classified by ``sqlite_errorname`` (Python 3.11+).

    A UNIQUE or PRIMARY KEY failure is a duplicate (Conflict); a CHECK, FOREIGN KEY or NOT NULL
    failure is a value the schema refuses (ValidationError), never "would duplicate".
    """
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name in _DUPLICATE:
        return Conflict("error.db_duplicate")
    if name in _REFUSED or name == "SQLITE_CONSTRAINT":
        what = name.removeprefix("SQLITE_CONSTRAINT_").replace("FOREIGNKEY", "FOREIGN KEY").lower()
        return ValidationError("error.db_rules", what=what or "constraint")
    if name.startswith("SQLITE_READONLY"):
        return StorageError("error.db_readonly")
    if name == "SQLITE_FULL":
        return StorageError("error.db_full")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StorageError("error.db_busy")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StorageError("error.db_damaged", error=str(exc))
    return StorageError("error.db_refused", error=str(exc))
