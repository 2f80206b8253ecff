"""Answer workers (bot/workers.py): real worker processes over a real temp SQLite store.

A worker must answer exactly as this process does, see every write at once, hand back what it
noted, and never leave a question unanswered: not before it is ready, not when it dies.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import workers as workers_module
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import Company, Kind, Source, Status
from bot.i18n import ZH_HANT, using
from bot.startup import open_interop
from bot.store import FactDraft
from bot.telegram.callbacks import CheckPage, ProfilePage, answer_page, question_reply
from bot.telegram.inline import results_for
from bot.workers import Workers
from tests.questions import HELD_OUT, TUNING

READY_TIMEOUT = 60.0


@pytest.fixture
async def interop(tmp_path: Path) -> AsyncIterator[Interop]:
    service = await open_interop(tmp_path / "interop.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()


@pytest.fixture
async def pool(interop: Interop) -> AsyncIterator[Workers]:
    workers = Workers(interop, 1)
    await workers.start()
    await asyncio.wait_for(workers.wait_ready(), READY_TIMEOUT)
    yield workers
    await workers.close()


def _reply(reply: object) -> tuple[str, object]:
    text = str(getattr(reply, "text", ""))
    markup = getattr(reply, "markup", None)
    return text, markup.to_dict() if markup is not None else None


def _mode(question: str) -> tuple[str, str]:
    command, _, args = question.partition(" ")
    return (command[1:], args) if command in ("/check", "/company") else ("ask", question)


async def test_a_worker_answers_every_question_as_this_process_does(interop: Interop, pool: Workers) -> None:
    questions = [q for q, _ in TUNING[:60] + HELD_OUT[:60]]
    for question in questions:
        mode, text = _mode(question)
        here = await question_reply(interop, text, mode, 7)
        there = await pool.run(7, question_reply, text, mode, 7)
        assert _reply(there.reply) == _reply(here.reply), question
        assert there.searches.keys() == here.searches.keys() or (here.searches and there.searches)
    assert pool.remote_calls == len(questions) and pool.local_calls == 0
    jd, alipay = (interop.resolve(n).company for n in ("jd", "alipay"))
    assert jd is not None and alipay is not None
    for data in (ProfilePage(jd.id, 2, 7), CheckPage(jd.id, alipay.id, 1, 7)):
        assert _reply(await pool.run(7, answer_page, data)) == _reply(await answer_page(interop, data))
    here_articles = await results_for(interop, "wechat taobao", "InteropBot")
    there_articles = await pool.run(7, results_for, "wechat taobao", "InteropBot")
    assert [a.to_dict() for a in there_articles] == [a.to_dict() for a in here_articles]
    assert pool.local_calls == 0


async def test_the_callers_language_goes_with_the_call(pool: Workers) -> None:
    with using(ZH_HANT):
        answered = await pool.run(1, question_reply, "jd alipay", "check", 1)
    assert "京東" in str(answered.reply.text) and pool.remote_calls == 1


async def test_a_write_here_is_in_the_workers_next_answer(interop: Interop, pool: Workers) -> None:
    before = await pool.run(1, question_reply, "zalando alipay", "check", 1)
    assert "Zalando" not in str(before.reply.text).split("\n")[0]
    added = await interop.store.add_company(Company(id=0, name="Zalando", kind="marketplace"), "t")
    alipay = interop.resolve("alipay").company
    assert alipay is not None
    await interop.store.add_fact(FactDraft(
        added.id, alipay.id, Kind.PAYMENTS, Status.LIVE, "2026-11", "Zalando takes Alipay.",
        (Source("https://example.com/zalando"),)), "t")
    after = await pool.run(1, question_reply, "zalando alipay", "check", 1)
    assert "Zalando" in str(after.reply.text) and "example.com/zalando" in str(after.reply.text)
    assert pool.remote_calls == 2


async def test_what_a_worker_notes_as_missed_comes_back(interop: Interop, pool: Workers) -> None:
    interop.misses.take()
    await pool.run(1, question_reply, "jd qqzzyx", "check", 1)
    assert any(what == "name" for _, what, _ in interop.misses.counts), interop.misses.counts
    assert pool.remote_calls == 1


async def _boom(interop: Interop, text: str) -> str:
    raise ValueError(f"no {text}")


async def test_a_failure_in_the_worker_is_raised_in_the_caller(pool: Workers) -> None:
    with pytest.raises(ValueError, match="no luck"):
        await pool.run(1, _boom, "luck")
    assert (await pool.run(1, question_reply, "jd alipay", "check", 1)).reply.text  # still serving


async def test_calls_run_here_until_a_worker_is_ready(interop: Interop) -> None:
    pool = Workers(interop, 1)  # never started
    answered = await pool.run(1, question_reply, "jd alipay", "check", 1)
    assert "JD.com" in str(answered.reply.text) and pool.local_calls == 1 and pool.remote_calls == 0
    none = Workers(interop, 0)
    await none.start()
    await none.wait_ready()  # nothing to wait for
    assert (await none.run(1, question_reply, "jd alipay", "check", 1)).reply.text == answered.reply.text
    await none.close()


async def test_a_lost_worker_loses_no_answer_and_is_started_again(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers_module, "RESPAWN_AFTER", 0.1)
    pool = Workers(interop, 1)
    await pool.start()
    try:
        await asyncio.wait_for(pool.wait_ready(), READY_TIMEOUT)
        expected = (await question_reply(interop, "jd alipay", "check", 1)).reply.text
        [pid] = pool.pids
        os.kill(pid, signal.SIGKILL)
        # Asked while the worker dies and while it starts again: answered here, never lost.
        answers = await asyncio.gather(*(pool.run(i, question_reply, "jd alipay", "check", i)
                                         for i in range(5)))
        assert all(a.reply.text == expected for a in answers)
        await asyncio.sleep(0.5)
        await asyncio.wait_for(pool.wait_ready(), READY_TIMEOUT)
        assert pool.pids and pool.pids != [pid]
        remote = pool.remote_calls
        assert (await pool.run(1, question_reply, "jd alipay", "check", 1)).reply.text == expected
        assert pool.remote_calls == remote + 1
    finally:
        await pool.close()


async def test_close_ends_every_worker(interop: Interop) -> None:
    pool = Workers(interop, 2)
    await pool.start()
    await asyncio.wait_for(pool.wait_ready(), READY_TIMEOUT)
    pids = pool.pids
    assert len(pids) == 2
    await pool.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped, not a zombie
    assert pool.ready == 0


async def test_a_worker_that_cannot_start_is_given_up_and_nothing_is_lost(
        interop: Interop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(workers_module, "RESPAWN_AFTER", 0.01)
    pool = Workers(interop, 1, command=(sys.executable, "-c", "raise SystemExit(3)"))
    await pool.start()
    try:
        for _ in range(200):
            if "failed to start 3 times" in caplog.text:
                break
            await asyncio.sleep(0.05)
        assert "failed to start 3 times" in caplog.text
        assert not pool.pids and pool.ready == 0
        answered = await pool.run(1, question_reply, "jd alipay", "check", 1)
        assert "JD.com" in str(answered.reply.text) and pool.local_calls == 1
    finally:
        await pool.close()


async def test_a_stop_signal_to_the_group_leaves_the_worker_to_the_bot(pool: Workers) -> None:
    """A service manager signals every process of the service: the bot, not the signal, ends it."""
    [pid] = pool.pids
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGINT)
    await asyncio.sleep(0.3)
    assert pool.pids == [pid] and pool.ready == 1
    assert (await pool.run(1, question_reply, "jd alipay", "check", 1)).reply.text
    assert pool.remote_calls == 1
