"""The terminal adapter: the bot's commands over stdin/stdout, in plain text.

It exists so the answering core can be tried (and piped: ``echo "/check jd alipay" | ...``)
without a Telegram token, and it uses exactly the same core as the bot. With ``--admin`` the
operator of the machine acts as an owner: the admin verbs (``/addfact``, ``/editfact``,
``/import``, ``/export``...) go through the same ``bot.admin.Editor`` and the same renderer
as in Telegram, with no Telegram at all. Imports are dry runs unless the line ends in ``apply``.
Each line is answered in the locale the bot's rules choose (``bot.i18n.choose``): ``--lang``
(or ``/language``) acts as the chat setting, the line's script next, then ``LANG`` as the
user's own language.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TextIO

from bot.admin import (
    Editor,
    parse_addsource,
    parse_company_line,
    parse_edit,
    parse_fact_id,
    parse_fact_line,
)
from bot.answers import MAX_CHANGES, Interop, parse_count
from bot.domain import Conflict, Decision, InteropError, Mode, Unresolved, rendered
from bot.i18n import AUTO, choose, from_posix, parse_setting, using
from bot.maps import CompareProblem, CompareResult, MapResult, compare_text, map_of, read_name
from bot.pictures import Pictures
from bot.render import (
    PLAIN,
    plain,
    render_about,
    render_alias,
    render_changes,
    render_company_added,
    render_compare,
    render_compare_problem,
    render_decision,
    render_duplicate,
    render_error,
    render_fact_reply,
    render_history,
    render_import_report,
    render_map,
    render_recent,
    render_retracted,
    render_stale,
    render_suggestions_plain,
    render_usage,
)
from bot.texts import EXAMPLES, t
from bot.upkeep import stale_page

MAX_INPUT = 4096
PICTURE_DIR = Path(tempfile.gettempdir()) / "interop-bot"  # where /map and /compare write PNGs
_pictures = Pictures()
log = logging.getLogger(__name__)
OPERATOR = 0  # the console's owner id: never a Telegram user (ADMIN_IDS must be positive)
ACTOR = "console"  # how the audit log names the operator
TELEGRAM_ONLY = frozenset({"/follow", "/unfollow", "/following", "/suggest", "/report", "/reports",
                           "/misses", "/privacy", "/forgetme", "/cancel"})
"""Commands about a Telegram chat or user: the console says so instead of "unknown command"."""
ADMIN_VERBS = frozenset({"/addfact", "/addsource", "/editfact", "/retract", "/restore", "/verify", "/history",
                         "/addcompany", "/alias", "/unalias", "/import", "/export", "/stale"})


def operator_editor(interop: Interop) -> Editor:
    """The console operator's editor: an owner, by being the one at the machine."""
    return Editor(interop, {OPERATOR})


async def answer_line(interop: Interop, line: str, editor: Editor | None = None, *,
                      picture_dir: Path = PICTURE_DIR, today: date | None = None) -> str:
    """One console input line -> the plain-text reply; admin verbs only with an ``editor``.

    /map and /compare write their PNG under ``picture_dir``; ``today`` is the day /stale and
    /verify go by (the real one by default).
    """
    line = line.strip()
    if not line:
        return ""
    if len(line) > MAX_INPUT:
        return t("too_long", max=MAX_INPUT)
    if not line.startswith("/"):
        return await _render(await interop.decide(line, Mode.ASK))
    command, _, args = line.partition(" ")
    command = command.split("@", 1)[0].lower()
    args = args.strip()
    if command in ADMIN_VERBS:
        if editor is None:
            return t("console.admin_only", cmd=command)
        usage = command[1:]
        try:
            return await admin_line(editor, command, args, today)
        except InteropError as exc:
            return render_error(exc, usage if usage not in {"import", "export"} else None, PLAIN)
    if command in TELEGRAM_ONLY:
        return t("console.telegram_only", cmd=command)
    if command in {"/start", "/help"}:
        return t("help", examples="\n".join(f"  {e}" for e in EXAMPLES))
    if command == "/check":
        return await _render(await interop.decide(args, Mode.CHECK))
    if command == "/company":
        if not args:
            return t("usage.company")
        return await _render(await interop.decide(args, Mode.COMPANY))
    if command == "/search":
        if not args:
            return t("usage.search")
        return await _render(Decision(await interop.search(args)))
    if command == "/recent":
        n = parse_count(args, 10, 50)
        if n is None:
            return t("usage.recent", max=50)
        return plain(render_recent(await interop.recent(n), PLAIN))
    if command == "/changes":
        n = parse_count(args, 10, MAX_CHANGES)
        if n is None:
            return t("usage.changes", max=MAX_CHANGES)
        return plain(render_changes(await interop.changes(n), PLAIN))
    if command == "/about":
        return plain(render_about(await interop.about(today), PLAIN))
    if command == "/map":
        if not args:
            return t("usage.map")
        resolution = await read_name(interop, args)
        if resolution.company is None:
            return await _render(Decision(Unresolved((resolution,))))
        found = await map_of(interop, resolution.company)
        return await _picture(found, render_map(found, PLAIN), picture_dir,
                              f"map-{resolution.company.id}.png")
    if command == "/compare":
        table = await compare_text(interop, args) if args else CompareProblem("usage")
        if isinstance(table, CompareProblem):
            return render_compare_problem(table, PLAIN)
        if isinstance(table, Unresolved):
            return await _render(Decision(table))
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


async def admin_line(editor: Editor, command: str, args: str, today: date | None = None) -> str:
    """An admin verb, acted on at once (the operator typed it; there is no one else to confirm)."""
    if command == "/stale":
        page = parse_count(args, 1, 999_999)
        if page is None:
            return render_usage("stale", PLAIN)
        found = await stale_page(editor.interop, page, today or datetime.now(UTC).date())
        return plain(render_stale(found, PLAIN, commands=True))
    if command == "/addfact":
        if not args:  # the guided form is a Telegram conversation
            return t("console.addfact_usage")
        try:
            view = await editor.add_fact(editor.draft(parse_fact_line(args)), ACTOR)
        except Conflict as exc:
            if exc.existing_id is None:
                raise
            return render_duplicate(exc.existing_id, PLAIN)
        return render_fact_reply("fact_saved", view, PLAIN)
    if command == "/addsource":
        fact_id, url, title, quote = parse_addsource(args)
        view = await editor.add_source(fact_id, url, title, ACTOR, quote)
        return render_fact_reply("source_added", view, PLAIN)
    if command == "/editfact":
        fact_id, field, value = parse_edit(args)
        view = await editor.edit_fact(fact_id, field, value, ACTOR)
        return render_fact_reply("edited", view, PLAIN, field=field)
    if command == "/retract":
        fact_id = parse_fact_id(args)
        await editor.retract(fact_id, ACTOR)
        return render_retracted(fact_id, PLAIN)
    if command == "/restore":
        fact_id = parse_fact_id(args)
        view = await editor.restore(fact_id, ACTOR)
        return render_fact_reply("restored", view, PLAIN)
    if command == "/verify":
        fact_id = parse_fact_id(args)
        view = await editor.verify(fact_id, ACTOR, today=today)
        return render_fact_reply("verified", view, PLAIN)
    if command == "/history":
        fact_id = parse_fact_id(args)
        return plain(render_history(fact_id, await editor.history(fact_id), PLAIN))
    if command == "/addcompany":
        name, parent, kind = parse_company_line(args)
        company = await editor.add_company(name, parent, kind, ACTOR)
        group = editor.interop.company(company.parent_id) if company.parent_id is not None else None
        return render_company_added(company, group, PLAIN)
    if command in {"/alias", "/unalias"}:
        if not args:
            return render_usage(command[1:], PLAIN)
        change = editor.add_alias if command == "/alias" else editor.remove_alias
        company, alias = await change(args, ACTOR)
        return render_alias(company, alias, PLAIN, added=command == "/alias")
    if command == "/import":
        return await _import(editor, args)
    return await _export(editor, args)


async def _import(editor: Editor, args: str) -> str:
    """``/import FILE`` is a dry run; ``/import FILE apply`` applies it in one transaction."""
    path_text, apply = args, False
    if args.endswith(" apply"):
        path_text, apply = args.removesuffix(" apply").strip(), True
    if not path_text:
        return t("console.import_usage")
    path = Path(path_text)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return t("console.cannot_read", path=str(path), error=exc.strerror or str(exc))
    if apply:
        report = await editor.apply_import(path.name, data, ACTOR)
    else:
        report = await editor.preview_import(path.name, data, ACTOR)
    text = render_import_report(report, path.name, PLAIN)
    if not apply and report.changes and not report.blocked:
        text += "\n\n" + t("console.import_apply", line=f"/import {path_text} apply")
    return text


async def _export(editor: Editor, args: str) -> str:
    """``/export FOLDER``: the JSON and CSV files that /import takes back, written there."""
    folder = Path(args or ".")
    if not await asyncio.to_thread(folder.is_dir):
        return t("console.export_usage")
    written = [str(await editor.export_file(folder, fmt)) for fmt in ("json", "csv")]
    return t("console.exported", files=", ".join(written))


async def _render(decision: Decision) -> str:
    """The decision in plain text, once the facts it shows are loaded."""
    return await rendered(partial(_plain_text, decision))


def _plain_text(decision: Decision) -> str:
    """The decision in plain text; did-you-mean choices as a list under it."""
    blocks = render_decision(decision, PLAIN)
    if isinstance(decision.result, Unresolved):
        return "\n".join([*blocks, *render_suggestions_plain(decision.result)])
    if decision.suggest is not None:
        return "\n".join([plain(blocks), *render_suggestions_plain(decision.suggest)])
    return plain(blocks)


def system_language() -> str | None:
    """The terminal's own language, from LC_ALL, LC_MESSAGES or LANG (``zh_CN.UTF-8`` -> zh-Hans)."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return from_posix(value)
    return None


def _language_line(args: str, setting: str) -> tuple[str, str]:
    """``/language X`` in the console: the new session setting and the reply (in its language)."""
    value = parse_setting(args) if args.strip() else None
    if value is None:
        with using(choose(setting, None, system_language())):  # in the language now in use
            name = t(f"language.name.{setting or 'auto'}")
            return setting, t("language.usage", current=name)
    with using(choose(value, None, system_language())):
        if value == AUTO:
            return value, t("language.auto")
        return value, t("language.set", name=t(f"language.name.{value}"))


async def run_console(interop: Interop, stdin: TextIO = sys.stdin,
                      stdout: TextIO = sys.stdout, *, admin: bool = False,
                      language: str = AUTO) -> None:
    """Interactive with a prompt on a TTY; line by line, no prompt, when piped.

    ``language`` is a ``/language`` value (en, zh, zh-Hans, zh-Hant or "" for automatic).
    """
    interactive = stdin.isatty()
    editor = operator_editor(interop) if admin else None
    system = system_language()
    if interactive:
        with using(choose(language, None, system)):
            print(t("console.intro"), file=stdout)
            if admin:
                print(t("console.admin_intro"), file=stdout)
    loop = asyncio.get_running_loop()
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            break
        command, _, args = line.strip().partition(" ")
        if command.split("@", 1)[0].lower() == "/language":
            language, reply = _language_line(args, language)
        else:
            with using(choose(language, line, system)):
                reply = await answer_line(interop, line, editor)
        if reply:
            print(reply, file=stdout, flush=True)
            if not interactive:
                print(file=stdout)
