"""Admin commands in Telegram: ``commands`` (one-line verbs), ``form`` (the guided /addfact), ``pending``,
``stale`` (the maintenance queue).

``pending`` holds what waits for a confirming button; ``common`` the rights checks and replies.

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
``a:imp:<token>``              apply a pending /import (its bytes sit in chat_data)
``a:ret:<fact>:<uid>``         confirm /retract; ``a:keep:<fact>:<uid>`` keeps it
``a:fk:<kind>`` ``a:fs:<st>``  guided form: kind and status choices
``a:fnew`` ``a:fpick:<id>``    guided form: create or pick an unknown company
``a:fsave`` ``a:fcancel``      guided form: save or cancel the preview
``a:sf:<fact>``                guided form, pre-filled as a follow-up to the fact (from /stale)
``a:st:`` ``a:sv:`` ``a:sr:``  /stale: a page, ✔ Still true, Retract (see ``stale``)
=============================  ==================================================
"""


from bot.telegram.admin.commands import ADMIN_COMMANDS
from bot.telegram.admin.common import ADMIN_GROUP, IMPORT_CAPTION, ends_update
from bot.telegram.admin.form import FORM
from bot.telegram.admin.pending import PENDING

__all__ = ["ADMIN_COMMANDS", "ADMIN_GROUP", "FORM", "IMPORT_CAPTION", "PENDING", "ends_update"]
