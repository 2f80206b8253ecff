"""The guided /addfact form: subject, object, kind, status, date, summary, note, source, preview, Save.

A ConversationHandler, persistent (bot.telegram.persistence), so a form half filled in survives
a restart. Every step re-checks rights and ends the update, so an answer is never also read as a
question by the user handlers.
"""

from __future__ import annotations

import warnings

from telegram import ForceReply, InlineKeyboardMarkup, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.admin import Access, FactFields
from bot.domain import (
    Conflict,
    Fact,
    FactView,
    InteropError,
    InvalidValue,
    Kind,
    Status,
    UnknownCompany,
    ValidationError,
    parse_fact_date,
)
from bot.render import (
    HTML,
    MAX_CANDIDATES,
    render_duplicate,
    render_error,
    render_fact_card,
    render_fact_reply,
    sentence,
)
from bot.rules import MAX_NOTE, MAX_SUMMARY, clean_source, clean_summary, clean_text, partial_note_problem
from bot.store import FactDraft
from bot.telegram.admin.commands import addfact_line
from bot.telegram.admin.common import (
    NEW,
    Handler,
    actor_of,
    button,
    button_allowed,
    command_args,
    edit_reply,
    editor_for,
    ends_update,
    refusal,
    send_reply,
)
from bot.telegram.context import BotContext
from bot.texts import field_label, t

FORM = "admin_form"  # user_data key: the guided form's fields so far
FORM_TIMEOUT = 600.0
SUBJECT, OBJECT, KIND, STATUS, DATE, SUMMARY, SOURCE, CONFIRM = range(8)
NOTE = 8  # asked between SUMMARY and SOURCE; numbered last so persisted forms keep their states
_FORM_STEPS = {SUBJECT: "subject", OBJECT: "object", KIND: "kind", STATUS: "status", DATE: "date",
               SUMMARY: "summary", NOTE: "note", SOURCE: "source"}


async def form_guard(update: Update, context: BotContext) -> bool:
    """Every form step re-checks rights; a refused step ends the form and writes nothing."""
    query = update.callback_query
    if query is not None:
        allowed = await button_allowed(query, context)
    else:
        refused = await refusal(update, context, Access.ADMIN, "/addfact")
        if refused:
            await send_reply(update, refused)
        allowed = refused is None
    if not allowed and context.user_data is not None:
        context.user_data.pop(FORM, None)
    return allowed


def step(body: Handler) -> Handler:
    """A form step: guard it, and stop the update so the user handlers never see the answer."""

    async def run(update: Update, context: BotContext) -> None:
        if not await form_guard(update, context):
            raise ApplicationHandlerStop(ConversationHandler.END)
        raise ApplicationHandlerStop(await body(update, context))

    run.__doc__ = body.__doc__
    return ends_update(run)


def form_of(context: BotContext) -> dict[str, str]:
    assert context.user_data is not None
    fields = context.user_data.setdefault(FORM, {})
    assert isinstance(fields, dict)
    return fields


async def ask(update: Update, state: int, note: str = "") -> int:
    """Prompt for a step: buttons for kind and status, a forced reply in groups for text."""
    message = update.effective_message
    assert message is not None
    markup: InlineKeyboardMarkup | ForceReply | None = None
    if state == KIND:
        markup = InlineKeyboardMarkup(
            [[button(t("kind." + k.value), f"a:fk:{k.name.lower()}")] for k in Kind])
    elif state == STATUS:
        markup = InlineKeyboardMarkup(
            [[button(t("status." + s.value), f"a:fs:{s.value}")] for s in Status])
    elif message.chat.type != ChatType.PRIVATE:
        markup = ForceReply(selective=True)
    text = HTML.t(f"admin.form.{_FORM_STEPS[state]}", max=MAX_SUMMARY)
    await send_reply(update, (note + "\n\n" if note else "") + text, markup)
    return state


async def form_start(update: Update, context: BotContext) -> int:
    """/addfact: with arguments it saves at once; bare, it opens the guided form."""
    message = update.effective_message
    assert message is not None
    refused = await refusal(update, context, Access.ADMIN, "/addfact")
    if refused:
        await send_reply(update, refused)
        raise ApplicationHandlerStop(ConversationHandler.END)
    args = command_args(message)
    if args:
        try:
            await addfact_line(update, context, editor_for(context), args)
        except InteropError as exc:
            await send_reply(update, render_error(exc, "addfact"))
        raise ApplicationHandlerStop(ConversationHandler.END)
    assert context.user_data is not None
    context.user_data[FORM] = {}
    raise ApplicationHandlerStop(await ask(update, SUBJECT))


async def form_follow_up(update: Update, context: BotContext) -> int:
    """a:sf:<fact> (from /stale): the guided form with the fact's subject, object, kind, scope and
    region filled in, so the new fact joins its thread; it asks for the status next."""
    query = update.callback_query
    assert query is not None and query.data is not None and context.user_data is not None
    editor = editor_for(context)
    try:
        fact = await editor.fact(int(query.data.split(":")[2]))
    except InteropError as exc:
        await query.answer(sentence(str(exc))[:200], show_alert=True)
        return ConversationHandler.END
    view = editor.interop.view(fact)
    context.user_data[FORM] = {"subject": view.subject.name, "object": view.object.name,
                               "kind": fact.kind.value, "scope": fact.scope, "region": fact.region}
    await query.answer()
    note = HTML.t("admin.form.follow_up", id=fact.id,
                  relation=HTML.join(" × ", [view.subject.name, view.object.name]))
    return await ask(update, STATUS, note)


async def _company_step(update: Update, context: BotContext, role: str,
                        name: str, next_state: int) -> int:
    editor = editor_for(context)
    try:
        company = editor.resolve(role, name)
    except UnknownCompany as exc:
        form = form_of(context)
        form["pending_name"] = name
        rows = [[button(t("admin.button.create", name=name[:40]), "a:fnew")]]
        rows += [[button(c.company.name, f"a:fpick:{c.company.id}")]
                 for c in exc.candidates[:MAX_CANDIDATES]]
        hint = "admin.create_or_pick" if exc.candidates else "admin.create_only"
        text = HTML.t("admin.unknown_company", role=field_label(role), name=name) + "\n" + HTML.t(hint) + \
            "\n" + HTML.t("admin.form.retry")
        await send_reply(update, text, InlineKeyboardMarkup(rows))
        return SUBJECT if role == "subject" else OBJECT
    if role == "object" and form_of(context).get("subject", "").casefold() == company.name.casefold():
        await send_reply(update, render_error(ValidationError("error.object_is_subject")))
        return OBJECT
    form_of(context)[role] = company.name
    return await ask(update, next_state,
                          HTML.t("admin.form.chosen", field=field_label(role), value=company.name))


async def form_subject(update: Update, context: BotContext) -> int:
    """Step 1: the subject, by name or alias."""
    assert update.effective_message is not None
    return await _company_step(update, context, "subject",
                                    update.effective_message.text or "", OBJECT)


async def form_object(update: Update, context: BotContext) -> int:
    """Step 2: the object."""
    assert update.effective_message is not None
    return await _company_step(update, context, "object",
                                    update.effective_message.text or "", KIND)


async def form_company_pressed(update: Update, context: BotContext) -> int:
    """a:fnew / a:fpick: settle the unknown subject or object by creating or picking it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    form = form_of(context)
    role = "object" if "subject" in form else "subject"
    editor = editor_for(context)
    try:
        if query.data == "a:fnew":
            name = form.get("pending_name", "")
            company = await editor.add_company(name, "", "", actor_of(update))
        else:
            picked = editor.interop.resolver.company(int(query.data.split(":")[2]))
            if picked is None:
                await query.answer(t("admin.button_stale"), show_alert=True)
                return SUBJECT if role == "subject" else OBJECT
            company = picked
    except InteropError as exc:
        await query.answer()
        await edit_reply(query, render_error(exc) + "\n" + HTML.t("admin.form.retry"))
        return SUBJECT if role == "subject" else OBJECT
    await query.answer()
    await edit_reply(query, HTML.t("admin.form.chosen", field=field_label(role), value=company.name))
    return await _company_step(update, context, role, company.name,
                                    OBJECT if role == "subject" else KIND)


async def form_choice_pressed(update: Update, context: BotContext) -> int:
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
    form_of(context)[field] = parsed
    await query.answer()
    await edit_reply(query, HTML.t("admin.form.chosen", field=field_label(field), value=parsed))
    return await ask(update, next_state)


async def form_choice_typed(update: Update, context: BotContext) -> int:
    """A typed kind or status works too; anything else gets the buttons again."""
    assert update.effective_message is not None
    text = update.effective_message.text or ""
    form = form_of(context)
    field = "status" if "kind" in form else "kind"
    try:
        parsed = Kind.parse(text).value if field == "kind" else Status.parse(text).value
    except InvalidValue as exc:
        return await ask(update, KIND if field == "kind" else STATUS, render_error(exc))
    form[field] = parsed
    return await ask(update, STATUS if field == "kind" else DATE,
                          HTML.t("admin.form.chosen", field=field_label(field), value=parsed))


async def form_date(update: Update, context: BotContext) -> int:
    """Step 5: the date, checked now so a typo is fixed while the admin still has it in mind."""
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    try:
        value = parse_fact_date("" if text == "-" else text)
    except InteropError as exc:
        await send_reply(update, render_error(exc) + "\n" + HTML.t("admin.form.retry"))
        return DATE
    form_of(context)["date"] = value
    return await ask(update, SUMMARY)


async def form_summary(update: Update, context: BotContext) -> int:
    """Step 6: the summary."""
    assert update.effective_message is not None
    try:
        value = clean_summary(update.effective_message.text or "")
    except InteropError as exc:
        await send_reply(update, render_error(exc) + "\n" + HTML.t("admin.form.retry"))
        return SUMMARY
    form_of(context)["summary"] = value
    return await ask(update, NOTE)


async def form_note(update: Update, context: BotContext) -> int:
    """Step 7: the note, which a partial fact must have (the rule every new fact meets); "-" skips."""
    assert update.effective_message is not None
    text = (update.effective_message.text or "").strip()
    try:
        value = clean_text("note", "" if text == "-" else text, MAX_NOTE)
        problem = partial_note_problem(form_of(context).get("status", ""), value)
        if problem:
            raise problem
    except InteropError as exc:
        await send_reply(update, render_error(exc) + "\n" + HTML.t("admin.form.retry"))
        return NOTE
    form_of(context)["note"] = value
    return await ask(update, SOURCE)


async def form_source(update: Update, context: BotContext) -> int:
    """Step 8: the source URL and title, then a preview with Save and Cancel."""
    assert update.effective_message is not None
    url, _, title = (update.effective_message.text or "").strip().partition(" ")
    try:
        source = clean_source(url, title)
    except InteropError as exc:
        await send_reply(update, render_error(exc) + "\n" + HTML.t("admin.form.retry"))
        return SOURCE
    form = form_of(context)
    form["url"], form["title"] = source.url, source.title
    fields = fields_of(form)
    editor = editor_for(context)
    try:
        draft = editor.draft(fields)
    except InteropError as exc:
        await send_reply(update, render_error(exc))
        form_of(context).clear()
        return ConversationHandler.END
    duplicate = await editor.store.find_duplicate(draft)
    if duplicate is not None:
        await send_reply(update, render_duplicate(duplicate))
        form_of(context).clear()
        return ConversationHandler.END
    preview = FactView(
        fact=_preview_fact(draft), subject=editor.interop.company(draft.subject_id),
        object=editor.interop.company(draft.object_id))
    markup = InlineKeyboardMarkup([[button(t("admin.button.save"), "a:fsave"),
                                    button(t("admin.button.cancel"), "a:fcancel")]])
    card = render_fact_card(preview, numbered=False)
    await send_reply(update, HTML.t("admin.form.preview") + "\n\n" + card, markup)
    return CONFIRM


def fields_of(form: dict[str, str]) -> FactFields:
    return FactFields(subject=form.get("subject", ""), object=form.get("object", ""),
                      kind=form.get("kind", ""), status=form.get("status", ""),
                      date=form.get("date", ""), summary=form.get("summary", ""),
                      url=form.get("url", ""), title=form.get("title", ""),
                      scope=form.get("scope", ""), region=form.get("region", ""),
                      note=form.get("note", ""))  # a string: the partial-needs-a-note rule applies


async def form_save(update: Update, context: BotContext) -> int:
    """a:fsave: validate everything again (names may have changed meanwhile) and store."""
    query = update.callback_query
    assert query is not None and context.user_data is not None
    form = context.user_data.pop(FORM, None)
    form = form if isinstance(form, dict) else {}
    editor = editor_for(context)
    try:
        view = await editor.add_fact(editor.draft(fields_of(form)), actor_of(update))
        text = render_fact_reply("fact_saved", view)
    except Conflict as exc:
        text = render_duplicate(exc.existing_id) if exc.existing_id else render_error(exc)
    except InteropError as exc:
        text = render_error(exc, "addfact")
    await query.answer()
    await edit_reply(query, text)
    return ConversationHandler.END


async def form_cancel(update: Update, context: BotContext) -> int:
    """/cancel or the Cancel button, at any step: nothing is saved."""
    if context.user_data is not None:
        context.user_data.pop(FORM, None)
    query = update.callback_query
    if query is not None:
        await query.answer()
        await edit_reply(query, HTML.t("admin.cancelled"))
    else:
        await send_reply(update, HTML.t("admin.cancelled"))
    return ConversationHandler.END


async def form_tap(update: Update, context: BotContext) -> int | None:
    """Text where a button is expected (the preview): point at the buttons, stay put."""
    await send_reply(update, HTML.t("admin.form.tap"))
    return None


async def form_timeout(update: Update, context: BotContext) -> None:
    """The form was left alone too long: say so, so nobody thinks it was saved."""
    if context.user_data is not None:
        context.user_data.pop(FORM, None)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, HTML.t("admin.form.timeout"),
                                       parse_mode=ParseMode.HTML)


def conversation() -> ConversationHandler[BotContext]:
    """Bare /addfact: subject, object, kind, status, date, summary, note, source, preview, Save."""
    text = NEW & filters.TEXT & ~filters.COMMAND
    company = CallbackQueryHandler(step(form_company_pressed), pattern=r"^a:f(new|pick:\d+)$")
    choice = CallbackQueryHandler(step(form_choice_pressed), pattern=r"^a:f[ks]:\w+$")
    cancel_button = CallbackQueryHandler(step(form_cancel), pattern=r"^a:fcancel$")
    with warnings.catch_warnings():
        # Buttons belong to the user's conversation, not to one message: per_message stays off.
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        return ConversationHandler(
            entry_points=[CommandHandler("addfact", ends_update(form_start), filters=NEW),
                          CallbackQueryHandler(step(form_follow_up), pattern=r"^a:sf:\d{1,19}$")],
            states={
                SUBJECT: [MessageHandler(text, step(form_subject)), company],
                OBJECT: [MessageHandler(text, step(form_object)), company],
                KIND: [choice, MessageHandler(text, step(form_choice_typed))],
                STATUS: [choice, MessageHandler(text, step(form_choice_typed))],
                DATE: [MessageHandler(text, step(form_date))],
                SUMMARY: [MessageHandler(text, step(form_summary))],
                NOTE: [MessageHandler(text, step(form_note))],
                SOURCE: [MessageHandler(text, step(form_source))],
                CONFIRM: [CallbackQueryHandler(step(form_save), pattern=r"^a:fsave$"),
                          MessageHandler(text, step(form_tap))],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, ends_update(form_timeout))],
            },
            fallbacks=[CommandHandler("cancel", step(form_cancel), filters=NEW), cancel_button],
            per_user=True,
            per_chat=True,
            allow_reentry=True,
            conversation_timeout=FORM_TIMEOUT,
            name="admin_addfact",
            persistent=True,  # a half-filled form survives a restart (bot.telegram.persistence)
        )


def _preview_fact(draft: FactDraft) -> Fact:
    """The draft as a Fact (id 0) so the preview renders exactly like the saved fact will."""
    return Fact(id=0, subject_id=draft.subject_id, object_id=draft.object_id, kind=draft.kind,
                status=draft.status, date=draft.date, summary=draft.summary, sources=draft.sources,
                note=draft.note, scope=draft.scope, region=draft.region)
