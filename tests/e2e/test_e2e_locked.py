"""A database another process holds locked, against the real bot process: every write says
"busy, nothing was saved" within its own timeout, reads keep answering, and the log stays free of
tracebacks (the ``launch`` fixture's health checks: no traceback, no error report, no apology)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bot.store import WRITE_TIMEOUT
from bot.texts import t

from .harness import REPLY_TIMEOUT, Launch, say_private, visible

WRITERS = (310_001, 310_002, 310_003, 310_004)
READER = 310_005


async def test_writes_against_a_locked_file_are_refused_at_once_each_and_reads_go_on(
        launch: Launch, tmp_path: Path) -> None:
    database = tmp_path / "interop.sqlite3"
    bot = await launch(database)
    fake = bot.fake
    busy = t("error.db_busy")
    other = sqlite3.connect(database, isolation_level=None)  # another process's transaction
    try:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("DELETE FROM chat_setting WHERE chat_id = -1")
        since = fake.mark()
        started = time.monotonic()
        for user in WRITERS:  # four users change their chat's language at once
            fake.private_message(user, "/language zh")
        read = await say_private(fake, READER, "/check jd alipay")
        assert visible(read).startswith("🟡 Partly: JD.com × Alipay")

        async def answer(user: int) -> float:
            message = await fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT + 10)
            assert busy in visible(message).lower() or busy.capitalize() in visible(message)
            return time.monotonic() - started

        waits = await asyncio.gather(*(answer(user) for user in WRITERS))
        # each within its own timeout (plus the machine's slack); one after another would end
        # at 1, 2, 3 and 4 timeouts
        assert max(waits) < 2 * WRITE_TIMEOUT, waits
        other.execute("ROLLBACK")
    finally:
        other.close()
    switched = visible(await say_private(fake, WRITERS[0], "/language zh"))  # the lock is gone
    assert busy not in switched.lower()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT chat_id, language FROM chat_setting").fetchall() == [
            (WRITERS[0], "zh")]
