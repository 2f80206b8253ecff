"""Command line: ``python -m bot [run|console|import|export|check-config]``.

``run`` (the default) starts the Telegram bot when a token is configured and the terminal
console otherwise, so ``make run`` works on a fresh clone.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot import dataset
from bot.answers import Interop
from bot.config import ConfigError, Settings, load_settings
from bot.domain import InteropError
from bot.logs import setup_logging
from bot.texts import t

log = logging.getLogger("bot")
# The operator's own files on the server: far more generous than chat uploads.
CLI_MAX_IMPORT_BYTES = 2 * 1024**3
CLI_MAX_IMPORT_ROWS = 10_000_000


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interop-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the Telegram bot (console if no token is set)")
    con = sub.add_parser("console", help="answer questions in the terminal")
    con.add_argument("--lang", default="auto", type=_language,
                     help="reply language: en, zh, zh-hans, zh-hant or auto (default: follow each "
                          "question, then LANG)")
    sub.add_parser("check-config", help="validate settings and the database, then exit")
    imp = sub.add_parser("import", help="import a JSON or CSV export")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true")
    exp = sub.add_parser("export", help="write the whole store as JSON or CSV")
    exp.add_argument("file", type=Path)
    return parser


def _language(value: str) -> str:
    """``--lang`` -> a /language setting; argparse reports anything else."""
    from bot.i18n import parse_setting

    found = parse_setting(value)
    if found is None:
        raise argparse.ArgumentTypeError(f"unknown language {value!r}: use en, zh, zh-hans, zh-hant or auto")
    return found


async def _open(settings: Settings) -> Interop:
    return await Interop.open(settings.database_path, seed=settings.seed_path)


async def _console(settings: Settings, language: str = "") -> int:
    from bot.console import run_console

    interop = await _open(settings)
    try:
        await run_console(interop, language=language)
    finally:
        await interop.close()
    return 0


async def _import(settings: Settings, file: Path, dry_run: bool) -> int:
    interop = await _open(settings)
    try:
        doc = dataset.parse_document(file.name, await asyncio.to_thread(file.read_bytes),
                                     max_bytes=CLI_MAX_IMPORT_BYTES, max_rows=CLI_MAX_IMPORT_ROWS)
        report = await dataset.import_document(interop.store, doc, "cli", dry_run=dry_run)
    finally:
        await interop.close()
    verb = "Would import" if dry_run else "Imported"
    print(f"{verb}: {report.new} new, {report.updated} updated, {report.unchanged} unchanged "
          f"facts; {report.new_companies} new and {report.updated_companies} updated companies; "
          f"{len(report.rejected)} rejected")
    for label, reason in report.rejected:
        print(f"  {label}: {reason}")
    return 0


async def _export(settings: Settings, file: Path) -> int:
    interop = await _open(settings)
    try:
        doc = await dataset.export_document(interop.store)
    finally:
        await interop.close()
    data = dataset.to_csv_bytes(doc) if file.suffix.lower() == ".csv" else dataset.to_json_bytes(doc)
    await asyncio.to_thread(file.write_bytes, data)
    print(f"Exported {len(doc['companies'])} companies and {len(doc['facts'])} facts to {file}")
    return 0


async def _check_config(settings: Settings) -> int:
    interop = await _open(settings)
    try:
        counts = await interop.store.counts()
    finally:
        await interop.close()
    mode = "webhook" if settings.webhook_url else ("polling" if settings.token else "console")
    print(f"OK: {mode} mode, database {settings.database_path} "
          f"({counts['companies']} companies, {counts['facts']} facts), "
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
            return asyncio.run(_console(settings, args.lang))
        if command == "import":
            return asyncio.run(_import(settings, args.file, args.dry_run))
        if command == "export":
            return asyncio.run(_export(settings, args.file))
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
