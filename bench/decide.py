"""Per-question cost of ``Interop.decide`` on free text and /check, and a fingerprint of each answer.

A speed-up of the answering path must change no answer: record the fingerprints before the
change (``--record``), and compare after it (``--compare``); the run fails on any difference.
``--profile`` adds the cProfile functions that cost most. Run it with a fixed PYTHONHASHSEED
when comparing, so both runs hash alike::

    PYTHONHASHSEED=0 python -m bench.decide --scale 0.1 --record /tmp/before.json
    PYTHONHASHSEED=0 python -m bench.decide --scale 0.1 --compare /tmp/before.json
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from bench import synth
from bench.run import DEFAULT_CACHE, percentile
from bench.workload import build


def fingerprint(decision: Any, blocks: Sequence[str]) -> list[Any]:
    """What a decision answers: its kind, the companies it names, and a hash of its text."""
    from bot import domain as d

    def cid(company: Any) -> int | None:
        return company.id if company is not None else None

    def res(r: Any) -> list[Any]:
        return [cid(r.company), [c.company.id for c in r.candidates]]

    r = decision.result
    if isinstance(r, d.CheckResult):
        shown: list[Any] = [r.a.id, r.b.id, r.verdict.value]
    elif isinstance(r, d.Checks):
        shown = [[x.a.id, x.b.id] for x in r.results]
    elif isinstance(r, d.CheckHint):
        shown = [cid(r.same), cid(r.single), cid(r.partner)]
    elif isinstance(r, d.Unresolved):
        shown = [res(x) for x in r.resolutions]
    elif isinstance(r, d.Profile | d.KindFacts):
        shown = [r.company.id]
    elif isinstance(r, d.Ownership):
        shown = [r.child.id, cid(r.parent), r.verdict.value]
    elif isinstance(r, d.SearchResult):
        shown = [v.fact.id for v in r.hits]
    else:
        shown = []
    text = hashlib.sha1("\n".join(blocks).encode()).hexdigest()[:16]
    return [type(r).__name__, shown, [res(x) for x in decision.unknown], text]


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    from bot import render
    from bot.domain import rendered
    from bot.startup import open_interop

    db, _ = await asyncio.to_thread(synth.cached_store, args.cache_dir, args.seed, args.scale)
    work = build(db, args.seed, per_kind=args.questions, questions=args.questions, checks=args.checks)
    profile = cProfile.Profile() if args.profile else None
    out: dict[str, Any] = {"timings": {}, "answers": {}}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.sqlite3"
        shutil.copyfile(db, copy)  # the store is opened read-write; keep the cache pristine
        interop = await open_interop(copy)
        try:
            runs = (("free_text", [q.text for q in work.free_text], "ask"),
                    ("check", [q.text.removeprefix("/check ") for q in work.checks], "check"),
                    ("check_again", [q.text.removeprefix("/check ") for q in work.checks], "check"),
                    # a bare name, as an inline query or a private message sends it, and /company
                    ("names", [q.text for q in work.names], "ask"),
                    ("company", [q.text for q in work.names], "company"))
            for name, texts, mode in runs:
                times: list[float] = []
                answers: list[Any] = []
                for text in texts:
                    if profile is not None:
                        profile.enable()
                    started = time.perf_counter()
                    decision = await interop.decide(text, mode)
                    blocks = await rendered(partial(render.render_decision, decision))
                    times.append((time.perf_counter() - started) * 1000)
                    if profile is not None:
                        profile.disable()
                    answers.append([text, fingerprint(decision, blocks)])
                out["timings"][name] = {"mean_ms": statistics.fmean(times), "p50_ms": percentile(times, 0.5),
                                        "p99_ms": percentile(times, 0.99), "n": len(times)}
                out["answers"][name] = answers
        finally:
            await interop.close()
    if profile is not None:
        report = io.StringIO()
        pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(40)
        out["profile"] = report.getvalue()
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.decide", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="generated store scale (default 0.1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--questions", type=int, default=2000, help="free-text questions (default 2000)")
    parser.add_argument("--checks", type=int, default=3000, help="/check arguments (default 3000)")
    parser.add_argument("--profile", action="store_true", help="print the costliest functions")
    parser.add_argument("--record", type=Path, help="write the answers' fingerprints here")
    parser.add_argument("--compare", type=Path, help="fail when any answer differs from this record")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = asyncio.run(measure(args))
    for name, figures in out["timings"].items():
        print(f"{name:12} n={figures['n']:5}  mean {figures['mean_ms']:.3f}  p50 {figures['p50_ms']:.3f}  "
              f"p99 {figures['p99_ms']:.3f} ms")
    if "profile" in out:
        print(out["profile"])
    if args.record is not None:
        args.record.write_text(json.dumps(out["answers"], ensure_ascii=False), encoding="utf-8")
    if args.compare is not None:
        before = json.loads(args.compare.read_text(encoding="utf-8"))
        changed = [(name, old, new) for name, answers in out["answers"].items()
                   for old, new in zip(before.get(name, []), answers, strict=False) if old != new]
        changed += [(name, f"{len(before.get(name, []))} answers", f"{len(answers)} answers")
                    for name, answers in out["answers"].items() if len(before.get(name, [])) != len(answers)]
        for name, old, new in changed[:20]:
            print(f"changed ({name}): {old}\n          now: {new}", file=sys.stderr)
        print(f"{len(changed)} answers changed")
        return 1 if changed else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
