"""SQLite persistence: schema (frozen migrations), reads, THE write path with its audit, bulk helpers.

``from bot.store import Store, FactDraft, ...`` keeps working; the parts live in
schema.py, rows.py, reads.py, search.py, writes.py, bulk.py and database.py; settle.py holds the
compare-and-set that settles reports and suggestions, stale.py the maintenance queue's SQL.
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
