"""Time to draw /map and /compare pictures at seed scale (data/seed.json); ``python -m bench.pictures``.

Every draw is a fresh one (no picture cache), on the calling thread, so the figure is the CPU
cost one picture puts on the worker thread. The target (<= 500 ms a map) is reported, not asserted.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.config import SEED_PATH
from bot.maps import CompareResult, compare_text, map_of
from bot.pictures import cjk_font, draw_compare, draw_map
from bot.startup import open_interop

MAP_NAME = "jd"  # the example
COMPARE = "taobao, tmall, jd, pinduoduo | alipay, wechat pay, unionpay"


def _ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def picture_figures(seed: Path = SEED_PATH, runs: int = 10) -> dict[str, Any]:
    """Median draw times (ms) for the /map jd picture, the biggest seed map, and a 4 × 3 table."""
    with tempfile.TemporaryDirectory() as tmp:
        interop = await open_interop(Path(tmp) / "pictures.sqlite3", seed=seed)
        try:
            jd = interop.resolve(MAP_NAME).company
            assert jd is not None
            maps = [await map_of(interop, c) for c in await interop.store.companies()]
            biggest = max(maps, key=lambda m: (len(m.partners) + len(m.members), m.total))
            jd_map = await map_of(interop, jd)
            table = await compare_text(interop, COMPARE)
            assert isinstance(table, CompareResult)
            draw_map(jd_map)  # the first draw loads fonts; every figure below is a steady one
            timings: dict[str, list[float]] = {"map": [], "big": [], "compare": [], "data": []}
            for _ in range(runs):
                start = time.perf_counter()
                jd_map = await map_of(interop, jd)
                timings["data"].append(time.perf_counter() - start)
                start = time.perf_counter()
                draw_map(jd_map)
                timings["map"].append(time.perf_counter() - start)
                start = time.perf_counter()
                draw_map(biggest)
                timings["big"].append(time.perf_counter() - start)
                start = time.perf_counter()
                draw_compare(table)
                timings["compare"].append(time.perf_counter() - start)
        finally:
            await interop.close()
    return {
        "map_draw_ms": _ms(timings["map"]),
        "map_data_ms": _ms(timings["data"]),
        "map_draw_biggest_ms": _ms(timings["big"]),
        "map_biggest": f"{biggest.centre.name} ({len(biggest.members)} group companies, "
                       f"{len(biggest.partners)} partners, {biggest.total} links)",
        "compare_draw_ms": _ms(timings["compare"]),
        "picture_font": cjk_font() or "DejaVu Sans",
        "picture_runs": runs,
    }


def main() -> int:
    print(json.dumps(asyncio.run(picture_figures()), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
