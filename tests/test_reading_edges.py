"""Reading what the question table cannot hold: /search ranking, the words the bot prints and
must read back, close suggestions, the console's commands and the import dry run's changes.

All on the seed (data/seed.json) through the real core and the console's ``answer_line``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import opencc
import pytest

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.console import answer_line, operator_editor, run_console
from bot.domain import CheckResult, Kind, Region, SearchResult, Unresolved
from bot.names import words as W
from bot.names.reading import read
from bot.names.script import has_han, pinyin
from bot.texts import EN
from bot.texts_zh import ZH

_S2TWP = opencc.OpenCC("s2twp")


async def _hits(interop: Interop, text: str) -> SearchResult:
    return await interop.search(text)


@pytest.mark.parametrize("term", ["rcs", "airdrop", "imessage", "airplay"])
async def test_search_keeps_the_facts_about_the_term(interop: Interop, term: str) -> None:
    """"rcs" is an alias of Android: facts that only share Android are not results for it."""
    result = await _hits(interop, term)
    assert result.hits
    for view in result.hits:
        fact = view.fact
        text = " ".join((fact.summary, fact.summary_zh, fact.scope, fact.kind_detail)).casefold()
        features = {f.scope.casefold() for c in (view.subject, view.object) for f in c.features
                    if term in f.alias.casefold()}
        assert term in text or fact.scope.casefold() in features, fact.summary


@pytest.mark.parametrize("text", ["al", "of", "the", "in", "a"])
async def test_search_of_a_stop_word_or_short_prefix_matches_nothing_much(interop: Interop,
                                                                          text: str) -> None:
    assert len((await _hits(interop, text)).hits) <= 1


def test_every_kind_word_the_bot_prints_it_also_reads(interop: Interop) -> None:
    """The kind labels, in English, Simplified and the Traditional the bot sends (OpenCC
    s2twp: 登录 -> 登入), are read as their kind."""
    for kind in Kind:
        if kind is Kind.OTHER:
            continue
        label = ZH[f"kind.{kind.value}"].split(" ", 1)[1]
        for written in (label, _S2TWP.convert(label)):
            reading = read(interop.resolver, f"抖音和微信的{written}")
            assert reading.kind is kind, (written, reading.kind)
        english = EN[f"kind.{kind.value}"].split(" ", 1)[1]
        assert read(interop.resolver, f"douyin and wechat {english}").kind is kind, english


@pytest.mark.parametrize("word", ["DMA", "install", "notifications", "uninstall", "default",
                                  "东西", "绑定", "充电", "变化"])
async def test_ordinary_words_are_not_names_and_get_no_far_suggestions(interop: Interop, word: str) -> None:
    decision = await interop.decide(word)
    assert not decision.unknown
    offered = decision.result if isinstance(decision.result, Unresolved) else decision.suggest
    assert offered is None or not any(r.candidates for r in offered.resolutions)


async def test_a_name_the_bot_lacks_gets_no_far_fetched_suggestions(interop: Interop) -> None:
    """A README example: "at&t" is not "Matter" or "Bluesky"."""
    decision = await interop.decide("at&t", "check")
    names = [*decision.unknown, *(decision.result.resolutions if isinstance(decision.result, Unresolved)
                                  else ())]
    assert names and all(not r.candidates for r in names if r.company is None)
    assert "Matter" not in await answer_line(interop, "/check at&t")


async def test_a_chinese_typo_is_read_and_said(interop: Interop) -> None:
    decision = await interop.decide("淘包能用微信支付吗")
    assert isinstance(decision.result, CheckResult) and decision.result.a.name == "Taobao"
    assert "淘包" in await answer_line(interop, "淘包能用微信支付吗")


async def test_a_sentence_search_says_it_searched(interop: Interop) -> None:
    reply = await answer_line(interop, "what changed after the DMA for browsers")
    assert "searched for" in reply
    unknown = await interop.decide("can I pay with grabpay on shopee")
    assert isinstance(unknown.result, Unresolved)  # names said, no unrelated search results
    assert {r.query for r in unknown.result.resolutions} == {"grabpay", "shopee"}


@pytest.mark.parametrize("command", ["/follow jd alipay", "/suggest jd takes alipay", "/unfollow jd alipay",
                                     "/following", "/report"])
async def test_the_console_says_which_commands_are_telegram_only(interop: Interop, command: str) -> None:
    reply = await answer_line(interop, command)
    assert "Telegram" in reply and "Unknown command" not in reply


async def test_console_help_lists_what_it_takes(interop: Interop) -> None:
    reply = await answer_line(interop, "/help")
    for command in ("/check", "/company", "/search", "/recent", "/map", "/compare", "/about", "/language"):
        assert command in reply
    assert "Telegram only" in await answer_line(interop, "/addfact", operator_editor(interop))


async def test_console_language_usage_answers_in_the_language_in_use(interop: Interop) -> None:
    out = io.StringIO()
    await run_console(interop, io.StringIO("/language\n"), out, language="zh")
    assert any(has_han(ch) for ch in out.getvalue())


async def test_import_dry_run_names_each_change_and_warns_about_older_rows(
        interop: Interop, tmp_path: Path) -> None:
    editor = operator_editor(interop)
    exported = await editor.export_file(tmp_path, "json")
    doc = json.loads(exported.read_text(encoding="utf-8"))
    row = next(f for f in doc["facts"] if f["key"] == "cn-jd-alipay-2024-live")
    fact_id = next(f.id for f in await interop.store.facts_involving(
        [c.id for c in await interop.store.companies()]) if f.key == row["key"])
    await answer_line(interop, f"/editfact {fact_id} summary A later edit.", editor)
    row["status"] = "partial"
    doc["exported_at"] = "2020-01-01T00:00:00Z"  # an old export, applied after the edit
    path = tmp_path / "older.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    reply = await answer_line(interop, f"/import {path}", editor)
    assert "status “live” → “partial”" in reply
    assert "summary “A later edit.” → " in reply  # the file would revert the later edit…
    assert "⚠️" in reply and "undo" in reply  # …and the dry run says so


def test_negation_and_place_words_are_no_names(interop: Interop) -> None:
    for text in ("does wechat block taobao links", "upi in mauritius", "支付宝在中国"):
        reading = read(interop.resolver, text)
        assert not reading.unknown, text
    assert read(interop.resolver, "does wechat block taobao links").negated
    assert not read(interop.resolver, "京东能不能用支付宝").negated
    assert "mauritius" in W.PLACES


def test_every_region_the_seeds_facts_hold_is_read_in_every_script(interop: Interop) -> None:
    """A region a fact is held in, named in English, Simplified, Traditional or glued pinyin, is
    that region and a place (which picks the fact held there), never an unknown name."""
    seed = json.loads(SEED_PATH.read_text(encoding="utf-8"))
    regions = {Region(f["region"]) for f in seed["facts"] if f["region"]}
    assert len(regions) >= 10
    for region in sorted(regions):
        words = W.REGION_WORDS[region]
        chinese = [w for w in words if has_han(w)]
        assert chinese, region
        written = [f"upi in {w}" for w in words if w.isascii()]
        for zh in chinese:
            written += [f"{zh}能用UPI吗", f"{_S2TWP.convert(zh)}能用UPI嗎",
                        f"upi zai {pinyin(zh).replace(' ', '')} neng yong ma"]
        for text in written:
            reading = read(interop.resolver, text)
            assert (reading.region, bool(reading.place), reading.unknown) == (region.value, True, ()), text


def test_mainland_words_are_the_place_of_a_wallet_question(interop: Interop) -> None:
    """"支付宝香港能在内地用吗": 内地/大陆 name the place, which picks the pair held there."""
    for text, place in (("支付宝能在内地用吗", "china"), ("支付宝能在大陆用吗", "china"),
                        ("微信支付能在柬埔寨用吗", "cambodia"), ("alipay in turkey", "turkey")):
        reading = read(interop.resolver, text)
        assert reading.place == place, text
        assert not reading.unknown, text
