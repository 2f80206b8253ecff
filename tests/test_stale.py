"""/stale, the admins' maintenance queue: which threads wait, in what order, a page at a time, its
three buttons (rights re-checked on every press), the console's --admin mode, and /about's count.

Every test builds its own companies and facts in an empty store, and fixes "today".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from bot import upkeep
from bot.answers import Interop
from bot.console import answer_line, operator_editor
from bot.domain import Company, Kind, Source, Status
from bot.render import visible_text
from bot.store import FactDraft
from bot.texts import t
from bot.upkeep import stale_page
from tests.tg import ADMIN, OTHER, USER, Call, Harness, make_app

TODAY = date(2026, 12, 7)
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")


async def company(interop: Interop, name: str) -> int:
    made = await interop.store.add_company(Company(id=0, name=name), "t")
    await interop.refresh_companies([made.id])
    return made.id


async def fact(interop: Interop, s: int, o: int, status: Status, day: str, *, kind: Kind = Kind.PAYMENTS,
               verified: str = "", scope: str = "", summary: str = "") -> int:
    draft = FactDraft(s, o, kind, status, day, summary or f"{status.value} on {day}.",
                      (Source(f"https://example.com/{s}-{o}-{day}", title=f"Source {day}"),),
                      note="some shops" if status is Status.PARTIAL else "", verified=verified, scope=scope)
    return (await interop.store.add_fact(draft, "t")).id


async def build(interop: Interop) -> dict[str, int]:
    """Four waiting threads and five that are not; the ids of the waiting threads' newest facts."""
    a, b, c, d, e = [await company(interop, n) for n in ("Amber Pay", "Birch Shop", "Cedar Post",
                                                          "Dune Mall", "Elm Wallet")]
    ids = {
        "announced": await fact(interop, b, a, Status.ANNOUNCED, "2026-03", scope="app"),  # 9 months
        "partial": await fact(interop, d, a, Status.PARTIAL, "2025-01"),  # 23 months
        "unchecked": await fact(interop, b, c, Status.LIVE, "2024-06", kind=Kind.LOGISTICS),
    }
    await fact(interop, c, e, Status.ANNOUNCED, "2020")
    ids["oldest"] = await fact(interop, c, e, Status.LIVE, "2021-05")  # live, never checked
    await fact(interop, c, a, Status.ANNOUNCED, "2026-10")  # 2 months: not yet
    await fact(interop, e, a, Status.PARTIAL, "2026-01")  # 11 months: not yet
    await fact(interop, b, d, Status.LIVE, "2024-06", verified="2026-01-05")  # checked
    await fact(interop, c, d, Status.LIVE, "2023-01", kind=Kind.CONTENT)
    await fact(interop, c, d, Status.ANNOUNCED, "2026-11", kind=Kind.CONTENT)  # fresh news
    gone = await fact(interop, d, e, Status.ANNOUNCED, "2019")
    await interop.store.set_retracted(gone, True, "t")
    return ids


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, seed=False) as harness:
        harness.app.bot_data.today = lambda: TODAY
        harness.user = dict(ADMIN)  # presses and messages are the owner's unless a test says
        harness.rec.clear()
        yield harness


def texts(calls: list[Call]) -> str:
    return "\n\n".join(visible_text(c.text) for c in calls if c.method in {"sendMessage", "editMessageText"})


def toast(calls: list[Call]) -> str:
    return " ".join(str(c.params.get("text") or "") for c in calls if c.method == "answerCallbackQuery")


async def listing(h: Harness, user: dict[str, object] = ADMIN) -> Call:
    [call] = [c for c in await h.send("/stale", user=user) if c.method == "sendMessage"]
    return call


# -- the queue itself --------------------------------------------------------------------------


async def test_the_queue_holds_the_three_kinds_of_stale_thread_oldest_first(h: Harness) -> None:
    ids = await build(h.interop)
    found = await stale_page(h.interop, 1, TODAY)
    assert found.total == 4 and found.pages == 1
    assert [(e.newest.fact.id, e.reason) for e in found.entries] == [
        (ids["oldest"], "unchecked"), (ids["unchecked"], "unchecked"), (ids["partial"], "partial"),
        (ids["announced"], "announced")]
    assert [len(e.thread.events) for e in found.entries] == [2, 1, 1, 1]  # the whole thread
    assert found.entries[0].source is not None and found.entries[0].source.title == "Source 2021-05"
    # Half a year earlier only the oldest had gone stale (June 2024 was not yet 2 years back).
    earlier = await stale_page(h.interop, 1, date(2026, 6, 1))
    assert [e.newest.fact.id for e in earlier.entries] == [ids["oldest"]]


async def test_checking_a_fact_restarts_its_clock(h: Harness) -> None:
    ids = await build(h.interop)
    await h.interop.store.edit_fact(ids["announced"], {"verified": "2026-11-01"}, "t")
    await h.interop.store.edit_fact(ids["oldest"], {"verified": "2025-01-01"}, "t")
    assert [e.newest.fact.id for e in (await stale_page(h.interop, 1, TODAY)).entries] == [
        ids["unchecked"], ids["partial"]]


# -- Telegram ----------------------------------------------------------------------------------


async def test_stale_is_for_admins_and_lists_headline_age_and_source(h: Harness) -> None:
    ids = await build(h.interop)
    refused = texts(await h.send("/stale", user=USER))
    assert "for the bot's admins only" in refused
    call = await listing(h)
    text = visible_text(call.text)
    assert text.startswith("🧹 Threads waiting for a look: 4, oldest first")
    assert text.index("Cedar Post") < text.index("Dune Mall accepts Amber Pay")
    assert "Birch Shop accepts Amber Pay — 🕓 announced in Mar 2026; no launch reported since · app" in text
    assert "⏳ 8 months old · announced, no launch reported" in text
    assert "⏳ 2 years old · partial for over 18 months" in text  # 22 months, said in years
    assert '<a href="https://example.com/' in call.text
    assert (t("stale.button.verify", id=ids["announced"]), f"a:sv:{ids['announced']}:1") in call.buttons
    assert (t("stale.button.follow_up", id=ids["announced"]), f"a:sf:{ids['announced']}") in call.buttons
    assert (t("stale.button.retract", id=ids["announced"]), f"a:sr:{ids['announced']}") in call.buttons


async def test_the_queue_pages_with_the_bots_pager(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await build(h.interop)
    monkeypatch.setattr(upkeep, "PER_PAGE", 3)
    call = await listing(h)
    assert ("Page 1/2", "pg") in call.buttons and ("▶", "a:st:2") in call.buttons
    assert f"#{ids['announced']}" not in visible_text(call.text)
    refused = await h.press(call, "▶", user=USER)
    assert toast(refused) == t("admin.button_refused")
    turned = await h.press(call, "▶")
    [edit] = [c for c in turned if c.method == "editMessageText"]
    assert "4. " in visible_text(edit.text) and f"newest fact #{ids['announced']}" in visible_text(edit.text)
    assert ("◀", "a:st:1") in edit.buttons
    bad = texts(await h.send("/stale two", user=ADMIN))
    assert "“two” is not a page number" in bad and t("admin.usage.stale") in bad


async def test_still_true_verifies_audits_and_rechecks_rights(h: Harness) -> None:
    ids = await build(h.interop)
    await h.interop.store.set_grant(OTHER["id"], True, "t")
    theirs = await listing(h, OTHER)
    await h.interop.store.set_grant(OTHER["id"], False, "t")  # revoked after the list was sent
    label = t("stale.button.verify", id=ids["partial"])
    assert toast(await h.press(theirs, label, user=OTHER)) == t("admin.button_refused")
    stored = await h.interop.store.fact(ids["partial"])
    assert stored is not None and not stored.verified
    mine = await listing(h)
    calls = await h.press(mine, label)
    assert toast(calls) == t("stale.verified", id=ids["partial"])
    stored = await h.interop.store.fact(ids["partial"])
    assert stored is not None and stored.verified == TODAY.isoformat()
    [entry] = [e for e in await h.interop.store.history("fact", ids["partial"]) if e.action == "verify"]
    assert entry.actor.startswith(f"tg:{ADMIN['id']}")
    [edit] = [c for c in calls if c.method == "editMessageText"]
    assert "waiting for a look: 3" in visible_text(edit.text) and label not in [b for b, _ in edit.buttons]
    answer = texts(await h.send("/check dune mall amber pay", user=USER))
    assert "checked 7 Dec 2026" in answer


async def test_follow_up_opens_the_form_filled_in_and_joins_the_thread(h: Harness) -> None:
    ids = await build(h.interop)
    call = await listing(h)
    calls = await h.press(call, t("stale.button.follow_up", id=ids["announced"]))
    asked = texts(calls)
    assert f"A follow-up to fact #{ids['announced']}: Birch Shop × Amber Pay" in asked and "Step 4/8" in asked
    status = [c for c in calls if c.method == "sendMessage"][-1]
    await h.press(status, data="a:fs:live", user=ADMIN)
    for answer in ("2026-11", "Birch Shop now takes Amber Pay.", "-"):
        await h.send(answer, user=ADMIN)
    [preview] = [c for c in await h.send("https://example.com/launch Launch", user=ADMIN)
                 if c.method == "sendMessage"]
    [saved] = [c for c in await h.press(preview, "✅ Save", user=ADMIN) if c.method == "editMessageText"]
    assert "Saved as fact" in saved.text
    new = await h.interop.store.fact(int(saved.text.split("#", 1)[1].split(".", 1)[0]))
    old = await h.interop.store.fact(ids["announced"])
    assert new is not None and old is not None
    assert (new.subject_id, new.object_id, new.kind, new.scope, new.status) == (
        old.subject_id, old.object_id, old.kind, "app", Status.LIVE)
    waiting = [e.newest.fact.id for e in (await stale_page(h.interop, 1, TODAY)).entries]
    assert ids["announced"] not in waiting and new.id not in waiting
    assert toast(await h.press(call, t("stale.button.follow_up", id=ids["partial"]), user=USER)) == t(
        "admin.button_refused")


async def test_retract_asks_the_usual_confirmation(h: Harness) -> None:
    ids = await build(h.interop)
    call = await listing(h)
    [confirm] = [c for c in await h.press(call, t("stale.button.retract", id=ids["oldest"]))
                 if c.method == "sendMessage"]
    assert visible_text(confirm.text).startswith(visible_text(t("admin.retract_confirm", id=ids["oldest"])))
    assert f"a:ret:{ids['oldest']}:{ADMIN['id']}" in confirm.callback_data
    stored = await h.interop.store.fact(ids["oldest"])
    assert stored is not None and not stored.retracted  # nothing happens before the confirm
    await h.press(confirm, t("admin.button.retract", id=ids["oldest"]))
    stored = await h.interop.store.fact(ids["oldest"])
    assert stored is not None and stored.retracted
    found = await stale_page(h.interop, 1, TODAY)
    assert found.entries[0].thread.current.fact.status is Status.ANNOUNCED  # the 2020 one is newest now
    assert toast(await h.press(call, t("stale.button.retract", id=ids["partial"]), user=USER)) == t(
        "admin.button_refused")


async def test_about_says_how_many_threads_wait(h: Harness) -> None:
    assert "waiting" not in texts(await h.send("/about", user=USER))
    ids = await build(h.interop)
    assert t("about.waiting", n=4) in texts(await h.send("/about", user=USER))
    await h.interop.store.edit_fact(ids["oldest"], {"verified": "2026-12-01"}, "t")
    assert t("about.waiting", n=3) in texts(await h.send("/about", user=USER))  # counted again


# -- the console -------------------------------------------------------------------------------


async def test_console_stale_needs_admin_mode_and_pages(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = await build(h.interop)
    interop = h.interop
    refused = await answer_line(interop, "/stale", today=TODAY)
    assert refused == t("console.admin_only", cmd="/stale")
    monkeypatch.setattr(upkeep, "PER_PAGE", 3)
    editor = operator_editor(interop)
    first = await answer_line(interop, "/stale", editor, today=TODAY)
    assert first.startswith("🧹 Threads waiting for a look: 4, oldest first")
    assert f"/verify {ids['oldest']} if it still holds" in first and "/stale 2 shows the next one" in first
    second = await answer_line(interop, "/stale 2", editor, today=TODAY)
    assert f"newest fact #{ids['announced']}" in second and "shows the next" not in second
    assert await answer_line(interop, "/stale 99", editor, today=TODAY) == second  # past the end: the last
    assert t("admin.usage.stale") in await answer_line(interop, "/stale x", editor, today=TODAY)
    await answer_line(interop, f"/verify {ids['oldest']}", editor, today=TODAY)
    stored = await interop.store.fact(ids["oldest"])
    assert stored is not None and stored.verified == TODAY.isoformat()
    assert "waiting for a look: 3" in await answer_line(interop, "/stale", editor, today=TODAY)


async def test_an_empty_queue_says_so(h: Harness) -> None:
    assert t("stale.empty") in texts(await h.send("/stale", user=ADMIN))


async def test_html_looking_names_and_titles_are_shown_as_text(h: Harness) -> None:
    a = await company(h.interop, "<b>Evil</b> & Pay")
    b = await company(h.interop, "Shop <i>")
    draft = FactDraft(b, a, Kind.PAYMENTS, Status.ANNOUNCED, "2025-01", "Soon & <maybe>.",
                      (Source("https://example.com/x?a=1&b=2", title="<script>x</script>"),))
    await h.interop.store.add_fact(draft, "t")
    call = await listing(h)  # the harness refuses HTML Telegram would not parse
    text = visible_text(call.text)
    assert "Shop <i> accepts <b>Evil</b> & Pay" in text and "<script>x</script>" in text
    assert 'href="https://example.com/x?a=1&amp;b=2"' in call.text
