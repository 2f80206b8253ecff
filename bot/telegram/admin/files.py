"""Files the admin commands send and receive: zipped exports and backups, off the event loop.

Serialising, compressing and reading a whole store takes seconds at 100k facts; all of it runs
in worker threads so no chat waits. Telegram takes uploads of at most 50 MB, so everything is
zipped, and an archive still larger than that is not sent: the reply points to the
command-line export instead. ``/import`` takes the zipped export back as well.
"""

from __future__ import annotations

import asyncio
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot import dataset
from bot.store import Store

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024  # bytes a bot may upload in one document


@dataclass(frozen=True, slots=True)
class Archive:
    """One zipped file ready to upload, or only its size when it is too big to."""

    filename: str
    data: bytes  # empty when too big: an archive past the limit is never read into memory
    member: str  # the file inside: interop-export-20250101.json, ...
    size: int

    @property
    def too_big(self) -> bool:
        return self.size > TELEGRAM_UPLOAD_LIMIT


async def export_archives(store: Store) -> list[Archive]:
    """The whole store as zipped JSON and CSV, each streamed to a file by ``dataset.export_file``
    (a worker thread, one snapshot) and zipped in a worker thread: no document in memory."""
    with tempfile.TemporaryDirectory(prefix="interop-export-") as folder:
        return [await _archive(await dataset.export_file(store, Path(folder), fmt))
                for fmt in ("json", "csv")]


def _zip_file(path: Path) -> tuple[bytes, int]:
    """``path`` zipped into a temporary file, and its size; the bytes are read back only when
    Telegram may take them (nothing past the upload limit is held in memory)."""
    with tempfile.TemporaryFile() as out:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
            archive.write(path, arcname=path.name)
        size = out.tell()
        if size > TELEGRAM_UPLOAD_LIMIT:
            return b"", size
        out.seek(0)
        return out.read(), size


async def _archive(path: Path) -> Archive:
    data, size = await asyncio.to_thread(_zip_file, path)
    return Archive(path.name + ".zip", data, path.name, size)


async def backup_archive(path: Path) -> Archive:
    """A backup file, zipped in a worker thread."""
    return await _archive(path)


async def unzip_import(filename: str, data: bytes,
                       limit: int = dataset.MAX_IMPORT_BYTES) -> tuple[str, bytes]:
    """A zipped export -> (the inner file's name, its bytes); other files pass unchanged."""
    return await asyncio.to_thread(dataset.unzip, filename, data, limit)
