"""Settings from the environment (and an optional .env file), validated once at start.

Every setting is parsed here so that a malformed value stops the program with one clear line
instead of a traceback somewhere deep in a handler. Loading settings never writes anything:
folders are checked here and created by the start-up code (``bot.startup``) when it opens them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "interop.sqlite3"
SEED_PATH = PROJECT_ROOT / "data" / "seed.json"

_TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,}$")
_ASCII_INT = re.compile(r"[0-9]{1,20}")
_LOG_LEVELS = {"CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"}
GROUP_SEND_SPACING = 3.1
"""Seconds between two sends to one group: Telegram allows 20 a minute."""
_SECONDS = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,6})?")


class ConfigError(Exception):
    """A setting that cannot be used; the message is the one line shown to the operator."""


@dataclass(frozen=True, slots=True)
class Settings:
    token: str | None = None
    database_path: Path = DEFAULT_DATABASE
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    base_url: str | None = None
    base_file_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    error_chat_id: int | None = None
    backup_dir: Path | None = None
    backup_keep: int = 7
    seed_path: Path = SEED_PATH
    rate_limiter: bool = True
    """PTB's AIORateLimiter (Telegram's flood limits); ``RATE_LIMITER=off`` for benchmarks and tests."""
    group_send_spacing: float = GROUP_SEND_SPACING
    """The limiter's seconds between two sends to one group; lower only against a test server."""
    web_port: int | None = None
    """Serve the web table (``bot.web``) on this port; None: not served."""
    web_listen: str = "127.0.0.1"
    webapp_url: str | None = None
    """The web table's public https address: the bot offers it as a Telegram Mini App."""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def redactions(self) -> tuple[str, ...]:
        """Secrets that must never reach a log line."""
        return tuple(s for s in (self.token, self.webhook_secret) if s)


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines, read by python-dotenv (quotes, ``export``, inline ``# comments``); the
    process environment still wins over the file. Nothing is written into ``os.environ``."""
    if not path.is_file():
        return {}
    return {key: value for key, value in dotenv_values(path, interpolate=False).items()
            if value is not None}


def _whole(name: str, raw: str, what: str) -> int:
    """An ASCII whole number ("²" and other Unicode digits are refused, not a traceback)."""
    if not _ASCII_INT.fullmatch(raw):
        raise ConfigError(f"{name} must be {what}, got {raw!r}")
    return int(raw)


def _int_list(name: str, raw: str) -> frozenset[int]:
    ids: set[int] = set()
    for part in re.split(r"[,\s]+", raw.strip()):
        if not part:
            continue
        if not _ASCII_INT.fullmatch(part) or int(part) <= 0:
            raise ConfigError(f"{name} must be comma-separated numeric Telegram user IDs "
                              f"(positive whole numbers), got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def _creatable(name: str, folder: Path) -> None:
    """``folder`` exists and is writable, or could be created: checked without writing anything."""
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(f"{name} folder {str(folder)!r} cannot be created: {str(probe)!r} is a file")
    if not os.access(probe, os.W_OK | os.X_OK):
        verb = "is not writable" if probe == folder else "cannot be created (no write permission)"
        raise ConfigError(f"{name} folder {str(folder)!r} {verb}")


def _http_url(name: str, raw: str, *, https_only: bool = False) -> str:
    parts = urlsplit(raw)
    allowed = {"https"} if https_only else {"http", "https"}
    if parts.scheme not in allowed or not parts.hostname:
        need = "an https:// URL" if https_only else "an http(s):// URL"
        raise ConfigError(f"{name} must be {need} with a host, got {raw!r}")
    return raw


def _writable_database(raw: str) -> Path:
    """Check the database path without creating anything (``check-config`` is read-only)."""
    path = Path(raw).expanduser()
    if path.is_dir():
        raise ConfigError(f"DATABASE_PATH {raw!r} is a directory; give a file path")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ConfigError(f"DATABASE_PATH folder {str(parent)!r} is a file, not a folder")
    if path.exists():
        if not os.access(path, os.R_OK):
            raise ConfigError(f"DATABASE_PATH {raw!r} is not readable")
    else:
        _creatable("DATABASE_PATH", parent)
    return path


def _backup_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"BACKUP_DIR {raw!r} is a file, not a folder")
    _creatable("BACKUP_DIR", path)
    return path


def load_settings(env: Mapping[str, str] | None = None, *, dotenv: Path | None = None) -> Settings:
    """Build Settings from ``env`` (default: .env file overlaid by os.environ)."""
    if env is None:
        merged = read_dotenv(dotenv or PROJECT_ROOT / ".env")
        merged.update(os.environ)
        env = merged

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a BotFather token (digits:secret)")

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(sorted(_LOG_LEVELS))}, got {log_level!r}")

    webhook_url = get("WEBHOOK_URL")
    if webhook_url:
        _http_url("WEBHOOK_URL", webhook_url, https_only=True)
    webhook_secret = get("WEBHOOK_SECRET")
    if webhook_secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", webhook_secret):
        raise ConfigError("WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256 characters)")
    if webhook_url and not webhook_secret:
        raise ConfigError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
    port_raw = get("WEBHOOK_PORT") or "8443"
    port = _whole("WEBHOOK_PORT", port_raw, "a port number")
    if not 0 < port < 65536:
        raise ConfigError(f"WEBHOOK_PORT must be a port number, got {port_raw!r}")

    error_chat = get("ERROR_CHAT_ID")
    if error_chat is not None and not re.fullmatch(r"-?[0-9]{1,20}", error_chat):
        raise ConfigError(f"ERROR_CHAT_ID must be a numeric chat ID, got {error_chat!r}")

    keep_raw = get("BACKUP_KEEP") or "7"
    keep = _whole("BACKUP_KEEP", keep_raw, "a positive whole number")
    if keep < 1:
        raise ConfigError(f"BACKUP_KEEP must be a positive whole number, got {keep_raw!r}")
    backup_dir = get("BACKUP_DIR")

    limiter_raw = (get("RATE_LIMITER") or "on").lower()
    if limiter_raw not in ("on", "off"):
        raise ConfigError(f"RATE_LIMITER must be on or off, got {limiter_raw!r}")
    spacing_raw = get("GROUP_SEND_SPACING") or str(GROUP_SEND_SPACING)
    if not _SECONDS.fullmatch(spacing_raw) or not 0 < float(spacing_raw) <= 60:
        raise ConfigError(f"GROUP_SEND_SPACING must be seconds above 0 and at most 60, got {spacing_raw!r}")

    web_port_raw = get("WEB_PORT")
    web_port = _whole("WEB_PORT", web_port_raw, "a port number") if web_port_raw else None
    if web_port is not None and not 0 < web_port < 65536:
        raise ConfigError(f"WEB_PORT must be a port number, got {web_port_raw!r}")
    if web_port is not None and webhook_url and web_port == port:
        raise ConfigError(f"WEB_PORT must differ from WEBHOOK_PORT ({port}): the webhook has that port")
    webapp_url = get("WEBAPP_URL")
    if webapp_url:
        _http_url("WEBAPP_URL", webapp_url, https_only=True)  # Telegram opens Mini Apps over https only

    base_url = get("TELEGRAM_BASE_URL")
    base_file_url = get("TELEGRAM_BASE_FILE_URL")
    return Settings(
        token=token,
        database_path=_writable_database(get("DATABASE_PATH") or str(DEFAULT_DATABASE)),
        admin_ids=_int_list("ADMIN_IDS", get("ADMIN_IDS") or ""),
        log_level=log_level,
        base_url=_http_url("TELEGRAM_BASE_URL", base_url) if base_url else None,
        base_file_url=_http_url("TELEGRAM_BASE_FILE_URL", base_file_url) if base_file_url else None,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        webhook_listen=get("WEBHOOK_LISTEN") or "127.0.0.1",
        webhook_port=port,
        error_chat_id=int(error_chat) if error_chat else None,
        backup_dir=_backup_dir(backup_dir) if backup_dir else None,
        backup_keep=keep,
        seed_path=Path(get("SEED_PATH") or str(SEED_PATH)),
        rate_limiter=limiter_raw == "on",
        group_send_spacing=float(spacing_raw),
        web_port=web_port,
        web_listen=get("WEB_LISTEN") or "127.0.0.1",
        webapp_url=webapp_url,
    )
