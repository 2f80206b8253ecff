"""Compatibility shim: the name index moved to ``bot.names``; old imports keep working."""

from bot.names.resolver import Candidate, Resolver, normalize

__all__ = ["Candidate", "Resolver", "normalize"]
