"""The web table in a real browser: Debian's Chromium, driven by Playwright, on pages served by
the running bot's own server (``WEB_PORT``), so the serving path is tested too.

Screenshots at phone and desktop width are kept in build/screenshots/ (CI keeps them as files).
A missing browser is a failure with the command that installs it, never a skip.
"""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot.config import SEED_PATH
from bot.domain import Verdict
from bot.table import Table, search_key, search_keys
from bot.texts import t
from bot.web.site import Site
from tests.tg import ADMIN, Harness, make_app

# The harness does not start the JobQueue, so the /addfact form's timeout is not scheduled here.
pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE = "Taobao takes PayPal <script>window.__pwned = 1</script> & <b>not bold</b>"
ADDFACT = f"/addfact Taobao | PayPal | payments | live | 2025-03 | {HOSTILE} | https://example.com/tb?a=1&b=2"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not await asyncio.to_thread(CHROMIUM.exists):
        pytest.fail("Chromium is missing: the browser tests drive /usr/bin/chromium. Install it with "
                    "`sudo apt-get install chromium` (CI's .ci/run does this).", pytrace=False)
    async with async_playwright() as p:
        found = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield found
        finally:
            await found.close()


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot with its web server on a free port of 127.0.0.1, and the Mini App configured."""
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, web_port=0,
                        webapp_url="https://table.example.org/") as harness:
        yield harness


def base(h: Harness) -> str:
    server = h.bot_data.web
    assert server is not None and server.port
    return f"http://127.0.0.1:{server.port}/"


async def payments(h: Harness) -> Table:
    server = h.bot_data.web
    assert server is not None
    built = await server.site.built()
    return next(x for x in built.tables if x.kind.value == "payments")


def expected_rows(table: Table, typed: str) -> set[int]:
    """The rows the filter must leave: named like the text, or with a record in a column that is."""
    q = search_key(typed)
    cols = [c for c in table.cols if any(q in k for k in search_keys(c))]
    return {r.id for r in table.rows
            if any(q in k for k in search_keys(r)) or any((r.id, c.id) in table.cells for c in cols)}


async def visible_rows(page: Page) -> set[int]:
    hrefs = await page.eval_on_selector_all("section.kind.on tbody tr:not(.grp):not([hidden]) th.row a",
                                            "els => els.map(e => e.getAttribute('href'))")
    return {int(re.search(r"(\d+)\.html", x).group(1)) for x in hrefs}  # type: ignore[union-attr]


async def cell_of(page: Page, row_key: str, col_key: str) -> Any:
    """The payments table's cell for two names (by their filter keys)."""
    col = await page.evaluate(
        """([key]) => Array.from(document.querySelectorAll('#k-payments thead th'))
                        .findIndex(th => (th.dataset.keys || '').includes('|' + key + '|'))""", [col_key])
    assert col > 0, f"no column {col_key}"
    return page.locator(f'#k-payments tbody tr[data-keys*="|{row_key}|"] > :nth-child({col + 1})')


async def test_table_in_a_browser(h: Harness, browser: Browser) -> None:
    # An admin adds a fact with markup in its summary: it must show as text, and in the feed.
    [saved] = [c for c in await h.send(ADDFACT, user=ADMIN) if c.method == "sendMessage"]
    assert "#" in saved.text
    url = base(h)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    page = await browser.new_page(viewport={"width": 1280, "height": 800})
    await page.goto(url + "index.html")
    assert await page.locator("section.kind.on table.matrix").is_visible()
    await page.screenshot(path=str(SCREENSHOTS / "table-1280x800.png"))

    # The JD.com × Alipay cell says what /check jd alipay says.
    [answer] = await h.send("/check jd alipay")
    verdict = next(v for v in Verdict if answer.text.startswith(t(f"verdict.{v.value}")))
    cell = await cell_of(page, "jdcom", "alipay")
    assert await cell.get_attribute("class") == f"v-{verdict.value}"
    assert (await cell.inner_text()).startswith(t(f"mark.{verdict.value}"))
    assert await cell.locator("a").get_attribute("title")  # its status and date

    # The filter leaves the right rows, in English and in Chinese.
    table = await payments(h)
    everyone = await visible_rows(page)
    for typed in ("alipay", "支付宝"):
        await page.fill("#filter", typed)
        left = await visible_rows(page)
        jd = next(r.id for r in table.rows if r.name == "JD.com")
        assert left == expected_rows(table, typed) and jd in left and left < everyone, typed
    await page.fill("#filter", "jingdong")
    assert await visible_rows(page) == expected_rows(table, "jingdong") != set()
    await page.fill("#filter", "")
    assert await visible_rows(page) == everyone

    # The language switch shows Chinese names.
    jd_row = page.locator('#k-payments tbody tr[data-keys*="|jdcom|"] th.row')
    assert (await jd_row.inner_text()).strip() == "JD.com"
    await page.click('button[data-set-lang="zh"]')
    assert (await jd_row.inner_text()).strip() == "京东"
    assert await page.get_attribute("html", "lang") == "zh-Hans"

    # A cell opens its pair's page: /check's answer, its sources, and the bot's deep link.
    await cell.locator("a").click()
    await page.wait_for_url(re.compile(r"/pair/\d+-\d+\.html$"))
    assert "支付宝" in await page.locator("h1").inner_text()
    sources = page.locator("ul.sources a")
    assert await sources.count() >= 3
    hrefs = await sources.evaluate_all("els => els.map(e => e.href)")
    assert any("jdcom-accept-alipay" in x for x in hrefs)
    # A source's quote is on its pair's page, as text.
    seed = json.loads(SEED_PATH.read_text())
    quoted = next(f for f in seed["facts"] if any(s.get("quote") for s in f["sources"]))
    a, b = (h.interop.resolve(quoted[side]).company for side in ("subject", "object"))
    assert a is not None and b is not None
    quote_page = await browser.new_page()
    await quote_page.goto(url + f"pair/{a.id}-{b.id}.html")
    shown = await quote_page.locator("ul.sources blockquote").all_inner_texts()
    assert next(s["quote"] for s in quoted["sources"] if s.get("quote")).strip() in shown
    jd_id, alipay_id = (int(x) for x in re.findall(r"\d+", page.url.rsplit("/", 1)[1]))
    bot_link = await page.locator("a.bot").get_attribute("href")
    assert bot_link == f"https://t.me/{h.bot['username']}?start=check_{jd_id}_{alipay_id}"

    # The hostile summary shows as text and runs nothing.
    server = h.bot_data.web
    assert server is not None
    built = await server.site.built()
    taobao, paypal = (h.interop.resolve(n).company for n in ("Taobao", "PayPal"))
    assert taobao is not None and paypal is not None
    await page.click('button[data-set-lang="en"]')
    await page.goto(url + f"pair/{taobao.id}-{paypal.id}.html")
    assert HOSTILE in await page.locator(".answer").inner_text()
    assert await page.evaluate("window.__pwned") is None
    assert await page.locator(".answer b", has_text="not bold").count() == 0
    assert built.order[frozenset((taobao.id, paypal.id))] == (taobao.id, paypal.id)

    # The change feed is Atom, lists the new fact first, and names no admin.
    feed = await page.request.get(url + "changes.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    text = await feed.text()
    root = ET.fromstring(text)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}updated") is not None
    first = root.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}title", "").startswith(t("changes.action.add", "en"))
    assert HOSTILE in first.findtext(f"{ATOM}summary", "")
    assert first.find(f"{ATOM}link").get("href") == f"pair/{taobao.id}-{paypal.id}.html"  # type: ignore[union-attr]
    added = await h.interop.store.fact(int(re.findall(r"\d+", first.findtext(f"{ATOM}id", ""))[0]))
    assert added is not None and added.summary == HOSTILE and added.created_by.startswith("tg:42")
    assert "tg:" not in text and "@owner" not in text and ADMIN["first_name"] not in text

    # Phone width: the same table, readable.
    phone = await browser.new_page(viewport={"width": 390, "height": 844})
    await phone.goto(url)
    assert await phone.locator("section.kind.on table.matrix").is_visible()
    await phone.screenshot(path=str(SCREENSHOTS / "table-390x844.png"))
    await phone.goto(url + f"pair/{jd_id}-{alipay_id}.html")
    await phone.screenshot(path=str(SCREENSHOTS / "pair-390x844.png"), full_page=True)


async def test_inside_telegram_the_page_takes_its_theme(h: Harness, browser: Browser) -> None:
    """Telegram passes its theme in the address; the page uses it with no script of Telegram's."""
    page = await browser.new_page(viewport={"width": 390, "height": 844})
    theme = '{"bg_color":"#112233","text_color":"#fafafa","link_color":"#ff8800"}'
    await page.goto(base(h) + "index.html#tgWebAppThemeParams=" + theme.replace('"', "%22"))
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 34, 51)"
    assert await page.locator("section.kind.on table.matrix").is_visible()
    # A cell tap opens the pair's page, which keeps the theme.
    await page.locator("section.kind.on td a").first.click()
    await page.wait_for_url(re.compile(r"/pair/"))
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 34, 51)"


async def test_the_page_follows_telegram_webapp_when_present(h: Harness, browser: Browser) -> None:
    page = await browser.new_page()
    await page.add_init_script("window.Telegram = {WebApp: {themeParams: {bg_color: '#010203'}, "
                               "ready: function () { window.__ready = true; }}};")
    await page.goto(base(h))
    assert await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(1, 2, 3)"
    assert await page.evaluate("window.__ready") is True


async def test_the_site_is_served_for_what_exists_only(h: Harness) -> None:
    site: Site = h.bot_data.web.site  # type: ignore[union-attr]
    assert await site.page("pair/1-1.html") is None
    assert await site.page("pair/999999-1.html") is None
    assert await site.page("../etc/passwd") is None
    assert await site.page("company/999999.html") is None
