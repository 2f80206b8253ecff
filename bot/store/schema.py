"""The schema: ordered, frozen migration steps and the code that applies them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.domain import StorageError
from bot.rules import name_key
from bot.store.errors import storage_error

# Ordered migrations: index i upgrades user_version i -> i + 1. Never edit a released step.
# Each step is literal SQL, frozen when released: never build one from today's enums.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE company (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
        kind        TEXT NOT NULL DEFAULT '',
        parent_id   INTEGER REFERENCES company(id) ON DELETE SET NULL,
        description TEXT NOT NULL DEFAULT '',
        created_by  TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX company_parent ON company(parent_id);

    CREATE TABLE alias (
        id         INTEGER PRIMARY KEY,
        company_id INTEGER NOT NULL REFERENCES company(id) ON DELETE CASCADE,
        alias      TEXT NOT NULL COLLATE NOCASE,
        UNIQUE (company_id, alias)
    );

    CREATE TABLE fact (
        id          INTEGER PRIMARY KEY,
        key         TEXT UNIQUE,
        subject_id  INTEGER NOT NULL REFERENCES company(id),
        object_id   INTEGER NOT NULL REFERENCES company(id),
        kind        TEXT NOT NULL CHECK (kind IN ('payments', 'logistics', 'shopping/links', 'messaging',
                                              'login', 'content', 'other')),
        kind_detail TEXT NOT NULL DEFAULT '',
        status      TEXT NOT NULL CHECK (status IN ('live', 'partial', 'announced', 'ended')),
        date        TEXT NOT NULL DEFAULT '',
        date_note   TEXT NOT NULL DEFAULT '',
        confidence  TEXT NOT NULL DEFAULT '',
        summary     TEXT NOT NULL,
        retracted   INTEGER NOT NULL DEFAULT 0,
        created_by  TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL DEFAULT '',
        updated_by  TEXT NOT NULL DEFAULT '',
        updated_at  TEXT NOT NULL DEFAULT '',
        CHECK (subject_id <> object_id)
    );
    CREATE INDEX fact_pair ON fact(subject_id, object_id);
    CREATE INDEX fact_object ON fact(object_id, subject_id);
    CREATE INDEX fact_recent ON fact(date DESC, id DESC) WHERE retracted = 0;
    CREATE UNIQUE INDEX fact_unique ON fact(subject_id, object_id, kind, status, date)
        WHERE retracted = 0;

    CREATE TABLE source (
        id        INTEGER PRIMARY KEY,
        fact_id   INTEGER NOT NULL REFERENCES fact(id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        url       TEXT NOT NULL,
        title     TEXT NOT NULL DEFAULT '',
        publisher TEXT NOT NULL DEFAULT '',
        date      TEXT NOT NULL DEFAULT '',
        UNIQUE (fact_id, url)
    );

    CREATE TABLE audit (
        id        INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        entity    TEXT NOT NULL,
        entity_id INTEGER,
        before    TEXT,
        after     TEXT
    );
    CREATE INDEX audit_entity ON audit(entity, entity_id);

    CREATE TABLE admin_grant (
        user_id    INTEGER PRIMARY KEY,
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL
    );

    -- Full-text search over each fact's summary and its sources' titles and publishers.
    CREATE VIRTUAL TABLE fact_fts USING fts5(summary, sources, tokenize = 'unicode61 remove_diacritics 2');
    CREATE TRIGGER fact_fts_insert AFTER INSERT ON fact BEGIN
        INSERT INTO fact_fts(rowid, summary, sources) VALUES (new.id, new.summary, '');
    END;
    CREATE TRIGGER fact_fts_update AFTER UPDATE OF summary ON fact BEGIN
        UPDATE fact_fts SET summary = new.summary WHERE rowid = new.id;
    END;
    CREATE TRIGGER fact_fts_delete AFTER DELETE ON fact BEGIN
        DELETE FROM fact_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER source_fts_insert AFTER INSERT ON source BEGIN
        UPDATE fact_fts SET sources = (
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = new.fact_id
        ) WHERE rowid = new.fact_id;
    END;
    CREATE TRIGGER source_fts_delete AFTER DELETE ON source BEGIN
        UPDATE fact_fts SET sources = coalesce((
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = old.fact_id
        ), '') WHERE rowid = old.fact_id;
    END;
    """,
    # 2: scope, region, caveat note, last verified and a Chinese summary per fact; how a company
    # hangs off its parent and its Chinese display name; feature aliases that carry a kind.
    """
    ALTER TABLE fact ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN region TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN note TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN verified TEXT NOT NULL DEFAULT '';
    ALTER TABLE fact ADD COLUMN summary_zh TEXT NOT NULL DEFAULT '';
    DROP INDEX fact_unique;
    CREATE UNIQUE INDEX fact_unique ON fact(subject_id, object_id, kind, scope, status, date)
        WHERE retracted = 0;
    ALTER TABLE company ADD COLUMN relation TEXT NOT NULL DEFAULT '';
    ALTER TABLE company ADD COLUMN name_zh TEXT NOT NULL DEFAULT '';
    ALTER TABLE alias ADD COLUMN kind TEXT NOT NULL DEFAULT '';
    ALTER TABLE alias ADD COLUMN scope TEXT NOT NULL DEFAULT '';
    """,
    # 3 (follows): what chats follow, the outbox of fact changes (written by triggers inside
    # whatever transaction changed the fact, so both write paths feed it), per-chat deliveries,
    # user reports and suggestions, and anonymous daily counts of what people asked and missed.
    """
    CREATE TABLE follow (
        id         INTEGER PRIMARY KEY,
        chat_id    INTEGER NOT NULL,
        company_id INTEGER NOT NULL REFERENCES company(id) ON DELETE CASCADE,
        other_id   INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        UNIQUE (chat_id, company_id, other_id)
    );
    CREATE INDEX follow_company ON follow(company_id);
    CREATE INDEX follow_other ON follow(other_id) WHERE other_id <> 0;

    CREATE TABLE fact_change (
        id            INTEGER PRIMARY KEY,
        fact_id       INTEGER NOT NULL,
        action        TEXT NOT NULL,
        before_status TEXT NOT NULL DEFAULT '',
        old_subject   INTEGER NOT NULL DEFAULT 0,
        old_object    INTEGER NOT NULL DEFAULT 0,
        expanded      INTEGER NOT NULL DEFAULT 0,
        at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
    );
    CREATE INDEX fact_change_todo ON fact_change(id) WHERE expanded = 0;
    CREATE TRIGGER fact_follow_insert AFTER INSERT ON fact
        WHEN EXISTS (SELECT 1 FROM follow) BEGIN
        INSERT INTO fact_change (fact_id, action) VALUES (new.id, 'add');
    END;
    CREATE TRIGGER fact_follow_update AFTER UPDATE OF subject_id, object_id, kind, status, date,
        summary, scope, region, note, retracted ON fact
        WHEN EXISTS (SELECT 1 FROM follow) AND (
            old.subject_id IS NOT new.subject_id OR old.object_id IS NOT new.object_id
            OR old.kind IS NOT new.kind OR old.status IS NOT new.status OR old.date IS NOT new.date
            OR old.summary IS NOT new.summary OR old.scope IS NOT new.scope
            OR old.region IS NOT new.region OR old.note IS NOT new.note
            OR old.retracted IS NOT new.retracted) BEGIN
        INSERT INTO fact_change (fact_id, action, before_status, old_subject, old_object)
        VALUES (new.id, CASE WHEN new.retracted > old.retracted THEN 'retract'
                             WHEN new.retracted < old.retracted THEN 'restore'
                             ELSE 'edit' END,
                old.status, old.subject_id, old.object_id);
    END;

    CREATE TABLE notification (
        id        INTEGER PRIMARY KEY,
        chat_id   INTEGER NOT NULL,
        change_id INTEGER NOT NULL REFERENCES fact_change(id) ON DELETE CASCADE,
        UNIQUE (chat_id, change_id)
    );
    CREATE INDEX notification_change ON notification(change_id);

    CREATE TABLE report (
        id         INTEGER PRIMARY KEY,
        subject_id INTEGER NOT NULL DEFAULT 0,
        object_id  INTEGER NOT NULL DEFAULT 0,
        chat_id    INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        text       TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'resolved', 'dismissed')),
        created_at TEXT NOT NULL,
        closed_by  TEXT NOT NULL DEFAULT '',
        closed_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX report_open ON report(id) WHERE status = 'open';
    CREATE INDEX report_user ON report(user_id, created_at);

    CREATE TABLE suggestion (
        id         INTEGER PRIMARY KEY,
        chat_id    INTEGER NOT NULL,
        user_id    INTEGER NOT NULL,
        line       TEXT NOT NULL,
        status     TEXT NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'accepted', 'rejected')),
        reason     TEXT NOT NULL DEFAULT '',
        fact_id    INTEGER,
        created_at TEXT NOT NULL,
        closed_by  TEXT NOT NULL DEFAULT '',
        closed_at  TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX suggestion_open ON suggestion(id) WHERE status = 'open';
    CREATE INDEX suggestion_user ON suggestion(user_id, created_at);

    CREATE TABLE miss_daily (
        day   TEXT NOT NULL,
        kind  TEXT NOT NULL CHECK (kind IN ('name', 'pair')),
        text  TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (day, kind, text)
    ) WITHOUT ROWID;
    """,
    # 4 (store): one normalised key per company name and alias, unique across companies (the write path
    # fills it through the name_key() SQL function, bot.rules.name_key, registered on the writer):
    # company names first, then aliases oldest first; a later alias whose key another company
    # already owns is removed, with an audit row. Search becomes trigram FTS (Chinese works),
    # over summaries in both languages, source titles and publishers, and the names and aliases
    # of the fact's two companies.
    """
    CREATE TABLE name_key (
        key        TEXT PRIMARY KEY,
        company_id INTEGER NOT NULL REFERENCES company(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX name_key_company ON name_key(company_id);
    INSERT OR IGNORE INTO name_key (key, company_id)
        SELECT name_key(name), id FROM company WHERE name_key(name) <> '' ORDER BY id;
    INSERT OR IGNORE INTO name_key (key, company_id)
        SELECT name_key(alias), company_id FROM alias WHERE name_key(alias) <> '' ORDER BY id;
    INSERT INTO audit (at, actor, action, entity, entity_id, before, after)
        SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), 'migration', 'unalias', 'company', a.company_id,
               json_object('aliases', json_array(a.alias)), json_object('aliases', json_array())
          FROM alias AS a JOIN name_key AS k ON k.key = name_key(a.alias)
         WHERE k.company_id <> a.company_id ORDER BY a.id;
    DELETE FROM alias WHERE id IN (
        SELECT a.id FROM alias AS a JOIN name_key AS k ON k.key = name_key(a.alias)
         WHERE k.company_id <> a.company_id);

    DROP TRIGGER fact_fts_insert;
    DROP TRIGGER fact_fts_update;
    DROP TRIGGER fact_fts_delete;
    DROP TRIGGER source_fts_insert;
    DROP TRIGGER source_fts_delete;
    DROP TABLE fact_fts;
    CREATE VIRTUAL TABLE fact_fts USING fts5(summary, summary_zh, sources, names, tokenize = 'trigram');
    CREATE TRIGGER fact_fts_insert AFTER INSERT ON fact BEGIN
        INSERT INTO fact_fts (rowid, summary, summary_zh, sources, names) VALUES (
            new.id, new.summary, new.summary_zh, '',
            coalesce((SELECT group_concat(n, ' ') FROM (
                SELECT name AS n FROM company WHERE id IN (new.subject_id, new.object_id)
                UNION ALL SELECT alias FROM alias WHERE company_id IN (new.subject_id, new.object_id))), ''));
    END;
    CREATE TRIGGER fact_fts_update AFTER UPDATE OF summary, summary_zh, subject_id, object_id ON fact BEGIN
        UPDATE fact_fts SET summary = new.summary, summary_zh = new.summary_zh,
            names = coalesce((SELECT group_concat(n, ' ') FROM (
                SELECT name AS n FROM company WHERE id IN (new.subject_id, new.object_id)
                UNION ALL SELECT alias FROM alias WHERE company_id IN (new.subject_id, new.object_id))), '')
         WHERE rowid = new.id;
    END;
    CREATE TRIGGER fact_fts_delete AFTER DELETE ON fact BEGIN
        DELETE FROM fact_fts WHERE rowid = old.id;
    END;
    CREATE TRIGGER source_fts_insert AFTER INSERT ON source BEGIN
        UPDATE fact_fts SET sources = (
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = new.fact_id
        ) WHERE rowid = new.fact_id;
    END;
    CREATE TRIGGER source_fts_delete AFTER DELETE ON source BEGIN
        UPDATE fact_fts SET sources = coalesce((
            SELECT group_concat(title || ' ' || publisher, ' ') FROM source WHERE fact_id = old.fact_id
        ), '') WHERE rowid = old.fact_id;
    END;
    CREATE TRIGGER alias_fts_insert AFTER INSERT ON alias BEGIN
        UPDATE fact_fts SET names = coalesce((SELECT group_concat(n, ' ') FROM (
                SELECT c.name AS n FROM fact AS f JOIN company AS c ON c.id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid
                UNION ALL SELECT a.alias FROM fact AS f
                  JOIN alias AS a ON a.company_id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid)), '')
         WHERE rowid IN (SELECT id FROM fact WHERE subject_id = new.company_id
                         UNION SELECT id FROM fact WHERE object_id = new.company_id);
    END;
    CREATE TRIGGER alias_fts_delete AFTER DELETE ON alias BEGIN
        UPDATE fact_fts SET names = coalesce((SELECT group_concat(n, ' ') FROM (
                SELECT c.name AS n FROM fact AS f JOIN company AS c ON c.id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid
                UNION ALL SELECT a.alias FROM fact AS f
                  JOIN alias AS a ON a.company_id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid)), '')
         WHERE rowid IN (SELECT id FROM fact WHERE subject_id = old.company_id
                         UNION SELECT id FROM fact WHERE object_id = old.company_id);
    END;
    CREATE TRIGGER company_fts_update AFTER UPDATE OF name ON company BEGIN
        UPDATE fact_fts SET names = coalesce((SELECT group_concat(n, ' ') FROM (
                SELECT c.name AS n FROM fact AS f JOIN company AS c ON c.id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid
                UNION ALL SELECT a.alias FROM fact AS f
                  JOIN alias AS a ON a.company_id IN (f.subject_id, f.object_id)
                 WHERE f.id = fact_fts.rowid)), '')
         WHERE rowid IN (SELECT id FROM fact WHERE subject_id = new.id
                         UNION SELECT id FROM fact WHERE object_id = new.id);
    END;
    INSERT INTO fact_fts (rowid, summary, summary_zh, sources, names)
        SELECT f.id, f.summary, f.summary_zh,
               coalesce((SELECT group_concat(title || ' ' || publisher, ' ')
                           FROM source WHERE fact_id = f.id), ''),
               coalesce((SELECT group_concat(n, ' ') FROM (
                   SELECT name AS n FROM company WHERE id IN (f.subject_id, f.object_id)
                   UNION ALL SELECT alias FROM alias WHERE company_id IN (f.subject_id, f.object_id))), '')
          FROM fact AS f;
    """,
    # house: the Telegram adapter's conversation, user and chat state (the /addfact form, pending
    # confirmations, search tokens), so they survive a restart (bot/telegram/persistence.py).
    """
    CREATE TABLE tg_state (
        kind TEXT NOT NULL CHECK (kind IN ('user', 'chat', 'conversation')),
        key  TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID;
    """,
    # i18n: a chat's reply language from /language (en, zh, zh-Hans, zh-Hant); no row = auto.
    """
    CREATE TABLE chat_setting (
        chat_id    INTEGER PRIMARY KEY,
        language   TEXT NOT NULL DEFAULT '',
        updated_by TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL DEFAULT ''
    );
    """,
    # follows: a new source on a followed fact is news too. A fact with a change still waiting
    # to be expanded (a new fact's own 'add', an earlier edit) is not queued twice: its
    # notification shows the fact as it is when sent, sources included.
    """
    CREATE INDEX fact_change_pending ON fact_change(fact_id) WHERE expanded = 0;
    CREATE TRIGGER source_follow_insert AFTER INSERT ON source
        WHEN EXISTS (SELECT 1 FROM follow) AND NOT EXISTS (
            SELECT 1 FROM fact_change WHERE fact_id = new.fact_id AND expanded = 0) BEGIN
        INSERT INTO fact_change (fact_id, action) VALUES (new.fact_id, 'source');
    END;
    """,
    # perf2: a counter that moves on every change to a company or an alias, so a process can tell
    # whether its name index is stale (PRAGMA data_version moves on every commit, facts included).
    """
    CREATE TABLE change_count (
        what TEXT PRIMARY KEY,
        n    INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO change_count (what, n) VALUES ('companies', 0);
    CREATE TRIGGER company_count_insert AFTER INSERT ON company BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    CREATE TRIGGER company_count_update AFTER UPDATE ON company BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    CREATE TRIGGER company_count_delete AFTER DELETE ON company BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    CREATE TRIGGER alias_count_insert AFTER INSERT ON alias BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    CREATE TRIGGER alias_count_update AFTER UPDATE ON alias BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    CREATE TRIGGER alias_count_delete AFTER DELETE ON alias BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'companies';
    END;
    """,
    # perf3: which companies changed, in commit order, so every process brings its name index up
    # to date company by company (its own writes and another process's alike) instead of reloading
    # every name; the log keeps its newest 10,000 rows. And a counter of fact and source changes,
    # so answer caches outlive commits that change no answer (persistence, follows, counters).
    """
    DROP TRIGGER company_count_insert;
    DROP TRIGGER company_count_update;
    DROP TRIGGER company_count_delete;
    DROP TRIGGER alias_count_insert;
    DROP TRIGGER alias_count_update;
    DROP TRIGGER alias_count_delete;
    DELETE FROM change_count WHERE what = 'companies';
    CREATE TABLE company_change (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        company_id INTEGER NOT NULL
    );
    INSERT INTO company_change (company_id) VALUES (0);
    CREATE TRIGGER company_change_prune AFTER INSERT ON company_change WHEN new.seq % 1000 = 0 BEGIN
        DELETE FROM company_change WHERE seq <= new.seq - 10000;
    END;
    CREATE TRIGGER company_log_insert AFTER INSERT ON company BEGIN
        INSERT INTO company_change (company_id) VALUES (new.id);
    END;
    CREATE TRIGGER company_log_update AFTER UPDATE ON company BEGIN
        INSERT INTO company_change (company_id) VALUES (new.id);
    END;
    CREATE TRIGGER company_log_delete AFTER DELETE ON company BEGIN
        INSERT INTO company_change (company_id) VALUES (old.id);
    END;
    CREATE TRIGGER alias_log_insert AFTER INSERT ON alias BEGIN
        INSERT INTO company_change (company_id) VALUES (new.company_id);
    END;
    CREATE TRIGGER alias_log_update AFTER UPDATE ON alias BEGIN
        INSERT INTO company_change (company_id) VALUES (new.company_id);
    END;
    CREATE TRIGGER alias_log_move AFTER UPDATE OF company_id ON alias
        WHEN old.company_id != new.company_id BEGIN
        INSERT INTO company_change (company_id) VALUES (old.company_id);
    END;
    CREATE TRIGGER alias_log_delete AFTER DELETE ON alias BEGIN
        INSERT INTO company_change (company_id) VALUES (old.company_id);
    END;
    INSERT INTO change_count (what, n) VALUES ('facts', 0);
    CREATE TRIGGER fact_count_insert AFTER INSERT ON fact BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    CREATE TRIGGER fact_count_update AFTER UPDATE ON fact BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    CREATE TRIGGER fact_count_delete AFTER DELETE ON fact BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    CREATE TRIGGER source_count_insert AFTER INSERT ON source BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    CREATE TRIGGER source_count_update AFTER UPDATE ON source BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    CREATE TRIGGER source_count_delete AFTER DELETE ON source BEGIN
        UPDATE change_count SET n = n + 1 WHERE what = 'facts';
    END;
    """,
    # perf4: the two party indexes also carry what a profile is ordered by, so a company's fact
    # ids come in profile order from the indexes alone (13k facts: 35 -> 14 ms, no table reads).
    """
    DROP INDEX fact_pair;
    DROP INDEX fact_object;
    CREATE INDEX fact_pair ON fact(subject_id, object_id, retracted, kind, date);
    CREATE INDEX fact_object ON fact(object_id, subject_id, retracted, kind, date);
    """,
    # quote: a source carries the verbatim excerpt of its page that supports the fact.
    """
    ALTER TABLE source ADD COLUMN quote TEXT NOT NULL DEFAULT '';
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the schema's write path and migrations call (the writer registers them)."""
    conn.create_function("name_key", 1, name_key, deterministic=True)


def configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 5000")
    # A read-only file cannot switch journal mode; it still serves reads, so go on.
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    register_functions(conn)


def version(conn: sqlite3.Connection) -> int:
    (value,) = conn.execute("PRAGMA user_version").fetchone()
    return int(value)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every step the file lacks, each in its own transaction with its version bump."""
    current = version(conn)
    if current > SCHEMA_VERSION:
        raise StorageError("error.db_newer", found=current, known=SCHEMA_VERSION)
    for step in range(current, SCHEMA_VERSION):
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in split_sql(MIGRATIONS[step]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise storage_error(exc) from exc


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    (result,) = conn.execute("PRAGMA quick_check").fetchone()
    if result != "ok":
        raise StorageError("error.db_damaged_in", path=str(path), error=result)


def split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
