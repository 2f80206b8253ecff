"""The terminal adapter: the bot's commands over stdin/stdout, in plain text.

It exists so the answering core can be tried (and piped: ``echo "/check jd alipay" | ...``)
without a Telegram token, and it uses exactly the same core as the bot.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.answers import Interop, parse_count
from bot.domain import Decision, Unresolved
from bot.render import PLAIN, plain, render_decision, render_recent, render_suggestions_plain
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
        return _render(await interop.decide(line, "ask"))
    command, _, args = line.partition(" ")
    command = command.split("@", 1)[0].lower()
    args = args.strip()
    if command in {"/start", "/help"}:
        return t("help", examples="\n".join(f"  {e}" for e in EXAMPLES))
    if command == "/check":
        return _render(await interop.decide(args, "check"))
    if command == "/company":
        if not args:
            return t("usage.company")
        return _render(await interop.decide(args, "company"))
    if command == "/search":
        if not args:
            return t("usage.search")
        return _render(Decision(await interop.search(args)))
    if command == "/recent":
        n = parse_count(args, 10, 50)
        if n is None:
            return t("usage.recent", max=50)
        return plain(render_recent(await interop.recent(n), PLAIN))
    return t("console.unknown_command", cmd=command)


def _render(decision: Decision) -> str:
    """The decision in plain text; did-you-mean choices as a list under it."""
    blocks = render_decision(decision, PLAIN)
    if isinstance(decision.result, Unresolved):
        return "\n".join([*blocks, *render_suggestions_plain(decision.result)])
    if decision.suggest is not None:
        return "\n".join([plain(blocks), *render_suggestions_plain(decision.suggest)])
    return plain(blocks)


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
