"""Fixtures for the end-to-end suite: the real bot process against a local fake Telegram.

Starting a process costs about half a second, so each module shares one bot (``bot``) and its
journeys keep apart by using their own user and chat ids. Tests that need a process of their
own (restart, shutdown, debug logging) use ``launch``. Either way, every test ends with the
same health checks: the token is not in the log, no traceback, no error report, and the fake
rejected none of the bot's API calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakebot import FakeTelegram

from .harness import ERROR_CHAT_ID, GENERIC_ERROR, BotProcess, Launch, failed_calls, new_fake, visible


def _finish(process: BotProcess) -> None:
    """Stop with SIGTERM and require a clean exit and a clean log."""
    try:
        code = process.stop()
        assert code == 0, f"the bot exited with {code}:\n{process.log()}"
        process.assert_log_clean()
    finally:
        process.kill()


def _health(fake: FakeTelegram, since: int, processes: list[BotProcess]) -> None:
    """What must hold after every journey, whatever it asserted itself."""
    for process in processes:
        process.assert_log_clean()
    rejected = failed_calls(fake, since)
    assert not rejected, "the fake Telegram rejected calls:\n" + "\n".join(c.short() for c in rejected)
    if not any(p.failures_expected for p in processes):
        reports = [visible(m) for m in fake.sent(ERROR_CHAT_ID)]
        assert not reports, f"the bot reported errors to ERROR_CHAT_ID: {reports}"
    apologies = [c.short() for c in fake.calls[since:]
                 if c.ok and GENERIC_ERROR in str(c.params.get("text") or "")]
    assert not apologies, f"the bot told a user something went wrong: {apologies}"


@pytest.fixture(scope="module")
def shared_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    """One bot process (and fake server) for a whole module, on a fresh seeded database."""
    folder = tmp_path_factory.mktemp("e2e-bot")
    fake = new_fake()
    process = BotProcess(fake, folder / "interop.sqlite3", folder / "bot.log")
    try:
        process.start()
        yield process
        _finish(process)
        _health(fake, 0, [process])  # includes start-up (menus) and shutdown calls
    finally:
        process.kill()
        fake.stop()


@pytest.fixture
def bot(shared_bot: BotProcess) -> Iterator[BotProcess]:
    """The module's bot, with the health checks run after this test's journey."""
    since = shared_bot.fake.mark()
    assert shared_bot.proc is not None and shared_bot.proc.poll() is None, (
        f"the shared bot died earlier:\n{shared_bot.log()}")
    yield shared_bot
    _health(shared_bot.fake, since, [shared_bot])


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Launch]:
    """Start extra bot processes: each gets its own fake unless one is passed; all are stopped after.

    A fresh fake per process matters for restarts: the previous process's long poll may still be
    parked in the old fake, which would make "is polling" true before the new process is up.
    """
    started: list[tuple[BotProcess, bool]] = []

    async def start(database: Path | None = None, *, fake: FakeTelegram | None = None,
                    privacy_mode: bool = True, **options: Any) -> BotProcess:
        own = fake is None
        server = fake if fake is not None else new_fake(privacy_mode=privacy_mode)
        index = len(started)
        process = BotProcess(server, database or tmp_path / "interop.sqlite3",
                             tmp_path / f"bot-{index}.log", **options)
        started.append((process, own))
        return await process.astart()

    yield start
    try:
        for process, _ in started:
            _finish(process)
        for process, _ in started:
            _health(process.fake, 0, [process])
    finally:
        for process, own in started:
            process.kill()
            if own:
                process.fake.stop()
