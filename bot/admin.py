"""What admins may do to the facts, without any Telegram: rights, one-line parsers and audited writes.

The Telegram handlers (bot/telegram/admin/) only parse updates, call an ``Editor`` method and
format what it returns. Every write goes through the Store (one transaction with an audit row)
and then refreshes the live company index through ``Interop``, so a change is visible to every
chat at once. Every refusal is an ``InteropError`` whose message says what to fix.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

from bot import dataset
from bot.answers import Interop
from bot.domain import (
    EDITABLE_FIELDS,
    Candidate,
    Company,
    Conflict,
    Fact,
    FactView,
    FieldChange,
    HistoryEntry,
    ImportReport,
    Kind,
    NotFound,
    Resolution,
    Roster,
    Source,
    Status,
    UnknownCompany,
    ValidationError,
    parse_fact_date,
)
from bot.rules import (
    MAX_ALIAS,
    MAX_COMPANY_KIND,
    MAX_CONFIDENCE,
    MAX_KIND_DETAIL,
    MAX_NOTE,
    MAX_SCOPE,
    MAX_SUMMARY,
    check_new_fact,
    clean_name,
    clean_region,
    clean_source,
    clean_summary,
    clean_text,
    clean_verified,
    name_key,
    partial_note_problem,
)
from bot.store import FactDraft, Store
from bot.texts import t

# Fields an admin may empty with "-" (the others are required).
CLEARABLE_FIELDS = frozenset({"date", "kind_detail", "date_note", "confidence", "scope", "region",
                              "note", "summary_zh", "verified"})
OPTIONAL_LINE_FIELDS = ("scope", "region", "note")
"""Named fields a one-line /addfact may end with, as ``| note: opt-in only``."""
_NAMED_RE = re.compile(r"^(title|scope|region|note)\s*[:=]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_ID_RE = re.compile(r"^#?(\d{1,12})$")
_QUOTE_RE = re.compile(r"^quote\s*[:=]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_USER_ID_RE = re.compile(r"^-?\d{1,20}$")


class Access(IntEnum):
    """How much a Telegram user may change: owners also manage admins and take backups."""

    NONE = 0
    ADMIN = 1
    OWNER = 2


@dataclass(frozen=True, slots=True)
class FactFields:
    """The raw text of each /addfact field, as typed; validated by ``Editor.draft``."""

    subject: str
    object: str
    kind: str
    status: str
    date: str
    summary: str
    url: str
    title: str = ""
    scope: str = ""
    region: str = ""
    note: str | None = None
    """None: the input had no way to give a note (fixtures), so the partial rule is not applied;
    "" from the one-line command or the guided form is a missing note."""


# -- one-line parsers (pure) -----------------------------------------------------------------


def actor_label(user_id: int, name: str = "") -> str:
    """How the audit log names a Telegram user: the id is what identifies, the name helps humans."""
    name = " ".join(name.split())[:64]
    return f"tg:{user_id} {name}" if name else f"tg:{user_id}"


def parse_fact_id(text: str) -> int:
    """ "12" or "#12" -> 12; anything else is a clear error."""
    match = _ID_RE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValidationError("error.fact_number", value=text.strip())
    return int(match.group(1))


def parse_user_id(text: str) -> int:
    """A numeric Telegram user id: usernames cannot be resolved to ids by a bot."""
    value = text.strip()
    if not _USER_ID_RE.match(value) or int(value) <= 0:
        raise ValidationError("error.user_id", value=value)
    return int(value)


def parse_fact_line(text: str) -> FactFields:
    """``SUBJECT | OBJECT | KIND | STATUS | DATE | SUMMARY | SOURCE_URL [| SOURCE_TITLE]``
    followed by any of ``| scope: ...``, ``| region: ...``, ``| note: ...`` (named, any order)."""
    parts = [p.strip() for p in text.split("|")]
    names = ("subject", "object", "kind", "status", "date", "summary", "source URL")
    named: dict[str, str] = {}
    while len(parts) > 7 and (match := _NAMED_RE.match(parts[-1])):
        field_name = match.group(1).lower()
        if field_name in named:
            raise ValidationError("error.given_twice", field=field_name)
        named[field_name] = match.group(2).strip()
        parts.pop()
    if len(parts) < 7:
        missing = names[len(parts):] if text.strip() else names
        raise ValidationError("error.fields_missing", fields=missing)
    if len(parts) > 8:
        raise ValidationError("error.too_many_fields")
    for name, value in zip(names, parts, strict=False):
        if not value and name != "date":
            raise ValidationError("error.empty", field=name)
    title = named.pop("title", parts[7] if len(parts) == 8 else "")
    subject, obj, kind, status, day, summary, url = parts[:7]
    return FactFields(subject, obj, kind, status, day, summary, url, title=title,
                      scope=named.get("scope", ""),
                      region=named.get("region", ""), note=named.get("note", ""))


def parse_addsource(text: str) -> tuple[int, str, str, str]:
    """``FACT_ID URL [TITLE] [| quote: EXCERPT]`` -> (fact id, url, title, quote).

    Only the first ``|`` splits, so an excerpt may itself contain one."""
    head, bar, tail = text.partition("|")
    parts = head.split(maxsplit=2)
    if len(parts) < 2:
        raise ValidationError("error.need_id_url")
    quote = ""
    if bar:
        match = _QUOTE_RE.match(tail.strip())
        if match is None:
            raise ValidationError("error.addsource_extra")
        quote = match.group(1).strip()
    return parse_fact_id(parts[0]), parts[1], parts[2].strip() if len(parts) == 3 else "", quote


def parse_edit(text: str) -> tuple[int, str, str]:
    """``FACT_ID FIELD VALUE``; the field name is checked here, the value by ``Editor.edit_fact``."""
    parts = text.split(maxsplit=2)
    if len(parts) < 3:
        raise ValidationError("error.need_id_field_value")
    fact_id = parse_fact_id(parts[0])
    field_name = parts[1].strip().lower().replace("-", "_")
    if field_name not in EDITABLE_FIELDS:
        raise ValidationError("error.not_editable", value=parts[1], allowed=", ".join(EDITABLE_FIELDS))
    return fact_id, field_name, parts[2].strip()


def parse_company_line(text: str) -> tuple[str, str, str]:
    """``NAME [| PARENT] [| KIND]`` -> (name, parent or "", kind or "")."""
    parts = [p.strip() for p in text.split("|")]
    if not parts[0]:
        raise ValidationError("error.company_missing")
    if len(parts) > 3:
        raise ValidationError("error.company_parts")
    parts += [""] * (3 - len(parts))
    return parts[0], parts[1], parts[2]


def alias_splits(text: str) -> list[tuple[str, str]]:
    """Ways to read ``COMPANY ALIAS``: an explicit ``|`` wins, else each word boundary, longest first."""
    if "|" in text:
        company, _, alias = text.partition("|")
        if not company.strip() or not alias.strip():
            raise ValidationError("error.need_company_alias")
        return [(company.strip(), alias.strip())]
    words = text.split()
    if len(words) < 2:
        raise ValidationError("error.need_company_alias")
    return [(" ".join(words[:i]), " ".join(words[i:])) for i in range(len(words) - 1, 0, -1)]


def clean_company_kind(value: str) -> str:
    return clean_text("company kind", value, MAX_COMPANY_KIND)


def clean_alias(value: str) -> str:
    alias = clean_name(value, "alias")
    if len(alias) > MAX_ALIAS:
        raise ValidationError("error.alias_long", max=MAX_ALIAS)
    return alias


def _same_label(label: str, company: Company) -> bool:
    """Whether ``label`` is one of the company's names, compared by ``name_key`` as every write is."""
    key = name_key(label)
    return bool(key) and any(name_key(name) == key for name in
                             (company.name, *company.aliases, *(f.alias for f in company.features)))


def _clearable(value: str) -> str:
    """A lone "-" empties an optional field, since a command cannot end with an empty value."""
    return "" if value.strip() == "-" else value


# -- history ---------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _source_quotes(record: dict[str, Any] | None) -> dict[str, str]:
    """Each source's URL -> its quote, in order (audit rows from before quotes have none)."""
    if not record:
        return {}
    quotes: dict[str, str] = {}
    for s in record.get("sources", []):
        if isinstance(s, dict):
            quotes[s.get("url", "")] = s.get("quote") or ""
        else:
            quotes[str(s[0])] = ""
    return quotes


def _quoted(quote: str) -> str:
    return f"“{quote}”" if quote else ""


# -- the operations --------------------------------------------------------------------------


class ParsedUploads:
    """The last previewed import, parsed, until its Apply (or an hour) comes.

    Parsing runs in a worker thread (a 17 MB CSV costs about a second of CPU), and the dry run
    and the Apply that follows it read the same bytes: keyed by their digest, the Apply reuses
    the dry run's document instead of parsing again. Only one is kept, to bound the memory; an
    Apply after a restart or another preview simply parses again.
    """

    def __init__(self, ttl: float = 3600.0) -> None:
        self.ttl = ttl
        self.kept: tuple[bytes, float, dict[str, object]] | None = None

    async def parse(self, filename: str, data: bytes, *, keep: bool) -> dict[str, object]:
        return await asyncio.to_thread(self._parse, filename, data, keep)

    def _parse(self, filename: str, data: bytes, keep: bool) -> dict[str, object]:
        digest = hashlib.blake2b(filename.encode("utf-8", "replace") + b"\0" + data).digest()
        kept, self.kept = self.kept, None
        if kept is not None and kept[0] == digest and time.monotonic() - kept[1] < self.ttl:
            doc = kept[2]
        else:
            doc = dataset.read_upload(filename, data)[1]  # a zip of an export too
        if keep:
            self.kept = (digest, time.monotonic(), doc)
        return doc



class Editor:
    """Every admin operation: validate, write through the Store, then refresh the live index."""

    def __init__(self, interop: Interop, owners: Iterable[int],
                 uploads: ParsedUploads | None = None) -> None:
        self.interop = interop
        self.owners = frozenset(owners)
        # The Telegram adapter hands in the Application's own, so a preview's Apply (a later
        # update, another Editor) reuses its parse.
        self.uploads = uploads if uploads is not None else ParsedUploads()

    @property
    def store(self) -> Store:
        return self.interop.store

    # -- rights --------------------------------------------------------------------------

    async def access(self, user_id: int | None) -> Access:
        """Owners come from settings, admins from grants in the database; nobody else, ever."""
        if user_id is None:
            return Access.NONE
        if user_id in self.owners:
            return Access.OWNER
        if await self.store.is_granted(user_id):
            return Access.ADMIN
        return Access.NONE

    async def roster(self) -> Roster:
        granted = tuple(g for g in await self.store.granted_admins() if g[0] not in self.owners)
        return Roster(owners=tuple(sorted(self.owners)), granted=granted)

    async def grant(self, user_id: int, actor: str) -> bool:
        """Make a user an admin; False when they already were one."""
        if user_id in self.owners:
            raise ValidationError("error.owner_already", id=user_id)
        return bool(await self.store.set_grant(user_id, True, actor))

    async def revoke(self, user_id: int, actor: str) -> bool:
        """Withdraw a grant; False when there was none. Owners cannot be revoked from the chat."""
        if user_id in self.owners:
            raise ValidationError("error.owner_revoke", id=user_id)
        return bool(await self.store.set_grant(user_id, False, actor))

    # -- companies -----------------------------------------------------------------------

    def resolve(self, role: str, name: str) -> Company:
        """An exact name or alias, or ``UnknownCompany`` with close candidates to pick from.

        Answers may accept a confident fuzzy match, but a write must not: "Alipay HK" typed
        by an admin may well be a new company rather than a typo for Alipay.
        """
        resolution = self.interop.resolver.resolve(name)
        company = resolution.company
        if company is not None and _same_label(name, company):
            return company
        if company is not None:
            others = tuple(c for c in resolution.candidates if c.company.id != company.id)
            suggested = (Candidate(company, 100.0, company.name), *others)
            resolution = Resolution(resolution.query, None, suggested)
        elif not resolution.candidates:
            resolution = Resolution(resolution.query, None,
                                    tuple(self.interop.resolver.suggest(name)))
        raise UnknownCompany(role, resolution)

    async def _label_owner(self, label: str) -> Company | None:
        """The company already called ``label`` (by name or alias): the schema's name key says.

        This is only for a friendly early answer: the write itself claims the key inside its
        transaction, so a concurrent command that slipped past here still gets a Conflict.
        """
        owner = await self.store.name_owner(name_key(label))
        return None if owner is None else await self.store.company(owner)

    async def add_company(self, name: str, parent: str, kind: str, actor: str) -> Company:
        """Create a company (optionally inside a group) and index it at once."""
        name = clean_name(name)
        kind = clean_company_kind(kind)
        parent_company = self.resolve("parent", parent) if parent.strip() else None
        owner = await self._label_owner(name)
        if owner is not None:
            raise Conflict("error.label_taken", owner.id, label=name, owner=owner.name)
        company = await self.store.add_company(
            Company(id=0, name=name, kind=kind,
                    parent_id=parent_company.id if parent_company else None), actor)
        await self.interop.sync()
        return company

    async def _alias_target(self, text: str) -> tuple[Company, str]:
        last: UnknownCompany | None = None
        for company_name, alias in alias_splits(text):
            try:
                return self.resolve("company", company_name), alias
            except UnknownCompany as exc:
                last = exc if last is None else last
        assert last is not None
        raise last

    async def add_alias(self, text: str, actor: str) -> tuple[Company, str]:
        """``COMPANY ALIAS``: refused when the alias already names another company."""
        company, raw_alias = await self._alias_target(text)
        alias = clean_alias(raw_alias)
        owner = await self._label_owner(alias)
        if owner is not None and owner.id != company.id:
            raise Conflict("error.alias_belongs", owner.id, alias=alias, owner=owner.name)
        if owner is not None:
            raise ValidationError("error.alias_already", company=company.name, alias=alias)
        updated = await self.store.set_aliases(company.id, [alias], [], actor)
        await self.interop.sync()
        return updated, alias

    async def remove_alias(self, text: str, actor: str) -> tuple[Company, str]:
        """``COMPANY ALIAS``: the alias must be one of that company's."""
        company, raw_alias = await self._alias_target(text)
        current = await self.store.company(company.id)
        if current is None:
            raise NotFound("error.company_gone", company=company.name)
        key = " ".join(raw_alias.split()).casefold()
        stored = next((a for a in current.aliases if a.casefold() == key), None)
        if stored is None:
            known = ", ".join(current.aliases) or t("admin.roster_none")
            raise ValidationError("error.no_such_alias", company=current.name, alias=raw_alias.strip(),
                                  known=known)
        updated = await self.store.set_aliases(company.id, [], [stored], actor)
        await self.interop.sync()
        return updated, stored

    # -- facts ---------------------------------------------------------------------------

    def draft(self, fields: FactFields, *, today: date | None = None) -> FactDraft:
        """Validate every field (cheap checks first) and resolve both names."""
        kind = Kind.parse(fields.kind)
        status = Status.parse(fields.status)
        fact_date = parse_fact_date(fields.date, today=today)
        summary = clean_summary(fields.summary)
        source = clean_source(fields.url, fields.title)
        scope = clean_text("scope", fields.scope, MAX_SCOPE)
        region = clean_region(fields.region)
        note = clean_text("note", fields.note or "", MAX_NOTE)
        subject = self.resolve("subject", fields.subject)
        obj = self.resolve("object", fields.object)
        if subject.id == obj.id:
            raise ValidationError("error.both_same", name=subject.name)
        check_new_fact(subject.id, obj.id, status.value, note, 1, require_note=fields.note is not None)
        return FactDraft(subject_id=subject.id, object_id=obj.id, kind=kind, status=status,
                         date=fact_date, summary=summary, sources=(source,), scope=scope,
                         region=region, note=note)

    async def add_fact(self, draft: FactDraft, actor: str) -> FactView:
        """Store a validated draft; a duplicate raises ``Conflict`` with the existing id."""
        fact = await self.store.add_fact(draft, actor)
        return self.interop.view(fact)

    async def fact(self, fact_id: int) -> Fact:
        fact = await self.store.fact(fact_id)
        if fact is None:
            raise NotFound("error.no_fact", id=fact_id)
        return fact

    async def view(self, fact_id: int) -> FactView:
        return self.interop.view(await self.fact(fact_id))

    async def add_source(self, fact_id: int, url: str, title: str, actor: str,
                         quote: str = "") -> FactView:
        source: Source = clean_source(url, title, quote=quote)
        await self.fact(fact_id)
        return self.interop.view(await self.store.add_source(fact_id, source, actor))

    def edit_value(self, field_name: str, value: str) -> dict[str, Any]:
        """One validated ``{column: value}`` for ``Store.edit_fact``."""
        if field_name in CLEARABLE_FIELDS:
            value = _clearable(value)
        match field_name:
            case "subject" | "object":
                return {f"{field_name}_id": self.resolve(field_name, value).id}
            case "kind":
                return {"kind": Kind.parse(value)}
            case "status":
                return {"status": Status.parse(value)}
            case "date":
                return {"date": parse_fact_date(value)}
            case "summary":
                return {"summary": clean_summary(value)}
            case "kind_detail":
                return {"kind_detail": clean_text("kind_detail", value, MAX_KIND_DETAIL)}
            case "date_note":
                return {"date_note": clean_text("date_note", value, MAX_NOTE)}
            case "confidence":
                return {"confidence": clean_text("confidence", value, MAX_CONFIDENCE)}
            case "scope":
                return {"scope": clean_text("scope", value, MAX_SCOPE)}
            case "region":
                return {"region": clean_region(value)}
            case "note":
                return {"note": clean_text("note", value, MAX_NOTE)}
            case "summary_zh":
                return {"summary_zh": clean_text("summary_zh", value, MAX_SUMMARY)}
            case "verified":
                return {"verified": clean_verified(value)}
        raise ValidationError("error.not_editable", value=field_name, allowed=", ".join(EDITABLE_FIELDS))

    async def edit_fact(self, fact_id: int, field_name: str, value: str, actor: str) -> FactView:
        """Change one field; retracted facts must be restored first (the Store refuses them)."""
        fact = await self.fact(fact_id)
        if fact.retracted:
            raise ValidationError("error.retracted", id=fact_id)
        changes = self.edit_value(field_name, value)
        subject = changes.get("subject_id", fact.subject_id)
        obj = changes.get("object_id", fact.object_id)
        if subject == obj:
            raise ValidationError("error.would_be_same")
        if "status" in changes or "note" in changes:  # an old partial fact may still lack one
            problem = partial_note_problem(changes.get("status", fact.status).value,
                                           changes.get("note", fact.note))
            if problem:
                raise problem
        return self.interop.view(await self.store.edit_fact(fact_id, changes, actor))

    async def verify(self, fact_id: int, actor: str, *, today: date | None = None) -> FactView:
        """``/verify``: an admin confirmed the fact today; audited like any edit."""
        fact = await self.fact(fact_id)
        if fact.retracted:
            raise ValidationError("error.retracted", id=fact_id)
        day = (today or datetime.now(UTC).date()).isoformat()
        return self.interop.view(await self.store.edit_fact(fact_id, {"verified": day}, actor,
                                                            action="verify"))

    async def retract(self, fact_id: int, actor: str) -> FactView:
        await self.fact(fact_id)
        return self.interop.view(await self.store.set_retracted(fact_id, True, actor))

    async def restore(self, fact_id: int, actor: str) -> FactView:
        await self.fact(fact_id)
        return self.interop.view(await self.store.set_retracted(fact_id, False, actor))

    async def history(self, fact_id: int) -> list[HistoryEntry]:
        """The fact's audit trail, each entry reduced to the fields it changed."""
        await self.fact(fact_id)
        changes: list[HistoryEntry] = []
        for entry in await self.store.history("fact", fact_id):
            changes.append(HistoryEntry(at=entry.at, actor=entry.actor, action=entry.action,
                                  fields=tuple(self._diff(entry.before, entry.after))))
        return changes

    def _field_text(self, key: str, value: object) -> str:
        if key in {"subject_id", "object_id"} and isinstance(value, int):
            return self.interop.company(value).name
        return _text(value)

    def _diff(self, before: dict[str, object] | None, after: dict[str, object] | None) -> list[FieldChange]:
        old, new = before or {}, after or {}
        diffs: list[FieldChange] = []
        for key in dict.fromkeys([*old, *new]):
            if key in {"sources", "key", "subject", "object"}:
                continue
            if before is not None and old.get(key) == new.get(key):
                continue
            if before is None and new.get(key) in ("", None, False):
                continue
            label = key.removesuffix("_id")
            diffs.append(FieldChange(label, self._field_text(key, old.get(key)) if before else "",
                                     self._field_text(key, new.get(key))))
        old_urls, new_urls = _source_quotes(before), _source_quotes(after)
        for url, quote in new_urls.items():
            if url not in old_urls:
                diffs.append(FieldChange("source", "", url))
                if quote:
                    diffs.append(FieldChange("quote", "", _quoted(quote)))
            elif old_urls[url] != quote:
                diffs.append(FieldChange("quote", _quoted(old_urls[url]), _quoted(quote)))
        for url in old_urls:
            if url not in new_urls:
                diffs.append(FieldChange("source", url, ""))
        return diffs

    # -- bulk ----------------------------------------------------------------------------

    async def preview_import(self, filename: str, data: bytes, actor: str) -> ImportReport:
        """What an import would do; the same code path as applying it, rolled back. The parsed
        document is kept for the Apply that usually follows, so a big file is parsed once."""
        doc = await self.uploads.parse(filename, data, keep=True)
        return await dataset.import_document(self.store, doc, actor, dry_run=True, lint=True)

    async def apply_import(self, filename: str, data: bytes, actor: str) -> ImportReport:
        """Apply an import in one transaction, then bring the index up to date."""
        doc = await self.uploads.parse(filename, data, keep=False)
        report = await dataset.import_document(self.store, doc, actor, dry_run=False, lint=True)
        await self.interop.sync()
        return report

    async def export_file(self, directory: Path, fmt: str, today: date | None = None) -> Path:
        """The whole store as one file in ``directory``: "json", "csv" or "zip" (both, compressed).

        Streamed from one snapshot off the event loop (see ``dataset.export_file``).
        """
        return await dataset.export_file(self.store, directory, fmt, today=today)

    async def backup(self, directory: Path | None = None) -> Path:
        """A consistent SQLite copy made with the online backup API, safe while the bot runs."""
        folder = directory or Path(tempfile.mkdtemp(prefix="interop-backup-"))
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return await self.store.backup(folder / f"interop-backup-{stamp}.sqlite3")

