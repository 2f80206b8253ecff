"""The terminal adapter: the bot's commands over stdin/stdout, in plain text.

It exists so the answering core can be tried (and piped: ``echo "/check jd alipay" | ...``)
without a Telegram token, and it uses exactly the same core as the bot. Each line is answered in
the locale the bot's rules choose (``bot.i18n.choose``): ``--lang`` (or ``/language``) acts as
the chat setting, the line's script next, then ``LANG`` as the user's own language.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import TextIO

from bot.answers import Interop
from bot.domain import CheckResult, Profile, SearchResult, Unresolved
from bot.i18n import AUTO, choose, from_posix, parse_setting, using
from bot.render import (
    PLAIN,
    plain,
    render_check,
    render_check_hint,
    render_profile,
    render_recent,
    render_search,
    render_suggestions_plain,
    render_unresolved,
)
from bot.texts import EXAMPLES, t

MAX_INPUT = 4096


async def answer_line(interop: Interop, line: str) -> str:
    """One console input line -> the plain-text reply."""
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
    return t("console.unknown_command", cmd=command)


def _render(result: CheckResult | Profile | SearchResult | Unresolved) -> str:
    if isinstance(result, CheckResult):
        return plain(render_check(result, PLAIN))
    if isinstance(result, Profile):
        return plain(render_profile(result, PLAIN))
    if isinstance(result, SearchResult):
        return plain(render_search(result, PLAIN))
    return "\n".join([*render_unresolved(result, PLAIN), *render_suggestions_plain(result)])


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
        name = t(f"language.name.{setting or 'auto'}")
        return setting, t("language.usage", current=name)
    with using(choose(value, None, system_language())):
        if value == AUTO:
            return value, t("language.auto")
        return value, t("language.set", name=t(f"language.name.{value}"))


async def run_console(interop: Interop, stdin: TextIO = sys.stdin,
                      stdout: TextIO = sys.stdout, language: str = AUTO) -> None:
    """Interactive with a prompt on a TTY; line by line, no prompt, when piped.

    ``language`` is a ``/language`` value (en, zh, zh-Hans, zh-Hant or "" for automatic).
    """
    interactive = stdin.isatty()
    system = system_language()
    if interactive:
        with using(choose(language, None, system)):
            print(t("console.intro"), file=stdout)
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
                reply = await answer_line(interop, line)
        if reply:
            print(reply, file=stdout, flush=True)
            if not interactive:
                print(file=stdout)
