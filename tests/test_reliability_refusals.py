"""Reliability when Telegram or the database says no: digests too long for one message, inline
answers Telegram would refuse, expected Bot API refusals, the operator's error reports under a
flood, a database another process holds locked, and how long a sent notification stays unsettled.

Everything runs through the real Application (tests/tg.py) on a real SQLite file; the recorder
refuses what Telegram refuses (a text over 4096 UTF-16 units, a repeated inline result id).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.domain import Company
from bot.render import visible_len
from bot.store import Writer
from bot.telegram import errors
from bot.telegram.context import BotContext
from bot.telegram.follow import DeliveryState, deliver, delivery_job
from bot.telegram.persistence import SQLitePersistence
from bot.texts import t
from tests.tg import ADMIN, OTHER, USER, Call, Harness, make_app, visible

# The harness does not start the JobQueue, so the form's timeout is not scheduled.
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")

ERROR_CHAT = -100777
LONG = ("Ünïcode Holdings 🚀🌏🛰️ 国际控股集团 with an extraordinarily long registered trading name, "
        "as filed in the register 📈📈")
"""A company name that is long in UTF-16 units: the rocket counts 2, as Telegram counts it."""


def rows(h: Harness, sql: str) -> list[Any]:
    with sqlite3.connect(h.settings.database_path) as db:
        return db.execute(sql).fetchall()


def reports(h: Harness) -> list[Call]:
    return [c for c in h.rec.calls if c.method == "sendMessage" and c.chat_id == ERROR_CHAT]


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info is not None or r.levelno >= logging.ERROR]


# -- a digest too long for one message -----------------------------------------------------------


async def long_named_changes(h: Harness, n: int) -> list[str]:
    """``n`` new facts between Alipay and companies with long names (the import's limit is 120
    characters); the names."""
    names = [f"{LONG} {i:02d}" for i in range(n)]
    added = [await h.interop.store.add_company(Company(id=0, name=name, kind="company"), "test")
             for name in names]
    await h.interop.refresh_companies([c.id for c in added])
    doc = {"format": "interop-bot/1", "companies": [], "facts": [
        {"subject": "Alipay", "object": name, "kind": "payments", "status": "live",
         "date": "2026-11", "summary": f"Digest marker {i}.",
         "sources": [{"url": f"https://example.com/digest/{i}",
                      "publisher": f"The Interoperability Gazette, evening edition {i}"}]}
        for i, name in enumerate(names)]}
    await dataset.import_document(h.interop.store, doc, "test-import", dry_run=False)
    return names


@asynccontextmanager
async def following_long_names(tmp_path: Path) -> AsyncIterator[tuple[Harness, list[str]]]:
    """A chat following Alipay, 30 long-named changes waiting for it, and a recorder that may
    refuse (its calls so far cleared)."""
    async with make_app(tmp_path) as h:
        h.app.bot._rate_limiter = None  # type: ignore[attr-defined]
        h.allow_rejected = True
        await h.send("/follow alipay")
        names = await long_named_changes(h, 30)
        h.rec.clear()
        yield h, names


def listed(calls: list[Call], names: list[str]) -> list[str]:
    """Each name as often as the accepted notifications list it."""
    texts = [visible(c) for c in calls if c.method == "sendMessage" and c.rejected is None
             and c.chat_id == USER["id"]]
    return [name for text in texts for line in text.split("\n") for name in names
            if line.startswith("• ") and name in line]


async def test_a_digest_too_long_for_one_message_is_split_and_loses_nothing(tmp_path: Path) -> None:
    """30 changes with long names: over 4096 UTF-16 units as one message, which Telegram refuses."""
    from bot.follows import MAX_DIGEST_LINES

    async with make_app(tmp_path) as h:
        h.app.bot._rate_limiter = None  # type: ignore[attr-defined]
        await h.send("/follow alipay")
        names = await long_named_changes(h, 30)
        h.rec.clear()
        await deliver(h.app.bot, h.interop, DeliveryState())
        sent = h.rec.of("sendMessage")
        assert h.rec.rejected == []
        assert sum(visible_len(c.text) for c in sent) > 4096  # more than one message can hold
        assert len(sent) >= 2 and all(visible_len(c.text) <= 4096 for c in sent)
        assert visible(sent[0]).startswith(t("follows.digest", n=30))
        assert t("follows.digest_more", n=30 - MAX_DIGEST_LINES) in visible(sent[-1])
        assert sorted(listed(sent, names)) == sorted(names[:MAX_DIGEST_LINES])  # each once
        assert rows(h, "SELECT count(*) FROM notification") == [(0,)]


async def test_a_refused_part_of_a_digest_is_kept_and_sent_on_the_next_pass(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from bot.follows import MAX_DIGEST_LINES

    async with following_long_names(tmp_path) as (h, names):
        refuse = {"on": True}
        h.rec.fail_when("sendMessage", lambda p: refuse["on"] and not str(p["text"]).startswith("<b>"),
                        description="Bad Request: can't parse entities: unsupported start tag")
        await deliver(h.app.bot, h.interop, DeliveryState())
        first = [c for c in h.rec.of("sendMessage") if c.result is not None]
        assert len(first) == 1 and len(h.rec.of("sendMessage")) == 2  # the second part was refused
        assert rows(h, "SELECT count(*) FROM notification")[0][0] > 0  # ...and nothing of it settled
        refuse["on"] = False
        await deliver(h.app.bot, h.interop, DeliveryState())
        accepted = [c for c in h.rec.of("sendMessage") if c.result is not None]
        # 0 lost, 0 twice: the kept part and the five only counted before come as one new digest
        assert sorted(listed(accepted, names)) == sorted(names)
        assert len(listed(first, names)) < MAX_DIGEST_LINES
        assert rows(h, "SELECT count(*) FROM notification") == [(0,)]
    assert any("kept for a later try" in r.getMessage() for r in caplog.records)
    assert tracebacks(caplog) == []


async def test_a_message_refused_on_every_pass_is_given_up_and_the_later_news_moves_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A bad request is the text's fault, not the network's: after a few passes it is dropped
    (one error line naming how many changes), and the chat's next messages are sent."""
    from bot.telegram.follow import REFUSALS_BEFORE_GIVING_UP

    async with following_long_names(tmp_path) as (h, names):
        h.rec.fail_when("sendMessage", lambda p: names[0] in str(p["text"]),  # never taken
                        description="Bad Request: can't parse entities: unsupported start tag")
        state = DeliveryState()
        pending = []
        for _ in range(REFUSALS_BEFORE_GIVING_UP):
            await deliver(h.app.bot, h.interop, state)
            pending.append(rows(h, "SELECT count(*) FROM notification")[0][0])
        assert pending[0] > 0 and pending[0] == pending[-2]  # kept while it may still go
        assert pending[-1] < pending[-2]  # then the refused part's rows are settled
        assert state.dirty and state.refusals == {}
        refused_texts = {c.text for c in h.rec.of("sendMessage") if c.result is None}
        assert len(refused_texts) == 1  # the same message each pass, nothing new refused yet
        for _ in range(3):  # the rest of the chat's news goes out; nothing is tried forever
            await deliver(h.app.bot, h.interop, state)
        assert rows(h, "SELECT count(*) FROM notification") == [(0,)]
        accepted = [c for c in h.rec.of("sendMessage") if c.result is not None]
        assert accepted and names[1] not in listed(accepted, names)  # it shared the dropped message
        assert names[-1] in listed(accepted, names)
    given_up = [r for r in caplog.records
                if f"refused {REFUSALS_BEFORE_GIVING_UP} times" in r.getMessage()]
    assert len(given_up) == 1 and given_up[0].exc_info is None
    kept = [r for r in caplog.records if "kept for a later try" in r.getMessage()]
    assert len(kept) == REFUSALS_BEFORE_GIVING_UP - 1


# -- inline answers and expected refusals -------------------------------------------------------


@pytest.mark.parametrize("query", ["alert vs alert", "alert alert", "zzqx vs zzqx", "alipay vs alipay"])
async def test_an_inline_query_naming_one_thing_twice_gets_an_answer_telegram_takes(
        tmp_path: Path, query: str, caplog: pytest.LogCaptureFixture) -> None:
    async with make_app(tmp_path, error_chat_id=ERROR_CHAT) as h:
        h.rec.clear()
        [answer] = await h.inline(query)  # the recorder refuses a repeated id as Telegram does
        ids = [r["id"] for r in answer.params["results"]]
        assert answer.rejected is None and len(ids) == len(set(ids))
        assert reports(h) == []
    assert tracebacks(caplog) == []


@pytest.mark.parametrize("description", [
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
    "Bad Request: RESULT_ID_DUPLICATE",
])
async def test_expected_bot_api_refusals_are_one_log_line_and_no_report(
        tmp_path: Path, description: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with make_app(tmp_path, error_chat_id=ERROR_CHAT) as h:
        h.rec.clear()
        h.rec.fail_when("answerInlineQuery", description=description)
        await h.inline("jd alipay")
        assert reports(h) == []
        assert [c.method for c in h.rec.calls] == ["answerInlineQuery"]  # no second try, no error
    assert tracebacks(caplog) == []
    assert any("Telegram refused a call" in r.getMessage() for r in caplog.records)


async def test_error_reports_are_rate_limited_per_kind_and_count_the_rest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async with make_app(tmp_path, error_chat_id=ERROR_CHAT) as h:
        h.rec.clear()

        async def broken(text: str, mode: str = "ask") -> Any:
            raise RuntimeError("the same bug")

        monkeypatch.setattr(h.interop, "decide", broken)
        for i in range(5):  # five users hit the same bug: the operator hears once
            await h.send("/check jd alipay", user={**OTHER, "id": 2000 + i})
        assert len(reports(h)) == 1
        told = [c for c in h.rec.of("sendMessage") if c.chat_id != ERROR_CHAT]
        assert len(told) == 5 and all(visible(c) == t("error.generic") for c in told)
        gate = errors.gate_of(h.app)
        for kind in gate.last:  # the interval has passed
            gate.last[kind] -= errors.REPORT_INTERVAL
        await h.send("/check jd alipay")
        later = reports(h)
        assert len(later) == 2 and "+4 since the last report" in visible(later[1])


# -- a database another process holds -----------------------------------------------------------


@contextmanager
def locked(path: Path, how: str = "EXCLUSIVE") -> Iterator[None]:
    """Another process's transaction holding the write lock on the bot's file."""
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute(f"BEGIN {how}")
        other.execute("DELETE FROM chat_setting WHERE chat_id = -1")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


@asynccontextmanager
async def short_timeouts(tmp_path: Path, seconds: float) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, error_chat_id=ERROR_CHAT) as h:
        h.app.bot._rate_limiter = None  # type: ignore[attr-defined]
        h.interop.store.write_timeout = seconds
        assert h.app.persistence is not None
        assert isinstance(h.app.persistence, SQLitePersistence)
        h.app.persistence.write_timeout = seconds
        h.app.persistence.retry_interval = 0.05
        h.rec.clear()
        yield h


WRITES = [("/language zh", USER), ("/follow meituan", {**USER, "id": 3001}),
          ("/language en", {**USER, "id": 3002}), ("/addcompany Lockheed Test Co", ADMIN)]


@pytest.mark.parametrize("how", ["EXCLUSIVE", "IMMEDIATE"])
async def test_a_locked_database_refuses_each_write_within_its_own_timeout(
        tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture) -> None:
    """Four writes at once against a file another process holds: each is told "busy, nothing was
    saved" once its own timeout ends (not one timeout after another), and reads keep answering."""
    timeout = 1.0
    async with short_timeouts(tmp_path, timeout) as h:
        with locked(h.settings.database_path, how):
            start = time.monotonic()
            await asyncio.gather(*(h.send(text, user=user) for text, user in WRITES))
            elapsed = time.monotonic() - start
            answers = {c.chat_id: visible(c) for c in h.rec.of("sendMessage")}
            read = visible(h.rec.last("sendMessage")) if (await h.send("/check jd alipay")) else ""
        assert elapsed < 2.5 * timeout, elapsed  # one after another would take 4 timeouts
        busy = t("error.db_busy")
        assert sorted(answers) == sorted(user["id"] for _, user in WRITES)
        assert all(busy in text.lower() or busy[:1].upper() + busy[1:] in text
                   for text in answers.values()), answers
        assert "JD.com" in read
        assert reports(h) == []
        assert rows(h, "SELECT count(*) FROM chat_setting") == [(0,)]  # nothing was saved
        assert rows(h, "SELECT count(*) FROM company WHERE name = 'Lockheed Test Co'") == [(0,)]
        h.rec.clear()
        await h.send("/language zh")  # the lock is gone: the same write goes through
        assert rows(h, "SELECT language FROM chat_setting") == [("zh",)]
    assert tracebacks(caplog) == []


async def test_a_locked_database_keeps_persistence_and_the_delivery_job_quiet(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with short_timeouts(tmp_path, 0.3) as h:
        await h.send("/follow alipay")
        await h.send("/addfact", user=ADMIN)  # a form: user and conversation state to persist
        context = BotContext(h.app)
        with locked(h.settings.database_path):
            await h.app.update_persistence()  # PTB's periodic flush
            await delivery_job(context)
        await asyncio.sleep(0)  # PTB dispatches persistence errors as tasks
        assert reports(h) == []
        persistence = h.app.persistence
        assert isinstance(persistence, SQLitePersistence) and persistence._retry is not None
        await persistence._retry  # one flush interval later, nothing else having changed
        assert rows(h, "SELECT kind, key FROM tg_state WHERE kind = 'conversation'")  # saved
    assert tracebacks(caplog) == []
    assert any("busy" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


# -- how long a sent notification stays unsettled ---------------------------------------------------


async def test_a_notification_is_settled_by_the_first_writer_job_after_telegram_accepted_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Delivery is at least once: a crash between Telegram's acceptance and the settling commit
    sends the message again. That window is one writer job (BEGIN, DELETE, COMMIT), handed over
    in the tick the reply arrived: no other statement or transaction runs before it."""
    async with make_app(tmp_path) as h:
        h.app.bot._rate_limiter = None  # type: ignore[attr-defined]
        await h.send("/follow alipay")
        await long_named_changes(h, 1)
        state: dict[str, Any] = {"accepted": False, "jobs": 0, "settled_after": None}
        path = h.settings.database_path

        def pending() -> int:
            with sqlite3.connect(path) as db:
                return int(db.execute("SELECT count(*) FROM notification").fetchone()[0])

        original = Writer._call

        def counting(self: Writer, fn: Any, *args: Any) -> Any:
            result = original(self, fn, *args)
            if state["accepted"] and state["settled_after"] is None:
                state["jobs"] += 1
                if pending() == 0:
                    state["settled_after"] = state["jobs"]
            return result

        monkeypatch.setattr(Writer, "_call", counting)
        assert rows(h, "SELECT count(*) FROM fact_change WHERE expanded = 0") == [(1,)]
        h.rec.on("sendMessage", lambda call: state.__setitem__("accepted", True))
        await deliver(h.app.bot, h.interop, DeliveryState())
        assert h.rec.of("sendMessage") and pending() == 0
        assert state["settled_after"] == 1
