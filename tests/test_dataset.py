"""Import/export: the seed, dry runs, idempotence, rejects by row, round trips, broken files."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import dataset, rules
from bot.config import SEED_PATH
from bot.domain import Conflict, InvalidValue, Source, ValidationError
from bot.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    s = await Store.open(tmp_path / "t.sqlite3")
    yield s
    await s.close()


def seed_doc() -> dict[str, Any]:
    return dataset.parse_document("seed.json", SEED_PATH.read_bytes())


async def test_seed_loads_completely_and_idempotently(store: Store) -> None:
    first = await dataset.import_document(store, seed_doc(), "seed", dry_run=False)
    assert first.rejected == []
    assert first.new == len(seed_doc()["facts"]) >= 40
    assert first.new_companies == len(seed_doc()["companies"]) >= 33
    again = await dataset.import_document(store, seed_doc(), "seed", dry_run=False)
    assert (again.new, again.updated, again.new_companies, again.updated_companies) == (0, 0, 0, 0)
    assert again.unchanged == first.new


async def test_dry_run_writes_nothing_and_matches_the_real_run(store: Store) -> None:
    preview = await dataset.import_document(store, seed_doc(), "t", dry_run=True)
    assert (await store.counts())["facts_all"] == 0
    applied = await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    assert (preview.new, preview.new_companies) == (applied.new, applied.new_companies)


async def test_rejected_rows_carry_their_number_and_reason(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    good = {"key": "new-1", "subject": "JD.com", "object": "WeChat", "kind": "login", "status": "live",
            "date": "2025-02", "summary": "A new fact.", "sources": [{"url": "https://example.com/x"}]}
    doc = {"companies": [], "facts": [
        good,
        {**good, "key": "bad-kind", "kind": "telepathy"},
        {**good, "key": "bad-url", "sources": [{"url": "javascript:alert(1)"}]},
        {**good, "key": "bad-date", "date": "2024-13"},
        {**good, "key": "future", "date": "2999"},
        {**good, "key": "no-company", "object": "Zorblax Corp"},
        {**good, "key": "long", "summary": "x" * 1001},
        {**good, "key": "dup"},
        "not an object",
    ]}
    report = await dataset.import_document(store, doc, "t", dry_run=False)
    assert report.new == 1
    reasons = dict(report.rejected)
    assert set(reasons) == {f"fact {n}" for n in range(2, 10)}
    assert "payments" in reasons["fact 2"]  # allowed values are listed
    assert "http" in reasons["fact 3"]
    assert "calendar" in reasons["fact 4"]
    assert "future" in reasons["fact 5"]
    assert "Zorblax Corp" in reasons["fact 6"]
    assert "1000" in reasons["fact 7"]
    assert "duplicates fact #" in reasons["fact 8"]


@pytest.mark.parametrize("suffix", ["json", "csv"])
async def test_export_import_round_trip_is_lossless(store: Store, tmp_path: Path, suffix: str) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    exported = await dataset.export_document(store)
    data = dataset.to_csv_bytes(exported) if suffix == "csv" else dataset.to_json_bytes(exported)
    fresh = await Store.open(tmp_path / f"fresh-{suffix}.sqlite3")
    try:
        doc = dataset.parse_document(f"export.{suffix}", data)
        report = await dataset.import_document(fresh, doc, "t", dry_run=False)
        assert report.rejected == []
        again = await dataset.export_document(fresh)
        for d in (exported, again):
            d.pop("exported_at")
        assert again == exported
        # Importing the export back into its source changes nothing.
        same = await dataset.import_document(store, doc, "t", dry_run=True)
        assert same.changes == 0 and same.unchanged == len(exported["facts"])
    finally:
        await fresh.close()


async def test_csv_neutralises_formulas_reversibly(store: Store) -> None:
    doc = {"companies": [{"name": "=HYPERLINK(\"x\")", "aliases": ["@evil", "+1"]},
                         {"name": "Plain", "aliases": []}],
           "facts": [{"key": "-k", "subject": "=HYPERLINK(\"x\")", "object": "Plain", "kind": "other",
                      "status": "live", "date": "", "summary": "=1+1 @cmd",
                      "sources": [{"url": "https://example.com", "title": "-title"}]}]}
    await dataset.import_document(store, doc, "t", dry_run=False)
    exported = await dataset.export_document(store)
    text = dataset.to_csv_bytes(exported).decode()
    assert "\n=" not in text and ",=" not in text and ",@" not in text and ",+" not in text
    assert "'=HYPERLINK" in text
    back = dataset.parse_document("x.csv", text.encode())
    assert back["companies"][0]["name"] == '=HYPERLINK("x")'
    assert back["facts"][0]["summary"] == "=1+1 @cmd"


@pytest.mark.parametrize(("name", "data", "message"), [
    ("x.json", b"{not json", "JSON is broken"),
    ("x.json", b"[1, 2]", "must be an object"),
    ("x.json", b"\xff\xfe\x00garbage", "UTF-8"),
    ("x.csv", b"a,b\n1,2\n", "header row"),
    ("x.json", b" " * (dataset.MAX_IMPORT_BYTES + 1), "larger than"),
])
def test_broken_files_get_clear_errors(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        dataset.parse_document(name, data)


# -- bulk import: FTS kept in sync with the insert triggers suspended, same validation ---------


def _fts_state(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    """(FTS rows, the words each fact's sources should index, the trigger SQL) read directly."""
    conn = sqlite3.connect(path)
    try:
        fts = conn.execute("SELECT rowid, summary, sources FROM fact_fts ORDER BY rowid").fetchall()
        words: dict[int, list[str]] = {}
        for fid, title, publisher in conn.execute("SELECT fact_id, title, publisher FROM source"):
            words.setdefault(fid, []).extend(f"{title} {publisher}".split())
        expected = [(fid, summary, sorted(words.get(fid, [])))
                    for fid, summary in conn.execute("SELECT id, summary FROM fact ORDER BY id")]
        triggers = [sql for (sql,) in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")]
    finally:
        conn.close()
    actual = [(fid, summary, sorted(sources.split())) for fid, summary, sources in fts]
    return actual, expected, triggers


def _fact(key: str, summary: str, *sources: tuple[str, str], **kw: Any) -> dict[str, Any]:
    return {"key": key, "subject": "JD.com", "object": "WeChat", "kind": "login", "status": "live",
            "summary": summary, "sources": [{"url": u, "title": t, "publisher": "Pub"}
                                            for u, t in sources], **kw}


async def test_import_indexes_new_and_changed_facts_like_the_triggers(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    _, _, triggers_before = _fts_state(store.path)
    seeded = seed_doc()["facts"][0]
    changed = {**seeded, "summary": "Quokka handshake", "sources": [
        {"url": "https://example.com/new", "title": "Wombat chronicle", "publisher": "Pub"}]}
    doc = {"companies": [], "facts": [
        _fact("bulk-1", "Zebra payments", ("https://a.example/1", "Okapi report"),
              ("https://a.example/2", "Narwhal digest"), date="2020"),
        changed,  # an update after a buffered insert: writes stay in file order
        _fact("", "Keyless axolotl", ("https://a.example/3", "Pangolin notes"), date="2021"),
        _fact("bulk-1", "Zebra payments again", ("https://a.example/9", "Capybara memo"),
              date="2020"),  # the same key twice: the second row updates the first
    ]}
    preview = await dataset.import_document(store, doc, "t", dry_run=True)
    assert (preview.new, preview.updated, preview.rejected) == (2, 2, [])
    assert await store.search("okapi") == []  # the dry run left the index alone

    report = await dataset.import_document(store, doc, "t", dry_run=False)
    assert (report.new, report.updated, report.rejected) == (2, 2, [])
    actual, expected, triggers_after = _fts_state(store.path)
    assert actual == expected
    assert triggers_after == triggers_before  # suspended only inside the transaction
    assert [f.key for f in await store.search("capybara")] == ["bulk-1"]
    assert await store.search("okapi") == [] and await store.search("narwhal") == []
    assert [f.key for f in await store.search("wombat")] == [seeded["key"]]
    assert [f.key for f in await store.search("quokka")] == [seeded["key"]]
    keyless = await store.search("pangolin")
    assert [f.key for f in keyless] == [f"fact-{keyless[0].id}"]
    assert [h.action for h in await store.history("fact", keyless[0].id)] == ["import"]

    # Single writes after an import still go through the restored triggers.
    fact = (await store.search("capybara"))[0]
    await store.add_source(fact.id, Source("https://a.example/10", "Dugong letter"), "t")
    assert [f.id for f in await store.search("dugong")] == [fact.id]


async def test_import_assigns_the_ids_sqlite_would(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    facts = seed_doc()["facts"]
    conn = sqlite3.connect(store.path)
    try:
        top = conn.execute("SELECT max(id) FROM fact").fetchone()[0]
        conn.execute("DELETE FROM fact WHERE id = ?", (top,))  # ids follow max(id), not a counter
        conn.commit()
    finally:
        conn.close()
    doc = {"companies": [], "facts": [_fact(f"n{i}", f"Note {i}", (f"https://n.example/{i}", "T"),
                                            date=f"20{10 + i}") for i in range(3)]}
    await dataset.import_document(store, doc, "t", dry_run=False)
    ids = [(await store.search(f"note {i}"))[0].id for i in range(3)]
    assert ids == [top, top + 1, top + 2]
    assert len(facts) == top


def _slow_clean_url(text: str) -> str:
    """clean_url with the plain-URL shortcut switched off: the reference verdict."""
    saved = rules._PLAIN_HTTP_URL
    rules._PLAIN_HTTP_URL = re.compile(r"(?!)")
    try:
        return rules.clean_url(text)
    finally:
        rules._PLAIN_HTTP_URL = saved


_URL_PIECES = st.sampled_from(["http", "https", "HTTP", "hTTps", "ftp", "javascript", ":", "//", "/",
                               "a", "b.c", ".", "-", "@", ":80", "[", "]", "::1", "?", "#", "x.com",
                               "é", "例え", "%20", " ", "\t", "\u200b", "localhost", "user:pw@"])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(_URL_PIECES, max_size=8).map("".join), st.text(max_size=40),
                 st.from_regex(r"[Hh][Tt]{2}[Pp][Ss]?://[\w.:@\[\]-]{0,20}[/?#]?.{0,10}")))
def test_url_shortcut_gives_the_same_verdict(text: str) -> None:
    outcomes = []
    for check in (rules.clean_url, _slow_clean_url):
        try:
            outcomes.append(("ok", check(text)))
        except ValidationError as exc:
            outcomes.append(("refused", str(exc)))
    assert outcomes[0] == outcomes[1]


def test_validation_memo_refuses_a_bad_value_every_time() -> None:
    checks = dataset._Checks()
    good = _fact("k", "S", ("https://e.example/1", "T"), date="2024-02")
    assert dataset._validate_fact(good, checks)["date"] == "2024-02"
    for _ in range(2):  # a refused value is never remembered as accepted
        with pytest.raises(ValidationError, match="calendar"):
            dataset._validate_fact({**good, "date": "2024-02-30"}, checks)
        with pytest.raises(InvalidValue, match="kind"):
            dataset._validate_fact({**good, "kind": "telepathy"}, checks)
        with pytest.raises(ValidationError, match="subject"):
            dataset._validate_fact({**good, "subject": "\u200b"}, checks)
    first = dataset._validate_fact(good, checks)
    assert first == dataset._validate_fact(good)  # the memo changes nothing but the speed


async def test_a_failed_import_keeps_the_fts_triggers(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    _, _, triggers = _fts_state(store.path)
    counts = await store.counts()
    top = counts["facts_all"]
    # A keyless fact is keyed fact-<id>; a later row claiming that key breaks the unique key.
    doc = {"companies": [], "facts": [
        _fact("", "Keyless", ("https://k.example/1", "T"), date="2011"),
        _fact(f"fact-{top + 1}", "Claims the key", ("https://k.example/2", "T"), date="2012")]}
    with pytest.raises(Conflict, match="duplicate"):
        await dataset.import_document(store, doc, "t", dry_run=False)
    assert await store.counts() == counts
    assert _fts_state(store.path)[2] == triggers


def _with_round2_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The seed plus every round-2 field on a few rows, so the round trip covers them."""
    for company in doc["companies"]:
        if company["name"] == "WeChat Pay":
            company.update(relation="product", name_zh="微信支付")
        if company["name"] == "iPhone":
            company["features"] = [{"alias": "AirDrop", "kind": "content", "scope": "file sharing"}]
    fact = doc["facts"][0]
    fact.update(scope="in-app checkout", region="China mainland", note="some merchants only",
                verified="2026-11-30", summary_zh="京东结账支持支付宝。")
    return doc


@pytest.mark.parametrize("suffix", ["json", "csv"])
async def test_round2_fields_round_trip(store: Store, tmp_path: Path, suffix: str) -> None:
    report = await dataset.import_document(store, _with_round2_fields(seed_doc()), "t", dry_run=False)
    assert report.rejected == []
    exported = await dataset.export_document(store)
    data = dataset.to_csv_bytes(exported) if suffix == "csv" else dataset.to_json_bytes(exported)
    fresh = await Store.open(tmp_path / f"fresh-{suffix}.sqlite3")
    try:
        await dataset.import_document(fresh, dataset.parse_document(f"e.{suffix}", data), "t",
                                      dry_run=False)
        again = await dataset.export_document(fresh)
        for d in (exported, again):
            d.pop("exported_at")
        assert again == exported
        companies = {c.name: c for c in await fresh.companies()}
        assert companies["WeChat Pay"].relation == "product"
        assert companies["WeChat Pay"].name_zh == "微信支付"
        (feature,) = companies["iPhone"].features
        assert (feature.alias, feature.kind.value, feature.scope) == ("AirDrop", "content", "file sharing")
        assert "AirDrop" not in companies["iPhone"].aliases
        first = next(f for f in again["facts"] if f["key"] == seed_doc()["facts"][0]["key"])
        assert (first["scope"], first["region"], first["note"], first["verified"], first["summary_zh"]) == (
            "in-app checkout", "China mainland", "some merchants only", "2026-11-30", "京东结账支持支付宝。")
    finally:
        await fresh.close()


@pytest.mark.parametrize(("field_name", "value"), [
    ("region", "Atlantis"), ("verified", "2026-13-01"), ("verified", "2026"), ("relation", "cousin")])
async def test_round2_values_outside_their_lists_are_refused(store: Store, field_name: str,
                                                             value: str) -> None:
    doc = seed_doc()
    target = doc["companies"][1] if field_name == "relation" else doc["facts"][0]
    target[field_name] = value
    report = await dataset.import_document(store, doc, "t", dry_run=True)
    label, reason = report.rejected[0]  # a refused company also refuses the facts that name it
    assert label == ("company 2" if field_name == "relation" else "fact 1")
    assert reason.startswith(f"{field_name} {value!r}")


async def test_scope_separates_threads_and_duplicates(store: Store) -> None:
    doc = seed_doc()
    twin = dict(doc["facts"][0], key="twin", scope="bulky items")
    doc["facts"].append(twin)
    report = await dataset.import_document(store, doc, "t", dry_run=False)
    assert report.rejected == []  # same pair, kind, status and date, but another feature


# -- the formula guard round trip, partial notes ---------------------------------------------


@pytest.mark.parametrize("value", ["'=x", "=x", "''=x", "'tis", "'", "-5", "'@a", "plain"])
def test_formula_guard_is_exactly_reversible(value: str) -> None:
    cell = dataset._cell(value)
    assert not cell.lstrip("'") or cell[0] == "'" or not cell.startswith(("=", "+", "-", "@"))
    assert dataset._uncell(cell) == value


_ANY_TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.tuples(st.sampled_from(["=", "'=", "''+", "-", "@", "'", "\t", "'\t", "\"", ","]),
              st.text(max_size=10)).map("".join))


def _csv_round(doc: dict[str, Any], tmp: Path) -> tuple[bytes, bytes]:
    """Import ``doc``, export CSV, import that into a fresh store, export again."""
    import asyncio

    async def run() -> tuple[bytes, bytes]:
        outputs = []
        data: dict[str, Any] = doc
        for n in range(2):
            store = await Store.open(tmp / f"r{n}.sqlite3")
            try:
                report = await dataset.import_document(store, data, "t", dry_run=False)
                assert report.rejected == [], report.rejected
                csv_bytes = dataset.to_csv_bytes(await dataset.export_document(store))
            finally:
                await store.close()
            outputs.append(csv_bytes)
            data = dataset.parse_document("x.csv", csv_bytes)
        return outputs[0], outputs[1]

    return asyncio.run(run())


@settings(max_examples=25, deadline=None)
@given(texts=st.lists(_ANY_TEXT, min_size=14, max_size=14))
def test_csv_round_trip_keeps_every_field_for_any_text(tmp_path_factory: pytest.TempPathFactory,
                                                      texts: list[str]) -> None:
    """export -> import -> export is the identity, whatever text sits in any field."""
    (name_a, name_b, kind, description, alias, name_zh, key, kind_detail, date_note, confidence,
     summary, scope, note, title) = texts
    doc = {"companies": [
        {"name": name_a + " Qa1", "kind": kind, "description": description,
         "aliases": [alias + " Xz9"], "name_zh": name_zh},
        {"name": name_b + " Wb2", "parent": name_a + " Qa1", "relation": "subsidiary"}],
        "facts": [{"key": key, "subject": name_a + " Qa1", "object": name_b + " Wb2",
                   "kind": "other", "status": "partial", "date": "2024", "kind_detail": kind_detail,
                   "date_note": date_note, "confidence": confidence, "summary": summary + " s",
                   "scope": scope, "note": note + " n", "summary_zh": title,
                   "sources": [{"url": "https://example.com/x", "title": title, "publisher": note}]}]}
    first, second = _csv_round(doc, tmp_path_factory.mktemp("csv"))
    assert first == second


async def test_new_partial_facts_need_a_note_old_ones_get_a_warning(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    new = _fact("p-new", "Partial without a caveat", ("https://p.example/1", "T"), status="partial")
    report = await dataset.import_document(store, {"companies": [], "facts": [new]}, "t", dry_run=False)
    assert report.new == 0 and "needs a note" in report.rejected[0][1]
    # A stored partial fact without a note (from before the rule) is kept, with a warning.
    old = _fact("p-old", "Partial with a caveat", ("https://p.example/2", "T"), status="partial",
                note="beta")
    assert (await dataset.import_document(store, {"companies": [], "facts": [old]}, "t",
                                          dry_run=False)).new == 1
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE fact SET note = '' WHERE key = 'p-old'")
    conn.commit()
    conn.close()
    again = await dataset.import_document(store, {"companies": [], "facts": [{**old, "note": ""}]}, "t",
                                          dry_run=True)
    assert (again.unchanged, again.rejected) == (1, [])
    assert again.warnings and "needs a note" in again.warnings[0][1]


async def test_import_matches_names_and_aliases_by_name_key(store: Store) -> None:
    await dataset.import_document(store, seed_doc(), "t", dry_run=False)
    fact = _fact("by-key", "Named by alias and by spacing", ("https://k.example/9", "T"),
                 subject="京东", object="we chat")
    report = await dataset.import_document(store, {"companies": [
        {"name": "jd com", "aliases": []}], "facts": [fact]}, "t", dry_run=False)
    assert (report.new, report.new_companies, report.rejected) == (1, 0, [])
