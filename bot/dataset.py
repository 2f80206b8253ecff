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
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from bot.domain import InteropError, Kind, Status, ValidationError, parse_fact_date
from bot.rules import (
    MAX_NOTE,
    clean_name,
    clean_source,
    clean_summary,
    clean_text,
)
from bot.store import Store, utcnow

FORMAT = "interop-bot/1"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
CSV_COLUMNS = ("record", "name", "kind", "parent", "description", "aliases", "key", "subject",
               "object", "kind_detail", "status", "date", "date_note", "confidence", "summary",
               "sources", "retracted")
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
                        "aliases": json.loads(cells.get("aliases") or "[]"), "_row": line_no})
                elif record == "fact":
                    facts.append({
                        **{k: cells.get(k, "") for k in ("key", "subject", "object", "kind",
                                                         "kind_detail", "status", "date",
                                                         "date_note", "confidence", "summary")},
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
    parent = _str(raw, "parent")
    return {
        "name": clean_name(_str(raw, "name")),
        "kind": clean_text("kind", _str(raw, "kind"), 60),
        "parent": clean_name(parent, "parent") if parent else None,
        "description": clean_text("description", _str(raw, "description"), 500),
        "aliases": list(dict.fromkeys(clean_name(a, "alias") for a in aliases)),
    }


def _validate_fact(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValidationError("not an object")
    if "_error" in raw:
        raise ValidationError(raw["_error"])
    sources_raw = raw.get("sources") or []
    if not isinstance(sources_raw, list) or not sources_raw:
        raise ValidationError("a fact needs at least one source")
    sources = []
    for s in sources_raw:
        if not isinstance(s, dict):
            raise ValidationError("each source must be an object with a url")
        sources.append(clean_source(_str(s, "url"), _str(s, "title"), _str(s, "publisher"),
                                    _str(s, "date")))
    if len({s.url for s in sources}) != len(sources):
        raise ValidationError("the same source URL is listed twice")
    subject = clean_name(_str(raw, "subject"), "subject")
    obj = clean_name(_str(raw, "object"), "object")
    if subject.casefold() == obj.casefold():
        raise ValidationError("subject and object are the same company")
    return {
        "key": clean_text("key", _str(raw, "key"), 120),
        "subject": subject,
        "object": obj,
        "kind": Kind.parse(_str(raw, "kind")).value,
        "kind_detail": clean_text("kind_detail", _str(raw, "kind_detail"), 120),
        "status": Status.parse(_str(raw, "status")).value,
        "date": parse_fact_date(_str(raw, "date")),
        "date_note": clean_text("date_note", _str(raw, "date_note"), MAX_NOTE),
        "confidence": clean_text("confidence", _str(raw, "confidence"), 40),
        "summary": clean_summary(_str(raw, "summary")),
        "retracted": raw.get("retracted", False) is True,
        "sources": sources,
    }


# -- applying (synchronous, in a worker thread with its own connection) ----------------------


def _apply(path: str, doc: dict[str, Any], actor: str, dry_run: bool) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
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


def _audit(rows: list[tuple[Any, ...]], actor: str, action: str, entity: str, entity_id: int,
           before: Any, after: Any) -> None:
    rows.append((utcnow(), actor, action, entity, entity_id,
                 None if before is None else json.dumps(before, ensure_ascii=False),
                 None if after is None else json.dumps(after, ensure_ascii=False)))


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
            for alias in row["aliases"]:
                owner = alias_owner.get(alias.casefold())
                if owner is not None and owner != cid:
                    raise ValidationError(f"alias {alias!r} already belongs to another company")
            if cid is None:
                cur = conn.execute(
                    "INSERT INTO company (name, kind, parent_id, description, created_by, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (row["name"], row["kind"], parent_id, row["description"], actor, now))
                cid = cur.lastrowid
                assert cid is not None
                ids[row["name"].casefold()] = cid
                report.new_companies += 1
                _audit(audit, actor, "import", "company", cid, None, row)
            else:
                old = conn.execute("SELECT kind, parent_id, description FROM company WHERE id = ?",
                                   (cid,)).fetchone()
                old_aliases = [a for (a,) in conn.execute(
                    "SELECT alias FROM alias WHERE company_id = ? ORDER BY id", (cid,))]
                wanted = {a.casefold() for a in row["aliases"]}
                if (old[0], old[1], old[2]) == (row["kind"], parent_id, row["description"]) and \
                        wanted <= {a.casefold() for a in old_aliases}:
                    continue
                conn.execute("UPDATE company SET kind = ?, parent_id = ?, description = ? "
                             "WHERE id = ?", (row["kind"], parent_id, row["description"], cid))
                report.updated_companies += 1
                _audit(audit, actor, "import", "company", cid,
                       {"kind": old[0], "parent_id": old[1], "description": old[2],
                        "aliases": old_aliases}, row)
            for alias in row["aliases"]:
                if alias.casefold() not in alias_owner:
                    conn.execute("INSERT INTO alias (company_id, alias) VALUES (?, ?)", (cid, alias))
                    alias_owner[alias.casefold()] = cid
        except InteropError as exc:
            report.rejected.append((label, str(exc)))

    existing = {key: fid for fid, key in conn.execute("SELECT id, key FROM fact")}
    live_pairs = {tuple(r[1:]): r[0] for r in conn.execute(
        "SELECT id, subject_id, object_id, kind, status, date FROM fact WHERE retracted = 0")}
    pair_of = {fid: pair for pair, fid in live_pairs.items()}
    fact_cols = ("subject_id", "object_id", "kind", "kind_detail", "status", "date", "date_note",
                 "confidence", "summary", "retracted")
    for index, raw in enumerate(doc.get("facts", []), start=1):
        label = _label("fact", index, raw if isinstance(raw, dict) else {})
        try:
            row = _validate_fact(raw)
            subject_id = ids.get(row["subject"].casefold())
            object_id = ids.get(row["object"].casefold())
            for role, value, cid in (("subject", row["subject"], subject_id),
                                     ("object", row["object"], object_id)):
                if cid is None:
                    raise ValidationError(f"{role} {value!r} is not a known company")
            values = {"subject_id": subject_id, "object_id": object_id,
                      **{k: row[k] for k in fact_cols[2:]}}
            values["retracted"] = int(values["retracted"])
            pair = (subject_id, object_id, row["kind"], row["status"], row["date"])
            fid = existing.get(row["key"]) if row["key"] else None
            dup = live_pairs.get(pair)
            if dup is not None and dup != fid and not row["retracted"]:
                raise ValidationError(f"duplicates fact #{dup} (same pair, kind, status and date)")
            sources = [(s.url, s.title, s.publisher, s.date) for s in row["sources"]]
            if fid is None:
                cur = conn.execute(
                    f"INSERT INTO fact (key, {', '.join(fact_cols)}, created_by, created_at, "
                    f"updated_by, updated_at) VALUES (?, {', '.join('?' * len(fact_cols))}, "
                    "?, ?, ?, ?)",
                    (row["key"] or None, *(values[c] for c in fact_cols), actor, now, actor, now))
                fid = cur.lastrowid
                assert fid is not None
                if not row["key"]:
                    conn.execute("UPDATE fact SET key = ? WHERE id = ?", (f"fact-{fid}", fid))
                else:
                    existing[row["key"]] = fid
                conn.executemany(
                    "INSERT INTO source (fact_id, position, url, title, publisher, date) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [(fid, i, *s) for i, s in enumerate(sources)])
                report.new += 1
                _audit(audit, actor, "import", "fact", fid, None, _jsonable(row))
            else:
                old = conn.execute(f"SELECT {', '.join(fact_cols)} FROM fact WHERE id = ?",
                                   (fid,)).fetchone()
                old_sources = conn.execute(
                    "SELECT url, title, publisher, date FROM source WHERE fact_id = ? "
                    "ORDER BY position", (fid,)).fetchall()
                if tuple(old) == tuple(values[c] for c in fact_cols) and old_sources == sources:
                    report.unchanged += 1
                    continue
                conn.execute(f"UPDATE fact SET {', '.join(c + ' = ?' for c in fact_cols)}, "
                             "updated_by = ?, updated_at = ? WHERE id = ?",
                             (*(values[c] for c in fact_cols), actor, now, fid))
                if old_sources != sources:
                    conn.execute("DELETE FROM source WHERE fact_id = ?", (fid,))
                    conn.executemany(
                        "INSERT INTO source (fact_id, position, url, title, publisher, date) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [(fid, i, *s) for i, s in enumerate(sources)])
                report.updated += 1
                _audit(audit, actor, "import", "fact", fid,
                       {**dict(zip(fact_cols, old, strict=True)),
                        "sources": [list(s) for s in old_sources]}, _jsonable(row))
            previous = pair_of.pop(fid, None)
            if previous is not None and live_pairs.get(previous) == fid:
                del live_pairs[previous]
            if not row["retracted"]:
                live_pairs[pair] = fid
                pair_of[fid] = pair
        except InteropError as exc:
            report.rejected.append((label, str(exc)))
    conn.executemany("INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", audit)


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "sources": [{"url": s.url, "title": s.title, "publisher": s.publisher,
                                "date": s.date} for s in row["sources"]]}


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
        for cid, alias in conn.execute("SELECT company_id, alias FROM alias ORDER BY id"):
            aliases.setdefault(cid, []).append(alias)
        rows = conn.execute("SELECT id, name, kind, parent_id, description FROM company "
                            "ORDER BY id").fetchall()
        companies = _parents_first([
            {"name": r[1], "kind": r[2], "parent": names.get(r[3]) if r[3] else None,
             "description": r[4], "aliases": aliases.get(r[0], [])} for r in rows])
        sources: dict[int, list[dict[str, str]]] = {}
        for fid, url, title, publisher, date in conn.execute(
                "SELECT fact_id, url, title, publisher, date FROM source ORDER BY fact_id, position"):
            sources.setdefault(fid, []).append(
                {"url": url, "title": title, "publisher": publisher, "date": date})
        facts = [
            {"key": r[1], "subject": names[r[2]], "object": names[r[3]], "kind": r[4],
             "kind_detail": r[5], "status": r[6], "date": r[7], "date_note": r[8],
             "confidence": r[9], "summary": r[10], "retracted": bool(r[11]),
             "sources": sources.get(r[0], [])}
            for r in conn.execute(
                "SELECT id, key, subject_id, object_id, kind, kind_detail, status, date, "
                "date_note, confidence, summary, retracted FROM fact ORDER BY id")]
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
                         "aliases": _cell(json.dumps(c["aliases"], ensure_ascii=False))})
    for f in doc["facts"]:
        writer.writerow({"record": "fact", **{k: _cell(f[k]) for k in (
            "key", "subject", "object", "kind", "kind_detail", "status", "date", "date_note",
            "confidence", "summary")},
            "sources": _cell(json.dumps(f["sources"], ensure_ascii=False)),
            "retracted": "true" if f["retracted"] else "false"})
    return out.getvalue().encode("utf-8")
