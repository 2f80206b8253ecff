"""Files the admin commands send and receive: zipped exports and backups, off the event loop.

Serialising, compressing and reading a whole store takes seconds at 100k facts; all of it runs
in worker threads so no chat waits. Telegram takes uploads of at most 50 MB, so everything is
zipped, and an archive still larger than that is not sent: the reply points to the
command-line export instead. ``/import`` takes the zipped export back as well.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot import dataset
from bot.domain import ValidationError
from bot.store import Store

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024  # bytes a bot may upload in one document


@dataclass(frozen=True, slots=True)
class Archive:
    """One zipped file ready to upload (or too big to)."""

    filename: str
    data: bytes
    member: str  # the file inside: interop-export-20250101.json, ...

    @property
    def too_big(self) -> bool:
        return len(self.data) > TELEGRAM_UPLOAD_LIMIT


def _zip(member: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr(member, data)
    return out.getvalue()


def _export_archives(doc: dict[str, Any], stamp: str) -> list[Archive]:
    """JSON and CSV, each zipped (in a worker thread)."""
    archives = []
    for member, serialise in ((f"interop-export-{stamp}.json", dataset.to_json_bytes),
                              (f"interop-export-{stamp}.csv", dataset.to_csv_bytes)):
        archives.append(Archive(member + ".zip", _zip(member, serialise(doc)), member))
    return archives


async def export_archives(store: Store) -> list[Archive]:
    """The whole store as zipped JSON and CSV; only the reads run on the loop (in aiosqlite)."""
    # When dataset grows a streaming ``export_file(store, path, fmt)``, it replaces the two
    # lines below: write each format to a temporary file in a thread, then zip that file.
    doc = await dataset.export_document(store)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return await asyncio.to_thread(_export_archives, doc, stamp)


def _zip_file(path: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(path, arcname=path.name)
    return out.getvalue()


async def backup_archive(path: Path) -> Archive:
    """A backup file, zipped in a worker thread."""
    return Archive(path.name + ".zip", await asyncio.to_thread(_zip_file, path), path.name)


def _unzip(filename: str, data: bytes, limit: int) -> tuple[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1 or not members[0].filename.lower().endswith((".json", ".csv")):
                raise ValidationError("error.zip_one")
            member = members[0]
            if member.file_size > limit:
                raise ValidationError("error.zip_too_big", mb=limit // (1024 * 1024))
            with archive.open(member) as handle:
                content = handle.read(limit + 1)
            if len(content) > limit:
                raise ValidationError("error.zip_too_big", mb=limit // (1024 * 1024))
            return member.filename.rsplit("/", 1)[-1], content
    except zipfile.BadZipFile:
        raise ValidationError("error.zip_unreadable", name=filename) from None


async def unzip_import(filename: str, data: bytes,
                       limit: int = dataset.MAX_IMPORT_BYTES) -> tuple[str, bytes]:
    """A zipped export -> (the inner file's name, its bytes); other files pass unchanged."""
    if not filename.lower().endswith(".zip"):
        return filename, data
    return await asyncio.to_thread(_unzip, filename, data, limit)
