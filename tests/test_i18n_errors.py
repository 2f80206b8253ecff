"""Errors in the reader's language: keys and values raised, said when shown (admin refusals, the
guided /addfact form, import reports, the console), and no raise site left with its own sentence."""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import SEED_PATH
from bot.console import answer_line, operator_editor
from bot.domain import Conflict, InteropError, InvalidValue, Kind, ValidationError, parse_fact_date
from bot.i18n import EN, ZH_HANS, ZH_HANT, using
from bot.startup import open_interop
from bot.texts import EN as EN_TEXTS
from bot.texts import field_label
from tests.test_telegram_admin import LINE, Files, only_text, sent
from tests.tg import ADMIN, Harness, make_app

BOT = Path(__file__).resolve().parent.parent / "bot"
ZH_ADMIN: dict[str, Any] = {**ADMIN, "language_code": "zh-hans"}
EN_ADMIN: dict[str, Any] = {**ADMIN, "language_code": "en"}
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.rec.clear()
        yield harness


# -- the mechanism ---------------------------------------------------------------------------


def test_an_error_is_said_in_the_locale_current_when_it_is_shown() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_fact_date("soon")
    exc = caught.value
    assert (exc.key, exc.params) == ("error.date_format", {"value": "soon"})
    assert str(exc) == "date 'soon' must look like YYYY, YYYY-MM or YYYY-MM-DD"  # English as before
    with using(ZH_HANS):
        assert str(exc) == "日期 'soon' 的格式应为 YYYY、YYYY-MM 或 YYYY-MM-DD"
    with using(ZH_HANT):
        assert str(exc).startswith("日期 'soon' 的格式應為")
    with using(EN):
        assert str(exc).startswith("date 'soon'")


def test_kinds_keep_their_extras_and_field_names_are_translated() -> None:
    with pytest.raises(InvalidValue) as caught:
        Kind.parse("teleport")
    invalid = caught.value
    assert invalid.field_name == "kind" and "payments" in invalid.allowed
    assert str(invalid).startswith("kind 'teleport' is not one of: payments, ")
    with using(ZH_HANS):
        assert str(invalid).startswith("类型 'teleport' 不是以下之一：payments, ")
        assert field_label("subject") == "主体" and field_label("spaceport") == "spaceport"
        missing = ValidationError("error.fields_missing", fields=("status", "source URL"))
        assert str(missing) == "缺少一些字段：状态、来源网址"
    assert str(missing) == "some fields are missing: status, source URL"
    conflict = Conflict("error.cites_url", 7, id=7)
    assert conflict.existing_id == 7 and str(conflict) == "fact #7 already cites that URL"
    # A sentence that is not a key (already put through t) is shown as given.
    assert str(InteropError("Schon übersetzt.")) == "Schon übersetzt."


_KINDS = {"InteropError", "ValidationError", "NotFound", "Conflict", "StorageError", "TooMany",
          "FollowLimit"}


def _sentences(path: Path) -> list[str]:
    """Raise sites (and built errors) of the project's kinds whose text is not a catalogue key."""
    found = []
    for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(call, ast.Call) or getattr(call.func, "id", "") not in _KINDS or not call.args:
            continue
        first = call.args[0]
        if isinstance(first, ast.Constant) and first.value in EN_TEXTS:
            continue
        if isinstance(first, ast.IfExp) and all(isinstance(v, ast.Constant) and v.value in EN_TEXTS
                                                for v in (first.body, first.orelse)):
            continue
        if isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant) and any(
                key.startswith(str(first.values[0].value)) for key in EN_TEXTS):
            continue  # f"feedback.rate_{table}": a family of keys
        found.append(f"{path.name}:{call.lineno} {ast.unparse(first)[:60]}")
    return found


def test_every_error_raised_in_bot_is_a_catalogue_key() -> None:
    files = sorted(BOT.rglob("*.py"))
    assert len(files) > 15
    found = [hit for path in files for hit in _sentences(path)]
    assert not found, found


def test_the_scan_finds_a_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('def f(x):\n    raise ValidationError(f"{x} is bad")\n'
                   '    raise NotFound("error.no_fact", id=x)\n')
    assert [hit.split(" ", 1)[1] for hit in _sentences(bad)] == ["f'{x} is bad'"]


# -- Telegram: the one-line /addfact, the guided form, import reports --------------------------


async def test_a_chinese_admin_gets_addfact_errors_in_chinese(h: Harness) -> None:
    before = await h.interop.store.counts()
    bad = LINE.replace("| 2025-02 |", "| Feb 2025 |")
    text = only_text(await h.send(bad, user=ZH_ADMIN))
    assert "日期 'Feb 2025' 的格式应为 YYYY、YYYY-MM 或 YYYY-MM-DD。" in text, text
    assert "用法：" in text and "must look like" not in text
    text = only_text(await h.send("/addfact JD.com | Alipay | payments", user=ZH_ADMIN))
    assert "缺少一些字段：状态、日期、摘要、来源网址" in text, text
    english = only_text(await h.send(bad, user=EN_ADMIN))
    assert "Date 'Feb 2025' must look like YYYY, YYYY-MM or YYYY-MM-DD." in english
    assert "Use: <code>/addfact SUBJECT | OBJECT" in english
    assert await h.interop.store.counts() == before


async def test_the_guided_form_speaks_chinese_field_names_and_errors(h: Harness) -> None:
    assert "第 1/8 步" in only_text(await h.send("/addfact", user=ZH_ADMIN))
    step2 = only_text(await h.send("JD", user=ZH_ADMIN))
    assert step2.startswith("主体：JD.com") and "第 2/8 步" in step2, step2
    [kind] = sent(await h.send("tenpay", user=ZH_ADMIN))
    assert kind.text.startswith("对象：")
    calls = await h.press(kind, data="a:fk:payments", user=ZH_ADMIN)
    assert any(c.text.startswith("类型：payments") for c in sent(calls)), [c.text for c in sent(calls)]
    [status] = [c for c in sent(calls) if c.method == "sendMessage"]
    await h.press(status, data="a:fs:live", user=ZH_ADMIN)
    text = only_text(await h.send("soon", user=ZH_ADMIN))
    assert "日期 'soon' 的格式应为" in text and "请重新发送" in text, text
    text = only_text(await h.send("2999", user=ZH_ADMIN))
    assert "日期 '2999' 在太远的未来" in text, text


async def test_an_import_dry_run_gives_a_chinese_admin_chinese_reasons(h: Harness) -> None:
    files = Files(h)
    doc = {"format": "interop-bot/1", "companies": [],
           "facts": [{"subject": "JD.com", "object": "Nowhere", "kind": "payments", "status": "live",
                      "summary": "x", "sources": [{"url": "https://example.com/x"}]}]}
    data = json.dumps(doc).encode()
    [call] = sent(await h.process(files.document(h, "new.json", data, user=ZH_ADMIN)))
    assert "• 第 1 条记录：对象 'Nowhere' 不是已知的公司" in call.text, call.text
    assert "is not a known company" not in call.text
    [call] = sent(await h.process(files.document(h, "new.json", data, user=EN_ADMIN)))
    assert "• fact 1: object 'Nowhere' is not a known company" in call.text, call.text
    broken = only_text(await h.process(files.document(h, "bad.json", b"{nope", user=ZH_ADMIN)))
    assert "JSON 在第 1 行出错" in broken, broken


# -- the console -------------------------------------------------------------------------------


async def test_console_errors_follow_the_locale(tmp_path: Path) -> None:
    interop = await open_interop(tmp_path / "c.sqlite3", seed=SEED_PATH)
    editor = operator_editor(interop)
    try:
        with using(ZH_HANS):
            reply = await answer_line(interop, "/editfact 999999 status ended", editor)
            assert "没有记录 #999999" in reply, reply
            reply = await answer_line(interop, "/editfact 1 status maybe", editor)
            assert "状态 不能是“maybe”" in reply, reply  # InvalidValue: its field name in Chinese
        reply = await answer_line(interop, "/editfact 999999 status ended", editor)
        assert "There is no fact #999999." in reply, reply
    finally:
        await interop.close()
