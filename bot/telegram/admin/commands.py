"""The one-line admin commands: /addfact with arguments, facts, companies, admins, imports, backups."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime

from telegram import InlineKeyboardMarkup, InputFile, Update
from telegram.ext import ApplicationHandlerStop

from bot.admin import (
    Access,
    Editor,
    parse_addsource,
    parse_company_line,
    parse_edit,
    parse_fact_id,
    parse_fact_line,
    parse_user_id,
)
from bot.dataset import MAX_IMPORT_BYTES
from bot.domain import ValidationError
from bot.render import (
    HTML,
    paginate,
    render_admin_change,
    render_alias,
    render_company_added,
    render_fact_reply,
    render_history,
    render_import_report,
    render_roster,
    sentence,
)
from bot.telegram.admin import files
from bot.telegram.admin.common import IMPORT_CAPTION, actor_of, button, command, editor_for, send_reply
from bot.telegram.admin.pending import Pending, remember, save_fields
from bot.telegram.context import BotContext
from bot.texts import t

ADMIN_COMMANDS: list[tuple[str, str]] = [
    (name, t(f"cmd.{name}")) for name in (
        "addfact", "editfact", "addsource", "retract", "restore", "verify", "history", "addcompany", "alias",
        "unalias", "import", "export", "admins", "grant", "revoke", "backup", "stale")
]
IMPORT_SUFFIXES = (".json", ".csv", ".zip")


async def addfact_line(update: Update, context: BotContext, editor: Editor,
                       args: str) -> None:
    """/addfact S | O | KIND | STATUS | DATE | SUMMARY | URL [| TITLE]: saves at once."""
    user = update.effective_user
    assert user is not None
    text, markup = await save_fields(update, context, editor, parse_fact_line(args), user.id)
    await send_reply(update, text, markup)


async def addsource(update: Update, context: BotContext, editor: Editor,
                    args: str) -> None:
    """/addsource FACT_ID URL [TITLE] [| quote: EXCERPT]."""
    fact_id, url, title, quote = parse_addsource(args)
    view = await editor.add_source(fact_id, url, title, actor_of(update), quote)
    await send_reply(update, render_fact_reply("source_added", view))


async def editfact(update: Update, context: BotContext, editor: Editor,
                   args: str) -> None:
    """/editfact FACT_ID FIELD VALUE."""
    fact_id, field, value = parse_edit(args)
    view = await editor.edit_fact(fact_id, field, value, actor_of(update))
    await send_reply(update, render_fact_reply("edited", view, field=field))


async def retract(update: Update, context: BotContext, editor: Editor,
                  args: str) -> None:
    """/retract FACT_ID: shows the fact and asks for a confirming press."""
    user = update.effective_user
    assert user is not None
    text, markup = await retract_prompt(editor, parse_fact_id(args), user.id)
    await send_reply(update, text, markup)


async def retract_prompt(editor: Editor, fact_id: int, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    """The fact and its Retract / Keep buttons, for ``user_id`` alone to press (/retract, /stale)."""
    fact = await editor.fact(fact_id)
    if fact.retracted:
        raise ValidationError("error.already_retracted", id=fact_id)
    markup = InlineKeyboardMarkup([[
        button(t("admin.button.retract", id=fact_id), f"a:ret:{fact_id}:{user_id}"),
        button(t("admin.button.keep"), f"a:keep:{fact_id}:{user_id}")]])
    view = editor.interop.view(fact)
    return render_fact_reply("retract_confirm", view), markup


async def restore(update: Update, context: BotContext, editor: Editor,
                  args: str) -> None:
    """/restore FACT_ID: undo a retraction (refused if it would duplicate a live fact)."""
    fact_id = parse_fact_id(args)
    view = await editor.restore(fact_id, actor_of(update))
    await send_reply(update, render_fact_reply("restored", view))


async def verify(update: Update, context: BotContext, editor: Editor,
                 args: str) -> None:
    """/verify FACT_ID: an admin confirmed the fact today (answers say "checked <date>"); audited."""
    fact_id = parse_fact_id(args)
    view = await editor.verify(fact_id, actor_of(update), today=context.today())
    await send_reply(update, render_fact_reply("verified", view))


async def history(update: Update, context: BotContext, editor: Editor,
                  args: str) -> None:
    """/history FACT_ID: who changed what, and when, as field diffs."""
    fact_id = parse_fact_id(args)
    for page in paginate(render_history(fact_id, await editor.history(fact_id)))[:5]:
        await send_reply(update, page)


async def addcompany(update: Update, context: BotContext, editor: Editor,
                     args: str) -> None:
    """/addcompany NAME [| PARENT] [| KIND]: indexed at once, so /check finds it."""
    name, parent, kind = parse_company_line(args)
    company = await editor.add_company(name, parent, kind, actor_of(update))
    group = editor.interop.company(company.parent_id) if company.parent_id is not None else None
    await send_reply(update, render_company_added(company, group))


async def alias(update: Update, context: BotContext, editor: Editor,
                args: str) -> None:
    """/alias COMPANY ALIAS."""
    if not args:
        raise ValidationError("error.need_company_alias")
    company, alias = await editor.add_alias(args, actor_of(update))
    await send_reply(update, render_alias(company, alias, added=True))


async def unalias(update: Update, context: BotContext, editor: Editor,
                  args: str) -> None:
    """/unalias COMPANY ALIAS."""
    if not args:
        raise ValidationError("error.need_company_alias")
    company, alias = await editor.remove_alias(args, actor_of(update))
    await send_reply(update, render_alias(company, alias, added=False))


async def grant(update: Update, context: BotContext, editor: Editor,
                args: str) -> None:
    """/grant USER_ID (owners)."""
    user_id = parse_user_id(args)
    changed = await editor.grant(user_id, actor_of(update))
    await send_reply(update, render_admin_change(user_id, granted=True, changed=changed))


async def revoke(update: Update, context: BotContext, editor: Editor,
                 args: str) -> None:
    """/revoke USER_ID (owners)."""
    user_id = parse_user_id(args)
    changed = await editor.revoke(user_id, actor_of(update))
    await send_reply(update, render_admin_change(user_id, granted=False, changed=changed))


async def admins(update: Update, context: BotContext, editor: Editor,
                 args: str) -> None:
    """/admins: owners and granted admins."""
    await send_reply(update, render_roster(await editor.roster()))


async def backup(update: Update, context: BotContext, editor: Editor,
                 args: str) -> None:
    """/backup (owners): a consistent SQLite copy, zipped off the loop, sent, then deleted here."""
    message = update.effective_message
    assert message is not None
    path = await editor.backup()
    try:
        archive = await files.backup_archive(path)
    finally:
        await asyncio.to_thread(shutil.rmtree, path.parent, True)
    if archive.too_big:
        await send_reply(update, HTML.t("admin.too_big_to_send", what=archive.member,
                                        size=f"{archive.size / 2**20:.0f}",
                                        limit=files.TELEGRAM_UPLOAD_LIMIT // 2**20,
                                        command="python -m bot export FILE.json"))
        return
    at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    await message.reply_document(InputFile(archive.data, filename=archive.filename),
                                 caption=HTML.t("admin.backup.caption", at=at), do_quote=False)


async def export(update: Update, context: BotContext, editor: Editor,
                 args: str) -> None:
    """/export: the whole store as zipped JSON and CSV documents; /import takes either back."""
    message = update.effective_message
    assert message is not None
    counts = await editor.store.counts()
    for archive in await files.export_archives(editor.store):
        if archive.too_big:
            await send_reply(update, HTML.t("admin.too_big_to_send", what=archive.member,
                                            size=f"{archive.size / 2**20:.0f}",
                                            limit=files.TELEGRAM_UPLOAD_LIMIT // 2**20,
                                            command=f"python -m bot export {archive.member}"))
            continue
        caption = HTML.t("admin.export.caption", fmt=archive.member.rsplit(".", 1)[-1].upper(),
                         companies=counts["companies"], facts=counts["facts_all"])
        await message.reply_document(InputFile(archive.data, filename=archive.filename),
                                     caption=caption, do_quote=False)


async def import_(update: Update, context: BotContext, editor: Editor,
                  args: str) -> None:
    """/import as a file's caption, or as a reply to a file: dry run first, then a Confirm button."""
    message = update.effective_message
    assert message is not None
    document = message.document
    if document is None and message.reply_to_message is not None:
        document = message.reply_to_message.document
    if document is None:
        await send_reply(update, HTML.t("admin.import.need_file"))
        return
    name = document.file_name or "import"
    if not name.lower().endswith(IMPORT_SUFFIXES):
        await send_reply(update, HTML.t("admin.import.wrong_type", name=name))
        return
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        await send_reply(update, HTML.t("admin.import.too_big", size=f"{document.file_size / 2**20:.1f}",
                                        limit=MAX_IMPORT_BYTES // 2**20))
        return  # refused before asking Telegram for the file at all
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    try:
        name, data = await files.unzip_import(name, data)  # /export sends zips
        report = await editor.preview_import(name, data, actor_of(update))
    except ValidationError as exc:
        await send_reply(update, HTML.t("admin.import.bad_file", name=name, error=sentence(str(exc))))
        return
    text = render_import_report(report, name)
    if report.blocked:
        await send_reply(update, text)
        return
    if report.changes == 0:
        await send_reply(update, text + "\n\n" + HTML.t("admin.import.nothing"))
        return
    user = update.effective_user
    assert user is not None
    token = remember(context, Pending(user.id, time.time(), filename=name, data=data))
    markup = InlineKeyboardMarkup([[button(t("admin.button.apply"), f"a:imp:{token}"),
                                    button(t("admin.button.cancel"), f"a:drop:{token}")]])
    await send_reply(update, text + "\n\n" + HTML.t("admin.import.confirm"), markup)


import_command = command("import", import_)


async def import_caption(update: Update, context: BotContext) -> None:
    """A file with the caption /import (or /import@ThisBot; /import@OtherBot is not ours)."""
    message = update.effective_message
    assert message is not None and message.caption is not None
    match = IMPORT_CAPTION.match(message.caption)
    addressee = (match.group(1) or "").lstrip("@").lower() if match else ""
    if addressee and addressee != (context.bot.username or "").lower():
        return
    await import_command(update, context)


async def cancel_outside(update: Update, context: BotContext) -> None:
    """/cancel with no form open: tell admins; leave everyone else's /cancel alone."""
    user = update.effective_user
    if user is not None and await editor_for(context).access(user.id) is not Access.NONE:
        await send_reply(update, HTML.t("admin.nothing_to_cancel"))
        raise ApplicationHandlerStop
