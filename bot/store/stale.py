"""The SQL of the admins' maintenance queue (``/stale``): threads whose newest fact needs a look.

A thread is every live fact of one (subject, object, kind, scope, region), as answers group them;
its newest fact is the one with the latest date (then the highest id), as ``Thread.current``.
A fact's age runs from the last day its date can mean ("2024-11" is 30 Nov 2024), and a
``/verify`` resets the clock of the announced and partial rules.
"""

from __future__ import annotations

_NEWEST = """
WITH newest AS (
    SELECT f.id, f.status, f.verified,
           CASE length(f.date)
               WHEN 4 THEN f.date || '-12-31'
               WHEN 7 THEN date(f.date || '-01', '+1 month', '-1 day')
               ELSE f.date END AS last_day,
           row_number() OVER (PARTITION BY f.subject_id, f.object_id, f.kind, f.scope, f.region
                              ORDER BY f.date DESC, f.id DESC) AS rank
      FROM fact AS f
     WHERE f.retracted = 0
), waiting AS (
    SELECT id, last_day FROM newest
     WHERE rank = 1 AND last_day <> '' AND (
           (status = 'announced' AND max(last_day, verified) < :announced_before)
        OR (status = 'partial' AND max(last_day, verified) < :partial_before)
        OR (verified = '' AND last_day < :unchecked_before))
)
"""

STALE_PAGE = _NEWEST + """
SELECT id, count(*) OVER () FROM waiting ORDER BY last_day, id LIMIT :limit OFFSET :offset
"""
"""The newest fact ids of waiting threads, oldest first, one page of them, each with how many
wait in all (one pass over the facts: ~0.45 s at 100k, where a count and a page took twice that)."""

STALE_COUNT = _NEWEST + "SELECT count(*) FROM waiting"
"""How many threads are waiting."""
