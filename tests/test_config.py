"""Settings: defaults, .env parsing, and one clear line for every malformed value."""

from __future__ import annotations

import asyncio
import json
import sqlite3
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


# -- settings and read-only commands ---------------------------------------------------------------


def test_dotenv_inline_comments_and_quotes(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("ADMIN_IDS=1 # me\nLOG_LEVEL='DEBUG' # loud\nSEED_PATH=data/a#b.json\n")
    values = read_dotenv(env)
    assert values["ADMIN_IDS"] == "1" and values["LOG_LEVEL"] == "DEBUG"
    assert values["SEED_PATH"] == "data/a#b.json"  # a '#' inside a value is not a comment
    settings = load_settings(values)
    assert settings.admin_ids == {1}


@pytest.mark.parametrize(("env", "message"), [
    ({"WEBHOOK_PORT": "²"}, "WEBHOOK_PORT"),
    ({"WEBHOOK_PORT": "８４４３"}, "WEBHOOK_PORT"),
    ({"BACKUP_KEEP": "①"}, "BACKUP_KEEP"),
    ({"ADMIN_IDS": "0"}, "ADMIN_IDS"),
    ({"ADMIN_IDS": "5,-7"}, "ADMIN_IDS"),
    ({"ADMIN_IDS": "١٢"}, "ADMIN_IDS"),
    ({"ERROR_CHAT_ID": "-١٢"}, "ERROR_CHAT_ID"),
])
def test_unicode_digits_and_non_positive_ids_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_an_unusable_backup_dir_is_refused_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="BACKUP_DIR"):
        load_settings({"BACKUP_DIR": str(blocker)})
    with pytest.raises(ConfigError, match="BACKUP_DIR"):
        load_settings({"BACKUP_DIR": str(blocker / "below")})
    assert load_settings({"BACKUP_DIR": str(tmp_path / "new" / "b")}).backup_dir == tmp_path / "new" / "b"
    assert not (tmp_path / "new").exists()  # checked, not created


def _cli(tmp_path: Path, *args: str, db: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(db), **extra}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=Path(__file__).resolve().parent.parent)


def test_a_unicode_digit_setting_exits_2_in_one_line(tmp_path: Path) -> None:
    result = _cli(tmp_path, "check-config", db=tmp_path / "d.sqlite3", WEBHOOK_PORT="²")
    assert result.returncode == 2 and "WEBHOOK_PORT" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") == 0


def test_check_config_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "new" / "sub" / "d.sqlite3"
    result = _cli(tmp_path, "check-config", db=db)
    assert result.returncode == 0 and "OK" in result.stdout, result.stderr
    assert not (tmp_path / "new").exists()  # no folder, no database, no seed


def test_import_dry_run_writes_nothing(tmp_path: Path) -> None:
    doc = {"format": "interop-bot/1", "companies": [{"name": "Zq Co", "aliases": []}], "facts": []}
    file = tmp_path / "in.json"
    file.write_text(json.dumps(doc))
    missing = tmp_path / "missing" / "d.sqlite3"
    result = _cli(tmp_path, "import", str(file), "--dry-run", db=missing)
    assert result.returncode == 0, result.stderr
    assert "Dry run" in result.stdout and "1 new" in result.stdout
    assert not missing.parent.exists()
    # An existing but empty database stays empty: the seed is not loaded by a dry run.
    empty = tmp_path / "empty.sqlite3"
    asyncio.run(_create_empty(empty))
    before = empty.read_bytes()
    assert _cli(tmp_path, "import", str(file), "--dry-run", db=empty).returncode == 0
    conn = sqlite3.connect(empty)
    assert conn.execute("SELECT count(*) FROM company").fetchone() == (0,)
    conn.close()
    assert len(empty.read_bytes()) == len(before)


async def _create_empty(path: Path) -> None:
    from bot.store import Store

    store = await Store.open(path)
    await store.close()


def test_cli_import_with_rejected_rows_or_an_unknown_format_exits_non_zero(tmp_path: Path) -> None:
    db = tmp_path / "d.sqlite3"
    bad_row = {"format": "interop-bot/1", "companies": [], "facts": [
        {"subject": "Nobody Inc", "object": "Alipay", "kind": "payments", "status": "live",
         "summary": "x", "sources": [{"url": "https://example.com"}]}]}
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps(bad_row))
    result = _cli(tmp_path, "import", str(rows), db=db)
    assert result.returncode == 1 and "1 rejected" in result.stdout, (result.stdout, result.stderr)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({**bad_row, "format": "someone-else/9", "facts": []}))
    result = _cli(tmp_path, "import", str(other), db=db)
    assert result.returncode == 1 and "someone-else/9" in result.stderr


def test_rate_limiter_switch() -> None:
    assert load_settings({}).rate_limiter is True
    assert load_settings({"RATE_LIMITER": "OFF"}).rate_limiter is False
    with pytest.raises(ConfigError, match="RATE_LIMITER"):
        load_settings({"RATE_LIMITER": "maybe"})


def test_group_send_spacing_defaults_to_telegrams_20_a_minute() -> None:
    assert load_settings({}).group_send_spacing == 3.1
    assert load_settings({"GROUP_SEND_SPACING": "0.05"}).group_send_spacing == 0.05
    for bad in ("0", "-1", "fast", "61", "1e-3", "nan", "²"):
        with pytest.raises(ConfigError, match="GROUP_SEND_SPACING"):
            load_settings({"GROUP_SEND_SPACING": bad})
