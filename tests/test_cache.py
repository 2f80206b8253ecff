"""The one cache helper: bounded, least recently used out first, emptied by a newer version."""

from __future__ import annotations

import pytest

from bot.cache import Cache


def test_least_recently_used_goes_first() -> None:
    cache: Cache[str, int] = Cache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.peek("a") == 1  # "a" is now the most recent
    cache.put("c", 3)
    assert cache.peek("b") is None and cache.peek("a") == 1 and cache.peek("c") == 3
    assert len(cache) == 2


def test_a_newer_version_empties_it() -> None:
    cache: Cache[str, int] = Cache(8)
    made: list[str] = []

    def make() -> int:
        made.append("x")
        return len(made)

    assert cache.get("k", make, version=1) == 1
    assert cache.get("k", make, version=1) == 1  # remembered
    assert cache.get("k", make, version=2) == 2  # the content changed: made again
    assert len(cache) == 1


async def test_async_get_makes_once_per_version() -> None:
    cache: Cache[tuple[int, str], str] = Cache(4)
    calls = 0

    async def make() -> str:
        nonlocal calls
        calls += 1
        return f"v{calls}"

    assert await cache.aget((1, "en"), make, version=7) == "v1"
    assert await cache.aget((1, "en"), make, version=7) == "v1"
    assert await cache.aget((1, "en"), make, version=8) == "v2"


def test_a_cache_holds_at_least_one_entry() -> None:
    with pytest.raises(ValueError):
        Cache(0)
