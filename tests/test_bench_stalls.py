"""The benchmark's stall tracer: a loop held by blocking code is reported with where it was held."""

from __future__ import annotations

import asyncio
import gc
import json
import time
from pathlib import Path

import pytest

from bench import stalls


def _hold_the_loop(seconds: float) -> None:
    time.sleep(seconds)


async def _traced(path: Path) -> None:
    tracer = stalls.Tracer(path.open("a", encoding="utf-8"))
    tracer.start()
    tracer.watch(asyncio.get_running_loop())
    try:
        await asyncio.sleep(0.05)  # the watchdog's first ping is answered: the loop is idle
        _hold_the_loop(0.3)
        await asyncio.sleep(0.05)  # the ping waiting since the hold is answered now
        gc.collect()
    finally:
        tracer.close()


def test_a_held_loop_is_reported_with_the_blocking_frame(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    asyncio.run(_traced(path))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    held = [r for r in records if r["event"] == "stall"
            and any("_hold_the_loop" in stack for _, stack in r["stacks"])]
    assert len(held) == 1, records
    assert held[0]["ms"] >= 250  # the whole hold, give or take the watchdog's 10 ms tick
    assert any(r["event"] == "gc" and r["gen"] == 2 for r in records)  # a full collection is always listed
    assert {r["gen"] for r in records if r["event"] == "gc_total"} >= {2}


def test_tracing_is_off_without_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(stalls.ENV, raising=False)
    assert stalls.trace_path("bot") is None
