"""The console's admin mode: the operator acts as an owner, with no Telegram at all.

It drives ``bot.console.answer_line`` against a real seeded SQLite file, and the real
``python -m bot console --admin`` once through a pipe.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.answers import Interop
from bot.console import answer_line, operator_editor

ROOT = Path(__file__).resolve().parent.parent


async def test_admin_verbs_need_admin_mode(interop: Interop) -> None:
    before = await interop.store.counts()
    reply = await answer_line(interop, "/addcompany Zq Console Co")
    assert "--admin" in reply
    assert await interop.store.counts() == before


async def test_add_edit_history_retract_restore(interop: Interop) -> None:
    editor = operator_editor(interop)
    added = await answer_line(interop, "/addcompany AT&T <Corp>", editor)
    assert "AT&T <Corp>" in added and "&amp;" not in added
    saved = await answer_line(interop, "/addfact AT&T <Corp> | Alipay | payments | live | 2025-01 | "
                                       "Pays & ships. | https://example.com/x | T&C", editor)
    assert "Saved as fact #" in saved and "Pays & ships." in saved and "T&C <https://example.com/x>" in saved
    fact_id = int(saved.split("#", 1)[1].split(".", 1)[0])
    assert "AT&T <Corp>" in await answer_line(interop, "/check AT&T <Corp> | alipay", editor)
    edited = await answer_line(interop, f"/editfact {fact_id} status ended", editor)
    assert "status changed" in edited
    history = await answer_line(interop, f"/history {fact_id}", editor)
    assert "console" in history and "live → ended" in history
    assert "retracted" in await answer_line(interop, f"/retract {fact_id}", editor)
    assert "restored" in await answer_line(interop, f"/restore {fact_id}", editor)
    refused = await answer_line(interop, "/addfact nonsense", editor)
    assert "Use: /addfact" in refused and "<code>" not in refused


async def test_import_is_a_dry_run_until_applied_and_export_writes_both_files(
        interop: Interop, tmp_path: Path) -> None:
    editor = operator_editor(interop)
    doc = {"format": "interop-bot/1", "companies": [{"name": "Zq Imported", "aliases": []}], "facts": []}
    file = tmp_path / "in.json"
    file.write_text(json.dumps(doc))
    dry = await answer_line(interop, f"/import {file}", editor)
    assert "Dry run" in dry and f"/import {file} apply" in dry
    assert interop.resolve("Zq Imported").company is None
    applied = await answer_line(interop, f"/import {file} apply", editor)
    assert "Imported" in applied and interop.resolve("Zq Imported").company is not None
    out = tmp_path / "out"
    out.mkdir()
    exported = await answer_line(interop, f"/export {out}", editor)
    assert sorted(p.suffix for p in out.iterdir()) == [".csv", ".json"], exported
    assert "Cannot read" in await answer_line(interop, f"/import {tmp_path / 'nope.json'}", editor)


def test_console_admin_mode_through_a_pipe(tmp_path: Path) -> None:
    db = tmp_path / "p.sqlite3"
    lines = "/addcompany Zq Piped Co\n/company zq piped co\n"
    result = subprocess.run([sys.executable, "-m", "bot", "console", "--admin"], input=lines,
                            capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(db)})
    assert result.returncode == 0, result.stderr
    assert "Added company Zq Piped Co" in result.stdout and "Zq Piped Co" in result.stdout.split("\n\n")[1]
