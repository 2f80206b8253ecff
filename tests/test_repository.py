"""The repository's own text: no merge left half-done (a conflict marker once reached the README)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_MARKER = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
_TEXT = {".py", ".md", ".toml", ".json", ".txt", ".cfg", ".ini", ".yml", ".yaml", ""}


def _files() -> list[Path]:
    found = [ROOT / name for name in ("README.md", "Makefile", "pyproject.toml", ".env.example")]
    for folder in ("bot", "tests", "bench", "data", ".ci"):
        found += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix in _TEXT
                  and "__pycache__" not in p.parts and ".cache" not in p.parts]
    return [p for p in found if p.exists()]


def test_no_file_holds_a_merge_conflict_marker() -> None:
    files = _files()
    assert len(files) > 50 and ROOT / "README.md" in files
    marked = [str(p.relative_to(ROOT)) for p in files
              if _MARKER.search(p.read_text(encoding="utf-8", errors="replace"))]
    assert marked == []


def test_the_marker_check_catches_a_conflict() -> None:
    assert _MARKER.search("text\n<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> main\n")
    assert not _MARKER.search("a table\n|===|\n======= not alone\n")
