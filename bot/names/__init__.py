"""Reading names: script folding, the in-memory name index, and reading whole questions."""

from bot.names.resolver import Mention, Resolver, Scan, normalize

__all__ = ["Mention", "Resolver", "Scan", "normalize"]
