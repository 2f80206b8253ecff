"""Settings: defaults, .env parsing, and one clear line for every malformed value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE, ConfigError, load_settings, read_dotenv

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"


def test_defaults_need_nothing() -> None:
    settings = load_settings({})
    assert settings.token is None
    assert settings.database_path == DEFAULT_DATABASE
    assert settings.admin_ids == frozenset()
    assert settings.log_level == "INFO"


def test_full_settings(tmp_path: Path) -> None:
    settings = load_settings({
        "TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_PATH": str(tmp_path / "x.sqlite3"),
        "ADMIN_IDS": "1, 22 333", "LOG_LEVEL": "debug", "TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
        "WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret_-x", "WEBHOOK_PORT": "8080",
        "ERROR_CHAT_ID": "-100123", "BACKUP_DIR": str(tmp_path / "b"), "BACKUP_KEEP": "3",
    })
    assert settings.admin_ids == {1, 22, 333}
    assert settings.log_level == "DEBUG"
    assert settings.webhook_port == 8080 and settings.error_chat_id == -100123
    assert settings.redactions == (TOKEN, "s3cret_-x")


@pytest.mark.parametrize(("env", "message"), [
    ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ({"ADMIN_IDS": "12,abc"}, "ADMIN_IDS"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ({"WEBHOOK_URL": "ftp://x.org", "WEBHOOK_SECRET": "a"}, "WEBHOOK_URL"),
    ({"WEBHOOK_URL": "http://x.org/hook", "WEBHOOK_SECRET": "a"}, "https"),
    ({"WEBHOOK_URL": "https://x.org/hook"}, "WEBHOOK_SECRET is required"),
    ({"WEBHOOK_SECRET": "bad secret!"}, "WEBHOOK_SECRET"),
    ({"WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
    ({"TELEGRAM_BASE_URL": "localhost:8081"}, "TELEGRAM_BASE_URL"),
    ({"ERROR_CHAT_ID": "me"}, "ERROR_CHAT_ID"),
    ({"BACKUP_KEEP": "0"}, "BACKUP_KEEP"),
])
def test_malformed_values_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_database_path_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_settings({"DATABASE_PATH": str(tmp_path)})
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot be created"):
        load_settings({"DATABASE_PATH": str(blocker / "sub" / "db.sqlite3")})


def test_dotenv_parsing(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nexport ADMIN_IDS='7,8'\nLOG_LEVEL = \"WARNING\"\nBROKEN LINE\n\n")
    assert read_dotenv(env) == {"ADMIN_IDS": "7,8", "LOG_LEVEL": "WARNING"}


def test_cli_reports_a_config_error_in_one_line_without_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "ADMIN_IDS": "alice", "DATABASE_PATH": str(tmp_path / "d.sqlite3")},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "ADMIN_IDS" in result.stderr and "Traceback" not in result.stderr


def test_rate_limiter_switch() -> None:
    assert load_settings({}).rate_limiter is True
    assert load_settings({"RATE_LIMITER": "OFF"}).rate_limiter is False
    with pytest.raises(ConfigError, match="RATE_LIMITER"):
        load_settings({"RATE_LIMITER": "maybe"})
