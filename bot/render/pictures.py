"""The text that goes with (or instead of) /map and /compare."""

from __future__ import annotations

from bot.domain import (
    Verdict,
)
from bot.i18n import display_name
from bot.maps import MAX_COMPARE, CompareProblem, CompareResult, MapResult
from bot.render.markup import HTML, Markup
from bot.render.words import human_date
from bot.texts import t

MAP_TEXT_LINKS = 60  # links listed in a map's text answer


def map_caption(result: MapResult, m: Markup = HTML) -> str:
    """One line: "JD.com: 9 links · 5 live · 2 partial · 1 announced · 1 ended" (zero counts left out)."""
    key = "map.caption_one" if result.total == 1 else "map.caption"
    parts = [m.t(key, name=display_name(result.centre), n=result.total)]
    parts += [m.t("map.count", n=n, verdict=t(f"picture.verdict.{v.value}"))
              for v in (Verdict.LIVE, Verdict.PARTIAL, Verdict.ANNOUNCED, Verdict.ENDED)
              if (n := result.counts.get(v, 0))]
    line = m.b(m.join(" · ", parts))
    if result.left_out:
        key = "map.left_out_one" if result.left_out == 1 else "map.left_out"
        line = m.join("\n", [line, m.t(key, shown=len(result.partners), n=result.left_out)])
    return line


def render_map(result: MapResult, m: Markup = HTML) -> list[str]:
    """The map as text, with the same edges and verdicts: for screen readers and the console."""
    if result.empty:
        return [m.t("map.no_facts", name=display_name(result.centre))]
    head = [map_caption(result, m)]
    if result.data_date:
        head.append(m.i(m.t("map.data_date", date=human_date(result.data_date))))
    sep = t("list.separator")
    lines = [m.t("map.link", status=t(f"status.{x.verdict.value}"), a=display_name(x.member),
                 b=display_name(x.partner), kinds=sep.join(t(f"kind.{k.value}") for k in x.kinds))
             for x in result.links[:MAP_TEXT_LINKS]]
    if len(result.links) > MAP_TEXT_LINKS:
        lines.append(m.t("map.more_links", n=len(result.links) - MAP_TEXT_LINKS))
    return [m.join("\n", head), m.join("\n", lines)]


def render_compare(result: CompareResult, m: Markup = HTML) -> list[str]:
    """The table as text, one row per platform: the same cells as the picture."""
    head = [m.b(m.t("compare.header", rows=len(result.rows), cols=len(result.cols)))]
    if result.data_date:
        head.append(m.i(m.t("map.data_date", date=human_date(result.data_date))))
    rows = []
    for i, row in enumerate(result.rows):
        cells = []
        for j, col in enumerate(result.cols):
            verdict = result.verdict(i, j)
            mark = t(f"mark.{verdict.value}") if verdict is not None else t("mark.same")
            cells.append(m.t("compare.cell", name=display_name(col), mark=mark))
        rows.append(m.t("compare.row", name=m.b(display_name(row)), cells=m.join(" · ", cells)))
    return [m.join("\n", head), m.join("\n", rows), m.t("compare.legend")]


def render_compare_problem(problem: CompareProblem, m: Markup = HTML) -> str:
    if problem.reason == "too_big":
        return m.t("compare.too_big", rows=problem.rows, cols=problem.cols, max=MAX_COMPARE)
    return m.t("usage.compare")
