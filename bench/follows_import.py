"""Bulk-import speed with the follow outbox triggers: absent, present with no followers, and with followers.

Run: ``.venv/bin/python -m bench.follows_import [--facts 50000] [--runs 3]``. Each run imports the
same generated file (bench/synth data) into a fresh copy of a small synthetic store; the best
of ``--runs`` is reported, so another process on the machine only makes a figure pessimistic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import synth
from bot import dataset
from bot.follows import Follows
from bot.store import Store

BASE_SCALE = 0.01
SEED = 7
FOLLOW_TRIGGERS = ("fact_follow_insert", "fact_follow_update")


def _document(base: Path, count: int) -> tuple[dict[str, Any], list[int]]:
    doc_facts, companies = synth.import_facts(base, count, SEED)
    doc = json.loads(json.dumps({"format": dataset.FORMAT, "companies": [], "facts": doc_facts}))
    return doc, [c.id for c in companies]


async def _import(target: Path, doc: dict[str, Any]) -> float:
    store = await Store.open(target)
    try:
        started = time.perf_counter()
        report = await dataset.import_document(store, doc, "bench", dry_run=False)
        elapsed = time.perf_counter() - started
    finally:
        await store.close()
    if report.new != len(doc["facts"]):
        raise RuntimeError(f"stored {report.new} of {len(doc['facts'])}: {report.rejected[:3]}")
    return elapsed


async def _expand(target: Path) -> tuple[float, int]:
    """Seconds to turn the import's outbox into per-chat notification rows, and how many."""
    store = await Store.open(target)
    try:
        started = time.perf_counter()
        rows = await Follows(store).expand()
        return time.perf_counter() - started, rows
    finally:
        await store.close()


def _prepare(base: Path, target: Path, variant: str, company_ids: list[int]) -> None:
    shutil.copyfile(base, target)
    with sqlite3.connect(target) as db:
        if variant == "no triggers":
            for name in FOLLOW_TRIGGERS:
                db.execute(f"DROP TRIGGER IF EXISTS {name}")
        elif variant == "followers":  # 200 chats, 5 popular companies each
            db.executemany("INSERT INTO follow (chat_id, company_id, other_id, created_at) "
                           "VALUES (?, ?, 0, '')",
                           [(1000 + chat, company_ids[(chat * 5 + k) % 200])
                            for chat in range(200) for k in range(5)])


async def measure(facts: int, runs: int) -> dict[str, float]:
    cache = Path(tempfile.gettempdir()) / "interop-bench"
    base, _ = await asyncio.to_thread(synth.cached_store, cache, SEED, BASE_SCALE)
    migrated = cache / "follows-base.sqlite3"
    shutil.copyfile(base, migrated)
    store = await Store.open(migrated)  # migrates the copy to today's schema
    await store.close()
    doc, company_ids = _document(migrated, facts)
    figures: dict[str, float] = {}
    best: dict[str, float] = {}
    variants = ("no triggers", "no followers", "followers")
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(runs):  # interleaved and rotated, so neither load nor order favours one
            for variant in variants[run % 3:] + variants[:run % 3]:
                target = Path(tmp) / f"{variant.replace(' ', '-')}-{run}.sqlite3"
                _prepare(migrated, target, variant, company_ids)
                best[variant] = min(best.get(variant, float("inf")), await _import(target, doc))
                if variant == "followers" and run == 0:
                    with sqlite3.connect(target) as db:
                        (changes,) = db.execute("SELECT count(*) FROM fact_change").fetchone()
                    figures["outbox_rows"] = changes
                    figures["expand_s"], figures["notification_rows"] = await _expand(target)
                target.unlink()
    for variant in variants:
        figures[f"{variant} facts/s"] = facts / best[variant]
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--facts", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args.facts, args.runs))
    for name, value in figures.items():
        print(f"{name:>24}: {value:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
