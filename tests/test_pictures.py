"""/map and /compare: the data (bot/maps.py), the PNGs (bot/pictures.py), the console and the handlers.

Everything runs on the real seed in a temp SQLite file. Expected values are computed from the
store and from ``Interop.check`` independently of the code under test, never typed in.
"""

from __future__ import annotations

import struct
import threading
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot import pictures as drawing
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.console import answer_line
from bot.domain import Company, Kind, Mode, Profile, Source, Status, Unresolved, Verdict
from bot.maps import MAX_COMPARE, MAX_PARTNERS, CompareProblem, CompareResult, compare_text, map_of
from bot.pictures import Pictures, draw_compare, draw_map, label
from bot.ratelimit import RateLimiter
from bot.render import PLAIN, map_caption, render_compare, render_map
from bot.startup import open_interop
from bot.store import FactDraft
from bot.texts import t
from tests.tg import GROUP, Call, Harness, only, visible

# -- helpers --------------------------------------------------------------------------------------


@pytest.fixture
async def interop(tmp_path: Path) -> Interop:
    service = await open_interop(tmp_path / "t.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()


def named(interop: Interop, name: str) -> Company:
    company = interop.resolve(name).company
    assert company is not None, name
    return company


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Every chunk of a PNG, checking the signature and each CRC (a test-side parser)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at:at + 4])
        kind, data = png[at + 4:at + 8], png[at + 8:at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length:at + 12 + length])
        assert zlib.crc32(kind + data) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, data))
        at += 12 + length
    return chunks


def assert_telegram_photo(png: bytes) -> tuple[int, int]:
    """A complete, valid PNG within Telegram's photo limits; returns its size."""
    chunks = png_chunks(png)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    assert any(kind == b"IDAT" for kind, _ in chunks)
    width, height, depth, colour = struct.unpack(">IIBB", chunks[0][1][:10])
    assert depth == 8 and colour in (2, 6)  # 8-bit RGB(A)
    assert len(png) <= 10 * 1024 * 1024
    assert width + height <= 10_000
    assert max(width, height) / min(width, height) <= 20
    assert 1200 <= width <= 1400  # about 1280 px wide
    return width, height


def pngs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def picture_file(path: Path, folder: Path) -> bytes:
    """The bytes of a PNG the console wrote, which must sit in ``folder``."""
    assert path.parent == folder and path.is_file(), path
    return path.read_bytes()


async def partners_with_facts(interop: Interop, company: Company) -> set[int]:
    """Outside companies that have a fact with the company or its group, straight from the store."""
    family = interop.descendants(company.id) | {company.id}
    facts = await interop.store.facts_involving(family)
    return {side for f in facts for side in (f.subject_id, f.object_id)} - family


async def add_partners(interop: Interop, centre: Company, n: int) -> list[Company]:
    """``n`` new companies, each with one fact with ``centre``, a day apart (partner i on day i+1)."""
    made = []
    for i in range(n):
        company = await interop.store.add_company(Company(id=0, name=f"Partner {i:02d}"), "test")
        await interop.store.add_fact(FactDraft(
            subject_id=centre.id, object_id=company.id, kind=Kind.PAYMENTS, status=Status.LIVE,
            date=f"2024-01-{i + 1:02d}", summary=f"{centre.name} accepts Partner {i:02d}.",
            sources=(Source("https://example.com/p"),)), "test")
        made.append(company)
    await interop.refresh_companies([c.id for c in made])
    return made


# -- the map's data and picture ---------------------------------------------------------------------


async def test_jd_map_is_a_valid_photo_and_draws_every_partner(interop: Interop) -> None:
    jd = named(interop, "jd")
    result = await map_of(interop, jd)
    picture = draw_map(result)
    assert (picture.width, picture.height) == assert_telegram_photo(picture.png)
    expected = await partners_with_facts(interop, jd)
    assert expected and sorted(picture.drawn) == sorted(expected)
    assert {c.id for c in result.members} == interop.descendants(jd.id) | {jd.id}  # JD's group drawn too


async def test_every_seed_company_draws_as_many_partners_as_it_has(interop: Interop) -> None:
    """Every seed map holds the right partners; drawing (0.2 s a map) is checked on the smallest
    and the biggest: it draws exactly the partners outside the centre's group."""
    maps = []
    for company in await interop.store.companies():
        expected = await partners_with_facts(interop, company)
        result = await map_of(interop, company)
        if not expected and result.empty:
            continue
        members = {c.id for c in result.members}
        shown = {c.id for c in result.partners if c.id not in members}
        if len(expected) <= MAX_PARTNERS:
            assert shown == expected, company.name
        else:  # a big group: the most recent are drawn, and the rest are counted
            assert shown < expected and len(shown) == MAX_PARTNERS, company.name
            assert result.left_out == len(expected) - MAX_PARTNERS
        maps.append((len(shown), company.name, result, shown))
    maps.sort(key=lambda m: m[:2])
    for _, name, result, shown in (maps[0], maps[-1]):
        assert set(draw_map(result).drawn) == shown, name


async def test_map_edges_carry_the_check_verdict_and_kinds(interop: Interop) -> None:
    result = await map_of(interop, named(interop, "jd"))
    for link in result.links:
        check = await interop.check(link.member, link.partner)
        assert link.verdict == check.verdict
        assert set(link.kinds) == {th.kind for th in check.threads}
    counts = {v: sum(1 for x in result.links if x.verdict is v) for v in Verdict}
    assert {v: n for v, n in counts.items() if n} == result.counts
    caption = map_caption(result, PLAIN)
    assert caption.startswith(f"JD.com: {len(result.links)} links")
    for verdict, n in result.counts.items():
        assert f"{n} {t('picture.verdict.' + verdict.value)}" in caption


async def test_a_big_map_keeps_the_most_recent_partners_and_says_how_many_are_left_out(
        interop: Interop) -> None:
    centre = await interop.store.add_company(Company(id=0, name="Hub Pay"), "test")
    await interop.refresh_companies([centre.id])
    made = await add_partners(interop, centre, MAX_PARTNERS + 5)
    result = await map_of(interop, centre)
    picture = draw_map(result)
    assert_telegram_photo(picture.png)
    newest = {c.id for c in made[5:]}  # partner i's fact is on day i+1: the first five are oldest
    assert set(picture.drawn) == newest and result.left_out == 5
    assert result.total == MAX_PARTNERS + 5  # the caption still counts every link
    assert t("map.left_out", shown=MAX_PARTNERS, n=5) in map_caption(result, PLAIN)
    text = "\n".join(render_map(result, PLAIN))
    assert all(f"Partner {i:02d}" in text for i in range(5, MAX_PARTNERS + 5))


async def test_a_company_without_facts_gets_a_clear_text_and_no_picture(interop: Interop,
                                                                       tmp_path: Path) -> None:
    temu = named(interop, "temu")
    assert not await partners_with_facts(interop, temu)
    result = await map_of(interop, temu)
    assert result.empty
    with pytest.raises(ValueError):
        draw_map(result)
    reply = await answer_line(interop, "/map temu", picture_dir=tmp_path)
    assert reply == t("map.no_facts", name="Temu")
    assert not pngs(tmp_path)


def test_labels_fall_back_to_latin_names_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    company = Company(id=7, name="美团优选", aliases=("美团", "Meituan Select"))
    monkeypatch.setattr(drawing, "cjk_font", lambda: None)
    assert label(company) == "Meituan Select"
    assert label(Company(id=8, name="只有中文")) == "#8"
    assert label(Company(id=9, name="JD.com")) == "JD.com"
    monkeypatch.setattr(drawing, "cjk_font", lambda: "Noto Sans CJK SC")
    assert label(company) == "美团优选"


# -- compare --------------------------------------------------------------------------------------


EXAMPLE = "taobao, tmall, jd, pinduoduo | alipay, wechat pay, unionpay"


async def test_compare_cells_are_the_check_verdicts(interop: Interop) -> None:
    result = await compare_text(interop, EXAMPLE)
    assert isinstance(result, CompareResult)
    rows = [named(interop, n) for n in ("taobao", "tmall", "jd", "pinduoduo")]
    cols = [named(interop, n) for n in ("alipay", "wechat pay", "unionpay")]
    assert list(result.rows) == rows and list(result.cols) == cols
    seen = set()
    for i, row in enumerate(rows):
        for j, col in enumerate(cols):
            verdict = (await interop.check(row, col)).verdict
            assert result.verdict(i, j) == verdict, (row.name, col.name)
            seen.add(verdict)
    assert len(seen) >= 3  # the example is not trivially all one verdict
    text = render_compare(result, PLAIN)[1].splitlines()
    for i, row in enumerate(rows):
        marks = [t(f"mark.{result.verdict(i, j).value}") for j in range(len(cols))]  # type: ignore[union-attr]
        cells = " · ".join(f"{c.name} {m}" for c, m in zip(cols, marks, strict=True))
        assert text[i] == f"{row.name}: {cells}"
    picture = draw_compare(result)
    assert_telegram_photo(picture.png)
    assert len(picture.drawn) == len(rows) * len(cols)


async def test_compare_limits_usage_and_unknown_names(interop: Interop) -> None:
    names = ", ".join(f"n{i}" for i in range(MAX_COMPARE + 1))
    assert await compare_text(interop, f"{names} | alipay") == CompareProblem("too_big", MAX_COMPARE + 1, 1)
    for bad in ("jd alipay", "jd |", "| alipay", "a | b | c"):
        assert await compare_text(interop, bad) == CompareProblem("usage"), bad
    unknown = await compare_text(interop, "jd, zorblaxq | alipay")
    assert isinstance(unknown, Unresolved)
    assert [r.query for r in unknown.resolutions if not r.resolved] == ["zorblaxq"]
    same = await compare_text(interop, "jd, alipay | alipay")
    assert isinstance(same, CompareResult) and same.verdict(1, 0) is None
    assert "—" in render_compare(same, PLAIN)[1]


async def test_the_full_8_by_8_table_fits_telegram(interop: Interop) -> None:
    names = [c.name for c in (await interop.store.companies())[:16]]
    result = await compare_text(interop, ", ".join(names[:8]) + " | " + ", ".join(names[8:]))
    assert isinstance(result, CompareResult) and len(result.rows) == len(result.cols) == 8
    assert_telegram_photo(draw_compare(result).png)


# -- drawing off the loop, with a cache -------------------------------------------------------------


async def test_pictures_are_drawn_off_the_event_loop_and_cached_per_data_version(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[threading.Thread] = []
    real = drawing.draw_map

    def spy(result: Any) -> Any:
        threads.append(threading.current_thread())
        return real(result)

    monkeypatch.setattr(drawing, "draw_map", spy)
    pictures = Pictures()
    jd = named(interop, "jd")
    first = await pictures.map(await map_of(interop, jd))
    again = await pictures.map(await map_of(interop, jd))
    assert again is first and pictures.drawn == 1
    assert threads and all(th is not threading.main_thread() for th in threads)
    await add_partners(interop, jd, 1)  # any commit changes data_version
    changed = await pictures.map(await map_of(interop, jd))
    assert pictures.drawn == 2 and len(changed.drawn) == len(first.drawn) + 1


# -- console ----------------------------------------------------------------------------------------


async def test_console_writes_the_png_and_prints_its_path_and_the_text(interop: Interop,
                                                                       tmp_path: Path) -> None:
    reply = await answer_line(interop, "/map jd", picture_dir=tmp_path)
    first, _, rest = reply.partition("\n\n")
    path = Path(first.removeprefix(t("console.picture", path="")))
    assert_telegram_photo(picture_file(path, tmp_path))
    assert rest.startswith(map_caption(await map_of(interop, named(interop, "jd")), PLAIN))
    table = await answer_line(interop, f"/compare {EXAMPLE}", picture_dir=tmp_path)
    assert len(pngs(tmp_path)) == 2 and "Pinduoduo: Alipay ✅" in table
    assert await answer_line(interop, "/map", picture_dir=tmp_path) == t("usage.map")
    assert await answer_line(interop, "/compare", picture_dir=tmp_path) == t("usage.compare")


# -- Telegram handlers --------------------------------------------------------------------------------


def photo_of(call: Call) -> bytes:
    assert call.method == "sendPhoto", call.method
    return call.files["photo"][1]


async def test_map_command_sends_a_photo_with_caption_and_a_text_button(tg: Harness) -> None:
    call = only(await tg.send("/map jd"), "sendPhoto")
    assert_telegram_photo(photo_of(call))
    jd = named(tg.interop, "jd")
    result = await map_of(tg.interop, jd)
    assert call.caption == map_caption(result) and call.params["parse_mode"] == "HTML"
    assert call.chat_id == tg.user["id"]
    [(label_text, data)] = call.buttons
    assert label_text == t("map.open_text")
    text, answered = await tg.press(call, data=data)
    assert answered.method == "answerCallbackQuery" and text.method == "sendMessage"
    assert visible(text).splitlines()[0] == map_caption(result, PLAIN)
    for link in result.links:
        assert f"{link.member.name} × {link.partner.name}" in visible(text)


async def test_map_in_a_group_quotes_the_asker(tg: Harness) -> None:
    call = only(await tg.send("/map@InteropTestBot jd", chat=GROUP), "sendPhoto")
    assert call.params["reply_parameters"]["message_id"] == tg.last_update_message_id


async def test_map_usage_unknown_names_and_no_facts(tg: Harness) -> None:
    assert visible(only(await tg.send("/map"))) == t("usage.map")
    assert visible(only(await tg.send("/map temu"))) == t("map.no_facts", name="Temu")
    choice = only(await tg.send("/map ali"))
    assert visible(choice) == f"{t('unknown.name', name='ali')} {t('unknown.suggest')}"
    buttons = dict(choice.buttons)
    alipay = named(tg.interop, "alipay")
    assert buttons["Alipay"] == f"mp:{alipay.id}"
    photo, answered = await tg.press(choice, "Alipay")
    assert answered.method == "answerCallbackQuery" and photo.method == "sendPhoto"
    assert photo.caption == map_caption(await map_of(tg.interop, alipay))
    assert [c.method for c in await tg.press(choice, data="mp:999999")] == ["answerCallbackQuery"]


async def test_map_reads_its_name_as_company_does(tg: Harness) -> None:
    """"/map meituan app" is Meituan's map, as "/company meituan app" is Meituan's card; a name
    beside an unknown word is not guessed ("jd zorblaxq" names nothing /map can draw)."""
    card = (await tg.interop.decide("meituan app", Mode.COMPANY)).result
    assert isinstance(card, Profile) and card.company == named(tg.interop, "meituan")
    photo = only(await tg.send("/map meituan app"), "sendPhoto")
    assert photo.caption == map_caption(await map_of(tg.interop, named(tg.interop, "meituan")))
    assert (await tg.interop.name("jd zorblaxq")).company is None
    assert (await tg.interop.name("京东的")).company == named(tg.interop, "jd")


async def test_compare_sends_the_picture_then_the_same_table_as_text(tg: Harness) -> None:
    photo, text = await tg.send(f"/compare {EXAMPLE}")
    assert_telegram_photo(photo_of(photo))
    assert text.method == "sendMessage"
    result = await compare_text(tg.interop, EXAMPLE)
    assert isinstance(result, CompareResult)
    assert visible(text) == "\n\n".join(render_compare(result, PLAIN))
    too_big = ", ".join(f"n{i}" for i in range(MAX_COMPARE + 1))
    refusal = visible(only(await tg.send(f"/compare {too_big} | jd")))
    assert refusal == t("compare.too_big", rows=MAX_COMPARE + 1, cols=1, max=MAX_COMPARE)
    assert visible(only(await tg.send("/compare jd alipay"))) == t("usage.compare")
    unknown = visible(only(await tg.send("/compare jd, ali | alipay")))
    assert unknown.startswith(t("unknown.name", name="ali")) and "  - Alipay" in unknown


async def test_compare_sends_the_text_alone_when_drawing_fails(tg: Harness,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(result: Any) -> Any:
        raise RuntimeError("no canvas today")

    monkeypatch.setattr(drawing, "draw_compare", broken)
    text = only(await tg.send(f"/compare {EXAMPLE}"))
    assert visible(text).startswith(t("map.drawing_failed"))
    assert "Pinduoduo: Alipay ✅" in visible(text)


async def test_pictures_are_rate_limited_per_user_and_cached(tg: Harness) -> None:
    tg.bot_data.picture_limiter = RateLimiter(2, 0.001, clock=lambda: 0.0)
    assert only(await tg.send("/map jd"), "sendPhoto")
    assert only(await tg.send("/map jd"), "sendPhoto")
    cache = tg.bot_data.pictures
    assert cache is not None and cache.drawn == 1  # the second came from the cache
    refusal = only(await tg.send("/map jd"))
    assert visible(refusal).startswith(t("rate_limited", seconds=1)[:20])
    assert await tg.send("/map jd") == []  # told once per cooldown, then quiet


async def test_stored_names_are_escaped_once_in_captions_and_tables(tg: Harness) -> None:
    odd = await tg.interop.store.add_company(Company(id=0, name="AT&T <Pay>"), "test")
    await tg.interop.refresh_companies([odd.id])
    await add_partners(tg.interop, odd, 1)
    photo = only(await tg.send("/map AT&T <Pay>"), "sendPhoto")
    assert "AT&amp;T &lt;Pay&gt;: 1 link" in photo.caption
    photo, table = await tg.send("/compare AT&T <Pay> | Partner 00")
    assert "AT&T <Pay>: Partner 00 ✅" in visible(table)
