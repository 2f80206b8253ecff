"""Admin core without Telegram: rights, one-line parsers, validation, audited writes, live index."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot import dataset
from bot.admin import (
    Access,
    Editor,
    FactFields,
    actor_label,
    alias_splits,
    parse_addsource,
    parse_company_line,
    parse_edit,
    parse_fact_id,
    parse_fact_line,
    parse_user_id,
)
from bot.answers import Interop
from bot.domain import Conflict, InvalidValue, Kind, NotFound, Status, UnknownCompany, ValidationError
from tests.core import check_text

OWNER = 1001
ACTOR = actor_label(OWNER, "Owner")
LINE = ("JD.com | WeChat Pay | payments | live | 2025-02 | JD.com accepts WeChat Pay at checkout. "
        "| https://example.com/jd-wechat | Example news")


@pytest.fixture
def editor(interop: Interop) -> Editor:
    return Editor(interop, {OWNER})


async def _add(editor: Editor, line: str = LINE) -> int:
    view = await editor.add_fact(editor.draft(parse_fact_line(line)), ACTOR)
    return view.fact.id


# -- parsers ---------------------------------------------------------------------------------


def test_fact_line_parses_seven_or_eight_fields() -> None:
    fields = parse_fact_line(LINE)
    assert fields == FactFields("JD.com", "WeChat Pay", "payments", "live", "2025-02",
                                "JD.com accepts WeChat Pay at checkout.",
                                "https://example.com/jd-wechat", "Example news", note="")
    assert parse_fact_line(LINE.rsplit("|", 1)[0]).title == ""


def test_fact_line_takes_named_scope_region_and_note_in_any_order() -> None:
    fields = parse_fact_line(LINE + " | note: opt-in only | Scope: in-app checkout | region = EU")
    assert (fields.title, fields.scope, fields.region, fields.note) == (
        "Example news", "in-app checkout", "EU", "opt-in only")
    bare = parse_fact_line(LINE.rsplit("|", 1)[0] + " | region: CN")
    assert (bare.title, bare.region) == ("", "CN")
    with pytest.raises(ValidationError, match="given twice"):
        parse_fact_line(LINE + " | note: a | note: b")


@pytest.mark.parametrize(("line", "message"), [
    ("", "missing: subject, object"),
    ("JD | Alipay | payments", "missing: status, date, summary, source URL"),
    ("JD | | payments | live | 2024 | s | https://x.org", "object is empty"),
    ("a|b|c|d|e|f|g|h|i", "more than 8 fields"),
])
def test_fact_line_says_what_is_missing(line: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_fact_line(line)


def test_small_parsers() -> None:
    assert parse_fact_id("#12") == parse_fact_id(" 12 ") == 12
    for bad in ("x", "0", "-3", "12a", ""):
        with pytest.raises(ValidationError, match="not a fact number"):
            parse_fact_id(bad)
    assert parse_user_id("123456") == 123456
    with pytest.raises(ValidationError, match="numeric Telegram user id"):
        parse_user_id("@someone")
    assert parse_addsource("7 https://a.org/x Some title") == (7, "https://a.org/x", "Some title", "")
    assert parse_addsource("7 https://a.org/x") == (7, "https://a.org/x", "", "")
    with pytest.raises(ValidationError):
        parse_addsource("7")
    assert parse_edit("3 Kind-Detail card payments") == (3, "kind_detail", "card payments")
    with pytest.raises(ValidationError, match="use one of: subject"):
        parse_edit("3 colour blue")
    with pytest.raises(ValidationError):
        parse_edit("3 status")
    assert parse_company_line("Foo Pay | Ant Group | payments") == ("Foo Pay", "Ant Group", "payments")
    assert parse_company_line("Foo Pay") == ("Foo Pay", "", "")
    with pytest.raises(ValidationError, match="name is missing"):
        parse_company_line(" | Ant Group")
    assert alias_splits("Apple Pay | applepay") == [("Apple Pay", "applepay")]
    assert alias_splits("WeChat Pay WXP") == [("WeChat Pay", "WXP"), ("WeChat", "Pay WXP")]
    assert actor_label(5, "  Ann   Lee ") == "tg:5 Ann Lee"


# -- rights ----------------------------------------------------------------------------------


async def test_owners_grants_and_everyone_else(editor: Editor) -> None:
    assert await editor.access(OWNER) is Access.OWNER
    assert await editor.access(2002) is Access.NONE
    assert await editor.access(None) is Access.NONE
    assert await editor.grant(2002, ACTOR) is True
    assert await editor.grant(2002, ACTOR) is False
    assert await editor.access(2002) is Access.ADMIN
    roster = await editor.roster()
    assert roster.owners == (OWNER,) and [g[0] for g in roster.granted] == [2002]
    with pytest.raises(ValidationError, match="owner"):
        await editor.grant(OWNER, ACTOR)
    with pytest.raises(ValidationError, match="ADMIN_IDS"):
        await editor.revoke(OWNER, ACTOR)
    assert await editor.revoke(2002, ACTOR) is True
    assert await editor.revoke(2002, ACTOR) is False
    assert await editor.access(2002) is Access.NONE
    actions = [e.action for e in await editor.store.history("admin", 2002)]
    assert actions == ["grant", "revoke"]


# -- facts -----------------------------------------------------------------------------------


async def test_add_fact_is_stored_audited_and_answered(editor: Editor, interop: Interop) -> None:
    fact_id = await _add(editor)
    view = await editor.view(fact_id)
    assert (view.subject.name, view.object.name) == ("JD.com", "WeChat Pay")
    assert view.fact.kind is Kind.PAYMENTS and view.fact.status is Status.LIVE
    assert view.fact.sources[0].title == "Example news"
    history = await editor.history(fact_id)
    assert history[0].action == "add" and history[0].actor == ACTOR
    assert {c.field for c in history[0].fields} >= {"subject", "object", "summary", "source"}
    result = await check_text(interop, "jd wechat pay")
    assert fact_id in {v.fact.id for th in result.threads for v in th.events}  # type: ignore[union-attr]


async def test_duplicate_fact_is_refused_with_its_id(editor: Editor) -> None:
    fact_id = await _add(editor)
    before = await editor.store.counts()
    with pytest.raises(Conflict) as caught:
        await _add(editor)
    assert caught.value.existing_id == fact_id
    assert await editor.store.counts() == before


@pytest.mark.parametrize(("old", "new", "error", "match"), [
    ("| payments |", "| teleport |", InvalidValue, "payments, logistics, shopping/links"),
    ("| live |", "| maybe |", InvalidValue, "live, partial, announced, ended"),
    ("| 2025-02 |", "| 2999-01 |", ValidationError, "too far in the future"),
    ("| 2025-02 |", "| 12/2024 |", ValidationError, "must look like YYYY"),
    ("| 2025-02 |", "| 2024-02-30 |", ValidationError, "not a real calendar date"),
    ("https://example.com/jd-wechat", "javascript:alert(1)", ValidationError, "http:// or https://"),
    ("https://example.com/jd-wechat", "data:text/html,hi", ValidationError, "http:// or https://"),
    ("https://example.com/jd-wechat", "https://nohost", ValidationError, "no valid host"),
    ("JD.com accepts WeChat Pay at checkout.", "x" * 1001, ValidationError,
     "1001 characters; the limit is 1000"),
])
async def test_each_bad_field_is_refused(editor: Editor, old: str, new: str, error: type[Exception],
                                         match: str) -> None:
    before = await editor.store.counts()
    with pytest.raises(error, match=match):
        editor.draft(parse_fact_line(LINE.replace(old, new)))
    assert await editor.store.counts() == before


async def test_unknown_and_fuzzy_names_offer_candidates(editor: Editor) -> None:
    with pytest.raises(UnknownCompany) as caught:
        editor.draft(parse_fact_line(LINE.replace("WeChat Pay", "Zorblax Pay")))
    assert caught.value.role == "object" and caught.value.name == "Zorblax Pay"
    # A typo resolves in answers, but a write asks first and offers the close match.
    with pytest.raises(UnknownCompany) as caught:
        editor.draft(parse_fact_line(LINE.replace("WeChat Pay", "WeChat Pya")))
    assert caught.value.candidates[0].company.name == "WeChat Pay"
    # Aliases and case do resolve.
    draft = editor.draft(parse_fact_line(LINE.replace("JD.com |", "京东 |").replace("WeChat Pay", "tenpay")))
    assert editor.interop.company(draft.subject_id).name == "JD.com"
    with pytest.raises(ValidationError, match=r"both JD\.com"):
        editor.draft(parse_fact_line(LINE.replace("WeChat Pay", "jd")))


async def test_edit_each_field_and_see_the_diff(editor: Editor) -> None:
    fact_id = await _add(editor)
    await editor.edit_fact(fact_id, "status", "ended", ACTOR)
    await editor.edit_fact(fact_id, "kind", "shopping", ACTOR)
    await editor.edit_fact(fact_id, "date", "2024", ACTOR)
    await editor.edit_fact(fact_id, "summary", "  Now   ended. ", ACTOR)
    await editor.edit_fact(fact_id, "kind_detail", "QR codes", ACTOR)
    await editor.edit_fact(fact_id, "date_note", "month unknown", ACTOR)
    await editor.edit_fact(fact_id, "confidence", "medium", ACTOR)
    await editor.edit_fact(fact_id, "object", "Alipay", ACTOR)
    view = await editor.edit_fact(fact_id, "subject", "Taobao", ACTOR)
    fact = view.fact
    assert (fact.status, fact.kind, fact.date, fact.summary) == (Status.ENDED, Kind.SHOPPING, "2024",
                                                                  "Now ended.")
    assert (fact.kind_detail, fact.date_note, fact.confidence) == ("QR codes", "month unknown", "medium")
    assert (view.subject.name, view.object.name) == ("Taobao", "Alipay")
    view = await editor.edit_fact(fact_id, "kind_detail", "-", ACTOR)
    assert view.fact.kind_detail == ""
    changes = await editor.history(fact_id)
    assert [c.action for c in changes] == ["add"] + ["edit"] * 10
    first_edit = changes[1].fields
    assert [(c.field, c.before, c.after) for c in first_edit if c.field == "status"] == [
        ("status", "live", "ended")]
    assert ("subject", "JD.com", "Taobao") in {(c.field, c.before, c.after) for c in changes[9].fields}
    assert all(c.actor == ACTOR for c in changes)


async def test_edit_refusals_write_nothing(editor: Editor) -> None:
    fact_id = await _add(editor)
    before = await editor.store.counts()
    with pytest.raises(NotFound, match="no fact #99999"):
        await editor.edit_fact(99999, "status", "live", ACTOR)
    with pytest.raises(InvalidValue):
        await editor.edit_fact(fact_id, "status", "gone", ACTOR)
    with pytest.raises(ValidationError, match="same company"):
        await editor.edit_fact(fact_id, "object", "JD", ACTOR)
    with pytest.raises(ValidationError, match="is missing"):
        await editor.edit_fact(fact_id, "summary", "   ", ACTOR)
    other = await _add(editor, LINE.replace("| live |", "| ended |"))
    with pytest.raises(Conflict) as caught:
        await editor.edit_fact(other, "status", "live", ACTOR)
    assert caught.value.existing_id == fact_id
    after = await editor.store.counts()
    assert after["audit"] == before["audit"] + 1  # only the second /addfact
    await editor.retract(fact_id, ACTOR)
    with pytest.raises(ValidationError, match="retracted; /restore"):
        await editor.edit_fact(fact_id, "summary", "new", ACTOR)
    with pytest.raises(ValidationError, match="retracted"):
        await editor.add_source(fact_id, "https://example.org/y", "", ACTOR)


async def test_retract_restore_and_sources_are_audited(editor: Editor, interop: Interop) -> None:
    fact_id = await _add(editor)
    view = await editor.add_source(fact_id, "https://example.org/more", "More", ACTOR)
    assert [s.url for s in view.fact.sources][-1] == "https://example.org/more"
    with pytest.raises(Conflict, match="already cites"):
        await editor.add_source(fact_id, "https://example.org/more", "", ACTOR)
    with pytest.raises(ValidationError, match="http"):
        await editor.add_source(fact_id, "javascript:alert(1)", "", ACTOR)
    with pytest.raises(NotFound):
        await editor.add_source(424242, "https://example.org/z", "", ACTOR)
    assert (await editor.retract(fact_id, ACTOR)).fact.retracted
    assert fact_id not in {f.id for f in await interop.store.recent(50)}
    with pytest.raises(ValidationError, match="already retracted"):
        await editor.retract(fact_id, ACTOR)
    assert not (await editor.restore(fact_id, ACTOR)).fact.retracted
    changes = await editor.history(fact_id)
    assert [c.action for c in changes] == ["add", "add_source", "retract", "restore"]
    assert ("source", "", "https://example.org/more") in {
        (c.field, c.before, c.after) for c in changes[1].fields}
    assert ("retracted", "no", "yes") in {(c.field, c.before, c.after) for c in changes[2].fields}
    with pytest.raises(NotFound):
        await editor.history(424242)


# -- companies and aliases -------------------------------------------------------------------


async def test_new_company_and_alias_resolve_at_once(editor: Editor, interop: Interop) -> None:
    company = await editor.add_company("Zorblax Pay", "Ant Group", "payments", ACTOR)
    assert interop.resolve("zorblax pay").company == company
    assert interop.ancestors(company.id)[0].name == "Ant Group"
    updated, alias = await editor.add_alias("Zorblax Pay | ZBX", ACTOR)
    assert alias == "ZBX" and "ZBX" in updated.aliases
    assert interop.resolve("zbx").company is not None
    assert interop.resolve("zbx").company.id == company.id  # type: ignore[union-attr]
    result = await check_text(interop, "zbx jd")
    assert result is not None and not hasattr(result, "resolutions")
    await editor.remove_alias("Zorblax Pay ZBX", ACTOR)
    assert interop.resolve("zbx").company is None
    actions = [e.action for e in await editor.store.history("company", company.id)]
    assert actions == ["add", "alias", "alias"]


async def test_company_and_alias_refusals(editor: Editor) -> None:
    before = await editor.store.counts()
    with pytest.raises(Conflict, match=r"already used by JD\.com"):
        await editor.add_company("jd.com", "", "", ACTOR)
    with pytest.raises(Conflict, match=r"already used by JD\.com"):
        await editor.add_company("京东", "", "", ACTOR)
    with pytest.raises(UnknownCompany, match="parent"):
        await editor.add_company("New Co", "Nowhere Group", "", ACTOR)
    with pytest.raises(ValidationError, match="letter or digit"):
        await editor.add_company("!!!", "", "", ACTOR)
    with pytest.raises(Conflict, match="already belongs to WeChat Pay"):
        await editor.add_alias("Alipay Tenpay", ACTOR)
    with pytest.raises(ValidationError, match="already called"):
        await editor.add_alias("Alipay 支付宝", ACTOR)
    with pytest.raises(UnknownCompany):
        await editor.add_alias("Zorblax Foo", ACTOR)
    with pytest.raises(ValidationError, match="no alias"):
        await editor.remove_alias("Alipay Tenpay", ACTOR)
    assert await editor.store.counts() == before


# -- import, export, backup ------------------------------------------------------------------


async def test_export_import_round_trip(editor: Editor, interop: Interop, tmp_path: Path) -> None:
    await _add(editor)
    paths = [await editor.export_file(tmp_path, fmt, date(2025, 3, 4)) for fmt in ("json", "csv")]
    assert [p.name for p in paths] == ["interop-export-20250304.json", "interop-export-20250304.csv"]
    for path in paths:
        report = await editor.preview_import(path.name, path.read_bytes(), ACTOR)
        assert (report.new, report.updated, report.rejected) == (0, 0, [])
        assert report.unchanged == (await interop.store.counts())["facts_all"]
    doc = json.loads(paths[0].read_bytes())
    doc["facts"][0]["summary"] += " Edited."
    doc["companies"].append({"name": "Imported Co", "kind": "", "parent": None, "description": "",
                             "aliases": ["IMPC"]})
    data = json.dumps(doc).encode()
    before = await interop.store.counts()
    preview = await editor.preview_import("x.json", data, ACTOR)
    assert (preview.updated, preview.new_companies) == (1, 1)
    assert await interop.store.counts() == before
    report = await editor.apply_import("x.json", data, ACTOR)
    assert (report.updated, report.new_companies, report.dry_run) == (1, 1, False)
    assert interop.resolve("impc").company is not None


async def test_broken_import_files(editor: Editor) -> None:
    with pytest.raises(ValidationError, match="JSON is broken"):
        await editor.preview_import("x.json", b"{nope", ACTOR)
    with pytest.raises(ValidationError, match="'companies' and 'facts'"):
        await editor.preview_import("x.json", b'{"facts": 3}', ACTOR)
    with pytest.raises(ValidationError, match="not UTF-8"):
        await editor.preview_import("x.csv", b"\xff\xfe\x00bad", ACTOR)
    report = await editor.preview_import(
        "x.json", json.dumps({"facts": [{"subject": "JD.com"}]}).encode(), ACTOR)
    assert report.rejected and report.rejected[0][0] == "fact 1"
    assert dataset.MAX_IMPORT_BYTES > 0


async def test_backup_is_a_consistent_copy(editor: Editor, tmp_path: Path) -> None:
    await _add(editor)
    path = await editor.backup(tmp_path / "backups")
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT count(*) FROM fact").fetchone()[0] == \
            (await editor.store.counts())["facts_all"]
    finally:
        conn.close()


# -- one write path, notes, verify, richer edits ---------------------------------------------


async def test_concurrent_aliases_for_two_companies_one_wins_one_conflicts(editor: Editor) -> None:
    """Both pass the early check; the name key in the schema lets only one of them in."""
    import asyncio

    results = await asyncio.gather(editor.add_alias("JD.com | Zeta Pay", ACTOR),
                                   editor.add_alias("Alipay | zeta-pay", ACTOR),
                                   return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(conflicts) == 1 and len(winners) == 1, results
    assert "already used by" in str(conflicts[0])
    owners = [c.name for c in await editor.store.companies()
              if any(a.casefold().replace("-", " ") == "zeta pay" for a in c.aliases)]
    assert owners == [winners[0][0].name]


async def test_one_line_partial_fact_needs_a_note(editor: Editor) -> None:
    partial = LINE.replace("| live |", "| partial |")
    with pytest.raises(ValidationError, match="partial fact needs a note"):
        await _add(editor, partial)
    fact_id = await _add(editor, partial + " | note: some merchants only | region: CN | scope: checkout")
    fact = await editor.fact(fact_id)
    assert (fact.note, fact.region, fact.scope) == ("some merchants only", "China mainland", "checkout")


async def test_edit_round2_fields_and_verify(editor: Editor) -> None:
    fact_id = await _add(editor)
    for field_name, value, expected in (("scope", "in-app checkout", "in-app checkout"),
                                        ("region", "eu", "EU/EEA"), ("note", "opt-in", "opt-in"),
                                        ("summary_zh", "京东支持微信支付。", "京东支持微信支付。"),
                                        ("verified", "2025-01-02", "2025-01-02")):
        fid, name, text = parse_edit(f"{fact_id} {field_name} {value}")
        view = await editor.edit_fact(fid, name, text, ACTOR)
        assert getattr(view.fact, field_name) == expected
    with pytest.raises(InvalidValue):
        await editor.edit_fact(fact_id, "region", "Atlantis", ACTOR)
    await editor.edit_fact(fact_id, "region", "-", ACTOR)
    assert (await editor.fact(fact_id)).region == ""
    view = await editor.verify(fact_id, ACTOR, today=date(2026, 1, 5))
    assert view.fact.verified == "2026-01-05"
    history = await editor.history(fact_id)
    assert history[-1].action == "verify"
    assert [(c.field, c.before, c.after) for c in history[-1].fields] == [
        ("verified", "2025-01-02", "2026-01-05")]


async def test_changes_lists_edits_newest_first_without_actors(editor: Editor) -> None:
    fact_id = await _add(editor)
    await editor.edit_fact(fact_id, "summary", "JD.com takes WeChat Pay.", ACTOR)
    await editor.retract(fact_id, ACTOR)
    changes = await editor.store.changes(3)
    assert [c.action for c in changes] == ["retract", "edit", "add"]
    assert all(c.fact.id == fact_id and c.at for c in changes)
    assert not hasattr(changes[0], "actor")


async def test_about_counts_companies_and_facts_per_kind(editor: Editor) -> None:
    about = await editor.store.about()
    counts = await editor.store.counts()
    assert about.companies == counts["companies"] and about.facts == counts["facts"]
    assert sum(n for _, n in about.facts_per_kind) == counts["facts"]
    assert {k for k, _ in about.facts_per_kind} <= set(Kind)
    assert about.last_change  # the seed import is audited
    await _add(editor)
    assert (await editor.store.about()).last_change >= about.last_change


async def test_export_file_streams_json_csv_and_zip(editor: Editor, interop: Interop, tmp_path: Path) -> None:
    import zipfile

    await _add(editor)
    day = date(2025, 3, 4)
    archive = await editor.export_file(tmp_path / "out", "zip", day)
    assert archive.name == "interop-export-20250304.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == ["interop-export-20250304.json", "interop-export-20250304.csv"]
        for name in names:
            report = await editor.preview_import(name, zf.read(name), ACTOR)
            assert (report.new, report.updated, report.rejected) == (0, 0, [])
    plain = await editor.export_file(tmp_path / "out", "json", day)
    doc = json.loads(plain.read_bytes())
    memory = await dataset.export_document(interop.store)
    for d in (doc, memory):
        d.pop("exported_at")
    assert doc == memory
    assert not list((tmp_path / "out").glob("*.part"))
    with pytest.raises(ValidationError, match="export format"):
        await editor.export_file(tmp_path, "xml")
