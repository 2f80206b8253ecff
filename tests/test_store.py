"""Store: schema, migrations, writes with audit, read-only and damaged files, backups."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.domain import Company, Conflict, Kind, NotFound, Source, Status, StorageError, ValidationError
from bot.store import SCHEMA_VERSION, FactDraft, Store
from tests.core import writer_execute


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    s = await Store.open(tmp_path / "t.sqlite3")
    yield s
    await s.close()


async def _pair(store: Store) -> tuple[Company, Company]:
    jd = await store.add_company(
        Company(id=0, name="JD.com", kind="marketplace", aliases=("JD", "京东")), "t")
    ali = await store.add_company(Company(id=0, name="Alipay", kind="payments"), "t")
    return jd, ali


def _draft(a: Company, b: Company, **kw: object) -> FactDraft:
    base: dict[str, object] = dict(subject_id=a.id, object_id=b.id, kind=Kind.PAYMENTS, status=Status.LIVE,
                                   date="2024-10", summary="JD.com accepts Alipay.",
                                   sources=(Source("https://example.com/a", "A title", "Pub"),))
    base.update(kw)
    return FactDraft(**base)  # type: ignore[arg-type]


async def test_schema_is_versioned_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    store = await Store.open(path)
    await store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"company", "alias", "fact", "source", "audit", "fact_fts", "admin_grant"} <= tables
    conn.close()
    # Re-opening runs no migration twice and keeps the version.
    store = await Store.open(path)
    assert (await store.counts())["companies"] == 0
    await store.close()


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this program"):
        await Store.open(path)


async def test_add_fact_roundtrip_keeps_sources_in_order_and_audits(store: Store) -> None:
    jd, ali = await _pair(store)
    sources = (Source("https://b.example/1", "First"), Source("https://a.example/2", "Second"))
    fact = await store.add_fact(_draft(jd, ali, sources=sources), "tg:1")
    assert fact.key == f"fact-{fact.id}"
    assert [s.url for s in fact.sources] == ["https://b.example/1", "https://a.example/2"]
    assert fact.created_by == "tg:1" and not fact.retracted
    history = await store.history("fact", fact.id)
    assert [(h.action, h.actor) for h in history] == [("add", "tg:1")]
    assert history[0].before is None and history[0].after["summary"] == "JD.com accepts Alipay."


async def test_duplicate_fact_is_refused_with_existing_id(store: Store) -> None:
    jd, ali = await _pair(store)
    fact = await store.add_fact(_draft(jd, ali), "t")
    with pytest.raises(Conflict) as err:
        await store.add_fact(_draft(jd, ali, summary="other words"), "t")
    assert err.value.existing_id == fact.id
    assert (await store.counts())["facts"] == 1


async def test_edit_retract_restore_are_audited_with_before_and_after(store: Store) -> None:
    jd, ali = await _pair(store)
    fact = await store.add_fact(_draft(jd, ali), "a")
    edited = await store.edit_fact(fact.id, {"status": Status.PARTIAL, "summary": "Rolling out."}, "b")
    assert edited.status is Status.PARTIAL and edited.updated_by == "b"
    await store.set_retracted(fact.id, True, "c")
    assert await store.recent(5) == []
    with pytest.raises(ValidationError, match="retracted"):
        await store.edit_fact(fact.id, {"summary": "x"}, "d")
    restored = await store.set_retracted(fact.id, False, "e")
    assert not restored.retracted
    history = await store.history("fact", fact.id)
    assert [h.action for h in history] == ["add", "edit", "retract", "restore"]
    edit = history[1]
    assert edit.before["status"] == "live" and edit.after["status"] == "partial"
    assert edit.before["summary"] == "JD.com accepts Alipay." and edit.actor == "b"


async def test_unknown_fact_and_source_rules(store: Store) -> None:
    jd, ali = await _pair(store)
    with pytest.raises(NotFound):
        await store.edit_fact(999, {"summary": "x"}, "t")
    fact = await store.add_fact(_draft(jd, ali), "t")
    more = await store.add_source(fact.id, Source("https://example.com/b", "B"), "t")
    assert [s.url for s in more.sources] == ["https://example.com/a", "https://example.com/b"]
    with pytest.raises(Conflict):
        await store.add_source(fact.id, Source("https://example.com/b"), "t")


async def test_fts_search_finds_summary_and_source_titles(store: Store) -> None:
    jd, ali = await _pair(store)
    await store.add_fact(_draft(jd, ali, summary="Gradual rollout of wallet payments.",
                                sources=(Source("https://x.example", "Walled gardens fall", "SCMP"),)), "t")
    assert len(await store.search("rollout")) == 1
    assert len(await store.search("walled gardens")) == 1  # source title
    assert len(await store.search("roll")) == 1  # prefix
    assert await store.search("nothing-like-this") == []
    assert await store.search('"; DROP TABLE fact; --') == []  # FTS syntax is neutralised


async def test_aliases_and_grants(store: Store) -> None:
    jd, _ = await _pair(store)
    updated = await store.set_aliases(jd.id, add=["Jingdong"], remove=["JD"], actor="t")
    assert updated.aliases == ("京东", "Jingdong")
    assert await store.set_grant(42, True, "owner") is True
    assert await store.set_grant(42, True, "owner") is False
    assert await store.is_granted(42)
    assert await store.set_grant(42, False, "owner") is True
    assert not await store.is_granted(42)
    assert [h.action for h in await store.history("admin", 42)] == ["grant", "revoke"]


async def test_readonly_database_reads_but_refuses_writes(store: Store) -> None:
    jd, ali = await _pair(store)
    await store.add_fact(_draft(jd, ali), "t")
    # Fault injection through SQLite itself: the writer now gets SQLITE_READONLY on every write.
    await writer_execute(store, "PRAGMA query_only = ON")
    with pytest.raises(StorageError, match="read-only"):
        await store.add_fact(_draft(jd, ali, date="2025"), "t")
    assert len(await store.recent(5)) == 1  # reads keep working
    await writer_execute(store, "PRAGMA query_only = OFF")
    assert (await store.add_fact(_draft(jd, ali, date="2025"), "t")).date == "2025"


async def test_full_disk_refuses_writes_cleanly_and_loses_nothing(store: Store) -> None:
    jd, ali = await _pair(store)
    before = await store.counts()
    [(pages,)] = await writer_execute(store, "PRAGMA page_count")
    await writer_execute(store, f"PRAGMA max_page_count = {pages}")
    big = "x" * 900
    with pytest.raises(StorageError, match="disk is full"):
        for n in range(200):
            await store.add_fact(_draft(jd, ali, date=f"{2000 + n % 25}", summary=f"{n} {big}",
                                        kind=list(Kind)[n // 25 % 7]), "t")
    after = await store.counts()
    # Every stored fact has exactly its audit row and its source: nothing half-written.
    assert after["audit"] - before["audit"] == after["facts"] == after["sources"]
    assert len(await store.recent(3)) == min(3, after["facts"])


async def test_damaged_file_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match=r"cannot open|damaged"):
        await Store.open(path)


async def test_backup_is_a_consistent_copy(store: Store, tmp_path: Path) -> None:
    jd, ali = await _pair(store)
    await store.add_fact(_draft(jd, ali), "t")
    target = await store.backup(tmp_path / "backups" / "b.sqlite3")
    copy = await Store.open(target)
    assert (await copy.counts())["facts"] == 1
    await copy.close()


async def test_unopenable_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="cannot open"):
        await Store.open(tmp_path / "missing-folder" / "db.sqlite3")


async def test_deferred_quick_check_still_catches_damage(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    store = await Store.open(path)
    jd, ali = await _pair(store)
    for year in range(2000, 2030):
        await store.add_fact(_draft(jd, ali, date=str(year), summary="x" * 500), "t")
    await store.close()
    # Damage a page in the middle of the file (not the header): opening still works...
    data = bytearray(path.read_bytes())
    page = 4096
    data[page * 3: page * 3 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    store = await Store.open(path, check=False)
    try:
        with pytest.raises(StorageError, match="damaged"):  # ...but the deferred check refuses it
            await store.quick_check()
    finally:
        await store.close()
    with pytest.raises(StorageError):
        await Store.open(path)


async def test_point_reads_match_threaded_reads_and_fall_back_when_busy(store: Store) -> None:
    jd, ali = await _pair(store)
    for year in ("2011", "2024-10", "2025-01-07"):
        await store.add_fact(_draft(jd, ali, date=year), "t")
    fast = await store.facts_between([jd.id], [ali.id])
    rows = await store._all("SELECT id FROM fact WHERE retracted = 0 ORDER BY date")
    assert [f.id for f in fast] == [r[0] for r in rows] and len(fast) == 3
    assert all(f.sources for f in fast)
    # A busy file (simulated: the point connection refuses) takes the threaded path, same answer.
    real = store._point
    store._point = sqlite3.connect(":memory:")  # no such tables: an OperationalError, like SQLITE_BUSY
    try:
        assert [f.id for f in await store.facts_between([ali.id], [jd.id])] == [f.id for f in fast]
    finally:
        store._point.close()
        store._point = real


async def test_data_version_moves_on_every_commit_from_anywhere(store: Store, tmp_path: Path) -> None:
    jd, ali = await _pair(store)
    seen = store.data_version()
    assert store.data_version() == seen  # stable while nothing is written
    await store.add_fact(_draft(jd, ali), "t")
    assert store.data_version() != seen
    seen = store.data_version()
    other = sqlite3.connect(store.path)  # another process or tool writing the same file
    other.execute("UPDATE company SET description = 'changed elsewhere' WHERE id = ?", (jd.id,))
    other.commit()
    other.close()
    assert store.data_version() != seen


# -- name keys, error classes, search -------------------------------------------------------


async def test_concurrent_aliases_one_wins_the_other_gets_a_conflict(store: Store) -> None:
    import asyncio

    jd, ali = await _pair(store)
    results = await asyncio.gather(store.set_aliases(jd.id, ["Zeta Pay"], [], "a"),
                                   store.set_aliases(ali.id, ["ZETA-PAY"], [], "b"),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Company", "Conflict"]
    [conflict] = [r for r in results if isinstance(r, Conflict)]
    assert "already used by JD.com" in str(conflict) and conflict.existing_id == jd.id


async def test_name_keys_span_company_names_and_aliases(store: Store) -> None:
    jd, ali = await _pair(store)
    with pytest.raises(Conflict, match=r"already used by JD\.com"):
        await store.add_company(Company(id=0, name="ＪＤ", kind=""), "t")  # full-width "JD"
    with pytest.raises(Conflict, match="already used by Alipay"):
        await store.set_aliases(jd.id, ["ali pay"], [], "t")
    # A company may hold two spellings with one key; removing one keeps the key for the other.
    await store.set_aliases(jd.id, ["J.D."], [], "t")
    await store.set_aliases(jd.id, [], ["JD"], "t")
    with pytest.raises(Conflict):
        await store.set_aliases(ali.id, ["jd"], [], "t")
    await store.set_aliases(jd.id, [], ["J.D."], "t")
    await store.set_aliases(jd.id, [], ["京东"], "t")
    assert (await store.set_aliases(ali.id, ["京东"], [], "t")).aliases == ("京东",)


async def test_migration_keeps_the_oldest_owner_of_a_duplicate_alias(tmp_path: Path) -> None:
    from bot.store import MIGRATIONS
    from bot.store.schema import split_sql

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in [s for step in MIGRATIONS[:2] for s in split_sql(step)]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.executescript("""
        INSERT INTO company (id, name) VALUES (1, 'JD.com'), (2, 'Alipay'), (3, 'Other');
        INSERT INTO alias (company_id, alias) VALUES (1, 'Zeta'), (2, 'zeta'), (3, 'jd com'), (2, 'Ali');
    """)
    conn.close()
    store = await Store.open(path)
    try:
        companies = {c.name: c.aliases for c in await store.companies()}
        assert companies == {"JD.com": ("Zeta",), "Alipay": ("Ali",), "Other": ()}
        removed = await store.history("company", 2) + await store.history("company", 3)
        assert sorted(e.before["aliases"][0] for e in removed if e.action == "unalias") == ["jd com", "zeta"]
        with pytest.raises(Conflict):
            await store.set_aliases(3, ["ZETA"], [], "t")
    finally:
        await store.close()


async def test_check_and_foreign_key_failures_are_validation_errors_not_duplicates(store: Store) -> None:
    jd, ali = await _pair(store)
    fact = await store.add_fact(_draft(jd, ali), "t")
    with pytest.raises(ValidationError, match="breaks its rules") as check:
        await store.edit_fact(fact.id, {"kind": "telepathy"}, "t")
    assert "duplicate" not in str(check.value)
    with pytest.raises(ValidationError, match="foreign key"):
        await store.edit_fact(fact.id, {"object_id": 9999}, "t")
    assert (await store.fact(fact.id)) == fact


def test_sqlite_errors_are_classified_by_code_not_text() -> None:
    from bot.store.errors import storage_error

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a INTEGER UNIQUE CHECK (a > 0))")
    conn.execute("INSERT INTO t VALUES (1)")
    errors = {}
    for name, sql in (("unique", "INSERT INTO t VALUES (1)"), ("check", "INSERT INTO t VALUES (-1)")):
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            errors[name] = storage_error(exc)
    assert isinstance(errors["unique"], Conflict)
    assert isinstance(errors["check"], ValidationError)
    odd = sqlite3.OperationalError("the table is full of busy locked readonly words")
    assert "busy" not in str(storage_error(odd)).split("(")[0]  # no code: not guessed from the text


async def test_search_finds_chinese_names_aliases_and_short_terms(store: Store) -> None:
    jd, ali = await _pair(store)
    await store.set_aliases(ali.id, ["支付宝"], [], "t")
    wechat = await store.add_company(Company(id=0, name="WeChat Pay", kind="payments"), "t")
    pay_fact = await store.add_fact(_draft(jd, ali, summary_zh="京东接入支付宝付款。"), "t")
    other = await store.add_fact(_draft(jd, wechat, summary="Repayments on the JD mall.",
                                        sources=(Source("https://example.com/b", "B"),)), "t")
    assert [f.id for f in await store.search("支付宝")] == [pay_fact.id]  # via the alias
    assert [f.id for f in await store.search("付款")] == [pay_fact.id]  # 2 characters, in summary_zh
    assert {f.id for f in await store.search("京东")} == {pay_fact.id, other.id}  # alias of JD.com
    assert [f.id for f in await store.search("does it accept alipay")] == [pay_fact.id]  # stop-words
    assert [f.id for f in await store.search("pay")] == [other.id]  # "WeChat Pay", not "Alipay"
    assert [f.id for f in await store.search("payments on jd")] == []  # whole words before the last
    assert [f.id for f in await store.search("repay")] == [other.id]  # the last term is a prefix
    assert await store.search("the of and") == []


async def test_read_and_write_run_a_function_on_the_stores_own_threads(store: Store) -> None:
    """The two ways in: ``read(fn)`` on a reader thread's read-only connection, ``write(fn)``
    on the one writer thread as one transaction (all of it or none), in the caller's context."""
    import contextvars
    import threading

    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="")
    where.set("asker")

    def add_two(conn: sqlite3.Connection, name: str) -> tuple[str, str, bool]:
        conn.execute("INSERT INTO chat_setting (chat_id, language, updated_by, updated_at) "
                     "VALUES (1, ?, 't', '')", (name,))
        conn.execute("INSERT INTO chat_setting (chat_id, language, updated_by, updated_at) "
                     "VALUES (2, ?, 't', '')", (name,))
        return threading.current_thread().name, where.get(), conn.in_transaction

    def languages(conn: sqlite3.Connection) -> tuple[str, list[tuple[int, str]]]:
        rows = conn.execute("SELECT chat_id, language FROM chat_setting ORDER BY chat_id").fetchall()
        return threading.current_thread().name, rows

    thread, context, in_transaction = await store.write(add_two, "zh")
    assert thread.startswith("store-writer") and context == "asker" and in_transaction
    thread, rows = await store.read(languages)
    assert thread.startswith("store-reader") and rows == [(1, "zh"), (2, "zh")]

    def half(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE chat_setting SET language = 'en' WHERE chat_id = 1")
        raise ValueError("stop halfway")

    with pytest.raises(ValueError, match="halfway"):
        await store.write(half)
    assert (await store.read(languages))[1] == [(1, "zh"), (2, "zh")]  # rolled back whole

    def sneak(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM chat_setting")

    with pytest.raises(sqlite3.OperationalError):  # a reader cannot write
        await store.read(sneak)
