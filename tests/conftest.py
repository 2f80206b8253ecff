"""Shared fixtures. Keep additions additive: each block owns its fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.startup import open_interop
from tests.core import seeded_database
from tests.tg import Harness, make_app

# -- Telegram adapter (tests/tg.py) -------------------------------------------------------------


@pytest.fixture
async def tg(tmp_path: Path) -> AsyncIterator[Harness]:
    """The real bot on a seeded temp database, post_init done and its setMyCommands calls cleared."""
    async with make_app(tmp_path, admin_ids={42}) as harness:
        harness.rec.clear()
        yield harness


# -- the answering core -------------------------------------------------------------------------


@pytest.fixture
async def interop(tmp_path: Path) -> AsyncIterator[Interop]:
    """The core on a freshly seeded temp database (a test file may define its own ``interop``)."""
    await seeded_database(tmp_path / "interop.sqlite3")
    service = await open_interop(tmp_path / "interop.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()
