"""A source's quote: the verbatim excerpt that supports a fact, stored, carried through
import/export, added with /addsource, and shown (escaped once) where one fact's evidence is read."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.admin import parse_addsource
from bot.answers import Interop
from bot.console import answer_line, operator_editor
from bot.domain import Company, Fact, FactView, Kind, Source, Status, ValidationError
from bot.render import HTML, PLAIN, render_fact_card
from bot.rules import MAX_QUOTE
from bot.store import FactDraft, Store
from bot.store.schema import MIGRATIONS, migrate, register_functions

QUOTE = "JD.com users can now pay with <Alipay> & “save” — 京东用户即日起可用支付宝付款"


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    s = await Store.open(tmp_path / "q.sqlite3")
    yield s
    await s.close()


def _doc(quote: Any = QUOTE) -> dict[str, Any]:
    source: dict[str, Any] = {"url": "https://example.com/q", "title": "T", "publisher": "P",
                              "date": "2024-10"}
    if quote is not None:
        source["quote"] = quote
    return {"companies": [{"name": "Qa Shop"}, {"name": "Qb Pay"}],
            "facts": [{"key": "qa-qb", "subject": "Qa Shop", "object": "Qb Pay", "kind": "payments",
                       "status": "live", "date": "2024-10", "summary": "Qa Shop takes Qb Pay.",
                       "sources": [source]}]}


def test_the_quote_column_is_added_to_existing_sources(tmp_path: Path) -> None:
    """A database from before quotes keeps its sources, each with an empty quote."""
    conn = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    register_functions(conn)
    for step, script in enumerate(MIGRATIONS[:-1], start=1):
        conn.executescript(script)
        conn.execute(f"PRAGMA user_version = {step}")
    conn.execute("INSERT INTO company (id, name) VALUES (1, 'Qa'), (2, 'Qb')")
    conn.execute("INSERT INTO fact (id, subject_id, object_id, kind, status, date, summary, created_by, "
                 "created_at, updated_by, updated_at) VALUES (1, 1, 2, 'payments', 'live', '2024', 's', "
                 "'t', 'x', 't', 'x')")
    conn.execute("INSERT INTO source (fact_id, position, url) VALUES (1, 0, 'https://example.com/a')")
    migrate(conn)
    assert conn.execute("SELECT url, quote FROM source").fetchall() == [("https://example.com/a", "")]
    conn.close()


@pytest.mark.parametrize("suffix", ["json", "csv"])
async def test_quotes_round_trip_through_export_and_import(store: Store, tmp_path: Path, suffix: str) -> None:
    report = await dataset.import_document(store, _doc(), "t", dry_run=False)
    assert report.rejected == [] and report.new == 1
    exported = await dataset.export_document(store)
    assert exported["facts"][0]["sources"][0]["quote"] == QUOTE
    data = dataset.to_csv_bytes(exported) if suffix == "csv" else dataset.to_json_bytes(exported)
    fresh = await Store.open(tmp_path / f"fresh.{suffix}.sqlite3")
    try:
        await dataset.import_document(fresh, dataset.parse_document(f"e.{suffix}", data), "t", dry_run=False)
        again = await dataset.export_document(fresh)
        assert (await _only_fact(fresh)).sources[0].quote == QUOTE
    finally:
        await fresh.close()
    for d in (exported, again):
        d.pop("exported_at")
    assert again == exported


async def _only_fact(store: Store) -> Fact:
    fact = await store.fact(1)
    assert fact is not None
    return fact


async def test_a_file_without_quotes_imports_with_empty_ones(store: Store) -> None:
    report = await dataset.import_document(store, _doc(quote=None), "t", dry_run=False)
    assert report.rejected == []
    assert (await _only_fact(store)).sources[0].quote == ""


async def test_a_changed_quote_updates_the_fact_and_a_bad_one_is_refused(store: Store) -> None:
    await dataset.import_document(store, _doc(), "t", dry_run=False)
    changed = await dataset.import_document(store, _doc("a new excerpt"), "t", dry_run=False)
    assert changed.updated == 1
    assert (await _only_fact(store)).sources[0].quote == "a new excerpt"
    for bad, reason in (("x" * (MAX_QUOTE + 1), "source quote"), (["a list"], "quote")):
        report = await dataset.import_document(store, _doc(bad), "t", dry_run=True)
        assert len(report.rejected) == 1 and reason in report.rejected[0][1], report.rejected


def test_addsource_reads_an_optional_quote() -> None:
    assert parse_addsource("7 https://a.org/x Title words | quote: Pay | now") == (
        7, "https://a.org/x", "Title words", "Pay | now")
    assert parse_addsource("7 https://a.org/x | Quote= 即日起") == (7, "https://a.org/x", "", "即日起")
    assert parse_addsource("7 https://a.org/x Title") == (7, "https://a.org/x", "Title", "")
    with pytest.raises(ValidationError, match="quote: EXCERPT"):
        parse_addsource("7 https://a.org/x Title | note: something")


async def test_the_fact_card_shows_each_quote_escaped_once(store: Store) -> None:
    a = await store.add_company(Company(id=0, name="Qa Shop"), "t")
    b = await store.add_company(Company(id=0, name="Qb Pay"), "t")
    fact = await store.add_fact(FactDraft(
        subject_id=a.id, object_id=b.id, kind=Kind.PAYMENTS, status=Status.LIVE, date="2024-10",
        summary="s", sources=(Source("https://example.com/q", "T", quote=QUOTE),
                              Source("https://example.com/r", "R"))), "t")
    assert fact.sources[0].quote == QUOTE and fact.sources[1].quote == ""
    view = FactView(fact, a, b)
    html = render_fact_card(view, HTML)
    assert ("<i>“JD.com users can now pay with &lt;Alipay&gt; &amp; “save” — "
            "京东用户即日起可用支付宝付款”</i>") in html
    assert "&amp;lt;" not in html and html.count("<i>“") == 1
    plain = render_fact_card(view, PLAIN)
    assert f"“{QUOTE}”" in plain and "<i>" not in plain


async def test_console_addsource_with_a_quote_shows_it_in_the_card_and_history(interop: Interop) -> None:
    editor = operator_editor(interop)
    saved = await answer_line(interop, "/addfact Alipay | JD.com | payments | live | 2025-01 | "
                                       "Pays. | https://example.com/x", editor)
    fact_id = int(saved.split("#", 1)[1].split(".", 1)[0])
    added = await answer_line(interop, f"/addsource {fact_id} https://example.com/y Launch <news> "
                                       f"| quote: {QUOTE}", editor)
    assert "Source added" in added and f"“{QUOTE}”" in added and "Launch <news>" in added
    history = await answer_line(interop, f"/history {fact_id}", editor)
    assert "source: https://example.com/y" in history and f"quote: “{QUOTE}”" in history
    refused = await answer_line(interop, f"/addsource {fact_id} https://example.com/z T | quote: "
                                         + "w" * (MAX_QUOTE + 1), editor)
    assert "Source quote is 601 characters; the limit is 600" in refused
