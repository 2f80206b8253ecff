"""Imports that must hold: parent cycles are refused everywhere, every export re-imports into an
empty store with the same counts after any admin write, and hostile files get one clear line in
chat and on the command line, with nothing written and no traceback.

Telegram is the recording fake of tests/tg.py with the real Application; the command line is the
real ``python -m bot`` process.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import sqlite3
import struct
import subprocess
import sys
import threading
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.store import Store
from tests.test_telegram_admin import Files, only_text, sent, unzipped
from tests.tg import ADMIN, Harness, make_app

ROOT = Path(__file__).resolve().parent.parent
ERROR_CHAT = -100777
COUNTED = ("companies", "aliases", "facts", "facts_all", "sources")
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, error_chat_id=ERROR_CHAT) as harness:
        harness.user = dict(ADMIN)
        harness.rec.clear()
        yield harness


async def counts(h: Harness) -> dict[str, int]:
    found = await h.interop.store.counts()
    return {k: found[k] for k in COUNTED}


def doc_of(companies: list[dict[str, Any]] = (), facts: list[dict[str, Any]] = ()) -> bytes:  # type: ignore[assignment]
    return json.dumps({"format": "interop-bot/1", "companies": list(companies),
                       "facts": list(facts)}).encode()


def no_error_reports(h: Harness) -> bool:
    return not [c for c in h.rec.calls if c.chat_id == ERROR_CHAT]


# -- parent cycles ---------------------------------------------------------------------------


async def test_a_parent_cycle_in_an_import_is_refused_with_the_loop(h: Harness) -> None:
    files = Files(h)
    before = await counts(h)
    alibaba = next(c for c in await h.interop.store.companies() if c.name == "Alibaba Group")
    row = {"name": "Alibaba Group", "kind": "group", "parent": "Taobao", "description": "",
           "aliases": []}
    [reply] = sent(await h.process(files.document(h, "cycle.json", doc_of([row]))))
    loop = "Alibaba Group → Taobao → Taobao and Tmall Group → Alibaba Group"
    assert f"• company 1: that would make the parents go round in a circle: {loop}" in reply.text
    assert "1 rejected" in reply.text and "nothing to apply" in reply.text
    assert reply.buttons == []  # no Apply button to press
    assert await counts(h) == before and no_error_reports(h)
    assert (await h.interop.store.company(alibaba.id)).parent_id is None  # type: ignore[union-attr]


async def test_every_company_write_refuses_a_cycle(tmp_path: Path) -> None:
    """Without the linter in front (the seed loader), the write itself refuses the row."""
    store = await Store.open(tmp_path / "s.sqlite3")
    try:
        rows = [{"name": "Alibaba Group", "kind": "", "parent": None, "aliases": []},
                {"name": "Taobao", "kind": "", "parent": "Alibaba Group", "aliases": []}]
        await dataset.import_document(store, {"companies": rows, "facts": []}, "t", dry_run=False)
        again = [{**rows[0], "parent": "Taobao"}]
        report = await dataset.import_document(store, {"companies": again, "facts": []}, "t",
                                               dry_run=False)
        assert report.rejected == [("company 1", "that would make the parents go round in a circle: "
                                                 "Alibaba Group → Taobao → Alibaba Group")]
        itself = [{**rows[1], "parent": "Taobao"}]
        report = await dataset.import_document(store, {"companies": itself, "facts": []}, "t",
                                               dry_run=False)
        assert "Taobao → Taobao" in report.rejected[0][1]
    finally:
        await store.close()


async def test_addcompany_with_itself_as_parent_is_refused(h: Harness) -> None:
    before = await counts(h)
    text = only_text(await h.send("/addcompany Taobao | Taobao"))
    assert "already" in text or "circle" in text, text
    assert await counts(h) == before


async def test_a_linter_error_refuses_the_whole_file(h: Harness, tmp_path: Path) -> None:
    files = Files(h)
    before = await counts(h)
    href = {**GOOD_FACT, "key": "href-row", "object": "Alipay", "kind": "payments",
            "sources": [{"url": "https://freewechat.com/a/Mz/2247/{{href}}", "title": "T"}]}
    data = doc_of(facts=[GOOD_FACT, href])
    [reply] = sent(await h.process(files.document(h, "mixed.json", data)))
    assert "2 new" in reply.text and "0 rejected" in reply.text
    assert "Data check: 1 error(s), 0 warning(s):\n• href-row: url: source URL " \
           "'https://freewechat.com/a/Mz/2247/{{href}}' holds an unfilled template placeholder" \
           in reply.text
    assert reply.text.endswith("⛔ Fix the errors above and send the file again: nothing was written.")
    assert reply.buttons == [] and await counts(h) == before
    # The command line refuses it the same way, applying or not.
    path = tmp_path / "mixed.json"
    path.write_bytes(data)
    db = tmp_path / "d.sqlite3"
    for mode in ([], ["--dry-run"]):  # applying first creates and seeds the database
        result = _cli(db, "import", str(path), *mode)
        assert result.returncode == 1 and "holds an unfilled template placeholder" in result.stdout
        assert "nothing was written" in result.stdout and "Traceback" not in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM fact WHERE key IN ('ok-row', 'href-row')").fetchone() == (0,)
    conn.close()


async def test_linter_warnings_are_listed_and_do_not_block(h: Harness) -> None:
    files = Files(h)
    before = await counts(h)
    row = {**GOOD_FACT, "confidence": "high"}
    [dry] = sent(await h.process(files.document(h, "warn.json", doc_of(facts=[row]))))
    assert "Data check: 0 error(s), 1 warning(s):\n• ok-row: single-source: " \
           "“high” confidence rests on a single source" in dry.text
    [applied] = sent(await h.press(dry, "✅ Apply import"))
    assert "Imported" in applied.text and (await counts(h))["facts"] == before["facts"] + 1


# -- every export re-imports -----------------------------------------------------------------


async def _exports(h: Harness, files: Files) -> list[tuple[str, bytes]]:
    files.sent.clear()
    await h.send("/export")
    return [unzipped(data) for _, data in files.sent]


async def _assert_round_trip(h: Harness, files: Files, tmp_path: Path, step: str) -> None:
    expected = await counts(h)
    for name, data in await _exports(h, files):
        target = tmp_path / f"{secrets.token_hex(6)}-{name}.sqlite3"
        store = await Store.open(target)
        try:
            report = await dataset.import_document(store, dataset.parse_document(name, data), "t",
                                                   dry_run=False, lint=True)
            found = await store.counts()
        finally:
            await store.close()
        assert report.rejected == [] and not report.blocked, (step, name, report.rejected[:3])
        assert {k: found[k] for k in COUNTED} == expected, (step, name)


async def test_every_export_re_imports_into_an_empty_store_after_any_admin_write(
        h: Harness, tmp_path: Path) -> None:
    files = Files(h)
    await _assert_round_trip(h, files, tmp_path, "seed")
    steps = [
        "/addcompany Zeta Holdings",
        "/addcompany Zeta Pay | Zeta Holdings | payments",
        "/addcompany Zeta Mini | Zeta Pay",
        "/alias Zeta Pay | ZPay",
        "/addfact Zeta Pay | Alipay | payments | partial | 2025-03 | Zeta Pay takes Alipay in "
        "a pilot. | https://zeta.example.com/news | Zeta news | note: pilot in two cities",
    ]
    for step in steps:
        assert "⚠️" not in only_text(await h.send(step)), step
        await _assert_round_trip(h, files, tmp_path, step)
    fact_id = max(f.id for f in await h.interop.store.facts_involving(
        [c.id for c in await h.interop.store.companies()]))
    for step in (f"/addsource {fact_id} https://other.example.org/zeta Other",
                 f"/editfact {fact_id} status live", f"/editfact {fact_id} date 2025-04",
                 f"/verify {fact_id}", "/unalias Zeta Pay | ZPay"):
        assert "⚠️" not in only_text(await h.send(step)), step
        await _assert_round_trip(h, files, tmp_path, step)
    [ask] = sent(await h.send(f"/retract {fact_id}"))
    await h.press(ask, f"🗑 Retract #{fact_id}")
    await _assert_round_trip(h, files, tmp_path, "retract")
    # A parent edit (an import moving Zeta Mini under Zeta Holdings), then a new child of it.
    row = {"name": "Zeta Mini", "kind": "", "parent": "Zeta Holdings", "description": "",
           "aliases": []}
    [dry] = sent(await h.process(files.document(h, "move.json", doc_of([row]))))
    assert "1 updated companies" in dry.text.replace("0 new and ", ""), dry.text
    await h.press(dry, "✅ Apply import")
    assert "⚠️" not in only_text(await h.send("/addcompany Zeta Kid | Zeta Mini"))
    await _assert_round_trip(h, files, tmp_path, "parent-edit")
    # A parent edit that closes a loop: whatever the dry run offers, an admin would press it.
    loop = [{"name": "Zeta Holdings", "kind": "", "parent": "Zeta Kid", "description": "",
             "aliases": []}]
    [dry] = sent(await h.process(files.document(h, "loop.json", doc_of(loop))))
    for label, _ in dry.buttons:
        if label == "✅ Apply import":
            await h.press(dry, label)
    await _assert_round_trip(h, files, tmp_path, "loop")


# -- hostile files ---------------------------------------------------------------------------

NESTED = "[" * 100_000 + "]" * 100_000
GOOD_FACT = {"key": "ok-row", "subject": "JD.com", "object": "Cainiao", "kind": "logistics",
             "status": "live", "date": "2024-02", "summary": "A good row.",
             "sources": [{"url": "https://news.example.com/ok", "title": "T"}]}


def _zip(inner: bytes, *, compression: int = zipfile.ZIP_STORED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("x.json", inner)
    return bytearray(buffer.getvalue())


def encrypted_zip() -> bytes:
    data = _zip(doc_of())
    data[data.find(b"PK\x03\x04") + 6] |= 1  # the "encrypted" flag, in both headers
    data[data.find(b"PK\x01\x02") + 8] |= 1
    return bytes(data)


def unknown_method_zip() -> bytes:
    data = _zip(doc_of())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 8:local + 10] = struct.pack("<H", 77)
    data[central + 10:central + 12] = struct.pack("<H", 77)
    return bytes(data)


def corrupt_deflate_zip() -> bytes:
    data = _zip(doc_of() * 50, compression=zipfile.ZIP_DEFLATED)
    local = data.find(b"PK\x03\x04")
    start = local + 30 + struct.unpack("<H", data[local + 26:local + 28])[0]
    for i in range(start, start + 12):
        data[i] ^= 0xFF
    return bytes(data)


def deep_csv_cell() -> bytes:
    """One CSV row whose sources cell is JSON nested deeper than the parser goes (the csv module
    takes cells up to 128 KiB), and one good row."""
    header = "record,key,subject,object,kind,status,date,summary,sources\n"
    deep = "[" * 50_000 + "]" * 50_000
    good = '[{""url"": ""https://news.example.com/ok"", ""title"": ""T""}]'
    return (header + f'fact,deep-row,JD.com,Alipay,payments,live,2024-01,Deep,"{deep}"\n'
            f'fact,ok-row,JD.com,Cainiao,logistics,live,2024-02,A good row.,"{good}"\n').encode()


def surrogate_json() -> bytes:
    bad = {**GOOD_FACT, "key": "bad-row", "object": "Alipay", "kind": "payments",
           "summary": "broken \ud800 text"}
    return json.dumps({"format": "interop-bot/1", "companies": [],
                       "facts": [bad, GOOD_FACT]}).encode()  # json.dumps writes "\\ud800"


HOSTILE: list[tuple[str, bytes, str]] = [
    ("deep.json", ('{"companies": [], "facts": ' + NESTED + "}").encode(), "nested too deeply"),
    ("enc.zip", encrypted_zip(), "is encrypted"),
    ("method.zip", unknown_method_zip(), "compression method I can't read"),
    ("corrupt.zip", corrupt_deflate_zip(), "its compressed data does not unpack"),
]
ROW_LEVEL: list[tuple[str, bytes, str]] = [
    ("deep.csv", deep_csv_cell(), "row 2: a JSON list in the CSV is nested too deeply"),
    ("surrogate.json", surrogate_json(), "fact 1: summary holds a lone surrogate"),
]


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE, ids=[n for n, _, _ in HOSTILE])
async def test_hostile_files_get_one_clear_line_in_chat(h: Harness, caplog: pytest.LogCaptureFixture,
                                                        name: str, data: bytes, words: str) -> None:
    files = Files(h)
    before = await counts(h)
    with caplog.at_level(logging.WARNING):
        [reply] = sent(await h.process(files.document(h, name, data)))
    assert words in reply.text and reply.text.startswith("⚠️ I couldn't read"), reply.text
    assert reply.text.count("\n") == 0 and reply.buttons == []
    assert await counts(h) == before and no_error_reports(h)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


@pytest.mark.parametrize(("name", "data", "words"), ROW_LEVEL, ids=[n for n, _, _ in ROW_LEVEL])
async def test_a_hostile_row_fails_that_row_only(h: Harness, caplog: pytest.LogCaptureFixture,
                                                 name: str, data: bytes, words: str) -> None:
    files = Files(h)
    before = await counts(h)
    with caplog.at_level(logging.WARNING):
        [dry] = sent(await h.process(files.document(h, name, data)))
        assert "1 new" in dry.text and "1 rejected" in dry.text and words in dry.text, dry.text
        assert await counts(h) == before
        [applied] = sent(await h.press(dry, "✅ Apply import"))
    assert "Imported" in applied.text and words in applied.text
    assert (await counts(h))["facts"] == before["facts"] + 1
    assert no_error_reports(h)
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]


async def test_an_import_is_parsed_once_and_off_the_event_loop(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    files = Files(h)
    threads: list[str] = []
    original = dataset.parse_document

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(dataset, "parse_document", spy)
    data = doc_of(facts=[GOOD_FACT])
    [dry] = sent(await h.process(files.document(h, "one.json", data)))
    [applied] = sent(await h.press(dry, "✅ Apply import"))
    assert "Imported" in applied.text and "1 new" in applied.text
    assert len(threads) == 1 and threads[0] != threading.current_thread().name, threads


# -- the command line ------------------------------------------------------------------------


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(db)}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)


def _db_counts(db: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT (SELECT count(*) FROM company), (SELECT count(*) FROM fact), "
                            "(SELECT count(*) FROM audit)").fetchone()  # type: ignore[no-any-return]
    finally:
        conn.close()


def test_hostile_files_get_one_clear_line_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    empty = tmp_path / "empty.json"
    empty.write_bytes(doc_of())
    seeded = _cli(db, "import", str(empty))  # creates the database and loads the seed
    assert seeded.returncode == 0, seeded
    before = _db_counts(db)
    for name, data, words in HOSTILE:
        path = tmp_path / name
        path.write_bytes(data)
        for mode in (["--dry-run"], []):
            result = _cli(db, "import", str(path), *mode)
            assert result.returncode == 1 and result.stdout == "", (name, mode, result)
            assert result.stderr.startswith("interop-bot: ") and words in result.stderr, (name, result)
            assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert _db_counts(db) == before
    for name, data, words in ROW_LEVEL:
        path = tmp_path / name
        path.write_bytes(data)
        result = _cli(db, "import", str(path), "--dry-run")
        assert result.returncode == 1 and words in result.stdout and "1 new" in result.stdout, result
        assert "Traceback" not in result.stderr
    assert _db_counts(db) == before


# -- admin writes keep the data the linter accepts ---------------------------------------------


async def test_admin_writes_meet_the_linters_rules(h: Harness) -> None:
    """What the linter would refuse in a file, admins cannot write one command at a time either:
    so an export of their work always passes the import it goes back through."""
    line = ("/addfact JD.com | Alipay | payments | live | 2025-03 | JD takes Alipay again. "
            "| https://news.example.com/jd")
    text = only_text(await h.send(line))
    assert "Saved as fact #" in text, text
    fact_id = int(text.split("Saved as fact #", 1)[1].split(".", 1)[0])
    before = await counts(h)
    for command, words in [
        (f"/addsource {fact_id} https://freewechat.com/a/Mz/2247/{{{{href}}}}", "template placeholder"),
        (f"/addsource {fact_id} https://rp.liu233w.com:443/https/www.chinadaily.com.cn/a.html", "web proxy"),
        (f"/addsource {fact_id} https://localhost/page", "no valid host"),
        (f"/editfact {fact_id} status partial", "needs a note"),
        (line.replace("| live |", "| partial |").replace("again", "in a pilot"), "needs a note"),
    ]:
        reply = only_text(await h.send(command))
        assert words in reply and reply.startswith("⚠️"), (command, reply)
    assert await counts(h) == before
    reply = only_text(await h.send(f"/editfact {fact_id} note pilot in Beijing"))
    assert "⚠️" not in reply
    assert "⚠️" not in only_text(await h.send(f"/editfact {fact_id} status partial"))
    assert "needs a note" in only_text(await h.send(f"/editfact {fact_id} note -"))
