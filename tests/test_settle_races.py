"""Two admins settling the same thing at once, through the real Application: exactly one wins,
writes what they decided and nothing else, and the other hears who was first.

Each race is made deterministic: the first admin's press is held right after its early
"is it still open?" check, the second admin's decision runs to the end, then the first goes on.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain import Suggestion
from bot.feedback import Feedback
from bot.texts import t
from tests.test_telegram_admin import Files
from tests.tg import ADMIN, OTHER, USER, Call, Harness, make_app, only, visible

LINE = ("Meituan | WeChat Pay | payments | live | 2019-02-13 | Meituan takes WeChat Pay. | "
        "https://example.com/meituan-wechat | Meituan news")


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        await harness.interop.store.set_grant(OTHER["id"], True, "test")  # "@bob", a second admin
        harness.rec.clear()
        yield harness


def rows(h: Harness, sql: str) -> list[Any]:
    with sqlite3.connect(h.settings.database_path) as db:
        return db.execute(sql).fetchall()


def toasts(calls: list[Call]) -> str:
    """What the answered presses among ``calls`` said."""
    return " ".join(str(c.params.get("text") or "") for c in calls if c.method == "answerCallbackQuery")


def said(key: str, **values: Any) -> str:
    """A catalogue message as a reply says it: a sentence."""
    text = t(key, **values)
    return text[:1].upper() + text[1:]


def hold_first_open_check(monkeypatch: pytest.MonkeyPatch) -> tuple[asyncio.Event, asyncio.Event]:
    """Hold the next ``open_suggestion`` call once it has found the suggestion open."""
    held, release = asyncio.Event(), asyncio.Event()
    original = Feedback.open_suggestion

    async def open_then_wait(self: Feedback, suggestion_id: int) -> Suggestion:
        found = await original(self, suggestion_id)
        if not held.is_set():
            held.set()
            await release.wait()
        return found

    monkeypatch.setattr(Feedback, "open_suggestion", open_then_wait)
    return held, release


async def race(first: Awaitable[list[Call]], held: asyncio.Event, release: asyncio.Event,
               second: Callable[[], Awaitable[list[Call]]]) -> tuple[list[Call], list[Call]]:
    """Start ``first``, run ``second`` whole while ``first`` is held, then let ``first`` finish
    (its calls include the second's: the second sends messages, the first answers a press)."""
    task = asyncio.ensure_future(first)
    await asyncio.wait_for(held.wait(), 10)
    second_calls = await second()
    release.set()
    return await task, second_calls


async def queue(h: Harness) -> tuple[Call, Call]:
    """The suggestion, and the queue as each admin sees it in their own private chat."""
    await h.send(f"/suggest {LINE}", user=USER)
    return only(await h.send("/reports", user=ADMIN)), only(await h.send("/reports", user=OTHER))


async def test_accept_against_a_reject_answer_writes_no_fact(h: Harness,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    facts = rows(h, "SELECT count(*) FROM fact")
    listing, bobs = await queue(h)
    prompt = next(c for c in await h.press(bobs, t("feedback.button.reject", id=1), user=OTHER)
              if c.method == "sendMessage")
    held, release = hold_first_open_check(monkeypatch)
    h.rec.clear()
    accept_calls, _ = await race(h.press(listing, t("feedback.button.accept", id=1), user=ADMIN),
                                 held, release,
                                 lambda: h.send("No source says so.", user=OTHER, reply_to=prompt))
    assert rows(h, "SELECT status, closed_by, fact_id FROM suggestion") == [
        ("rejected", "tg:1002 @bob", None)]
    assert rows(h, "SELECT count(*) FROM fact") == facts  # the rejected fact was never stored
    assert said("error.suggestion_rejected_by", id=1, who="@bob") in toasts(accept_calls)
    told = [visible(c) for c in h.rec.of("sendMessage") if c.chat_id == USER["id"]]
    assert told == [t("feedback.rejected_user", id=1, reason="No source says so.")]
    assert rows(h, "SELECT action FROM audit WHERE entity = 'suggestion'") == [("reject",)]


async def test_edit_then_accept_against_accept_makes_one_fact(h: Harness,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    listing, bobs = await queue(h)
    prompt = next(c for c in await h.press(bobs, t("feedback.button.edit", id=1), user=OTHER)
              if c.method == "sendMessage")
    edited = LINE.replace("2019-02-13", "2019-02-14")
    held, release = hold_first_open_check(monkeypatch)
    accept_calls, _edit_calls = await race(
        h.press(listing, t("feedback.button.accept", id=1), user=ADMIN), held, release,
        lambda: h.send(edited, user=OTHER, reply_to=prompt))
    assert rows(h, "SELECT date FROM fact WHERE summary = 'Meituan takes WeChat Pay.'") == [("2019-02-14",)]
    assert rows(h, "SELECT status, line, closed_by FROM suggestion") == [
        ("accepted", edited, "tg:1002 @bob")]
    assert said("error.suggestion_accepted_by", id=1, who="@bob") in toasts(accept_calls)
    assert len([c for c in h.rec.of("sendMessage") if c.chat_id == USER["id"]
                and "was accepted" in c.text]) == 1


async def test_a_duplicate_fact_leaves_the_suggestion_open(h: Harness) -> None:
    listing, _ = await queue(h)
    await h.send(f"/addfact {LINE}", user=ADMIN)
    calls = await h.press(listing, t("feedback.button.accept", id=1), user=ADMIN)
    assert "already" in toasts(calls)
    assert rows(h, "SELECT status, fact_id FROM suggestion") == [("open", None)]
    assert rows(h, "SELECT count(*) FROM audit WHERE entity = 'suggestion'") == [(0,)]


async def test_two_admins_settling_one_report(h: Harness) -> None:
    answer = next(c for c in await h.send("/check meituan alipay", user=USER) if c.method == "sendMessage")
    prompt = next(c for c in await h.press(answer, t("feedback.button.report"), user=USER)
              if c.method == "sendMessage")
    await h.send("Wrong date.", user=USER, reply_to=prompt)
    listing = only(await h.send("/reports", user=ADMIN))
    first, second = await asyncio.gather(
        h.press(listing, t("feedback.button.resolve", id=1), user=OTHER),
        h.press(listing, t("feedback.button.dismiss", id=1), user=ADMIN))
    [(status, by)] = rows(h, "SELECT status, closed_by FROM report")
    assert rows(h, "SELECT count(*) FROM audit WHERE entity = 'report'") == [(1,)]
    answered = toasts(first + second)
    loser = "dismissed" if status == "resolved" else "resolved"
    assert said(f"error.report_{status}_by", id=1, who=by.split(" ", 1)[1]) in answered
    assert t(f"feedback.{loser}", id=1) not in answered


async def test_two_presses_of_apply_import_one_applies(h: Harness) -> None:
    files = Files(h)
    doc = {"format": "interop-bot/1", "companies": [
        {"name": "Raced Pay", "kind": "", "parent": None, "description": "", "aliases": []}],
        "facts": []}
    [dry] = [c for c in await h.process(files.document(h, "raced.json", json.dumps(doc).encode()))
             if c.method == "sendMessage"]
    h.rec.clear()
    await asyncio.gather(h.press(dry, "✅ Apply import", user=ADMIN),
                         h.press(dry, "✅ Apply import", user=ADMIN))
    assert rows(h, "SELECT count(*) FROM company WHERE name = 'Raced Pay'") == [(1,)]
    assert not [c for c in h.rec.of("sendMessage") if "went wrong" in c.text]
    answers = [c.params.get("text") for c in h.rec.of("answerCallbackQuery")]
    assert t("admin.settled.applied", who="@owner") in answers


async def test_two_admins_confirming_one_retract(h: Harness) -> None:
    fact_id = rows(h, "SELECT min(id) FROM fact WHERE retracted = 0")[0][0]
    mine = only(await h.send(f"/retract {fact_id}", user=ADMIN))
    theirs = only(await h.send(f"/retract {fact_id}", user=OTHER))
    first, second = await asyncio.gather(
        h.press(mine, t("admin.button.retract", id=fact_id), user=ADMIN),
        h.press(theirs, t("admin.button.retract", id=fact_id), user=OTHER))
    assert rows(h, f"SELECT count(*) FROM audit WHERE action = 'retract' AND entity_id = {fact_id}") == [(1,)]
    edits = [visible(c) for c in first + second if c.method == "editMessageText"]
    assert any("was already retracted by" in text for text in edits), edits
