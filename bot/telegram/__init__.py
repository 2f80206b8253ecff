"""The Telegram adapter: the only package that imports ``telegram``.

``app.build_application`` wires every handler in one place; ``user``, ``inline`` and
``callbacks`` answer people, ``errors`` reports failures, ``menus`` sets the command menus and
``admin`` holds the admin commands. Handlers call ``bot.answers.Interop`` and ``bot.render``.
"""
