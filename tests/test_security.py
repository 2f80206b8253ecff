"""Security: every write path refuses outsiders, secrets stay out of logs, webhooks check
their secret token.

The handler walks below enumerate the application's registry (every group, ConversationHandler
entry points, states and fallbacks), so a handler added later is covered without editing this
file; a new handler that none of the samples here can reach fails the coverage assertions.

Deliberately not refused (documented, and asserted to write nothing):

* ``/cancel`` from someone who is not an admin: it only ends the sender's own form, so outsiders
  get no admin reply at all (in private chats the ordinary "I don't know /cancel" hint).
* Buttons cannot be pressed "anonymously": a callback query always carries the real user, so the
  sender_chat case applies to messages only.

Per-user rate limiting of expensive queries (a burst beyond the limit gets one friendly notice,
another user is unaffected, admins are exempt) is covered by
tests/test_telegram_user.py::test_fast_askers_are_told_once_per_cooldown.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
)

from bot import dataset
from bot.logs import setup_logging
from bot.telegram.admin import ADMIN_GROUP, PENDING, form
from bot.telegram.admin.pending import Pending
from bot.texts import t
from tests.tg import ADMIN, GROUP, OTHER, SUPERGROUP, TOKEN, USER, Call, Harness, make_app

pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")

ANON_BOT: dict[str, Any] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                            "username": "GroupAnonymousBot"}
REFUSED = "for the bot's admins only"
ANONYMOUS = "anonymous admin"
SILENT_FOR_OUTSIDERS = {"cancel"}
# Arguments that make each admin command really write when an owner sends it (checked below), so
# a refusal is never just a usage error. A command not listed here is tried bare and with "1 x y".
SAMPLE_ARGS = {
    "addfact": "Temu | Threads | content | announced | 2021-03 | A probe fact. | https://example.com/p | P",
    "addsource": "1 https://example.org/extra Extra",
    "editfact": "1 status ended",
    "retract": "1",
    "restore": "1",
    "history": "1",
    "addcompany": "Zq Probe Pay",
    "alias": "Alipay ZqAP",
    "unalias": "Alipay Zhifubao",
    "grant": str(OTHER["id"]),
    "revoke": str(OTHER["id"]),
}
OWNER_WRITES = {"addfact", "addsource", "editfact", "addcompany", "alias", "unalias", "grant", "revoke"}


def walk(app: Any) -> Iterator[tuple[int, BaseHandler[Any, Any, Any], str]]:
    """(group, handler, where) for every handler, conversations included, in matching order."""

    def inner(group: int, handler: BaseHandler[Any, Any, Any], where: str
              ) -> Iterator[tuple[int, BaseHandler[Any, Any, Any], str]]:
        yield group, handler, where
        if isinstance(handler, ConversationHandler):
            name = handler.name or "conversation"
            for child in handler.entry_points:
                yield from inner(group, child, f"{name} entry point")
            for state, children in handler.states.items():
                for child in children:
                    yield from inner(group, child, f"{name} state {state}")
            for child in handler.fallbacks:
                yield from inner(group, child, f"{name} fallback")

    for group, handlers in sorted(app.handlers.items()):
        for handler in handlers:
            yield from inner(group, handler, "top level")


def admin_handlers(app: Any) -> list[tuple[BaseHandler[Any, Any, Any], str]]:
    return [(handler, where) for group, handler, where in walk(app) if group == ADMIN_GROUP]


def commands(app: Any, *, admin: bool) -> list[str]:
    found = {name for group, handler, _ in walk(app) if isinstance(handler, CommandHandler)
             and (group == ADMIN_GROUP) == admin for name in handler.commands}
    return sorted(found)


def patterns(app: Any) -> list[tuple[Any, str]]:
    return [(handler.pattern, where) for handler, where in admin_handlers(app)
            if isinstance(handler, CallbackQueryHandler)]


async def state(h: Harness) -> tuple[Any, ...]:
    """Everything a write could touch: counts, the whole audit log and the grants."""
    store = h.interop.store
    return (await store.counts(), await store._all("SELECT * FROM audit ORDER BY id"),
            await store._all("SELECT * FROM admin_grant ORDER BY user_id"),
            await store._all("SELECT id, key, retracted, status, confidence, summary FROM fact ORDER BY id"))


def sent(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method in {"sendMessage", "editMessageText", "sendDocument"}]


def prepare(h: Harness) -> Harness:
    """A harness adjustment, not about security: Telegram returns only inline keyboards in a
    sent Message (the recorder echoes a ForceReply too, which PTB cannot parse back)."""
    original = h.rec._result

    def result(call: Call) -> Any:
        message = original(call)
        if isinstance(message, dict) and "force_reply" in message.get("reply_markup", {}):
            message = {k: v for k, v in message.items() if k != "reply_markup"}
            h.rec.messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    h.rec._result = result  # type: ignore[method-assign]
    h.rec.clear()
    return h


@pytest.fixture
async def h(tmp_path: Path) -> Any:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        yield prepare(harness)


def test_every_bot_telegram_admin_callback_is_in_the_admin_group(tmp_path: Path) -> None:
    """So that "the handlers in ADMIN_GROUP" really is the list of everything that can write."""
    from bot.telegram.app import build_application
    from tests.tg import RecordingRequest, settings_for

    app = build_application(settings_for(tmp_path), request=RecordingRequest())
    for group, handler, where in walk(app):
        module = getattr(getattr(handler, "callback", None), "__module__", "")
        if module == "bot.telegram.admin":
            assert group == ADMIN_GROUP, (where, handler)
        if group != ADMIN_GROUP and not isinstance(handler, ConversationHandler):
            # follow/feedback: a suggestion's Accept writes a fact, after its own admin re-check;
            # language writes only a chat's reply language (Telegram admin rights), no facts.
            assert module.startswith(("bot.telegram.user", "bot.telegram.callbacks",
                                      "bot.telegram.inline", "bot.telegram.follow",
                                      "bot.telegram.feedback", "bot.telegram.pictures",
                                      "bot.telegram.language")), (where, module)
    names = commands(app, admin=True)
    assert {"addfact", "editfact", "grant", "backup", "import"} <= set(names)
    assert len(patterns(app)) >= 8


# -- commands --------------------------------------------------------------------------------


# (label, chat, user, anonymous): a non-admin privately and in a group, an anonymous group admin.
IDENTITIES: list[tuple[str, dict[str, Any] | None, dict[str, Any], bool]] = [
    ("private", None, USER, False), ("group", GROUP, USER, False), ("anonymous", SUPERGROUP, ANON_BOT, True)]
# Form buttons as the guided /addfact form makes them (their patterns are checked against the registry).
FORM_BUTTONS = ("a:fnew", "a:fpick:5", "a:fk:content", "a:fs:live", "a:fsave", "a:fcancel")


async def test_every_admin_command_refuses_outsiders_and_writes_nothing(h: Harness) -> None:
    admin_commands = commands(h.app, admin=True)
    user_commands = commands(h.app, admin=False)
    before = await state(h)
    tried = 0
    for name in admin_commands + user_commands:
        variants = ["", SAMPLE_ARGS.get(name, "1 x y")]
        for label, chat, user, anonymous in IDENTITIES:
            for args in dict.fromkeys(variants):
                payload = h.updates.message(f"/{name} {args}".strip(), chat=chat, user=user)
                if anonymous:
                    payload["message"]["sender_chat"] = chat
                matched = [where for handler, where in admin_handlers(h.app)
                           if handler.check_update(Update.de_json(payload, h.app.bot))]
                calls = await h.process(payload)
                tried += 1
                context = (name, args, label, [c.text for c in calls])
                assert await state(h) == before, context
                assert not [c for c in calls if c.method in {"sendDocument", "getFile"}], context
                if name not in admin_commands:
                    continue
                assert matched, context  # the update really reaches an admin handler
                replies = sent(calls)
                if name in SILENT_FOR_OUTSIDERS:
                    assert all(c.text == t("tg.unknown_command", cmd="/cancel") for c in replies), context
                    continue
                assert len(replies) == 1, context
                assert (ANONYMOUS if anonymous else REFUSED) in replies[0].text, context
    assert tried >= len(admin_commands) * 3
    # Nobody is left inside a form: a non-admin's next words are an ordinary question.
    [answer] = sent(await h.send("jd alipay", user=USER))
    assert "JD.com" in answer.text

    # The samples are real writes: the owner's identical commands do change the store.
    wrote = set()
    for name in admin_commands:
        if name not in SAMPLE_ARGS:
            continue
        snapshot = await state(h)
        await h.send(f"/{name} {SAMPLE_ARGS[name]}", user=ADMIN)
        if await state(h) != snapshot:
            wrote.add(name)
    assert wrote >= OWNER_WRITES


async def test_admin_message_handlers_refuse_outsiders(h: Harness) -> None:
    """Top-level admin MessageHandlers (the /import caption on a file) and form answers."""
    document = h.updates.message("x", user=USER)
    message = document["message"]
    del message["text"]
    message.pop("entities", None)
    message["document"] = {"file_id": "f1", "file_unique_id": "u1", "file_name": "x.json",
                           "mime_type": "application/json", "file_size": 10}
    message["caption"] = "/import"
    message["caption_entities"] = h.updates.entities("/import")
    samples = [document, h.updates.message("Temu", user=USER, chat=GROUP)]
    for handler, where in admin_handlers(h.app):
        if isinstance(handler, MessageHandler) and where == "top level":
            assert any(handler.check_update(Update.de_json(p, h.app.bot)) for p in samples), where
    before = await state(h)
    calls = await h.process(document)
    assert REFUSED in sent(calls)[0].text and not [c for c in calls if c.method == "getFile"]
    # An admin's open form in a group does not take answers from anyone else in that group.
    await h.send("/addfact", user=ADMIN, chat=GROUP)
    calls = await h.send("Temu", user=USER, chat=GROUP)
    assert not [c for c in sent(calls) if "Step 2/8" in c.text]
    assert await state(h) == before


# -- buttons ---------------------------------------------------------------------------------


def buttons_of(calls: list[Call]) -> list[tuple[Call, str]]:
    return [(c, data) for c in calls for data in c.callback_data]


async def owner_buttons(h: Harness) -> tuple[dict[str, Call], list[str]]:
    """Real pending actions created by the owner in GROUP; returns where each button sits."""
    where: dict[str, Call] = {}
    calls = await h.send("/addfact Temuu | Threads | content | live | 2022-05 | New company probe. | "
                         "https://example.com/n | N", user=ADMIN, chat=GROUP)
    calls += await h.send("/retract 2", user=ADMIN, chat=GROUP)
    calls += await h.send("/stale", user=ADMIN, chat=GROUP)  # ✔ Still true, Follow-up, Retract, ▶
    for call, data in buttons_of(calls):
        if data.startswith("a:"):
            where[data] = call
    # A pending /import as /import leaves it (its dry run needs a file download; the Pending is
    # what the confirm button acts on).
    doc = await dataset.export_document(h.interop.store)
    doc["companies"].append({**doc["companies"][0], "name": "Zq Imported Co", "aliases": [],
                             "parent": None})
    pending = h.app.chat_data[GROUP["id"]].setdefault(PENDING, OrderedDict())
    pending["zqimport1"] = Pending(ADMIN["id"], time.time(), filename="zq.json",
                                   data=dataset.to_json_bytes(doc))
    pending["zqimport2"] = Pending(ADMIN["id"], time.time(), filename="zq.json",
                                   data=dataset.to_json_bytes(doc))
    anchor = next(iter(where.values()))
    where["a:imp:zqimport1"] = where["a:drop:zqimport2"] = anchor
    # The owner's guided form, open at its Save/Cancel preview.
    await h.send("/addfact", user=ADMIN, chat=GROUP)
    for answer in ("Temu", "Threads"):
        calls = await h.send(answer, user=ADMIN, chat=GROUP)
    calls = await h.press(calls[-1], data="a:fk:content", user=ADMIN)
    calls = await h.press(sent(calls)[-1], data="a:fs:announced", user=ADMIN)
    for answer in ("2020-02", "A guided probe fact.", "-", "https://example.com/g Guided"):
        calls = await h.send(answer, user=ADMIN, chat=GROUP)
    for call, data in buttons_of(calls):
        where[data] = call
    for data in (*FORM_BUTTONS, "a:zz:unknown"):
        where.setdefault(data, anchor)
    return where, sorted(where)


async def test_every_admin_button_refuses_outsiders(h: Harness) -> None:
    where, datas = await owner_buttons(h)
    assert {"a:fsave", "a:fcancel"} <= set(datas) and any(d.startswith("a:new:") for d in datas)
    for pattern, place in patterns(h.app):
        assert any(pattern.match(d) for d in datas), f"no sample button for {pattern.pattern} ({place})"
    await h.interop.store.set_grant(OTHER["id"], True, "test")
    conversation = next(x for x, _ in admin_handlers(h.app) if isinstance(x, ConversationHandler))
    form_before = dict(conversation._conversations)
    pending_before = set(h.app.chat_data[GROUP["id"]][PENDING])
    before = await state(h)
    [private] = sent(await h.send("/help", user=USER))
    for data in datas:
        for presser, message in ((USER, where[data]), (USER, private)):
            calls = await h.press(message, data=data, user=presser)
            context = (data, presser["id"], [(c.method, c.params) for c in calls])
            assert [c.method for c in calls] == ["answerCallbackQuery"], context
            assert calls[0].params["text"] == t("admin.button_refused"), context
            assert calls[0].params["show_alert"] is True, context
        if data.startswith(("a:new:", "a:pick:", "a:drop:", "a:imp:", "a:ret:", "a:keep:")):
            # Another admin may not confirm what the owner started.
            [call] = await h.press(where[data], data=data, user=OTHER)
            assert call.params["text"] == t("admin.button_not_yours"), data
    assert await state(h) == before
    assert set(h.app.chat_data[GROUP["id"]][PENDING]) == pending_before
    assert dict(conversation._conversations) == form_before  # the owner's form is untouched

    # The same buttons work for their owner: these are real writes that were refused above.
    for data in ("a:fsave", "a:imp:zqimport1", next(d for d in datas if d.startswith("a:ret:")),
                 next(d for d in datas if d.startswith("a:new:"))):
        snapshot = await state(h)
        calls = await h.press(where[data], data=data, user=ADMIN)
        assert await state(h) != snapshot, (data, [c.text for c in calls])


async def test_a_revoked_admin_is_stopped_at_every_form_step(h: Harness) -> None:
    """Walks the guided form's states: revoked mid-form, the next answer or button writes nothing."""
    conversation = next(x for x, _ in admin_handlers(h.app) if isinstance(x, ConversationHandler))
    answers: list[tuple[str, str]] = [("text", "Temu"), ("text", "Threads"), ("press", "a:fk:content"),
                                      ("press", "a:fs:announced"), ("text", "2020-02"),
                                      ("text", "A revoked probe fact."), ("text", "-"),
                                      ("text", "https://example.com/r Revoked")]
    key = (GROUP["id"], USER["id"])
    steps = 0
    # The states in the order the form walks them (NOTE was added last, keeping stored numbers).
    order = [form.SUBJECT, form.OBJECT, form.KIND, form.STATUS, form.DATE, form.SUMMARY, form.NOTE,
             form.SOURCE, form.CONFIRM]
    for form_state, handlers in conversation.states.items():
        if form_state == ConversationHandler.TIMEOUT:
            assert all(isinstance(x, TypeHandler) for x in handlers)
            continue
        for handler in handlers:
            await h.interop.store.set_grant(USER["id"], True, "test")
            calls = await h.send("/addfact", user=USER, chat=GROUP)
            for kind, value in answers[:order.index(form_state)]:
                if kind == "text":
                    calls = await h.send(value, user=USER, chat=GROUP)
                else:
                    calls = await h.press(sent(calls)[-1], data=value, user=USER)
            assert conversation._conversations.get(key) == form_state
            await h.interop.store.set_grant(USER["id"], False, "test")
            before = await state(h)
            if isinstance(handler, CallbackQueryHandler):
                data = next(d for d in FORM_BUTTONS if handler.pattern.match(d))
                calls = await h.press(sent(calls)[-1], data=data, user=USER)
                assert [c.method for c in calls] == ["answerCallbackQuery"], form_state
                assert calls[0].params["text"] == t("admin.button_refused")
            else:
                assert isinstance(handler, MessageHandler)
                calls = await h.send("Temu", user=USER, chat=GROUP)
                assert REFUSED in sent(calls)[0].text, form_state
            assert await state(h) == before
            assert key not in conversation._conversations  # the form is over, nothing pending
            steps += 1
    assert steps >= len(answers) + 1


# -- secrets in logs -------------------------------------------------------------------------

WEBHOOK_SECRET = "Zq-webhook-secret_42"


async def test_token_and_secret_never_reach_logs_or_the_error_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {
        name: logging.getLogger(name).level for name in ("httpx", "httpcore", "apscheduler")}
    output = io.StringIO()
    try:
        async with make_app(tmp_path, error_chat_id=-100777, log_level="DEBUG",
                            webhook_secret=WEBHOOK_SECRET) as h:
            setup_logging(h.settings)
            [configured] = root.handlers
            configured.setStream(output)  # type: ignore[attr-defined]
            root.addHandler(caplog.handler)  # after the redacting handler, as a second reader
            h.rec.clear()

            async def broken(text: str, mode: str = "ask") -> Any:
                raise RuntimeError(f"boom with {TOKEN} and {WEBHOOK_SECRET} in it")

            monkeypatch.setattr(h.interop, "decide", broken)
            await h.send(f"/check {TOKEN} {WEBHOOK_SECRET}", chat=SUPERGROUP)
            logging.getLogger("telegram.ext").warning(
                "Network problem at https://api.telegram.org/bot%s/getUpdates", TOKEN)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)

    text = output.getvalue()
    assert "RuntimeError" in text and "Traceback" in text and "[REDACTED]" in text
    assert "Update" in text and "caused an error" in text
    records = "\n".join(f"{r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records)
    assert "boom with" in records
    [report] = [c for c in h.rec.calls if c.chat_id == -100777]
    assert "RuntimeError" in report.text
    calls = json.dumps([c.params for c in h.rec.calls], default=str, ensure_ascii=False)
    for secret in (TOKEN, TOKEN.split(":", 1)[1], WEBHOOK_SECRET):
        assert secret not in text
        assert secret not in caplog.text and secret not in records
        assert secret not in report.text
        assert secret not in calls  # nothing the bot sent anywhere


# -- webhook secret ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_rejects_posts_without_the_secret_token(tmp_path: Path) -> None:
    async with make_app(tmp_path) as h:
        h.rec.clear()
        set_webhook: list[Call] = []
        h.rec.on("setWebhook", set_webhook.append)
        port = free_port()
        assert h.app.updater is not None
        await h.app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="tg/hook",
                                          secret_token=WEBHOOK_SECRET,
                                          webhook_url="https://bot.example.com/tg/hook")
        await h.app.start()
        statuses = []
        users = [{**USER, "id": 3001 + i, "username": f"u{i}"} for i in range(4)]
        headers = [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
                   {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET.upper()},
                   {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}]
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=10) as client:
                for user, header in zip(users, headers, strict=True):
                    payload = h.updates.message("/check jd alipay", user=user)
                    response = await client.post(f"http://127.0.0.1:{port}/tg/hook", json=payload,
                                                 headers=header)
                    statuses.append(response.status_code)
            await asyncio.wait_for(h.app.update_queue.join(), timeout=10)
        finally:
            await h.app.updater.stop()
            await h.app.stop()
    assert statuses == [403, 403, 403, 200]
    [registered] = set_webhook
    assert registered.params["secret_token"] == WEBHOOK_SECRET
    assert registered.params["url"] == "https://bot.example.com/tg/hook"
    answers = h.rec.of("sendMessage")
    assert [c.chat_id for c in answers] == [users[-1]["id"]]  # only the signed update was processed
    assert "JD.com" in answers[0].text
