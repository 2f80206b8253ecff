"""The terminal adapter: the bot's commands over stdin/stdout, in plain text.

It exists so the answering core can be tried (and piped: ``echo "/check jd alipay" | ...``)
without a Telegram token, and it uses exactly the same core as the bot.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.answers import Interop
from bot.domain import CheckResult, Profile, SearchResult, Unresolved
from bot.maps import CompareProblem, CompareResult, MapResult, compare_text, map_of, read_name
from bot.pictures import Pictures
from bot.render import (
    PLAIN,
    plain,
    render_check,
    render_check_hint,
    render_compare,
    render_compare_problem,
    render_map,
    render_profile,
    render_recent,
    render_search,
    render_suggestions_plain,
    render_unresolved,
)
from bot.texts import EXAMPLES, t

MAX_INPUT = 4096
PICTURE_DIR = Path(tempfile.gettempdir()) / "interop-bot"  # where /map and /compare write PNGs
_pictures = Pictures()
log = logging.getLogger(__name__)


async def answer_line(interop: Interop, line: str, picture_dir: Path = PICTURE_DIR) -> str:
    """One console input line -> the plain-text reply (pictures are written under ``picture_dir``)."""
    line = line.strip()
    if not line:
        return ""
    if len(line) > MAX_INPUT:
        return t("too_long", max=MAX_INPUT)
    if not line.startswith("/"):
        return _render(await interop.ask(line))
    command, _, args = line.partition(" ")
    command = command.split("@", 1)[0].lower()
    args = args.strip()
    if command in {"/start", "/help"}:
        return t("help", examples="\n".join(f"  {e}" for e in EXAMPLES))
    if command == "/check":
        result = await interop.check_text(args) if args else None
        if result is None:
            return render_check_hint(await interop.check_hint(args), PLAIN)
        return _render(result)
    if command == "/company":
        if not args:
            return t("usage.company")
        return _render(await interop.profile_text(args))
    if command == "/search":
        if not args:
            return t("usage.search")
        return _render(await interop.search(args))
    if command == "/recent":
        if args and not args.isdigit():
            return t("usage.recent", max=50)
        return plain(render_recent(await interop.recent(int(args) if args else 10), PLAIN))
    if command == "/map":
        if not args:
            return t("usage.map")
        resolution = read_name(interop, args)
        if resolution.company is None:
            return _render(Unresolved((resolution,)))
        found = await map_of(interop, resolution.company)
        return await _picture(found, render_map(found, PLAIN), picture_dir,
                              f"map-{resolution.company.id}.png")
    if command == "/compare":
        table = await compare_text(interop, args) if args else CompareProblem("usage")
        if isinstance(table, CompareProblem):
            return render_compare_problem(table, PLAIN)
        if isinstance(table, Unresolved):
            return _render(table)
        name = "compare-" + "-".join(str(c.id) for c in (*table.rows, *table.cols)) + ".png"
        return await _picture(table, render_compare(table, PLAIN), picture_dir, name[:200])
    return t("console.unknown_command", cmd=command)


async def _picture(result: MapResult | CompareResult, blocks: list[str], folder: Path, name: str) -> str:
    """Write the PNG and return its path with the text answer; the text alone if drawing fails."""
    if isinstance(result, MapResult) and result.empty:
        return plain(blocks)
    try:
        picture = await (_pictures.map(result) if isinstance(result, MapResult)
                         else _pictures.compare(result))
        path = folder / name
        await asyncio.to_thread(_write, path, picture.png)
    except Exception:  # the text answer still goes out
        log.exception("Drawing a picture failed")
        return plain([t("map.drawing_failed"), *blocks])
    return plain([t("console.picture", path=str(path)), *blocks])


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _render(result: CheckResult | Profile | SearchResult | Unresolved) -> str:
    if isinstance(result, CheckResult):
        return plain(render_check(result, PLAIN))
    if isinstance(result, Profile):
        return plain(render_profile(result, PLAIN))
    if isinstance(result, SearchResult):
        return plain(render_search(result, PLAIN))
    return "\n".join([*render_unresolved(result, PLAIN), *render_suggestions_plain(result)])


async def run_console(interop: Interop, stdin: TextIO = sys.stdin,
                      stdout: TextIO = sys.stdout) -> None:
    """Interactive with a prompt on a TTY; line by line, no prompt, when piped."""
    interactive = stdin.isatty()
    if interactive:
        print(t("console.intro"), file=stdout)
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        reply = await answer_line(interop, line)
        if reply:
            print(reply, file=stdout, flush=True)
            if not interactive:
                print(file=stdout)
