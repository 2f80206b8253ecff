"""Compatibility shim: the name index moved to ``bot.names``; old imports keep working."""

from bot.domain import Candidate
from bot.names.resolver import Resolver, normalize

__all__ = ["Candidate", "Resolver", "normalize"]
