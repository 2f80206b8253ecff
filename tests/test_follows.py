"""Follows: /follow, /unfollow, /following and the 🔔 button, group rights, the outbox triggers and
their delivery (digests, Forbidden, ChatMigrated, RetryAfter, my_chat_member)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.domain import Kind, Source, Status
from bot.follows import MAX_FOLLOWS, Follows
from bot.store import FactDraft
from bot.telegram.follow import DeliveryState, deliver
from bot.texts import t
from tests.tg import ADMIN, GROUP, OTHER, SUPERGROUP, USER, Call, Harness, make_app, only, visible


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.rec.clear()
        yield harness


def cid(h: Harness, name: str) -> int:
    company = h.interop.resolve(name).company
    assert company is not None, name
    return company.id


async def add_fact(h: Harness, a: str, b: str, summary: str = "Accepts it at checkout.",
                   status: Status = Status.LIVE, date: str = "2026-11") -> int:
    draft = FactDraft(subject_id=cid(h, a), object_id=cid(h, b), kind=Kind.PAYMENTS, status=status,
                      date=date, summary=summary,
                      sources=(Source(url="https://example.com/news", publisher="Example News"),))
    return (await h.interop.store.add_fact(draft, "test")).id


async def drain(h: Harness, state: DeliveryState | None = None) -> list[Call]:
    start = len(h.rec.calls)
    await deliver(h.app.bot, h.interop, state)
    return [c for c in h.rec.calls[start:] if c.method == "sendMessage"]


def rows(h: Harness, sql: str) -> list[Any]:
    with sqlite3.connect(h.settings.database_path) as db:
        return db.execute(sql).fetchall()


# -- commands -------------------------------------------------------------------------------------


async def test_follow_a_company_list_it_and_unfollow_with_its_button(h: Harness) -> None:
    reply = only(await h.send("/follow meituan"))
    assert visible(reply).startswith(t("follows.done", name="Meituan"))
    assert visible(only(await h.send("/follow Meituan"))) == t("follows.already", name="Meituan")
    listing = only(await h.send("/following"))
    assert "• Meituan" in visible(listing)
    [(label, data)] = listing.buttons
    assert data == f"fu:{cid(h, 'meituan')}:0"
    calls = await h.press(listing, label)
    edit = next(c for c in calls if c.method == "editMessageText")
    assert visible(edit) == t("follows.none")
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [
        t("follows.undone", name="Meituan")]
    assert await Follows(h.interop.store).following(USER["id"]) == []


async def test_follow_a_pair_either_way_round_and_unfollow_it(h: Harness) -> None:
    only(await h.send("/follow meituan | alipay"))
    assert visible(only(await h.send("/follow Alipay | Meituan"))) == t(
        "follows.already", name="Alipay × Meituan")
    [follow] = await Follows(h.interop.store).following(USER["id"])
    assert follow.is_pair
    assert visible(only(await h.send("/unfollow alipay | meituan"))) == t(
        "follows.undone", name="Alipay × Meituan")
    assert visible(only(await h.send("/unfollow alipay"))) == t("follows.not_following", name="Alipay")


@pytest.mark.parametrize(("text", "expected"), [
    ("/follow", t("follows.usage")),
    ("/unfollow", t("follows.usage_unfollow")),
    ("/follow zorblaxq", t("answers.unknown", name="zorblaxq")),
    ("/follow jd zorblaxq", t("answers.unknown", name="zorblaxq")),
    ("/follow alipay alipay", t("follows.same", name="Alipay")),
    ("/follow alipay | alipay", t("follows.same", name="Alipay")),
    ("/follow a | b | c", t("follows.usage")),
])
async def test_follow_refusals_are_clear(h: Harness, text: str, expected: str) -> None:
    assert visible(only(await h.send(text))) == expected
    assert rows(h, "SELECT count(*) FROM follow") == [(0,)]


@pytest.mark.parametrize(("text", "label", "pair"), [
    ("/follow jd alipay", "JD.com × Alipay", True),
    ("/follow jd | alipay", "JD.com × Alipay", True),
    ("/follow wechat pay", "WeChat Pay", False),
    ("/follow tencent", "Tencent", False),
])
async def test_follow_reads_its_names_as_check_does(h: Harness, text: str, label: str, pair: bool) -> None:
    """/follow takes what /check takes: two names side by side are the pair, one name the company."""
    reply = only(await h.send(text))
    assert visible(reply).startswith(t("follows.done", name=label))
    [follow] = await Follows(h.interop.store).following(USER["id"])
    assert follow.is_pair is pair
    undone = only(await h.send(text.replace("/follow", "/unfollow")))
    assert visible(undone) == t("follows.undone", name=label)


async def test_an_unsure_follow_says_what_check_says_and_follows_nothing(h: Harness) -> None:
    follow = visible(only(await h.send("/follow jd alipya zorblaxq")))
    check = visible(only(await h.send("/check jd alipya zorblaxq")))
    assert t("answers.unknown", name="zorblaxq") in follow
    assert follow.split("\n")[0] == check.split("\n")[0]
    assert rows(h, "SELECT count(*) FROM follow") == [(0,)]


async def test_at_most_fifty_follows_per_chat(h: Harness) -> None:
    ids = [c.id for c in await h.interop.store.companies()]
    wanted = [(a, 0) for a in ids] + [(ids[0], b) for b in ids[1:]]
    follows = Follows(h.interop.store)
    for a, b in wanted[:MAX_FOLLOWS]:
        await follows.follow(USER["id"], a, b)
    last_a, last_b = wanted[MAX_FOLLOWS]
    name = h.interop.company(last_a).name + (f" | {h.interop.company(last_b).name}" if last_b else "")
    reply = only(await h.send(f"/follow {name}"))
    assert visible(reply) == t("follows.limit", max=MAX_FOLLOWS)
    assert len(await follows.following(USER["id"])) == MAX_FOLLOWS


async def test_in_groups_only_the_groups_admins_change_follows(h: Harness) -> None:
    check, _ = await h.send("/follow meituan", chat=GROUP, user=OTHER)
    assert check.method == "getChatMember" and check.params["user_id"] == OTHER["id"]
    assert visible(h.rec.last("sendMessage")) == t("follows.admins_only")
    h.rec.members[(GROUP["id"], OTHER["id"])] = "administrator"
    await h.send("/follow meituan", chat=GROUP, user=OTHER)
    assert visible(h.rec.last("sendMessage")).startswith(t("follows.done", name="Meituan"))
    h.rec.members[(GROUP["id"], USER["id"])] = "creator"
    await h.send("/unfollow meituan", chat=GROUP, user=USER)
    assert visible(h.rec.last("sendMessage")) == t("follows.undone", name="Meituan")


async def test_anonymous_group_admins_are_sent_to_a_private_chat(h: Harness) -> None:
    payload = h.updates.message("/follow meituan", chat=SUPERGROUP,
                                user={"id": 1087968824, "is_bot": True, "first_name": "Group",
                                      "username": "GroupAnonymousBot"})
    payload["message"]["sender_chat"] = SUPERGROUP
    reply = only(await h.process(payload))
    assert visible(reply) == t("follows.anonymous")
    assert rows(h, "SELECT count(*) FROM follow") == [(0,)]


# -- the 🔔 button ---------------------------------------------------------------------------------


async def test_answers_carry_follow_and_report_buttons_and_follow_works(h: Harness) -> None:
    answer = only(await h.send("/check meituan alipay"))
    a, b = cid(h, "meituan"), cid(h, "alipay")
    assert (t("follows.button.follow"), f"fw:{a}:{b}") in answer.buttons
    assert (t("feedback.button.report"), f"rp:{a}:{b}") in answer.buttons
    profile = only(await h.send("/company meituan"))
    assert (t("follows.button.follow"), f"fw:{a}:0") in profile.buttons
    calls = await h.press(answer, t("follows.button.follow"))
    [toast] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert toast.params["text"] == t("follows.done", name="Meituan × Alipay")
    assert await Follows(h.interop.store).follows(USER["id"], a, b)


async def test_follow_button_in_a_group_checks_the_presser(h: Harness) -> None:
    h.rec.members[(GROUP["id"], USER["id"])] = "administrator"
    answer = next(c for c in await h.send("/check meituan alipay", chat=GROUP) if c.method == "sendMessage")
    calls = await h.press(answer, t("follows.button.follow"), user=OTHER)
    [toast] = [c for c in calls if c.method == "answerCallbackQuery"]
    assert toast.params["text"] == t("follows.admins_only") and toast.params["show_alert"]
    assert rows(h, "SELECT count(*) FROM follow") == [(0,)]
    await h.press(answer, t("follows.button.follow"), user=USER)
    assert rows(h, "SELECT chat_id FROM follow") == [(GROUP["id"],)]


# -- the outbox and delivery ----------------------------------------------------------------------


async def test_a_new_fact_reaches_followers_once_and_unfollow_stops_it(h: Harness) -> None:
    await h.send("/follow meituan")
    await add_fact(h, "meituan", "wechat pay", "Meituan & <friends> take WeChat Pay.")
    [sent] = await drain(h)
    assert sent.chat_id == USER["id"]
    text = visible(sent)
    assert "Meituan" in text and "WeChat Pay" in text and t("status.live") in text
    assert t("follows.change.add") in text and "Meituan & <friends> take WeChat Pay." in text
    assert '<a href="https://example.com/news">Example News</a>' in sent.text  # a link, escaped once
    assert "Meituan &amp; &lt;friends&gt;" in sent.text and "<b>Meituan</b>" in sent.text
    assert await drain(h) == []  # settled: never twice
    await h.send("/unfollow meituan")
    await add_fact(h, "meituan", "alipay", "Another fact.")
    assert await drain(h) == []
    assert rows(h, "SELECT count(*) FROM notification") == [(0,)]


async def test_followers_of_a_parent_hear_about_its_products(h: Harness) -> None:
    await h.send("/follow tencent")
    await h.send("/follow taobao | tencent", user=OTHER)
    await add_fact(h, "jd", "wechat pay")
    [sent] = await drain(h)
    assert sent.chat_id == USER["id"] and "WeChat Pay" in visible(sent)
    await add_fact(h, "taobao", "wechat pay")  # pair Taobao × Tencent covers Taobao × WeChat Pay
    assert sorted(c.chat_id for c in await drain(h)) == [USER["id"], OTHER["id"]]


async def test_edit_retract_and_restore_are_told(h: Harness) -> None:
    fact_id = await add_fact(h, "meituan", "alipay", status=Status.ANNOUNCED)
    await h.send("/follow meituan")
    store = h.interop.store
    await store.edit_fact(fact_id, {"status": Status.LIVE}, "test")
    [edit] = await drain(h)
    assert t("follows.change.status", before=t("status.announced")) in visible(edit)
    await store.edit_fact(fact_id, {"confidence": "high"}, "test")  # not something a reader follows
    assert await drain(h) == []
    await store.set_retracted(fact_id, True, "test")
    await store.set_retracted(fact_id, False, "test")
    [digest] = await drain(h)
    text = visible(digest)
    assert text.startswith(t("follows.digest", n=2))
    assert t("follows.change.retract") in text and t("follows.change.restore") in text


async def test_a_new_source_is_told_once_and_a_new_fact_not_twice(h: Harness) -> None:
    await h.send("/follow meituan")
    fact_id = await add_fact(h, "meituan", "alipay")  # its own source must not queue a second change
    [new] = await drain(h)
    assert t("follows.change.add") in visible(new) and t("follows.change.source") not in visible(new)
    store = h.interop.store
    await store.add_source(fact_id, Source(url="https://example.org/more", publisher="More News"), "test")
    [told] = await drain(h)
    assert t("follows.change.source") in visible(told) and "More News" in visible(told)
    assert await drain(h) == []


async def test_a_large_import_sends_one_digest_per_chat(h: Harness) -> None:
    await h.send("/follow alipay")
    await h.send("/follow meituan", user=OTHER)
    doc = {"format": "interop-bot/1", "companies": [], "facts": [
        {"subject": "Alipay", "object": obj, "kind": "payments", "status": "live",
         "date": f"2026-0{i + 1}", "summary": f"Imported fact {i}.",
         "sources": [{"url": f"https://example.com/import/{i}"}]}
        for i, obj in enumerate(["JD.com", "Meituan", "Taobao", "Pinduoduo"])]}
    report = await dataset.import_document(h.interop.store, doc, "test-import", dry_run=False)
    assert report.new == 4
    sent = {c.chat_id: c for c in await drain(h)}
    assert set(sent) == {USER["id"], OTHER["id"]}
    assert visible(sent[USER["id"]]).startswith(t("follows.digest", n=4))
    assert sent[USER["id"]].text.count('<a href="https://example.com/import/') == 4
    assert "Imported fact 1." in visible(sent[OTHER["id"]])  # one fact: the full message
    assert t("follows.change.add") in visible(sent[OTHER["id"]])


async def test_without_followers_the_triggers_write_nothing(h: Harness) -> None:
    await add_fact(h, "meituan", "alipay")
    assert rows(h, "SELECT count(*) FROM fact_change") == [(0,)]


async def test_forbidden_drops_the_chats_follows(h: Harness) -> None:
    await h.send("/follow meituan")
    await h.send("/follow meituan", user=OTHER)
    h.rec.fail_when("sendMessage", lambda p: p["chat_id"] == USER["id"],
                    "Forbidden: bot was blocked by the user", 403)
    await add_fact(h, "meituan", "alipay")
    sent = await drain(h)
    assert [c.chat_id for c in sent] == [USER["id"], OTHER["id"]]  # the first was refused
    assert rows(h, "SELECT chat_id FROM follow") == [(OTHER["id"],)]
    assert rows(h, "SELECT count(*) FROM notification") == [(0,)]


async def test_a_migrated_group_keeps_its_follows_under_the_new_id(h: Harness) -> None:
    follows = Follows(h.interop.store)
    await follows.follow(GROUP["id"], cid(h, "meituan"))
    h.rec.fail_when("sendMessage", lambda p: p["chat_id"] == GROUP["id"],
                    "Bad Request: group chat was upgraded to a supergroup chat", 400,
                    migrate_to_chat_id=SUPERGROUP["id"])
    await add_fact(h, "meituan", "alipay")
    state = DeliveryState()
    await drain(h, state)
    assert rows(h, "SELECT chat_id FROM follow") == [(SUPERGROUP["id"],)]
    assert state.dirty
    [sent] = await drain(h, state)
    assert sent.chat_id == SUPERGROUP["id"]


async def test_retry_after_keeps_the_message_for_later(h: Harness) -> None:
    await h.send("/follow meituan")
    failing = {"on": True}
    h.rec.fail_when("sendMessage", lambda p: failing["on"], "Too Many Requests: retry after 7", 429,
                    retry_after=7)
    await add_fact(h, "meituan", "alipay")
    state = DeliveryState()
    assert await drain(h, state)  # tried once
    assert state.not_before > 0 and rows(h, "SELECT count(*) FROM notification") == [(1,)]
    failing["on"] = False
    [sent] = await drain(h, state)
    assert sent.chat_id == USER["id"]
    assert rows(h, "SELECT count(*) FROM notification") == [(0,)]


async def test_removing_the_bot_from_a_group_stops_at_once(h: Harness) -> None:
    follows = Follows(h.interop.store)
    await follows.follow(GROUP["id"], cid(h, "meituan"))
    member = {"user": h.bot, "status": "member"}
    update = {"update_id": 999, "my_chat_member": {
        "chat": GROUP, "from": USER, "date": 0, "old_chat_member": member,
        "new_chat_member": {"user": h.bot, "status": "left"}}}
    await h.process(update)
    assert await follows.following(GROUP["id"]) == []


async def test_the_migration_service_message_moves_the_follows(h: Harness) -> None:
    follows = Follows(h.interop.store)
    await follows.follow(GROUP["id"], cid(h, "meituan"))
    payload = h.updates.message("", chat=GROUP, user=USER)
    del payload["message"]["text"]
    payload["message"]["migrate_to_chat_id"] = SUPERGROUP["id"]
    assert await h.process(payload) == []
    assert await follows.following(GROUP["id"]) == []
    assert len(await follows.following(SUPERGROUP["id"])) == 1


async def test_expand_in_chunks_and_a_moved_fact_tells_both_old_and_new_followers(h: Harness) -> None:
    await h.send("/follow meituan")
    ids = [await add_fact(h, "meituan", other) for other in ("alipay", "jd", "taobao")]
    follows = Follows(h.interop.store)
    assert await follows.expand(chunk=2) == 3
    assert rows(h, "SELECT count(*) FROM fact_change WHERE expanded = 0") == [(0,)]
    [digest] = await drain(h)
    assert visible(digest).startswith(t("follows.digest", n=3))
    await h.send("/follow ele.me", user=OTHER)
    await h.interop.store.edit_fact(ids[0], {"subject_id": cid(h, "ele.me")}, "test")
    assert sorted(c.chat_id for c in await drain(h)) == [USER["id"], OTHER["id"]]


async def test_the_delivery_job_drains_only_after_a_commit_and_saves_misses(h: Harness) -> None:
    from telegram.ext import CallbackContext

    from bot.telegram.follow import delivery_job

    context = CallbackContext(h.app)  # type: ignore[var-annotated]

    async def tick() -> list[Call]:
        start = len(h.rec.calls)
        await delivery_job(context)
        return [c for c in h.rec.calls[start:] if c.method == "sendMessage"]

    await h.send("/follow meituan")
    assert await tick() == []
    await add_fact(h, "meituan", "alipay", "First.")
    assert [c.chat_id for c in await tick()] == [USER["id"]]
    assert await tick() == []
    await add_fact(h, "meituan", "jd", "Second.")
    [sent] = await tick()
    assert "Second." in visible(sent)
    await h.send("/check zorblaxq alipay")
    await tick()
    assert h.interop.misses.counts == {} and rows(h, "SELECT kind, text, count FROM miss_daily") == [
        ("name", "zorblaxq", 1)]


async def test_a_big_import_is_one_digest_that_lists_the_first_and_counts_the_rest(h: Harness) -> None:
    from bot.follows import MAX_DIGEST_LINES

    await h.send("/follow alipay")
    n = MAX_DIGEST_LINES + 5
    doc = {"format": "interop-bot/1", "companies": [], "facts": [
        {"subject": "Alipay", "object": "Meituan", "kind": "payments", "status": "live",
         "date": f"{1990 + i}", "summary": f"Bulk {i}.", "sources": [{"url": f"https://example.com/b/{i}"}]}
        for i in range(n)]}
    await dataset.import_document(h.interop.store, doc, "test-import", dry_run=False)
    [digest] = await drain(h)
    text = visible(digest)
    assert text.startswith(t("follows.digest", n=n)) and len(text) <= 4096
    assert text.count("\n• ") == MAX_DIGEST_LINES and t("follows.digest_more", n=5) in text
    assert rows(h, "SELECT count(*) FROM notification") == [(0,)]
