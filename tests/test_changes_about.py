"""/verify (admins), /changes and /about (everyone): in Telegram through tests/tg.py, and in the console."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.admin import Editor
from bot.answers import Interop
from bot.console import answer_line, operator_editor
from bot.i18n import fact_date
from bot.render import visible_text
from bot.telegram.menus import USER_COMMAND_NAMES
from bot.texts import t
from tests.tg import ADMIN, USER, Call, Harness, make_app


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.rec.clear()
        yield harness


def text_of(calls: list[Call]) -> str:
    sent = [c for c in calls if c.method in {"sendMessage", "editMessageText"}]
    assert sent, calls
    return "\n\n".join(visible_text(c.text) for c in sent)


async def jd_alipay_fact(interop: Interop) -> int:
    """The standing JD.com ↔ Alipay fact (the partial of 7 Jan 2025)."""
    jd, ali = interop.resolve("jd").company, interop.resolve("alipay").company
    assert jd is not None and ali is not None
    result = await interop.check(jd, ali)
    return result.threads[0].standing.fact.id


def today() -> str:
    return datetime.now(UTC).date().isoformat()


# -- /verify ---------------------------------------------------------------------------------


async def test_verify_marks_a_fact_checked_today_with_an_audit_entry(h: Harness) -> None:
    fact_id = await jd_alipay_fact(h.interop)
    before = text_of(await h.send("/check jd alipay", user=USER))
    assert "not re-checked since 7 Jan 2025" in before and f"checked {fact_date(today())}" not in before
    reply = text_of(await h.send(f"/verify {fact_id}", user=ADMIN))
    assert t("admin.verified", id=fact_id).split(" It")[0] in reply
    stored = await h.interop.store.fact(fact_id)
    assert stored is not None and stored.verified == today()
    [entry] = [e for e in await h.interop.store.history("fact", fact_id) if e.action == "verify"]
    assert entry.actor.startswith(f"tg:{ADMIN['id']}")
    answer = text_of(await h.send("/check jd alipay", user=USER))
    assert f"checked {fact_date(today())}" in answer and "not re-checked" not in answer.split("\n")[2]


async def test_verify_is_for_admins_and_needs_a_fact_id(h: Harness) -> None:
    fact_id = await jd_alipay_fact(h.interop)
    refused = text_of(await h.send(f"/verify {fact_id}", user=USER))
    assert "for the bot's admins only" in refused
    stored = await h.interop.store.fact(fact_id)
    assert stored is not None and stored.verified == ""
    assert "/verify FACT_ID" in text_of(await h.send("/verify", user=ADMIN))
    assert "/verify FACT_ID" in text_of(await h.send("/verify twelve", user=ADMIN))
    assert "no fact #999999" in text_of(await h.send("/verify 999999", user=ADMIN))


# -- /changes --------------------------------------------------------------------------------


async def test_changes_lists_admin_edits_newest_first_without_who(h: Harness) -> None:
    fact_id = await jd_alipay_fact(h.interop)
    editor = Editor(h.interop, {ADMIN["id"]})
    await h.send(f"/editfact {fact_id} note some merchants only", user=ADMIN)
    await editor.retract(fact_id, "tg:42 @owner")
    await editor.restore(fact_id, "tg:42 @owner")
    await h.send(f"/verify {fact_id}", user=ADMIN)
    text = text_of(await h.send("/changes 4", user=USER))
    lines = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(lines) == 4
    actions = [line.split(" · ")[1] for line in lines]
    assert actions == ["checked", "restored", "retracted", "updated"]  # newest first
    assert all("JD.com" in line and "Alipay" in line for line in lines)
    assert all("🟡 partial" in line and "7 Jan 2025" in line for line in lines)  # the fact and its date
    assert "owner" not in text.casefold() and "tg:" not in text and "42" not in text


async def test_changes_count_is_ascii_digits_only(h: Harness) -> None:
    usage = t("usage.changes", max=30)
    for bad in ("²", "٣", "lots", "-1"):
        assert text_of(await h.send(f"/changes {bad}", user=USER)) == usage
    seeded = text_of(await h.send("/changes", user=USER))
    assert seeded.startswith("📝 Latest edits to the facts")
    assert seeded.count("\n• ") == 10 and "imported" in seeded  # the seed's own import, audited
    assert text_of(await h.send("/changes 2", user=USER)).count("\n• ") == 2


# -- /about ----------------------------------------------------------------------------------


async def test_about_says_what_is_covered_how_fresh_and_how_to_report(h: Harness) -> None:
    about = await h.interop.store.about()
    text = text_of(await h.send("/about", user=USER))
    assert f"{about.companies} companies and {about.facts} sourced facts" in text
    for kind, n in about.facts_per_kind:
        assert f"• {t('kind.' + kind.value)}: {n}" in text
    assert f"last changed on {fact_date(about.last_change[:10])}" in text
    assert "⚠️ Report" in text and "/suggest" in text and "public sources" in text


async def test_about_and_changes_in_chinese(h: Harness) -> None:
    await h.send("/language zh", user=USER)
    about = text_of(await h.send("/about", user=USER))
    assert "关于本机器人" in about and "⚠️ 报告问题" in about and "/suggest" in about
    changes = text_of(await h.send("/changes 1", user=USER))
    assert changes.startswith("📝 最近的记录修改") and "导入" in changes


async def test_help_and_menus_name_the_new_commands(h: Harness) -> None:
    assert {"changes", "about"} <= set(USER_COMMAND_NAMES)
    help_text = text_of(await h.send("/help", user=USER))
    assert "/changes" in help_text and "/about" in help_text


# -- console ---------------------------------------------------------------------------------


async def test_console_changes_about_for_everyone_verify_in_admin_mode(interop: Interop) -> None:
    fact_id = await jd_alipay_fact(interop)
    assert "--admin" in await answer_line(interop, f"/verify {fact_id}")
    stored = await interop.store.fact(fact_id)
    assert stored is not None and stored.verified == ""
    editor = operator_editor(interop)
    verified = await answer_line(interop, f"/verify {fact_id}", editor)
    assert f"Fact #{fact_id} is marked as checked today" in verified
    assert f"checked {fact_date(today())}" in verified
    changes = await answer_line(interop, "/changes 1")
    assert changes.splitlines()[2].startswith(f"• {fact_date(today())} · checked · JD.com")
    assert "console" not in changes
    assert (await answer_line(interop, "/changes ²")) == t("usage.changes", max=30)
    about = await answer_line(interop, "/about")
    assert "companies and" in about and "/suggest" in about
    assert "Use: /verify FACT_ID" in await answer_line(interop, "/verify x", editor)
