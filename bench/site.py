"""``python -m bench.site [--scale 0.1]``: the web table's figures.

* the seed's whole site, built (target: 2 s);
* a synthetic store's whole site (scale 0.1: 10k companies, 100k facts; targets: 60 s, and
  index.html at most 1 MB), with the total output size;
* serving: one pair page from the running bot's server (a new page: one /check and its
  rendering) against one /check answer on the same pairs (reading the names, checking,
  rendering), both with cold answer caches, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import synth
from bench.offline import TOKEN, RecordingRequest, message_update
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.startup import open_interop
from bot.web.server import WebServer
from bot.web.site import Site

DEFAULT_CACHE = Path(__file__).resolve().parent / ".cache"


def _forget(interop: Interop) -> None:
    """Cold answer caches: every pair is checked again."""
    interop.queries.checks.clear()
    interop.readings.clear()


def _cpu_s() -> float:
    """CPU seconds of this process and of its finished children (the build's other processes)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


async def build(interop: Interop, out: Path, jobs: int = 1) -> dict[str, Any]:
    cpu, started = _cpu_s(), time.perf_counter()
    files, size = await Site(interop, "InteropBot").write(out, jobs)
    elapsed = time.perf_counter() - started
    return {"build_s": round(elapsed, 2), "cpu_s": round(_cpu_s() - cpu, 1), "jobs": jobs, "files": files,
            "total_mb": round(size / 1e6, 1), "index_kb": round((out / "index.html").stat().st_size / 1e3, 1),
            "load_1min": round(os.getloadavg()[0], 1)}


async def serving(interop: Interop, pairs: int, seed: int) -> dict[str, Any]:
    """Median ms of one new pair page over HTTP from the bot's server, and of one /check update
    through the bot's Application (reading the names, checking, rendering, sending to a
    recording Bot API), on the same pairs, each with cold answer caches."""
    from bot.config import Settings
    from bot.telegram.app import build_application

    links = await interop.store.fact_pairs()
    chosen = random.Random(seed).sample(links, min(pairs, len(links)))
    site = Site(interop, "InteropBot")
    server = WebServer(site)
    port = await server.start("127.0.0.1", 0)
    await site.built()  # the table is built once per content version, not per page
    app = build_application(Settings(token=TOKEN, database_path=interop.store.path), interop,
                            request=RecordingRequest())
    app.bot._rate_limiter = None
    await app.initialize()

    def get(path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}") as response:
            return bytes(response.read())

    page_ms: list[float] = []
    check_ms: list[float] = []
    http_ms: list[float] = []
    try:
        for rounds, (s, o, _, _) in enumerate([*chosen[:5], *chosen]):  # 5 to warm up
            a, b = interop.company(s), interop.company(o)
            update = message_update(app.bot, f"/check {a.name}, {b.name}")
            _forget(interop)
            started = time.perf_counter()
            await app.process_update(update)
            if rounds >= 5:
                check_ms.append((time.perf_counter() - started) * 1000)
            _forget(interop)
            site._pages.clear()
            started = time.perf_counter()
            page = await site.page(f"pair/{s}-{o}.html")  # what the server does for a request
            if rounds >= 5:
                page_ms.append((time.perf_counter() - started) * 1000)
            _forget(interop)
            site._pages.clear()
            started = time.perf_counter()
            body = await asyncio.to_thread(get, f"pair/{s}-{o}.html")
            if rounds >= 5:
                http_ms.append((time.perf_counter() - started) * 1000)
            assert page is not None and body == page
    finally:
        await server.stop()
        await app.shutdown()
    page_p50, check = statistics.median(page_ms), statistics.median(check_ms)
    return {"pair_page_p50_ms": round(page_p50, 2), "check_update_p50_ms": round(check, 2),
            "page_vs_check": round(page_p50 / check, 2), "pairs": len(chosen),
            "pair_page_http_p50_ms": round(statistics.median(http_ms), 2)}


async def run(args: argparse.Namespace, db: Path | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        seeded = await open_interop(Path(tmp) / "seed.sqlite3", seed=SEED_PATH)
        try:
            results["seed"] = await build(seeded, Path(tmp) / "seed-site")
            results["seed_serving"] = await serving(seeded, 50, args.seed)
        finally:
            await seeded.close()
        if db is not None:
            interop = await open_interop(db, seed=None)
            try:
                results[f"scale_{args.scale:g}"] = await build(interop, Path(tmp) / "synth-site",
                                                               os.cpu_count() or 1)
                results[f"scale_{args.scale:g}_serving"] = await serving(interop, 100, args.seed)
            finally:
                await interop.close()
    return results


async def site_figures(cache_dir: Path, seed: int, scale: float) -> dict[str, Any]:
    """The figures for ``python -m bench``'s results, flat: ``site_*``."""
    db = (await asyncio.to_thread(synth.cached_store, cache_dir, seed, scale))[0] if scale > 0 else None
    found = await run(argparse.Namespace(scale=scale, seed=seed), db)
    flat: dict[str, Any] = {"site_scale": scale}
    for group, figures in found.items():
        prefix = "site_seed" if group.startswith("seed") else "site"
        for key, value in figures.items():
            flat[f"{prefix}_{key}"] = value
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.site", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="synthetic store size (0: seed only)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    db = synth.cached_store(args.cache_dir, args.seed, args.scale)[0] if args.scale > 0 else None
    results = asyncio.run(run(args, db))
    json.dump(results, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
