"""Reliability of the core: crashes mid-import, damaged files, backups and restores, hostile input."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import dataset
from bot.backups import write_backup
from bot.config import SEED_PATH
from bot.domain import InteropError, InvalidValue, Kind, Status, parse_fact_date
from bot.rules import clean_url
from bot.startup import open_interop
from bot.store import Store
from tests.core import check_text

ROOT = Path(__file__).resolve().parents[1]


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env["DATABASE_PATH"] = str(db)
    return env


def _big_import(path: Path, n: int) -> None:
    companies = [{"name": f"Company {i}", "aliases": [f"Alias {i}"]} for i in range(2000)]
    facts = [{"key": f"bulk-{i}", "subject": f"Company {i % 2000}", "object": f"Company {(i * 7 + 1) % 2000}",
              "kind": "payments", "status": "live", "date": f"{2000 + i % 25}-{1 + i % 12:02d}",
              "summary": f"Bulk fact {i} with some words to index.",
              "sources": [{"url": f"https://example.com/{i}", "title": f"Title {i}"}]}
             for i in range(n) if i % 2000 != (i * 7 + 1) % 2000]
    path.write_text(json.dumps({"format": "interop-bot/1", "companies": companies, "facts": facts}))


def test_kill_9_during_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite3"
    # Any command that opens the store creates and seeds it (check-config is read-only).
    subprocess.run([sys.executable, "-m", "bot", "export", str(tmp_path / "seeded.json")], env=_env(db),
                   cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    before = sqlite3.connect(db).execute("SELECT count(*) FROM fact").fetchone()[0]
    big = tmp_path / "big.json"
    _big_import(big, 150_000)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "import", str(big)], env=_env(db), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wal = db.with_name(db.name + "-wal")
    deadline = time.monotonic() + 60
    # Wait until the import is visibly writing inside its transaction, then pull the plug.
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 2_000_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    after = conn.execute("SELECT count(*) FROM fact").fetchone()[0]
    audit_bulk = conn.execute("SELECT count(*) FROM audit WHERE actor = 'cli'").fetchone()[0]
    conn.close()
    assert after == before and audit_bulk == 0  # fully before: the one transaction never committed
    check = subprocess.run([sys.executable, "-m", "bot", "check-config"], env=_env(db), cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "OK" in check.stdout


def test_cli_export_streams_json_csv_and_zip_that_import_takes_back(tmp_path: Path) -> None:
    """``python -m bot export FILE`` picks the format by suffix and writes only FILE (streamed)."""
    import zipfile

    db = tmp_path / "cli.sqlite3"
    out = tmp_path / "out"
    out.mkdir()
    for name in ("all.json", "all.csv", "all.zip"):
        done = subprocess.run([sys.executable, "-m", "bot", "export", str(out / name)], env=_env(db),
                              cwd=ROOT, check=True, capture_output=True, text=True, timeout=60)
        assert done.stdout.startswith("Exported ") and str(out / name) in done.stdout, done.stdout
    assert sorted(p.name for p in out.iterdir()) == ["all.csv", "all.json", "all.zip"]
    facts = sqlite3.connect(db).execute("SELECT count(*) FROM fact").fetchone()[0]
    assert len(json.loads((out / "all.json").read_text(encoding="utf-8"))["facts"]) == facts
    assert (out / "all.csv").read_text(encoding="utf-8").startswith("record,")
    with zipfile.ZipFile(out / "all.zip") as archive:
        assert sorted(n.rsplit(".", 1)[-1] for n in archive.namelist()) == ["csv", "json"]
    again = subprocess.run([sys.executable, "-m", "bot", "import", "--dry-run", str(out / "all.csv")],
                           env=_env(db), cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stdout + again.stderr


async def test_cli_export_builds_no_name_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At 100k companies the name index is most of a process's memory, and an export reads
    records, answering no question: it opens the store alone (seeded on a first start)."""
    from bot.__main__ import _export
    from bot.config import Settings
    from bot.names.resolver import Resolver

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("export built the name index")

    monkeypatch.setattr(Resolver, "bulk_index", refuse)
    settings = Settings(token="", database_path=tmp_path / "fresh.sqlite3", seed_path=SEED_PATH)
    assert await _export(settings, tmp_path / "all.json") == 0
    exported = json.loads((tmp_path / "all.json").read_text(encoding="utf-8"))
    assert len(exported["facts"]) == len(json.loads(SEED_PATH.read_text(encoding="utf-8"))["facts"])


def test_damaged_database_exits_non_zero_with_a_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "bad.sqlite3"
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    result = subprocess.run([sys.executable, "-m", "bot", "console"], env=_env(db), cwd=ROOT,
                            input="/check jd alipay\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "database" in result.stderr.splitlines()[-1]


async def test_backups_rotate_and_restore(tmp_path: Path) -> None:
    interop = await open_interop(tmp_path / "live.sqlite3", seed=SEED_PATH)
    folder = tmp_path / "backups"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for day in range(5):
        await write_backup(interop.store, folder, keep=3, now=start + timedelta(days=day))
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == ["interop-20260103-000000.sqlite3", "interop-20260104-000000.sqlite3",
                    "interop-20260105-000000.sqlite3"]
    expected = await interop.store.counts()
    await interop.close()
    # Restore as the README says: replace the file, start again.
    live = tmp_path / "live.sqlite3"
    for extra in (live.with_name(live.name + "-wal"), live.with_name(live.name + "-shm")):
        extra.unlink(missing_ok=True)
    live.write_bytes((folder / kept[-1]).read_bytes())
    restored = await open_interop(live, seed=SEED_PATH)
    assert await restored.store.counts() == expected
    assert (await check_text(restored, "jd alipay")) is not None
    await restored.close()


# -- property tests: every parser returns a valid value or raises the project's own error ----------

@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_date_parser_total(text: str) -> None:
    try:
        value = parse_fact_date(text)
    except InteropError:
        return
    assert value == "" or value[:4].isdigit()


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.from_regex(r"(https?|javascript|data|ftp):[/\w.%?=&#:@-]{0,60}")))
def test_url_validation_total(text: str) -> None:
    try:
        url = clean_url(text)
    except InteropError:
        return
    assert url.lower().startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_kind_and_status_parsers_total(text: str) -> None:
    for enum in (Kind, Status):
        try:
            value = enum.parse(text)
        except InvalidValue as exc:
            assert exc.allowed == [member.value for member in enum]  # the reply can list them
            continue
        assert value in set(enum)


_json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=30),
                            lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.binary(max_size=300), _json_values.map(lambda v: json.dumps(v).encode()),
                 st.fixed_dictionaries({"companies": st.lists(_json_values, max_size=3),
                                        "facts": st.lists(_json_values, max_size=3)}
                                       ).map(lambda v: json.dumps(v).encode())),
       st.sampled_from(["x.json", "x.csv", "x.txt"]))
def test_import_parser_total(data: bytes, name: str) -> None:
    try:
        doc = dataset.parse_document(name, data)
    except InteropError:
        return
    assert isinstance(doc, dict)


async def test_import_of_arbitrary_rows_rejects_cleanly(tmp_path: Path) -> None:
    """Rows of any shape are rejected one by one with a reason; nothing else blows up."""
    store = await Store.open(tmp_path / "p.sqlite3")
    odd_rows = [None, 1, "x", [], {"name": None}, {"name": ["a"]}, {"name": "A", "aliases": "b"},
                {"name": "B", "parent": "Nope"}, {"name": "\u200b\u200b"}, {"name": "x" * 500}]
    odd_facts = [None, {}, {"subject": "A"}, {"subject": 1, "object": 2, "kind": None, "sources": "s"},
                 {"subject": "A", "object": "A", "kind": "other", "status": "live", "summary": "s",
                  "sources": [{"url": "https://e.com"}]},
                 {"subject": "A", "object": "B", "kind": "other", "status": "live", "summary": "s",
                  "date": "2024-02-30", "sources": [{"url": "https://e.com"}, {"url": "https://e.com"}]}]
    try:
        report = await dataset.import_document(store, {"companies": odd_rows, "facts": odd_facts}, "t",
                                               dry_run=False)
        assert report.new == 0 and report.new_companies == 0
        assert len(report.rejected) == len(odd_rows) + len(odd_facts)
        assert all(reason for _, reason in report.rejected)
    finally:
        await store.close()


@pytest.mark.parametrize("text", [
    "\u202eilapila dj\u202c",  # RTL override
    "j\u200bd a\u200dlipay",  # zero-width characters
    "🛒 jd 💳 alipay 🎉",
    "jd\u0301 ali\u0308pay",  # combining marks
    "ｊｄ　ａｌｉｐａｙ",  # full-width
    "x" * 4096,
    "شبكة واتساب",
])
async def test_unicode_edge_cases_get_answers(tmp_path: Path, text: str) -> None:
    from bot.console import answer_line

    interop = await open_interop(tmp_path / "u.sqlite3", seed=SEED_PATH)
    try:
        for line in (text, f"/check {text}", f"/company {text}", f"/search {text}"):
            reply = await answer_line(interop, line)
            assert reply.strip()
    finally:
        await interop.close()


# -- admin one-line parsers: valid result or the project's own error, never anything else -----------

_PIECES = st.one_of(
    st.sampled_from(["JD.com", "alipay", "京东", "taobao", "Amazon", "<b>x</b>", "", " ", "&amp;", "\u202e",
                     "payments", "logistics", "shopping", "live", "ended", "maybe", "2024-10", "2024-13",
                     "2999", "https://example.com/a", "javascript:alert(1)", "data:text/html,x", "|", "#12"]),
    st.text(max_size=30),
)
_LINES = st.lists(_PIECES, min_size=0, max_size=10).map(" | ".join) | st.text(max_size=200)


@pytest.fixture(scope="module")
def seeded_editor(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import asyncio

    from bot.admin import Editor

    loop = asyncio.new_event_loop()
    interop = loop.run_until_complete(
        open_interop(tmp_path_factory.mktemp("editor") / "e.sqlite3", seed=SEED_PATH))
    yield Editor(interop, owners=[1])
    loop.run_until_complete(interop.close())
    loop.close()


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_addfact_line_parsing_and_validation_total(seeded_editor: Any, line: str) -> None:
    from bot.admin import parse_fact_line

    try:
        draft = seeded_editor.draft(parse_fact_line(line))
    except InteropError as exc:
        assert str(exc)  # a message the reply can show
        return
    assert draft.subject_id != draft.object_id
    assert draft.sources and draft.sources[0].url.startswith(("http://", "https://"))
    assert 0 < len(draft.summary) <= 1000
    assert draft.kind in set(Kind) and draft.status in set(Status)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.sampled_from(["fact_id", "user_id", "addsource", "edit", "company"]))
def test_other_admin_parsers_total(text: str, which: str) -> None:
    from bot import admin

    parser = {"fact_id": admin.parse_fact_id, "user_id": admin.parse_user_id,
              "addsource": admin.parse_addsource, "edit": admin.parse_edit,
              "company": admin.parse_company_line}[which]
    try:
        result = parser(text)
    except InteropError as exc:
        assert str(exc)
        return
    if which in {"fact_id", "user_id"}:
        assert isinstance(result, int) and result > 0
    elif which == "company":
        assert result[0].strip()
    else:
        assert isinstance(result[0], int) and result[0] > 0 and result[1]
