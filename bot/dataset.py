"""Import and export of the whole store, in one document format (the seed uses it too).

Import validates every row first and reports rejects by row number; the accepted rows are then
applied in ONE transaction, so a crash or a kill leaves the store fully before or fully after.
A dry run is the same code path rolled back at the end, so the preview never lies.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.domain import (
    InteropError,
    Kind,
    Relation,
    Status,
    StorageError,
    ValidationError,
    parse_fact_date,
)
from bot.rules import (
    MAX_NAME,
    MAX_NOTE,
    MAX_SCOPE,
    MAX_SUMMARY,
    MAX_TITLE,
    clean_name,
    clean_region,
    clean_summary,
    clean_text,
    clean_url,
    clean_verified,
)
from bot.store import (
    Store,
    index_new_facts,
    restore_fts_triggers,
    suspend_fts_insert_triggers,
    utcnow,
)

FORMAT = "interop-bot/1"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
IMPORT_CACHE_KIB = 64 * 1024
_DEFAULT_CACHE_KIB = 2000  # SQLite's own default
CSV_COLUMNS = ("record", "name", "kind", "parent", "description", "aliases", "key", "subject",
               "object", "kind_detail", "status", "date", "date_note", "confidence", "summary",
               "sources", "retracted", "relation", "name_zh", "features", "scope", "region",
               "note", "verified", "summary_zh")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    dry_run: bool = True
    new_companies: int = 0
    updated_companies: int = 0

    @property
    def changes(self) -> int:
        return self.new + self.updated + self.new_companies + self.updated_companies


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


# -- parsing ---------------------------------------------------------------------------------


def parse_document(filename: str, data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES,
                   max_rows: int = MAX_IMPORT_ROWS) -> dict[str, Any]:
    """Bytes of a JSON or CSV export -> the canonical document; clear errors for broken files.

    The limits guard the bot against oversized uploads; the offline CLI may raise them.
    """
    if len(data) > max_bytes:
        raise ValidationError(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("the file is not UTF-8 text") from None
    name = filename.lower()
    if name.endswith(".csv") or (not name.endswith(".json") and not text.lstrip().startswith("{")):
        return _parse_csv(text, max_rows)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"the JSON is broken at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("facts", []), list) \
            or not isinstance(doc.get("companies", []), list):
        raise ValidationError("the JSON must be an object with 'companies' and 'facts' lists")
    if doc.get("format", FORMAT) != FORMAT:
        raise ValidationError(f"the format {str(doc.get('format'))[:40]!r} is not {FORMAT!r}")
    if len(doc.get("facts", [])) + len(doc.get("companies", [])) > max_rows:
        raise ValidationError(f"the file has more than {max_rows} rows")
    return doc


def _uncell(value: str) -> str:
    """Undo the formula guard added on export (a leading apostrophe before = + - @)."""
    if len(value) >= 2 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def _parse_csv(text: str, max_rows: int) -> dict[str, Any]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        if "record" not in header:
            raise ValidationError("the CSV needs a header row starting with 'record' "
                                  "(use the file /export sends as a template)")
        companies: list[Any] = []
        facts: list[Any] = []
        for line_no, row in enumerate(reader, start=2):
            if len(companies) + len(facts) >= max_rows:
                raise ValidationError(f"the file has more than {max_rows} rows")
            cells = {k: _uncell(v or "") for k, v in row.items() if k}
            record = cells.get("record", "").strip().lower()
            try:
                if record == "company":
                    companies.append({
                        "name": cells.get("name", ""), "kind": cells.get("kind", ""),
                        "parent": cells.get("parent") or None,
                        "description": cells.get("description", ""),
                        "relation": cells.get("relation") or None,
                        "name_zh": cells.get("name_zh", ""),
                        "aliases": json.loads(cells.get("aliases") or "[]"),
                        "features": json.loads(cells.get("features") or "[]"), "_row": line_no})
                elif record == "fact":
                    facts.append({
                        **{k: cells.get(k, "") for k in ("key", "subject", "object", "kind",
                                                         "kind_detail", "status", "date",
                                                         "date_note", "confidence", "summary",
                                                         "scope", "region", "note", "verified",
                                                         "summary_zh")},
                        "sources": json.loads(cells.get("sources") or "[]"),
                        "retracted": cells.get("retracted", "").lower() in {"1", "true", "yes"},
                        "_row": line_no})
                else:
                    facts.append({"_row": line_no, "_error": f"unknown record type {record!r}"})
            except json.JSONDecodeError:
                facts.append({"_row": line_no, "_error": "aliases/sources must be JSON lists"})
    except csv.Error as exc:
        raise ValidationError(f"the CSV is broken: {exc}") from None
    return {"format": FORMAT, "companies": companies, "facts": facts}


# -- validation ------------------------------------------------------------------------------


def _label(kind: str, index: int, row: dict[str, Any]) -> str:
    return f"row {row['_row']}" if "_row" in row else f"{kind} {index}"


def _str(raw: dict[str, Any], key: str) -> str:
    """A text field, refusing numbers, lists and the like instead of stringifying them."""
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{key} must be text, not {type(value).__name__}")
    return value


def _validate_company(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError("not an object")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValidationError("aliases must be a list of strings")
    features = raw.get("features") or []
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise ValidationError("features must be a list of objects with alias, kind and scope")
    parent = _str(raw, "parent")
    relation = _str(raw, "relation")
    return {
        "name": clean_name(_str(raw, "name")),
        "kind": clean_text("kind", _str(raw, "kind"), 60),
        "parent": clean_name(parent, "parent") if parent else None,
        "relation": Relation.parse(relation).value if relation else "",
        "name_zh": clean_text("name_zh", _str(raw, "name_zh"), MAX_NAME),
        "description": clean_text("description", _str(raw, "description"), 500),
        "aliases": list(dict.fromkeys(clean_name(a, "alias") for a in aliases)),
        "features": [{"alias": clean_name(_str(f, "alias"), "feature alias"),
                      "kind": Kind.parse(_str(f, "kind")).value,
                      "scope": clean_text("scope", _str(f, "scope"), MAX_SCOPE)}
                     for f in features],
    }


class _Checks:
    """The shared rules (bot.rules), remembered for values that repeat from row to row.

    A bulk file names the same companies, kinds, statuses, dates and publishers thousands of
    times: each distinct value goes through its rule once per import. Only accepted values are
    remembered, so a bad value meets its rule again and is refused with the same words.
    """

    __slots__ = ("dates", "kinds", "names", "statuses", "texts")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self.statuses: dict[str, str] = {}
        self.dates: dict[str, str] = {}
        self.texts: dict[int, dict[str, str]] = {}

    def name(self, value: str, field_name: str) -> str:
        cleaned = self.names.get(value)
        if cleaned is None:
            cleaned = self.names[value] = clean_name(value, field_name)
        return cleaned

    def text(self, field_name: str, value: str, limit: int) -> str:
        memo = self.texts.get(limit)
        if memo is None:
            memo = self.texts[limit] = {}
        cleaned = memo.get(value)
        if cleaned is None:
            cleaned = memo[value] = clean_text(field_name, value, limit)
        return cleaned

    def kind(self, value: str) -> str:
        parsed = self.kinds.get(value)
        if parsed is None:
            parsed = self.kinds[value] = Kind.parse(value).value
        return parsed

    def status(self, value: str) -> str:
        parsed = self.statuses.get(value)
        if parsed is None:
            parsed = self.statuses[value] = Status.parse(value).value
        return parsed

    def date(self, value: str) -> str:
        parsed = self.dates.get(value)
        if parsed is None:
            parsed = self.dates[value] = parse_fact_date(value)
        return parsed


def _validate_fact(raw: Any, checks: _Checks | None = None) -> dict[str, Any]:
    """A document row -> the values to store; sources come back as JSON-able dicts.

    Checks run in a fixed order (sources, parties, then the fields in column order), so a row
    with several problems is always refused for the same first one.
    """
    if checks is None:
        checks = _Checks()
    if not isinstance(raw, dict):
        raise ValidationError("not an object")
    if "_error" in raw:
        raise ValidationError(raw["_error"])
    sources_raw = raw.get("sources") or []
    if not isinstance(sources_raw, list) or not sources_raw:
        raise ValidationError("a fact needs at least one source")
    sources: list[dict[str, str]] = []
    for s in sources_raw:
        if not isinstance(s, dict):
            raise ValidationError("each source must be an object with a url")
        url, title, publisher, date = s.get("url"), s.get("title"), s.get("publisher"), s.get("date")
        if not (url.__class__ is title.__class__ is publisher.__class__ is date.__class__ is str):
            # Not all plain text: _str turns None into "" and refuses the rest, in this order.
            url, title, publisher, date = (_str(s, "url"), _str(s, "title"),
                                           _str(s, "publisher"), _str(s, "date"))
        sources.append({"url": clean_url(url),
                        "title": checks.text("source title", title, MAX_TITLE),
                        "publisher": checks.text("source publisher", publisher, MAX_TITLE),
                        "date": checks.date(date) if date else ""})
    if len(sources) > 1 and len({s["url"] for s in sources}) != len(sources):
        raise ValidationError("the same source URL is listed twice")
    subject = checks.name(_str(raw, "subject"), "subject")
    obj = checks.name(_str(raw, "object"), "object")
    if subject.casefold() == obj.casefold():
        raise ValidationError("subject and object are the same company")
    return {
        "key": clean_text("key", _str(raw, "key"), 120),
        "subject": subject,
        "object": obj,
        "kind": checks.kind(_str(raw, "kind")),
        "kind_detail": checks.text("kind_detail", _str(raw, "kind_detail"), 120),
        "status": checks.status(_str(raw, "status")),
        "date": checks.date(_str(raw, "date")),
        "date_note": checks.text("date_note", _str(raw, "date_note"), MAX_NOTE),
        "confidence": checks.text("confidence", _str(raw, "confidence"), 40),
        "summary": clean_summary(_str(raw, "summary")),
        "retracted": raw.get("retracted", False) is True,
        "scope": checks.text("scope", _str(raw, "scope"), MAX_SCOPE),
        "region": clean_region(_str(raw, "region")),
        "note": checks.text("note", _str(raw, "note"), MAX_NOTE),
        "verified": clean_verified(_str(raw, "verified")),
        "summary_zh": clean_text("summary_zh", _str(raw, "summary_zh"), MAX_SUMMARY),
        "sources": sources,
    }


# -- applying (synchronous, in a worker thread with its own connection) ----------------------


def _apply(path: str, doc: dict[str, Any], actor: str, dry_run: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute(f"PRAGMA cache_size = -{_import_cache_kib(path)}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            _apply_in_tx(conn, doc, actor, report)
            if dry_run:
                raise _DryRun
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except _DryRun:
        pass
    finally:
        conn.close()
    return report


_to_json = json.JSONEncoder(ensure_ascii=False).encode
"""json.dumps(..., ensure_ascii=False) without building an encoder per call (one per audit row)."""


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


def _import_cache_kib(path: str) -> int:
    """Page cache for an import's connection, sized to the file it writes into.

    New facts land at random places in the fact table's five indexes, so the pages an import
    keeps rewriting grow with the file: on a big store the default 2 MB cache spills dirty
    pages again and again, which costs a third of the import. More than the file is useless.
    The memory is taken only as pages are touched and goes with the connection.
    """
    try:
        size_kib = os.path.getsize(path) // 1024
    except OSError:
        size_kib = 0
    return max(_DEFAULT_CACHE_KIB, min(IMPORT_CACHE_KIB, size_kib))


def _audit(rows: list[tuple[Any, ...]], actor: str, action: str, entity: str, entity_id: int,
           before: Any, after: Any, clock: Callable[[], str] = utcnow) -> None:
    rows.append((clock(), actor, action, entity, entity_id,
                 None if before is None else _to_json(before),
                 None if after is None else _to_json(after)))


def _apply_in_tx(conn: sqlite3.Connection, doc: dict[str, Any], actor: str,
                 report: ImportReport) -> None:
    audit: list[tuple[Any, ...]] = []
    ids = {name.casefold(): cid for cid, name in conn.execute("SELECT id, name FROM company")}
    alias_owner = {a.casefold(): cid for cid, a in conn.execute("SELECT company_id, alias FROM alias")}
    now = utcnow()

    for index, raw in enumerate(doc.get("companies", []), start=1):
        label = _label("company", index, raw if isinstance(raw, dict) else {})
        try:
            row = _validate_company(raw)
            parent_id = None
            if row["parent"]:
                parent_id = ids.get(row["parent"].casefold())
                if parent_id is None:
                    raise ValidationError(f"parent {row['parent']!r} is not a known company "
                                          "(list parents before their children)")
            cid = ids.get(row["name"].casefold())
            for alias in [*row["aliases"], *(f["alias"] for f in row["features"])]:
                owner = alias_owner.get(alias.casefold())
                if owner is not None and owner != cid:
                    raise ValidationError(f"alias {alias!r} already belongs to another company")
            if cid is None:
                cur = conn.execute(
                    "INSERT INTO company (name, kind, parent_id, description, relation, name_zh, "
                    "created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (row["name"], row["kind"], parent_id, row["description"], row["relation"],
                     row["name_zh"], actor, now))
                cid = cur.lastrowid
                assert cid is not None
                ids[row["name"].casefold()] = cid
                report.new_companies += 1
                _audit(audit, actor, "import", "company", cid, None, row)
            else:
                old = conn.execute("SELECT kind, parent_id, description, relation, name_zh "
                                   "FROM company WHERE id = ?", (cid,)).fetchone()
                old_rows = conn.execute("SELECT alias, kind, scope FROM alias WHERE company_id = ? "
                                        "ORDER BY id", (cid,)).fetchall()
                old_aliases = [a for a, _, _ in old_rows]
                wanted = {(a.casefold(), "", "") for a in row["aliases"]}
                wanted |= {(f["alias"].casefold(), f["kind"], f["scope"]) for f in row["features"]}
                new = (row["kind"], parent_id, row["description"], row["relation"], row["name_zh"])
                if tuple(old) == new and wanted <= {(a.casefold(), k, sc) for a, k, sc in old_rows}:
                    continue
                conn.execute("UPDATE company SET kind = ?, parent_id = ?, description = ?, "
                             "relation = ?, name_zh = ? WHERE id = ?", (*new, cid))
                report.updated_companies += 1
                _audit(audit, actor, "import", "company", cid,
                       {"kind": old[0], "parent_id": old[1], "description": old[2],
                        "relation": old[3], "name_zh": old[4], "aliases": old_aliases}, row)
            for alias in row["aliases"]:
                if alias.casefold() not in alias_owner:
                    conn.execute("INSERT INTO alias (company_id, alias) VALUES (?, ?)", (cid, alias))
                    alias_owner[alias.casefold()] = cid
            for feature in row["features"]:  # a plain alias named as a feature becomes one
                values = (feature["kind"], feature["scope"], cid, feature["alias"])
                if feature["alias"].casefold() in alias_owner:
                    conn.execute("UPDATE alias SET kind = ?, scope = ? "
                                 "WHERE company_id = ? AND alias = ?", values)
                else:
                    conn.execute("INSERT INTO alias (kind, scope, company_id, alias) "
                                 "VALUES (?, ?, ?, ?)", values)
                    alias_owner[feature["alias"].casefold()] = cid
        except InteropError as exc:
            report.rejected.append((label, str(exc)))

    _apply_facts(conn, doc.get("facts", []), actor, now, ids, audit, report)
    conn.executemany("INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", audit)


_FACT_COLS = ("subject_id", "object_id", "kind", "kind_detail", "status", "date", "date_note",
              "confidence", "summary", "retracted", "scope", "region", "note", "verified",
              "summary_zh")
_INSERT_SOURCE = ("INSERT INTO source (fact_id, position, url, title, publisher, date) "
                  "VALUES (?, ?, ?, ?, ?, ?)")
_FLUSH_ROWS = 20_000
_MAX_ROWID = 2**63 - 1


class _NewFacts:
    """New facts and their sources, written with executemany instead of one row at a time.

    Ids are handed out as SQLite itself would (one more than the largest, row after row): the
    import holds the write lock from BEGIN IMMEDIATE, so nobody else can take them, and the
    sources and the audit need them before the rows are written. At the first write the FTS
    insert triggers are suspended (they rewrote a fact's FTS row once per source); ``finish``
    indexes every new fact in one statement and restores them, in the same transaction.
    """

    def __init__(self, conn: sqlite3.Connection, actor: str, now: str) -> None:
        self.conn = conn
        self.actor = actor
        self.now = now
        (top,) = conn.execute("SELECT max(id) FROM fact").fetchone()
        self.first_id = self.next_id = (top or 0) + 1
        self.facts: list[tuple[Any, ...]] = []
        self.sources: list[tuple[Any, ...]] = []
        self.changed_sources: list[int] = []
        self.triggers: list[str] | None = None

    def add(self, key: str, values: tuple[Any, ...], sources: list[tuple[str, ...]]) -> int:
        fid = self.next_id
        if fid > _MAX_ROWID:
            raise StorageError("the fact table has run out of ids")
        self.next_id += 1
        self.facts.append((fid, key or f"fact-{fid}", *values,
                           self.actor, self.now, self.actor, self.now))
        self.sources.extend([(fid, i, *s) for i, s in enumerate(sources)])
        if len(self.facts) >= _FLUSH_ROWS:
            self.flush()
        return fid

    def flush(self) -> None:
        """Write what is buffered; called before any other write, so writes keep file order."""
        if not self.facts:
            return
        if self.triggers is None:
            self.triggers = suspend_fts_insert_triggers(self.conn)
        self.conn.executemany(
            f"INSERT INTO fact (id, key, {', '.join(_FACT_COLS)}, created_by, created_at, "
            f"updated_by, updated_at) VALUES ({', '.join('?' * (len(_FACT_COLS) + 6))})",
            self.facts)
        self.conn.executemany(_INSERT_SOURCE, self.sources)
        self.facts.clear()
        self.sources.clear()

    def finish(self) -> None:
        self.flush()
        if self.triggers is not None:
            index_new_facts(self.conn, self.first_id, self.changed_sources)
            restore_fts_triggers(self.conn, self.triggers)
            self.triggers = None


def _apply_facts(conn: sqlite3.Connection, rows: list[Any], actor: str, now: str,
                 ids: dict[str, int], audit: list[tuple[Any, ...]], report: ImportReport) -> None:
    existing = {key: fid for fid, key in conn.execute("SELECT id, key FROM fact")}
    # Ordered like the unique index of live facts, so SQLite reads that small index instead of
    # every fact's full row (2.5x faster; the order itself does not matter here).
    live_pairs = {(s, o, k, sc, st, d): fid for fid, s, o, k, sc, st, d in conn.execute(
        "SELECT id, subject_id, object_id, kind, scope, status, date FROM fact "
        "WHERE retracted = 0 ORDER BY subject_id, object_id, kind, scope, status, date")}
    checks = _Checks()
    clock = _Clock()
    new_facts = _NewFacts(conn, actor, now)
    for index, raw in enumerate(rows, start=1):
        try:
            row = _validate_fact(raw, checks)
            subject_id = ids.get(row["subject"].casefold())
            object_id = ids.get(row["object"].casefold())
            for role, value, cid in (("subject", row["subject"], subject_id),
                                     ("object", row["object"], object_id)):
                if cid is None:
                    raise ValidationError(f"{role} {value!r} is not a known company")
            retracted = row["retracted"]
            values = (subject_id, object_id, row["kind"], row["kind_detail"], row["status"],
                      row["date"], row["date_note"], row["confidence"], row["summary"],
                      int(retracted), row["scope"], row["region"], row["note"], row["verified"],
                      row["summary_zh"])
            pair = (subject_id, object_id, row["kind"], row["scope"], row["status"], row["date"])
            key = row["key"]
            fid = existing.get(key) if key else None
            dup = live_pairs.get(pair)
            if dup is not None and dup != fid and not retracted:
                raise ValidationError(f"duplicates fact #{dup} (same pair, kind, scope, status and date)")
            sources = [(s["url"], s["title"], s["publisher"], s["date"]) for s in row["sources"]]
            if fid is None:
                fid = new_facts.add(key, values, sources)
                if key:
                    existing[key] = fid
                report.new += 1
                _audit(audit, actor, "import", "fact", fid, None, row, clock)
                if not retracted:
                    live_pairs[pair] = fid
            else:
                new_facts.flush()  # the row may be one buffered earlier in this file
                old = conn.execute(f"SELECT {', '.join(_FACT_COLS)} FROM fact WHERE id = ?",
                                   (fid,)).fetchone()
                old_sources = conn.execute(
                    "SELECT url, title, publisher, date FROM source WHERE fact_id = ? "
                    "ORDER BY position", (fid,)).fetchall()
                if tuple(old) == values and old_sources == sources:
                    report.unchanged += 1
                    continue
                conn.execute(f"UPDATE fact SET {', '.join(c + ' = ?' for c in _FACT_COLS)}, "
                             "updated_by = ?, updated_at = ? WHERE id = ?",
                             (*values, actor, now, fid))
                if old_sources != sources:
                    conn.execute("DELETE FROM source WHERE fact_id = ?", (fid,))
                    conn.executemany(_INSERT_SOURCE,
                                     [(fid, i, *s) for i, s in enumerate(sources)])
                    new_facts.changed_sources.append(fid)
                report.updated += 1
                _audit(audit, actor, "import", "fact", fid,
                       {**dict(zip(_FACT_COLS, old, strict=True)),
                        "sources": [list(s) for s in old_sources]}, row, clock)
                # The stored row (earlier rows of this file included) says where it was live.
                previous = None if old[9] else (old[0], old[1], old[2], old[10], old[4], old[5])
                if previous is not None and live_pairs.get(previous) == fid:
                    del live_pairs[previous]
                if not retracted:
                    live_pairs[pair] = fid
        except InteropError as exc:
            report.rejected.append((_label("fact", index, raw if isinstance(raw, dict) else {}),
                                    str(exc)))
    new_facts.finish()


async def import_document(store: Store, doc: dict[str, Any], actor: str,
                          *, dry_run: bool) -> ImportReport:
    """Validate and apply ``doc`` atomically (or only report, with ``dry_run``)."""
    async with store.exclusive_writes():
        return await asyncio.to_thread(_apply, str(store.path), doc, actor, dry_run)


# -- export ----------------------------------------------------------------------------------


def _export(path: str) -> dict[str, Any]:
    conn = sqlite3.connect(f"{path}", isolation_level=None)
    try:
        conn.execute("BEGIN")  # one snapshot for the whole export
        names = {cid: name for cid, name in conn.execute("SELECT id, name FROM company")}
        aliases: dict[int, list[str]] = {}
        features: dict[int, list[dict[str, str]]] = {}
        for cid, alias, kind, scope in conn.execute(
                "SELECT company_id, alias, kind, scope FROM alias ORDER BY id"):
            if kind:
                features.setdefault(cid, []).append({"alias": alias, "kind": kind, "scope": scope})
            else:
                aliases.setdefault(cid, []).append(alias)
        rows = conn.execute("SELECT id, name, kind, parent_id, description, relation, name_zh "
                            "FROM company ORDER BY id").fetchall()
        companies = _parents_first([
            {"name": r[1], "kind": r[2], "parent": names.get(r[3]) if r[3] else None,
             "relation": r[5] or None, "name_zh": r[6], "description": r[4],
             "aliases": aliases.get(r[0], []), "features": features.get(r[0], [])}
            for r in rows])
        sources: dict[int, list[dict[str, str]]] = {}
        for fid, url, title, publisher, date in conn.execute(
                "SELECT fact_id, url, title, publisher, date FROM source ORDER BY fact_id, position"):
            sources.setdefault(fid, []).append(
                {"url": url, "title": title, "publisher": publisher, "date": date})
        facts = [
            {"key": r[1], "subject": names[r[2]], "object": names[r[3]], "kind": r[4],
             "kind_detail": r[5], "status": r[6], "date": r[7], "date_note": r[8],
             "confidence": r[9], "summary": r[10], "scope": r[12], "region": r[13],
             "note": r[14], "verified": r[15], "summary_zh": r[16], "retracted": bool(r[11]),
             "sources": sources.get(r[0], [])}
            for r in conn.execute(
                "SELECT id, key, subject_id, object_id, kind, kind_detail, status, date, "
                "date_note, confidence, summary, retracted, scope, region, note, verified, "
                "summary_zh FROM fact ORDER BY id")]
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {"format": FORMAT, "exported_at": utcnow(), "companies": companies, "facts": facts}


def _parents_first(companies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order companies so every parent precedes its children, as import requires."""
    by_name = {c["name"]: c for c in companies}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(company: dict[str, Any], depth: int = 0) -> None:
        if company["name"] in seen or depth > 50:
            return
        parent = by_name.get(company["parent"] or "")
        if parent is not None:
            visit(parent, depth + 1)
        seen.add(company["name"])
        ordered.append(company)

    for company in companies:
        visit(company)
    return ordered


async def export_document(store: Store) -> dict[str, Any]:
    return await asyncio.to_thread(_export, str(store.path))


def _cell(value: Any) -> str:
    """Neutralise spreadsheet formulas (CSV injection) reversibly with a leading apostrophe."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if text.startswith(_FORMULA_START) or (text.startswith("'") and text[1:2] in "=+-@"):
        return "'" + text
    return text


def to_json_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def to_csv_bytes(doc: dict[str, Any]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for c in doc["companies"]:
        writer.writerow({"record": "company", "name": _cell(c["name"]), "kind": _cell(c["kind"]),
                         "parent": _cell(c["parent"] or ""),
                         "description": _cell(c["description"]),
                         "aliases": _cell(json.dumps(c["aliases"], ensure_ascii=False)),
                         "relation": _cell(c["relation"] or ""), "name_zh": _cell(c["name_zh"]),
                         "features": _cell(json.dumps(c["features"], ensure_ascii=False))})
    for f in doc["facts"]:
        writer.writerow({"record": "fact", **{k: _cell(f[k]) for k in (
            "key", "subject", "object", "kind", "kind_detail", "status", "date", "date_note",
            "confidence", "summary", "scope", "region", "note", "verified", "summary_zh")},
            "sources": _cell(json.dumps(f["sources"], ensure_ascii=False)),
            "retracted": "true" if f["retracted"] else "false"})
    return out.getvalue().encode("utf-8")
