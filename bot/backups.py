"""Rotating online backups: consistent copies while the bot runs, newest N kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.store import Store

PREFIX = "interop-"
SUFFIX = ".sqlite3"


def backup_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{PREFIX}{stamp}{SUFFIX}"


async def write_backup(store: Store, folder: Path, keep: int, *, now: datetime | None = None) -> Path:
    """Write one backup into ``folder`` and delete all but the newest ``keep``."""
    target = await store.backup(folder / backup_name(now))
    await asyncio.to_thread(_prune, folder, keep)
    return target


def _prune(folder: Path, keep: int) -> None:
    backups = sorted(p for p in folder.glob(f"{PREFIX}*{SUFFIX}") if p.is_file())
    for old in backups[:-keep]:
        old.unlink(missing_ok=True)
