"""Buttons: the callback-data codec, did-you-mean choices, pagination, stale buttons, presses by
other users, and that every press is answered exactly once.

Runs the real Application (tests/tg.py) on a seeded SQLite file in tmp_path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import Built, Company, Fact, Kind, NotLoaded, Source, Status, rendered
from bot.render import render_profile, utf16_len, visible_len
from bot.store import FactDraft
from bot.telegram.callbacks import (
    MAX_CALLBACK_BYTES,
    CheckPage,
    Example,
    PageLabel,
    ProfilePage,
    RecentPage,
    SearchPage,
    decode,
    encode,
)
from bot.texts import t
from tests.tg import GROUP, JD_ALIPAY, OTHER, SUPERGROUP, USER, Call, Harness, make_app, only, visible


def edited(calls: list[Call], sent: Call) -> tuple[Call, Call]:
    """A press that edits ``sent`` in place: [editMessageText, answerCallbackQuery]."""
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"], \
        [(c.method, c.params.get("text")) for c in calls]
    edit, answer = calls
    assert edit.chat_id == sent.chat_id
    assert edit.params["message_id"] == sent.result["message_id"]
    return edit, answer


def toast(calls: list[Call]) -> str | None:
    """A press that only answers: its notice text."""
    assert [c.method for c in calls] == ["answerCallbackQuery"], [c.method for c in calls]
    assert not calls[0].params.get("show_alert")
    return calls[0].params.get("text")


def cid(h: Harness, name: str) -> int:
    company = h.interop.resolve(name).company
    assert company is not None, name
    return company.id


async def add_facts(h: Harness, subject: str, objects: list[str], n: int) -> list[int]:
    """``n`` long, distinct facts from ``subject`` to each object, to make answers span pages."""
    ids = []
    for i in range(n):
        obj = objects[i % len(objects)]
        draft = FactDraft(
            subject_id=cid(h, subject), object_id=cid(h, obj), kind=Kind.PAYMENTS,
            status=Status.PARTIAL if i % 2 else Status.LIVE, date=f"{2001 + i}-01",
            summary=f"Fact number {i}: " + "a long, carefully sourced summary sentence. " * 6,
            sources=(Source(url=f"https://example.com/{i}", publisher="Example"),
                     Source(url=f"https://example.org/{i}", publisher="Other")))
        ids.append((await h.interop.store.add_fact(draft, "test")).id)
    return ids


# -- codec ---------------------------------------------------------------------------------------

_ID = st.integers(0, 10**9)
_PAGE = st.integers(1, 999)
_UID = st.integers(0, 2**53)  # Telegram user ids fit in 52 bits
_TOKEN = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=16)
_BUTTONS = st.one_of(
    st.builds(ProfilePage, _ID, _PAGE, _UID),
    st.builds(CheckPage, _ID, _ID, _PAGE, _UID),
    st.builds(RecentPage, st.integers(1, 50), _PAGE, _UID),
    st.builds(SearchPage, _TOKEN, _PAGE, _UID),
    st.builds(Example, st.integers(0, 99)),
    st.just(PageLabel()),
)


@given(_BUTTONS)
def test_every_kind_of_callback_data_round_trips_within_64_bytes(data: Any) -> None:
    text = encode(data)
    assert len(text.encode()) <= MAX_CALLBACK_BYTES
    assert decode(text) == data
    assert not text.startswith("a:")  # the admin prefix


@pytest.mark.parametrize("junk", [None, "", "a:ret:1:2", "pf", "pf:x:1:2", "ck:1:2:3", "zz:1",
                                  "pf:1:1:1:extra", "ex:100"])
def test_unknown_callback_data_decodes_to_none(junk: str | None) -> None:
    assert decode(junk) is None


async def test_all_buttons_the_bot_sends_fit_64_bytes(tg: Harness) -> None:
    await add_facts(tg, "alipay", ["jd", "taobao", "wechat"], 12)
    tg.bot_data.page_budget = 400
    for text in ("/help", "/company alipay", "/check jd alipay", "/search payments", "/recent 50",
                 "/company ali", "/check jd ali", "/check ali tao", "tao"):
        await tg.send(text, user=USER)
    data = [d for call in tg.rec.calls for d in call.callback_data]
    kinds = {d.split(":")[0] for d in data}
    assert kinds == {"ex", "pf", "ck", "sr", "rc", "pg", "fw", "rp"}
    assert all(len(d.encode()) <= MAX_CALLBACK_BYTES for d in data)


# -- did you mean --------------------------------------------------------------------------------


async def test_did_you_mean_company_edits_into_the_profile(tg: Harness) -> None:
    question = only(await tg.send("/company ali"))
    assert visible(question) == f"{t('unknown.name', name='ali')} {t('unknown.suggest')}"
    labels = [label for label, _ in question.buttons]
    assert {"Alipay", "Alibaba Group", "Alimama"} <= set(labels)
    assert question.buttons[labels.index("Alimama")][1] == f"pf:{cid(tg, 'alimama')}:1:{USER['id']}"
    edit, answer = edited(await tg.press(question, "Alimama"), question)
    assert visible(edit).startswith("Alimama")
    assert answer.params.get("text") is None


async def test_did_you_mean_pair_keeps_the_resolved_side(tg: Harness) -> None:
    question = only(await tg.send("/check jd ali"))
    assert "Did you mean" in visible(question)
    jd, alipay = cid(tg, "jd"), cid(tg, "alipay")
    assert ("JD.com × Alipay", f"ck:{jd}:{alipay}:1:{USER['id']}") in question.buttons
    assert all(label.startswith("JD.com × ") for label, _ in question.buttons)
    edit, _ = edited(await tg.press(question, "JD.com × Alipay"), question)
    assert visible(edit).startswith(JD_ALIPAY)
    assert edit.params["link_preview_options"] == {"is_disabled": True}


async def test_did_you_mean_with_both_sides_unknown_offers_pairs(tg: Harness) -> None:
    question = only(await tg.send("/check ali tao"))
    labels = [label for label, _ in question.buttons]
    assert 1 < len(labels) <= 9 and all(" × " in label for label in labels)
    edit, _ = edited(await tg.press(question, labels[0]), question)
    a, b = labels[0].split(" × ")
    assert a in visible(edit) and b in visible(edit)


async def test_did_you_mean_for_a_partial_name_as_a_free_question(tg: Harness) -> None:
    question = only(await tg.send("jingd"))  # a one-page search: a longer one offers only its pages
    assert visible(question).startswith("🔎")  # what the text search found...
    labels = [label for label, _ in question.buttons]
    assert "JD.com" in labels  # ...and the names it may have meant
    edit, _ = edited(await tg.press(question, "JD.com"), question)
    assert visible(edit).startswith("JD.com")


async def test_did_you_mean_instead_of_an_empty_search(tg: Harness) -> None:
    for name in ("Zebrafish Pay", "Zebrafish Mall"):
        company = await tg.interop.store.add_company(Company(id=0, name=name), "test")
        await tg.interop.refresh_companies([company.id])
    question = only(await tg.send("zebrafsh"))
    assert visible(question).startswith(t("unknown.name", name="zebrafsh"))
    assert {"Zebrafish Pay", "Zebrafish Mall"} <= {label for label, _ in question.buttons}
    edit, _ = edited(await tg.press(question, "Zebrafish Mall"), question)
    assert visible(edit).startswith("Zebrafish Mall")


async def test_nothing_close_means_no_keyboard(tg: Harness) -> None:
    call = only(await tg.send("/company qqxxzz"))
    assert call.reply_markup is None
    assert t("unknown.nothing_close") in visible(call)


# -- pagination ----------------------------------------------------------------------------------


def pager(call: Any) -> list[tuple[str, str]]:
    """The paging buttons, without the 🔔 Follow / ⚠️ Report row under answers."""
    return [b for b in call.buttons if not b[1].startswith(("fw:", "rp:"))]


async def test_long_profile_pages_forward_and_back_in_the_same_message(
        tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.render import pages as paging

    monkeypatch.setattr(paging, "LOOKAHEAD_BLOCKS", 1000)  # counted exactly at once
    await add_facts(tg, "alipay", ["jd", "taobao", "wechat", "meituan"], 40)
    page1 = only(await tg.send("/company alipay"))
    labels = [label for label, _ in pager(page1)]
    assert labels[0].startswith("Page 1/") and labels[-1] == "▶"
    pages = int(labels[0].split("/")[1])
    assert pages >= 3
    seen = [visible(page1)]
    current = page1
    assert visible_len(page1.text) == utf16_len(seen[0]) <= 4096  # Telegram counts UTF-16 units
    for n in range(2, pages + 1):
        edit, answer = edited(await tg.press(page1, "▶"), page1)
        assert answer.params.get("text") is None
        labels = [label for label, _ in pager(edit)]
        assert labels[0] == "◀" and f"Page {n}/{pages}" in labels
        assert (labels[-1] == "▶") == (n < pages)
        seen.append(visible(edit))
        assert len(seen[-1]) <= 4096
        current = edit
    assert len(set(seen)) == pages
    back, _ = edited(await tg.press(page1, "◀"), page1)
    assert visible(back) == seen[-2]
    assert current.params["message_id"] == page1.result["message_id"]


async def test_a_huge_profile_renders_as_far_as_it_is_paged_and_says_its_count_is_an_estimate(
        tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of facts would hold the event loop: the first page renders only what it needs
    (here a lookahead of 3 blocks), labels the count "~N", and the last page makes it exact."""
    from bot.render import pages as paging

    monkeypatch.setattr(paging, "LOOKAHEAD_BLOCKS", 3)
    await add_facts(tg, "alipay", ["jd", "taobao", "wechat", "meituan"], 40)
    page1 = only(await tg.send("/company alipay"))
    label = next(label for label, _ in pager(page1))
    assert label.startswith("Page 1/~"), label
    current, seen = page1, [visible(page1)]
    for _ in range(40):
        labels = [label for label, _ in pager(current)]
        if labels[-1] != "▶":
            break
        current, _ = edited(await tg.press(page1, "▶"), page1)
        seen.append(visible(current))
    last = [label for label, _ in pager(current)]
    assert last[-1] == f"Page {len(seen)}/{len(seen)}"  # exact once the end is rendered
    assert all(f"Fact number {i}:" in "".join(seen) for i in range(40))  # nothing lost


async def test_a_big_profile_reads_its_later_facts_before_the_page_that_shows_them(
        tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only a profile's first facts come with it; turning further awaits a read of the next ones
    before the page renders, and a render that reaches a fact not read stops with NotLoaded
    instead of reading SQL mid-render. The pages are the ones a fully read profile makes."""
    from bot.render import pages as paging
    from bot.store import reads

    monkeypatch.setattr(paging, "LOOKAHEAD_BLOCKS", 3)
    monkeypatch.setattr(reads, "PROFILE_EAGER", 4)
    await add_facts(tg, "alipay", ["jd", "taobao", "wechat", "meituan"], 40)
    alipay = tg.interop.resolver.company(cid(tg, "alipay"))
    assert alipay is not None
    profile = await tg.interop.profile(alipay)
    assert isinstance(profile.facts, Built) and profile.facts.ready == 4 < len(profile.facts)
    with pytest.raises(NotLoaded):
        render_profile(profile)
    loads: list[int] = []
    by_id = tg.interop.store.facts_by_id

    async def counted(ids: Sequence[int]) -> list[Fact]:
        loads.append(len(ids))
        return await by_id(ids)

    monkeypatch.setattr(tg.interop.store, "facts_by_id", counted)
    page1 = only(await tg.send("/company alipay"))
    current, seen = page1, [visible(page1)]
    for _ in range(40):
        if pager(current)[-1][0] != "▶":
            break
        current, _ = edited(await tg.press(page1, "▶"), page1)
        seen.append(visible(current))
    assert loads and sum(loads) == len(profile.facts) - 4  # each later fact read once
    assert pager(current)[-1][0] == f"Page {len(seen)}/{len(seen)}"
    shown = "".join(seen)
    assert all(shown.count(f"Fact number {i}:") == 1 for i in range(40))  # nothing lost or repeated
    everything = await rendered(lambda: render_profile(profile))  # all read now: renders whole
    assert len(everything) > 40 and profile.facts.ready == len(profile.facts)


async def test_long_check_pages_with_stateless_buttons(tg: Harness) -> None:
    await add_facts(tg, "jd", ["alipay"], 30)
    page1 = only(await tg.send("/check jd alipay"))
    jd, alipay = cid(tg, "jd"), cid(tg, "alipay")
    assert pager(page1)[-1] == ("▶", f"ck:{jd}:{alipay}:2:{USER['id']}")
    edit, _ = edited(await tg.press(page1, "▶"), page1)
    assert pager(edit)[0] == ("◀", f"ck:{jd}:{alipay}:1:{USER['id']}")


async def test_page_label_does_nothing_but_answer(tg: Harness) -> None:
    await add_facts(tg, "alipay", ["jd", "taobao"], 30)
    page1 = only(await tg.send("/company alipay"))
    assert toast(await tg.press(page1, pager(page1)[0][0])) is None


async def test_search_pages_keep_the_query_in_chat_data(tg: Harness) -> None:
    tg.bot_data.page_budget = 500
    page1 = only(await tg.send("/search payments"))
    forward = page1.buttons[-1]
    assert forward[0] == "▶" and forward[1].startswith("sr:")
    edit, _ = edited(await tg.press(page1, "▶"), page1)
    assert "Page 2/" in " ".join(label for label, _ in edit.buttons)
    tg.app.chat_data[USER["id"]].clear()  # a chat whose data is gone (not a restart: see below)
    assert toast(await tg.press(page1, "◀")) == t("tg.stale")


async def test_paging_buttons_work_after_a_restart(tmp_path: Path) -> None:
    """Check and profile pages are stateless; a search's query is persisted with the chat data."""
    async with make_app(tmp_path) as first:
        first.bot_data.page_budget = 500
        search = only(await first.send("/search payments"))
        profile = only(await first.send("/company alipay"))
        assert "▶" in dict(search.buttons) and "▶" in dict(profile.buttons)
        await first.app.update_persistence()  # what Application.stop does on SIGTERM
    async with make_app(tmp_path) as second:
        second.bot_data.page_budget = 500
        second.rec.messages.update(first.rec.messages)
        for message in (search, profile):
            edit, _ = edited(await second.press(message, "▶"), message)
            assert "Page 2/" in " ".join(label for label, _ in edit.buttons)


async def test_a_flush_writes_every_chat_in_one_transaction(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB saves each changed chat and user at a flush, all at once: a commit each would stall
    a busy bot's disk; the saves queue and share one or two transactions, and none is lost."""
    import sqlite3

    from bot.store import tg_state

    writes: list[int] = []
    original = tg_state.save

    def counted(conn: sqlite3.Connection, batch: dict[tuple[str, str], bytes | None]) -> None:
        writes.append(len(batch))
        original(conn, batch)

    monkeypatch.setattr(tg_state, "save", counted)
    async with make_app(tmp_path) as h:
        for chat in range(40):
            h.app.chat_data[7_000 + chat]["searches"] = {"tok": f"query {chat}"}
        h.app.mark_data_for_update_persistence(chat_ids=[7_000 + chat for chat in range(40)])
        await h.app.update_persistence()
        assert 1 <= len(writes) <= 2 and sum(writes) >= 40
        database = h.settings.database_path
    conn = sqlite3.connect(database)
    try:
        keys = {k for (k,) in conn.execute("SELECT key FROM tg_state WHERE kind = 'chat'")}
    finally:
        conn.close()
    assert {str(7_000 + chat) for chat in range(40)} <= keys


async def test_saved_state_is_written_by_the_stores_one_writer_and_kept_past_shutdown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB persistence holds no connection of its own: its flush is a job of the store's
    writer thread, and closing the app writes what it still holds before the store closes."""
    import sqlite3
    import threading

    from bot.store import tg_state

    threads: list[str] = []
    original = tg_state.save

    def on_thread(conn: sqlite3.Connection, batch: dict[tuple[str, str], bytes | None]) -> None:
        threads.append(threading.current_thread().name)
        original(conn, batch)

    monkeypatch.setattr(tg_state, "save", on_thread)
    async with make_app(tmp_path) as h:
        h.app.chat_data[7_100]["searches"] = {"tok": "query"}
        h.app.mark_data_for_update_persistence(chat_ids=[7_100])
        await h.app.update_persistence()
        h.app.chat_data[7_101]["searches"] = {"tok": "unsaved until shutdown"}
        h.app.mark_data_for_update_persistence(chat_ids=[7_101])
        database = h.settings.database_path
    assert threads and all(name.startswith("store-writer") for name in threads)
    conn = sqlite3.connect(database)
    try:
        keys = {k for (k,) in conn.execute("SELECT key FROM tg_state WHERE kind = 'chat'")}
    finally:
        conn.close()
    assert {"7100", "7101"} <= keys


async def test_a_flush_writes_only_state_that_changed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB saves every user that sent an update at each flush: an empty dict never stored and a
    value the row already holds cost no transaction; a change, and a cleared value, are written."""
    import sqlite3

    from bot.store import tg_state

    writes: list[dict[tuple[str, str], bytes | None]] = []
    original = tg_state.save

    def counted(conn: sqlite3.Connection, batch: dict[tuple[str, str], bytes | None]) -> None:
        writes.append(dict(batch))
        original(conn, batch)

    monkeypatch.setattr(tg_state, "save", counted)

    def rows(database: Path) -> dict[str, bytes]:
        conn = sqlite3.connect(database)
        try:
            return dict(conn.execute("SELECT key, data FROM tg_state WHERE kind = 'user'").fetchall())
        finally:
            conn.close()

    users = [8_000 + i for i in range(30)]
    async with make_app(tmp_path) as h:
        database = h.settings.database_path
        for user in users:
            h.app.user_data[user]  # a user who only asked: PTB keeps an empty dict
        h.app.mark_data_for_update_persistence(user_ids=users)
        await h.app.update_persistence()
        assert writes == []
        h.app.user_data[users[0]]["lang"] = "zh"
        h.app.mark_data_for_update_persistence(user_ids=users)
        await h.app.update_persistence()
        assert [set(batch) for batch in writes] == [{("user", str(users[0]))}]
        h.app.mark_data_for_update_persistence(user_ids=users)
        await h.app.update_persistence()  # nothing changed since
        assert len(writes) == 1
        assert set(rows(database)) == {str(users[0])}
        h.app.user_data[users[0]].clear()
        h.app.mark_data_for_update_persistence(user_ids=[users[0]])
        await h.app.update_persistence()
        assert writes[-1] == {("user", str(users[0])): None}
        assert rows(database) == {}
    async with make_app(tmp_path) as again:  # a restart knows what the file holds
        again.app.user_data[users[1]]["lang"] = "en"
        again.app.mark_data_for_update_persistence(user_ids=[users[1]])
        await again.app.update_persistence()
    async with make_app(tmp_path) as third:
        assert third.app.user_data[users[1]] == {"lang": "en"}
        before = len(writes)
        third.app.mark_data_for_update_persistence(user_ids=[users[1]])
        await third.app.update_persistence()  # loaded as stored: the same bytes, no write
        assert len(writes) == before


async def test_recent_pages(tg: Harness) -> None:
    page1 = only(await tg.send("/recent 50"))
    assert page1.buttons[-1] == ("▶", f"rc:50:2:{USER['id']}")
    edit, _ = edited(await tg.press(page1, "▶"), page1)
    assert visible(edit) != visible(page1)


# -- stale buttons and other people's presses -----------------------------------------------------


async def test_buttons_for_a_company_that_is_gone_are_stale(tg: Harness) -> None:
    question = only(await tg.send("/company ali"))
    tg.interop.resolver.remove_company(cid(tg, "alimama"))  # as refresh_companies does after a delete
    assert toast(await tg.press(question, "Alimama")) == t("tg.stale")
    jd = cid(tg, "jd")
    for data in ("pf:999999:1:1001", f"ck:{jd}:999999:1:1001", f"ck:{jd}:{jd}:1:1001",
                 "zz:old-format", "ex:99", "pf:1:x"):
        assert toast(await tg.press(question, data=data)) == t("tg.stale"), data


async def test_a_page_that_no_longer_exists_shows_the_last_one(tg: Harness) -> None:
    ids = await add_facts(tg, "meituan", ["jd", "taobao", "wechat"], 30)  # one page of its own
    page1 = only(await tg.send("/company meituan"))
    pages = int(page1.buttons[0][0].split("/")[1])
    last = f"pf:{cid(tg, 'meituan')}:{pages}:{USER['id']}"
    for fact_id in ids:
        await tg.interop.store.set_retracted(fact_id, True, "test")
    edit, answer = edited(await tg.press(page1, data=last), page1)
    assert answer.params["text"] == t("tg.stale_page")
    assert visible(edit).startswith("Meituan")


async def test_only_the_asker_may_press_in_a_group(tg: Harness) -> None:
    await add_facts(tg, "alipay", ["jd", "taobao"], 30)
    page1 = only(await tg.send("/company@InteropTestBot alipay", chat=SUPERGROUP))
    assert toast(await tg.press(page1, "▶", user=OTHER)) == t("tg.not_yours")
    question = only(await tg.send("/company ali", chat=GROUP))
    assert toast(await tg.press(question, "Alimama", user=OTHER)) == t("tg.not_yours")
    edit, _ = edited(await tg.press(page1, "▶"), page1)
    assert "Page 2/" in " ".join(label for label, _ in edit.buttons)


async def test_unchanged_or_vanished_messages_are_handled_politely(tg: Harness) -> None:
    question = only(await tg.send("/company ali"))
    tg.rec.fail_when("editMessageText", lambda p: True,
                     "Bad Request: message is not modified: specified new message content and "
                     "reply markup are exactly the same as a current content and reply markup")
    calls = await tg.press(question, "Alimama")
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert calls[1].params.get("text") is None
    tg.rec._failures.clear()
    tg.rec.fail_when("editMessageText", lambda p: True, "Bad Request: message to edit not found")
    calls = await tg.press(question, "Alipay")
    assert [c.method for c in calls] == ["editMessageText", "answerCallbackQuery"]
    assert calls[1].params["text"] == t("tg.stale")


async def test_a_failing_press_is_answered_once_with_the_generic_error(
        tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    question = only(await tg.send("/company ali"))

    async def broken(company: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(tg.interop, "profile", broken)
    calls = await tg.press(question, "Alimama")
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert len(answers) == 1 and answers[0].params["text"] == t("error.generic")
    assert not [c for c in calls if c.method == "editMessageText"]


async def test_every_press_is_answered_exactly_once(tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.render import pages as paging

    monkeypatch.setattr(paging, "LOOKAHEAD_BLOCKS", 1000)  # the page label stays "Page 2/N"
    await add_facts(tg, "alipay", ["jd", "taobao"], 30)
    page1 = only(await tg.send("/company alipay", chat=SUPERGROUP))
    question = only(await tg.send("/check jd ali"))
    pages = page1.buttons[0][0].split("/")[1]
    presses = [(page1, "▶", OTHER), (page1, "▶", USER), (page1, f"Page 2/{pages}", USER),
               (question, "JD.com × Alipay", OTHER), (question, "JD.com × Alipay", USER)]
    for message, label, who in presses:
        calls = await tg.press(message, label, user=who)
        assert sum(c.method == "answerCallbackQuery" for c in calls) == 1
    for data in ("zz", "pf:999999:1:1001", "ex:0"):
        calls = await tg.press(question, data=data)
        assert sum(c.method == "answerCallbackQuery" for c in calls) == 1
