"""Admin commands (placeholder: the admin engineer replaces ``admin_handlers``).

``app.build_application`` registers whatever ``admin_handlers`` returns, each in its handler
group, before the user handlers. Admin callback data uses the prefix ``a:``.
"""

from __future__ import annotations

from telegram.ext import BaseHandler

from bot.config import Settings

ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("addfact", "Add a fact"),
    ("editfact", "Edit a fact"),
    ("addsource", "Add a source"),
    ("retract", "Retract a fact"),
    ("restore", "Restore a fact"),
    ("history", "A fact's audit trail"),
    ("addcompany", "Add a company"),
    ("alias", "Add an alias"),
    ("unalias", "Remove an alias"),
    ("import", "Import JSON/CSV"),
    ("export", "Export the store"),
    ("grant", "Grant admin"),
    ("revoke", "Revoke admin"),
    ("admins", "List admins"),
    ("backup", "Download a backup"),
]


def admin_handlers(settings: Settings) -> list[tuple[BaseHandler, int]]:  # type: ignore[type-arg]
    """Every admin handler with its group; empty until the admin commands land."""
    return []
