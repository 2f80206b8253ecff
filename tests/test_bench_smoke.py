"""The benchmark must keep running as the code changes; this runs a tiny one end to end.

It asserts that every required figure is written as a finite number, and that the end-to-end
phases answered what they asked, never how fast anything was: timings on a shared CI machine
are not a test.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from bench.run import REQUIRED_KEYS, TARGETS

ROOT = Path(__file__).resolve().parent.parent


def test_tiny_benchmark_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "0.001", "--seed", "7", "--out", str(out),
         "--cache-dir", str(tmp_path / "cache"), "--samples", "40", "--checks", "40",
         "--scan-queries", "5", "--difflib-queries", "4",
         # end to end: a few updates, a small flood observed briefly (a bigger flood only makes
         # the bot's stop wait for the group's rate-limited backlog)
         "--e2e-updates", "12", "--e2e-concurrency", "4", "--e2e-seconds", "60", "--e2e-rounds", "1",
         "--ceiling-rate", "10", "--ceiling-seconds", "1.2",
         "--fair-group-updates", "2", "--fair-members", "2", "--fair-private", "3",
         "--fair-observe", "0.5", "--fair-timeout", "30", "--picture-runs", "1",
         "--flood-members", "2", "--flood-private", "2", "--flood-timeout", "30"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert isinstance(results[key], int | float) and not isinstance(results[key], bool), key
        assert math.isfinite(results[key]), key
    assert set(results["targets"]) == {key for key, *_ in TARGETS}
    assert all(isinstance(t["met"], bool) for t in results["targets"].values())
    assert results["scale"] == 0.001 and results["seed"] == 7
    assert results["machine"]["cpu_count"] and results["versions"]["rapidfuzz"]
    assert (tmp_path / "cache").is_dir()
    assert "| Figure |" in result.stdout
    # the end-to-end phases really ran through the processes: everything asked was answered
    for prefix in ("e2e", "e2e_echo", "e2e_seed", "e2e_seed_echo"):
        assert results[f"{prefix}_answered"] == results[f"{prefix}_updates"] > 0, prefix
        assert results[f"{prefix}_failed_calls"] == 0 and results[f"{prefix}_tracebacks"] == 0, prefix
    for prefix in ("ceiling", "ceiling_echo"):  # paced, limiter on: everything asked was answered
        assert results[f"{prefix}_answered"] == results[f"{prefix}_updates"] > 0, prefix
        assert results[f"{prefix}_failed_calls"] == 0 and results[f"{prefix}_tracebacks"] == 0, prefix
    assert results["headroom_x_ceiling"] == results["e2e_updates_per_s"] / 30
    assert results["fair_idle_unanswered"] == 0 and results["fair_tracebacks"] == 0
    assert results["flood_private_unanswered"] == 0 and results["flood_tracebacks"] == 0
    assert results["peak_rss_method"].startswith("VmHWM")
