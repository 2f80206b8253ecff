"""Chinese replies: the catalogues, the language rules, /language, Babel dates, names and summaries."""

from __future__ import annotations

import ast
import io
import re
import string
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import i18n
from bot.answers import Interop
from bot.console import answer_line, run_console
from bot.domain import CheckHint, CheckResult, Company, Fact, Kind, Profile, SearchResult, Status, Unresolved
from bot.i18n import EN, ZH_HANS, ZH_HANT, choose, using
from bot.render import (
    HTML,
    PLAIN,
    human_date,
    paginate,
    render_check,
    render_check_hint,
    render_profile,
    render_recent,
    render_search,
    render_unresolved,
)
from bot.startup import open_interop
from bot.texts import EN as EN_TEXTS
from bot.texts import EXAMPLES, t, template
from bot.texts_zh import ZH
from tests.core import check_text, profile_text
from tests.fakebot.html_check import parse_telegram_html, utf16_len
from tests.tg import GROUP, OTHER, USER, Harness, make_app, only, visible
from tests.zh_seed import write_zh_seed

BOT = Path(__file__).resolve().parent.parent / "bot"
ZH_USER: dict[str, Any] = {"id": 2001, "is_bot": False, "first_name": "李", "language_code": "zh-hans"}
TW_USER: dict[str, Any] = {"id": 2002, "is_bot": False, "first_name": "陳", "language_code": "zh-tw"}
HK_USER: dict[str, Any] = {"id": 2003, "is_bot": False, "first_name": "黃", "language_code": "zh-hk"}
EN_USER = USER  # language_code "en"


@pytest.fixture
def zh_seed(tmp_path: Path) -> Path:
    """The real seed, sure to have Chinese names for JD.com and Alipay, a known Chinese summary and
    one fact without one."""
    return write_zh_seed(tmp_path, untranslated=["cn-jd-alipay-2011-ended"])


@pytest.fixture
async def h(tmp_path: Path, zh_seed: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={42}, seed_path=zh_seed) as harness:
        harness.rec.clear()
        yield harness


@pytest.fixture
async def interop(tmp_path: Path, zh_seed: Path) -> AsyncIterator[Interop]:
    interop = await open_interop(tmp_path / "core.sqlite3", seed=zh_seed)
    try:
        yield interop
    finally:
        await interop.close()


# -- the catalogues ------------------------------------------------------------------------------


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?\w+>", text))


def test_both_catalogues_have_the_same_keys() -> None:
    assert set(ZH) == set(EN_TEXTS), {"missing in zh": set(EN_TEXTS) - set(ZH),
                                      "extra": set(ZH) - set(EN_TEXTS)}


@pytest.mark.parametrize("locale", [ZH_HANS, ZH_HANT])
def test_every_translation_keeps_the_placeholders_and_markup(locale: str) -> None:
    for key, english in EN_TEXTS.items():
        translated = template(key, locale)
        assert _fields(translated) == _fields(english), key
        assert _tags(translated) == _tags(english), key


def test_every_key_is_really_translated() -> None:
    """A Chinese entry that is the English one is a forgotten translation (a few are the same on purpose)."""
    for key, text in ZH.items():
        words = re.sub(r"\{\w+\}|<[^>]+>", "", EN_TEXTS[key])
        if re.search(r"[A-Za-z]{3,}", words):  # an English sentence, not just "{a} × {b}"
            assert re.search(r"[\u4e00-\u9fff]", text), f"{key} has no Chinese"


def test_traditional_is_converted_from_simplified_once_per_key() -> None:
    assert t("page", ZH_HANT, page=2, pages=5) == "第 2/5 頁"
    assert t("verdict.ended", ZH_HANT) == "⛔ 已不再支援"
    assert template("help", ZH_HANT) is template("help", ZH_HANT)  # remembered, not reconverted
    assert t("page", ZH_HANS, page=2, pages=5) == "第 2/5 页"


def _sample(text: str) -> dict[str, str]:
    return dict.fromkeys(_fields(text), "AT&T <x> “q”")


@pytest.mark.parametrize("locale", [EN, ZH_HANS, ZH_HANT])
def test_every_catalogue_message_is_valid_telegram_html_within_the_limit(locale: str) -> None:
    """Each message filled with values that need escaping, escaped as the callers do."""
    import html

    for key in EN_TEXTS:
        text = template(key, locale)
        values = {k: html.escape(v, quote=False) for k, v in _sample(text).items()}
        filled = text.format(**values)
        if "<b>" not in text:  # a plain sentence is escaped as a whole by say()
            filled = html.escape(text.format(**_sample(text)), quote=False)
        shown, _ = parse_telegram_html(filled)
        assert shown and utf16_len(shown) <= 4096, key


# -- nothing user-facing outside the catalogue ----------------------------------------------------

SENDERS = {"reply_text", "send_message", "say", "answer", "edit_message_text", "reply_document",
           "InlineKeyboardButton", "InlineQueryResultsButton", "InlineQueryResultArticle", "Reply",
           "set_my_description", "set_my_short_description", "BotCommand"}
# Operator reports go to ERROR_CHAT_ID (the machine's owner), not to users.
OPERATOR_ONLY = {("app.py", "backup_job")}


def _letters(node: ast.AST) -> bool:
    """A literal (or an f-string's literal part) with words in it: a sentence, not a symbol."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z\u4e00-\u9fff]{2,}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_letters(part) for part in node.values)
    return False


def _hard_coded(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if (path.name, func.name) in OPERATOR_ONLY:
            continue
        for call in ast.walk(func):
            if not isinstance(call, ast.Call):
                continue
            name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if name not in SENDERS:
                continue
            args = [*call.args, *(k.value for k in call.keywords
                                  if k.arg in {"text", "caption", "title", "description"})]
            for arg in args:
                if _letters(arg):
                    yield f"{path.name}:{call.lineno} {name}({ast.unparse(arg)[:60]})"


def test_nothing_user_facing_is_hard_coded_in_bot() -> None:
    files = sorted(BOT.rglob("*.py"))
    assert BOT / "telegram" / "user.py" in files and len(files) > 15
    found = [hit for path in files for hit in _hard_coded(path)]
    assert not found, found


def test_the_scan_finds_a_hard_coded_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text('async def f(m):\n    await m.reply_text(f"Hello {m.x}")\n    await say(u, "◀")\n')
    assert [hit.split(" ", 1)[1] for hit in _hard_coded(bad)] == ["reply_text(f'Hello {m.x}')"]


# -- choosing the language ------------------------------------------------------------------------


@pytest.mark.parametrize(("setting", "text", "code", "expected"), [
    ("en", "京东支持支付宝吗？", "zh-hans", EN),          # 1. the chat setting wins
    ("zh", "does jd accept alipay", "en", ZH_HANS),
    ("zh", "does jd accept alipay", "zh-tw", ZH_HANT),   # "zh" keeps the reader's script
    ("zh-Hant", "hi", "zh-cn", ZH_HANT),
    ("", "京东支持支付宝吗？", "en", ZH_HANS),            # 2. the question's script
    ("", "京東支援支付寶嗎？", "en", ZH_HANT),
    ("", "/check jd 支付宝", "en", ZH_HANS),
    ("", "京东支持支付宝吗？", "zh-hk", ZH_HANT),          # same characters: a Traditional reader stays so
    ("", "does Alipay (支付宝) work with JD?", "en", EN),  # a name in Chinese does not make it Chinese
    ("", "jd alipay", "zh", ZH_HANS),                    # 3. the user's language_code
    ("", "jd alipay", "zh-SG", ZH_HANS),
    ("", "jd alipay", "zh-Hant", ZH_HANT),
    ("", "jd alipay", "zh-TW", ZH_HANT),
    ("", "jd alipay", "zh-hk", ZH_HANT),
    ("", "jd alipay", "de", EN),                          # 4. English
    (None, None, None, EN),
])
def test_the_language_rules(setting: str | None, text: str | None, code: str | None, expected: str) -> None:
    assert choose(setting, text, code) == expected


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ("Alipay — payments\nAlso known as: 京东, 京东商城, 京东集团", ("◀", "Page 2/3", "▶"), EN),
    ("支付宝 — payments", ("第 2/3 页",), ZH_HANS),
    ("支付寶 — payments", ("第 2/3 頁",), ZH_HANT),
    ("I don't know “淘宝网”. Did you mean one of these?", ("Taobao",), EN),
    ("我不认识“tabao”。你是不是指以下之一？", ("淘宝",), ZH_HANS),
    ("object：TenPay\n\n第 3/8 步：这是哪一类互通？", ("💳 支付",), ZH_HANS),
    ("subject: JD.com\n\nStep 3/8: what kind of link is it?", ("💳 Payments",), EN),
    ("", (), None),
])
def test_the_language_of_a_message_a_button_is_on(text: str, labels: tuple[str, ...],
                                                  expected: str | None) -> None:
    assert i18n.message_locale(text, labels) == expected


def test_settings_and_posix_names() -> None:
    assert [i18n.parse_setting(v) for v in ("en", "ZH", "zh_TW", "auto", "中文", "klingon")] == \
        ["en", "zh", ZH_HANT, "", "zh", None]
    assert [i18n.from_posix(v) for v in ("zh_CN.UTF-8", "zh_TW.UTF-8", "en_US.UTF-8", "C", None)] == \
        [ZH_HANS, ZH_HANT, EN, None, None]


def test_babel_dates_per_locale() -> None:
    cases = {"2024-10-16": ("16 Oct 2024", "2024年10月16日"), "2024-10": ("Oct 2024", "2024年10月"),
             "2024": ("2024", "2024年"), "": ("date unknown", "日期不详")}
    for value, (english, chinese) in cases.items():
        with using(EN):
            assert human_date(value) == english
        with using(ZH_HANS):
            assert human_date(value) == chinese
    with using(ZH_HANT):
        assert human_date("") == "日期不詳"
    assert i18n.number(12345, EN) == "12,345"


def test_names_and_summaries_for_chinese_readers() -> None:
    jd = Company(1, "JD.com", name_zh="京东")
    plain = Company(2, "WhatsApp")
    fact = Fact(1, 1, 2, Kind.PAYMENTS, Status.LIVE, "2024", "JD takes it.", summary_zh="京东支持。")
    untranslated = Fact(2, 1, 2, Kind.PAYMENTS, Status.LIVE, "2024", "JD takes it.")
    assert [i18n.display_name(jd, loc) for loc in (EN, ZH_HANS, ZH_HANT)] == ["JD.com", "京东", "京東"]
    assert i18n.display_name(plain, ZH_HANS) == "WhatsApp"
    assert [i18n.summary(fact, loc) for loc in (EN, ZH_HANS, ZH_HANT)] == \
        ["JD takes it.", "京东支持。", "京東支援。"]
    assert i18n.summary(untranslated, ZH_HANS) == "JD takes it.（英文）"
    assert i18n.summary(untranslated, EN) == "JD takes it."


# -- every rendered answer in every language ------------------------------------------------------


async def _answers(interop: Interop) -> dict[str, list[str]]:
    """Representative replies: a check, a roll-up, a profile, a search, the latest, hints, unknowns."""
    out: dict[str, list[str]] = {}
    jd_alipay = await check_text(interop, "jd alipay")
    assert isinstance(jd_alipay, CheckResult)
    out["check"] = render_check(jd_alipay)
    for text in ("taobao wechat pay", "whatsapp birdychat", "jd zzzzqqq"):
        result = await check_text(interop, text)
        if isinstance(result, CheckResult):
            out[text] = render_check(result)
        elif isinstance(result, Unresolved):
            out[text] = render_unresolved(result)
    profile = await profile_text(interop, "alipay")
    assert isinstance(profile, Profile)
    out["profile"] = render_profile(profile)
    search = await interop.search("alipay", 30)
    assert isinstance(search, SearchResult)
    out["search"] = render_search(search)
    out["recent"] = render_recent(await interop.recent(50))
    jd = interop.resolver.company(jd_alipay.a.id)
    out["hint"] = [render_check_hint(CheckHint(single=jd, partner=jd_alipay.b)),
                   render_check_hint(CheckHint(same=jd))]
    return out


@pytest.mark.parametrize("locale", [EN, ZH_HANS, ZH_HANT])
async def test_every_rendered_answer_is_valid_html_under_the_limit(interop: Interop, locale: str) -> None:
    with using(locale):
        answers = await _answers(interop)
        for name, blocks in answers.items():
            for page in paginate(blocks):
                shown, _ = parse_telegram_html(page)
                assert 0 < utf16_len(shown) <= 4096, (name, locale)
        help_text = t("help", examples="\n".join(EXAMPLES))
    if locale != EN:
        assert "京" in visible_text(answers["check"][0]) and "部分可以" in answers["check"][0]
        assert "命令" in help_text
    else:
        assert answers["check"][0].startswith("🟡 Partly")


def visible_text(page: str) -> str:
    return parse_telegram_html(page)[0]


async def test_the_check_cache_renders_each_locale_separately(interop: Interop) -> None:
    result = await check_text(interop, "jd alipay")
    assert isinstance(result, CheckResult)
    with using(EN):
        english = render_check(result)
    with using(ZH_HANS):
        chinese = render_check(result)
    with using(ZH_HANT):
        traditional = render_check(result)
    assert english[0] == "🟡 Partly: <b>JD.com</b> × <b>Alipay</b>"
    assert chinese[0] == "🟡 部分可以：<b>京东</b> × <b>支付宝</b>"
    assert traditional[0] == "🟡 部分可以：<b>京東</b> × <b>支付寶</b>"
    assert "2024年10月 ✅ 已上线 — 京东在结账时开始支持支付宝付款。" in "\n".join(chinese)
    assert "（英文）" in "\n".join(chinese)  # the facts without a Chinese summary say so
    with using(EN):
        assert render_check(result) == english
    assert render_check(result, PLAIN) != render_check(result, HTML)


async def test_the_profile_shows_the_english_name_among_the_aliases(interop: Interop) -> None:
    profile = await profile_text(interop, "支付宝")
    assert isinstance(profile, Profile)
    with using(ZH_HANS):
        head = render_profile(profile, PLAIN)[0]
    assert head.startswith("支付宝 — 支付") and "又名：Alipay、" in head
    assert i18n.company_kind(Company(9, "X", kind="marketplace"), ZH_HANT) == "電商平臺"
    assert i18n.company_kind(Company(9, "X", kind="spaceport"), ZH_HANS) == "spaceport"  # unknown: as stored


# -- the console ----------------------------------------------------------------------------------


async def test_console_lang_and_language_command(interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    out = io.StringIO()
    await run_console(interop, io.StringIO("/check jd alipay\n/language en\n/check jd alipay\n"), out,
                      language="zh")
    text = out.getvalue()
    assert text.startswith("🟡 部分可以：京东 × 支付宝")
    switched = text.index("\n\nOK: from now on I reply in English")
    assert text.index("\n\n🟡 Partly: JD.com × Alipay") > switched


async def test_console_follows_lang_and_the_question(interop: Interop,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_TW.UTF-8")
    out = io.StringIO()
    await run_console(interop, io.StringIO("/check jd alipay\n"), out)
    assert out.getvalue().startswith("🟡 部分可以：京東 × 支付寶")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    out = io.StringIO()
    await run_console(interop, io.StringIO("京东支持支付宝吗？\njd alipay\n"), out)
    assert out.getvalue().startswith("🟡 部分可以：京东 × 支付宝")
    assert "\n\n🟡 Partly: JD.com × Alipay" in out.getvalue()
    assert (await answer_line(interop, "/check jd alipay")).startswith("🟡 Partly")  # default: English


def test_console_lang_argument_is_checked() -> None:
    from bot.__main__ import _parser

    assert _parser().parse_args(["console", "--lang", "zh"]).lang == "zh"
    assert _parser().parse_args(["console"]).lang == ""
    with pytest.raises(SystemExit):
        _parser().parse_args(["console", "--lang", "klingon"])


# -- Telegram: each rule, /language, menus ------------------------------------------------------------


async def test_a_chinese_user_gets_chinese_help_and_verdicts(h: Harness) -> None:
    [help_call] = await h.send("/start", user=ZH_USER)
    assert "命令：" in visible(help_call)
    call = only(await h.send("/check jd alipay", user=ZH_USER))
    assert visible(call).startswith("🟡 部分可以：京东 × 支付宝")
    assert "自 2025年1月7日 起" in visible(call)


async def test_a_traditional_user_gets_traditional(h: Harness) -> None:
    for user in (TW_USER, HK_USER):
        call = only(await h.send("/check jd alipay", user=user))
        assert visible(call).startswith("🟡 部分可以：京東 × 支付寶")
        assert "支援" in visible(call)


async def test_an_english_user_asking_in_chinese_gets_chinese(h: Harness) -> None:
    call = only(await h.send("京东支持支付宝吗？", user=EN_USER))
    assert visible(call).startswith("🟡 部分可以：京东 × 支付宝")
    call = only(await h.send("/check 京东 支付宝", user=EN_USER))
    assert visible(call).startswith("🟡 部分可以：京东 × 支付宝")
    call = only(await h.send("does jd accept alipay?", user=EN_USER))
    assert visible(call).startswith("🟡 Partly: JD.com × Alipay")


async def test_the_chat_setting_beats_script_and_language_code(h: Harness) -> None:
    [done] = await h.send("/language en", user=ZH_USER)
    assert visible(done) == "OK: from now on I reply in English in this chat."
    call = only(await h.send("京东支持支付宝吗？", user=ZH_USER))
    assert visible(call).startswith("🟡 Partly: JD.com × Alipay")
    [shown] = await h.send("/language", user=ZH_USER)
    assert "I reply in English here" in visible(shown)
    [back] = await h.send("/language auto", user=ZH_USER)
    assert visible(back).startswith("好的：我重新跟随")
    assert visible(only(await h.send("jd alipay", user=ZH_USER))).startswith("🟡 部分可以")
    [bad] = await h.send("/language klingon", user=EN_USER)
    assert "/language zh" in visible(bad)


def _message(calls: list[Any]) -> Any:
    """The one message sent (beside the getChatMember look-up)."""
    return only([c for c in calls if c.method != "getChatMember"])


async def test_a_group_member_cannot_change_the_language_but_an_admin_can(h: Harness) -> None:
    before = h.rec.calls[:]
    refused = _message(await h.send("/language zh", chat=GROUP, user=OTHER))
    member_calls = [c for c in h.rec.calls if c not in before and c.method == "getChatMember"]
    assert member_calls and member_calls[0].params["user_id"] == OTHER["id"]
    assert visible(refused) == t("language.admins_only", EN)
    assert await h.interop.store.chat_language(GROUP["id"]) == ""
    answer = only(await h.send("@InteropTestBot jd alipay", chat=GROUP, user=OTHER))
    assert visible(answer).startswith("🟡 Partly")

    h.rec.members[GROUP["id"], OTHER["id"]] = "administrator"
    done = _message(await h.send("/language zh", chat=GROUP, user=OTHER))
    assert visible(done) == "好的：从现在起我在这个聊天里用中文回复。"
    assert await h.interop.store.chat_language(GROUP["id"]) == "zh"
    answer = only(await h.send("@InteropTestBot jd alipay", chat=GROUP, user=USER))
    assert visible(answer).startswith("🟡 部分可以：京东 × 支付宝")
    # in private the user's own rules still apply: the group's setting is the group's
    assert visible(only(await h.send("jd alipay", user=USER))).startswith("🟡 Partly")

    h.rec.members[GROUP["id"], USER["id"]] = "creator"
    done = _message(await h.send("/language en", chat=GROUP, user=USER))
    assert visible(done).startswith("OK: from now on I reply in English")


async def test_the_language_survives_a_restart(tmp_path: Path, zh_seed: Path) -> None:
    async with make_app(tmp_path, seed_path=zh_seed) as h:
        await h.send("/language zh", user=EN_USER)
    async with make_app(tmp_path, seed_path=zh_seed) as h:
        call = only(await h.send("/check jd alipay", user=EN_USER))
        assert visible(call).startswith("🟡 部分可以：京东 × 支付宝")


async def test_pages_keep_the_language_they_were_asked_in(h: Harness) -> None:
    h.app.bot_data.page_budget = 400
    call = only(await h.send("/company 支付宝", user=EN_USER))
    labels = [label for label, _ in call.buttons]
    assert any(label.startswith("第 1/") for label in labels), labels
    [edit] = [c for c in await h.press(call, "▶", user=EN_USER) if c.method == "editMessageText"]
    assert "又名" not in visible(edit) and re.search(r"[\u4e00-\u9fff]{2}", visible(edit))
    assert any(label.startswith("第 2/") for label, _ in edit.buttons)
    english = only(await h.send("/company alipay", user=ZH_USER | {"language_code": "en"}))
    pressed = await h.press(english, "▶", user=ZH_USER)  # an English page stays English
    [edit] = [c for c in pressed if c.method == "editMessageText"]
    assert any(label.startswith("Page 2/") for label, _ in edit.buttons)


async def test_did_you_mean_and_errors_in_chinese(h: Harness) -> None:
    call = only(await h.send("/check 京东 zzqqxx", user=ZH_USER))
    assert "我还不认识“zzqqxx”" in visible(call)
    [usage] = await h.send("/company", user=ZH_USER)
    assert visible(usage) == "请告诉我一个名称，例如 /company wechat"
    [unknown] = await h.send("/frobnicate", user=ZH_USER)
    assert visible(unknown) == "我不认识 /frobnicate。发送 /help 看看我能做什么。"


async def test_inline_mode_in_chinese(h: Harness) -> None:
    [answer] = await h.inline("京东 支付宝", user=EN_USER)
    [article] = answer.params["results"]
    assert article["title"].startswith("🟡 部分可以：京东 × 支付宝")
    assert article["input_message_content"]["message_text"].startswith("🟡 部分可以：<b>京东</b>")
    [answer] = await h.inline("jd alipay", user=TW_USER)
    assert answer.params["results"][0]["title"].startswith("🟡 部分可以：京東 × 支付寶")
    [answer] = await h.inline("jd alipay", user=EN_USER)
    assert answer.params["results"][0]["title"].startswith("🟡 Partly: JD.com × Alipay")


async def test_admin_replies_follow_the_language(h: Harness) -> None:
    admin = {"id": 42, "is_bot": False, "first_name": "Owner", "language_code": "zh-hans"}
    [usage] = await h.send("/retract", user=admin)
    assert "用法：/retract 记录编号，例如 /retract 12" in visible(usage)
    [refused] = await h.send("/retract 1", user=ZH_USER)
    assert "仅限机器人的管理员使用" in visible(refused)


async def test_menus_and_profile_in_both_languages(tmp_path: Path) -> None:
    async with make_app(tmp_path, admin_ids={42}) as h:
        menus = h.rec.of("setMyCommands")
        descriptions = h.rec.of("setMyDescription")
        short = h.rec.of("setMyShortDescription")
    by_key = {(c.params["scope"]["type"], c.params["scope"].get("chat_id"), c.params.get("language_code")): c
              for c in menus}
    for scope in (("all_private_chats", None), ("all_group_chats", None), ("chat", 42)):
        english = by_key[(*scope, None)].params["commands"]
        chinese = by_key[(*scope, "zh")].params["commands"]
        assert [c["command"] for c in english] == [c["command"] for c in chinese]
        assert "language" in [c["command"] for c in english]
        assert all(re.search(r"[\u4e00-\u9fff]", c["description"]) for c in chinese)
    assert len(by_key) == 6
    assert {c.params.get("language_code") for c in descriptions} == {None, "zh"}
    assert {c.params.get("language_code") for c in short} == {None, "zh"}
    zh = next(c for c in descriptions if c.params.get("language_code") == "zh")
    assert "京东支持支付宝吗" in zh.params["description"]
    assert all(len(c.params["short_description"]) <= 120 for c in short)
    assert all(len(c.params["description"]) <= 512 for c in descriptions)


async def test_an_anonymous_group_admin_may_change_it_and_a_failed_lookup_refuses(h: Harness) -> None:
    anonymous = h.updates.message("/language zh", chat=GROUP, user={
        "id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"})
    anonymous["message"]["sender_chat"] = {"id": GROUP["id"], "type": "group", "title": GROUP["title"]}
    done = only(await h.process(anonymous))  # posting as the group: no getChatMember needed
    assert visible(done) == "好的：从现在起我在这个聊天里用中文回复。"
    assert await h.interop.store.chat_language(GROUP["id"]) == "zh"

    h.rec.fail_when("getChatMember", description="Bad Request: user not found")
    refused = _message(await h.send("/language en", chat=GROUP, user=OTHER))
    assert visible(refused) == "只有本群的管理员才能更改我在这里回复用的语言。"
    assert await h.interop.store.chat_language(GROUP["id"]) == "zh"


@pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")  # no JobQueue in handler tests
async def test_the_guided_addfact_form_in_chinese(h: Harness) -> None:
    admin = {"id": 42, "is_bot": False, "first_name": "Owner", "language_code": "zh-hans"}

    def texts(calls: list[Any]) -> list[str]:
        return [visible(c) for c in calls if c.method in {"sendMessage", "editMessageText"}]

    assert texts(await h.send("/addfact", user=admin))[0].startswith("新记录，第 1/8 步")
    assert "第 2/8 步" in texts(await h.send("JD", user=admin))[-1]
    [kind] = [c for c in await h.send("tenpay", user=admin) if c.method == "sendMessage"]
    assert "第 3/8 步：这是哪一类互通？" in visible(kind)
    assert ("💳 支付", "a:fk:payments") in kind.buttons
    calls = await h.press(kind, data="a:fk:payments", user=admin)
    [status] = [c for c in calls if c.method == "sendMessage"]
    assert "第 4/8 步" in visible(status) and ("🟡 部分", "a:fs:partial") in status.buttons
    calls = await h.press(status, data="a:fs:partial", user=admin)
    assert "第 5/8 步" in texts(calls)[-1]
    assert "第 6/8 步" in texts(await h.send("2025-03", user=admin))[-1]
    assert "第 7/8 步" in texts(await h.send("京东试点微信支付。", user=admin))[-1]
    assert "第 8/8 步" in texts(await h.send("仅限部分用户", user=admin))[-1]
    [preview] = [c for c in await h.send("https://example.com/trial", user=admin)
                 if c.method == "sendMessage"]
    assert "请检查这条新记录" in visible(preview) and "2025年3月" in visible(preview)
    saved = texts(await h.press(preview, "✅ 保存", user=admin))
    assert any(text.startswith("✅ 已保存为记录 #") for text in saved), saved


async def test_the_apology_for_a_failure_is_in_the_readers_language(
        h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(h.interop, "decide", broken)
    [apology] = await h.send("/check jd alipay", user=TW_USER)
    assert visible(apology) == "抱歉，我這邊出了點問題。請稍後再試。"
    [apology] = await h.send("/check jd alipay", user=EN_USER)
    assert visible(apology) == t("error.generic", EN)


async def test_notifications_read_like_the_chats_answers(h: Harness) -> None:
    """A follow notification has no question: the chat's setting, else what the chat last read."""
    from bot.domain import Source
    from bot.store import FactDraft
    from bot.telegram.follow import deliver

    followed = _message(await h.send("/follow jd", user=ZH_USER))
    assert visible(followed).startswith("🔔 这个聊天现在关注 京东。")
    await h.send("/follow jd", user=TW_USER)
    await h.send("/language zh", user=EN_USER)
    await h.send("/follow jd", user=EN_USER)
    await h.send("/follow jd", user=OTHER)  # English
    jd, alipay = h.interop.resolve("jd").company, h.interop.resolve("alipay").company
    assert jd is not None and alipay is not None
    await h.interop.store.add_fact(FactDraft(
        subject_id=jd.id, object_id=alipay.id, kind=Kind.PAYMENTS, status=Status.LIVE, date="2026-11",
        summary="JD takes Alipay everywhere now.", summary_zh="京东现在全面支持支付宝。",
        sources=(Source(url="https://example.com/news"),)), "test")
    start = len(h.rec.calls)
    await deliver(h.app.bot, h.interop, languages=h.app.bot_data.languages)
    sent = {c.chat_id: visible(c) for c in h.rec.calls[start:] if c.method == "sendMessage"}
    assert sent[ZH_USER["id"]].startswith("🔔 京东 支持 支付宝 付款")
    assert "京东现在全面支持支付宝。" in sent[ZH_USER["id"]]
    assert sent[TW_USER["id"]].startswith("🔔 京東 支援 支付寶 付款")
    assert sent[EN_USER["id"]].startswith("🔔 京东 支持 支付宝 付款")  # /language zh
    assert sent[OTHER["id"]].startswith("🔔 JD.com accepts Alipay")
