"""What readers tell the admins: reports of wrong facts, suggested facts, and what they missed.

Nothing here knows Telegram. Reports and suggestions keep the reporter's id (so an admin can
follow up, and ``/forgetme`` can delete them); misses keep only normalised text and a daily
count, never who asked. Every admin decision is written to the audit log in the same
transaction as the change it records.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.domain import CheckResult, Fact, Miss, Report, Suggestion, Unresolved, ValidationError, Verdict
from bot.store import FactDraft, Store, settle
from bot.store import feedback as feedback_rows

MAX_FEEDBACK = 1000
"""Characters in a report, a suggestion or a rejection reason."""
PER_HOUR = 5
"""Reports (and, separately, suggestions) one user may send in an hour."""
MISS_DAYS = 30
MAX_MISS_TEXT = 80
MAX_QUEUE = 30




def clean_feedback(text: str, field: str = "report") -> str:
    """Trimmed, one paragraph; refused when empty or longer than MAX_FEEDBACK."""
    text = " ".join("".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cf"}
                            or ch == "\n").split())
    if not text:
        raise ValidationError("error.empty", field=field)
    if len(text) > MAX_FEEDBACK:
        raise ValidationError("feedback.too_long", n=len(text), max=MAX_FEEDBACK)
    return text


class Feedback:
    """Reports, suggestions and the admin queue: named reads and writes of the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- reports -----------------------------------------------------------------------------

    async def add_report(self, chat_id: int, user_id: int, subject_id: int, object_id: int,
                         text: str) -> Report:
        text = clean_feedback(text)
        return Report(*await self.store.write(feedback_rows.add_report, chat_id, user_id,
                                              subject_id, object_id, text, PER_HOUR))

    async def report(self, report_id: int) -> Report | None:
        row = await self.store.read(feedback_rows.report, report_id)
        return Report(*row) if row else None

    async def close_report(self, report_id: int, status: str, actor: str) -> Report:
        """Resolve or dismiss an open report; audited. One compare-and-set: when another admin
        settled it first, ``AlreadySettled`` says who."""
        assert status in {"resolved", "dismissed"}
        await self.store.write(settle.close_report, report_id, status, actor)
        found = await self.report(report_id)
        assert found is not None
        return found

    # -- suggestions ---------------------------------------------------------------------------

    async def add_suggestion(self, chat_id: int, user_id: int, line: str) -> Suggestion:
        """Store a suggestion whose line the caller has validated (Editor.draft)."""
        line = clean_feedback(line, "suggestion")
        return Suggestion(*await self.store.write(feedback_rows.add_suggestion, chat_id, user_id,
                                                  line, PER_HOUR))

    async def suggestion(self, suggestion_id: int) -> Suggestion | None:
        row = await self.store.read(feedback_rows.suggestion, suggestion_id)
        return Suggestion(*row) if row else None

    async def open_suggestion(self, suggestion_id: int) -> Suggestion:
        """The suggestion while it is open; settled already, ``AlreadySettled`` says by whom."""
        await self.store.write(settle.require_open, "suggestion", suggestion_id)
        found = await self.suggestion(suggestion_id)
        assert found is not None
        return found

    async def reject_suggestion(self, suggestion_id: int, reason: str, actor: str) -> Suggestion:
        """Reject with a reason; audited, once only (one compare-and-set)."""
        reason = clean_feedback(reason, "reason")
        await self.store.write(settle.reject_suggestion, suggestion_id, reason, actor)
        found = await self.suggestion(suggestion_id)
        assert found is not None
        return found

    async def accept_suggestion(self, suggestion_id: int, draft: FactDraft, line: str, actor: str,
                                fact_actor: str) -> tuple[Suggestion, Fact]:
        """Accept and store the fact in one transaction: only the admin who wins the
        compare-and-set writes a fact; a duplicate fact leaves the suggestion open."""
        fact = await self.store.write(settle.accept_suggestion, suggestion_id, draft, line, actor,
                                      fact_actor)
        found = await self.suggestion(suggestion_id)
        assert found is not None
        return found, fact

    # -- the admin queue -----------------------------------------------------------------------

    async def queue(self, limit: int = MAX_QUEUE) -> list[Report | Suggestion]:
        """Open reports and suggestions, newest first."""
        reports, suggestions = await self.store.read(feedback_rows.open_items, limit)
        items: list[Report | Suggestion] = [*(Report(*r) for r in reports),
                                            *(Suggestion(*r) for r in suggestions)]
        items.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return items[:limit]

    # -- privacy -------------------------------------------------------------------------------

    async def forget_user(self, user_id: int) -> tuple[int, int]:
        """/forgetme: the user's own follows (their private chat) and their reports/suggestions."""
        return await self.store.write(feedback_rows.forget_user, user_id)

    # -- misses --------------------------------------------------------------------------------

    async def save_misses(self, counts: Counter[tuple[str, str, str]]) -> None:
        """Add (day, kind, text) counts to miss_daily and forget days past MISS_DAYS."""
        if not counts:
            return
        await self.store.write(feedback_rows.save_misses,
                               [(day, kind, text, n) for (day, kind, text), n in counts.items()],
                               _day(MISS_DAYS))

    async def misses(self, days: int = MISS_DAYS, limit: int = 20) -> tuple[list[Miss], list[Miss]]:
        """Unknown names and no-record pairs of the last ``days`` days, most asked first."""
        since = _day(days - 1)
        out: list[list[Miss]] = []
        for kind in ("name", "pair"):
            rows = await self.store.read(feedback_rows.misses, kind, since, limit)
            out.append([Miss(kind, text, int(n)) for text, n in rows])
        return out[0], out[1]


def _day(days_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%d")


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())[:MAX_MISS_TEXT]


class MissLog:
    """Counts of what people asked and the bot could not answer, held in memory until saved.

    Each ``Interop`` owns one (built in the composition root, bot/startup.py), so two services
    or two tests never share counts. The answering core calls ``note`` on its results (no I/O on
    the answer path); the delivery job saves the counts with ``Feedback.save_misses``.
    """

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def note(self, result: object) -> None:
        """Count an Unresolved's unknown names, or a check that found no record."""
        if isinstance(result, Unresolved):
            for resolution in result.resolutions:
                if resolution.company is None and _norm(resolution.query):
                    self.counts[(_day(), "name", _norm(resolution.query))] += 1
        elif isinstance(result, CheckResult) and result.verdict is Verdict.NO_RECORD:
            a, b = sorted((result.a.name, result.b.name), key=str.casefold)
            self.counts[(_day(), "pair", _norm(f"{a} × {b}"))] += 1

    def take(self) -> Counter[tuple[str, str, str]]:
        """Hand over the counts so far and start again (put them back if saving fails)."""
        counts, self.counts = self.counts, Counter()
        return counts

    def put_back(self, counts: Counter[tuple[str, str, str]]) -> None:
        self.counts.update(counts)

