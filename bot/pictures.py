"""Pictures for /map and /compare: PNGs drawn with matplotlib (Agg) and laid out with networkx.

Drawing takes tens of milliseconds of CPU, so it runs in one worker thread (never on the event
loop, and one picture at a time on a small machine), and finished PNGs are cached per store
content version: any change to a fact, a source or a name draws afresh, nothing else does.
Only the object-oriented matplotlib API is used (``Figure`` + the Agg canvas), never pyplot's global state.
"""

from __future__ import annotations

import asyncio
import cmath
import functools
import io
import math
import re
import struct
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.cache import Cache
from bot.domain import Company, Verdict
from bot.i18n import EN, display_name, using
from bot.i18n import current as current_locale
from bot.maps import CompareResult, MapResult
from bot.render import human_date
from bot.texts import t

if TYPE_CHECKING:
    from matplotlib.figure import Figure
# matplotlib and networkx (~58 MB of a running bot) are imported by the first picture, in the
# drawing thread: most bots never draw one.

WIDTH_PX = 1280  # Telegram shows photos up to about this width without scaling them down
DPI = 100
MAP_HEIGHT_PX = 960
# Telegram's sendPhoto limits.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDES_PX = 10_000
MAX_ASPECT = 20.0

# The same four meanings as the text marks ✅ 🟡 🕓 ⛔; line styles tell them apart without colour.
COLOURS: dict[Verdict, str] = {
    Verdict.LIVE: "#2e7d32", Verdict.PARTIAL: "#e0a000", Verdict.ANNOUNCED: "#1565c0",
    Verdict.ENDED: "#c62828", Verdict.NO_RECORD: "#9e9e9e",
}
TINTS: dict[Verdict, str] = {
    Verdict.LIVE: "#c8e6c9", Verdict.PARTIAL: "#ffecb3", Verdict.ANNOUNCED: "#bbdefb",
    Verdict.ENDED: "#ffcdd2", Verdict.NO_RECORD: "#eeeeee",
}
STYLES: dict[Verdict, Literal["-", "--", ":", "-."]] = {
    Verdict.LIVE: "-", Verdict.PARTIAL: "--", Verdict.ANNOUNCED: ":", Verdict.ENDED: "-.",
    Verdict.NO_RECORD: ":",
}
LINK_VERDICTS = (Verdict.LIVE, Verdict.PARTIAL, Verdict.ANNOUNCED, Verdict.ENDED)
# Fonts with Chinese glyphs, best first; any other font whose name says CJK will do too.
CJK_FONTS = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "Noto Sans CJK JP", "Noto Sans CJK TC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Droid Sans Fallback", "AR PL UMing CN", "AR PL UKai CN", "Microsoft YaHei", "SimHei",
    "PingFang SC", "Hiragino Sans GB",
)
BASE_FONT = "DejaVu Sans"  # ships with matplotlib, so it is always there
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


@dataclass(frozen=True, slots=True)
class Picture:
    """A PNG and what it shows: ``drawn`` is the partner ids of a map, or the cells of a table."""

    png: bytes
    width: int
    height: int
    drawn: tuple[int, ...]
    font: str


@functools.cache
def cjk_font() -> str | None:
    """The system's CJK font family, if matplotlib can find one."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in names:
            return name
    return next((n for n in sorted(names) if "CJK" in n), None)


def font_families() -> list[str]:
    """Fallback list for every text: the CJK font (when found) covers what DejaVu lacks."""
    cjk = cjk_font()
    return [BASE_FONT, cjk] if cjk else [BASE_FONT]


def label(company: Company) -> str:
    """The company's name for the reader, or (without a CJK font) its first name in Latin letters."""
    name = display_name(company)
    if cjk_font() is not None or not _CJK.search(name):
        return name
    latin = next((a for a in company.aliases if a.strip() and not _CJK.search(a)), None)
    return latin or f"#{company.id}"


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG header (the IHDR chunk comes first)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def within_photo_limits(png: bytes) -> bool:
    """Whether Telegram accepts this PNG as a photo (size, width + height, aspect ratio)."""
    width, height = png_size(png)
    return (len(png) <= MAX_PHOTO_BYTES and width + height <= MAX_SIDES_PX
            and max(width, height) / max(1, min(width, height)) <= MAX_ASPECT)


def _finish(fig: Figure, drawn: tuple[int, ...]) -> Picture:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    # zlib level 1: measured ~40% less encoding time than the default 6 for a ~20% larger file
    # (a seed map is ~95 kB, far below the 10 MB limit).
    fig.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    png = buffer.getvalue()
    width, height = png_size(png)
    if not within_photo_limits(png):
        raise ValueError(f"picture {width}x{height}, {len(png)} bytes is past Telegram's photo limits")
    return Picture(png, width, height, drawn, font_families()[-1])


# -- /map ------------------------------------------------------------------------------------


INNER_RADIUS = 0.36
OUTER_RADIUS = 1.0
X_STRETCH = 1.3  # the picture is wider than tall: the rings are ellipses


def _ring_order(result: MapResult, inner_angle: dict[int, float]) -> list[Company]:
    """Partners around the ring: each group's companies side by side, near the members they link to."""
    wanted: dict[int, complex] = {}
    for link in result.links:
        angle = inner_angle.get(link.member.id)
        if angle is not None:
            wanted[link.partner.id] = wanted.get(link.partner.id, 0j) + cmath.exp(1j * angle)
    groups: dict[int, list[Company]] = {}
    for partner in result.partners:
        root = result.groups.get(partner.id, partner)
        groups.setdefault(root.id, []).append(partner)

    def pull(companies: list[Company]) -> float:
        total = sum((wanted.get(c.id, 0j) for c in companies), 0j)
        return cmath.phase(total) % math.tau if abs(total) > 1e-9 else math.tau

    ordered = sorted(groups.values(), key=pull)
    return [c for members in ordered for c in sorted(members, key=lambda c: pull([c]))]


def map_layout(result: MapResult) -> dict[int, tuple[float, float]]:
    """Centre in the middle, its group companies close around it, partners on the outer ring.

    networkx places each ring; the outer ring is then turned so partners sit on the side of the
    group companies they link to, which keeps edges from crossing the centre.
    """
    import networkx as nx  # type: ignore[import-untyped]

    graph: Any = nx.Graph()
    graph.add_nodes_from(c.id for c in result.members)
    for link in result.links:
        graph.add_edge(link.member.id, link.partner.id)
    inner = [c.id for c in result.members[1:]]
    positions: dict[int, tuple[float, float]] = {result.centre.id: (0.0, 0.0)}
    inner_angle: dict[int, float] = {}
    if inner:
        radius = min(0.58, INNER_RADIUS + 0.025 * max(0, len(inner) - 3))  # room for a big group
        ring = nx.circular_layout(graph.subgraph(inner), scale=radius)
        # Half a partner step off the rays from the centre, so a centre edge never hides under one.
        offset = math.pi / max(1, len(result.partners))
        for node in inner:
            angle = math.atan2(ring[node][1], ring[node][0]) + offset
            inner_angle[node] = angle
            positions[node] = (math.cos(angle) * radius * X_STRETCH, math.sin(angle) * radius)
    outer = [c.id for c in _ring_order(result, inner_angle)]
    if outer:
        ring = nx.circular_layout(graph.subgraph(outer), scale=OUTER_RADIUS)
        base = {n: math.atan2(ring[n][1], ring[n][0]) for n in outer}
        step = math.tau / len(outer)
        best = min(range(len(outer)), key=lambda k: _misfit(result, base, inner_angle, k * step))
        turn = best * step + (step / 2 if len(outer) % 2 == 0 and not inner else 0.0)
        for index, node in enumerate(outer):
            angle = math.tau * index / len(outer) + turn
            positions[node] = (math.cos(angle) * OUTER_RADIUS * X_STRETCH, math.sin(angle) * OUTER_RADIUS)
    return positions


def _misfit(result: MapResult, base: dict[int, float], inner_angle: dict[int, float],
            turn: float) -> float:
    """How far, in total, partners would sit from the group companies they link to."""
    order = list(base)
    total = 0.0
    for link in result.links:
        if link.partner.id in base and link.member.id in inner_angle:
            angle = math.tau * order.index(link.partner.id) / len(order) + turn
            total += 1 - math.cos(angle - inner_angle[link.member.id])
    return total


def draw_map(result: MapResult) -> Picture:
    """The map as a ~1280 px PNG; ``drawn`` lists the partner ids actually drawn."""
    if result.empty:
        raise ValueError("a company without facts has no map")
    families = font_families()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, MAP_HEIGHT_PX / DPI), dpi=DPI)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.82))
    ax.set_axis_off()
    ax.set_xlim(-1.62, 1.62)
    ax.set_ylim(-1.17, 1.17)
    pos = map_layout(result)
    for link in result.links:
        (x1, y1), (x2, y2) = pos[link.member.id], pos[link.partner.id]
        ax.plot([x1, x2], [y1, y2], color=COLOURS[link.verdict], linestyle=STYLES[link.verdict],
                linewidth=2.6, zorder=1, solid_capstyle="round")
        kinds = ", ".join(t(f"picture.kind.{k.value}") for k in link.kinds)
        ax.text(x1 + (x2 - x1) * 0.62, y1 + (y2 - y1) * 0.62, kinds, fontsize=8, ha="center",
                va="center", color="#333333", family=families, zorder=3,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    member_ids = {c.id for c in result.members}
    for company in result.members:
        centre = company.id == result.centre.id
        x, y = pos[company.id]
        ax.text(x, y, _short(label(company)), ha="center", va="center", zorder=4,
                fontsize=14 if centre else 11, fontweight="bold", family=families,
                color="white" if centre else "#0d2b52",
                bbox={"boxstyle": "round,pad=0.45", "fc": "#0d47a1" if centre else "#e3f2fd",
                      "ec": "#0d47a1", "lw": 1.5})
    drawn: list[int] = []
    for company in result.partners:
        if company.id in member_ids:
            continue
        x, y = pos[company.id]
        text = _short(label(company))
        group = result.groups.get(company.id)
        if group is not None:
            text += "\n" + _short(t("picture.group", name=label(group)), 34)
        ax.text(x, y, text, ha="center", va="center", zorder=4, fontsize=10, family=families,
                color="#212121", linespacing=1.1,
                bbox={"boxstyle": "round,pad=0.35", "fc": "white", "ec": "#757575", "lw": 1})
        drawn.append(company.id)
    fig.text(0.5, 0.965, t("picture.map_title", name=_short(label(result.centre), 60)),
             ha="center", va="center", fontsize=18, fontweight="bold", family=families)
    if result.data_date:
        fig.text(0.5, 0.925, t("picture.data_date", date=human_date(result.data_date)),
                 ha="center", va="center", fontsize=11, color="#555555", family=families)
    _legend(fig, {v: result.counts.get(v, 0) for v in LINK_VERDICTS})
    if result.left_out:
        key = "picture.left_out_one" if result.left_out == 1 else "picture.left_out"
        fig.text(0.98, 0.06, t(key, n=result.left_out, shown=len(result.partners)),
                 ha="right", va="center", fontsize=10, color="#555555", family=families)
    return _finish(fig, tuple(drawn))


def _legend(fig: Figure, counts: dict[Verdict, int]) -> None:
    from matplotlib.lines import Line2D

    handles = [Line2D([0], [0], color=COLOURS[v], linestyle=STYLES[v], linewidth=3) for v in counts]
    labels = [t("picture.legend", verdict=t(f"picture.verdict.{v.value}"), n=n) for v, n in counts.items()]
    fig.legend(handles, labels, loc="lower center", ncol=len(handles), frameon=False, fontsize=11,
               bbox_to_anchor=(0.5, 0.0), prop={"family": font_families(), "size": 11})


# -- /compare --------------------------------------------------------------------------------

ROW_PX = 64
HEAD_PX = 230
FOOT_PX = 70


def draw_compare(result: CompareResult) -> Picture:
    """The table as a ~1280 px PNG: one coloured cell per row × column verdict."""
    families = font_families()
    n_rows, n_cols = len(result.rows), len(result.cols)
    height = HEAD_PX + FOOT_PX + ROW_PX * n_rows
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    fig = Figure(figsize=(WIDTH_PX / DPI, height / DPI), dpi=DPI)
    ax = fig.add_axes((0.22, FOOT_PX / height, 0.76, (ROW_PX * n_rows) / height))
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_axis_off()
    cells: list[int] = []
    for i, row in enumerate(result.rows):
        ax.text(-0.08, i + 0.5, _short(label(row), 24), ha="right", va="center", fontsize=12,
                fontweight="bold", family=families, clip_on=False)
        for j in range(n_cols):
            verdict = result.verdict(i, j)
            tint = TINTS[verdict] if verdict is not None else "#fafafa"
            ax.add_patch(Rectangle((j + 0.04, i + 0.06), 0.92, 0.88, facecolor=tint,
                                   edgecolor=COLOURS[verdict] if verdict else "#bdbdbd", lw=1.2))
            word = t(f"picture.verdict.{verdict.value}") if verdict is not None else "—"
            ax.text(j + 0.5, i + 0.5, word, ha="center", va="center", fontsize=11, family=families,
                    color=COLOURS[verdict] if verdict is not None else "#757575",
                    fontweight="bold" if verdict not in (None, Verdict.NO_RECORD) else "normal")
            cells.append(j)
    for j, col in enumerate(result.cols):
        ax.text(j + 0.5, -0.15, _short(label(col), 22), ha="left", va="bottom", fontsize=12,
                fontweight="bold", rotation=25, rotation_mode="anchor", family=families, clip_on=False)
    fig.text(0.02, 1 - 28 / height, t("picture.compare_title", rows=n_rows, cols=n_cols),
             ha="left", va="center", fontsize=16, fontweight="bold", family=families)
    if result.data_date:
        fig.text(0.02, 1 - 56 / height, t("picture.data_date", date=human_date(result.data_date)),
                 ha="left", va="center", fontsize=11, color="#555555", family=families)
    counts = {v: sum(1 for i in range(n_rows) for j in range(n_cols) if result.verdict(i, j) == v)
              for v in (*LINK_VERDICTS, Verdict.NO_RECORD)}
    _legend(fig, counts)
    return _finish(fig, tuple(cells))


# -- drawing off the event loop, with a cache ----------------------------------------------------

T = TypeVar("T")
_executor: ThreadPoolExecutor | None = None


def _worker() -> ThreadPoolExecutor:
    """One drawing thread for the process, made on first use."""
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pictures")
    return _executor


def _drawn_in(locale: str, draw: Callable[[T], Picture], arg: T) -> Picture:
    with using(locale):
        return draw(arg)


class Pictures:
    """Draws in the worker thread and keeps recent PNGs, keyed on what they show and the content version."""

    def __init__(self, size: int = 64) -> None:
        self._cache: Cache[Hashable, Picture] = Cache(size)
        self.drawn = 0  # pictures actually drawn (the rest came from the cache)

    async def map(self, result: MapResult) -> Picture:
        return await self._get(("map", result.centre.id, result.version), draw_map, result)

    async def compare(self, result: CompareResult) -> Picture:
        key = ("compare", tuple(c.id for c in result.rows), tuple(c.id for c in result.cols),
               result.version)
        return await self._get(key, draw_compare, result)

    async def _get(self, key: Hashable, draw: Callable[[T], Picture], arg: T) -> Picture:
        # i18n: drawn in the reader's language when a CJK font can show it, else in English (the
        # worker thread does not see this task's context, so the locale is passed on explicitly).
        if cjk_font.cache_info().currsize == 0:  # the first call imports matplotlib: off the loop
            await asyncio.get_running_loop().run_in_executor(_worker(), cjk_font)
        locale = current_locale() if cjk_font() is not None else EN
        key = (key, locale)
        hit = self._cache.peek(key)
        if hit is not None:
            return hit
        picture = await asyncio.get_running_loop().run_in_executor(_worker(), _drawn_in, locale, draw, arg)
        self.drawn += 1
        return self._cache.put(key, picture)
