"""Every thread scope the seed uses is named by its own words, in English and Chinese, and the
scope table finds it in a question however it is written (Simplified, Traditional, pinyin)."""

from __future__ import annotations

import json

import pytest

from bot.config import SEED_PATH
from bot.names.script import has_han
from bot.scope_words import SCOPE_SYNONYMS, is_scope_word, scopes_named


def _seed_scopes() -> list[str]:
    facts = json.loads(SEED_PATH.read_text(encoding="utf-8"))["facts"]
    return sorted({f["scope"] for f in facts if f.get("scope")})


@pytest.mark.parametrize("scope", _seed_scopes())
def test_every_seed_scope_is_read_by_its_own_words(scope: str) -> None:
    assert scope.casefold() in SCOPE_SYNONYMS, f"no words for the scope {scope!r}"
    assert scope.casefold() in scopes_named(f"does it work for {scope}?")
    assert any(has_han(w) for w in SCOPE_SYNONYMS[scope.casefold()]), f"no Chinese word for {scope!r}"


@pytest.mark.parametrize(("text", "scope"), [
    ("can they ship big furniture", "bulky items"), ("大件家电能送吗", "bulky items"),
    ("大件傢俱能送嗎", "bulky items"), ("jiadian neng song ma", "bulky items"),
    ("can I check out inside the app", "in-app checkout"), ("还屏蔽链接吗", "chat links"),
    ("還屏蔽連結嗎", "chat links"), ("apple pay on my iphone", "apple pay on iphone"),
])
def test_synonyms_name_the_scope(text: str, scope: str) -> None:
    assert scope in scopes_named(text)


def test_only_scope_words_are_no_name() -> None:
    assert is_scope_word("furniture") and is_scope_word("大件家电") and is_scope_word("大件家電")
    assert not is_scope_word("baidu index") and not is_scope_word("amazon") and not is_scope_word("")
