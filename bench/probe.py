"""Start-up time and peak memory, measured in a fresh interpreter (``python -m bench.probe``).

A fresh process is the only honest way: the benchmark's own process already holds the
workload and the baselines' data, which would inflate ``ru_maxrss`` and warm every cache.

``python -m bench.probe DB QUERIES.json``         -> JSON: startup_s, peak_rss_mb, ...
``python -m bench.probe DB QUERIES.json --split`` -> JSON: the same start-up in its three steps
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path


def _rss_mb() -> float:
    """Peak resident set size so far; Linux reports ``ru_maxrss`` in KiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _whole(db: Path, queries: dict[str, list[str]]) -> dict[str, float]:
    from bot.startup import open_interop

    baseline = _rss_mb()
    started = time.perf_counter()
    interop = await open_interop(db)
    startup = time.perf_counter() - started
    after_open = _rss_mb()
    try:
        for name in queries["names"]:
            interop.resolve(name)
        for text in queries["questions"]:
            interop.resolver.find_in_text(text)
        for args in queries["checks"]:
            await interop.check_text(args)
    finally:
        await interop.close()
    return {"startup_s": startup, "peak_rss_mb": _rss_mb(), "rss_after_open_mb": after_open,
            "rss_interpreter_mb": baseline}


async def _split(db: Path) -> dict[str, float]:
    from bot.resolver import Resolver
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


def main(argv: list[str]) -> int:
    db, queries_path = Path(argv[0]), Path(argv[1])
    if "--split" in argv:
        result = asyncio.run(_split(db))
    else:
        result = asyncio.run(_whole(db, json.loads(queries_path.read_text(encoding="utf-8"))))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
