"""Inline mode: ``@bot jd alipay`` answers as articles; empty queries list the latest facts;
unknown names offer suggestions; never more than 50 results; rate limited like free text.

Runs the real Application (tests/tg.py) on a seeded SQLite file in tmp_path.
"""

from __future__ import annotations

from typing import Any

from bot.domain import Kind, Source, Status
from bot.ratelimit import RateLimiter
from bot.render import visible_len
from bot.store import FactDraft
from bot.texts import t
from tests.fakebot.html_check import check_telegram_html
from tests.tg import Call, Harness


def answer_of(calls: list[Call]) -> Call:
    assert [c.method for c in calls] == ["answerInlineQuery"], [c.method for c in calls]
    return calls[0]


def results(calls: list[Call]) -> list[dict[str, Any]]:
    found = answer_of(calls).params["results"]
    for result in found:
        content = result["input_message_content"]
        check_telegram_html(content["message_text"])
        assert content["parse_mode"] == "HTML"
        assert visible_len(content["message_text"]) <= 4096
        assert result["type"] == "article" and result["title"]
        assert "\n" not in result.get("description", "")
    return found


def cid(h: Harness, name: str) -> int:
    company = h.interop.resolve(name).company
    assert company is not None, name
    return company.id


async def test_a_pair_is_one_sourced_article(tg: Harness) -> None:
    calls = await tg.inline("jd alipay")
    [article] = results(calls)
    jd, alipay = cid(tg, "jd"), cid(tg, "alipay")
    assert article["id"] == f"ck:{jd}:{alipay}"
    assert article["title"] == "🟡 Partly: JD.com × Alipay"
    assert article["description"].startswith("In January 2025 an NDRC official")
    content = article["input_message_content"]
    assert content["message_text"].startswith("🟡 Partly: <b>JD.com</b> × <b>Alipay</b>")
    assert '<a href="https://shoujike.com.cn/w/1642.html">' in content["message_text"]
    assert content["link_preview_options"] == {"is_disabled": True}
    assert "reply_markup" not in article  # it fits one page
    # Changes are live everywhere within seconds (README), so Telegram may not cache for long.
    assert answer_of(calls).params["cache_time"] <= 10 and answer_of(calls).params["is_personal"]
    assert (await tg.inline("jd alipay"))[0].params["results"][0]["id"] == article["id"]  # stable


async def test_one_name_is_a_profile_and_chinese_works(tg: Harness) -> None:
    [profile] = results(await tg.inline("alipay"))
    assert profile["id"] == f"pf:{cid(tg, 'alipay')}" and profile["title"] == "Alipay"
    [pair] = results(await tg.inline("京东 支付宝"))
    assert pair["title"].startswith("🟡 部分可以：")  # asked in Chinese, answered in Chinese


async def test_an_empty_query_lists_the_recent_facts(tg: Harness) -> None:
    calls = await tg.inline("")
    found = results(calls)
    assert 10 <= len(found) <= 50
    assert all(r["id"].startswith("f:") for r in found)
    assert len({r["id"] for r in found}) == len(found)
    assert answer_of(calls).params["cache_time"] <= 10 and answer_of(calls).params["is_personal"]
    newest = await tg.interop.recent(1)
    assert found[0]["id"] == f"f:{newest[0].fact.id}"


async def test_never_more_than_50_results(tg: Harness) -> None:
    for i in range(60):
        await tg.interop.store.add_fact(FactDraft(
            subject_id=cid(tg, "jd"), object_id=cid(tg, "wechat pay"), kind=Kind.PAYMENTS,
            status=Status.LIVE, date=f"{1990 + i // 12}-{i % 12 + 1:02d}",
            summary=f"Zanzibar payments milestone {i}.",
            sources=(Source(url=f"https://example.com/{i}"),)), "test")
    assert len(results(await tg.inline(""))) == 50
    searched = results(await tg.inline("zanzibar milestone"))
    assert 0 < len(searched) <= 50


async def test_unknown_names_offer_suggestions(tg: Harness) -> None:
    pairs = results(await tg.inline("jd ali"))
    titles = [r["title"] for r in pairs]
    assert any("JD.com × Alipay" in title for title in titles), titles
    assert all(r["id"].startswith(f"ck:{cid(tg, 'jd')}:") for r in pairs)

    unknown = answer_of(await tg.inline("qqxxzz wwvvyy"))  # reported, never dropped silently
    [article] = unknown.params["results"]
    assert "qqxxzz wwvvyy" in article["title"] and "know" in article["title"]


async def test_free_text_search_hits_are_fact_articles(tg: Harness) -> None:
    found = results(await tg.inline("typing"))
    assert [r["id"][:2] for r in found] == ["f:"]
    assert "iPhone" in found[0]["title"] and "Android" in found[0]["title"]


async def test_long_answers_send_the_first_page_and_a_deep_link_for_the_rest(tg: Harness) -> None:
    for i in range(40):
        await tg.interop.store.add_fact(FactDraft(
            subject_id=cid(tg, "alipay"), object_id=cid(tg, "jd"), kind=Kind.PAYMENTS,
            status=Status.LIVE if i % 2 else Status.PARTIAL, date=f"{1990 + i}-01",
            summary="A long and carefully sourced sentence about the pair. " * 5,
            sources=(Source(url=f"https://example.com/{i}"), Source(url=f"https://example.org/{i}"))),
            "test")
    [article] = results(await tg.inline("alipay"))
    text = article["input_message_content"]["message_text"]
    assert 3000 < visible_len(text) <= 4096
    [[button]] = article["reply_markup"]["inline_keyboard"]
    assert button == {"text": t("tg.more"),
                      "url": f"https://t.me/InteropTestBot?start=company_{cid(tg, 'alipay')}"}
    opened = await tg.send(f"/start company_{cid(tg, 'alipay')}")
    assert opened[0].buttons[0][0].startswith("Page 1/")


async def test_inline_queries_are_rate_limited(tg: Harness) -> None:
    now = [0.0]
    tg.bot_data.limiter = RateLimiter(2, 1.0, clock=lambda: now[0])
    assert results(await tg.inline("jd alipay"))
    assert results(await tg.inline("jd taobao"))
    limited = answer_of(await tg.inline("jd wechat"))
    assert limited.params["results"] == [] and limited.params["cache_time"] == 0
    assert limited.params["button"]["text"] == t("tg.slow_inline")
    assert len(results(await tg.inline(""))) >= 10  # the cached recent list is free
    now[0] += 1
    assert results(await tg.inline("jd wechat"))
