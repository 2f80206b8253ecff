"""What the bot's admins do, against one real bot process, and what other users see right after.

Every admin journey writes a pair that has no record in the seed (Temu × BirdyChat, ...), so the
journeys share the module's bot and database without seeing each other's facts.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile

from .harness import (
    BOT_USERNAME,
    OWNER_IDS,
    REPLY_TIMEOUT,
    BotProcess,
    button,
    buttons,
    links,
    press,
    press_for_edit,
    press_for_message,
    replies_in,
    say_group,
    say_private,
    visible,
)

NO_RECORD = "❔ No record between"
REFUSED = "is for the bot's admins only"


def fact_line(subject: str, obj: str, url: str, *, kind: str = "messaging", status: str = "live") -> str:
    return (f"/addfact {subject} | {obj} | {kind} | {status} | 2025-03 | "
            f"E2E: {subject} and {obj} were linked in March 2025. | {url} | E2E source")


async def test_one_line_addfact_is_visible_to_another_user_at_once(bot: BotProcess) -> None:
    fake, admin, reader = bot.fake, OWNER_IDS[0], 300_001
    before = await say_private(fake, reader, "/check temu birdychat")
    assert visible(before).startswith(NO_RECORD), visible(before)

    url = "https://example.org/e2e/temu-birdychat"
    saved = await say_private(fake, admin, fact_line("Temu", "BirdyChat", url))
    assert visible(saved).startswith("✅ Saved as fact #"), visible(saved)
    assert url in links(saved)

    after = await say_private(fake, reader, "/check temu birdychat")
    assert visible(after).startswith("✅ Yes: Temu × BirdyChat"), visible(after)[:200]
    assert url in links(after)
    assert "E2E: Temu and BirdyChat were linked in March 2025." in visible(after)


async def test_non_admin_is_refused_and_nothing_changes(bot: BotProcess) -> None:
    fake, stranger = bot.fake, 300_010
    url = "https://example.org/e2e/pdd-whatsapp"
    refused = await say_private(fake, stranger, fact_line("Pinduoduo", "WhatsApp", url))
    assert REFUSED in visible(refused) and "/addfact" in visible(refused), visible(refused)
    guided = await say_private(fake, stranger, "/addfact")
    assert REFUSED in visible(guided), visible(guided)
    exported = await say_private(fake, stranger, "/export")
    assert REFUSED in visible(exported), visible(exported)

    since = fake.mark()
    fake.upload_document(stranger, stranger, "evil.json", b'{"companies": [], "facts": []}',
                         caption="/import")
    imported = await fake.await_for_message(stranger, since=since, timeout=REPLY_TIMEOUT)
    assert REFUSED in visible(imported), visible(imported)
    assert not [c for c in fake.calls[since:] if c.method == "getFile"], "it fetched a non-admin's upload"
    assert not [d for d in fake.documents if d["chat_id"] == stranger]

    check = await say_private(fake, stranger, "/check pinduoduo whatsapp")
    assert visible(check).startswith(NO_RECORD), visible(check)


async def test_guided_addfact_form_with_buttons_through_save(bot: BotProcess) -> None:
    fake, admin, reader = bot.fake, OWNER_IDS[1], 300_020
    step1 = await say_private(fake, admin, "/addfact")
    assert "step 1/8" in visible(step1), visible(step1)
    step2 = await say_private(fake, admin, "Xiaohongshu")
    assert "Step 2/8" in visible(step2), visible(step2)

    step3 = await say_private(fake, admin, "whatsapp")
    assert "Step 3/8" in visible(step3), visible(step3)
    step4 = await press_for_message(fake, step3, button(step3, "Messaging"), admin, contains="Step 4/8")
    assert "kind: messaging" in visible(fake.message(admin, step3["message_id"]))  # the choice stays visible
    assert [label for label, _ in buttons(step4)] == ["✅ live", "🟡 partial", "🕓 announced", "⛔ ended"]
    step5 = await press_for_message(fake, step4, button(step4, "announced"), admin, contains="Step 5/8")

    step6 = await say_private(fake, admin, "2025-06")
    assert "Step 6/8" in visible(step6), visible(step6)
    step7 = await say_private(fake, admin, "E2E: Xiaohongshu said WhatsApp sharing is coming.")
    assert "Step 7/8" in visible(step7), visible(step7)
    step8 = await say_private(fake, admin, "-")  # not partial: the note may be skipped
    assert "Step 8/8" in visible(step8), visible(step8)
    url = "https://example.org/e2e/xhs-whatsapp"
    preview = await say_private(fake, admin, f"{url} The E2E announcement")
    assert "Please check the new fact" in visible(preview), visible(preview)
    assert "Xiaohongshu" in visible(preview) and "WhatsApp" in visible(preview)
    assert url in links(preview)

    middle = await say_private(fake, reader, "/check xiaohongshu whatsapp")
    assert visible(middle).startswith(NO_RECORD), "the preview must not save anything"

    saved = await press_for_edit(fake, preview, button(preview, "Save"), admin, contains="Saved as fact")
    assert visible(saved).startswith("✅ Saved as fact #"), visible(saved)
    assert not buttons(saved)
    assert step5["message_id"] < preview["message_id"]

    after = await say_private(fake, reader, "/check xiaohongshu whatsapp")
    headline = visible(after).split("\n", 1)[0]  # a 2025-06 announcement: over 6 months old today
    assert headline == "🕓 Announced in Jun 2025; no launch reported since: Xiaohongshu × WhatsApp", headline
    assert url in links(after)


async def test_guided_form_typed_ahead_without_waiting_for_prompts(bot: BotProcess) -> None:
    """A fast admin (or a burst after a network hiccup): answers arrive before the prompts do.

    Each answer, and the button press ahead of them, must be read in the state the previous one
    left, so the updates of one user in one chat have to be handled in order.
    """
    fake, admin, reader = bot.fake, OWNER_IDS[4], 300_040
    since = fake.mark()
    for text in ("/addfact", "Douyin", "BirdyChat"):
        fake.private_message(admin, text)
    step3 = await fake.await_for_message(admin, contains="Step 3/8", since=since, timeout=REPLY_TIMEOUT)
    url = "https://example.org/e2e/douyin-birdychat"
    fake.press_button(admin, step3["message_id"], button(step3, "Content"), user_id=admin)
    for text in ("partial", "2025-07", "E2E: Douyin clips can be shared to BirdyChat.",
                 "Opt-in clips only", url):  # a partial fact's note is step 7
        fake.private_message(admin, text)
    preview = await fake.await_for_message(admin, contains="Please check the new fact", since=since,
                                           timeout=REPLY_TIMEOUT)
    saved = await press_for_edit(fake, preview, button(preview, "Save"), admin, contains="Saved as fact")
    assert visible(saved).startswith("✅ Saved as fact #"), visible(saved)
    assert "shares content with" in visible(saved), visible(saved)
    replies = [visible(c.result) for c in replies_in(fake, admin, since)]
    assert not [r for r in replies if "send it again" in r], replies

    after = await say_private(fake, reader, "/check douyin birdychat")
    assert visible(after).startswith("🟡 Partly: Douyin × BirdyChat"), visible(after)[:200]
    assert url in links(after)


async def test_form_answers_are_not_read_as_questions(bot: BotProcess) -> None:
    """While the form is open, "jd alipay" is a subject name, not a question to answer."""
    fake, admin = bot.fake, OWNER_IDS[2]
    await say_private(fake, admin, "/addfact")
    since = fake.mark()
    reply = await say_private(fake, admin, "jd")
    assert "Step 2/8" in visible(reply), visible(reply)
    cancelled = await say_private(fake, admin, "/cancel")
    assert "Cancelled" in visible(cancelled), visible(cancelled)
    texts = [visible(c.result) for c in replies_in(fake, admin, since)]
    assert not any("JD.com ×" in text for text in texts), texts
    question = await say_private(fake, admin, "jd alipay")  # the form is closed: a question again
    assert visible(question).startswith("🟡 Partly: JD.com × Alipay")


async def test_export_then_import_with_dry_run_and_confirm(bot: BotProcess) -> None:
    fake, admin, reader = bot.fake, OWNER_IDS[3], 300_030
    since = fake.mark()
    fake.private_message(admin, "/export")
    await fake.await_for(lambda c: c.ok and c.method == "sendDocument" and c.params["chat_id"] == admin
                         and c.result["document"]["file_name"].endswith(".csv.zip"),
                         REPLY_TIMEOUT, since=since)
    # Zipped (Telegram takes at most 50 MB per upload); the zips would go back in as they are.
    docs = {d["filename"].removesuffix(".zip").rsplit(".", 1)[-1]: d for d in fake.documents
            if d["chat_id"] == admin}
    assert set(docs) == {"json", "csv"}, list(docs)
    for doc in docs.values():
        assert doc["caption"] and doc["caption"].startswith("Full export"), doc["caption"]
        with zipfile.ZipFile(io.BytesIO(doc["content"])) as archive:
            [member] = archive.namelist()
            doc["content"] = archive.read(member)

    exported = json.loads(docs["json"]["content"])
    assert {"companies", "facts"} <= set(exported)
    assert "cn-jd-alipay-2024-live" in {f.get("key") for f in exported["facts"]}
    rows = list(csv.DictReader(io.StringIO(docs["csv"]["content"].decode("utf-8-sig"))))
    assert {r["record"] for r in rows} == {"company", "fact"}
    assert len([r for r in rows if r["record"] == "fact"]) == len(exported["facts"])

    # The CSV comes back unchanged: the dry run says so and offers nothing to apply.
    same = await _upload(bot, admin, "export.csv", docs["csv"]["content"])
    assert "Dry run" in visible(same) and "0 new, 0 updated" in visible(same), visible(same)
    assert "Nothing would change" in visible(same) and not buttons(same)

    url = "https://example.org/e2e/meituan-birdychat"
    exported["facts"].append({
        "key": "e2e-meituan-birdychat", "subject": "Meituan", "object": "BirdyChat", "kind": "messaging",
        "status": "partial", "date": "2025-04", "summary": "E2E: Meituan support reachable from BirdyChat.",
        "note": "support chats only", "sources": [{"url": url, "title": "E2E import source"}],
    })
    dry = await _upload(bot, admin, "e2e-import.json", json.dumps(exported).encode())
    assert "Dry run" in visible(dry) and "1 new, 0 updated" in visible(dry), visible(dry)
    assert "Apply it?" in visible(dry)
    not_yet = await say_private(fake, reader, "/check meituan birdychat")
    assert visible(not_yet).startswith(NO_RECORD), "the dry run must not write"

    applied = await press_for_edit(fake, dry, button(dry, "Apply import"), admin, contains="Imported")
    assert "1 new, 0 updated" in visible(applied) and not buttons(applied), visible(applied)
    after = await say_private(fake, reader, "/check meituan birdychat")
    assert visible(after).startswith("🟡 Partly: Meituan × BirdyChat"), visible(after)[:200]
    assert url in links(after)


async def _upload(bot: BotProcess, user: int, filename: str, content: bytes) -> dict[str, object]:
    """The admin sends a file with the caption /import; returns the bot's (dry-run) reply."""
    since = bot.fake.mark()
    mime = "text/csv" if filename.endswith(".csv") else "application/json"
    bot.fake.upload_document(user, user, filename, content, caption="/import", mime_type=mime)
    return await bot.fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT)


async def test_guided_form_in_a_privacy_mode_group_works_by_replying(bot: BotProcess) -> None:
    """In a group the bot only sees replies to itself, so each text step asks for a forced reply."""
    fake, admin, chat, reader = bot.fake, OWNER_IDS[0], -100_500_600_700, 300_050
    since = fake.mark()
    prompt = await say_group(fake, chat, admin, f"/addfact@{BOT_USERNAME}")
    assert "step 1/8" in visible(prompt)
    (call,) = replies_in(fake, chat, since)
    assert call.params["reply_markup"].get("force_reply") is True

    hidden = len(fake.undelivered)
    fake.group_message(chat, admin, "Ele.me")  # not a reply: privacy mode keeps it from the bot
    assert len(fake.undelivered) == hidden + 1
    prompt = await say_group(fake, chat, admin, "Ele.me", reply_to_message_id=prompt["message_id"])
    assert "Step 2/8" in visible(prompt), visible(prompt)
    kinds = await say_group(fake, chat, admin, "BirdyChat", reply_to_message_id=prompt["message_id"])
    statuses = await press_for_message(fake, kinds, button(kinds, "Logistics"), admin, contains="Step 4/8")
    prompt = await press_for_message(fake, statuses, button(statuses, "ended"), admin, contains="Step 5/8")
    for text in ("2023-11-02", "E2E: Ele.me stopped BirdyChat delivery updates.", "-",
                 "https://example.org/e2e/eleme-birdychat"):
        prompt = await say_group(fake, chat, admin, text, reply_to_message_id=prompt["message_id"])
    assert "Please check the new fact" in visible(prompt), visible(prompt)

    refused = await press(fake, prompt, button(prompt, "Save"), reader)  # a bystander taps Save
    assert buttons(refused) == buttons(prompt)
    assert "admins only" in (fake.answers_to_callbacks[-1].get("text") or "")
    saved = await press_for_edit(fake, prompt, button(prompt, "Save"), admin, contains="Saved as fact")
    assert visible(saved).startswith("✅ Saved as fact #")

    after = await say_group(fake, chat, reader, "/check eleme birdychat")
    assert visible(after).startswith("⛔ No longer: Ele.me × BirdyChat"), visible(after)[:200]


async def test_anonymous_group_admin_cannot_run_admin_commands(bot: BotProcess) -> None:
    """Posting as the group hides who sent it, so nobody's rights can be checked."""
    fake, chat = bot.fake, -100_500_600_701
    since = fake.mark()
    group = {"id": chat, "type": "supergroup", "title": "Interop Test Group"}
    fake.group_message(chat, OWNER_IDS[0], "/export", sender_chat=group)
    reply = await fake.await_for_message(chat, since=since, timeout=REPLY_TIMEOUT)
    assert "anonymous admin" in visible(reply), visible(reply)
    assert not [c for c in fake.calls[since:] if c.method == "sendDocument"]
