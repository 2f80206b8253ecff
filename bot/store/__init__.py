"""SQLite persistence, and all of the project's SQL: schema (frozen migrations), reads, THE
write path with its audit, bulk helpers, and the statements of every other table.

``Store`` (database.py) has two ways in, ``read(fn)`` and ``write(fn)``; the functions they run
live here: reads.py and search.py (facts and companies), writes.py (facts, companies, aliases,
grants, each with its audit row), settle.py (compare-and-set settling), stale.py (the
maintenance queue), follows.py (follows and the outbox), feedback.py (reports, suggestions,
misses), chats.py (chat settings), tg_state.py (PTB persistence's rows), records.py (import and
export queries), inspect.py (a read-only look at a file), bulk.py, rows.py and schema.py.
"""

from bot.domain import StorageError
from bot.store.bulk import (
    FTS_INSERT_TRIGGERS,
    index_new_facts,
    rebuild_name_keys,
    restore_fts_triggers,
    suspend_fts_insert_triggers,
)
from bot.store.database import WRITE_TIMEOUT, Store, Writer
from bot.store.reads import POINT_PAIRS
from bot.store.rows import (
    FACT_FIELDS,
    About,
    Edit,
    FactDraft,
    company_record,
    fact_record,
    utcnow,
)
from bot.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "FACT_FIELDS", "FTS_INSERT_TRIGGERS", "MIGRATIONS", "POINT_PAIRS", "SCHEMA_VERSION",
    "WRITE_TIMEOUT", "About",
    "Edit", "FactDraft", "StorageError", "Store", "Writer", "company_record", "fact_record",
    "index_new_facts", "rebuild_name_keys", "restore_fts_triggers", "suspend_fts_insert_triggers",
    "utcnow",
]
