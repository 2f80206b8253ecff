"""Every user-facing sentence, in one catalogue per language.

Handlers and renderers ask for a message by key, ``t("key", name=...)``, and never pass a
language: ``t`` reads the current locale (``bot.i18n.current()``, set once per update by the
adapter). English is here; Simplified Chinese is ``bot.texts_zh.ZH`` with exactly the same keys
and placeholders (tests/test_i18n.py); Traditional is converted from it by OpenCC, once per key.
Placeholders use str.format names.
"""

from __future__ import annotations

from bot.i18n import EN as _EN_LOCALE
from bot.i18n import ZH_HANS, ZH_HANT, current, to_traditional

EN: dict[str, str] = {
    # verdict headlines
    "verdict.live": "✅ Yes",
    "verdict.partial": "🟡 Partly",
    "verdict.announced": "🕓 Announced",
    "verdict.ended": "⛔ No longer",
    "verdict.no_record": "❔ No record",
    "status.live": "✅ live",
    "status.partial": "🟡 partial",
    "status.announced": "🕓 announced",
    "status.ended": "⛔ ended",
    "check.headline": "{verdict}: {a} × {b}",
    "check.no_record": "❔ No record between {a} and {b}. That is not the same as “ended”: "
                       "nobody has reported a link either way yet.",
    "check.same_group": "🔗 {a} and {b} are both in {group}'s group; no link between them is recorded.",
    "check.rollup_only": "No direct record between {a} and {b}, but their groups are linked:",
    "check.rollup": "Through group companies and affiliates:",
    "check.via": "(via affiliate: {names})",
    "check.since": "since {date}",
    "check.thread": "{kind}: {relation} — {status} {since}",
    "kind.payments": "💳 Payments",
    "kind.logistics": "📦 Logistics",
    "kind.shopping/links": "🔗 Shopping & links",
    "kind.messaging": "💬 Messaging",
    "kind.login": "🔑 Login",
    "kind.content": "📰 Content",
    "kind.other": "🧩 Other",
    "verb.payments": "{s} accepts {o}",
    "verb.logistics": "{s} ships with {o}",
    "verb.shopping/links": "{s} links to {o}",
    "verb.messaging": "{s} ↔ {o} messaging",
    "verb.login": "{s} offers {o} login",
    "verb.content": "{s} shares content with {o}",
    "verb.other": "{s} works with {o}",
    "date.unknown": "date unknown",
    "profile.parent": "Part of {parent}",
    "profile.children": "Group companies: {names}",
    "profile.affiliates": "Sister companies: {names}",
    "profile.aliases": "Also known as: {names}",
    "profile.no_facts": "No interoperability facts recorded for {name} yet.",
    "profile.facts": "{n} facts",
    "profile.via": "via {name}",
    "search.none": "Nothing found for “{query}”. Try a company name, e.g. /company alipay.",
    "search.header": "🔎 {n} result(s) for “{query}”",
    "recent.header": "🆕 Latest changes",
    "recent.none": "No facts recorded yet.",
    "unknown.name": "I don't know “{name}”.",
    "unknown.suggest": "Did you mean one of these?",
    "unknown.ambiguous": "“{name}” could mean several companies:",
    "unknown.nothing_close": "Nothing close in my list. Try the English or Chinese name.",
    "page": "Page {page}/{pages}",
    "page.about": "Page {page}/~{pages}",
    "sources": "Sources",
    "fact.ref": "#{id}",
    "help": (
        "I answer “does X work with Y?” about platforms, with sources.\n\n"
        "Try:\n"
        "{examples}\n\n"
        "Commands:\n"
        "/check A B — does A work with B?\n"
        "/company NAME — everything about one company\n"
        "/search TEXT — search the facts\n"
        "/recent [N] — the latest changes\n"
        "/changes [N] — what the admins changed lately\n"
        "/map NAME — a picture of who a company works with\n"
        "/compare A B | C D — a table of platforms against services\n"
        "/about — what I cover and where the facts come from\n"
        "/language en|zh|auto — the language I reply in\n\n"
        "You can also just ask: “does JD accept Alipay?” or “京东支持支付宝吗？”"
    ),
    "check.one_name": "Check {name} with what? Name a second company, e.g. /check {name}, {partner} "
                      "— or see everything about {name} with /company {name}",
    "check.one_name_alone": "Check {name} with what? Name a second company, e.g. /check {name}, alipay",
    "usage.check": "Tell me two names, e.g. /check jd alipay or /check taobao, jd logistics",
    "usage.company": "Tell me a name, e.g. /company wechat",
    "usage.search": "Tell me what to look for, e.g. /search rcs",
    "usage.recent": "Use /recent or /recent 20 (up to {max}).",
    "same.company": "Both names point to {name}. Name two different companies.",
    "error.generic": "Sorry, something went wrong on my side. Please try again in a moment.",
    "too_long": "That message is too long for me; please ask in under {max} characters.",
    "rate_limited": "You're asking very fast. Please wait {seconds} s and try again.",
    "console.intro": "interop-bot console — the bot's /help commands, and free questions. "
                     "Ctrl-D to quit.",
    "console.addfact_usage": "/addfact SUBJECT | OBJECT | KIND | STATUS | DATE | SUMMARY | SOURCE_URL "
                             "[| SOURCE_TITLE], on one line (the guided form is in Telegram only), "
                             "e.g. /addfact JD.com | Alipay | payments | live | 2024-10 | "
                             "JD.com accepts Alipay at checkout. | https://example.com/news",
    "console.telegram_only": "{cmd} works in the Telegram bot only: the console has no chat to "
                             "follow, report or suggest from. Here: /check, /company, /search, /recent, "
                             "/changes, /map, /compare, /about, /language, or just ask.",
    "console.no_token": "No TELEGRAM_BOT_TOKEN set, so starting the terminal console. To run "
                        "the Telegram bot, put TELEGRAM_BOT_TOKEN=<token from @BotFather> in .env "
                        "(see .env.example).",
    "console.unknown_command": "Unknown command {cmd}. Try /help.",
    # Telegram adapter (bot/telegram/)
    "tg.empty": "Ask me about two platforms, e.g. “does JD accept Alipay?”, or send /help.",
    "tg.unknown_command": "I don't know {cmd}. Send /help to see what I can do.",
    "tg.more": "Open all pages in the bot",
    "tg.stale": "This button is out of date. Please ask again.",
    "tg.stale_page": "The answer has changed since; showing the latest version.",
    "tg.not_yours": "Only the person who asked can use these buttons. Ask your own question!",
    "tg.no_results": "Nothing found for “{query}”",
    "tg.slow_inline": "You're asking very fast; please wait a moment.",
    "tg.error_inline": "Something went wrong; please try again.",
    "cmd.check": "Does A work with B? e.g. /check jd alipay",
    "cmd.company": "Everything about one company",
    "cmd.search": "Search the facts",
    "cmd.recent": "The latest changes",
    "cmd.help": "What this bot does, with examples",
}

# i18n: the reply language (bot/i18n.py, bot/telegram/language.py) and the bot's profile.
EN.update({
    "cmd.language": "The language I reply in: en, zh or auto",
    "fact.summary_en": "{summary}",
    "list.separator": ", ",
    "list.label_separator": "; ",
    "language.usage": "I reply in {current} here. Change it with /language en (English), "
                      "/language zh (Chinese) or /language auto (follow each question and each "
                      "person's Telegram language).",
    "language.set": "OK: from now on I reply in {name} in this chat.",
    "language.auto": "OK: I follow each question's language and each person's Telegram language again.",
    "language.admins_only": "Only this group's admins can change the language I reply in here.",
    "language.name.en": "English",
    "language.name.zh": "Chinese",
    "language.name.zh-Hans": "Simplified Chinese",
    "language.name.zh-Hant": "Traditional Chinese",
    "language.name.auto": "the language of each question (automatic)",
    "bot.description": "I answer “does X work with Y?” about platforms (payments, logistics, login, "
                       "messaging, links, content) from dated facts with sources. Ask “does JD accept "
                       "Alipay?” or “京东支持支付宝吗？”, or send /help.",
    "bot.short_description": "Does X work with Y? Platform interoperability facts, with sources.",
})

# Admin commands (bot/admin.py, bot/telegram/admin/). Sent as HTML: callers escape every value.
EN.update({
    "admin.refused": "Sorry, {command} is for the bot's admins only. Being admin of a group does not "
                     "make you one; the bot's owners can grant it.",
    "admin.owners_only": "Sorry, {command} is for the bot's owners only.",
    "admin.anonymous": "I can't tell who you are when you post as the group (anonymous admin), so I "
                       "can't take admin commands this way. Please send it to me in a private chat.",
    "admin.button_refused": "Sorry, these buttons are for the bot's admins only.",
    "admin.button_not_yours": "This choice belongs to the admin who sent the command.",
    "admin.button_stale": "This choice has expired (or the bot restarted). Please send the command again.",
    "admin.error": "⚠️ {error}",
    "admin.usage": "Use: {usage}",
    "admin.invalid_value": "⚠️ The {field} “{value}” is not allowed. Use one of: {allowed}.",
    "admin.unknown_company": "⚠️ I don't know the {role} “{name}”.",
    "admin.did_you_mean": "Did you mean: {names}?",
    "admin.create_or_pick": "Create it as a new company, or pick the one you meant:",
    "admin.create_only": "Create it as a new company, or send the command again with another name.",
    "admin.duplicate": "⚠️ That fact already exists as #{id} (same pair, kind, status and date). "
                       "Change it with /editfact {id} FIELD VALUE, or see /history {id}.",
    "admin.fact_saved": "✅ Saved as fact #{id}. It now reads:",
    "admin.source_added": "✅ Source added to fact #{id}:",
    "admin.edited": "✅ Fact #{id}: {field} changed. It now reads:",
    "admin.retract_confirm": "Retract fact #{id}? It disappears from answers but stays in the history, "
                             "and /restore {id} brings it back.",
    "admin.retracted": "🗑 Fact #{id} is retracted. /restore {id} brings it back.",
    "admin.retract_kept": "Kept fact #{id}; nothing changed.",
    "admin.restored": "♻️ Fact #{id} is restored. It reads:",
    "admin.history.header": "🕘 History of fact #{id}",
    "admin.history.entry": "{at} · {actor} · {action}",
    "admin.history.change": "  {field}: {before} → {after}",
    "admin.history.set": "  {field}: {after}",
    "admin.history.removed": "  {field} removed: {before}",
    "admin.history.older": "({n} older entries not shown)",
    "admin.action.add": "created",
    "admin.action.edit": "edited",
    "admin.action.add_source": "source added",
    "admin.action.retract": "retracted",
    "admin.action.restore": "restored",
    "admin.action.import": "imported",
    "admin.action.verify": "checked",
    "admin.card.retracted": "🗑 retracted",
    "admin.card.detail": "Detail: {text}",
    "admin.card.date_note": "Date note: {text}",
    "admin.card.confidence": "Confidence: {text}",
    "admin.card.sources": "Sources:",
    "admin.card.quote": "  <i>“{quote}”</i>",
    "admin.company_added": "✅ Added company {name} (#{id}). It answers in /check and /company now.",
    "admin.company_parent": "Part of {parent}.",
    "admin.alias_added": "✅ {company} is now also called “{alias}”.",
    "admin.alias_removed": "✅ “{alias}” no longer names {company}.",
    "admin.granted": "✅ {user} is now an admin.",
    "admin.already_admin": "{user} is already an admin; nothing changed.",
    "admin.revoked": "✅ {user} is no longer an admin.",
    "admin.not_admin": "{user} was not an admin; nothing changed.",
    "admin.roster": "<b>Owners</b> (from ADMIN_IDS): {owners}\n<b>Granted admins</b>: {granted}",
    "admin.roster_grant": "{user} (by {by}, {at})",
    "admin.roster_none": "none",
    "admin.import.need_file": "Send a JSON or CSV file (or the zips /export sends) with the caption "
                              "/import, or reply /import to such a file.",
    "admin.import.wrong_type": "⚠️ “{name}” is not a .json, .csv or .zip file. Use the files /export sends "
                               "as a template.",
    "admin.import.too_big": "⚠️ That file is {size} MB; the limit is {limit} MB. Please split it.",
    "admin.import.bad_file": "⚠️ I couldn't read “{name}”: {error}",
    "admin.import.report": "{head} {new} new, {updated} updated, {unchanged} unchanged facts; "
                           "{new_companies} new and {updated_companies} updated companies; "
                           "{rejected} rejected.",
    "admin.import.dry_run": "<b>Dry run</b> of “{name}”:",
    "admin.import.applied": "✅ <b>Imported</b> “{name}”:",
    "admin.import.changes_head": "Changes (old → new):",
    "admin.import.change_line": "• {label}: {field} “{old}” → “{new}”",
    "admin.import.sources_line": "• {label}: sources changed",
    "admin.import.more_changes": "… and {n} more changes.",
    "admin.import.older": "⚠️ {label}: the stored fact was changed at {when}, after this file was "
                          "written; applying it would undo that edit.",
    "admin.import.rejected_head": "Rejected rows (not imported):",
    "admin.import.rejected_line": "• {label}: {reason}",
    "admin.import.more_rejected": "… and {n} more.",
    "admin.import.nothing": "Nothing would change, so there is nothing to apply.",
    "admin.import.confirm": "Apply it? The whole file goes in at once, or not at all.",
    "admin.import.cancelled": "Import cancelled; nothing was changed.",
    "admin.export.caption": "Full export ({fmt}): {companies} companies, {facts} facts. "
                            "Send it back with the caption /import.",
    "admin.backup.caption": "Backup of the database, {at}. To restore: stop the bot, replace the "
                            "database file with this one, start the bot.",
    "admin.cancelled": "Cancelled; nothing was saved.",
    "admin.nothing_to_cancel": "There is nothing to cancel.",
    "admin.form.subject": "New fact, step 1/8: which platform accepts, hosts or offers something? "
                          "(the <b>subject</b>, e.g. JD.com). /cancel stops at any point.",
    "admin.form.object": "Step 2/8: and the outside service? (the <b>object</b>, e.g. Alipay)",
    "admin.form.kind": "Step 3/8: what kind of link is it?",
    "admin.form.status": "Step 4/8: where does it stand?",
    "admin.form.date": "Step 5/8: when? YYYY, YYYY-MM or YYYY-MM-DD, or - if the source gives no date.",
    "admin.form.summary": "Step 6/8: a one-sentence summary (up to {max} characters).",
    "admin.form.note": "Step 7/8: a note on what is limited (for example: opt-in, beta, some regions). "
                       "A partial fact needs one; otherwise send - to skip it.",
    "admin.form.source": "Step 8/8: the source URL, optionally followed by a space and its title.",
    "admin.form.chosen": "{field}: {value}",
    "admin.form.preview": "Please check the new fact, then tap Save:",
    "admin.form.tap": "Please tap one of the buttons above, or /cancel.",
    "admin.form.timeout": "The new-fact form timed out; nothing was saved. Send /addfact to start again.",
    "admin.form.retry": "Please send it again, or /cancel.",
    "admin.button.create": "➕ Create “{name}”",
    "admin.button.save": "✅ Save",
    "admin.button.cancel": "✖️ Cancel",
    "admin.button.retract": "🗑 Retract #{id}",
    "admin.button.keep": "Keep it",
    "admin.button.apply": "✅ Apply import",
    "admin.usage.addfact": "/addfact SUBJECT | OBJECT | KIND | STATUS | DATE | SUMMARY | SOURCE_URL "
                           "[| SOURCE_TITLE]\ne.g. /addfact JD.com | Alipay | payments | live | 2024-10 | "
                           "JD.com accepts Alipay at checkout. | https://example.com/news\n"
                           "Kinds: {kinds}. Statuses: {statuses}. Or send a bare /addfact for a "
                           "guided form.",
    "admin.usage.addsource": ("/addsource FACT_ID URL [TITLE] [| quote: EXCERPT], e.g. /addsource 12 "
                              "https://example.com/news Launch report | quote: Pay with Alipay from today"),
    "admin.usage.editfact": "/editfact FACT_ID FIELD VALUE, e.g. /editfact 12 status ended\n"
                            "Fields: {fields}. A value of - empties date, kind_detail, date_note "
                            "or confidence.",
    "admin.usage.retract": "/retract FACT_ID, e.g. /retract 12",
    "admin.usage.restore": "/restore FACT_ID, e.g. /restore 12",
    "admin.usage.history": "/history FACT_ID, e.g. /history 12",
    "admin.usage.addcompany": "/addcompany NAME [| PARENT] [| KIND], e.g. /addcompany Alipay HK | "
                              "Ant Group | payments",
    "admin.usage.alias": "/alias COMPANY ALIAS, e.g. /alias Alipay 支付宝 (use | when the company "
                         "name has spaces: /alias WeChat Pay | WXP)",
    "admin.usage.unalias": "/unalias COMPANY ALIAS, e.g. /unalias Alipay Zhifubao",
    "admin.usage.grant": "/grant USER_ID, e.g. /grant 123456789 (the numeric id, from @userinfobot)",
    "admin.usage.revoke": "/revoke USER_ID, e.g. /revoke 123456789",
    "cmd.addfact": "Add a fact (one line, or a guided form)",
    "cmd.addsource": "Add a source to a fact",
    "cmd.editfact": "Change one field of a fact",
    "cmd.retract": "Retract a fact (soft delete)",
    "cmd.restore": "Restore a retracted fact",
    "cmd.history": "Who changed a fact, and when",
    "cmd.addcompany": "Add a company",
    "cmd.alias": "Add another name for a company",
    "cmd.unalias": "Remove a name of a company",
    "cmd.import": "Import a JSON/CSV file (dry run first)",
    "cmd.export": "Download everything as JSON and CSV",
    "cmd.admins": "List owners and admins",
    "cmd.grant": "Make a user an admin (owners)",
    "cmd.revoke": "Withdraw a user's admin rights (owners)",
    "cmd.backup": "Download a database backup (owners)",
})

# house: uploads past Telegram's limit (bot/telegram/admin/files.py). HTML: callers escape values.
EN.update({
    "admin.too_big_to_send": "⚠️ {what} is {size} MB even zipped, and Telegram takes uploads of at most "
                             "{limit} MB. Run <code>{command}</code> on the server instead.",
})

# Pictures: /map and /compare (bot/maps.py, bot/pictures.py, bot/telegram/pictures.py).
EN.update({
    "usage.map": "Tell me a name, e.g. /map jd",
    "usage.compare": "Tell me platforms, then | and services, e.g. "
                     "/compare taobao, tmall, jd | alipay, wechat pay",
    "compare.too_big": "That table would be {rows} × {cols}; I draw at most {max} × {max}. "
                       "Please name fewer companies.",
    "map.no_facts": "No links recorded for {name} yet, so there is nothing to draw. "
                    "See /company {name} for what I know.",
    "map.caption": "{name}: {n} links",
    "map.caption_one": "{name}: 1 link",
    "map.count": "{n} {verdict}",
    "map.left_out": "The picture shows the {shown} most recent partners; {n} more are not drawn.",
    "map.left_out_one": "The picture shows the {shown} most recent partners; 1 more is not drawn.",
    "map.link": "{status} · {a} × {b}: {kinds}",
    "map.text_header": "Links of {name}",
    "map.more_links": "…and {n} more links.",
    "map.data_date": "Data as of {date}",
    "map.open_text": "📝 Open as text",
    "map.drawing_failed": "I could not draw that picture; here is the answer as text.",
    "compare.header": "{rows} × {cols}: each cell is what /check says for the pair",
    "compare.row": "{name}: {cells}",
    "compare.cell": "{name} {mark}",
    "compare.legend": "✅ live · 🟡 partial · 🕓 announced · ⛔ ended · ❔ no record · — same company",
    "mark.live": "✅",
    "mark.partial": "🟡",
    "mark.announced": "🕓",
    "mark.ended": "⛔",
    "mark.no_record": "❔",
    "mark.same": "—",
    "console.picture": "Picture: {path}",
    "cmd.map": "A picture of who a company works with",
    "cmd.compare": "A table: platforms | services",
    # drawn into the PNG (no emoji: the picture fonts have none)
    "picture.map_title": "{name}: who it works with",
    "picture.compare_title": "{rows} platforms × {cols} services",
    "picture.data_date": "Data as of {date}",
    "picture.left_out": "{n} more partners not drawn (showing the {shown} most recent)",
    "picture.left_out_one": "1 more partner not drawn (showing the {shown} most recent)",
    "picture.group": "({name})",
    "picture.legend": "{verdict} ({n})",
    "picture.verdict.live": "live",
    "picture.verdict.partial": "partial",
    "picture.verdict.announced": "announced",
    "picture.verdict.ended": "ended",
    "picture.verdict.no_record": "no record",
    "picture.kind.payments": "payments",
    "picture.kind.logistics": "logistics",
    "picture.kind.shopping/links": "links",
    "picture.kind.messaging": "messaging",
    "picture.kind.login": "login",
    "picture.kind.content": "content",
    "picture.kind.other": "other",
})

EN.update({
    # follows
    "follows.button.follow": "🔔 Follow",
    "follows.button.unfollow": "✖ Unfollow {name}",
    "follows.usage": "Use /follow NAME to hear about a company (with its products and subsidiaries), "
                     "or /follow NAME | NAME for one pair.",
    "follows.usage_unfollow": "Use /unfollow NAME or /unfollow NAME | NAME; /following lists "
                              "what this chat follows.",
    "follows.same": "Both names are {name}; name two companies for a pair.",
    "follows.done": "🔔 This chat now follows {name}.",
    "follows.scope_company": "You will get a message when a fact about it, its products or "
                             "its subsidiaries is added or changed.",
    "follows.scope_pair": "You will get a message when a fact about this pair is added or changed.",
    "follows.already": "This chat already follows {name}.",
    "follows.undone": "This chat no longer follows {name}.",
    "follows.not_following": "This chat does not follow {name}.",
    "follows.limit": "This chat already follows {max} things, the limit. /following lists them, "
                     "with buttons to unfollow.",
    "follows.none": "This chat follows nothing yet. Use /follow NAME, or the 🔔 Follow button "
                    "under an answer.",
    "follows.list_head": "This chat follows {n}:",
    "follows.admins_only": "In a group, only the group's admins can change what it follows.",
    "follows.anonymous": "You are posting anonymously, so I cannot check who you are. "
                         "Please use a private chat with me.",
    "follows.change.add": "(new)",
    "follows.change.edit": "(updated)",
    "follows.change.status": "(was {before})",
    "follows.change.retract": "(withdrawn: no longer on record)",
    "follows.change.restore": "(restored)",
    "follows.change.source": "(new source)",
    "follows.retracted": "🗑 withdrawn",
    "follows.source": "Source:",
    "follows.digest": "🔔 {n} changes to what this chat follows:",
    "follows.digest_more": "…and {n} more. /recent shows the latest.",
    "cmd.follow": "Get told when a company or pair changes",
    "cmd.following": "What this chat follows",
    "cmd.suggest": "Suggest a fact, with a source",
    "cmd.privacy": "What the bot stores about you",
    "cmd.reports": "Open reports and suggestions",
    "cmd.misses": "What people asked and did not find",
    # feedback (reports, suggestions, misses, privacy)
    "feedback.button.report": "⚠️ Report",
    "feedback.placeholder": "What is wrong?",
    "feedback.report_prompt": "What is wrong with {name}? Reply to this message "
                              "(up to {max} characters).",
    "feedback.too_long": "That is {n} characters; please keep it to {max}.",
    "feedback.rate_report": "You sent {n} reports in the last hour; please try again later.",
    "feedback.rate_suggestion": "You sent {n} suggestions in the last hour; please try again later.",
    "feedback.thanks_report": "Thank you! Report #{id} is with the admins.",
    "feedback.report_new": "⚠️ New report #{id} about {name} (user {user}, chat {chat}, {at})",
    "feedback.report_item": "⚠️ Report #{id} about {name} (user {user}, chat {chat}, {at})",
    "feedback.open_answer": "Open the answer",
    "feedback.see_queue": "/reports lists everything waiting.",
    "feedback.suggest_usage": "Suggest a fact in one line, like /addfact: SUBJECT | OBJECT | KIND | "
                              "STATUS | DATE | SUMMARY | SOURCE_URL [| SOURCE_TITLE]. A source link "
                              "is required. Reply to this message, or send /suggest with the line "
                              "(up to {max} characters).",
    "feedback.thanks_suggestion": "Thank you! Suggestion #{id} waits for an admin; I will tell "
                                  "you what they decide.",
    "feedback.suggestion_new": "💡 New suggestion #{id} (user {user}, {at})",
    "feedback.suggestion_item": "💡 Suggestion #{id} (user {user}, {at})",
    "feedback.duplicate": "That fact already exists as #{id}.",
    "feedback.accepted": "Suggestion #{id} accepted as fact #{fact}.",
    "feedback.accepted_user": "Your suggestion #{id} was accepted as fact #{fact}. Thank you!",
    "feedback.rejected": "Suggestion #{id} rejected.",
    "feedback.rejected_user": "Your suggestion #{id} was not accepted: {reason}",
    "feedback.edit_prompt": "Reply with the corrected line for suggestion #{id}; it is saved "
                            "at once. The current line:",
    "feedback.reject_prompt": "Why is suggestion #{id} rejected? Reply with the reason; the "
                              "suggester is told.",
    "feedback.resolved": "Report #{id} resolved.",
    "feedback.dismissed": "Report #{id} dismissed.",
    "feedback.admins_only": "Only the bot's admins can do that.",
    "feedback.queue_empty": "No open reports or suggestions.",
    "feedback.queue_head": "Waiting for an admin, newest first:",
    "feedback.queue_more": "…and more; deal with these first.",
    "feedback.button.resolve": "✅ Resolve #{id}",
    "feedback.button.dismiss": "✖ Dismiss #{id}",
    "feedback.button.accept": "✅ Accept #{id}",
    "feedback.button.edit": "✏️ Edit #{id}",
    "feedback.button.reject": "✖ Reject #{id}",
    "feedback.misses_head": "What people asked and did not find (last 30 days):",
    "feedback.misses_names": "Unknown names:",
    "feedback.misses_pairs": "Known pairs with no record:",
    "feedback.misses_none": "• none",
    "feedback.privacy": "What I store: what each chat follows (/unfollow or /following removes it); "
                        "reports and suggestions, with your Telegram user id so admins can follow "
                        "up; and anonymous daily counts of names and pairs nobody found, without "
                        "who asked. /forgetme deletes your follows in this private chat and your "
                        "reports and suggestions.",
    "feedback.forgotten": "Done: deleted {follows} follows and {reports} reports and suggestions.",
})

# answers (bot/answers.py decisions, rendered by bot/render/)
EN.update({
    "answers.unknown": "I don't know “{name}” yet.",
    "answers.unknown_suggest": "I don't know “{name}” yet. Did you mean {names}?",
    "answers.headline_kind": "{verdict}: {a} × {b} — {kind}",
    "answers.no_kind": "❔ No record of {kind} between {a} and {b}.",
    "answers.other_kinds": "Other links between them:",
    "answers.brief": "{kind}: {relation} — {status} {since}",
    "answers.next": "(then {status} {date})",
    "answers.pair_line": "{verdict}: {a} × {b}",
    "answers.pair_detail": " — {kind}, {status} {since}",
    "answers.pairs_header": "{n} pairs:",
    "answers.more_pairs": "… and {n} more pairs. Ask about two of them for the details.",
    "answers.kind_header": "{kind} — {name}",
    "answers.kind_none": "❔ No {kind} facts recorded for {name} yet. See everything about it with "
                         "/company {name}",
    "answers.default_topic": "Nothing on making {asked} itself the default; {asked} is one of the "
                             "{topic}, so here is what I have on those.",
    "answers.substituted": "{asked}: answering with {label}.",
    "answers.via": "via {labels}",
    "answers.link.product": "{child}, {parent}'s {service}",
    "answers.link.affiliate": "{child} ({parent} affiliate)",
    "answers.link.subsidiary": "{child} (owned by {parent})",
    "answers.link.none": "{child} (part of {parent})",
    "answers.service.payments": "payment service",
    "answers.service.logistics": "logistics service",
    "answers.service.messaging": "messaging service",
    "answers.service.other": "product",
    "answers.own.yes": "✅ Yes: {child} is part of {parent}.",
    "answers.own.affiliate": "🟡 Partly: {child} is connected to {parent} through an affiliate "
                             "(a minority stake), not owned by it.",
    "answers.own.no": "⛔ No: {child} is not part of {parent}; they are not related in my data.",
    "answers.own.related": "🔗 {child} and {other} are not one company, but both belong to {parent}.",
    "answers.no_feature": "❔ No record of {feature} between {a} and {b}.",
    "answers.headline_state": "{a} × {b} — {kind}: {state} {since}",
    "answers.read_as": "I read “{typed}” as {name}.",
    "search.fallback": "🔎 I couldn't find two names in that, so I searched for “{query}”: {n} result(s)",
    "search.fallback_none": "I couldn't find a name in that, and I searched for “{query}” with no "
                            "result. Try two names, e.g. “does JD accept Alipay?”",
    "answers.own.chain": "🏢 {child} belongs to {top}.",
    "answers.own.top": "🏢 {child} has no parent company in my records.",
    "answers.own.line.product": "• {child} is a product or service of {parent}",
    "answers.own.line.affiliate": "• {child} is an affiliate of {parent} (minority stake)",
    "answers.own.line.subsidiary": "• {child} is owned by {parent}",
    "answers.own.line.none": "• {child} is part of {parent}",
    "answers.hello": "Hi! I answer “does X work with Y?” about platforms, with sources. Try "
                     "/check jd alipay, or just ask “does JD accept Alipay?” or “京东能用支付宝吗？”. "
                     "/help shows everything I can do.",
})

# house: the console's admin mode (python -m bot console --admin). Plain text.
EN.update({
    "console.admin_intro": "Admin mode: you act as an owner. /addfact, /editfact, /addsource, /retract, "
                           "/restore, /verify, /stale, /history, /addcompany, /alias, /unalias, "
                           "/import FILE [apply], "
                           "/export FOLDER.",
    "console.admin_only": "{cmd} is an admin command; start the console with --admin to use it.",
    "console.import_usage": "Use: /import FILE (a dry run), then /import FILE apply",
    "console.import_apply": "Nothing is written yet. To apply it: {line}",
    "console.cannot_read": "Cannot read {path}: {error}",
    "console.export_usage": "Use: /export FOLDER (an existing folder; the JSON and CSV files go there)",
    "console.exported": "Exported to {files}",
})

# i18n: company kinds as the seed names them (Company.kind is free text; unknown kinds show as stored).
EN.update({
    "company_kind.payments": "payments",
    "company_kind.category": "category",
    "company_kind.messaging": "messaging",
    "company_kind.social": "social",
    "company_kind.device maker": "device maker",
    "company_kind.marketplace": "marketplace",
    "company_kind.card network": "card network",
    "company_kind.internet company": "internet company",
    "company_kind.video": "video",
    "company_kind.logistics": "logistics",
    "company_kind.tech company": "tech company",
    "company_kind.OS": "OS",
    "company_kind.search engine": "search engine",
    "company_kind.app store": "app store",
    "company_kind.browser": "browser",
    "company_kind.TV": "TV",
    "company_kind.conglomerate": "conglomerate",
    "company_kind.food delivery": "food delivery",
    "company_kind.fintech": "fintech",
    "company_kind.nonprofit": "nonprofit",
    "company_kind.publishing": "publishing",
    "company_kind.business group": "business group",
    "company_kind.marketing": "marketing",
    "company_kind.super-app": "super-app",
    "company_kind.holding company": "holding company",
    "company_kind.bridge": "bridge",
    "company_kind.protocol": "protocol",
    "company_kind.bank": "bank",
    "company_kind.attraction": "attraction",
    "company_kind.game company": "game company",
    "company_kind.file sharing": "file sharing",
    "company_kind.standards body": "standards body",
    "company_kind.smart home standard": "smart home standard",
    "company_kind.standard": "standard",
})

# errors: what InteropError and its kinds say (bot.domain: a key and its values, said when shown)
EN.update({
    "import.label_row": "row {n}",
    "import.label_fact": "fact {n}",
    "import.label_company": "company {n}",
    "field.subject": "subject",
    "field.object": "object",
    "field.kind": "kind",
    "field.status": "status",
    "field.date": "date",
    "field.summary": "summary",
    "field.summary_zh": "summary_zh",
    "field.source URL": "source URL",
    "field.kind_detail": "kind_detail",
    "field.date_note": "date_note",
    "field.confidence": "confidence",
    "field.scope": "scope",
    "field.region": "region",
    "field.note": "note",
    "field.verified": "verified",
    "field.relation": "relation",
    "field.name": "name",
    "field.name_zh": "name_zh",
    "field.parent": "parent",
    "field.alias": "alias",
    "field.title": "title",
    "field.company kind": "company kind",
    "field.source title": "source title",
    "field.source publisher": "source publisher",
    "field.source quote": "source quote",
    "field.report": "report",
    "field.suggestion": "suggestion",
    "error.invalid_value": "{field} {value!r} is not one of: {allowed}",
    "error.date_format": "date {value!r} must look like YYYY, YYYY-MM or YYYY-MM-DD",
    "error.date_early": "date {value!r} is before 1990",
    "error.date_unreal": "date {value!r} is not a real calendar date",
    "error.date_future": "date {value!r} is too far in the future",
    "error.missing": "{field} is missing",
    "error.too_long": "{field} is {n} characters; the limit is {limit}",
    "error.no_letters": "{field} {value!r} needs at least one letter or digit",
    "error.url_missing": "source URL is missing",
    "error.url_long": "source URL is longer than {max} characters",
    "error.url_spaces": "source URL must not contain spaces or control characters",
    "error.url_malformed": "source URL {url!r} is malformed",
    "error.url_scheme": "source URL must start with http:// or https://",
    "error.url_host": "source URL {url!r} has no valid host",
    "error.verified_format": "verified {value!r} must be a date like 2026-12-01",
    "error.verified_past": "verified {value!r} must be a past date like 2026-12-01",
    "error.no_source": "a fact needs at least one source",
    "error.same_company": "subject and object are the same company",
    "error.partial_note": "a partial fact needs a note saying what is partial (for example: opt-in, beta)",
    "error.file_too_big": "the file is larger than {mb} MB",
    "error.not_utf8": "the file is not UTF-8 text",
    "error.json_broken": "the JSON is broken at line {line}: {error}",
    "error.json_shape": "the JSON must be an object with 'companies' and 'facts' lists",
    "error.format": "the format {value!r} is not {format!r}",
    "error.too_many_rows": "the file has more than {max} rows",
    "error.csv_header": "the CSV needs a header row starting with 'record' "
                        "(use the file /export sends as a template)",
    "error.csv_broken": "the CSV is broken: {error}",
    "error.csv_record": "unknown record type {value!r}",
    "error.csv_lists": "aliases/sources must be JSON lists",
    "error.not_text": "{field} must be text, not {type}",
    "error.not_object": "not an object",
    "error.aliases_list": "aliases must be a list of strings",
    "error.features_list": "features must be a list of objects with alias, kind and scope",
    "error.sources_list": "sources must be a list of objects with a url",
    "error.source_object": "each source must be an object with a url",
    "error.source_twice": "the same source URL is listed twice",
    "error.unknown_parent": "parent {value!r} is not a known company (list parents before their children)",
    "error.name_taken": "name {value!r} is already used by another company",
    "error.alias_taken": "alias {value!r} already belongs to another company",
    "error.unknown_party": "{role} {value!r} is not a known company",
    "error.duplicates": "duplicates fact #{id} (same pair, kind, scope, status and date)",
    "error.export_format": "export format {value!r} is not one of: {allowed}",
    "error.unknown_company": "{role} “{name}” is not a known company",
    "error.fact_number": "“{value}” is not a fact number (like 12 or #12)",
    "error.user_id": "“{value}” is not a numeric Telegram user id (like 123456789)",
    "error.given_twice": "the {field} is given twice",
    "error.fields_missing": "some fields are missing: {fields}",
    "error.too_many_fields": "there are more than 8 fields; a summary cannot contain “|” "
                             "(optional fields are named: | scope: … | region: … | note: …)",
    "error.empty": "the {field} is empty",
    "error.need_id_url": "please give a fact number and a URL",
    "error.addsource_extra": "after the title, only “| quote: EXCERPT” may follow",
    "error.need_id_field_value": "please give a fact number, a field and the new value",
    "error.not_editable": "“{value}” is not a field you can edit; use one of: {allowed}",
    "error.company_missing": "the company name is missing",
    "error.company_parts": "use at most three parts: NAME | PARENT | KIND",
    "error.need_company_alias": "please give a company and an alias",
    "error.alias_long": "the alias is longer than {max} characters",
    "error.owner_already": "{id} is an owner already (owners are set in ADMIN_IDS)",
    "error.owner_revoke": "{id} is an owner; owners are changed in ADMIN_IDS, not by /revoke",
    "error.label_taken": "“{label}” is already used by {owner}",
    "error.alias_belongs": "“{alias}” already belongs to {owner}",
    "error.alias_already": "{company} is already called “{alias}”",
    "error.company_gone": "{company} no longer exists",
    "error.no_such_alias": "{company} has no alias “{alias}” (aliases: {known})",
    "error.both_same": "subject and object are both {name}; name two companies",
    "error.object_is_subject": "the object must be another company than the subject",
    "error.no_fact": "there is no fact #{id}",
    "error.retracted": "fact #{id} is retracted; /restore {id} it first",
    "error.already_retracted": "fact #{id} is already retracted",
    "error.not_retracted": "fact #{id} is not retracted",
    "error.would_be_same": "subject and object would be the same company",
    "error.fact_exists": "the same fact already exists as #{id} (same pair, kind, scope, status and date)",
    "error.would_duplicate": "that would duplicate fact #{id} (same pair, kind, scope, status and date)",
    "error.cannot_edit": "cannot edit {fields}",
    "error.cites_url": "fact #{id} already cites that URL",
    "error.restore_duplicate": "restoring would duplicate fact #{id}",
    "error.label_letters": "“{label}” needs at least one letter or digit",
    "error.no_company": "company {id} does not exist",
    "error.out_of_ids": "the fact table has run out of ids",
    "error.zip_one": "the zip must hold exactly one .json or .csv file",
    "error.zip_too_big": "the file in the zip is larger than {mb} MB",
    "error.zip_unreadable": "“{name}” is not a readable zip file",
    "error.no_report": "there is no report #{id}",
    "error.no_suggestion": "there is no suggestion #{id}",
    "error.pair_same": "a pair needs two different companies",
    "error.db_duplicate": "that would duplicate existing data",
    "error.db_rules": "the database refused a value that breaks its rules ({what})",
    "error.db_readonly": "the database is read-only right now, so nothing was saved",
    "error.db_full": "the disk is full, so nothing was saved",
    "error.db_busy": "the database is busy, so nothing was saved; please try again in a moment",
    "error.db_damaged": "the database file is damaged ({error})",
    "error.db_refused": "the database refused the change ({error})",
    "error.db_folder": "cannot create the database folder {path}: {error}",
    "error.db_no_folder": "cannot open the database at {path}: its folder does not exist",
    "error.db_open": "cannot open the database at {path}: {error}",
    "error.db_read": "cannot read the database at {path}: {error}",
    "error.db_damaged_at": "the database at {path} is damaged: {error}",
    "error.db_damaged_in": "the database at {path} is damaged ({error})",
    "error.db_newer": "the database schema (v{found}) is newer than this program (v{known}); "
                      "upgrade interop-bot",
})
EN.update({
    "lint.url": "{problem}",
    "error.url_template": "source URL {url!r} holds an unfilled template placeholder",
    "error.url_proxy": "source URL {url!r} goes through a web proxy; cite the real address",
    "lint.partial-note": "a partial fact needs a note saying what is partial",
    "lint.parent-cycle": "the parents go round in a circle: {chain}",
    "lint.duplicate-name": "“{label}” already names {owner}",
    "lint.not-a-company": "{role} “{name}” is not a company in the data",
    "lint.duplicate-fact": "the same fact as {other}",
    "lint.follow-up": "{problem}",
    "lint.follow_up.unknown": "it follows {key}, which is not in the data",
    "lint.follow_up.thread": "it follows {key} but is not in its thread (same pair, kind, scope and region)",
    "lint.follow_up.older": "it is dated {date}, before {key} ({other}) which it follows",
    "lint.kind": "kind “{value}” is not one of: {allowed}",
    "lint.status": "status “{value}” is not one of: {allowed}",
    "lint.region": "region “{value}” is not one of: {allowed}",
    "lint.date": "date “{value}”: {problem}",
    "lint.stale-announced": "the thread's newest fact is an announcement from {date}, {months} months ago",
    "lint.single-source": "“high” confidence rests on a single source",
    "lint.no-facts": "no fact mentions it or any company in its group",
    "lint.counts": "{errors} error(s), {warnings} warning(s)",
    "admin.import.lint_head": "Data check: {errors} error(s), {warnings} warning(s):",
    "admin.import.lint_line": "• {line}",
    "admin.import.lint_blocked": "⛔ Fix the errors above and send the file again: nothing was written.",
    "error.surrogate": "{field} holds a lone surrogate (broken UTF-16), which is not text",
    "error.parent_cycle": "that would make the parents go round in a circle: {chain}",
    "error.json_deep": "the JSON is nested too deeply",
    "error.csv_deep": "a JSON list in the CSV is nested too deeply",
    "error.zip_encrypted": "“{name}” is encrypted; send the zip /export made, without a password",
    "error.zip_method": "“{name}” uses a compression method I can't read; zip it with the usual deflate",
    "error.zip_corrupt": "“{name}” is damaged: its compressed data does not unpack",
})

# Richer facts (region, caveat, freshness, confidence) and what changed: /changes, /about, /verify.
EN.update({
    "fact.region": "{status} ({region} only)",
    "region.CN": "China mainland",
    "region.HK": "Hong Kong",
    "region.MO": "Macau",
    "region.TW": "Taiwan",
    "region.EU": "EU/EEA",
    "region.UK": "UK",
    "region.US": "US",
    "region.JP": "Japan",
    "region.KR": "South Korea",
    "region.IN": "India",
    "region.SG": "Singapore",
    "region.TH": "Thailand",
    "region.MY": "Malaysia",
    "region.ID": "Indonesia",
    "region.LK": "Sri Lanka",
    "region.PH": "Philippines",
    "region.VN": "Vietnam",
    "region.AU": "Australia",
    "region.BR": "Brazil",
    "region.AE": "UAE",
    "region.QA": "Qatar",
    "region.KG": "Kyrgyzstan",
    "region.UZ": "Uzbekistan",
    "region.BT": "Bhutan",
    "region.NP": "Nepal",
    "fact.note": "ℹ️ {note}",
    "fact.checked": "checked {date}",
    "fact.unchecked": "not re-checked since {date}",
    "fact.reported": "reported by {source}",
    "fact.reported_plain": "reported",
    "changes.header": "📝 Latest edits to the facts",
    "changes.none": "No edits recorded yet.",
    "changes.line": "• {date} · {action} · {relation} — {summary}",
    "changes.action.add": "added",
    "changes.action.edit": "updated",
    "changes.action.add_source": "source added",
    "changes.action.retract": "retracted",
    "changes.action.restore": "restored",
    "changes.action.import": "imported",
    "changes.action.verify": "checked",
    "usage.changes": "Use /changes or /changes 20 (up to {max}).",
    "about.header": "ℹ️ About this bot",
    "about.covers": ("I know {companies} companies and {facts} sourced facts about how platforms "
                     "work together:"),
    "about.kind_line": "• {kind}: {n}",
    "about.updated": "The data last changed on {date}.",
    "about.never": "No data has been changed yet.",
    "about.sources": (
        "Every fact is a dated event taken from public sources (company announcements, news, "
        "regulators), linked under each answer. “reported” marks a fact resting on a single or "
        "less certain report; “checked” is the day an admin last confirmed it; “not re-checked "
        "since” marks an announcement or a partial launch over a year old that nobody has "
        "confirmed since, and an announcement with no launch reported for six months says so."),
    "about.report": ("Something wrong or missing? Press ⚠️ Report under an answer, or send /suggest "
                     "with a source."),
    "cmd.changes": "What the admins changed lately",
    "cmd.about": "What I cover and where the facts come from",
    "cmd.verify": "Mark a fact as checked today",
    "admin.usage.verify": "/verify FACT_ID, e.g. /verify 12",
    "admin.verified": "✔️ Fact #{id} is marked as checked today. It reads:",
})

# Freshness and the admins' maintenance queue (/stale).
EN.update({
    "verdict.announced_stale": "🕓 Announced in {date}; no launch reported since",
    "check.announced_stale": "in {date}; no launch reported since",
    "about.waiting": "🧹 {n} threads are waiting for an admin to look at them again.",
    "cmd.stale": "Threads most in need of a look",
    "admin.usage.stale": "/stale, or /stale 2 for the second page",
    "stale.empty": "✨ Nothing is waiting: no thread has gone stale.",
    "error.page_number": "“{value}” is not a page number",
    "stale.header": "🧹 Threads waiting for a look: {n}, oldest first",
    "stale.age": "⏳ {age} old · {reason} · newest fact #{id}",
    "stale.reason.announced": "announced, no launch reported",
    "stale.reason.partial": "partial for over 18 months",
    "stale.reason.unchecked": "never checked",
    "stale.source": "📎 {source}",
    "stale.commands": "/verify {id} if it still holds · /retract {id} · /addfact for a follow-up",
    "stale.more": "Page {page}/{pages}: /stale {next} shows the next one.",
    "stale.button.verify": "✔ Still true #{id}",
    "stale.button.follow_up": "➕ Follow-up #{id}",
    "stale.button.retract": "Retract #{id}",
    "stale.verified": "Fact #{id} is marked as checked today.",
    "admin.form.follow_up": ("➕ A follow-up to fact #{id}: {relation}. Subject, object, kind and "
                             "scope are filled in from it."),
})

# Settling: the admin who presses second learns who was first.
EN.update({
    "error.suggestion_accepted_by": "suggestion #{id} was already accepted by {who}",
    "error.suggestion_rejected_by": "suggestion #{id} was already rejected by {who}",
    "error.report_resolved_by": "report #{id} was already resolved by {who}",
    "error.report_dismissed_by": "report #{id} was already dismissed by {who}",
    "error.fact_retracted_by": "fact #{id} was already retracted by {who}",
    "admin.settled.applied": "This import was already applied by {who}.",
    "admin.settled.cancelled": "This was already cancelled by {who}.",
    "admin.settled.saved": "This fact was already saved by {who}.",
})

# The table on the web (bot/render_web.py) and its Mini App button.
EN.update({
    "site.title": "Interop table",
    "site.intro": ("Which platforms take which services, each cell the bot's /check verdict. "
                   "Tap a cell for its sources."),
    "site.filter": "Filter platforms and services (JD, 京东, alipay…)",
    "site.legend": "✅ live · 🟡 partial · 🕓 announced · ⛔ ended · empty: no record",
    "site.platforms": "Platforms ↓ · services →",
    "site.shown": ("{rows} of {all_rows} platforms and {cols} of {all_cols} services shown (the most "
                   "connected); the filter searches the rest."),
    "site.shown_rows": ("{rows} of {all_rows} platforms shown (the most connected), and all {cols} "
                        "services; the filter searches the rest."),
    "site.shown_cols": ("All {rows} platforms shown, and {cols} of {all_cols} services (the most "
                        "connected); the filter searches the rest."),
    "site.no_match": "Nothing in this table matches.",
    "site.elsewhere": "Other companies:",
    "site.cell": "{status} · {date}",
    "site.sources": "Sources",
    "site.quote": "“{quote}”",
    "site.open_bot": "Open this pair in the bot",
    "site.back": "← Table",
    "site.as_platform": "As a platform",
    "site.as_service": "As a service",
    "site.company_link": "Company page",
    "site.data": "Open data: {json} · {csv} (the /export format) · {feed}",
    "site.about": "About the data",
    "site.data_date": "Data as of {date}.",
    "site.table_button": "📊 Table",
})

from bot.texts_zh import ZH  # noqa: E402 - after EN, which it mirrors key for key

CATALOGUES: dict[str, dict[str, str]] = {_EN_LOCALE: EN, ZH_HANS: ZH}
_HANT: dict[str, str] = {}


def template(key: str, lang: str | None = None) -> str:
    """The unfilled message ``key`` in ``lang`` (default: the current locale), falling back to English."""
    lang = lang or current()
    if lang == ZH_HANT:
        found = _HANT.get(key)
        if found is None:
            simplified = ZH.get(key)
            found = _HANT[key] = to_traditional(simplified) if simplified else EN[key]
        return found
    return CATALOGUES.get(lang, EN).get(key) or EN[key]


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The message ``key`` in ``lang`` (default: the current locale), filled with ``values``."""
    text = template(key, lang)
    return text.format(**values) if values else text


def field_label(name: object, lang: str | None = None) -> str:
    """A field's name ("subject", "date") in the reader's language; the name itself when unknown."""
    key = f"field.{name}"
    return t(key, lang) if key in EN else str(name)

# Tappable in Telegram's /help, typed in the console's.
EXAMPLES: tuple[str, ...] = (
    "/check jd alipay",
    "/check taobao jd logistics",
    "/company 微信",
    "does whatsapp work with birdychat?",
)
