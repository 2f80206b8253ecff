"""An opt-in stall tracer for the end-to-end benchmark: when and why an event loop stops turning.

``python -m bench.stalls <module>`` runs ``python -m <module>`` (the bot or the echo bot) with
the tracer installed; ``bench.e2e`` starts its processes that way when ``BENCH_STALL_TRACE``
names a folder, and the load generator traces itself into the same folder. Nothing in ``bot/``
knows about it, and it is off unless that variable is set.

What it records, as JSON lines in ``<folder>/<name>.jsonl`` (wall-clock ``time.time()``, the
clock the fake Telegram stamps its calls with, so stalls line up with slow answers):

- ``stall``: the loop did not run a callback posted from a watchdog thread for more than
  ``STALL_MS``; its start, length, and the main thread's stacks sampled every ``SAMPLE_S``
  while it lasted (the most frequent first): where the time went.
- ``gc``: every collection of the oldest generation, and any collection over ``GC_MS``, with
  its generation, length and what it collected; and a ``gc_total`` line per generation at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import json
import os
import runpy
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

ENV = "BENCH_STALL_TRACE"
NAME_ENV = "BENCH_STALL_NAME"
STALL_MS = float(os.environ.get("BENCH_STALL_MS", "100"))
SAMPLE_S = 0.01
GC_MS = 5.0
LIMITER_MS = 10.0
STACK_DEPTH = 14


class Tracer:
    """A watchdog thread pinging one event loop, and a gc callback; both write to one file."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main = threading.main_thread().ident
        self._gc_started = 0.0
        self._gc_totals: dict[int, list[float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watchdog", daemon=True)

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._thread.start()
        atexit.register(self.close)

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Ping this loop from now on (the newest loop created wins)."""
        self._loop = loop
        self.write({"event": "loop", "at": time.time()})

    def write(self, record: dict[str, Any]) -> None:
        with self._lock:
            if not self._out.closed:
                self._out.write(json.dumps(record) + "\n")
                self._out.flush()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        for gen, (count, total, worst) in sorted(self._gc_totals.items()):
            self.write({"event": "gc_total", "gen": gen, "count": int(count), "total_ms": round(total, 2),
                        "max_ms": round(worst, 2)})
        with self._lock:
            self._out.close()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        ms = (time.perf_counter() - self._gc_started) * 1000
        gen = info.get("generation", -1)
        totals = self._gc_totals.setdefault(gen, [0.0, 0.0, 0.0])
        totals[0] += 1
        totals[1] += ms
        totals[2] = max(totals[2], ms)
        if gen == 2 or ms > GC_MS:
            self.write({"event": "gc", "at": time.time() - ms / 1000, "gen": gen, "ms": round(ms, 2),
                        "collected": info.get("collected", 0)})

    def _watch(self) -> None:
        """Post a ping whenever none is out; when one comes back late, report how late, with the
        main thread's stacks sampled while it was out."""
        posted = 0.0  # perf_counter when the ping now out was posted; 0 when none is
        posted_at = 0.0
        answered: list[float] = []
        samples: Counter[str] = Counter()
        while not self._stop.wait(SAMPLE_S):
            loop = self._loop
            if loop is None or loop.is_closed() or not loop.is_running():
                posted = 0.0
            elif not posted:
                answered, samples = [], Counter()  # a late pong of an abandoned ping goes nowhere
                posted, posted_at = time.perf_counter(), time.time()
                try:
                    loop.call_soon_threadsafe(_pong, answered)
                except RuntimeError:  # closed between the check and the call
                    posted = 0.0
            elif answered:
                lag_ms = (answered[0] - posted) * 1000
                if lag_ms > STALL_MS:
                    self.write({"event": "stall", "at": posted_at, "ms": round(lag_ms, 1),
                                "stacks": [[n, s] for s, n in samples.most_common(6)]})
                posted = 0.0
            elif (time.perf_counter() - posted) * 1000 > STALL_MS / 2:
                samples[self._main_stack()] += 1

    def _main_stack(self) -> str:
        frame = sys._current_frames().get(self._main or 0)
        if frame is None:
            return "?"
        lines = [f"{Path(f.filename).name}:{f.lineno} {f.name}"
                 for f in traceback.extract_stack(frame)[-STACK_DEPTH:]]
        return " < ".join(reversed(lines))


def _pong(answered: list[float]) -> None:
    answered.append(time.perf_counter())


class _Policy(asyncio.DefaultEventLoopPolicy):
    """Hands every new loop to the tracer (the bot makes its own with ``asyncio.new_event_loop``)."""

    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self._tracer = tracer

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        self._tracer.watch(loop)
        return loop


def install(path: Path) -> Tracer:
    """Trace this process into ``path``: every event loop created from now on, the gc, and each
    wait of the rate limiter (aiolimiter, under PTB's AIORateLimiter) over ``LIMITER_MS``."""
    tracer = Tracer(path.open("a", encoding="utf-8"))
    asyncio.set_event_loop_policy(_Policy(tracer))
    tracer.start()
    _time_limiter(tracer)
    return tracer


def _time_limiter(tracer: Tracer) -> None:
    try:
        from aiolimiter import AsyncLimiter
    except ImportError:
        return
    acquire = AsyncLimiter.acquire

    async def timed(self: AsyncLimiter, amount: float = 1) -> None:
        started = time.perf_counter()
        await acquire(self, amount)
        ms = (time.perf_counter() - started) * 1000
        if ms > LIMITER_MS:
            tracer.write({"event": "limiter", "at": time.time() - ms / 1000, "ms": round(ms, 1),
                          "max_rate": self.max_rate})

    AsyncLimiter.acquire = timed  # type: ignore[method-assign]


def trace_this_loop(name: str) -> Tracer | None:
    """Trace this process's running loop and gc as ``name`` when tracing is on; close it after."""
    path = trace_path(name)
    if path is None:
        return None
    tracer = Tracer(path.open("a", encoding="utf-8"))
    tracer.start()
    tracer.watch(asyncio.get_running_loop())
    return tracer


def write_samples(name: str, samples: list[tuple[str, float, float | None]], calls: Sequence[Any]) -> None:
    """The answers of one traced run (kind, when available, ms or None) as ``<name>_samples.jsonl``,
    and the Bot API calls the fake saw (method, time, chat, updates returned) as ``<name>_calls.jsonl``."""
    path = trace_path(f"{name}_samples")
    if path is None:
        return
    with path.open("w", encoding="utf-8") as out:
        for label, available, ms in samples:
            out.write(json.dumps({"label": label, "at": available, "ms": ms}) + "\n")
    with path.with_name(f"{name}_calls.jsonl").open("w", encoding="utf-8") as out:
        for call in calls:
            updates = len(call.result) if call.method == "getUpdates" and call.ok else None
            out.write(json.dumps({"method": call.method, "at": call.time, "updates": updates,
                                  "chat": str(call.params.get("chat_id"))}) + "\n")


def trace_path(name: str) -> Path | None:
    """Where a process called ``name`` writes its trace; None when tracing is off."""
    folder = os.environ.get(ENV)
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{name}.jsonl"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bench.stalls <module>", file=sys.stderr)
        return 2
    module = argv[0]
    path = trace_path(os.environ.get(NAME_ENV, module))
    if path is not None:
        install(path)
    sys.argv = [module]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
