"""Reliability of the running bot: concurrent load, storage faults, config errors, backups.

Core-level faults (kill -9 mid-import, a damaged file, backup rotation and restore, parser
properties) live in tests/test_reliability_core.py; this file drives the real Application built
by tests/tg.py against a real SQLite file, and the real CLI in a subprocess.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ContextTypes, Job

from bot.backups import PREFIX, SUFFIX
from bot.config import PROJECT_ROOT
from bot.telegram.app import BACKUP_JOB, BACKUP_TIME, hold_jobs
from bot.telegram.context import BotContext
from bot.texts import t
from tests.core import exclusive_writes, writer_execute
from tests.tg import ADMIN, GROUP, OTHER, TOKEN, USER, Call, Harness, make_app

# The harness does not start the JobQueue in most tests, so the form's timeout is not scheduled.
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")

BOT = "@InteropTestBot"
ADMINS = [dict(ADMIN), {**ADMIN, "id": 43, "username": "owner2"}, {**ADMIN, "id": 44, "username": "owner3"}]
ADMIN_GROUP_CHAT = {"id": -5009, "type": "supergroup", "title": "Editors"}
READER_GROUPS = [{"id": -5001 - i, "type": "group", "title": f"Readers {i}"} for i in range(4)]
PAIRS = [("Temu", "Threads"), ("BirdyChat", "Haiket"), ("Bluesky", "A New Social"), ("WhatsApp", "iPhone")]
KINDS = ["payments", "logistics", "messaging", "login", "content", "other"]
STATUSES = ["live", "partial", "announced", "ended"]
ALIASED = ["Temu", "Threads", "BirdyChat", "Haiket", "Bluesky"]
PROBE = re.compile(r"zqprobe(\d+)\b")


def texts_of(call: Call) -> list[str]:
    """The HTML a user sees from one call: a message, or every inline result's message."""
    if call.method == "answerInlineQuery":
        return [r["input_message_content"]["message_text"] for r in call.params.get("results", [])
                if "input_message_content" in r]
    return [call.text]


# -- 1. concurrency ------------------------------------------------------------------------------


def workload(h: Harness) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """500 update payloads: reads from 60 users in private chats and 4 groups, inline queries, and
    90 admin writes from 3 owners (/addfact, /alias, /editfact), shuffled together."""
    writes: list[dict[str, Any]] = []
    for i in range(60):
        subject, obj = PAIRS[i % len(PAIRS)]
        line = (f"/addfact {subject} | {obj} | {KINDS[i % len(KINDS)]} | {STATUSES[i % len(STATUSES)]} | "
                f"{2000 + i // 12}-{i % 12 + 1:02d} | Load probe zqprobe{i} summary. | "
                f"https://example.com/p/{i} | Probe {i} | note: load probe")
        admin = ADMINS[i % 3]
        chat = ADMIN_GROUP_CHAT if admin["id"] == 44 else None
        writes.append(h.updates.message(line, user=admin, chat=chat))
    for i in range(10):
        writes.append(h.updates.message(f"/alias {ALIASED[i % len(ALIASED)]} zqalias{i}", user=ADMINS[i % 3]))
    for i in range(20):
        writes.append(h.updates.message(f"/editfact {1 + i % 10} confidence load-{i}",
                                        user=ADMINS[(i + 1) % 3]))
    reads: list[dict[str, Any]] = []
    questions = ["/check jd alipay", "/check temu threads", "/company temu", "/search zqprobe",
                 "does jd accept alipay?", "birdychat haiket", "/check bluesky a new social",
                 "/search walled gardens"]
    for i in range(410):
        reader = {"id": 2000 + i % 60, "is_bot": False, "first_name": f"Reader{i % 60}"}
        if i % 5 == 4:
            reads.append(h.updates.inline(["temu threads", "jd alipay", "zqprobe"][i % 3], user=reader))
            continue
        text = questions[i % len(questions)]
        if i % 3 == 0:  # in a group: commands as they are, questions addressed to the bot
            chat = READER_GROUPS[i % len(READER_GROUPS)]
            reads.append(h.updates.message(text if text.startswith("/") else f"{BOT} {text}",
                                           user=reader, chat=chat))
        else:
            reads.append(h.updates.message(text, user=reader))
    payloads = writes + reads
    random.Random(7).shuffle(payloads)
    return payloads, {"addfact": 60, "alias": 10, "editfact": 20, "reads": len(reads),
                      "inline": sum(1 for p in reads if "inline_query" in p)}


async def test_500_concurrent_updates_lose_no_write_and_show_no_half_written_fact(tmp_path: Path) -> None:
    async with make_app(tmp_path, admin_ids={a["id"] for a in ADMINS}) as h:
        h.rec.clear()
        app, store = h.app, h.interop.store
        # The application as built (PerChatOrder included), the rate limiter off as in every test.
        errors: list[BaseException | None] = []

        async def record_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            errors.append(context.error)

        app.add_error_handler(record_error)
        concurrency: list[int] = []
        h.rec.on("sendMessage", lambda call: concurrency.append(
            app.update_processor.current_concurrent_updates))
        before = await store.counts()
        (audit_before,) = (await store._all("SELECT coalesce(max(id), 0) FROM audit"))[0]
        payloads, plan = workload(h)
        assert len(payloads) == 500

        done = asyncio.Event()
        snapshots = {"n": 0, "max_facts": 0}

        async def watch() -> None:
            """A reader on the store's own pool, racing the writers: never half a fact."""
            while not done.is_set():
                rows = await store._all(
                    "SELECT f.id, (SELECT count(*) FROM source s WHERE s.fact_id = f.id), "
                    "(SELECT count(*) FROM audit a WHERE a.entity = 'fact' AND a.entity_id = f.id) "
                    "FROM fact f")
                half = [r for r in rows if r[1] < 1 or r[2] < 1]
                assert not half, f"facts without a source or an audit row: {half}"
                assert len(rows) >= snapshots["max_facts"]  # a later read never sees fewer facts
                snapshots["max_facts"] = len(rows)
                snapshots["n"] += 1
                await asyncio.sleep(0)

        watcher = asyncio.create_task(watch())
        await app.start()
        try:
            for payload in payloads:
                app.update_queue.put_nowait(Update.de_json(payload, app.bot))
            await asyncio.wait_for(app.update_queue.join(), timeout=60)
        finally:
            done.set()
            await app.stop()
        await asyncio.wait_for(watcher, timeout=10)

        # Nothing failed: no error handler call, no "busy"/"locked"/"went wrong" reply, no rejected call.
        assert errors == []
        assert h.rec.rejected == []
        answers = [c for c in h.rec.calls if c.method in {"sendMessage", "answerInlineQuery"}]
        assert len(answers) == 500  # every update got exactly one answer
        assert len([c for c in answers if c.method == "answerInlineQuery"]) == plan["inline"]
        for call in answers:
            for text in texts_of(call):
                assert t("error.generic") not in text
                assert "database is locked" not in text and "database is busy" not in text
                assert "asking very fast" not in text  # no reader went over the rate limit
        assert max(concurrency) > 1  # the updates really ran side by side

        # No write lost: counts and audit rows match exactly what was sent.
        after = await store.counts()
        assert after["facts"] == before["facts"] + plan["addfact"]
        assert after["sources"] == before["sources"] + plan["addfact"]
        assert after["aliases"] == before["aliases"] + plan["alias"]
        assert after["audit"] == before["audit"] + plan["addfact"] + plan["alias"] + plan["editfact"]
        actions = dict(await store._all("SELECT action, count(*) FROM audit WHERE id > ? GROUP BY action",
                                        (audit_before,)))
        assert actions == {"add": plan["addfact"], "alias": plan["alias"], "edit": plan["editfact"]}
        admin_chats = {a["id"] for a in ADMINS} | {ADMIN_GROUP_CHAT["id"]}
        replies = [c.text for c in answers if c.chat_id in admin_chats]
        saved = {int(m) for text in replies for m in re.findall(r"Saved as fact #(\d+)", text)}
        assert len(saved) == plan["addfact"]
        assert sum("is now also called" in text for text in replies) == plan["alias"]
        assert sum("confidence changed" in text for text in replies) == plan["editfact"]
        for fact_id in saved:
            fact = await store.fact(fact_id)
            assert fact is not None and len(fact.sources) == 1
            assert [e.action for e in await store.history("fact", fact_id)] == ["add"]
        for fact_id in range(1, 11):  # two edits each, none overwritten by a concurrent one
            assert [e.action for e in await store.history("fact", fact_id)].count("edit") == 2

        # Readers never rendered half a fact: a probe summary always comes with its own source.
        # During the burst, whether a read lands after a write is up to the scheduler; the read
        # after it is not, so the check can never pass vacuously.
        def probes_with_sources(calls: list[Any]) -> int:
            seen = 0
            for call in calls:
                if call.chat_id in admin_chats:
                    continue
                for text in texts_of(call):
                    for line in text.splitlines():
                        for n in PROBE.findall(line):
                            seen += 1
                            assert f"https://example.com/p/{n}" in line, line
            return seen

        probes_with_sources(answers)
        late_reader = {"id": 2999, "is_bot": False, "first_name": "Late"}
        after_burst = await h.send("/search zqprobe", user=late_reader)
        assert probes_with_sources(after_burst) > 0 and snapshots["n"] > 0


# -- 2. storage faults ---------------------------------------------------------------------------

WRITES = [
    "/addfact Temu | Threads | content | announced | 2021-03 | A fault probe. | https://example.com/f | F",
    "/editfact 1 confidence low",
    "/alias Temu Temutest",
    "/addcompany Fault Probe Co",
]


async def fill_until_full(h: Harness) -> None:
    """Cap the file at its current size, then fill what free room is left, so any write needs a page."""
    store = h.interop.store
    async with exclusive_writes(store):
        await writer_execute(store, "PRAGMA max_page_count = 1")  # = the current page count
        for size in (4000, 1000, 200, 50, 10):
            while True:
                try:
                    await writer_execute(
                        store, "INSERT INTO audit (at, actor, action, entity, after) VALUES ('', 'fill', "
                        "'fill', 'fill', ?)", ("x" * size,))
                except sqlite3.OperationalError as exc:
                    assert "full" in str(exc)
                    break


async def snapshot(h: Harness) -> tuple[dict[str, int], list[Any]]:
    store = h.interop.store
    return await store.counts(), await store._all("SELECT * FROM audit ORDER BY id")


@pytest.mark.parametrize(("fault", "expected"), [
    ("read-only", "read-only right now, so nothing was saved"),
    ("disk full", "disk is full, so nothing was saved"),
])
async def test_storage_faults_reach_admins_clearly_and_reads_go_on(tmp_path: Path, fault: str,
                                                                   expected: str) -> None:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as h:
        h.rec.clear()
        store = h.interop.store
        if fault == "read-only":
            await writer_execute(store, "PRAGMA query_only = ON")
        else:
            await fill_until_full(h)
        before = await snapshot(h)
        for command in WRITES:
            [reply] = [c for c in await h.send(command, user=ADMIN) if c.method == "sendMessage"]
            assert expected in reply.text, (command, reply.text)
            assert t("error.generic") not in reply.text
        assert await snapshot(h) == before  # nothing written, not even half
        # The index did not take in what the store refused.
        assert "Fault Probe Co" not in [c.name for c in await store.companies()]
        [answer] = await h.send("/check jd alipay", user=USER)
        assert "JD.com" in answer.text and "Alipay" in answer.text
        [answer] = await h.send("/company temu", user=USER, chat=GROUP)
        assert "Temu" in answer.text

        # Once the fault is gone, the same write goes through.
        await writer_execute(store, "PRAGMA query_only = OFF")
        await writer_execute(store, "PRAGMA max_page_count = 1073741823")
        [reply] = [c for c in await h.send(WRITES[0], user=ADMIN) if c.method == "sendMessage"]
        assert "Saved as fact #" in reply.text


# -- 3. configuration errors at the command line ---------------------------------------------------


def run_check_config(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env.update({"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "ok.sqlite3"),
                "ADMIN_IDS": "42", "WEBHOOK_URL": "", "WEBHOOK_SECRET": "", "BACKUP_DIR": "",
                "PYTHONPATH": str(PROJECT_ROOT)})
    env.update(overrides)
    return subprocess.run([sys.executable, "-m", "bot", "check-config"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)


def bad_inputs(tmp_path: Path) -> list[tuple[str, dict[str, str]]]:
    plain_file = tmp_path / "plain.txt"
    plain_file.write_text("not a folder")
    return [
        ("TELEGRAM_BOT_TOKEN", {"TELEGRAM_BOT_TOKEN": "not-a-token"}),
        ("TELEGRAM_BOT_TOKEN", {"TELEGRAM_BOT_TOKEN": "123456:short"}),
        ("DATABASE_PATH", {"DATABASE_PATH": str(plain_file / "interop.sqlite3")}),
        ("DATABASE_PATH", {"DATABASE_PATH": str(tmp_path)}),
        ("ADMIN_IDS", {"ADMIN_IDS": "42, @owner"}),
        ("ADMIN_IDS", {"ADMIN_IDS": "42;43x"}),
        ("WEBHOOK_URL", {"WEBHOOK_URL": "http://bot.example.com/hook", "WEBHOOK_SECRET": "s3cret"}),
        ("WEBHOOK_URL", {"WEBHOOK_URL": "bot.example.com/hook", "WEBHOOK_SECRET": "s3cret"}),
    ]


def test_config_errors_are_one_line_naming_the_setting(tmp_path: Path) -> None:
    good = run_check_config(tmp_path)
    assert good.returncode == 0 and good.stdout.startswith("OK: polling mode"), good.stderr
    for setting, env in bad_inputs(tmp_path):
        result = run_check_config(tmp_path, **env)
        assert result.returncode != 0, (setting, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (setting, result.stderr)
        assert setting in lines[0] and "Traceback" not in result.stderr, (setting, result.stderr)
        assert result.stdout == ""
        assert TOKEN not in result.stderr


# -- 4. backups ----------------------------------------------------------------------------------


def run_job(h: Harness, job: Job[Any]) -> Any:
    context = BotContext.from_job(job, h.app)
    return job.callback(context)


async def test_daily_backup_job_writes_and_rotates(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(1, 5):  # older backups, named the way write_backup names them
        (folder / f"{PREFIX}2020010{day}-031700{SUFFIX}").write_bytes(b"old")
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, backup_dir=folder, backup_keep=3) as h:
        [job] = h.app.job_queue.get_jobs_by_name(BACKUP_JOB)  # type: ignore[union-attr]
        assert job.name == BACKUP_JOB
        assert f"hour='{BACKUP_TIME.hour}', minute='{BACKUP_TIME.minute}'" in str(job.trigger)  # daily
        await run_job(h, job)
        kept = sorted(p.name for p in folder.iterdir())
        assert len(kept) == 3 and kept[:2] == [f"{PREFIX}20200103-031700{SUFFIX}",
                                               f"{PREFIX}20200104-031700{SUFFIX}"]
        newest = folder / kept[-1]
        facts = (await h.interop.store.counts())["facts"]
        with sqlite3.connect(newest) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT count(*) FROM fact WHERE retracted = 0").fetchone() == (facts,)
        assert not list(folder.glob("*.part"))


async def test_failed_backup_job_is_logged_and_reported_not_raised(tmp_path: Path,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    async with make_app(tmp_path, backup_dir=not_a_folder, error_chat_id=-100777) as h:
        h.rec.clear()
        [job] = h.app.job_queue.get_jobs_by_name(BACKUP_JOB)  # type: ignore[union-attr]
        await run_job(h, job)  # does not raise
    assert any("Scheduled backup into" in r.getMessage() and r.exc_info for r in caplog.records)
    [report] = h.rec.of("sendMessage")
    assert report.chat_id == -100777 and "backup failed" in report.text


async def test_no_backup_job_without_backup_dir(tg: Harness) -> None:
    assert tg.app.job_queue is not None and tg.app.job_queue.get_jobs_by_name(BACKUP_JOB) == ()


async def test_backup_command_is_for_owners_and_sends_the_live_database(tmp_path: Path) -> None:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as h:
        await h.interop.store.set_grant(OTHER["id"], True, "test")
        documents: list[bytes] = []
        original = h.rec.do_request

        async def do_request(url: str, method: str, request_data: Any = None, *args: Any,
                             **kwargs: Any) -> tuple[int, bytes]:
            if url.endswith("/sendDocument") and request_data is not None:
                documents.extend(part[1] for part in (request_data.multipart_data or {}).values())
            return await original(url, method, request_data, *args, **kwargs)

        h.rec.do_request = do_request  # type: ignore[method-assign]
        h.rec.clear()
        assert "owners only" in (await h.send("/backup", user=OTHER))[0].text  # a granted admin
        assert "admins only" in (await h.send("/backup", user=USER))[0].text
        assert "admins only" in (await h.send("/backup", user=USER, chat=GROUP))[0].text
        assert not h.rec.of("sendDocument") and not documents
        await h.send("/backup", user=ADMIN)
        assert len(h.rec.of("sendDocument")) == 1
        [data] = documents
        copy = tmp_path / "received.sqlite3"
        with zipfile.ZipFile(io.BytesIO(data)) as archive:  # zipped: Telegram's 50 MB upload limit
            [member] = archive.namelist()
            copy.write_bytes(archive.read(member))
        counts = await h.interop.store.counts()
        with sqlite3.connect(copy) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert db.execute("SELECT count(*) FROM fact").fetchone() == (counts["facts_all"],)
            assert db.execute("SELECT count(*) FROM audit").fetchone() == (counts["audit"],)


async def test_a_stop_starts_no_job_run_and_cancels_none(tmp_path: Path) -> None:
    """The stop signal holds the JobQueue first: a run due while PTB waits for the running ones
    would start, and APScheduler's shutdown would cancel it halfway (a traceback in the log)."""
    runs: list[float] = []
    cancelled: list[float] = []

    async def job(context: BotContext) -> None:
        runs.append(asyncio.get_running_loop().time())
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            cancelled.append(runs[-1])
            raise

    async with make_app(tmp_path) as h:
        assert h.app.job_queue is not None
        await h.app.start()
        h.app.job_queue.run_repeating(job, 0.01, first=0, job_kwargs={"max_instances": 2})
        for _ in range(100):
            if len(runs) >= 2:
                break
            await asyncio.sleep(0.01)
        hold_jobs(h.app)
        held = len(runs)
        await asyncio.sleep(0.1)  # several runs were due meanwhile
        assert len(runs) == held
        await h.app.stop()
    assert held >= 2 and cancelled == []
