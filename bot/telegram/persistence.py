"""PTB persistence in the bot's own SQLite file: the /addfact form, pending confirmations, search pages.

``SQLitePersistence`` keeps user data, chat data and conversation states in the ``tg_state``
table (a migration in bot/store/schema.py), so a half-filled form, an import waiting for Apply and the
tokens behind search page buttons all survive a restart. ``bot_data`` holds live services and is
not persisted. Values are pickled: they are the adapter's own small objects, never user code.
Its rows are read and written through the store (bot/store/tg_state.py), on the store's one
writer: ``post_init`` hands the store over once it is open. PTB loads persistence before that,
so the first loads read the file directly (and tolerate a file that does not exist yet).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pickle
import time
from collections.abc import MutableMapping
from pathlib import Path

from telegram.ext import BasePersistence, PersistenceInput

from bot.domain import StorageError
from bot.store import WRITE_TIMEOUT, Store, tg_state
from bot.telegram.context import BotData, ChatData

log = logging.getLogger(__name__)

ConversationKey = tuple[int | str, ...]
ConversationDict = MutableMapping[ConversationKey, object]
"""PTB's own aliases for ``BasePersistence``'s conversation methods, which it does not export."""
UPDATE_INTERVAL = 5.0  # seconds between flushes; a clean stop always flushes


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _busy(exc: BaseException) -> bool:
    """Another process held the file past the timeout: the store refused the write as busy."""
    return isinstance(exc, StorageError) and exc.key == "error.db_busy"


class SQLitePersistence(BasePersistence[ChatData, ChatData, BotData]):
    """User data, chat data and conversations in the ``tg_state`` table of the store's file."""

    def __init__(self, path: Path, update_interval: float = UPDATE_INTERVAL) -> None:
        super().__init__(store_data=PersistenceInput(bot_data=False, callback_data=False),
                         update_interval=update_interval)
        self.path = path
        self.write_timeout = WRITE_TIMEOUT
        self.retry_interval = update_interval  # after a busy database refused a save
        self._retry: asyncio.Task[None] | None = None
        self.store: Store | None = None
        """Set by ``post_init`` once the store is open; every write goes through it."""
        self._lock = asyncio.Lock()
        self._pending: dict[tg_state.StateKey, bytes | None] = {}
        self._stored: dict[tg_state.StateKey, bytes] = {}
        """A digest of what each row holds (no key: no row). PTB saves every user and chat that
        sent an update at each flush, changed or not; a save that would write the same thing
        (most often an empty dict that was never stored) costs no transaction."""

    async def _save(self, kind: str, key: str, value: object | None) -> None:
        """Pickle on the loop (a snapshot no handler can change halfway); the store's writer writes.

        PTB saves every changed chat and user at each flush, all at once: the saves queue here
        and whoever holds the flush lock writes every one queued so far in one transaction.
        A database another process holds longer than ``write_timeout`` (counted from this call,
        queueing included) keeps the rows for the next flush, with one warning and no error:
        the handlers' state lives on in memory meanwhile.
        """
        deadline = time.monotonic() + self.write_timeout
        data = None if value is None else pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        digest = None if data is None else _digest(data)
        if (kind, key) not in self._pending and self._stored.get((kind, key)) == digest:
            return
        if digest is None:
            self._stored.pop((kind, key), None)
        else:
            self._stored[(kind, key)] = digest
        self._pending[(kind, key)] = data
        await self._write_pending(deadline)

    async def _write_pending(self, deadline: float) -> None:
        async with self._lock:  # one flush at a time: it writes every save queued so far
            if not self._pending:  # an earlier save wrote this one too
                return
            left = deadline - time.monotonic()
            if left <= 0:  # the writes ahead used this save's time: the next flush writes it
                return
            if self.store is None:  # closed already (post_shutdown wrote what it held)
                log.debug("No store: %d chat and user states not saved", len(self._pending))
                return
            batch, self._pending = self._pending, {}
            try:
                # Every pending row in one transaction: one commit (and one WAL sync) per flush.
                await self.store.write(tg_state.save, batch, wait=left)
            except BaseException as exc:
                self._pending = {**batch, **self._pending}  # newer values win; the next flush retries
                for row in batch:  # what the file holds is unknown now: the next save writes
                    self._stored[row] = b"?"
                if _busy(exc):
                    log.warning("The database is busy: %d chat and user states kept for the "
                                "next save", len(self._pending))
                    self._retry_later()
                    return
                raise

    def _retry_later(self) -> None:
        """PTB saves only what changed since its last flush: what the busy database refused is
        written by the next save of anything, or here, one flush interval later."""
        if self._retry is not None and not self._retry.done():
            return

        async def retry() -> None:
            await asyncio.sleep(self.retry_interval)
            try:
                await self._write_pending(time.monotonic() + self.write_timeout)
            except Exception:  # not PTB's flush: nobody else would hear of it
                log.exception("Saving chat and user states failed")

        self._retry = asyncio.create_task(retry())

    async def _load(self, kind: str) -> list[tuple[str, object]]:
        if self.store is not None:
            rows = await self.store.read(tg_state.load, kind)
        else:
            rows = await asyncio.to_thread(tg_state.load_before_open, self.path, kind)
        loaded: list[tuple[str, object]] = []
        for key, data in rows:
            self._stored[(kind, key)] = _digest(data)
            try:
                loaded.append((key, pickle.loads(data)))
            except Exception:  # state from an older version that no longer loads: start afresh
                log.warning("Dropping unreadable %s state %s", kind, key)
        return loaded

    # -- BasePersistence ----------------------------------------------------------------------

    async def get_user_data(self) -> dict[int, ChatData]:
        return {int(key): value for key, value in await self._load("user") if isinstance(value, dict)}

    async def get_chat_data(self) -> dict[int, ChatData]:
        return {int(key): value for key, value in await self._load("chat") if isinstance(value, dict)}

    async def get_bot_data(self) -> BotData:
        return BotData()  # never persisted: bot_data holds the live services

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        conversations: ConversationDict = {}
        for key, value in await self._load("conversation"):
            if isinstance(value, tuple) and len(value) == 2 and value[0] == name:
                conversations[tuple(json.loads(key)[1:])] = value[1]
        return conversations

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self._save("conversation", json.dumps([name, *key]),
                         None if new_state is None else (name, new_state))

    async def update_user_data(self, user_id: int, data: ChatData) -> None:
        await self._save("user", str(user_id), data or None)

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        await self._save("chat", str(chat_id), data or None)

    async def update_bot_data(self, data: BotData) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._save("chat", str(chat_id), None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._save("user", str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: ChatData) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        return None

    async def flush(self) -> None:
        """A clean stop: write what is still pending (a save the database was too busy for)."""
        if self._retry is not None:
            self._retry.cancel()
        await self._write_pending(time.monotonic() + self.write_timeout)
