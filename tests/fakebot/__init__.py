"""A local fake Telegram Bot API server for end-to-end tests (see ``server.FakeTelegram``).

Typical use::

    with FakeTelegram() as fake:                      # serves on 127.0.0.1, free port
        env = {"TELEGRAM_BASE_URL": fake.base_url,    # bot calls {base_url}{token}/{method}
               "TELEGRAM_BASE_FILE_URL": fake.base_file_url}
        ...start `python -m bot` with env and token=fake.token...
        fake.private_message(4242, "/check slack teams")
        reply = fake.wait_for_message(4242, contains="Slack")   # or `await fake.await_for_message`
"""

from .html_check import TelegramHTMLError, check_telegram_html, parse_telegram_html
from .server import Call, FakeTelegram
from .wire import ApiError, UploadedFile

__all__ = [
    "ApiError",
    "Call",
    "FakeTelegram",
    "TelegramHTMLError",
    "UploadedFile",
    "check_telegram_html",
    "parse_telegram_html",
]
