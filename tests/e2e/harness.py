"""Running the real bot process (``python -m bot``) against a local FakeTelegram server.

A test plays Telegram's users through the fake and observes the bot only through the Bot API
calls it makes, so everything between the HTTP socket and SQLite is exercised for real: the
settings, PTB's polling loop, the handlers, the store and the shutdown path.

Nothing here sleeps for a fixed time: every wait is on an event (a Bot API call, the long poll,
the process exiting) with a timeout, so a slow machine only makes the suite slower, never flaky.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fakebot import Call, FakeTelegram

REPO_ROOT = Path(__file__).resolve().parents[2]
# Not the fake's default: a token no other test uses, so finding it in a log means a real leak.
TOKEN = "7355608123:E2eSecretPartThatMustNeverBeLogged_x9Q"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
BOT_USERNAME = "InteropTestBot"
OWNER_ID = 700_001  # in ADMIN_IDS
# More owners, so each admin journey has its own private chat (and its own form state).
OWNER_IDS = (OWNER_ID, 700_002, 700_003, 700_004, 700_005)
ERROR_CHAT_ID = -100_777_000_999  # where the bot reports handler failures; must stay silent
START_TIMEOUT = 30.0  # generous: two cores shared with other test processes
REPLY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0  # the requirement: SIGTERM ends the process within 5 s
GENERIC_ERROR = "Sorry, something went wrong"

# Every setting bot/config.py reads, so a developer's .env can never leak into a test run.
_SETTINGS = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_BASE_URL", "TELEGRAM_BASE_FILE_URL", "DATABASE_PATH",
    "ADMIN_IDS", "LOG_LEVEL", "ERROR_CHAT_ID", "BACKUP_DIR", "BACKUP_KEEP", "WEBHOOK_URL",
    "WEBHOOK_SECRET", "WEBHOOK_LISTEN", "WEBHOOK_PORT", "SEED_PATH",
    "RATE_LIMITER", "GROUP_SEND_SPACING",
)


def new_fake(*, privacy_mode: bool = True) -> FakeTelegram:
    """A started fake server for TOKEN, with the operators' chats known (as if they had /start-ed)."""
    fake = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, privacy_mode=privacy_mode).start()
    for owner in OWNER_IDS:
        fake.add_chat(owner, first_name="Owner")
    fake.add_chat(ERROR_CHAT_ID, chat_type="supergroup", title="Bot errors")
    return fake


@dataclass
class BotProcess:
    """One ``python -m bot`` subprocess; its stdout and stderr go to a file, so no pipe can fill."""

    fake: FakeTelegram
    database: Path
    log_path: Path
    admin_ids: tuple[int, ...] = OWNER_IDS
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)
    failures_expected: bool = False  # tracebacks and error reports: only where a test injects them
    proc: subprocess.Popen[bytes] | None = None
    returncode: int | None = None
    stop_seconds: float | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
        env.update({name: "" for name in _SETTINGS})  # empty beats a value in .env
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=self.fake.base_url,
            TELEGRAM_BASE_FILE_URL=self.fake.base_file_url,
            DATABASE_PATH=str(self.database),
            ADMIN_IDS=",".join(str(i) for i in self.admin_ids),
            LOG_LEVEL=self.log_level,
            ERROR_CHAT_ID=str(ERROR_CHAT_ID),
            # Telegram's flood limits would space a group's replies 3.1 s apart in every test;
            # the limiter's own tests turn it on (extra_env={"RATE_LIMITER": "on"}).
            RATE_LIMITER="off",
            PYTHONUNBUFFERED="1",  # logs reach the file as they happen, for per-test checks
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(self.extra_env)
        return env

    def spawn(self) -> None:
        """Start ``python -m bot`` from the repository root, output appended to ``log_path``."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot"],
                cwd=REPO_ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def start(self) -> BotProcess:
        """Spawn and block until the bot long-polls the fake (for sync fixtures)."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.fake.wait_until_polling(timeout=0.25)
                return self
            except TimeoutError:
                self._check_starting(deadline)

    async def astart(self) -> BotProcess:
        """Spawn and wait, without blocking the event loop, until the bot long-polls the fake."""
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                await self.fake.await_polling(0.25)
                return self
            except TimeoutError:
                self._check_starting(deadline)

    def _check_starting(self, deadline: float) -> None:
        """Between short waits for polling: fail at once if the bot died, or at the deadline."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the bot exited with {self.proc.returncode} before polling:\n{self.log()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the bot did not poll within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self, timeout: float = STOP_TIMEOUT, signum: int = signal.SIGTERM) -> int:
        """Send ONE signal, then wait up to ``timeout``; a hang is killed and reported as a failure.

        Exactly one, as a supervisor sends: today a second signal that lands during PTB's shutdown
        skips post_shutdown, and the process then hangs on the store's non-daemon worker threads.
        """
        assert self.proc is not None
        if self.proc.poll() is None:
            started = time.monotonic()
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                name = signal.Signals(signum).name
                raise AssertionError(f"the bot ignored {name} for {timeout} s:\n{self.log()}") from None
            self.stop_seconds = time.monotonic() - started
        self.returncode = self.proc.returncode
        return self.returncode

    async def astop(self, timeout: float = STOP_TIMEOUT,  # noqa: ASYNC109 - mirrors stop()
                    signum: int = signal.SIGTERM) -> int:
        """``stop`` for async tests: the wait runs in a thread, the event loop stays free."""
        return await asyncio.to_thread(self.stop, timeout, signum)

    def kill(self) -> None:
        """Last resort in a teardown that already failed: never leave an orphan behind."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def assert_log_clean(self) -> None:
        """The token never reaches the logs, and no handler crashed with a traceback."""
        text = self.log()
        assert TOKEN_SECRET not in text, f"the bot token leaked into the log {self.log_path}"
        if not self.failures_expected:
            assert "Traceback" not in text, f"the bot logged a traceback:\n{text}"


# The ``launch`` fixture: ``await launch(database=None, *, fake=None, privacy_mode=True, **options)``
# starts another bot process (options as for BotProcess) and returns it once it polls.
Launch = Callable[..., Awaitable[BotProcess]]


# -- observing the bot ------------------------------------------------------------------------


def visible(message: dict[str, Any]) -> str:
    """What the user sees: text or caption."""
    return str(message.get("text") or message.get("caption") or "")


def links(message: dict[str, Any]) -> list[str]:
    """The URLs of text_link entities (HTML <a href>) and bare URLs in the message."""
    text = visible(message)
    urls = []
    for entity in message.get("entities") or message.get("caption_entities") or []:
        if entity["type"] == "text_link":
            urls.append(entity["url"])
        elif entity["type"] == "url":
            urls.append(_utf16(text, entity["offset"], entity["length"]))
    return urls


def _utf16(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every callback button, row by row."""
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [(b["text"], b["callback_data"]) for row in rows for b in row if "callback_data" in b]


def button(message: dict[str, Any], label_contains: str) -> str:
    """The callback_data of the first button whose label contains the text (fails with the keyboard)."""
    for label, data in buttons(message):
        if label_contains.casefold() in label.casefold():
            return data
    raise AssertionError(f"no button labelled like {label_contains!r}; keyboard: {buttons(message)}")


def sends_to(chat_id: int) -> Any:
    """Predicate: a successful sendMessage/sendDocument/sendPhoto to ``chat_id``."""

    def matches(call: Call) -> bool:
        sent = call.ok and call.method in ("sendMessage", "sendDocument", "sendPhoto")
        return sent and call.result["chat"]["id"] == chat_id

    return matches


def replies_in(fake: FakeTelegram, chat_id: int, since: int) -> list[Call]:
    """Every successful send to ``chat_id`` at or after the mark ``since``."""
    return [c for c in fake.calls[since:] if sends_to(chat_id)(c)]


def failed_calls(fake: FakeTelegram, since: int = 0) -> list[Call]:
    """Bot API calls the fake rejected (bad HTML, bad keyboards, ...), except long-poll conflicts."""
    return [c for c in fake.calls[since:] if not c.ok and c.method != "getUpdates"]


# -- playing the users ------------------------------------------------------------------------


async def say_private(fake: FakeTelegram, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
    """A user writes to the bot in private; returns the bot's first reply (as it is now)."""
    since = fake.mark()
    fake.private_message(user_id, text, **kw)
    return await fake.await_for_message(user_id, since=since, timeout=REPLY_TIMEOUT)


async def say_group(fake: FakeTelegram, chat_id: int, user_id: int, text: str, **kw: Any) -> dict[str, Any]:
    """A user writes in a group; returns the bot's first reply there."""
    since = fake.mark()
    fake.group_message(chat_id, user_id, text, **kw)
    return await fake.await_for_message(chat_id, since=since, timeout=REPLY_TIMEOUT)


async def press_for_message(fake: FakeTelegram, message: dict[str, Any], data: str, user_id: int,
                            contains: str | None = None) -> dict[str, Any]:
    """Press a button whose handler sends a new message (the next form step); returns that message."""
    chat_id = message["chat"]["id"]
    since = fake.mark()
    fake.press_button(chat_id, message["message_id"], data, user_id=user_id)
    return await fake.await_for_message(chat_id, contains=contains, since=since, timeout=REPLY_TIMEOUT)


async def press_for_edit(fake: FakeTelegram, message: dict[str, Any], data: str, user_id: int,
                         contains: str) -> dict[str, Any]:
    """Press a button and wait until the message it is on has been edited to contain ``contains``."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    since = fake.mark()
    fake.press_button(chat_id, message_id, data, user_id=user_id)

    def edited(call: Call) -> bool:
        return (call.ok and call.method == "editMessageText" and isinstance(call.result, dict)
                and call.result["chat"]["id"] == chat_id and call.result["message_id"] == message_id
                and contains in visible(call.result))

    await fake.await_for(edited, REPLY_TIMEOUT, since=since)
    return fake.message(chat_id, message_id)


async def press(fake: FakeTelegram, message: dict[str, Any], data: str, user_id: int) -> dict[str, Any]:
    """Press a button and wait until the press is answered; returns the message as it is then.

    The bot answers the callback query last (after editing or sending), so once the answer is
    in, every effect of the press is visible in the fake.
    """
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    since = fake.mark()
    query_id = fake.press_button(chat_id, message_id, data, user_id=user_id)
    await fake.await_for(
        lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") == query_id,
        REPLY_TIMEOUT,
        since=since,
    )
    return fake.message(chat_id, message_id)


def edits_of(fake: FakeTelegram, message: dict[str, Any], since: int = 0) -> list[Call]:
    """Successful edits of one message since a mark."""
    chat_id, message_id = message["chat"]["id"], message["message_id"]
    return [
        c for c in fake.calls[since:]
        if c.ok and c.method.startswith("editMessage") and isinstance(c.result, dict)
        and c.result["chat"]["id"] == chat_id and c.result["message_id"] == message_id
    ]
