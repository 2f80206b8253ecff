"""Admin commands through the real Application: rights on every entry point, validation replies,
the guided /addfact form, confirm buttons, /import with a dry run, /export, /backup.

Only Telegram is faked (tests/tg.py's recording BaseRequest); the store is a real SQLite file.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.admin import PENDING
from bot.texts import t
from tests.tg import ADMIN, GROUP, OTHER, USER, Call, Harness, make_app

LINE = ("/addfact JD.com | WeChat Pay | payments | live | 2025-02 | JD & <Co> accepts WeChat Pay. "
        "| https://example.com/jd?a=1&b=2 | Title <x>")
# The harness does not start the JobQueue, so the form's timeout is not scheduled here.
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")
ANON_BOT: dict[str, Any] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                            "username": "GroupAnonymousBot"}


class Files:
    """Serve getFile and file downloads, and keep the bytes of every document the bot sends."""

    def __init__(self, h: Harness) -> None:
        self.served: dict[str, bytes] = {}
        self.sent: list[tuple[str, bytes]] = []
        self.downloads = 0
        original = h.rec.do_request

        async def do_request(url: str, method: str, request_data: Any = None, *args: Any,
                             **kwargs: Any) -> tuple[int, bytes]:
            if "/file/bot" in url:
                self.downloads += 1
                return 200, self.served[url.rsplit("/", 1)[-1]]
            if url.endswith("/getFile") and request_data is not None:
                file_id = request_data.parameters["file_id"]
                h.rec.calls.append(Call("getFile", dict(request_data.parameters)))
                result = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                          "file_size": len(self.served[file_id]), "file_path": f"documents/{file_id}"}
                return 200, json.dumps({"ok": True, "result": result}).encode()
            if url.endswith("/sendDocument") and request_data is not None:
                for name, part in (request_data.multipart_data or {}).items():
                    if name == "document" or part[0].startswith("interop"):
                        self.sent.append((part[0], part[1]))
            return await original(url, method, request_data, *args, **kwargs)

        h.rec.do_request = do_request  # type: ignore[method-assign]

    def document(self, h: Harness, filename: str, data: bytes, *, caption: str | None = "/import",
                 user: dict[str, Any] | None = None, size: int | None = None) -> dict[str, Any]:
        file_id = f"f{len(self.served)}"
        self.served[file_id] = data
        payload = h.updates.message("x", user=user or ADMIN)
        message = payload["message"]
        del message["text"]
        message.pop("entities", None)
        message["document"] = {"file_id": file_id, "file_unique_id": f"u{file_id}",
                               "file_name": filename, "mime_type": "application/octet-stream",
                               "file_size": len(data) if size is None else size}
        if caption:
            message["caption"] = caption
            message["caption_entities"] = h.updates.entities(caption)
        return payload


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.user = dict(ADMIN)
        harness.rec.clear()
        yield harness


async def counts(h: Harness) -> dict[str, int]:
    return await h.interop.store.counts()


def unzipped(data: bytes) -> tuple[str, bytes]:
    """The one file inside a zip the bot sent."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [member] = archive.namelist()
        return member, archive.read(member)


def sent(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method in {"sendMessage", "editMessageText"}]


def only_text(calls: list[Call]) -> str:
    [call] = sent(calls)
    return call.text


async def add_line(h: Harness, line: str = LINE) -> int:
    text = only_text(await h.send(line))
    assert "Saved as fact #" in text, text
    return int(text.split("Saved as fact #", 1)[1].split(".", 1)[0])


# -- rights ----------------------------------------------------------------------------------

EVERY_COMMAND = [LINE, "/addfact", "/addsource 1 https://example.org/x", "/editfact 1 status ended",
                 "/retract 1", "/restore 1", "/verify 1", "/history 1", "/addcompany Foo Pay",
                 "/alias Alipay AP",
                 "/unalias Alipay Zhifubao", "/import", "/export", "/admins", "/grant 5",
                 "/revoke 5", "/backup"]


@pytest.mark.parametrize("command", EVERY_COMMAND)
async def test_every_command_refuses_non_admins_and_writes_nothing(h: Harness, command: str) -> None:
    before = await counts(h)
    for chat in (None, GROUP):
        calls = await h.send(command, user=USER, chat=chat)
        text = only_text(calls)
        assert "for the bot's admins only" in text
        assert not any(c.method in {"sendDocument", "getChatMember", "getChatAdministrators"}
                       for c in calls)
    assert await counts(h) == before
    # No form started: the next plain text is an ordinary question again.
    assert "Step 2/8" not in sent(await h.send("jd alipay", user=USER))[0].text


@pytest.mark.parametrize("command", [LINE, "/editfact 1 status ended", "/grant 5", "/export"])
async def test_anonymous_group_admins_are_asked_to_use_a_private_chat(h: Harness, command: str) -> None:
    before = await counts(h)
    payload = h.updates.message(command, chat=GROUP, user=ANON_BOT)
    payload["message"]["sender_chat"] = GROUP
    text = only_text(await h.process(payload))
    assert "anonymous admin" in text and "private chat" in text
    assert await counts(h) == before


@pytest.mark.parametrize("command", ["/grant 5", "/revoke 5", "/backup"])
async def test_granted_admins_cannot_use_owner_commands(h: Harness, command: str) -> None:
    await h.interop.store.set_grant(USER["id"], True, "test")
    before = await counts(h)
    calls = await h.send(command, user=USER)
    assert "for the bot's owners only" in only_text(calls)
    assert await counts(h) == before


async def test_grant_revoke_and_admins(h: Harness) -> None:
    assert "admins only" in only_text(await h.send(LINE, user=USER))
    assert "is now an admin" in only_text(await h.send(f"/grant {USER['id']}"))
    assert "already an admin" in only_text(await h.send(f"/grant {USER['id']}"))
    fact_id = await add_line(h)
    roster = only_text(await h.send("/admins", user=USER))
    assert str(ADMIN["id"]) in roster and str(USER["id"]) in roster and "@owner" in roster
    # The granted admin can edit; the audit names them.
    assert "status changed" in only_text(await h.send(f"/editfact {fact_id} status ended", user=USER))
    assert (await h.interop.store.history("fact", fact_id))[-1].actor == "tg:1001 @ada"
    assert "no longer an admin" in only_text(await h.send(f"/revoke {USER['id']}"))
    assert "was not an admin" in only_text(await h.send(f"/revoke {USER['id']}"))
    assert "admins only" in only_text(await h.send(f"/editfact {fact_id} status live", user=USER))
    assert "numeric Telegram user id" in only_text(await h.send("/grant @ada"))
    assert "owner" in only_text(await h.send(f"/revoke {ADMIN['id']}"))
    actions = [e.action for e in await h.interop.store.history("admin", USER["id"])]
    assert actions == ["grant", "revoke"]


# -- /addfact one line -----------------------------------------------------------------------


async def test_addfact_line_saves_escapes_and_is_live(h: Harness) -> None:
    before = await counts(h)
    calls = await h.send(LINE)
    [call] = sent(calls)
    assert call.params["parse_mode"] == "HTML"
    assert "JD &amp; &lt;Co&gt; accepts WeChat Pay." in call.text
    assert 'href="https://example.com/jd?a=1&amp;b=2"' in call.text and "Title &lt;x&gt;" in call.text
    fact_id = int(call.text.split("#", 1)[1].split(".", 1)[0])
    assert (await counts(h))["facts"] == before["facts"] + 1
    [entry] = await h.interop.store.history("fact", fact_id)
    assert (entry.action, entry.actor) == ("add", "tg:42 @owner")
    answer = only_text(await h.send("/check jd wechat pay", user=USER))
    assert "JD &amp; &lt;Co&gt; accepts WeChat Pay." in answer


async def test_addfact_works_for_admins_in_groups(h: Harness) -> None:
    calls = await h.send(LINE.replace("/addfact", "/addfact@InteropTestBot"), chat=GROUP)
    [call] = sent(calls)
    assert "Saved as fact" in call.text and call.chat_id == GROUP["id"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    (LINE, "/addfact JD.com | Alipay | payments", "missing: status, date, summary, source URL"),
    ("| payments |", "| teleport |", "Use one of: payments, logistics, shopping/links"),
    ("| live |", "| maybe |", "Use one of: live, partial, announced, ended"),
    ("| 2025-02 |", "| 2999 |", "too far in the future"),
    ("| 2025-02 |", "| Feb 2025 |", "must look like YYYY, YYYY-MM or YYYY-MM-DD"),
    ("https://example.com/jd?a=1&b=2", "javascript:alert(1)", "must start with http:// or https://"),
    ("https://example.com/jd?a=1&b=2", "data:text/html;base64,PHNjcmlwdD4=", "http:// or https://"),
    ("https://example.com/jd?a=1&b=2", "https://localhostx", "has no valid host"),
    ("JD & <Co> accepts WeChat Pay.", "y" * 1001, "1001 characters; the limit is 1000"),
])
async def test_addfact_validation_errors_are_specific_and_write_nothing(
        h: Harness, old: str, new: str, expected: str) -> None:
    line = new if old == LINE else LINE.replace(old, new)
    before = await counts(h)
    text = only_text(await h.send(line))
    assert expected in text, text
    assert "Use: <code>/addfact SUBJECT | OBJECT" in text
    assert await counts(h) == before


async def test_duplicate_fact_is_refused_with_the_existing_id(h: Harness) -> None:
    fact_id = await add_line(h)
    before = await counts(h)
    text = only_text(await h.send(LINE))
    assert f"already exists as #{fact_id}" in text and f"/history {fact_id}" in text
    assert await counts(h) == before


async def test_unknown_company_offers_create_and_a_non_admin_press_writes_nothing(h: Harness) -> None:
    before = await counts(h)
    [call] = sent(await h.send(LINE.replace("WeChat Pay", "Zorblax <Pay>")))
    assert "I don't know the object “Zorblax &lt;Pay&gt;”" in call.text
    labels = [label for label, _ in call.buttons]
    assert labels[0] == "➕ Create “Zorblax <Pay>”" and labels[-1] == "✖️ Cancel"
    assert await counts(h) == before
    calls = await h.press(call, labels[0], user=USER)
    [answer] = calls
    assert answer.method == "answerCallbackQuery" and "admins only" in answer.params["text"]
    assert await counts(h) == before
    calls = await h.press(call, labels[0])
    [edit] = sent(calls)
    assert "Saved as fact" in edit.text and [c.method for c in calls].count("answerCallbackQuery") == 1
    result = only_text(await h.send("/check jd zorblax pay", user=USER))
    assert "JD &amp; &lt;Co&gt; accepts Zorblax &lt;Pay&gt;." in result
    # The token is spent: a second press hears who saved it.
    [again] = await h.press(call, data=call.callback_data[0])
    assert again.params["text"] == t("admin.settled.saved", who="@owner")


async def test_unknown_company_pick_a_close_match(h: Harness) -> None:
    [call] = sent(await h.send(LINE.replace("WeChat Pay", "WeChat Pya")))
    assert ("WeChat Pay", call.callback_data[1]) in call.buttons
    [edit] = sent(await h.press(call, "WeChat Pay"))
    assert "Saved as fact" in edit.text and "<b>WeChat Pay</b>" in edit.text
    assert not any(c.name == "WeChat Pya" for c in await h.interop.store.companies())


async def test_unknown_company_cancel_and_restart_stale(h: Harness) -> None:
    [call] = sent(await h.send(LINE.replace("JD.com |", "Nowhere Mart |")))
    [edit] = sent(await h.press(call, "✖️ Cancel"))
    assert "nothing was saved" in edit.text
    [call] = sent(await h.send(LINE.replace("JD.com |", "Nowhere Mart |")))
    h.app.chat_data[ADMIN["id"]].pop(PENDING)  # as when it expired
    before = await counts(h)
    [answer] = await h.press(call, call.buttons[0][0])
    assert "expired" in answer.params["text"] and await counts(h) == before


# -- other fact commands ---------------------------------------------------------------------


async def test_addsource_editfact_and_history(h: Harness) -> None:
    fact_id = await add_line(h)
    text = only_text(await h.send(f"/addsource {fact_id} https://example.org/more More <b>"))
    assert "Source added" in text and "More &lt;b&gt;" in text
    assert "already cites" in only_text(await h.send(f"/addsource #{fact_id} https://example.org/more"))
    assert "http:// or https://" in only_text(await h.send(f"/addsource {fact_id} javascript:x"))
    assert "no fact #99999" in only_text(await h.send("/addsource 99999 https://example.org/z"))
    assert "Use: <code>/addsource FACT_ID URL" in only_text(await h.send("/addsource"))
    text = only_text(await h.send(f"/editfact {fact_id} status ended"))
    assert "status changed" in text and "ended" in text
    for command, expected in [
        (f"/editfact {fact_id} colour blue", "not a field you can edit"),
        (f"/editfact {fact_id} kind teleport", "Use one of: payments"),
        (f"/editfact {fact_id} date 2999", "too far in the future"),
        (f"/editfact {fact_id} summary " + "z" * 1001, "the limit is 1000"),
        (f"/editfact {fact_id} object Zorblax", "I don't know the object"),
        ("/editfact 99999 status live", "no fact #99999"),
        ("/editfact abc status live", "not a fact number"),
        (f"/editfact {fact_id}", "Use: <code>/editfact FACT_ID FIELD VALUE"),
    ]:
        before = await counts(h)
        assert expected in only_text(await h.send(command)), command
        assert await counts(h) == before
    await h.send(f"/editfact {fact_id} summary Now <i>ended</i>.")
    history = "\n".join(c.text for c in sent(await h.send(f"/history {fact_id}")))
    assert "History of fact #" in history and "tg:42 @owner" in history
    assert "status: live → ended" in history
    assert "summary: JD &amp; &lt;Co&gt; accepts WeChat Pay. → Now &lt;i&gt;ended&lt;/i&gt;." in history
    assert "source: https://example.org/more" in history and "created" in history


async def test_addsource_with_a_quote_shows_it_escaped_once_in_the_card_and_history(h: Harness) -> None:
    fact_id = await add_line(h)
    text = only_text(await h.send(f"/addsource {fact_id} https://example.org/q Report "
                                  "| quote: Pay <b>now</b> & 即日起"))
    assert "<i>“Pay &lt;b&gt;now&lt;/b&gt; &amp; 即日起”</i>" in text and "&amp;lt;" not in text
    history = "\n".join(c.text for c in sent(await h.send(f"/history {fact_id}")))
    assert "quote: “Pay &lt;b&gt;now&lt;/b&gt; &amp; 即日起”" in history
    before = await counts(h)
    assert "quote: EXCERPT" in only_text(await h.send(f"/addsource {fact_id} https://example.org/r T | x"))
    assert await counts(h) == before


async def test_retract_asks_and_only_the_asking_admin_confirms(h: Harness) -> None:
    fact_id = await add_line(h)
    [call] = sent(await h.send(f"/retract {fact_id}"))
    assert f"Retract fact #{fact_id}?" in call.text
    before = await counts(h)
    [refused] = await h.press(call, f"🗑 Retract #{fact_id}", user=USER)
    assert "admins only" in refused.params["text"] and await counts(h) == before
    await h.interop.store.set_grant(OTHER["id"], True, "test")
    [not_yours] = await h.press(call, f"🗑 Retract #{fact_id}", user=OTHER)
    assert "belongs to the admin who sent" in not_yours.params["text"]
    assert (await h.interop.store.fact(fact_id)).retracted is False  # type: ignore[union-attr]
    [kept] = sent(await h.press(call, "Keep it"))
    assert "nothing changed" in kept.text
    [call] = sent(await h.send(f"/retract {fact_id}"))
    [done] = sent(await h.press(call, f"🗑 Retract #{fact_id}"))
    assert f"Fact #{fact_id} is retracted" in done.text
    assert (await h.interop.store.fact(fact_id)).retracted is True  # type: ignore[union-attr]
    assert "JD &amp; &lt;Co&gt;" not in only_text(await h.send("/check jd wechat pay", user=USER))
    assert "already retracted" in only_text(await h.send(f"/retract {fact_id}"))
    assert "retracted; /restore" in only_text(await h.send(f"/editfact {fact_id} status live"))
    assert "is restored" in only_text(await h.send(f"/restore {fact_id}"))
    assert "not retracted" in only_text(await h.send(f"/restore {fact_id}"))
    actions = [e.action for e in await h.interop.store.history("fact", fact_id)]
    assert actions == ["add", "retract", "restore"]


# -- companies -------------------------------------------------------------------------------


async def test_new_company_and_aliases_resolve_at_once_in_check(h: Harness) -> None:
    assert "I don't know" in only_text(await h.send("/check zorblax alipay", user=USER))
    text = only_text(await h.send("/addcompany Zorblax <Mart> | Alibaba Group | marketplace"))
    assert "Added company <b>Zorblax &lt;Mart&gt;</b>" in text and "Part of Alibaba Group" in text
    text = only_text(await h.send("/check zorblax <mart> alipay", user=USER))
    assert "Zorblax &lt;Mart&gt;" in text and "I don't know" not in text
    assert "also called “ZBM”" in only_text(await h.send("/alias Zorblax <Mart> | ZBM"))
    assert "Zorblax &lt;Mart&gt;" in only_text(await h.send("/company zbm", user=USER))
    assert "already belongs to WeChat Pay" in only_text(await h.send("/alias Alipay Tenpay"))
    assert "already used by JD.com" in only_text(await h.send("/addcompany jd.com"))
    assert "I don't know the parent" in only_text(await h.send("/addcompany Foo | Nowhere Group"))
    assert "Use: <code>/alias COMPANY ALIAS" in only_text(await h.send("/alias"))
    assert "no longer names" in only_text(await h.send("/unalias Zorblax <Mart> | ZBM"))
    assert "no alias" in only_text(await h.send("/unalias Alipay Tenpay"))
    assert "I don't know" in only_text(await h.send("/company zbm", user=USER))


# -- the guided form -------------------------------------------------------------------------


async def test_guided_form_end_to_end(h: Harness) -> None:
    before = await counts(h)
    assert "step 1/8" in only_text(await h.send("/addfact"))
    # The answer is not also taken as a question by the user handlers.
    assert "Step 2/8" in only_text(await h.send("JD"))
    [kind] = sent(await h.send("tenpay"))
    assert "Step 3/8" in kind.text and "a:fk:payments" in kind.callback_data
    calls = await h.press(kind, data="a:fk:payments")
    [status] = [c for c in sent(calls) if c.method == "sendMessage"]
    assert "Step 4/8" in status.text
    calls = await h.press(status, data="a:fs:partial")
    assert "Step 5/8" in sent(calls)[-1].text
    assert "must look like" in only_text(await h.send("soon"))
    assert "Step 6/8" in only_text(await h.send("2025-03"))
    assert "Step 7/8" in only_text(await h.send("JD <trial> with WeChat Pay."))
    # The form's partial fact meets the rule every new fact meets: it needs a note.
    assert "A partial fact needs a note" in only_text(await h.send("-"))
    assert "Step 8/8" in only_text(await h.send("Opt-in <beta> & trial"))
    assert "http:// or https://" in only_text(await h.send("javascript:alert(1)"))
    [preview] = sent(await h.send("https://example.com/trial The trial"))
    assert "Please check" in preview.text and "JD &lt;trial&gt; with WeChat Pay." in preview.text
    assert "Tap one" not in preview.text and await counts(h) == before
    assert "tap one of the buttons" in only_text(await h.send("ok?"))
    [refused] = await h.press(preview, "✅ Save", user=USER)
    assert "admins only" in refused.params["text"] and await counts(h) == before
    [saved] = sent(await h.press(preview, "✅ Save"))
    assert "Saved as fact" in saved.text and (await counts(h))["facts"] == before["facts"] + 1
    fact_id = int(saved.text.split("#", 1)[1].split(".", 1)[0])
    fact = await h.interop.store.fact(fact_id)
    assert fact is not None and (fact.status.value, fact.date, fact.note) == (
        "partial", "2025-03", "Opt-in <beta> & trial")
    assert "2/7" not in only_text(await h.send("jd alipay"))  # the form has ended


async def test_guided_form_cancel_at_several_points(h: Harness) -> None:
    before = await counts(h)
    await h.send("/addfact")
    assert "Cancelled" in only_text(await h.send("/cancel"))
    await h.send("/addfact")
    await h.send("JD.com")
    await h.send("Alipay")
    assert "Cancelled" in only_text(await h.send("/cancel"))
    await h.send("/addfact")
    for answer in ("JD.com", "Alipay"):
        await h.send(answer)
    await h.press(h.rec.last("sendMessage"), data="a:fk:payments")
    await h.press(h.rec.last("sendMessage"), data="a:fs:live")
    for answer in ("2025", "Summary.", "-", "https://example.com/s"):
        await h.send(answer)
    [edit] = sent(await h.press(h.rec.last("sendMessage"), "✖️ Cancel"))
    assert "nothing was saved" in edit.text
    assert "nothing to cancel" in only_text(await h.send("/cancel"))
    assert await counts(h) == before


async def test_guided_form_unknown_company_and_revoked_midway(h: Harness) -> None:
    await h.interop.store.set_grant(USER["id"], True, "test")
    await h.send("/addfact", user=USER)
    [call] = sent(await h.send("Zorblax Foods", user=USER))
    assert "I don't know the subject" in call.text
    calls = await h.press(call, "➕ Create “Zorblax Foods”", user=USER)
    assert "Step 2/8" in sent(calls)[-1].text
    assert h.interop.resolve("zorblax foods").company is not None
    await h.interop.store.set_grant(USER["id"], False, "test")
    before = await counts(h)
    assert "admins only" in only_text(await h.send("Alipay", user=USER))
    assert await counts(h) == before
    # The form is over: the next text is an ordinary question again.
    assert "Step 3/8" not in only_text(await h.send("Alipay", user=USER))


async def test_form_buttons_of_a_finished_form_are_stale(h: Harness) -> None:
    await h.send("/addfact")
    await h.send("JD.com")
    [kind] = sent(await h.send("Alipay"))
    await h.send("/cancel")
    [answer] = await h.press(kind, data="a:fk:payments")
    assert "expired" in answer.params["text"]


# -- import / export / backup ----------------------------------------------------------------


async def test_export_then_import_round_trip(h: Harness) -> None:
    files = Files(h)
    calls = await h.send("/export")
    docs = [c for c in calls if c.method == "sendDocument"]
    assert len(docs) == 2 and all("Full export" in c.params["caption"] for c in docs)
    names = [name for name, _ in files.sent]
    assert names[0].startswith("interop-export-") and names[0].endswith(".json.zip")
    assert names[1].endswith(".csv.zip")  # zipped: Telegram takes at most 50 MB per upload
    for name, data in files.sent:  # the zips go back in as they are
        text = only_text(await h.process(files.document(h, name, data)))
        assert "0 new, 0 updated" in text and "nothing to apply" in text
    inner, json_bytes = unzipped(files.sent[0][1])
    assert inner == names[0].removesuffix(".zip")
    doc = json.loads(json_bytes)
    doc["facts"][0]["summary"] = "Changed <by> import."
    data = json.dumps(doc).encode()
    before = await counts(h)
    [call] = sent(await h.process(files.document(h, "edited.json", data)))
    assert "Dry run" in call.text and "0 new, 1 updated" in call.text
    assert await counts(h) == before
    [refused] = await h.press(call, "✅ Apply import", user=USER)
    assert "admins only" in refused.params["text"] and await counts(h) == before
    [applied] = sent(await h.press(call, "✅ Apply import"))
    assert "Imported" in applied.text and "1 updated" in applied.text
    fact = (await h.interop.store.facts_involving([c.id for c in await h.interop.store.companies()]))
    assert any(f.summary == "Changed <by> import." for f in fact)
    [again] = await h.press(call, data=call.callback_data[0])
    assert again.params["text"] == t("admin.settled.applied", who="@owner")


async def test_import_by_replying_and_new_companies_resolve(h: Harness) -> None:
    files = Files(h)
    doc = {"format": "interop-bot/1", "companies": [
        {"name": "Imported Pay", "kind": "", "parent": None, "description": "", "aliases": ["IMPY"]}],
        "facts": [{"subject": "JD.com", "object": "Nowhere"}]}
    payload = files.document(h, "new.json", json.dumps(doc).encode(), caption=None)
    assert await h.process(payload) == []  # a file without caption is not an import
    calls = await h.send("/import", reply_to=payload["message"])
    [call] = sent(calls)
    assert "1 new and 0 updated companies; 1 rejected" in call.text
    assert "fact 1:" in call.text
    await h.press(call, "✅ Apply import")
    assert "Imported Pay" in only_text(await h.send("/company impy", user=USER))


async def test_broken_and_oversized_files(h: Harness) -> None:
    files = Files(h)
    before = await counts(h)
    assert "JSON is broken" in only_text(await h.process(files.document(h, "bad.json", b"{nope")))
    text = only_text(await h.process(files.document(h, "bad.json", b'{"facts": 3}')))
    assert "'companies' and 'facts'" in text
    assert "not a .json, .csv or .zip" in only_text(await h.process(files.document(h, "x.png", b"\x89PNG")))
    assert "header row" in only_text(await h.process(files.document(h, "x.csv", b"a,b\n1,2\n")))
    downloads = files.downloads
    h.rec.clear()
    text = only_text(await h.process(files.document(h, "big.json", b"{}", size=21 * 1024 * 1024)))
    assert "the limit is 20 MB" in text
    assert not h.rec.of("getFile") and files.downloads == downloads
    assert "Send a JSON or CSV file" in only_text(await h.send("/import"))
    assert "admins only" in only_text(
        await h.process(files.document(h, "x.json", b"{}", user=USER)))
    assert await counts(h) == before


async def test_backup_for_owners(h: Harness) -> None:
    files = Files(h)
    calls = await h.send("/backup")
    [doc] = [c for c in calls if c.method == "sendDocument"]
    assert "Backup of the database" in doc.params["caption"]
    name, data = files.sent[-1]
    inner, database = unzipped(data)
    assert name == inner + ".zip" and inner.endswith(".sqlite3") and database.startswith(b"SQLite format 3")


async def test_exports_and_backups_past_telegrams_upload_limit_point_to_the_cli(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past 50 MB (zipped) nothing is uploaded; the reply names the command-line export instead."""
    from bot.telegram.admin import files as admin_files

    monkeypatch.setattr(admin_files, "TELEGRAM_UPLOAD_LIMIT", 1000)
    for command in ("/export", "/backup"):
        calls = await h.send(command)
        assert not [c for c in calls if c.method == "sendDocument"]
        texts = [c.text for c in sent(calls)]
        assert texts and all("python -m bot export" in text and "50 MB" not in text for text in texts), texts


async def test_export_and_backup_work_off_the_event_loop(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """Serialising and zipping run in worker threads, never on the loop's thread."""
    import threading

    from bot import dataset
    from bot.telegram.admin import files as admin_files

    threads: list[str] = []
    original_export = dataset._export_to

    def export_spy(*args: Any) -> Path:
        threads.append(threading.current_thread().name)
        return original_export(*args)

    monkeypatch.setattr(dataset, "_export_to", export_spy)
    original_zip = admin_files._zip_file

    def zip_spy(path: Path) -> tuple[bytes, int]:
        threads.append(threading.current_thread().name)
        return original_zip(path)

    monkeypatch.setattr(admin_files, "_zip_file", zip_spy)
    Files(h)
    await h.send("/export")
    await h.send("/backup")
    loop_thread = threading.current_thread().name
    # two streamed exports (JSON, CSV), three zips (those two and the backup)
    assert len(threads) == 5 and loop_thread not in threads, (threads, loop_thread)


async def test_a_bad_zip_is_refused_clearly(h: Harness) -> None:
    files = Files(h)
    text = only_text(await h.process(files.document(h, "x.zip", b"not a zip")))
    assert "not a readable zip" in text


async def test_import_caption_for_another_bot_is_ignored(h: Harness) -> None:
    files = Files(h)
    payload = files.document(h, "x.json", b"{nope", caption="/import@OtherBot")
    assert await h.process(payload) == []
    payload = files.document(h, "x.json", b"{nope", caption="/import@InteropTestBot")
    assert "JSON is broken" in only_text(await h.process(payload))


async def test_edited_commands_are_not_run_again(h: Harness) -> None:
    fact_id = await add_line(h)
    payload = h.updates.message(f"/retract {fact_id}", user=ADMIN)
    payload["edited_message"] = payload.pop("message")
    payload["edited_message"]["edit_date"] = payload["edited_message"]["date"]
    assert not [c for c in await h.process(payload) if "Retract" in c.text]


async def test_guided_form_in_a_group_forces_a_reply(h: Harness) -> None:
    original = h.rec._result

    def result(call: Call) -> Any:
        # Telegram returns only inline keyboards in a Message; the recorder echoes any markup.
        message = original(call)
        if isinstance(message, dict) and "force_reply" in message.get("reply_markup", {}):
            message = {k: v for k, v in message.items() if k != "reply_markup"}
        return message

    h.rec._result = result  # type: ignore[method-assign]
    [call] = sent(await h.send("/addfact", chat=GROUP))
    assert call.reply_markup == {"force_reply": True, "selective": True}
    prompt = {k: v for k, v in h.message_of(call).items() if k != "reply_markup"}
    assert "Step 2/8" in only_text(await h.send("JD.com", chat=GROUP, reply_to=prompt))
    # Someone else in the group is not inside this admin's form.
    assert not [c for c in await h.send("Alipay", chat=GROUP, user=USER) if "Step 3/8" in c.text]


async def test_guided_form_times_out_politely(h: Harness) -> None:
    from telegram.ext import ConversationHandler

    [form] = [x for x in h.app.handlers[-1] if isinstance(x, ConversationHandler)]
    form._conversation_timeout = 0.2  # type: ignore[attr-defined]  # 10 minutes in production
    assert h.app.job_queue is not None
    await h.app.job_queue.start()
    try:
        await h.send("/addfact")
        await h.send("JD.com")
        for _ in range(50):
            await asyncio.sleep(0.05)
            if any("timed out" in c.text for c in h.rec.of("sendMessage")):
                break
        assert "timed out; nothing was saved" in h.rec.last("sendMessage").text
    finally:
        await h.app.job_queue.stop()
    # The form is over: the next text is an ordinary question again.
    assert "Step 3/8" not in only_text(await h.send("Alipay"))


async def test_a_failing_form_step_ends_the_update_and_keeps_the_step(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error in an admin handler goes to the error handler and stops there: the
    subject typed into the form is never answered as a user question."""
    from bot.admin import Editor

    assert "step 1/8" in only_text(await h.send("/addfact"))

    def broken(self: Editor, role: str, name: str) -> Any:
        raise RuntimeError("resolver exploded")

    monkeypatch.setattr(Editor, "resolve", broken)
    [call] = sent(await h.send("JD Alipay"))  # only the error handler's reply, no verdict
    assert call.text == t("error.generic")
    monkeypatch.undo()
    assert "Step 2/8" in only_text(await h.send("JD"))  # still at step 1, the form goes on


async def test_form_and_pending_import_survive_a_restart(tmp_path: Path) -> None:
    """The guided form, an import waiting for Apply and the search page tokens live in the
    store's own SQLite file (bot.telegram.persistence), so a restart loses none of them."""
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as first:
        first.user = dict(ADMIN)
        files = Files(first)
        assert "step 1/8" in only_text(await first.send("/addfact"))
        assert "Step 2/8" in only_text(await first.send("JD"))
        doc = json.loads(unzipped(await _export(first, files))[1])
        doc["facts"][0]["summary"] = "Changed across a restart."
        [dry] = sent(await first.process(files.document(first, "edited.json", json.dumps(doc).encode())))
        assert "Dry run" in dry.text
        await first.app.update_persistence()  # what Application.stop does on SIGTERM
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as second:
        second.user = dict(ADMIN)
        second.rec.messages.update(first.rec.messages)  # the chat still shows the old messages
        [kind] = sent(await second.send("tenpay"))  # the form goes on at step 2
        assert "Step 3/8" in kind.text, kind.text
        [applied] = sent(await second.press(dry, "✅ Apply import"))
        assert "Imported" in applied.text and "1 updated" in applied.text


async def _export(h: Harness, files: Files) -> bytes:
    await h.send("/export")
    return next(data for name, data in files.sent if name.endswith(".json.zip"))
