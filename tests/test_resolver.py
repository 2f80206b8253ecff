"""Resolver behaviour on a realistic fixture: names, typos, free text, /check splits, updates.

The case table lives in tests/resolver_cases.py; the thresholds in bot/names/resolver.py are tuned
on it. No timing is asserted here: latency is the bench suite's job.
"""

from __future__ import annotations

import random
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import Company, Resolution
from bot.names.keys import _ascii_keys, _unicode_keys, normalize
from bot.names.masks import ID_BITS, HanMasks, han_masks
from bot.names.reading import read
from bot.names.resolver import Resolver
from tests.resolver_cases import (
    AMBIGUOUS,
    COMMON_WORDS,
    NEGATIVES,
    RESOLVES,
    SCRIPT_CASES,
    SPLITS,
    TEXTS,
    UNSPLITTABLE,
    fixture_companies,
)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(fixture_companies())


def by_name(resolver: Resolver, name: str) -> Company:
    res = resolver.resolve(name)
    assert res.company is not None and res.company.name == name, name
    return res.company


def names(resolution: Resolution) -> list[str]:
    return [candidate.company.name for candidate in resolution.candidates]


def test_case_table_is_big_enough() -> None:
    total = len(RESOLVES) + len(AMBIGUOUS) + len(NEGATIVES) + len(TEXTS) + len(SPLITS)
    assert total >= 100
    assert len(NEGATIVES) >= 15
    assert len(TEXTS) >= 18


# --- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ＪＤ", "jd"),
        ("jd.com", "jd"),
        ("JD.com Inc", "jd"),
        ("Ant Group", "ant"),
        ("Alibaba Group", "alibaba"),
        ("Alibaba Group Holding", "alibaba"),
        ("Meta Platforms", "meta"),
        ("Ele.me", "eleme"),
        ("tao bao", "taobao"),
        ("What's App", "whatsapp"),
        ("ali\u200bpay\ufeff", "alipay"),
        ("京东集团", "京东"),
        ("Group", "group"),
        ("Inc", "inc"),
        ("T-Mall", "tmall"),
        ("", ""),
        ("😀 !!", ""),
    ],
)
def test_normalize(text: str, key: str) -> None:
    assert normalize(text) == key


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_normalize_is_idempotent(text: str) -> None:
    key = normalize(text)
    assert normalize(key) == key


# --- single names -------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), RESOLVES)
def test_resolves(resolver: Resolver, query: str, expected: str) -> None:
    res = resolver.resolve(query)
    assert res.company is not None, (query, names(res))
    assert res.company.name == expected
    assert res.candidates == ()  # a confident answer is one shape only
    assert res.query == query


@pytest.mark.parametrize(("query", "expected"), AMBIGUOUS)
def test_ambiguous_offers_candidates_and_never_guesses(
    resolver: Resolver, query: str, expected: tuple[str, ...]
) -> None:
    res = resolver.resolve(query)
    assert res.company is None
    assert set(expected) <= set(names(res))
    scores = [candidate.score for candidate in res.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len(set(names(res))) == len(res.candidates)


@pytest.mark.parametrize("query", NEGATIVES)
def test_negatives_match_nothing(resolver: Resolver, query: str) -> None:
    assert resolver.resolve(query).company is None
    assert resolver.find_in_text(query) == []


@pytest.mark.parametrize("query", ["asdfgh", "", "😀😀😀", "qwertyuiop", "?!.,"])
def test_garbage_has_no_suggestions(resolver: Resolver, query: str) -> None:
    assert resolver.resolve(query) == Resolution(query=query, company=None, candidates=())
    assert resolver.suggest(query) == []


def test_unknown_name_offers_close_suggestions(resolver: Resolver) -> None:
    res = resolver.resolve("insta")
    assert res.company is None
    assert names(res)[0] == "Instagram"


def test_suggest_ranks_one_per_company(resolver: Resolver) -> None:
    suggestions = resolver.suggest("wechat p")
    assert [s.company.name for s in suggestions[:2]] == ["WeChat", "WeChat Pay"]
    assert len({s.company.id for s in suggestions}) == len(suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert len(resolver.suggest("ali", limit=2)) == 2
    assert resolver.suggest("ali", limit=0) == []


def test_suggest_puts_exact_match_first(resolver: Resolver) -> None:
    suggestions = resolver.suggest("jd")
    assert suggestions[0].company.name == "JD.com"
    assert suggestions[0].score == 100.0
    assert suggestions[0].matched == "JD"


def test_suggest_reports_the_alias_that_matched(resolver: Resolver) -> None:
    top = resolver.suggest("zhifubaoo")[0]
    assert (top.company.name, top.matched) == ("Alipay", "Zhifubao")


def test_company_lookup(resolver: Resolver) -> None:
    jd = by_name(resolver, "JD.com")
    assert resolver.company(jd.id) == jd
    assert resolver.company(-5) is None


def test_exact_alias_as_typed_beats_stripped_name(resolver: Resolver) -> None:
    """ "pdd" is Pinduoduo's own alias; PDD Holdings only matches once "Holdings" is dropped."""
    assert by_name(resolver, "Pinduoduo") == resolver.resolve("pdd").company
    assert resolver.resolve("pdd holdings").company == by_name(resolver, "PDD Holdings")


# --- free text ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), TEXTS)
def test_find_in_text(resolver: Resolver, text: str, expected: tuple[str, ...]) -> None:
    assert tuple(c.name for c in resolver.find_in_text(text)) == expected


def test_find_in_text_respects_limit(resolver: Resolver) -> None:
    text = "jd taobao tmall alipay"
    assert [c.name for c in resolver.find_in_text(text, limit=2)] == ["JD.com", "Taobao"]
    assert [c.name for c in resolver.find_in_text(text, limit=4)] == [
        "JD.com",
        "Taobao",
        "Tmall",
        "Alipay",
    ]
    assert resolver.find_in_text(text, limit=0) == []


def test_find_in_text_survives_a_long_message(resolver: Resolver) -> None:
    rng = random.Random(3)
    noise = " ".join(
        "".join(rng.choice("bcdfghklmnpqrstvwxz") for _ in range(rng.randint(5, 9))) for _ in range(400)
    )
    assert resolver.find_in_text(noise) == []
    assert [c.name for c in resolver.find_in_text("does jd accept alipay " + noise)] == [
        "JD.com",
        "Alipay",
    ]


# --- /check arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "left", "right"), SPLITS)
def test_split_pair(resolver: Resolver, text: str, left: str, right: str) -> None:
    pair = resolver.split_pair(text)
    assert pair is not None
    assert (pair[0].company and pair[0].company.name, pair[1].company and pair[1].company.name) == (
        left,
        right,
    )


@pytest.mark.parametrize("text", UNSPLITTABLE)
def test_split_pair_needs_two_parts(resolver: Resolver, text: str) -> None:
    assert resolver.split_pair(text) is None


def test_split_pair_keeps_an_unknown_side_for_did_you_mean(resolver: Resolver) -> None:
    pair = resolver.split_pair("jd amazon")
    assert pair is not None
    left, right = pair
    assert left.company is not None and left.company.name == "JD.com"
    assert right.company is None
    assert right.query == "amazon"


def test_split_pair_side_keeps_candidates_when_ambiguous(resolver: Resolver) -> None:
    pair = resolver.split_pair("wechat p | alipay")
    assert pair is not None
    assert pair[0].company is None
    assert {"WeChat", "WeChat Pay"} <= set(names(pair[0]))
    assert pair[1].company is not None and pair[1].company.name == "Alipay"


# --- incremental updates ------------------------------------------------------------------


def test_upsert_adds_and_replaces_aliases_in_place() -> None:
    resolver = Resolver(fixture_companies())
    resolver.upsert_company(Company(id=500, name="Signal", aliases=("Signal Messenger", "信号")))
    assert resolver.resolve("signal").company == resolver.company(500)
    assert resolver.resolve("信号").company == resolver.company(500)
    assert [c.name for c in resolver.find_in_text("does signal talk to whatsapp")] == [
        "Signal",
        "WhatsApp",
    ]
    assert resolver.resolve("signla").company == resolver.company(500)  # fuzzy index too

    resolver.upsert_company(Company(id=500, name="Signal", aliases=("Signal Messenger",)))
    assert resolver.resolve("信号").company is None
    assert resolver.resolve("signal messenger").company == resolver.company(500)

    resolver.upsert_company(Company(id=500, name="Signal App"))
    assert resolver.resolve("signal").company is None  # the old name is gone, not guessed
    assert resolver.resolve("signal app").company == resolver.company(500)


def test_renaming_keeps_other_companies_intact() -> None:
    resolver = Resolver(fixture_companies())
    jd = by_name(resolver, "JD.com")
    resolver.upsert_company(Company(id=jd.id, name="JD.com", aliases=("JD",)))
    assert resolver.resolve("京东").company is None
    assert resolver.resolve("jd").company == resolver.company(jd.id)
    assert resolver.resolve("京东物流").company is not None  # a sibling's alias untouched


def test_remove_company_forgets_it_everywhere() -> None:
    resolver = Resolver(fixture_companies())
    alipay = by_name(resolver, "Alipay")
    resolver.remove_company(alipay.id)
    assert resolver.company(alipay.id) is None
    assert resolver.resolve("alipay").company is None
    assert resolver.resolve("支付宝").company is None
    assert all(s.company.id != alipay.id for s in resolver.suggest("alipya"))
    assert [c.name for c in resolver.find_in_text("does jd accept alipay")] == ["JD.com"]
    resolver.remove_company(alipay.id)  # removing twice is harmless
    resolver.remove_company(987654)


def test_shared_alias_is_ambiguous_until_one_side_drops_it() -> None:
    resolver = Resolver(fixture_companies())
    resolver.upsert_company(Company(id=600, name="JD Sports", aliases=("JD",)))
    res = resolver.resolve("jd")
    assert res.company is None
    assert {"JD.com", "JD Sports"} <= set(names(res))
    assert resolver.find_in_text("does jd accept alipay") == [by_name(resolver, "Alipay")]
    resolver.upsert_company(Company(id=600, name="JD Sports"))
    assert by_name(resolver, "JD.com") == resolver.resolve("jd").company


def test_add_then_remove_leaves_the_index_as_built() -> None:
    """Incremental updates must not leak entries into the exact dict or the gram index."""
    fresh = Resolver(fixture_companies())
    resolver = Resolver(fixture_companies())
    added = [Company(id=1000 + i, name=f"Zorblax {i}", aliases=(f"佐{i}号",)) for i in range(50)]
    for company in added:
        resolver.upsert_company(company)
    assert resolver.resolve("zorblax 17").company == added[17]
    for company in added:
        resolver.remove_company(company.id)
    assert resolver._exact == fresh._exact
    assert resolver._postings == fresh._postings
    # Freed slots are reused and still answer correctly.
    resolver.upsert_company(Company(id=2000, name="Quuxly"))
    assert resolver.resolve("quuxly").company == resolver.company(2000)
    assert resolver.resolve("quxly").company == resolver.company(2000)
    for query, expected in RESOLVES[:40]:
        res = resolver.resolve(query)
        assert res.company is not None and res.company.name == expected, query


# --- scale --------------------------------------------------------------------------------

_SYLLABLES = [
    "ba", "bo", "ca", "de", "di", "fa", "fo", "ga", "gu", "ka", "ko", "le", "lu", "ma", "mo",
    "na", "nu", "pe", "po", "ra", "ru", "sa", "so", "te", "tu", "va", "vo", "ze", "zu", "ex",
]  # fmt: skip
_HAN = "东南西北金银铜铁山水火木花草星月云雨风雪春夏秋冬龙凤虎豹"


def _synthetic(count: int, seed: int = 11) -> list[Company]:
    """Pseudo-words plus CJK aliases, deduplicated against each other and the fixture."""
    rng = random.Random(seed)
    taken = {normalize(t) for c in fixture_companies() for t in (c.name, *c.aliases)}
    companies: list[Company] = []
    while len(companies) < count:
        name = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()
        han = "".join(rng.choice(_HAN) for _ in range(4))
        alias = f"{name} {rng.choice(['Pay', 'Cloud', 'Mall', 'Express'])}"
        keys = {normalize(name), normalize(han), normalize(alias)}
        if keys & taken or len(keys) < 3:
            continue
        taken |= keys
        companies.append(Company(id=10_000 + len(companies), name=name, aliases=(han, alias)))
    return companies


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


@pytest.fixture(scope="module")
def big() -> tuple[Resolver, list[Company]]:
    synthetic = _synthetic(7_000)  # ~21k aliases
    return Resolver([*fixture_companies(), *synthetic]), synthetic


def test_big_index_resolves_exact_names(big: tuple[Resolver, list[Company]]) -> None:
    resolver, synthetic = big
    for company in random.Random(5).sample(synthetic, 300):
        for text in (company.name, *company.aliases):
            assert resolver.resolve(text).company == company, text


def test_big_index_never_guesses_a_wrong_company_for_a_typo(
    big: tuple[Resolver, list[Company]],
) -> None:
    resolver, synthetic = big
    rng = random.Random(9)
    confident = 0
    for company in rng.sample(synthetic, 300):
        res = resolver.resolve(_typo(company.name.lower(), rng))
        if res.company is not None:
            assert res.company == company
            confident += 1
        else:
            assert company in [c.company for c in res.candidates]
    assert confident > 150  # most typos still resolve outright


def test_big_index_keeps_fixture_answers(big: tuple[Resolver, list[Company]]) -> None:
    resolver, _ = big
    for query, expected in RESOLVES:
        res = resolver.resolve(query)
        assert res.company is not None and res.company.name == expected, query
    for text, expected_names in TEXTS:
        assert tuple(c.name for c in resolver.find_in_text(text)) == expected_names, text


def test_big_index_finds_synthetic_names_in_text(big: tuple[Resolver, list[Company]]) -> None:
    resolver, synthetic = big
    rng = random.Random(13)
    for _ in range(100):
        a, b = rng.sample(synthetic, 2)
        found = resolver.find_in_text(f"does {a.name} accept {b.aliases[0]}?")
        assert found == [a, b]


# --- robustness ---------------------------------------------------------------------------


@given(st.text(max_size=60))
@settings(max_examples=200, deadline=None)
def test_any_text_keeps_the_result_shapes(text: str) -> None:
    resolver = _SHARED
    res = resolver.resolve(text)
    assert res.company is None or res.candidates == ()
    assert len({c.company.id for c in res.candidates}) == len(res.candidates)
    found = resolver.find_in_text(text)
    assert len(found) <= 3 and len({c.id for c in found}) == len(found)
    pair = resolver.split_pair(text)
    assert pair is None or all(side.query.strip() for side in pair)


_SHARED = Resolver(fixture_companies())


# --- bulk build ---------------------------------------------------------------------------


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
@settings(max_examples=500, deadline=None)
def test_ascii_fast_path_keys_match_the_unicode_path(text: str) -> None:
    assert _ascii_keys(text) == _unicode_keys(text)


@pytest.mark.parametrize(
    "text",
    ["JD.com Inc", "x . com", "x .com", "x..com", "a.'com", "Foo Inc.", "Foo Inc .", "...", "Group",
     "Alibaba Group Holding", "What's App", "inc.com", ". jd", "co.co", "a_b", "T-Mall Co., Ltd."],
)
def test_ascii_fast_path_edge_cases(text: str) -> None:
    assert _ascii_keys(text) == _unicode_keys(text)


def _index_state(resolver: Resolver) -> tuple[object, ...]:
    """Everything the lookups read, including the order of ids in shared keys and postings."""
    return (
        resolver._companies, resolver._alias_key, resolver._alias_text,
        list(resolver._alias_company), resolver._free, resolver._max_cjk,
        sorted((key, ids if isinstance(ids, int) else list(ids)) for key, ids in resolver._exact.items()),
        sorted((gram, list(ids)) for gram, ids in resolver._postings.items()),
    )  # fmt: skip


def test_bulk_build_equals_one_by_one_upserts() -> None:
    """The chunked bulk build must leave exactly the index sequential upserts would."""
    companies = [
        *fixture_companies(),
        *_synthetic(600, seed=3),
        # shared keys, a name repeated as its own alias, grams repeated inside one key, mixed scripts
        Company(id=50_001, name="Banana Bandana", aliases=("banana bandana", "Banana-Bandana Inc")),
        Company(id=50_002, name="Banana Bandana Group", aliases=("京东集团", "ＪＤ", "Ananas.com")),
        Company(id=50_003, name="x . com", aliases=("x .com", "x.com", "京东Pay", "😀")),
        # a company listed twice: the second replaces the first, as upsert does
        Company(id=50_001, name="Banana Republic"),  # frees a slot: the next one reuses it
        Company(id=50_004, name="Aaaaaa", aliases=("Aaaa", "佐佐佐佐")),
    ]
    sequential = Resolver()
    for company in companies:
        sequential.upsert_company(company)
    for chunk in (1, 7, 4096):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("bot.names.index.BUILD_CHUNK", chunk)
            bulk = Resolver()
            steps = sum(1 for _ in bulk.bulk_index(companies))
        assert _index_state(bulk) == _index_state(sequential), chunk
        assert steps >= len(companies) // chunk - 2
    for query in ("banana bandana", "bananna", "x.com", "京东", "aaaa", "jd"):
        assert bulk.resolve(query) == sequential.resolve(query), query


def test_at_least_50_common_words_never_resolve_silently(fresh: Resolver) -> None:
    resolver = fresh
    words = set(COMMON_WORDS)
    assert len(words) >= 50
    for word in sorted(words):
        assert resolver.resolve(word).company is None, word
        assert resolver.find_in_text(f"is the {word} working today?") == [], word
        assert read(resolver, f"does the {word} work with it?").known == (), word
        for text in (word, f"what about {word}"):
            assert not read(resolver, text).known, word


@pytest.fixture(scope="module")
def fresh() -> Resolver:
    return Resolver(fixture_companies())


@pytest.mark.parametrize(("query", "expected"), SCRIPT_CASES)
def test_traditional_and_pinyin_resolve(fresh: Resolver, query: str, expected: str) -> None:
    resolver = fresh
    found = resolver.resolve(query).company
    assert found is not None and found.name == expected
    assert [c.name for c in resolver.find_in_text(f"{query} ok?")][:1] == [expected]


def test_traditional_folds_to_the_same_key() -> None:
    pairs = (("京東", "京东"), ("支付寶", "支付宝"), ("淘寶", "淘宝"), ("騰訊", "腾讯"))
    for traditional, simplified in pairs:
        assert normalize(traditional) == normalize(simplified)


def test_pinyin_aliases_are_generated_not_stored(fresh: Resolver) -> None:
    resolver = fresh
    wechat_pay = by_name(resolver, "WeChat Pay")
    assert not any(a.isascii() and "zhifu" in a.casefold() for a in wechat_pay.aliases)
    assert resolver.resolve("weixin zhifu").company == wechat_pay


def _mask_names(r: Resolver) -> list[tuple[int, str]]:
    """(a mask's hash, a name under it), all of them: two indexes compared by what they hold."""
    r._han_masks.settle()
    return sorted((p >> ID_BITS, r._alias_text[p & ((1 << ID_BITS) - 1)]) for p in r._han_masks._packed)


def test_one_character_chinese_typos_are_indexed_at_start_up_not_on_first_use() -> None:
    """The masked Chinese names are built with the rest of the index (in its chunks, before the
    first question), the same as when every company is upserted one by one: built on the first
    one-character typo instead, they held the event loop 0.7 s at 100k companies."""
    bulk = Resolver(fixture_companies())
    assert _mask_names(bulk)  # there before any question asks for them
    masks = bulk._han_masks
    assert bulk.one_off_han("淘包") is not None
    assert bulk._han_masks is masks  # nothing built on first use
    one_by_one = Resolver()
    for company in fixture_companies():
        one_by_one.upsert_company(company)
    assert _mask_names(one_by_one) == _mask_names(bulk)


def test_one_character_chinese_typos_follow_company_changes_without_a_rebuild() -> None:
    """The masked Chinese names are kept up to date name by name: a company added, renamed or
    removed later is found (or no longer found) exactly as after a fresh build."""
    resolver = Resolver(fixture_companies())
    built = resolver._han_masks
    resolver.upsert_company(Company(id=9001, name="Zorblax", kind="app", aliases=("佐布拉",)))
    found = resolver.one_off_han("佐布拍")
    assert found is not None and found[0].id == 9001
    resolver.upsert_company(Company(id=9001, name="Zorblax", kind="app", aliases=("佐克斯",)))
    assert resolver.one_off_han("佐布拍") is None
    assert resolver.one_off_han("佐克期") is not None
    assert resolver._han_masks is built  # kept, not rebuilt
    resolver.remove_company(9001)
    assert resolver.one_off_han("佐克期") is None
    assert _mask_names(resolver) == _mask_names(Resolver(fixture_companies()))


def test_a_masked_name_found_by_its_hash_is_checked_against_the_name() -> None:
    """The masks are keyed by hash: an alias filed under a colliding hash is not taken for a
    one-character typo of a name it does not fit."""
    resolver = Resolver(fixture_companies())
    assert resolver.one_off_han("佐布拍") is None
    taobao = next(aid for aid, text in enumerate(resolver._alias_text) if text == "淘宝")
    resolver._han_masks._packed.append(HanMasks._pack("佐布?", taobao))  # as if 淘宝 had that mask
    resolver._han_masks._packed = array("q", sorted(resolver._han_masks._packed))
    assert resolver.one_off_han("佐布拍") is None


def test_masks_are_found_after_bulk_runs_single_adds_and_removals() -> None:
    masks = HanMasks()
    masks.add_run([("淘宝", 1), ("淘特", 2), ("Taobao", 3)])
    masks.add_run([("支付宝", 4)])
    masks.add("淘天", 5)
    assert sorted(masks.ids("淘?")) == [1, 2, 5]
    assert masks.ids("?宝") == []  # a 2-character name keeps its first character
    assert masks.ids("支?宝") == [4] and masks.ids("?付宝") == [4]
    masks.remove("淘特", 2)
    masks.remove("淘特", 2)  # gone already: nothing happens
    assert sorted(masks.ids("淘?")) == [1, 5]
    assert len(masks) == 2 + 3
    assert han_masks("Taobao") == [] and han_masks("淘宝网") == ["?宝网", "淘?网", "淘宝?"]
