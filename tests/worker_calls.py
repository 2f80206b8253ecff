"""Calls for tests/test_workers.py that a worker process can import (``tests.worker_calls``):
pytest imports test modules by their bare names, which a worker cannot."""

from __future__ import annotations

import asyncio

from bot.answers import Interop


async def boom(interop: Interop, text: str) -> str:
    raise ValueError(f"no {text}")


async def slow(interop: Interop, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return "late"
