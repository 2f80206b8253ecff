"""Admin commands in Telegram: rights on every entry point, one-line commands, the guided /addfact
form, confirm buttons, /import with a dry run, /export and /backup.

Handlers only read the update, check rights, call ``bot.admin.Editor`` and format what it
returns; all validation and every write live there. Rights are checked again on EVERY command,
form step and button press, because a grant can be revoked at any moment and anyone in a group
can press a button. Every handler here runs in group ``ADMIN_GROUP`` (before the user handlers)
and stops the update afterwards, so an admin's form answer is never also read as a question.

Callback data (all under the ``a:`` prefix, all far below 64 bytes):

=============================  ==================================================
``a:new:<token>``              create the unknown company of a pending /addfact
``a:pick:<token>:<company>``   use this existing company instead
``a:drop:<token>``             forget a pending /addfact or /import
``a:imp:<token>``              apply a pending /import (its bytes sit in bot_data)
``a:ret:<fact>:<uid>``         confirm /retract; ``a:keep:<fact>:<uid>`` keeps it
``a:fk:<kind>`` ``a:fs:<st>``  guided form: kind and status choices
``a:fnew`` ``a:fpick:<id>``    guided form: create or pick an unknown company
``a:fsave`` ``a:fcancel``      guided form: save or cancel the preview
=============================  ==================================================
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import secrets
import shutil
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.admin import (
    Access,
    Editor,
    FactFields,
    UnknownCompany,
    actor_label,
    parse_addsource,
    parse_company_line,
    parse_edit,
    parse_fact_id,
    parse_fact_line,
    parse_user_id,
)
from bot.answers import Interop
from bot.config import Settings
from bot.dataset import MAX_IMPORT_BYTES
from bot.domain import (
    Conflict,
    Fact,
    FactView,
    InteropError,
    InvalidValue,
    Kind,
    Status,
    ValidationError,
    parse_fact_date,
)
from bot.render import (
    HTML,
    MAX_CANDIDATES,
    paginate,
    render_error,
    render_fact_card,
    render_history,
    render_import_report,
    render_roster,
    sentence,
)
from bot.rules import MAX_SUMMARY, clean_source, clean_summary
from bot.store import FactDraft
from bot.texts import t

log = logging.getLogger(__name__)

ADMIN_COMMANDS: list[tuple[str, str]] = [
    (name, t(f"cmd.{name}")) for name in (
        "addfact", "editfact", "addsource", "retract", "restore", "history", "addcompany", "alias",
        "unalias", "import", "export", "admins", "grant", "revoke", "backup")
]

ADMIN_GROUP = -1  # before the user handlers in group 0
"""Before the user handlers (group 0), so form answers and admin verbs are never read as questions."""
INTEROP = "interop"  # bot_data key of the Interop (see bot.telegram.callbacks)
PENDING = "admin_pending"  # bot_data key: token -> Pending
FORM = "admin_form"  # user_data key: the guided form's fields so far
MAX_PENDING = 200
PENDING_TTL = 3600.0
FORM_TIMEOUT = 600.0
IMPORT_SUFFIXES = (".json", ".csv")
IMPORT_CAPTION = re.compile(r"^/import(@\w+)?(\s|$)", re.IGNORECASE)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NEW = filters.UpdateType.MESSAGE
# A command body: the update, the context, an Editor acting for the sender, and the arguments.
AdminCommand = Callable[[Update, ContextTypes.DEFAULT_TYPE, Editor, str], Awaitable[None]]
"""Not edits: editing an old /retract or form answer must not run it again."""

SUBJECT, OBJECT, KIND, STATUS, DATE, SUMMARY, SOURCE, CONFIRM = range(8)
_FORM_STEPS = {SUBJECT: "subject", OBJECT: "object", KIND: "kind", STATUS: "status", DATE: "date",
               SUMMARY: "summary", SOURCE: "source"}

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Pending:
    """Something an admin must confirm with a button: a /addfact with an unknown name, or an import."""

    user_id: int
    created: float
    fields: FactFields | None = None
    filename: str = ""
    data: bytes = b""


def _e(value: object) -> str:
    """A plain sentence or value as HTML text, escaped exactly once (``Html`` passes unchanged)."""
    return HTML.text(value)


def _actor(update: Update) -> str:
    user = update.effective_user
    assert user is not None
    return actor_label(user.id, f"@{user.username}" if user.username else user.full_name)


def _args(message: Message) -> str:
    """The text after ``/command``, keeping "|" and spacing as typed (context.args splits on spaces)."""
    text = message.text or message.caption or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


fact_card = render_fact_card
error_text = render_error
report_text = render_import_report
history_blocks = render_history


def ends_update(handler: Handler) -> Handler:
    """Whatever happens in an admin handler, the update ends there.

    PTB hands an exception to the error handler and then goes on to the next group, so a failed
    form step would be answered again as a user question. Here the error handler still hears of
    it (and tells the admin), and the update stops; a form stays in the step it was in.
    """

    @functools.wraps(handler)
    async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        try:
            return await handler(update, context)
        except ApplicationHandlerStop:
            raise
        except Exception as exc:
            await context.application.process_error(update, exc)
            raise ApplicationHandlerStop(None) from exc

    return run


# -- sending --------------------------------------------------------------------------------


async def _reply(update: Update, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None,
                 ) -> Message | None:
    """Answer in the update's chat: quoting the command in groups, plainly in private chats."""
    message = update.effective_message
    if message is None:
        return None
    quote = None
    if message.chat.type != ChatType.PRIVATE:
        quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
    return await message.reply_text(str(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                                    link_preview_options=NO_PREVIEW, reply_parameters=quote,
                                    do_quote=None if quote else False)


async def _edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the message the button was on; "not modified" is not an error."""
    try:
        await query.edit_message_text(str(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                                      link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64, data
    return InlineKeyboardButton(text, callback_data=data)


# -- the handlers ---------------------------------------------------------------------------


class AdminBot:
    """Every admin handler, sharing the owners from settings; the Interop comes from bot_data."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._import_command = self.command("import", self.import_)

    def editor(self, context: ContextTypes.DEFAULT_TYPE) -> Editor:
        interop: Interop = context.bot_data[INTEROP]
        return Editor(interop, self.settings.admin_ids)

    # -- rights ---------------------------------------------------------------------------

    async def refusal(self, update: Update, context: ContextTypes.DEFAULT_TYPE, need: Access,
                      command: str) -> str | None:
        """Why this sender may not run ``command`` (HTML), or None when they may."""
        message = update.effective_message
        if message is not None and message.sender_chat is not None:
            return HTML.t("admin.anonymous")  # posting as the group (or a channel): nobody to check
        user = update.effective_user
        access = await self.editor(context).access(user.id if user else None)
        if access >= need:
            return None
        key = "admin.owners_only" if need is Access.OWNER and access is Access.ADMIN else "admin.refused"
        return t(key, command=command)

    async def button_allowed(self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE,
                             owner: int | None = None) -> bool:
        """Re-check on every press; a refused press gets a polite toast and writes nothing."""
        if await self.editor(context).access(query.from_user.id) is Access.NONE:
            await query.answer(t("admin.button_refused"), show_alert=True)
            return False
        if owner is not None and owner != query.from_user.id:
            await query.answer(t("admin.button_not_yours"), show_alert=True)
            return False
        return True

    def command(self, name: str, body: AdminCommand,
                need: Access = Access.ADMIN, usage: str | None = None) -> Handler:
        """Wrap a command body: refuse anonymous senders and non-admins, turn errors into replies."""

        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            assert message is not None
            try:
                refused = await self.refusal(update, context, need, f"/{name}")
                if refused:
                    await _reply(update, refused)
                else:
                    await body(update, context, self.editor(context), _args(message))
            except InteropError as exc:
                await _reply(update, error_text(exc, usage))
            raise ApplicationHandlerStop

        run.__doc__ = body.__doc__
        return ends_update(run)

    # -- pending confirmations ------------------------------------------------------------

    @staticmethod
    def _pending(context: ContextTypes.DEFAULT_TYPE) -> OrderedDict[str, Pending]:
        store = context.bot_data.get(PENDING)
        if not isinstance(store, OrderedDict):
            store = context.bot_data[PENDING] = OrderedDict()
        now = time.monotonic()
        for token in [k for k, p in store.items() if now - p.created > PENDING_TTL]:
            del store[token]
        return store

    def remember(self, context: ContextTypes.DEFAULT_TYPE, pending: Pending) -> str:
        store = self._pending(context)
        token = secrets.token_urlsafe(6)
        store[token] = pending
        while len(store) > MAX_PENDING:
            store.popitem(last=False)
        return token

    # -- /addfact (one line) and unknown names --------------------------------------------

    async def save_fields(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                          fields: FactFields, user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
        """Validate and store; an unknown name comes back as create/pick buttons, kept under a token."""
        try:
            view = await editor.add_fact(editor.draft(fields), _actor(update))
        except UnknownCompany as exc:
            token = self.remember(context, Pending(user_id, time.monotonic(), fields=fields))
            rows = [[_button(t("admin.button.create", name=exc.name[:40]), f"a:new:{token}")]]
            rows += [[_button(c.company.name, f"a:pick:{token}:{c.company.id}")]
                     for c in exc.candidates[:MAX_CANDIDATES]]
            rows.append([_button(t("admin.button.cancel"), f"a:drop:{token}")])
            hint = "admin.create_or_pick" if exc.candidates else "admin.create_only"
            text = HTML.t("admin.unknown_company", role=exc.role, name=exc.name) + "\n" + HTML.t(hint)
            return text, InlineKeyboardMarkup(rows)
        except Conflict as exc:
            if exc.existing_id is not None:
                return HTML.t("admin.duplicate", id=exc.existing_id), None
            raise
        return HTML.t("admin.fact_saved", id=view.fact.id) + "\n\n" + fact_card(view), None

    async def addfact_line(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                           args: str) -> None:
        """/addfact S | O | KIND | STATUS | DATE | SUMMARY | URL [| TITLE]: saves at once."""
        user = update.effective_user
        assert user is not None
        text, markup = await self.save_fields(update, context, editor, parse_fact_line(args), user.id)
        await _reply(update, text, markup)

    async def name_chosen(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """a:new / a:pick / a:drop: create or pick the company, then try the pending /addfact again."""
        query = update.callback_query
        assert query is not None and query.data is not None
        parts = query.data.split(":")
        pending = self._pending(context).get(parts[2]) if len(parts) >= 3 else None
        if not await self.button_allowed(query, context, pending.user_id if pending else None):
            raise ApplicationHandlerStop
        if pending is None or pending.fields is None:
            await query.answer(t("admin.button_stale"), show_alert=True)
            raise ApplicationHandlerStop
        editor = self.editor(context)
        fields = pending.fields
        try:
            if parts[1] == "drop":
                del self._pending(context)[parts[2]]
                await query.answer()
                await _edit(query, HTML.t("admin.cancelled"))
                raise ApplicationHandlerStop
            try:
                editor.draft(fields)
                role, name = "", ""
            except UnknownCompany as exc:
                role, name = exc.role, exc.name
            if role:
                if parts[1] == "new":
                    company = await editor.add_company(name, "", "", _actor(update))
                else:
                    picked = editor.interop.resolver.company(int(parts[3]))
                    if picked is None:
                        await query.answer(t("admin.button_stale"), show_alert=True)
                        raise ApplicationHandlerStop
                    company = picked
                fields = replace(fields, **{role: company.name})
            del self._pending(context)[parts[2]]
            text, markup = await self.save_fields(update, context, editor, fields, query.from_user.id)
        except InteropError as exc:
            text, markup = error_text(exc, "addfact"), None
        await query.answer()
        await _edit(query, text, markup)
        raise ApplicationHandlerStop

    # -- one-line fact commands -----------------------------------------------------------

    async def addsource(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                        args: str) -> None:
        """/addsource FACT_ID URL [TITLE]."""
        fact_id, url, title = parse_addsource(args)
        view = await editor.add_source(fact_id, url, title, _actor(update))
        await _reply(update, HTML.t("admin.source_added", id=fact_id) + "\n\n" + fact_card(view))

    async def editfact(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                       args: str) -> None:
        """/editfact FACT_ID FIELD VALUE."""
        fact_id, field, value = parse_edit(args)
        view = await editor.edit_fact(fact_id, field, value, _actor(update))
        await _reply(update, HTML.t("admin.edited", id=fact_id, field=field) + "\n\n" + fact_card(view))

    async def retract(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                      args: str) -> None:
        """/retract FACT_ID: shows the fact and asks for a confirming press."""
        fact_id = parse_fact_id(args)
        fact = await editor.fact(fact_id)
        if fact.retracted:
            raise ValidationError(f"fact #{fact_id} is already retracted")
        user = update.effective_user
        assert user is not None
        markup = InlineKeyboardMarkup([[
            _button(t("admin.button.retract", id=fact_id), f"a:ret:{fact_id}:{user.id}"),
            _button(t("admin.button.keep"), f"a:keep:{fact_id}:{user.id}")]])
        view = editor.interop.view(fact)
        await _reply(update, HTML.t("admin.retract_confirm", id=fact_id) + "\n\n" + fact_card(view), markup)

    async def retract_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """a:ret / a:keep: re-check rights, then retract (audited) or leave the fact alone."""
        query = update.callback_query
        assert query is not None and query.data is not None
        _, verb, fact_id, uid = query.data.split(":")
        if not await self.button_allowed(query, context, int(uid)):
            raise ApplicationHandlerStop
        if verb == "keep":
            text = HTML.t("admin.retract_kept", id=int(fact_id))
        else:
            try:
                await self.editor(context).retract(int(fact_id), _actor(update))
                text = HTML.t("admin.retracted", id=int(fact_id))
            except InteropError as exc:
                text = error_text(exc)
        await query.answer()
        await _edit(query, text)
        raise ApplicationHandlerStop

    async def restore(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                      args: str) -> None:
        """/restore FACT_ID: undo a retraction (refused if it would duplicate a live fact)."""
        fact_id = parse_fact_id(args)
        view = await editor.restore(fact_id, _actor(update))
        await _reply(update, HTML.t("admin.restored", id=fact_id) + "\n\n" + fact_card(view))

    async def history(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                      args: str) -> None:
        """/history FACT_ID: who changed what, and when, as field diffs."""
        fact_id = parse_fact_id(args)
        for page in paginate(history_blocks(fact_id, await editor.history(fact_id)))[:5]:
            await _reply(update, page)

    # -- companies ------------------------------------------------------------------------

    async def addcompany(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                         args: str) -> None:
        """/addcompany NAME [| PARENT] [| KIND]: indexed at once, so /check finds it."""
        name, parent, kind = parse_company_line(args)
        company = await editor.add_company(name, parent, kind, _actor(update))
        text = HTML.t("admin.company_added", name=HTML.b(company.name), id=company.id)
        if company.parent_id is not None:
            text += " " + HTML.t("admin.company_parent",
                               parent=editor.interop.company(company.parent_id).name)
        await _reply(update, text)

    async def alias(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                    args: str) -> None:
        """/alias COMPANY ALIAS."""
        if not args:
            raise ValidationError("please give a company and an alias")
        company, alias = await editor.add_alias(args, _actor(update))
        await _reply(update, HTML.t("admin.alias_added", company=HTML.b(company.name), alias=alias))

    async def unalias(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                      args: str) -> None:
        """/unalias COMPANY ALIAS."""
        if not args:
            raise ValidationError("please give a company and an alias")
        company, alias = await editor.remove_alias(args, _actor(update))
        await _reply(update, HTML.t("admin.alias_removed", company=HTML.b(company.name), alias=alias))

    # -- admins ---------------------------------------------------------------------------

    async def grant(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                    args: str) -> None:
        """/grant USER_ID (owners)."""
        user_id = parse_user_id(args)
        changed = await editor.grant(user_id, _actor(update))
        await _reply(update, HTML.t("admin.granted" if changed else "admin.already_admin",
                               user=HTML.code(user_id)))

    async def revoke(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                     args: str) -> None:
        """/revoke USER_ID (owners)."""
        user_id = parse_user_id(args)
        changed = await editor.revoke(user_id, _actor(update))
        await _reply(update, HTML.t("admin.revoked" if changed else "admin.not_admin",
                               user=HTML.code(user_id)))

    async def admins(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                     args: str) -> None:
        """/admins: owners and granted admins."""
        await _reply(update, render_roster(await editor.roster()))

    async def backup(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                     args: str) -> None:
        """/backup (owners): a consistent SQLite copy, sent as a document, then deleted here."""
        path = await editor.backup()
        try:
            data = await asyncio.to_thread(path.read_bytes)
            message = update.effective_message
            assert message is not None
            at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
            await message.reply_document(InputFile(data, filename=path.name),
                                         caption=HTML.t("admin.backup.caption", at=at), do_quote=False)
        finally:
            await asyncio.to_thread(shutil.rmtree, path.parent, True)

    # -- import / export ------------------------------------------------------------------

    async def export(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                     args: str) -> None:
        """/export: the whole store as a JSON and a CSV document; /import takes either back."""
        message = update.effective_message
        assert message is not None
        counts = await editor.store.counts()
        for file in await editor.export():
            caption = HTML.t("admin.export.caption", fmt=file.filename.rsplit(".", 1)[-1].upper(),
                        companies=counts["companies"], facts=counts["facts_all"])
            await message.reply_document(InputFile(file.data, filename=file.filename),
                                         caption=caption, do_quote=False)

    async def import_(self, update: Update, context: ContextTypes.DEFAULT_TYPE, editor: Editor,
                      args: str) -> None:
        """/import as a file's caption, or as a reply to a file: dry run first, then a Confirm button."""
        message = update.effective_message
        assert message is not None
        document = message.document
        if document is None and message.reply_to_message is not None:
            document = message.reply_to_message.document
        if document is None:
            await _reply(update, HTML.t("admin.import.need_file"))
            return
        name = document.file_name or "import"
        if not name.lower().endswith(IMPORT_SUFFIXES):
            await _reply(update, HTML.t("admin.import.wrong_type", name=name))
            return
        if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
            await _reply(update, HTML.t("admin.import.too_big", size=f"{document.file_size / 2**20:.1f}",
                                   limit=MAX_IMPORT_BYTES // 2**20))
            return  # refused before asking Telegram for the file at all
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        try:
            report = await editor.preview_import(name, data, _actor(update))
        except ValidationError as exc:
            await _reply(update, HTML.t("admin.import.bad_file", name=name, error=sentence(str(exc))))
            return
        text = report_text(report, name)
        if report.changes == 0:
            await _reply(update, text + "\n\n" + HTML.t("admin.import.nothing"))
            return
        user = update.effective_user
        assert user is not None
        token = self.remember(context, Pending(user.id, time.monotonic(), filename=name, data=data))
        markup = InlineKeyboardMarkup([[_button(t("admin.button.apply"), f"a:imp:{token}"),
                                        _button(t("admin.button.cancel"), f"a:drop:{token}")]])
        await _reply(update, text + "\n\n" + HTML.t("admin.import.confirm"), markup)

    async def import_caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A file with the caption /import (or /import@ThisBot; /import@OtherBot is not ours)."""
        message = update.effective_message
        assert message is not None and message.caption is not None
        match = IMPORT_CAPTION.match(message.caption)
        addressee = (match.group(1) or "").lstrip("@").lower() if match else ""
        if addressee and addressee != (context.bot.username or "").lower():
            return
        await self._import_command(update, context)

    async def import_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """a:imp: apply the pending import atomically, then re-index every company."""
        query = update.callback_query
        assert query is not None and query.data is not None
        token = query.data.split(":")[2]
        pending = self._pending(context).get(token)
        if not await self.button_allowed(query, context, pending.user_id if pending else None):
            raise ApplicationHandlerStop
        if pending is None or not pending.data:
            await query.answer(t("admin.button_stale"), show_alert=True)
            raise ApplicationHandlerStop
        del self._pending(context)[token]
        try:
            report = await self.editor(context).apply_import(pending.filename, pending.data,
                                                             _actor(update))
            text = report_text(report, pending.filename)
        except InteropError as exc:
            text = error_text(exc)
        await query.answer()
        await _edit(query, text)
        raise ApplicationHandlerStop

    async def drop_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """a:drop: forget a pending import or /addfact."""
        query = update.callback_query
        assert query is not None and query.data is not None
        token = query.data.split(":")[2]
        pending = self._pending(context).get(token)
        if not await self.button_allowed(query, context, pending.user_id if pending else None):
            raise ApplicationHandlerStop
        if pending is None:
            await query.answer(t("admin.button_stale"), show_alert=True)
            raise ApplicationHandlerStop
        del self._pending(context)[token]
        await query.answer()
        await _edit(query, HTML.t("admin.import.cancelled" if pending.data else "admin.cancelled"))
        raise ApplicationHandlerStop

    async def stale_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any other a: button (a form that timed out, an older version): say so, politely."""
        query = update.callback_query
        assert query is not None
        if await self.button_allowed(query, context):
            await query.answer(t("admin.button_stale"), show_alert=True)
        raise ApplicationHandlerStop

    async def cancel_outside(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cancel with no form open: tell admins; leave everyone else's /cancel alone."""
        user = update.effective_user
        if user is not None and await self.editor(context).access(user.id) is not Access.NONE:
            await _reply(update, HTML.t("admin.nothing_to_cancel"))
            raise ApplicationHandlerStop

    # -- the guided /addfact form ---------------------------------------------------------

    async def form_guard(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Every form step re-checks rights; a refused step ends the form and writes nothing."""
        query = update.callback_query
        if query is not None:
            allowed = await self.button_allowed(query, context)
        else:
            refused = await self.refusal(update, context, Access.ADMIN, "/addfact")
            if refused:
                await _reply(update, refused)
            allowed = refused is None
        if not allowed and context.user_data is not None:
            context.user_data.pop(FORM, None)
        return allowed

    def step(self, body: Handler) -> Handler:
        """A form step: guard it, and stop the update so the user handlers never see the answer."""

        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if not await self.form_guard(update, context):
                raise ApplicationHandlerStop(ConversationHandler.END)
            raise ApplicationHandlerStop(await body(update, context))

        run.__doc__ = body.__doc__
        return ends_update(run)

    @staticmethod
    def form(context: ContextTypes.DEFAULT_TYPE) -> dict[str, str]:
        assert context.user_data is not None
        return context.user_data.setdefault(FORM, {})

    @staticmethod
    async def ask(update: Update, state: int, note: str = "") -> int:
        """Prompt for a step: buttons for kind and status, a forced reply in groups for text."""
        message = update.effective_message
        assert message is not None
        markup: InlineKeyboardMarkup | ForceReply | None = None
        if state == KIND:
            markup = InlineKeyboardMarkup(
                [[_button(t("kind." + k.value), f"a:fk:{k.name.lower()}")] for k in Kind])
        elif state == STATUS:
            markup = InlineKeyboardMarkup(
                [[_button(t("status." + s.value), f"a:fs:{s.value}")] for s in Status])
        elif message.chat.type != ChatType.PRIVATE:
            markup = ForceReply(selective=True)
        text = HTML.t(f"admin.form.{_FORM_STEPS[state]}", max=MAX_SUMMARY)
        await _reply(update, (note + "\n\n" if note else "") + text, markup)
        return state

    async def form_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/addfact: with arguments it saves at once; bare, it opens the guided form."""
        message = update.effective_message
        assert message is not None
        refused = await self.refusal(update, context, Access.ADMIN, "/addfact")
        if refused:
            await _reply(update, refused)
            raise ApplicationHandlerStop(ConversationHandler.END)
        args = _args(message)
        if args:
            try:
                await self.addfact_line(update, context, self.editor(context), args)
            except InteropError as exc:
                await _reply(update, error_text(exc, "addfact"))
            raise ApplicationHandlerStop(ConversationHandler.END)
        assert context.user_data is not None
        context.user_data[FORM] = {}
        raise ApplicationHandlerStop(await self.ask(update, SUBJECT))

    async def _company_step(self, update: Update, context: ContextTypes.DEFAULT_TYPE, role: str,
                            name: str, next_state: int) -> int:
        editor = self.editor(context)
        try:
            company = editor.resolve(role, name)
        except UnknownCompany as exc:
            form = self.form(context)
            form["pending_name"] = name
            rows = [[_button(t("admin.button.create", name=name[:40]), "a:fnew")]]
            rows += [[_button(c.company.name, f"a:fpick:{c.company.id}")]
                     for c in exc.candidates[:MAX_CANDIDATES]]
            hint = "admin.create_or_pick" if exc.candidates else "admin.create_only"
            text = HTML.t("admin.unknown_company", role=role, name=name) + "\n" + HTML.t(hint) + \
                "\n" + HTML.t("admin.form.retry")
            await _reply(update, text, InlineKeyboardMarkup(rows))
            return SUBJECT if role == "subject" else OBJECT
        if role == "object" and self.form(context).get("subject", "").casefold() == company.name.casefold():
            await _reply(update, error_text(ValidationError(
                "the object must be another company than the subject")))
            return OBJECT
        self.form(context)[role] = company.name
        return await self.ask(update, next_state,
                              HTML.t("admin.form.chosen", field=role, value=company.name))

    async def form_subject(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 1: the subject, by name or alias."""
        assert update.effective_message is not None
        return await self._company_step(update, context, "subject",
                                        update.effective_message.text or "", OBJECT)

    async def form_object(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 2: the object."""
        assert update.effective_message is not None
        return await self._company_step(update, context, "object",
                                        update.effective_message.text or "", KIND)

    async def form_company_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """a:fnew / a:fpick: settle the unknown subject or object by creating or picking it."""
        query = update.callback_query
        assert query is not None and query.data is not None
        form = self.form(context)
        role = "object" if "subject" in form else "subject"
        editor = self.editor(context)
        try:
            if query.data == "a:fnew":
                name = form.get("pending_name", "")
                company = await editor.add_company(name, "", "", _actor(update))
            else:
                picked = editor.interop.resolver.company(int(query.data.split(":")[2]))
                if picked is None:
                    await query.answer(t("admin.button_stale"), show_alert=True)
                    return SUBJECT if role == "subject" else OBJECT
                company = picked
        except InteropError as exc:
            await query.answer()
            await _edit(query, error_text(exc) + "\n" + HTML.t("admin.form.retry"))
            return SUBJECT if role == "subject" else OBJECT
        await query.answer()
        await _edit(query, HTML.t("admin.form.chosen", field=role, value=company.name))
        return await self._company_step(update, context, role, company.name,
                                        OBJECT if role == "subject" else KIND)

    async def form_choice_pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """a:fk / a:fs: kind or status chosen with a button."""
        query = update.callback_query
        assert query is not None and query.data is not None
        _, code, value = query.data.split(":", 2)
        field, next_state = ("kind", STATUS) if code == "fk" else ("status", DATE)
        try:
            parsed = Kind.parse(value).value if field == "kind" else Status.parse(value).value
        except InvalidValue:
            await query.answer(t("admin.button_stale"), show_alert=True)
            return KIND if field == "kind" else STATUS
        self.form(context)[field] = parsed
        await query.answer()
        await _edit(query, HTML.t("admin.form.chosen", field=field, value=parsed))
        return await self.ask(update, next_state)

    async def form_choice_typed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """A typed kind or status works too; anything else gets the buttons again."""
        assert update.effective_message is not None
        text = update.effective_message.text or ""
        form = self.form(context)
        field = "status" if "kind" in form else "kind"
        try:
            parsed = Kind.parse(text).value if field == "kind" else Status.parse(text).value
        except InvalidValue as exc:
            return await self.ask(update, KIND if field == "kind" else STATUS, error_text(exc))
        form[field] = parsed
        return await self.ask(update, STATUS if field == "kind" else DATE,
                              HTML.t("admin.form.chosen", field=field, value=parsed))

    async def form_date(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 5: the date, checked now so a typo is fixed while the admin still has it in mind."""
        assert update.effective_message is not None
        text = (update.effective_message.text or "").strip()
        try:
            value = parse_fact_date("" if text == "-" else text)
        except InteropError as exc:
            await _reply(update, error_text(exc) + "\n" + HTML.t("admin.form.retry"))
            return DATE
        self.form(context)["date"] = value
        return await self.ask(update, SUMMARY)

    async def form_summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 6: the summary."""
        assert update.effective_message is not None
        try:
            value = clean_summary(update.effective_message.text or "")
        except InteropError as exc:
            await _reply(update, error_text(exc) + "\n" + HTML.t("admin.form.retry"))
            return SUMMARY
        self.form(context)["summary"] = value
        return await self.ask(update, SOURCE)

    async def form_source(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 7: the source URL and title, then a preview with Save and Cancel."""
        assert update.effective_message is not None
        url, _, title = (update.effective_message.text or "").strip().partition(" ")
        try:
            source = clean_source(url, title)
        except InteropError as exc:
            await _reply(update, error_text(exc) + "\n" + HTML.t("admin.form.retry"))
            return SOURCE
        form = self.form(context)
        form["url"], form["title"] = source.url, source.title
        fields = self.fields(form)
        editor = self.editor(context)
        try:
            draft = editor.draft(fields)
        except InteropError as exc:
            await _reply(update, error_text(exc))
            context.user_data.pop(FORM, None)  # type: ignore[union-attr]
            return ConversationHandler.END
        duplicate = await editor.store.find_duplicate(draft)
        if duplicate is not None:
            await _reply(update, HTML.t("admin.duplicate", id=duplicate))
            context.user_data.pop(FORM, None)  # type: ignore[union-attr]
            return ConversationHandler.END
        preview = FactView(
            fact=_preview_fact(draft), subject=editor.interop.company(draft.subject_id),
            object=editor.interop.company(draft.object_id))
        markup = InlineKeyboardMarkup([[_button(t("admin.button.save"), "a:fsave"),
                                        _button(t("admin.button.cancel"), "a:fcancel")]])
        card = render_fact_card(preview, numbered=False)
        await _reply(update, HTML.t("admin.form.preview") + "\n\n" + card, markup)
        return CONFIRM

    @staticmethod
    def fields(form: dict[str, str]) -> FactFields:
        return FactFields(subject=form.get("subject", ""), object=form.get("object", ""),
                          kind=form.get("kind", ""), status=form.get("status", ""),
                          date=form.get("date", ""), summary=form.get("summary", ""),
                          url=form.get("url", ""), title=form.get("title", ""))

    async def form_save(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """a:fsave: validate everything again (names may have changed meanwhile) and store."""
        query = update.callback_query
        assert query is not None and context.user_data is not None
        form = context.user_data.pop(FORM, {})
        editor = self.editor(context)
        try:
            view = await editor.add_fact(editor.draft(self.fields(form)), _actor(update))
            text = HTML.t("admin.fact_saved", id=view.fact.id) + "\n\n" + fact_card(view)
        except Conflict as exc:
            text = HTML.t("admin.duplicate", id=exc.existing_id) if exc.existing_id else error_text(exc)
        except InteropError as exc:
            text = error_text(exc, "addfact")
        await query.answer()
        await _edit(query, text)
        return ConversationHandler.END

    async def form_cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/cancel or the Cancel button, at any step: nothing is saved."""
        if context.user_data is not None:
            context.user_data.pop(FORM, None)
        query = update.callback_query
        if query is not None:
            await query.answer()
            await _edit(query, HTML.t("admin.cancelled"))
        else:
            await _reply(update, HTML.t("admin.cancelled"))
        return ConversationHandler.END

    async def form_tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
        """Text where a button is expected (the preview): point at the buttons, stay put."""
        await _reply(update, HTML.t("admin.form.tap"))
        return None

    async def form_timeout(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The form was left alone too long: say so, so nobody thinks it was saved."""
        if context.user_data is not None:
            context.user_data.pop(FORM, None)
        chat = update.effective_chat
        if chat is not None:
            await context.bot.send_message(chat.id, HTML.t("admin.form.timeout"),
                                           parse_mode=ParseMode.HTML)

    def conversation(self) -> ConversationHandler[ContextTypes.DEFAULT_TYPE]:
        """Bare /addfact: subject, object, kind, status, date, summary, source, preview, Save."""
        text = NEW & filters.TEXT & ~filters.COMMAND
        company = CallbackQueryHandler(self.step(self.form_company_pressed), pattern=r"^a:f(new|pick:\d+)$")
        choice = CallbackQueryHandler(self.step(self.form_choice_pressed), pattern=r"^a:f[ks]:\w+$")
        cancel_button = CallbackQueryHandler(self.step(self.form_cancel), pattern=r"^a:fcancel$")
        with warnings.catch_warnings():
            # Buttons belong to the user's conversation, not to one message: per_message stays off.
            warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
            return ConversationHandler(
                entry_points=[CommandHandler("addfact", ends_update(self.form_start), filters=NEW)],
                states={
                    SUBJECT: [MessageHandler(text, self.step(self.form_subject)), company],
                    OBJECT: [MessageHandler(text, self.step(self.form_object)), company],
                    KIND: [choice, MessageHandler(text, self.step(self.form_choice_typed))],
                    STATUS: [choice, MessageHandler(text, self.step(self.form_choice_typed))],
                    DATE: [MessageHandler(text, self.step(self.form_date))],
                    SUMMARY: [MessageHandler(text, self.step(self.form_summary))],
                    SOURCE: [MessageHandler(text, self.step(self.form_source))],
                    CONFIRM: [CallbackQueryHandler(self.step(self.form_save), pattern=r"^a:fsave$"),
                              MessageHandler(text, self.step(self.form_tap))],
                    ConversationHandler.TIMEOUT: [TypeHandler(Update, ends_update(self.form_timeout))],
                },
                fallbacks=[CommandHandler("cancel", self.step(self.form_cancel), filters=NEW), cancel_button],
                per_user=True,
                per_chat=True,
                allow_reentry=True,
                conversation_timeout=FORM_TIMEOUT,
                name="admin_addfact",
            )


def _preview_fact(draft: FactDraft) -> Fact:
    """The draft as a Fact (id 0) so the preview renders exactly like the saved fact will."""
    return Fact(id=0, subject_id=draft.subject_id, object_id=draft.object_id, kind=draft.kind,
                status=draft.status, date=draft.date, summary=draft.summary, sources=draft.sources)
