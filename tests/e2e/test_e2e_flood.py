"""A busy group never stalls private chats: the real process, the production rate limiter.

300 members of one group each ask once. Updates are ordered per (chat, user), so these are 300
turns at once; the limiter spaces the group's replies (Telegram allows 20 a minute), and an
update keeps its processing slot while its reply waits. The group's replies must not hold the
slots a private chat needs: the private question is answered while the flood drains, every
member is answered once, and the group's replies keep their spacing.

Waiting for 300 replies 3.1 s apart would take 15 minutes, so this bot spaces a group's sends
``SPACING`` apart (``GROUP_SEND_SPACING``); everything else is the limiter as shipped.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

from bot.config import GROUP_SEND_SPACING
from bot.telegram.app import CHAT_ADMISSION
from tests.fakebot import Call

from .harness import BOT_USERNAME, REPLY_TIMEOUT, STOP_TIMEOUT, Launch, replies_in, sends_to

MEMBERS = 300
SPACING = 0.05
"""Seconds between two sends to the group here (3.1 in production)."""
ANSWERED_FIRST = 40
"""Group replies that may come before the private one: 2 s of the group's pace. The slots
(256) hold 256 members, so without admission 300 - 256 + 1 = 45 group replies come first."""
GROUP = -100_300_000_001
FIRST_MEMBER = 310_000
PRIVATE_USER = 330_001


def most_in_window(times: list[float], window: float) -> int:
    """The most events in any ``window`` seconds (sliding, starting at an event)."""
    ordered, best, lo = sorted(times), 0, 0
    for hi, at in enumerate(ordered):
        while at - ordered[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


async def test_300_members_asking_at_once_do_not_stall_a_private_chat(launch: Launch) -> None:
    bot = await launch(extra_env={"RATE_LIMITER": "on", "GROUP_SEND_SPACING": str(SPACING)})
    fake = bot.fake
    since = fake.mark()
    asked = [fake.group_message(GROUP, FIRST_MEMBER + i, f"/check@{BOT_USERNAME} jd alipay",
                                first_name=f"Member {i}")["message"]["message_id"]
             for i in range(MEMBERS)]
    # The group is being answered when the private user asks (after the whole flood, in the queue).
    await fake.await_for(sends_to(GROUP), REPLY_TIMEOUT, since=since)
    fake.private_message(PRIVATE_USER, "/check jd alipay")
    private = await fake.await_for(sends_to(PRIVATE_USER), REPLY_TIMEOUT, since=since)
    group_first = [c for c in replies_in(fake, GROUP, since) if c.time <= private.time]
    assert len(group_first) <= ANSWERED_FIRST, (
        f"the private /check waited for {len(group_first)} of the group's {MEMBERS} replies")

    def reply_to(message_id: int) -> Callable[[Call], bool]:
        def matches(call: Call) -> bool:
            quoted = (call.params.get("reply_parameters") or {}).get("message_id")
            return sends_to(GROUP)(call) and quoted == message_id
        return matches

    for message_id in asked:  # every member is answered (at the group's pace: seconds, not minutes)
        await fake.await_for(reply_to(message_id), REPLY_TIMEOUT + MEMBERS * SPACING, since=since)
    replies = replies_in(fake, GROUP, since)
    quoted = sorted((c.params.get("reply_parameters") or {}).get("message_id") for c in replies)
    assert quoted == sorted(asked)  # each once: none dropped, none twice
    assert all("Alipay" in str(c.params.get("text")) for c in replies)
    # The group's pace held: a bucket of one lets at most 1 + w / SPACING through in w seconds
    # (one more for the network between the bot and the fake).
    assert most_in_window([c.time for c in replies], 1.0) <= 1 + 1 / SPACING + 1


async def test_a_stop_signal_during_a_group_flood_ends_within_seconds(launch: Launch) -> None:
    """At the production pace (3.1 s a group reply) the flood would take 15 minutes to drain;
    the replies in flight finish (at most ``CHAT_ADMISSION`` of them, at the group's pace), the
    backlog is dropped with one log line, and the exit is clean."""
    bound = STOP_TIMEOUT + CHAT_ADMISSION * GROUP_SEND_SPACING
    bot = await launch(extra_env={"RATE_LIMITER": "on"})
    fake = bot.fake
    since = fake.mark()
    for i in range(MEMBERS):
        fake.group_message(GROUP, FIRST_MEMBER + i, f"/check@{BOT_USERNAME} jd alipay",
                           first_name=f"Member {i}")
    await fake.await_for(sends_to(GROUP), REPLY_TIMEOUT, since=since)
    code = await bot.astop(bound, signal.SIGTERM)
    assert code == 0, bot.log()
    assert bot.stop_seconds is not None and bot.stop_seconds < bound
    assert "updates of busy chats not answered" in bot.log()
    assert len(replies_in(fake, GROUP, since)) < 10  # the backlog was not drained first
