"""The data linter (bot.datacheck): each rule on a small dataset, the seed, and the command
``python -m bot check-data``."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot import datacheck
from bot.rules import parent_cycle

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "data" / "seed.json"
TODAY = date(2026, 12, 7)


def company(name: str, parent: str | None = None, *aliases: str) -> dict[str, Any]:
    return {"name": name, "kind": "", "parent": parent, "description": "", "aliases": list(aliases),
            "relation": None, "name_zh": "", "features": []}


def fact(key: str, subject: str = "Alpha Pay", obj: str = "Beta Shop", *urls: str,
         **fields: Any) -> dict[str, Any]:
    row = {"key": key, "subject": subject, "object": obj, "kind": "payments", "status": "live",
           "date": "2026-01", "summary": f"Summary of {key}.", "confidence": "medium",
           "sources": [{"url": u, "title": "T"} for u in (urls or ("https://news.example.com/a",))]}
    return {**row, **fields}


def clean_doc() -> dict[str, Any]:
    return {"format": "interop-bot/1",
            "companies": [company("Alpha Group"), company("Alpha Pay", "Alpha Group", "APay"),
                          company("Beta Shop")],
            "facts": [fact("a-b-live")]}


def findings(doc: dict[str, Any], **kw: Any) -> list[tuple[str, str]]:
    return [(f.key, f.rule) for f in datacheck.check(doc, today=TODAY, **kw).findings]


def test_a_clean_dataset_has_no_findings() -> None:
    assert findings(clean_doc()) == []


@pytest.mark.parametrize(("url", "words"), [
    ("https://freewechat.com/a/MzU3/2247546680/{{href}}", "template placeholder"),
    ("https://rp.liu233w.com:443/https/www.chinadaily.com.cn/a/202409/06/WS66.html", "web proxy"),
    ("https://localhost/page", "no valid host"),
    ("https://intranet/page", "no valid host"),
    ("ftp://files.example.com/x", "http:// or https://"),
    ("https://news.example.com/a b", "spaces"),
    (" https://news.example.com/a", "spaces"),
])
def test_malformed_urls_are_errors(url: str, words: str) -> None:
    doc = clean_doc()
    doc["facts"][0]["sources"] = [{"url": url, "title": "T"}]
    [found] = datacheck.check(doc, today=TODAY).findings
    assert (found.key, found.rule, found.is_error) == ("a-b-live", "url", True)
    assert words in found.line()


def test_archived_copies_are_not_proxies() -> None:
    doc = clean_doc()
    doc["facts"][0]["sources"] = [
        {"url": "https://web.archive.org/web/2020/https://news.example.com/a", "title": "T"}]
    assert findings(doc) == []


def test_each_error_rule() -> None:
    doc = clean_doc()
    doc["companies"] += [company("Gamma", "Delta"), company("Delta", "Gamma"),  # a cycle
                         company("Epsilon", None, "apay"),  # "APay" normalised is Alpha Pay's
                         company("Zeta", "Nobody Group")]
    doc["facts"] += [
        fact("partial-no-note", status="partial"),
        fact("unknown-party", "Alpha Pay", "Nobody Inc"),
        fact("twice", date="2025"), fact("twice-again", date="2025"),
        fact("bad-kind", kind="telepathy", date="2024-01"),
        fact("bad-status", status="rumoured", date="2024-02"),
        fact("bad-region", region="Atlantis", date="2024-03"), fact("bad-date", date="2024-13"),
        fact("a-b-live", date="2020"),  # the same key again
    ]
    assert [(f.key, f.rule) for f in datacheck.check(doc, today=TODAY).errors] == [
        ("Epsilon", "duplicate-name"),
        ("Zeta", "not-a-company"),
        ("Gamma", "parent-cycle"),
        ("partial-no-note", "partial-note"),
        ("unknown-party", "not-a-company"),
        ("twice-again", "duplicate-fact"),
        ("bad-kind", "kind"),
        ("bad-status", "status"),
        ("bad-region", "region"),
        ("bad-date", "date"),
        ("a-b-live", "duplicate-fact"),
    ]
    report = datacheck.check(doc, today=TODAY)
    assert {f.key for f in report.warnings} == {"Gamma", "Delta", "Epsilon", "Zeta"}  # no facts
    cycle = next(f for f in report.findings if f.rule == "parent-cycle")
    assert cycle.line() == "Gamma: parent-cycle: the parents go round in a circle: Gamma → Delta → Gamma"


def test_follow_ups_must_come_after_what_they_follow_in_its_thread() -> None:
    doc = clean_doc()
    doc["facts"] = [
        fact("announced", status="announced", date="2025-03"),
        fact("shipped", date="2025-09", supersedes="announced"),  # fine
        fact("too-early", date="2025-01", status="ended", supersedes="announced"),
        fact("vague", date="2025", status="partial", note="pilot", supersedes="announced"),
        fact("elsewhere", scope="web", date="2026", supersedes="announced"),
        fact("dangling", date="2026-02", status="ended", supersedes="no-such-fact"),
    ]
    found = datacheck.check(doc, today=TODAY).findings
    assert [(f.key, f.rule) for f in found] == [
        ("too-early", "follow-up"), ("vague", "follow-up"), ("elsewhere", "follow-up"),
        ("dangling", "follow-up")]
    # "2025" sorts before "2025-03" in the store's thread order, so it cannot follow it.
    assert "dated 2025, before announced (2025-03)" in found[1].line()
    assert "not in its thread" in found[2].line() and "no-such-fact" in found[3].line()


def test_warnings() -> None:
    doc = clean_doc()
    doc["companies"].append(company("Lonely Co"))
    doc["facts"] = [
        fact("old-announcement", status="announced", date="2025-11"),
        fact("fresh-announcement", "Beta Shop", "Alpha Pay", status="announced", date="2026-01"),
        fact("single-high", kind="login", confidence="high"),
        fact("double-high", kind="content", confidence="high",
             sources=[{"url": "https://a.example.com/1"}, {"url": "https://b.example.com/2"}]),
    ]
    report = datacheck.check(doc, today=TODAY)
    assert [(f.key, f.rule) for f in report.findings] == [
        ("single-high", "single-source"), ("old-announcement", "stale-announced"),
        ("Lonely Co", "no-facts")]
    assert report.errors == () and len(report.warnings) == 3
    # "today" decides staleness; a month-precision date counts from the end of its month.
    earlier = [(f.key, f.rule) for f in datacheck.check(doc, today=date(2026, 11, 30)).findings]
    assert ("old-announcement", "stale-announced") not in earlier
    # A later fact in the thread answers the announcement.
    doc["facts"].append(fact("launched", date="2026-06"))
    assert ("old-announcement", "stale-announced") not in findings(doc)


def test_a_group_with_facts_covers_its_members() -> None:
    doc = clean_doc()
    doc["companies"].append(company("Alpha Cloud", "Alpha Group"))
    assert findings(doc) == []


def test_an_import_is_checked_against_the_stored_companies() -> None:
    stored = [company("Alibaba Group"), company("Taobao", "Alibaba Group", "淘宝")]
    file = {"companies": [company("Alibaba Group", "Taobao"), company("New Co", None, "taobao")],
            "facts": [fact("k", "Taobao", "New Co")]}
    found = datacheck.check(file, today=TODAY, base_companies=stored, whole=False).findings
    assert [(f.key, f.rule) for f in found] == [("New Co", "duplicate-name"),
                                                ("Alibaba Group", "parent-cycle")]
    assert "Alibaba Group → Taobao → Alibaba Group" in found[1].line()


def test_parent_cycle_walk() -> None:
    parents = {"b": "a", "c": "b", "x": "y", "y": "x"}
    assert parent_cycle(parents.get, "a", "c") == ["a", "c", "b", "a"]
    assert parent_cycle(parents.get, "a", "a") == ["a", "a"]
    assert parent_cycle(parents.get, "c", "a") == []
    assert parent_cycle(parents.get, "z", "x") == []  # a stored loop elsewhere does not hang it


def test_findings_never_carry_a_lone_surrogate() -> None:
    doc = clean_doc()
    doc["facts"][0]["object"] = "Bad \ud800 name"
    [found] = datacheck.check(doc, today=TODAY).errors
    assert found.rule == "not-a-company"
    found.line().encode("utf-8")  # printable and sendable


def test_the_seed_has_no_errors() -> None:
    report = datacheck.check(json.loads(SEED.read_text(encoding="utf-8")))
    assert report.errors == (), "\n".join(f.line() for f in report.errors)


def test_the_seed_is_checked_completely() -> None:
    """The linter reads every seed row (a rule that silently skipped rows would pass above)."""
    doc = json.loads(SEED.read_text(encoding="utf-8"))
    broken = copy.deepcopy(doc)
    for row in broken["facts"]:
        row["sources"][0]["url"] = "https://x.example/{{href}}"
    report = datacheck.check(broken)
    assert len([f for f in report.errors if f.rule == "url"]) >= len(doc["facts"])


# -- the command -----------------------------------------------------------------------------


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_PATH": str(tmp_path / "unused.sqlite3")}
    return subprocess.run([sys.executable, "-m", "bot", "check-data", *args], capture_output=True,
                          text=True, timeout=120, env=env, cwd=ROOT)


def test_check_data_prints_one_line_per_finding_and_exits_1_on_errors(tmp_path: Path) -> None:
    doc = clean_doc()
    doc["companies"] += [company("Taobao", "Alibaba Group"), company("Alibaba Group", "Taobao")]
    doc["facts"] += [fact("href", date="2025", sources=[{"url": "https://x.example.com/{{href}}"}]),
                     fact("partial", kind="login", status="partial")]
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(doc))
    result = _cli(tmp_path, str(file), "--today", "2026-12-07")
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert lines == [
        "Taobao: parent-cycle: the parents go round in a circle: Taobao → Alibaba Group → Taobao",
        "href: url: source URL 'https://x.example.com/{{href}}' holds an unfilled template placeholder",
        "partial: partial-note: a partial fact needs a note saying what is partial",
        "Taobao: no-facts: no fact mentions it or any company in its group",
        "Alibaba Group: no-facts: no fact mentions it or any company in its group",
        "3 error(s), 2 warning(s)",
    ]
    assert not (tmp_path / "unused.sqlite3").exists()  # a check writes nothing


def test_check_data_reads_csv_exports_and_warnings_exit_0(tmp_path: Path) -> None:
    from bot import dataset

    doc = clean_doc()
    doc["facts"][0]["confidence"] = "high"
    file = tmp_path / "export.csv"
    file.write_bytes(dataset.to_csv_bytes({**doc, "facts": [
        {**f, **{k: "" for k in ("kind_detail", "date_note", "scope", "region", "note",
                                 "verified", "summary_zh")}, "retracted": False}
        for f in doc["facts"]]}))
    result = _cli(tmp_path, str(file))
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert result.stdout.splitlines() == [
        "a-b-live: single-source: “high” confidence rests on a single source",
        "0 error(s), 1 warning(s)"]


def test_check_data_defaults_to_the_seed(tmp_path: Path) -> None:
    result = _cli(tmp_path)
    assert result.stdout.splitlines()[-1].endswith("warning(s)") and "Traceback" not in result.stderr
    errors = len(datacheck.check(json.loads(SEED.read_text(encoding="utf-8"))).errors)
    assert result.returncode == (1 if errors else 0)


def test_check_data_on_a_hostile_file_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "deep.json"
    file.write_text('{"companies": [], "facts": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = _cli(tmp_path, str(file))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "interop-bot: the JSON is nested too deeply\n"


def test_check_data_reads_the_zip_an_export_writes(tmp_path: Path) -> None:
    import zipfile

    from bot import dataset

    doc = clean_doc()
    doc["facts"][0]["sources"][0]["url"] = "https://x.example.com/{{href}}"
    doc["facts"] = [{**f, **{k: "" for k in ("kind_detail", "date_note", "scope", "region", "note",
                                              "verified", "summary_zh")}, "retracted": False}
                    for f in doc["facts"]]
    file = tmp_path / "all.zip"
    with zipfile.ZipFile(file, "w") as archive:  # as `python -m bot export all.zip` writes it
        archive.writestr("interop-export-20261207.json", dataset.to_json_bytes(doc))
        archive.writestr("interop-export-20261207.csv", dataset.to_csv_bytes(doc))
    result = _cli(tmp_path, str(file))
    assert result.returncode == 1 and "a-b-live: url: " in result.stdout, (result.stdout, result.stderr)
