"""``python -m bench.decide`` keeps running, and its answer record catches a changed answer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.decide", "--scale", "0.001", "--seed", "7",
         "--cache-dir", str(tmp_path / "cache"), "--questions", "20", "--checks", "20", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_the_record_matches_itself_and_catches_a_change(tmp_path: Path) -> None:
    record = tmp_path / "answers.json"
    first = run(tmp_path, "--record", str(record))
    assert first.returncode == 0, first.stderr[-3000:]
    answers = json.loads(record.read_text(encoding="utf-8"))
    assert {len(answers[k]) for k in ("free_text", "check", "check_again")} == {20}
    assert answers["names"] and len(answers["names"]) == len(answers["company"])
    assert "check_again" in first.stdout and "p99" in first.stdout
    same = run(tmp_path, "--compare", str(record))
    assert same.returncode == 0 and "0 answers changed" in same.stdout, same.stderr[-3000:]
    answers["check"][3][1][0] = "SomethingElse"
    record.write_text(json.dumps(answers), encoding="utf-8")
    changed = run(tmp_path, "--compare", str(record))
    assert changed.returncode == 1 and "1 answers changed" in changed.stdout
