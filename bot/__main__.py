"""Command line: ``python -m bot [run|console|import|export|check-data|check-config]``.

``run`` (the default) starts the Telegram bot when a token is configured and the terminal
console otherwise, so ``make run`` works on a fresh clone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import sys
import tempfile
from datetime import date
from pathlib import Path

from bot import datacheck, dataset
from bot.answers import Interop
from bot.config import ConfigError, Settings, load_settings
from bot.domain import InteropError
from bot.logs import setup_logging
from bot.render import PLAIN, render_import_report
from bot.startup import inspect_database, open_interop, open_store
from bot.texts import t

log = logging.getLogger("bot")
# The operator's own files on the server: far more generous than chat uploads.
CLI_MAX_IMPORT_BYTES = 2 * 1024**3
CLI_MAX_IMPORT_ROWS = 10_000_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interop-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (console if no token is set)")
    console = sub.add_parser("console", help="answer questions in the terminal")
    console.add_argument("--admin", action="store_true",
                         help="act as an owner: add, edit, import and export facts")
    console.add_argument("--lang", default="auto", type=_language,
                         help="reply language: en, zh, zh-hans, zh-hant or auto (default: follow each "
                              "question, then LANG)")
    sub.add_parser("check-config", help="validate settings and the database, then exit")
    imp = sub.add_parser("import", help="import a JSON or CSV export")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true")
    lint = sub.add_parser("check-data", help="check a dataset file (default: the seed) against the "
                                              "data rules; exit 1 on errors")
    lint.add_argument("file", type=Path, nargs="?", help="a JSON or CSV export, or a zip of one")
    lint.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    exp = sub.add_parser("export", help="write the whole store as JSON, CSV or zip (by suffix)")
    exp.add_argument("file", type=Path)
    site = sub.add_parser("site", help="write the web table (pages, open data, change feed) into a folder")
    site.add_argument("out", type=Path)
    site.add_argument("--bot", default=None, type=_username,
                      help="the bot's username, for the pages' 'open in the bot' links")
    site.add_argument("--jobs", default=0, type=int,
                      help="processes writing pages (default: one per CPU for a big store)")
    return parser


def _language(value: str) -> str:
    """``--lang`` -> a /language setting; argparse reports anything else."""
    from bot.i18n import parse_setting

    found = parse_setting(value)
    if found is None:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}: use en, zh, zh-hans, zh-hant or auto")
    return found


def _username(value: str) -> str:
    """``--bot``: a Telegram username (5-32 letters, digits, underscores), with or without "@"."""
    name = value.removeprefix("@")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{4,31}", name):
        raise argparse.ArgumentTypeError(f"not a Telegram username: {value!r}")
    return name


async def _open(settings: Settings) -> Interop:
    return await open_interop(settings.database_path, seed=settings.seed_path)


async def _console(settings: Settings, admin: bool = False, language: str = "") -> int:
    from bot.console import run_console

    interop = await _open(settings)
    try:
        await run_console(interop, admin=admin, language=language)
    finally:
        await interop.close()
    return 0


async def _import(settings: Settings, file: Path, dry_run: bool) -> int:
    """Import a file; 1 when any row was rejected. A dry run writes nothing at all: not the seed,
    and not even the database file (a missing one is stood in for by a temporary empty store)."""
    _, doc = await asyncio.to_thread(_read, file)
    with tempfile.TemporaryDirectory(prefix="interop-dry-run-") as scratch:
        path = settings.database_path
        if dry_run and not path.exists():
            path = Path(scratch) / "empty.sqlite3"
        interop = await open_interop(path, seed=None if dry_run else settings.seed_path)
        try:
            report = await dataset.import_document(interop.store, doc, "cli", dry_run=dry_run,
                                                   lint=True)
        finally:
            await interop.close()
    print(render_import_report(report, file.name, PLAIN))
    return 1 if report.rejected or report.blocked else 0


def _read(file: Path) -> tuple[str, dict[str, object]]:
    """A JSON or CSV export, or a zip of one, parsed: with the operator's generous limits."""
    return dataset.read_upload(file.name, file.read_bytes(), max_bytes=CLI_MAX_IMPORT_BYTES,
                               max_rows=CLI_MAX_IMPORT_ROWS)


async def _check_data(file: Path, today: date | None = None) -> int:
    """Lint a dataset file (the seed by default): one line per finding, then the counts;
    1 when there is any error, 0 with only warnings."""
    _, doc = await asyncio.to_thread(_read, file)
    report = await asyncio.to_thread(datacheck.check, doc, today=today)
    for line in datacheck.lines(report):
        print(line)
    return 1 if report.errors else 0


async def _export(settings: Settings, file: Path) -> int:
    """Stream the store to ``file`` (``dataset.export_file``, one snapshot, no document in memory);
    the suffix picks the format, JSON unless it is .csv or .zip."""
    suffix = file.suffix.lower().lstrip(".")
    fmt = suffix if suffix in dataset.EXPORT_FORMATS else "json"
    store = await open_store(settings.database_path, seed=settings.seed_path)  # no name index
    try:
        # Written beside the target, then renamed onto it: a reader never sees half a file.
        with tempfile.TemporaryDirectory(prefix=".interop-export-", dir=file.parent) as folder:
            written = await dataset.export_file(store, Path(folder), fmt)
            await asyncio.to_thread(written.replace, file)
        counts = await store.counts()
    finally:
        await store.close()
    print(f"Exported {counts['companies']} companies and {counts['facts_all']} facts to {file}")
    return 0


SITE_JOBS_OVER = 20_000
"""Facts past which ``site`` writes with one process per CPU: below, starting them costs more."""


async def _site(settings: Settings, out: Path, bot_username: str | None, jobs: int = 0) -> int:
    """Write the web table from the store, read-only: a missing database is an error, not a seed."""
    from bot.web.site import Site

    if not settings.database_path.exists():
        print(f"interop-bot: no database at {settings.database_path}", file=sys.stderr)
        return 1
    interop = await open_interop(settings.database_path, seed=None)  # no seed: nothing is written
    try:
        if jobs <= 0:
            big = (await interop.about()).facts > SITE_JOBS_OVER
            jobs = (os.cpu_count() or 1) if big else 1
        files, size = await Site(interop, bot_username).write(out, jobs)
    finally:
        await interop.close()
    print(f"Wrote {files} files ({size:,} bytes) to {out}")
    return 0


async def _check_config(settings: Settings) -> int:
    """Validate settings and look at the database read-only: nothing is created or seeded."""
    state = await inspect_database(settings.database_path)
    mode = "webhook" if settings.webhook_url else ("polling" if settings.token else "console")
    if state.exists:
        held = f"({state.companies} companies, {state.facts} facts)"
    else:
        held = "(not created yet: the first start creates it and loads the seed)"
    print(f"OK: {mode} mode, database {settings.database_path} {held}, "
          f"{len(settings.admin_ids)} owner(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"interop-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings)
    command = args.command or "run"
    try:
        if command == "console":
            return asyncio.run(_console(settings, admin=args.admin, language=args.lang))
        if command == "import":
            return asyncio.run(_import(settings, args.file, args.dry_run))
        if command == "check-data":
            return asyncio.run(_check_data(args.file or settings.seed_path,
                                           args.today))
        if command == "export":
            return asyncio.run(_export(settings, args.file))
        if command == "site":
            return asyncio.run(_site(settings, args.out, args.bot, args.jobs))
        if command == "check-config":
            return asyncio.run(_check_config(settings))
        if settings.token is None:
            from bot.console import system_language
            from bot.i18n import choose

            print(t("console.no_token", choose(None, None, system_language())), file=sys.stderr)
            return asyncio.run(_console(settings))
        from bot.telegram.app import run_bot

        return run_bot(settings)
    except InteropError as exc:
        print(f"interop-bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"interop-bot: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
