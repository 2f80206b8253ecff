"""The Telegram adapter: the only package that imports ``telegram``.

``app.build_application`` wires every handler in one place; ``user``, ``inline`` and
``callbacks`` answer people, ``errors`` reports failures, ``menus`` sets the command menus and
``admin`` holds the admin commands. Handlers call ``bot.answers.Interop`` and ``bot.render``.
"""

import os

# PTB 22.2+: time periods such as ``RetryAfter.retry_after`` become ``datetime.timedelta`` in the
# next major version. Opt in now (PTB's documented switch), so the code reads one type today and
# after the upgrade, and PTB stops warning from inside its own constructors.
os.environ.setdefault("PTB_TIMEDELTA", "1")
