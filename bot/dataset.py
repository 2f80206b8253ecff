"""Import and export of the whole store, in one document format (the seed uses it too).

Import validates every row first and reports rejects by row number; the accepted rows are then
applied in ONE transaction, so a crash or a kill leaves the store fully before or fully after.
A dry run is the same code path rolled back at the end, so the preview never lies.
"""

from __future__ import annotations

import csv
import io
import json
import lzma
import sqlite3
import zipfile
import zlib
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO

from bot import datacheck
from bot.domain import (
    Company,
    Conflict,
    FeatureAlias,
    ImportReport,
    InteropError,
    Kind,
    Relation,
    Status,
    ValidationError,
    parse_fact_date,
)
from bot.rules import (
    MAX_COMPANY_KIND,
    MAX_CONFIDENCE,
    MAX_DESCRIPTION,
    MAX_KEY,
    MAX_KIND_DETAIL,
    MAX_NAME,
    MAX_NOTE,
    MAX_QUOTE,
    MAX_SCOPE,
    MAX_SUMMARY,
    MAX_TITLE,
    clean_name,
    clean_region,
    clean_summary,
    clean_text,
    clean_url,
    clean_verified,
    name_key,
    partial_note_problem,
    refuse_surrogates,
    require_sources,
)
from bot.store import Store, rebuild_name_keys, records, utcnow
from bot.store.bulk import bulk_cache
from bot.store.rows import FACT_COLUMNS, Record, Row
from bot.store.writes import Writes
from bot.texts import t

FORMAT = "interop-bot/1"
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
CSV_COLUMNS = ("record", "name", "kind", "parent", "description", "aliases", "key", "subject",
               "object", "kind_detail", "status", "date", "date_note", "confidence", "summary",
               "sources", "retracted", "relation", "name_zh", "features", "scope", "region",
               "note", "verified", "summary_zh")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_to_json = json.JSONEncoder(ensure_ascii=False).encode


# -- parsing ---------------------------------------------------------------------------------


def parse_document(filename: str, data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES,
                   max_rows: int = MAX_IMPORT_ROWS) -> Record:
    """Bytes of a JSON or CSV export -> the canonical document; clear errors for broken files.

    The limits guard the bot against oversized uploads; the offline CLI may raise them.
    """
    if len(data) > max_bytes:
        raise ValidationError("error.file_too_big", mb=max_bytes // (1024 * 1024))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("error.not_utf8") from None
    name = filename.lower()
    if name.endswith(".csv") or (not name.endswith(".json") and not text.lstrip().startswith("{")):
        return _parse_csv(text, max_rows)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("error.json_broken", line=exc.lineno, error=exc.msg) from None
    except RecursionError:  # "[[[[...": the parser gives up at Python's recursion limit
        raise ValidationError("error.json_deep") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("facts", []), list) \
            or not isinstance(doc.get("companies", []), list):
        raise ValidationError("error.json_shape")
    if doc.get("format", FORMAT) != FORMAT:
        raise ValidationError("error.format", value=str(doc.get('format'))[:40], format=FORMAT)
    if len(doc.get("facts", [])) + len(doc.get("companies", [])) > max_rows:
        raise ValidationError("error.too_many_rows", max=max_rows)
    return doc


def unzip(filename: str, data: bytes, limit: int = MAX_IMPORT_BYTES) -> tuple[str, bytes]:
    """A zipped export -> (the inner file's name, its bytes); other files pass unchanged.

    Whatever a hostile archive does (a password, an unknown compression method, a damaged
    deflate stream, a member larger than it claims) ends in one ValidationError that says so.
    """
    if not filename.lower().endswith(".zip"):
        return filename, data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            suffixes = sorted(m.filename.lower().rsplit(".", 1)[-1] for m in members)
            if suffixes == ["csv", "json"]:  # `export FILE.zip`: both, from one snapshot
                members = [m for m in members if m.filename.lower().endswith(".json")]
            if len(members) != 1 or not members[0].filename.lower().endswith((".json", ".csv")):
                raise ValidationError("error.zip_one")
            member = members[0]
            if member.file_size > limit:
                raise ValidationError("error.zip_too_big", mb=limit // (1024 * 1024))
            if member.flag_bits & 0x1:
                raise ValidationError("error.zip_encrypted", name=filename)
            with archive.open(member) as handle:
                content = handle.read(limit + 1)
            if len(content) > limit:
                raise ValidationError("error.zip_too_big", mb=limit // (1024 * 1024))
            return member.filename.rsplit("/", 1)[-1], content
    except NotImplementedError:  # a compression method zipfile does not know
        raise ValidationError("error.zip_method", name=filename) from None
    except (zlib.error, EOFError, lzma.LZMAError, OSError):  # bz2 raises OSError
        raise ValidationError("error.zip_corrupt", name=filename) from None
    except RuntimeError:  # "... is encrypted, password required" (a flag set on the directory only)
        raise ValidationError("error.zip_encrypted", name=filename) from None
    except zipfile.BadZipFile:
        raise ValidationError("error.zip_unreadable", name=filename) from None


def read_upload(filename: str, data: bytes, *, max_bytes: int = MAX_IMPORT_BYTES,
                max_rows: int = MAX_IMPORT_ROWS) -> tuple[str, Record]:
    """A file as sent (a JSON or CSV export, or a zip of one) -> (its name, the document).

    Blocking and CPU-bound (about a second for a 17 MB CSV): callers on the event loop run it
    in a worker thread. Every broken or hostile file ends in one ValidationError.
    """
    name, content = unzip(filename, data, max_bytes)
    return name, parse_document(name, content, max_bytes=max_bytes, max_rows=max_rows)


def _uncell(value: str) -> str:
    """Undo the formula guard added on export (see ``_cell``): one apostrophe off a cell that,
    past its leading apostrophes, starts like a formula."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


def _parse_csv(text: str, max_rows: int) -> Record:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        if "record" not in header:
            raise ValidationError("error.csv_header")
        companies: list[object] = []
        facts: list[object] = []
        for line_no, row in enumerate(reader, start=2):
            if len(companies) + len(facts) >= max_rows:
                raise ValidationError("error.too_many_rows", max=max_rows)
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
                    facts.append({"_row": line_no,
                                  "_error": ValidationError("error.csv_record", value=record)})
            except json.JSONDecodeError:
                facts.append({"_row": line_no, "_error": ValidationError("error.csv_lists")})
            except RecursionError:
                facts.append({"_row": line_no, "_error": ValidationError("error.csv_deep")})
    except csv.Error as exc:
        raise ValidationError("error.csv_broken", error=str(exc)) from None
    return {"format": FORMAT, "companies": companies, "facts": facts}


# -- validation ------------------------------------------------------------------------------


def _label(kind: str, index: int, row: Record) -> str:
    return t("import.label_row", n=row["_row"]) if "_row" in row else t(f"import.label_{kind}", n=index)


def _str(raw: Record, key: str) -> str:
    """A text field, refusing numbers, lists and the like instead of stringifying them."""
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("error.not_text", field=key, type=type(value).__name__)
    if not value.isprintable():
        refuse_surrogates(key, value)
    return value


def _validate_company(raw: object) -> Record:
    if not isinstance(raw, dict):
        raise ValidationError("error.not_object")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ValidationError("error.aliases_list")
    features = raw.get("features") or []
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise ValidationError("error.features_list")
    parent = _str(raw, "parent")
    relation = _str(raw, "relation")
    return {
        "name": clean_name(_str(raw, "name")),
        "kind": clean_text("kind", _str(raw, "kind"), MAX_COMPANY_KIND),
        "parent": clean_name(parent, "parent") if parent else None,
        "relation": Relation.parse(relation).value if relation else "",
        "name_zh": clean_text("name_zh", _str(raw, "name_zh"), MAX_NAME),
        "description": clean_text("description", _str(raw, "description"), MAX_DESCRIPTION),
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
            if not value.isprintable():
                refuse_surrogates("date", value)
            parsed = self.dates[value] = parse_fact_date(value)
        return parsed


def _validate_fact(raw: object, checks: _Checks | None = None) -> Record:
    """A document row -> the values to store; sources come back as JSON-able dicts.

    Checks run in a fixed order (sources, parties, then the fields in column order), so a row
    with several problems is always refused for the same first one.
    """
    if checks is None:
        checks = _Checks()
    if not isinstance(raw, dict):
        raise ValidationError("error.not_object")
    if "_error" in raw:
        raise raw["_error"]
    sources_raw = raw.get("sources") or []
    if not isinstance(sources_raw, list):
        raise ValidationError("error.sources_list")
    require_sources(len(sources_raw))
    sources: list[dict[str, str]] = []
    for s in sources_raw:
        if not isinstance(s, dict):
            raise ValidationError("error.source_object")
        url, title, publisher, date = s.get("url"), s.get("title"), s.get("publisher"), s.get("date")
        if not (url.__class__ is title.__class__ is publisher.__class__ is date.__class__ is str):
            # Not all plain text: _str turns None into "" and refuses the rest, in this order.
            url, title, publisher, date = (_str(s, "url"), _str(s, "title"),
                                           _str(s, "publisher"), _str(s, "date"))
        quote = _str(s, "quote")  # absent in files from before sources carried quotes
        sources.append({"url": clean_url(url),
                        "title": checks.text("source title", title, MAX_TITLE),
                        "publisher": checks.text("source publisher", publisher, MAX_TITLE),
                        "date": checks.date(date) if date else "",
                        "quote": clean_text("source quote", quote, MAX_QUOTE) if quote else ""})
    if len(sources) > 1 and len({s["url"] for s in sources}) != len(sources):
        raise ValidationError("error.source_twice")
    subject = checks.name(_str(raw, "subject"), "subject")
    obj = checks.name(_str(raw, "object"), "object")
    if name_key(subject) == name_key(obj):
        raise ValidationError("error.same_company")
    return {
        "key": clean_text("key", _str(raw, "key"), MAX_KEY),
        "subject": subject,
        "object": obj,
        "kind": checks.kind(_str(raw, "kind")),
        "kind_detail": checks.text("kind_detail", _str(raw, "kind_detail"), MAX_KIND_DETAIL),
        "status": checks.status(_str(raw, "status")),
        "date": checks.date(_str(raw, "date")),
        "date_note": checks.text("date_note", _str(raw, "date_note"), MAX_NOTE),
        "confidence": checks.text("confidence", _str(raw, "confidence"), MAX_CONFIDENCE),
        "summary": clean_summary(_str(raw, "summary")),
        "retracted": raw.get("retracted", False) is True,
        "scope": checks.text("scope", _str(raw, "scope"), MAX_SCOPE),
        "region": clean_region(_str(raw, "region")),
        "note": checks.text("note", _str(raw, "note"), MAX_NOTE),
        "verified": clean_verified(_str(raw, "verified")),
        "summary_zh": clean_text("summary_zh", _str(raw, "summary_zh"), MAX_SUMMARY),
        "sources": sources,
    }


# -- applying (synchronous, on the store's writer thread, through the one write path) ----------


def _import_body(conn: sqlite3.Connection, path: str, doc: Record, actor: str,
                 lint: bool) -> ImportReport:
    """The import as one transaction body for ``Store.write`` (rolled back for a dry run)."""
    report = ImportReport()
    if lint:
        report.findings = datacheck.check(doc, base_companies=records.company_records(conn),
                                          whole=False).findings
    with bulk_cache(conn, path):
        writes = Writes(conn, actor, bulk=True)
        names = _Names(conn)
        _apply_companies(writes, names, doc.get("companies", []), report)
        exported = doc.get("exported_at")
        written = exported if isinstance(exported, str) else ""
        _apply_facts(writes, names, doc.get("facts", []), report, written)
        writes.finish()
    # Only rows that write something are judged: a row identical to the stored one is the
    # store's own data (``check-data`` on an export reports it), so an edited export is judged
    # by its edits; a rejected row is already reported, and the rest of the file goes in.
    report.findings = tuple(f for f in report.findings if f.key not in report.settled_labels)
    if report.blocked:
        raise _Blocked(report)  # the whole transaction rolls back: nothing written
    return report


class _Blocked(Exception):
    """The linter found errors: the import's transaction is undone, and its report still says
    what every row would have done."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("blocked by the data linter")
        self.report = report


class _Names:
    """Which company holds each normalised name key (bot.rules.name_key), for this import."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        rebuild_name_keys(conn)  # companies written around the write path (bench) get keys too
        self.owners = records.name_owners(conn)
        self.names = {name_key(name): cid for cid, name in records.company_names(conn).items()}
        self.memo: dict[str, str] = {}

    def key(self, label: str) -> str:
        found = self.memo.get(label)
        if found is None:
            found = self.memo[label] = name_key(label)
        return found

    def company(self, label: str) -> int | None:
        """The company called ``label`` by name or alias, matched as every write path matches."""
        return self.owners.get(self.key(label))


def _apply_companies(writes: Writes, names: _Names, rows: list[object], report: ImportReport) -> None:
    conn = writes.conn
    for index, raw in enumerate(rows, start=1):
        label = _label("company", index, raw if isinstance(raw, dict) else {})
        try:
            row = _validate_company(raw)
            parent_id = None
            if row["parent"]:
                parent_id = names.company(row["parent"])
                if parent_id is None:
                    raise ValidationError("error.unknown_parent", value=row['parent'])
            key = names.key(row["name"])
            cid = names.names.get(key)
            if cid is None and key in names.owners:
                raise ValidationError("error.name_taken", value=row['name'])
            labels = [*row["aliases"], *(f["alias"] for f in row["features"])]
            for alias in labels:
                owner = names.company(alias)
                if owner is not None and owner != cid:
                    raise ValidationError("error.alias_taken", value=alias)
            if cid is None:
                relation = Relation(row["relation"]) if row["relation"] else None
                cid = writes.add_company(Company(
                    id=0, name=row["name"], kind=row["kind"], parent_id=parent_id,
                    description=row["description"], relation=relation, name_zh=row["name_zh"],
                    aliases=tuple(row["aliases"]),
                    features=tuple(FeatureAlias(f["alias"], Kind(f["kind"]), f["scope"])
                                   for f in row["features"])), action="import", audit_after=row)
                names.names[key] = cid
                for name in (row["name"], *labels):
                    names.owners.setdefault(names.key(name), cid)
                report.new_companies += 1
                continue
            old, old_rows = records.company_record(conn, cid)
            have = {(names.key(a), k, sc) for a, k, sc in old_rows} | {(key, "", "")}
            have |= {(names.key(a), "", "") for a, _, _ in old_rows}
            wanted = {(names.key(a), "", "") for a in row["aliases"]}
            wanted |= {(names.key(f["alias"]), f["kind"], f["scope"]) for f in row["features"]}
            new = (row["kind"], parent_id, row["description"], row["relation"], row["name_zh"])
            if old == new and wanted <= have:
                report.settled_labels.add(row["name"])
                continue
            writes.update_company(cid, *new)
            for alias in row["aliases"]:
                if names.key(alias) not in names.owners:
                    writes.add_alias(cid, alias)
                    names.owners[names.key(alias)] = cid
            for feature in row["features"]:  # a plain alias named as a feature becomes one
                writes.add_alias(cid, feature["alias"], feature["kind"], feature["scope"])
                names.owners[names.key(feature["alias"])] = cid
            report.updated_companies += 1
            writes.audit("import", "company", cid,
                         {"kind": old[0], "parent_id": old[1], "description": old[2],
                          "relation": old[3], "name_zh": old[4],
                          "aliases": [a for a, _, _ in old_rows]}, row)
        except InteropError as exc:
            report.rejected.append((label, str(exc)))
            report.settled_labels.update(_labels_of(raw, label, "name"))


def _labels_of(raw: object, label: str, field_name: str) -> list[str]:
    """How the linter names a row: its key (a fact) or name (a company), else its label."""
    value = raw.get(field_name) if isinstance(raw, dict) else None
    return [label, value.strip()] if isinstance(value, str) and value.strip() else [label]


_DIFF_FIELDS = tuple(c.removesuffix("_id") for c in FACT_COLUMNS)


def _diff(conn: sqlite3.Connection, fid: int, values: Row, written: str, label: str,
          report: ImportReport) -> None:
    """Before an update: which fields of fact ``fid`` change, and whether the stored version is
    newer than the file (``written``: the row's "updated" time or the export's)."""
    old = records.fact_before(conn, fid)
    if old is None:
        return
    names: dict[int, str] = {}
    for index, (field_name, was, now) in enumerate(zip(_DIFF_FIELDS, old, values, strict=False)):
        if str(was) == str(now):
            continue
        if index < 2:  # the parties are stored as ids: show their names
            names = names or records.company_names(conn)
            was, now = names.get(was, was), names.get(now, now)
        report.diffs.append((label, field_name, str(was), str(now)))
    stored = old[-1] or ""
    if written and stored and stored > written:
        report.older.append((label, stored))


def _apply_facts(writes: Writes, names: _Names, rows: list[object], report: ImportReport,
                 written: str = "") -> None:
    conn = writes.conn
    existing = records.fact_keys(conn)
    checks = _Checks()
    for index, raw in enumerate(rows, start=1):
        label = _label("fact", index, raw if isinstance(raw, dict) else {})
        try:
            row = _validate_fact(raw, checks)
            subject_id = names.company(row["subject"])
            object_id = names.company(row["object"])
            for role, value, cid in (("subject", row["subject"], subject_id),
                                     ("object", row["object"], object_id)):
                if cid is None:
                    raise ValidationError("error.unknown_party", role=role, value=value)
            if subject_id == object_id:
                raise ValidationError("error.same_company")
            values = (subject_id, object_id, row["kind"], row["kind_detail"], row["status"],
                      row["date"], row["date_note"], row["confidence"], row["summary"],
                      int(row["retracted"]), row["scope"], row["region"], row["note"], row["verified"],
                      row["summary_zh"])
            sources = [(s["url"], s["title"], s["publisher"], s["date"], s["quote"])
                       for s in row["sources"]]
            key = row["key"]
            fid = existing.get(key) if key else None
            try:
                if fid is None:
                    fid = writes.add_fact(key, values, sources, action="import", audit_after=row)
                    if key:
                        existing[key] = fid
                    report.new += 1
                    continue
                mark = len(report.diffs), len(report.older)
                updated = raw.get("updated") if isinstance(raw, dict) else None
                row_time = updated if isinstance(updated, str) else ""
                _diff(conn, fid, values, row_time or written, f"{label} ({key})", report)
                changed = writes.update_fact(fid, values, sources, action="import", audit_after=row)
            except Conflict as exc:
                raise ValidationError("error.duplicates", id=exc.existing_id) from None
            if changed and len(report.diffs) == mark[0]:
                report.diffs.append((label, "sources", "", ""))
            if not changed:  # an unchanged row reverts nothing
                del report.diffs[mark[0]:], report.older[mark[1]:]
            if changed:
                report.updated += 1
            else:
                report.unchanged += 1
                if key:
                    report.settled_labels.add(key)
            problem = partial_note_problem(row["status"], row["note"])
            if problem:
                report.warnings.append((label, str(problem)))
        except InteropError as exc:
            report.rejected.append((label, str(exc)))
            report.settled_labels.update(_labels_of(raw, label, "key"))


async def import_document(store: Store, doc: Record, actor: str,
                          *, dry_run: bool, lint: bool = False) -> ImportReport:
    """Validate and apply ``doc`` atomically (or only report, with ``dry_run``: the same
    transaction, rolled back), through the store's one writer.

    ``lint`` runs the data linter (bot.datacheck) over the file's rows against the stored
    companies first: files people send (/import, the CLI) get it, and any error it finds
    refuses the whole file, writing nothing. The seed is checked by its own test instead.
    """
    try:
        report = await store.write(_import_body, str(store.path), doc, actor, lint, rollback=dry_run)
    except _Blocked as blocked:
        report = blocked.report
    report.dry_run = dry_run or report.blocked  # a refused file reads as the dry run it was
    return report


# -- export: streamed from one read snapshot, written incrementally ------------------------

EXPORT_FORMATS = ("json", "csv", "zip")
_FACT_TEXT = ("key", "subject", "object", "kind", "kind_detail", "status", "date", "date_note",
              "confidence", "summary", "scope", "region", "note", "verified", "summary_zh")


def _parents_first(companies: list[Record]) -> list[Record]:
    """Order companies so every parent precedes its children, as import requires; so any export
    re-imports into an empty store. (Writes refuse parent cycles; a loop stored before that
    rule is written in id order rather than hanging the export.)"""
    by_name = {c["name"]: c for c in companies}
    ordered: list[Record] = []
    placed: set[str] = set()
    for company in companies:
        chain: list[Record] = []
        seen: set[str] = set()
        node: Record | None = company
        while node is not None and node["name"] not in placed and node["name"] not in seen:
            seen.add(node["name"])
            chain.append(node)
            node = by_name.get(node["parent"] or "")
        for link in reversed(chain):
            placed.add(link["name"])
            ordered.append(link)
    return ordered


def write_json(out: TextIO, companies: Iterable[Record], facts: Iterable[Record],
               exported_at: str) -> None:
    """The document, one record per line, written as the records come."""
    out.write(f'{{\n "format": {_to_json(FORMAT)},\n "exported_at": {_to_json(exported_at)},\n')
    for name, items in (("companies", companies), ("facts", facts)):
        out.write(f' "{name}": [')
        separator = "\n  "
        for record in items:
            out.write(separator)
            out.write(_to_json(record))
            separator = ",\n  "
        out.write("\n ]" + (",\n" if name == "companies" else "\n"))
    out.write("}\n")


def write_csv(out: TextIO, companies: Iterable[Record], facts: Iterable[Record]) -> None:
    """One row per company, then one per fact; every cell through the formula guard."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for c in companies:
        writer.writerow({"record": "company", "name": _cell(c["name"]), "kind": _cell(c["kind"]),
                         "parent": _cell(c["parent"] or ""),
                         "description": _cell(c["description"]),
                         "aliases": _cell(_to_json(c["aliases"])),
                         "relation": _cell(c["relation"] or ""), "name_zh": _cell(c["name_zh"]),
                         "features": _cell(_to_json(c["features"]))})
    for f in facts:
        writer.writerow({"record": "fact", **{k: _cell(f[k]) for k in _FACT_TEXT},
                         "sources": _cell(_to_json(f["sources"])),
                         "retracted": "true" if f["retracted"] else "false"})


def export_name(fmt: str, today: date | None = None) -> str:
    """``interop-export-YYYYMMDD.<fmt>``."""
    stamp = (today or datetime.now(UTC).date()).strftime("%Y%m%d")
    return f"interop-export-{stamp}.{fmt}"


def _export_to(conn: sqlite3.Connection, target: Path, fmt: str, today: date | None) -> Path:
    """Write one export file from one snapshot; a .part file renamed at the end, so a reader
    never sees half a file. "zip" holds the JSON and the CSV, from the same snapshot."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        with records.snapshot(conn):
            companies = _parents_first(records.company_records(conn))
            names = records.company_names(conn)
            if fmt == "zip":
                with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED,
                                     compresslevel=6) as zf:
                    for inner in ("json", "csv"):
                        with zf.open(export_name(inner, today), "w", force_zip64=True) as raw, \
                                io.TextIOWrapper(raw, encoding="utf-8", newline="") as out:
                            _write(out, inner, companies, records.fact_records(conn, names))
            else:
                with tmp.open("w", encoding="utf-8", newline="") as out:
                    _write(out, fmt, companies, records.fact_records(conn, names))
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _write(out: TextIO, fmt: str, companies: list[Record], facts: Iterable[Record]) -> None:
    if fmt == "csv":
        write_csv(out, companies, facts)
    else:
        write_json(out, companies, facts, utcnow())


async def export_file(store: Store, target_dir: Path, fmt: str, *, today: date | None = None) -> Path:
    """Export the whole store into ``target_dir`` and return the file's path.

    ``fmt`` is "json" or "csv" (the formats /import takes back), or "zip" (both of them, from
    one snapshot, compressed: what fits Telegram's upload limit). The file is written in a
    reader thread from one read snapshot, record by record, so neither the event loop nor
    the memory ever holds the whole store; writes go on meanwhile.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValidationError("error.export_format", value=fmt, allowed=", ".join(EXPORT_FORMATS))
    target = target_dir / export_name(fmt, today)
    return await store.read(_export_to, target, fmt, today)


def _export_document(conn: sqlite3.Connection) -> Record:
    with records.snapshot(conn):
        return {"format": FORMAT, "exported_at": utcnow(),
                "companies": _parents_first(records.company_records(conn)),
                "facts": list(records.fact_records(conn, records.company_names(conn)))}


async def export_document(store: Store) -> Record:
    """The whole store as one in-memory document (tests, small stores): the same snapshot
    records that ``export_file`` streams."""
    return await store.read(_export_document)


def _cell(value: object) -> str:
    """Neutralise spreadsheet formulas (CSV injection) reversibly with a leading apostrophe.

    A cell is guarded when, past any apostrophes it already starts with, it starts like a
    formula: so "=x" -> "'=x" and "'=x" -> "''=x", while "'tis" stays as it is. ``_uncell``
    removes exactly one apostrophe from exactly those cells: the round trip is exact.
    """
    text = value if isinstance(value, str) else _to_json(value)
    if text.lstrip("'").startswith(_FORMULA_START):
        return "'" + text
    return text


def to_json_bytes(doc: Record) -> bytes:
    out = io.StringIO()
    write_json(out, doc["companies"], doc["facts"], doc.get("exported_at") or utcnow())
    return out.getvalue().encode("utf-8")


def to_csv_bytes(doc: Record) -> bytes:
    out = io.StringIO(newline="")
    write_csv(out, doc["companies"], doc["facts"])
    return out.getvalue().encode("utf-8")


def _site_exports(conn: sqlite3.Connection, exported_at: str) -> tuple[bytes, bytes]:
    with records.snapshot(conn):
        companies = _parents_first(records.company_records(conn))
        names = records.company_names(conn)
        as_json, as_csv = io.StringIO(), io.StringIO(newline="")
        write_json(as_json, companies, records.fact_records(conn, names), exported_at)
        write_csv(as_csv, companies, records.fact_records(conn, names))
    return as_json.getvalue().encode("utf-8"), as_csv.getvalue().encode("utf-8")


async def site_exports(store: Store, exported_at: str) -> tuple[bytes, bytes]:
    """The /export JSON and CSV from one snapshot, stamped with ``exported_at`` (the web table
    gives the data's own last change, so two builds of the same data are the same bytes)."""
    return await store.read(_site_exports, exported_at)
