"""Pending confirmations: an /addfact naming an unknown company, an /import waiting for Apply, a /retract.

A pending item lives in ``chat_data`` under a short token that its buttons carry, so it survives
a restart with the rest of the chat's data (bot.telegram.persistence) and expires after an hour.
Only the admin who sent the command may settle it; rights are checked again on every press.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot.admin import Editor, FactFields
from bot.domain import Conflict, InteropError, UnknownCompany, actor_name
from bot.render import (
    HTML,
    MAX_CANDIDATES,
    render_duplicate,
    render_error,
    render_fact_reply,
    render_import_report,
    render_retracted,
)
from bot.telegram.admin.common import actor_of, button, button_allowed, edit_reply, editor_for
from bot.telegram.context import BotContext
from bot.texts import field_label, t

PENDING = "admin_pending"  # chat_data key: token -> Pending
SETTLED = "admin_settled"  # chat_data key: token -> (outcome, who) of the items settled lately
MAX_PENDING = 200
PENDING_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class Pending:
    """Something an admin must confirm with a button: a /addfact with an unknown name, or an import."""

    user_id: int
    created: float  # wall-clock seconds, so the age still means something after a restart
    fields: FactFields | None = None
    filename: str = ""
    data: bytes = b""


def pending_store(context: BotContext) -> OrderedDict[str, Pending]:
    """This chat's pending confirmations, with the expired ones dropped."""
    chat_data = context.chat_data if context.chat_data is not None else {}
    store = chat_data.get(PENDING)
    if not isinstance(store, OrderedDict):
        store = chat_data[PENDING] = OrderedDict()
    now = time.time()
    for token in [k for k, p in store.items() if now - p.created > PENDING_TTL]:
        del store[token]
    return store


def _settled(context: BotContext) -> OrderedDict[str, tuple[str, str]]:
    """Tokens already settled in this chat: token -> (outcome, who), so a second press on the
    same button hears who was first rather than a bare "out of date"."""
    chat_data = context.chat_data if context.chat_data is not None else {}
    settled = chat_data.get(SETTLED)
    if not isinstance(settled, OrderedDict):
        settled = chat_data[SETTLED] = OrderedDict()
    return settled


def take(context: BotContext, token: str, outcome: str, who: str) -> Pending | None:
    """Settle a pending item: take it out of the store and note who did, with no await in
    between, so of two presses exactly one gets it (the other gets None)."""
    pending = pending_store(context).pop(token, None)
    if pending is not None:
        settled = _settled(context)
        settled[token] = (outcome, who)
        while len(settled) > MAX_PENDING:
            settled.popitem(last=False)
    return pending


def put_back(context: BotContext, token: str, pending: Pending) -> None:
    """A settle that failed before it wrote anything: the item waits again."""
    pending_store(context)[token] = pending
    _settled(context).pop(token, None)


async def refuse_settled(query: CallbackQuery, context: BotContext, token: str) -> None:
    """Answer a press on an item that is gone: who settled it, or that it expired."""
    outcome = _settled(context).get(token)
    text = (t(f"admin.settled.{outcome[0]}", who=actor_name(outcome[1])) if outcome
            else t("admin.button_stale"))
    await query.answer(text, show_alert=True)


def remember(context: BotContext, pending: Pending) -> str:
    store = pending_store(context)
    token = secrets.token_urlsafe(6)
    store[token] = pending
    while len(store) > MAX_PENDING:
        store.popitem(last=False)
    return token


async def save_fields(update: Update, context: BotContext, editor: Editor,
                      fields: FactFields, user_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Validate and store; an unknown name comes back as create/pick buttons, kept under a token."""
    try:
        view = await editor.add_fact(editor.draft(fields), actor_of(update))
    except UnknownCompany as exc:
        token = remember(context, Pending(user_id, time.time(), fields=fields))
        rows = [[button(t("admin.button.create", name=exc.name[:40]), f"a:new:{token}")]]
        rows += [[button(c.company.name, f"a:pick:{token}:{c.company.id}")]
                 for c in exc.candidates[:MAX_CANDIDATES]]
        rows.append([button(t("admin.button.cancel"), f"a:drop:{token}")])
        hint = "admin.create_or_pick" if exc.candidates else "admin.create_only"
        text = HTML.t("admin.unknown_company", role=field_label(exc.role), name=exc.name) + "\n" + \
            HTML.t(hint)
        return text, InlineKeyboardMarkup(rows)
    except Conflict as exc:
        if exc.existing_id is not None:
            return render_duplicate(exc.existing_id), None
        raise
    return render_fact_reply("fact_saved", view), None


async def name_chosen(update: Update, context: BotContext) -> None:
    """a:new / a:pick: create or pick the company, then try the pending /addfact again."""
    query = update.callback_query
    assert query is not None and query.data is not None
    parts = query.data.split(":")
    pending = pending_store(context).get(parts[2]) if len(parts) >= 3 else None
    if not await button_allowed(query, context, pending.user_id if pending else None):
        raise ApplicationHandlerStop
    token = parts[2] if len(parts) >= 3 else ""
    if pending is not None and pending.fields is None:  # an import's token: not this button's
        await query.answer(t("admin.button_stale"), show_alert=True)
        raise ApplicationHandlerStop
    pending = take(context, token, "saved", actor_of(update))
    if pending is None or pending.fields is None:
        await refuse_settled(query, context, token)
        raise ApplicationHandlerStop
    editor = editor_for(context)
    fields = pending.fields
    try:
        try:
            editor.draft(fields)
            role, name = "", ""
        except UnknownCompany as exc:
            role, name = exc.role, exc.name
        if role:
            if parts[1] == "new":
                company = await editor.add_company(name, "", "", actor_of(update))
            else:
                picked = editor.interop.resolver.company(int(parts[3]))
                if picked is None:
                    put_back(context, token, pending)
                    await query.answer(t("admin.button_stale"), show_alert=True)
                    raise ApplicationHandlerStop
                company = picked
            fields = replace(fields, **{role: company.name})
        text, markup = await save_fields(update, context, editor, fields, query.from_user.id)
    except InteropError as exc:
        text, markup = render_error(exc, "addfact"), None
    await query.answer()
    await edit_reply(query, text, markup)
    raise ApplicationHandlerStop


async def retract_pressed(update: Update, context: BotContext) -> None:
    """a:ret / a:keep: re-check rights, then retract (audited) or leave the fact alone."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, verb, fact_id, uid = query.data.split(":")
    if not await button_allowed(query, context, int(uid)):
        raise ApplicationHandlerStop
    if verb == "keep":
        text = HTML.t("admin.retract_kept", id=int(fact_id))
    else:
        try:
            await editor_for(context).retract(int(fact_id), actor_of(update))
            text = render_retracted(int(fact_id))
        except InteropError as exc:
            text = render_error(exc)
    await query.answer()
    await edit_reply(query, text)
    raise ApplicationHandlerStop


async def _take_pending(update: Update, context: BotContext, outcome: str, *,
                        import_only: bool) -> Pending:
    """The pending item a:imp / a:drop names, taken out of the store once its presser is allowed
    (``take``: one press of two gets it); a refused, settled or stale press ends the update."""
    query = update.callback_query
    assert query is not None and query.data is not None
    token = query.data.split(":")[2]
    pending = pending_store(context).get(token)
    if not await button_allowed(query, context, pending.user_id if pending else None):
        raise ApplicationHandlerStop
    if pending is not None and import_only and not pending.data:
        await query.answer(t("admin.button_stale"), show_alert=True)
        raise ApplicationHandlerStop
    taken = take(context, token, outcome, actor_of(update))
    if taken is None:
        await refuse_settled(query, context, token)
        raise ApplicationHandlerStop
    return taken


async def import_pressed(update: Update, context: BotContext) -> None:
    """a:imp: apply the pending import atomically, then re-index every company."""
    query = update.callback_query
    assert query is not None
    pending = await _take_pending(update, context, "applied", import_only=True)
    try:
        report = await editor_for(context).apply_import(pending.filename, pending.data,
                                                         actor_of(update))
        text = render_import_report(report, pending.filename)
    except InteropError as exc:
        text = render_error(exc)
    await query.answer()
    await edit_reply(query, text)
    raise ApplicationHandlerStop


async def drop_pressed(update: Update, context: BotContext) -> None:
    """a:drop: forget a pending import or /addfact."""
    query = update.callback_query
    assert query is not None
    pending = await _take_pending(update, context, "cancelled", import_only=False)
    await query.answer()
    await edit_reply(query, HTML.t("admin.import.cancelled" if pending.data else "admin.cancelled"))
    raise ApplicationHandlerStop


async def stale_pressed(update: Update, context: BotContext) -> None:
    """Any other a: button (a form that timed out, an older version): say so, politely."""
    query = update.callback_query
    assert query is not None
    if await button_allowed(query, context):
        await query.answer(t("admin.button_stale"), show_alert=True)
    raise ApplicationHandlerStop
