"""Import/export: the seed, dry runs, idempotence, rejects by row, round trips, broken files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.config import SEED_PATH
from bot.domain import ValidationError
from bot.store import Store

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "interop-facts.json"


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


@pytest.mark.skipif(not SHARED.exists(), reason="shared research file not present")
def test_seed_keeps_every_source_url_date_and_confidence() -> None:
    research = json.loads(SHARED.read_text(encoding="utf-8"))
    seed = seed_doc()
    urls = {s["url"] for f in seed["facts"] for s in f["sources"]}
    for fact in research["facts"]:
        assert fact["source_url"] in urls
        for extra in fact.get("additional_sources", []):
            assert extra["url"] in urls
        ours = [f for f in seed["facts"] if f["key"].startswith(fact["id"])]
        assert ours, fact["id"]
        for f in ours:
            assert f["date"] == fact["date"]
            assert f["confidence"] == fact["confidence"]
            assert f["date_note"] == fact.get("date_note", "")


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
        {**good, "key": "no-company", "object": "Amazon"},
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
    assert "Amazon" in reasons["fact 6"]
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
