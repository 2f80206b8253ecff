"""The one cache helper: bounded, least recently used first out, and tied to a content version.

Every answer the bot remembers depends on the store's content (and sometimes the locale or the
day), so each cache is owned by the object that uses it (never a module global) and is emptied
the first time it is asked under a newer version: a change is never answered from memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Cache(Generic[K, V]):
    """At most ``size`` entries of one ``version``; the least recently used goes first."""

    __slots__ = ("_entries", "_version", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a cache holds at least one entry")
        self.size = size
        self._version: Hashable = None
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first."""
        return iter(self._entries)

    def _at(self, version: Hashable) -> None:
        if version != self._version:
            self._entries.clear()
            self._version = version

    def peek(self, key: K, version: Hashable = None) -> V | None:
        """The remembered value, or None; a hit counts as a use."""
        self._at(version)
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V, version: Hashable = None) -> V:
        self._at(version)
        self._entries[key] = value
        self._entries.move_to_end(key)
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def get(self, key: K, make: Callable[[], V], version: Hashable = None) -> V:
        """The remembered value for ``key``, else ``make()`` remembered."""
        found = self.peek(key, version)
        return found if found is not None else self.put(key, make(), version)

    async def aget(self, key: K, make: Callable[[], Awaitable[V]], version: Hashable = None) -> V:
        """As ``get`` for a coroutine; two concurrent misses may both make (the last one is kept)."""
        found = self.peek(key, version)
        if found is not None:
            return found
        value = await make()
        return self.put(key, value, version)

    def discard(self, key: K) -> None:
        """Forget one entry (one no one will ask for again)."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()
