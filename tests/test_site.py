"""The web table without a browser: the static build, its determinism, its agreement with /check,
escaping, the settings, and the Mini App buttons (the browser tests are test_site_browser.py)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.__main__ import main
from bot.answers import Interop
from bot.config import SEED_PATH, ConfigError, load_settings
from bot.domain import Company, Kind, Source, Status, Verdict
from bot.render_web import _source_item
from bot.startup import open_interop
from bot.store import FactDraft
from bot.table import Links, company_row, tables
from bot.web.site import Site
from tests.tg import ADMIN, GROUP, Harness, make_app

WEBAPP = "https://table.example.org/"


def _draft(subject: int, obj: int, kind: Kind, summary: str, url: str) -> FactDraft:
    return FactDraft(subject_id=subject, object_id=obj, kind=kind, status=Status.LIVE, date="2025-02",
                     summary=summary, sources=(Source(url=url),))


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A seeded database file, named by DATABASE_PATH for ``python -m bot``."""
    db = tmp_path / "interop.sqlite3"

    async def seed() -> None:
        interop = await open_interop(db, seed=SEED_PATH)
        await interop.close()

    asyncio.run(seed())
    monkeypatch.setenv("DATABASE_PATH", str(db))
    return db


def test_site_command_writes_every_page_the_same_way_twice(seeded: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    before = hashlib.sha256(seeded.read_bytes()).hexdigest()
    assert main(["site", str(tmp_path / "one"), "--bot", "@InteropTestBot"]) == 0
    assert main(["site", str(tmp_path / "two"), "--bot", "InteropTestBot"]) == 0
    assert "Wrote" in capsys.readouterr().out
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert one == two  # byte for byte
    assert hashlib.sha256(seeded.read_bytes()).hexdigest() == before  # read-only
    for page in ("index.html", "about.html", "changes.atom", "data/interop.json", "data/interop.csv",
                 "data/names.json", "site.css", "site.js"):
        assert page in one
    assert sum(p.startswith("pair/") for p in one) > 50 and sum(p.startswith("company/") for p in one) > 50
    out = tmp_path / "one"
    index = (out / "index.html").read_text()
    assert len(index.encode()) <= 1_000_000
    assert "https://" not in index.split("<main>")[0]  # nothing loaded from another host
    # The open data is /export's format: it imports back, and is stamped with the data's date.
    doc = json.loads((out / "data/interop.json").read_text())
    assert doc["exported_at"] and doc["exported_at"][:4].isdigit()
    for name in ("data/interop.json", "data/interop.csv"):
        parsed = dataset.parse_document(name, (out / name).read_bytes())
        assert len(parsed["facts"]) == len(doc["facts"]) and len(parsed["companies"]) == len(doc["companies"])
    ET.fromstring((out / "changes.atom").read_bytes())


def test_site_command_refuses_a_missing_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "none.sqlite3"))
    assert main(["site", str(tmp_path / "out")]) == 1
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite3").exists() and not (tmp_path / "out").exists()
    with pytest.raises(SystemExit):
        main(["site", str(tmp_path / "out"), "--bot", "no spaces allowed"])


async def test_every_cell_is_what_check_says(interop: Interop) -> None:
    """Each cell of each kind's table (and each empty one) is Interop.check_kind's verdict."""
    made = await tables(interop, await Links.read(interop))
    assert {x.kind for x in made} >= {Kind.PAYMENTS, Kind.LOGISTICS, Kind.MESSAGING}
    for table in made:
        for row in table.rows:
            for col in table.cols:
                if row.id == col.id:
                    continue
                result = await interop.check_kind(row, col, table.kind)
                cell = table.cells.get((row.id, col.id))
                if result.verdict is Verdict.NO_RECORD:
                    assert cell is None, (row.name, col.name)
                else:
                    assert cell is not None and cell.verdict is result.verdict, (row.name, col.name)
                    assert cell.fact == result.of_kind(table.kind)[0].standing.fact


async def test_a_small_index_keeps_the_most_connected_and_groups_together(interop: Interop) -> None:
    made = await tables(interop, await Links.read(interop), max_rows=5, max_cols=4)
    payments = next(x for x in made if x.kind is Kind.PAYMENTS)
    assert len(payments.rows) == 5 and len(payments.cols) == 4 and payments.all_rows > 5
    groups = [payments.groups.get(r.id, r).id for r in payments.rows]
    assert groups == sorted(groups, key=groups.index)  # each group's rows sit together
    html = (await Site(interop, max_rows=5, max_cols=4).page("index.html")) or b""
    assert b'class="note"' in html and b"5 of" in html


async def test_markup_in_stored_text_shows_as_text_once_escaped(interop: Interop) -> None:
    hostile = await interop.store.add_company(Company(id=0, name="<i>Evil</i> & Co"), "test")
    await interop.refresh_companies([hostile.id])
    alipay = interop.resolve("alipay").company
    assert alipay is not None
    await interop.store.add_fact(_draft(hostile.id, alipay.id, Kind.PAYMENTS,
                                        'Takes Alipay <script>alert("x")</script> & more',
                                        "https://example.com/?a=1&b=2"), "test")
    site = Site(interop)
    page = (await site.page(f"pair/{hostile.id}-{alipay.id}.html") or b"").decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "&lt;i&gt;Evil&lt;/i&gt; &amp; Co" in page and "&amp;amp;" not in page
    assert 'href="https://example.com/?a=1&amp;b=2"' in page
    company = (await site.page(f"company/{hostile.id}.html") or b"").decode()
    assert "<i>Evil</i>" not in company and "&lt;i&gt;Evil&lt;/i&gt;" in company


def test_a_source_quote_is_shown_escaped() -> None:
    source = Source(url="https://example.com/a", title="Title & more", publisher="Pub", date="2025-01",
                    quote='He said "<b>yes</b>" & left')
    item = str(_source_item(source))
    assert "<blockquote>He said &#34;&lt;b&gt;yes&lt;/b&gt;&#34; &amp; left</blockquote>" in item
    assert "Title &amp; more" in item
    assert "<blockquote>" not in str(_source_item(Source(url="https://example.com/b")))


async def test_served_pages_follow_the_store(interop: Interop) -> None:
    site = Site(interop, "InteropTestBot")
    before = await site.page("index.html")
    assert before is not None and await site.page("index.html") is before  # remembered
    taobao, paypal = interop.resolve("taobao").company, interop.resolve("paypal").company
    assert taobao is not None and paypal is not None
    await interop.store.add_fact(_draft(taobao.id, paypal.id, Kind.LOGISTICS, "A plan.",
                                        "https://example.com/plan"), "test")
    after = await site.page("index.html")
    assert after is not None and after != before
    assert f"pair/{taobao.id}-{paypal.id}.html".encode() in after


@pytest.mark.parametrize(("env", "message"), [
    ({"WEB_PORT": "eighty"}, "WEB_PORT must be a port number"),
    ({"WEB_PORT": "70000"}, "WEB_PORT must be a port number"),
    ({"WEBAPP_URL": "http://table.example.org/"}, "WEBAPP_URL must be an https:// URL"),
    ({"WEBAPP_URL": "table.example.org"}, "WEBAPP_URL must be an https:// URL"),
    ({"WEB_PORT": "8443", "WEBHOOK_URL": "https://x.example.org/tg", "WEBHOOK_SECRET": "s"},
     "WEB_PORT must differ from WEBHOOK_PORT"),
])
def test_bad_web_settings_are_one_line(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({"DATABASE_PATH": str(tmp_path / "db.sqlite3"), **env})


def test_web_settings(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_PATH": str(tmp_path / "db.sqlite3"), "WEB_PORT": "8080",
                              "WEB_LISTEN": "0.0.0.0", "WEBAPP_URL": WEBAPP})
    assert (settings.web_port, settings.web_listen, settings.webapp_url) == (8080, "0.0.0.0", WEBAPP)
    plain = load_settings({"DATABASE_PATH": str(tmp_path / "db.sqlite3")})
    assert plain.web_port is None and plain.webapp_url is None


def test_bad_web_port_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("WEB_PORT", "²")
    assert main(["check-config"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def _web_buttons(call: Any) -> list[dict[str, Any]]:
    markup = call.reply_markup or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row if "web_app" in b]


async def test_mini_app_buttons_and_menu(tmp_path: Path) -> None:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}, webapp_url=WEBAPP) as h:
        [menu] = h.rec.of("setChatMenuButton")
        assert json.loads(json.dumps(menu.params["menu_button"]))["web_app"]["url"] == WEBAPP
        for command in ("/start", "/help"):
            [answer] = await h.send(command)
            [button] = _web_buttons(answer)
            assert button["web_app"]["url"] == WEBAPP and button["text"] == "📊 Table"
            assert len(answer.buttons) > 1  # the examples are still there
            [in_group] = await h.send(command, chat=GROUP)
            assert _web_buttons(in_group) == []  # Telegram refuses web_app buttons in groups
        calls = await h.send("/compare JD.com, Taobao | Alipay, WeChat Pay")
        texts = [c for c in calls if c.method == "sendMessage"]
        assert texts and _web_buttons(texts[-1])
        [answer] = await h.send("/start", user={**ADMIN, "language_code": "zh-hans"})
        assert _web_buttons(answer)[0]["text"] == "📊 表格"


async def test_no_mini_app_without_its_url(tg: Harness) -> None:
    assert tg.rec.of("setChatMenuButton") == [] and tg.bot_data.web is None
    [answer] = await tg.send("/start")
    assert _web_buttons(answer) == []


async def test_a_build_shared_out_to_processes_writes_the_same_site(interop: Interop, tmp_path: Path) -> None:
    one = await Site(interop, "InteropTestBot").write(tmp_path / "one")
    two = await Site(interop, "InteropTestBot").write(tmp_path / "two", jobs=2)
    assert one == two
    assert _tree(tmp_path / "one") == _tree(tmp_path / "two")


async def test_a_company_page_has_its_profile_and_its_row(interop: Interop) -> None:
    jd, alipay = interop.resolve("jd").company, interop.resolve("alipay").company
    assert jd is not None and alipay is not None
    site = Site(interop)
    page = (await site.page(f"company/{jd.id}.html") or b"").decode()
    assert "Chinese e-commerce platform" in page  # the /company card
    assert f'href="../pair/{jd.id}-{alipay.id}.html"' in page  # its row links the pair
    assert "As a platform" in page and "京东" in page
    links = await Links.read(interop)
    row = await company_row(interop, links, jd, limit=1)
    assert len(row.as_platform) == 1 and row.more_platform == len(links.as_subject[jd.id]) - 1


async def test_the_index_note_says_plainly_what_is_left_out(interop: Interop) -> None:
    """A kind whose platforms all fit says "All N platforms", never "N of N"; no note when all fit."""
    def note(html: bytes, kind: Kind) -> str:
        section = html.decode().split(f'data-kind="{kind.value}"')[1].split("</section>")[0]
        return section.split('<p class="note">')[1].split("</p>")[0] if 'class="note"' in section else ""

    made = await tables(interop, await Links.read(interop), max_rows=10_000, max_cols=4)
    payments = next(x for x in made if x.kind is Kind.PAYMENTS)
    rows, cols = len(payments.rows), payments.all_cols
    assert rows == payments.all_rows and cols > 4
    html = await Site(interop, max_rows=10_000, max_cols=4).page("index.html") or b""
    said = note(html, Kind.PAYMENTS)
    assert f"All {rows} platforms shown, and 4 of {cols} services" in said and f"{rows} of {rows}" not in said
    assert f"显示了全部 {rows} 个平台和 {cols} 个服务中的 4 个" in said
    html = await Site(interop, max_rows=5, max_cols=10_000).page("index.html") or b""
    said = note(html, Kind.PAYMENTS)
    assert f"5 of {rows} platforms shown (the most connected), and all {cols} services" in said
    html = await Site(interop, max_rows=10_000, max_cols=10_000).page("index.html") or b""
    assert note(html, Kind.PAYMENTS) == ""
