"""Answer workers (bot/workers.py): real worker processes over a real temp SQLite store.

A worker must answer exactly as this process does, see every write at once, hand back what it
noted, and never leave a question unanswered: not before it is ready, not when it dies.
"""

from __future__ import annotations

import asyncio
import os
import re
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
from bot.resolver import Resolver
from bot.startup import open_interop
from bot.store import FactDraft, Store
from bot.telegram.callbacks import CheckPage, ProfilePage, answer_page, question_reply
from bot.telegram.inline import results_for
from bot.workers import Workers
from tests.questions import HELD_OUT, TUNING
from tests.tg import make_app, visible
from tests.worker_calls import boom, slow

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


async def _logged(caplog: pytest.LogCaptureFixture, text: str, seconds: float = 10.0) -> bool:
    """Whether ``text`` is logged within ``seconds`` (a worker's restarts take their time)."""
    for _ in range(int(seconds / 0.05)):
        if text in caplog.text:
            return True
        await asyncio.sleep(0.05)
    return text in caplog.text


def _reply(reply: object) -> tuple[str, object]:
    """The reply's text and buttons; a search pager's token is random per call, so it is masked."""
    text = str(getattr(reply, "text", ""))
    markup = getattr(reply, "markup", None)
    return text, re.sub(r"'sr:[^:']+:", "'sr:*:", repr(markup.to_dict())) if markup is not None else None


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


async def _not_importable_there(interop: Interop, text: str) -> str:
    return text  # this module is "test_workers" to pytest: a worker cannot import it


async def test_a_failure_in_the_worker_is_raised_in_the_caller(pool: Workers) -> None:
    [pid] = pool.pids
    with pytest.raises(ValueError, match="no luck") as raised:
        await pool.run(1, boom, "luck")
    [note] = raised.value.__notes__  # where it failed, for the error report
    assert note.startswith("In the answer worker:") and "boom" in note and "ValueError: no luck" in note
    with pytest.raises(ModuleNotFoundError):  # a function the worker cannot import: said, not hidden
        await pool.run(1, _not_importable_there, "x")
    assert pool.pids == [pid] and pool.local_calls == 0  # the same worker, still serving
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
        assert await _logged(caplog, "failed to start 3 times")
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


async def test_a_worker_that_does_not_answer_in_time_is_replaced_and_the_call_runs_here(
        interop: Interop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(workers_module, "CALL_TIMEOUT", 0.3)
    monkeypatch.setattr(workers_module, "RESPAWN_AFTER", 0.1)
    pool = Workers(interop, 1)
    await pool.start()
    try:
        await asyncio.wait_for(pool.wait_ready(), READY_TIMEOUT)
        [stuck] = pool.pids
        assert await pool.run(1, slow, 1.0) == "late"  # answered here after the worker's 0.3 s
        assert pool.local_calls == 1 and "gave no answer to slow" in caplog.text
        await asyncio.sleep(0.3)
        await asyncio.wait_for(pool.wait_ready(), READY_TIMEOUT)
        assert pool.pids and pool.pids != [stuck]
    finally:
        await pool.close()


async def test_a_worker_started_from_changed_code_is_refused(
        interop: Interop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """An update installed while the bot runs: the bot's answers stay its own code's."""
    monkeypatch.setattr(workers_module, "code_digest", lambda: "the-code-the-bot-started-with")
    pool = Workers(interop, 1)
    await pool.start()
    try:
        assert await _logged(caplog, "failed to start", 20)
        assert f"exit status {workers_module.WRONG_CODE}" in caplog.text
        assert "failed to start" in caplog.text and pool.ready == 0 and not pool.pids
        assert (await pool.run(1, question_reply, "jd alipay", "check", 1)).reply.text
        assert pool.local_calls == 1
    finally:
        await pool.close()


async def test_a_worker_that_cannot_even_be_spawned_is_tried_again_then_given_up(
        interop: Interop, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(workers_module, "RESPAWN_AFTER", 0.01)
    pool = Workers(interop, 1, command=("/nonexistent/python",))
    await pool.start()
    try:
        assert await _logged(caplog, "failed to start 3 times")
        assert caplog.text.count("Could not start answer worker 0") == 3
        assert (await pool.run(1, question_reply, "jd alipay", "check", 1)).reply.text
    finally:
        await pool.close()


async def test_a_company_change_made_while_the_index_is_built_is_not_missed(interop: Interop) -> None:
    """Start-up reads the change log's position before the companies, so the first sync applies
    whatever another process committed in between (a worker indexes while the bot takes admin
    commands)."""
    store = interop.store
    mark = store.company_changes()
    other = await Store.open(store.path)  # another process's write path
    try:
        await other.add_company(Company(id=0, name="Zalando", kind="marketplace"), "t")
    finally:
        await other.close()
    too_late = Interop(store, Resolver(), [])  # its position read after the write
    await too_late.sync()
    assert too_late.resolve("zalando").company is None
    in_time = Interop(store, Resolver(), [], synced_names=mark)
    await in_time.sync()
    found = in_time.resolve("zalando").company
    assert found is not None and found.name == "Zalando"


async def test_the_bot_takes_in_company_changes_made_elsewhere_before_every_update(tmp_path: Path) -> None:
    """Answers are computed in workers, which sync themselves; the bot's own index (buttons, deep
    links, admin commands) follows the change log before every update too."""
    async with make_app(tmp_path) as h:
        other = await Store.open(h.interop.store.path)  # e.g. `python -m bot import` meanwhile
        try:
            added = await other.add_company(Company(id=0, name="Zalando", kind="marketplace"), "t")
        finally:
            await other.close()
        [reply] = [c for c in await h.send(f"/start company_{added.id}") if c.method == "sendMessage"]
        assert visible(reply).startswith("Zalando — marketplace"), visible(reply)
