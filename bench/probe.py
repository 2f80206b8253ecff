"""Start-up, its floor, export and peak memory, each in a fresh interpreter (``python -m bench.probe``).

A fresh process is the only honest way: the benchmark's own process already holds the
workload and the baselines' data, which would warm every cache. Peak memory is the probe's
own ``VmHWM`` from ``/proc/self/status``, read after the work: it belongs to the address space
that ``exec`` created, so (unlike ``ru_maxrss``, which Linux carries over from the pre-exec
image, i.e. the big parent) it cannot inherit the parent's high-water mark.

``python -m bench.probe whole DB QUERIES.json`` -> JSON: startup_s, peak_rss_mb, ...
``python -m bench.probe split DB``              -> JSON: the same start-up in its three steps
``python -m bench.probe floor DB``              -> JSON: a bare read of every company and alias row
``python -m bench.probe export DB OUT.json``    -> JSON: ``python -m bot export`` as users run it
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

RSS_METHOD = "VmHWM from /proc/self/status, read after the work, in a fresh python -m bench.probe"


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident set size of a process's address space (``VmHWM``), in MB (KiB / 1024)."""
    return _status_kib(pid, "VmHWM") / 1024


def vm_rss_mb(pid: int | str = "self") -> float:
    """Current resident set size (``VmRSS``), in MB."""
    return _status_kib(pid, "VmRSS") / 1024


def _status_kib(pid: int | str, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


async def _whole(db: Path, queries: dict[str, list[str]]) -> dict[str, float]:
    from bot.domain import Mode
    from bot.startup import open_interop

    baseline = vm_hwm_mb()
    started = time.perf_counter()
    interop = await open_interop(db)
    startup = time.perf_counter() - started
    after_open = vm_hwm_mb()
    try:
        for name in queries["names"]:
            interop.resolve(name)
        for text in queries["questions"]:
            interop.resolver.find_in_text(text)
        for args in queries["checks"]:
            await interop.decide(args, Mode.CHECK)
    finally:
        await interop.close()
    return {"startup_s": startup, "peak_rss_mb": vm_hwm_mb(), "rss_after_open_mb": after_open,
            "rss_interpreter_mb": baseline}


async def _split(db: Path) -> dict[str, float]:
    from bot.names.resolver import Resolver
    from bot.store import Store

    t0 = time.perf_counter()
    store = await Store.open(db)
    t1 = time.perf_counter()
    companies = await store.companies()
    t2 = time.perf_counter()
    Resolver(companies)
    t3 = time.perf_counter()
    await store.close()
    return {"startup_store_open_s": t1 - t0, "startup_load_companies_s": t2 - t1,
            "startup_build_index_s": t3 - t2}


def _floor(db: Path) -> dict[str, float]:
    """The least any start-up must do: fetch every company and alias row from the same file."""
    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        companies = conn.execute("SELECT * FROM company").fetchall()
        aliases = conn.execute("SELECT * FROM alias").fetchall()
    finally:
        conn.close()
    elapsed = time.perf_counter() - started
    return {"startup_floor_s": elapsed, "startup_floor_rows": len(companies) + len(aliases),
            "startup_floor_rss_mb": vm_hwm_mb()}


def _export(db: Path, out: Path) -> dict[str, float]:
    """Whatever ``python -m bot export`` does today, in this process, then its peak memory."""
    from bot.__main__ import main as bot_main

    os.environ.update(DATABASE_PATH=str(db), TELEGRAM_BOT_TOKEN="", LOG_LEVEL="WARNING")
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = bot_main(["export", str(out)])
    elapsed = time.perf_counter() - started
    if code != 0:
        raise RuntimeError(f"python -m bot export exited with {code}")
    return {"export_peak_rss_mb": vm_hwm_mb(), "export_cli_s": elapsed,
            "export_cli_mb": out.stat().st_size / 1e6}


def main(argv: list[str]) -> int:
    mode, db = argv[0], Path(argv[1])
    result: dict[str, float]
    if mode == "whole":
        result = asyncio.run(_whole(db, json.loads(Path(argv[2]).read_text(encoding="utf-8"))))
    elif mode == "split":
        result = asyncio.run(_split(db))
    elif mode == "floor":
        result = _floor(db)
    elif mode == "export":
        result = _export(db, Path(argv[2]))
    else:
        raise SystemExit(f"unknown probe mode {mode!r}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
