"""Run the reading trial (tests/trial_round3.py) on a fresh seed database and judge each answer.

``python -m tests.trial_round3_run tuning|held|all [OUT]``: prints one line per question
(right / WRONG / unhelpful, with why) and the counts; OUT also gets each console answer.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import tempfile
from pathlib import Path

from bot.admin import Editor
from bot.answers import Interop
from bot.console import answer_line, run_console
from bot.domain import (
    CheckHint,
    CheckResult,
    Checks,
    Decision,
    KindFacts,
    Latest,
    Ownership,
    Profile,
    SearchResult,
    SmallTalk,
    Unresolved,
)
from bot.i18n import AUTO, choose, using
from bot.startup import open_interop
from tests.trial_round3 import half

SEED = Path(__file__).resolve().parent.parent / "data" / "seed.json"
_AGREE = ("✅ Yes", "⛔ No longer", "✅ 可以", "⛔ 已不再支持", "✅ 可以", "⛔ 已不再支援")


def _unknown_names(decision: Decision) -> list[tuple[str, bool]]:
    """(name, has candidates) for every name the answer reports as unknown or unsure."""
    out = [(r.query.casefold(), bool(r.candidates)) for r in decision.unknown]
    result = decision.result
    if isinstance(result, Unresolved):
        out += [(r.query.casefold(), bool(r.candidates)) for r in result.resolutions if r.company is None]
    return out


def _relevant(view_fact: object, term: str, interop: Interop) -> bool:
    fact = view_fact
    term = term.casefold()
    text = " ".join([fact.summary, fact.summary_zh, fact.scope, fact.kind_detail]).casefold()  # type: ignore[attr-defined]
    if term in text:
        return True
    for company_id in (fact.subject_id, fact.object_id):  # type: ignore[attr-defined]
        for feature in interop.company(company_id).features:
            if feature.alias.casefold() == term and feature.scope and feature.scope == fact.scope:  # type: ignore[attr-defined]
                return True
    return False


def _is_mod(token: str) -> bool:
    return token in ("clean", "nosuggest", "inline") or token.startswith(("unknown=", "text~", "text!~"))


def judge_one(spec: str, decision: Decision, text: str, interop: Interop,
              inline_first: str | None) -> tuple[str, str]:
    """("right" | "wrong" | "unhelpful", why) for one alternative of a spec."""
    tokens = spec.split(" ")
    at = next((i for i, tok in enumerate(tokens) if i and _is_mod(tok)), len(tokens))
    head, mods = " ".join(tokens[:at]), tokens[at:]
    result = decision.result
    unknown = _unknown_names(decision)
    names = {n for n, _ in unknown}
    for mod in mods:
        if mod.startswith("unknown="):
            for want in mod.removeprefix("unknown=").replace("_", " ").split(","):
                if want.casefold() not in names and not any(want.casefold() in n for n in names):
                    return "unhelpful", f"{want} not reported (unknown: {sorted(names)})"
                if inline_first is not None and want.casefold() not in inline_first.casefold():
                    return "unhelpful", f"inline first result does not say {want}: {inline_first[:80]!r}"
        elif mod == "clean" and unknown:
            return "unhelpful", f"reported as unknown: {sorted(names)}"
        elif mod == "nosuggest" and any(c for _, c in unknown):
            return "unhelpful", f"suggested names for {sorted(n for n, c in unknown if c)}"
        elif mod.startswith("text~") and mod[5:].replace("_", " ") not in text:
            return "unhelpful", f"text lacks {mod[5:]!r}"
        elif mod.startswith("text!~") and mod[6:].replace("_", " ") in text:
            return "unhelpful", f"text has {mod[6:]!r}"
    what, _, rest = head.partition(":")
    fields = rest.split("|") if rest else []
    confident = (isinstance(result, CheckResult) and result.verdict.value != "no_record") or \
        (isinstance(result, Ownership) and result.verdict.value in ("yes", "no", "affiliate"))
    bad = "wrong" if confident else "unhelpful"
    if what in ("pair", "feat", "neg"):
        a, b, verdict = fields[:3]
        if not isinstance(result, CheckResult):
            return "unhelpful", f"not a check: {type(result).__name__}"
        if {result.a.name, result.b.name} != {a, b}:
            return bad, f"pair {result.a.name} × {result.b.name} {result.verdict.value}"
        if result.verdict.value != verdict:
            return bad, f"verdict {result.verdict.value}"
        if what == "pair" and len(fields) > 3:
            shown = result.kind or ((result.threads or result.rollup)[0].kind
                                    if result.threads or result.rollup else None)
            if shown is None or shown.value != fields[3]:  # the headline thread's kind counts
                return "unhelpful", f"kind {result.kind}"
        if what == "feat":
            scope = fields[3]
            focus = result.of_kind(result.kind) if result.kind else (result.threads or result.rollup)
            focus = tuple(sorted(focus, key=lambda th: th.scope.casefold() != result.scope.casefold()))
            if verdict == "no_record":
                if scope.casefold() not in text.casefold():
                    return "unhelpful", f"does not say no record of {scope}"
            elif not focus or focus[0].scope.casefold() != scope.casefold() or \
                    (result.scope or "").casefold() != scope.casefold():
                return bad, f"headline thread {focus[0].scope if focus else None!r} scope {result.scope!r}"
        if what == "neg":
            if result.kind is None or result.kind.value != fields[3]:
                return "unhelpful", f"kind {result.kind}"
            first = text.strip().split("\n")[0]
            if any(word in first for word in _AGREE):
                return "wrong", f"headline reads as agreement: {first[:70]!r}"
        return "right", ""
    if what == "pairs":
        if not isinstance(result, Checks):
            return "unhelpful", f"not pairs: {type(result).__name__}"
        got = {(frozenset((r.a.name, r.b.name)), r.verdict.value) for r in result.results}
        want = {(frozenset(p.split("|")[:2]), p.split("|")[2]) for p in rest.split(";")}
        return ("right", "") if got == want else ("wrong", f"pairs {got}")
    if what == "own":
        child, parent, verdict = fields
        if not isinstance(result, Ownership):
            return bad, f"not ownership: {type(result).__name__}"
        got_parent = result.parent.name if result.parent else ""
        if verdict == "related" and result.verdict.value == "related" and result.other is not None:
            got_parent = result.other.name  # the group both belong to is shown, not checked
        if result.verdict.value != verdict:
            return "wrong", f"ownership {result.child.name}/{got_parent} {result.verdict.value}"
        chain_ok = verdict == "chain" and result.child.name == child
        if {result.child.name, got_parent} != {child, parent} and not chain_ok:
            return "wrong", f"ownership {result.child.name}/{got_parent} {result.verdict.value}"
        if verdict in ("yes", "affiliate") and result.child.name != child:
            return "wrong", f"roles reversed: {result.child.name} in {got_parent}"
        return "right", ""
    if what == "kind":
        name, kind = fields
        if isinstance(result, KindFacts) and result.company.name == name and result.kind.value == kind:
            return "right", ""
        return bad, f"not {name}'s {kind}: {type(result).__name__}"
    if what == "profile":
        if isinstance(result, Profile) and result.company.name == fields[0]:
            return "right", ""
        return bad, f"not {fields[0]}'s profile: {type(result).__name__}"
    if what == "hint":
        if isinstance(result, CheckHint) and result.single and result.single.name == fields[0]:
            return "right", ""
        return bad, "not the hint"
    if what in ("help", "latest"):
        wanted = SmallTalk if what == "help" else Latest
        return ("right", "") if isinstance(result, wanted) else (bad, type(result).__name__)
    if what == "search":
        found = isinstance(result, SearchResult | Unresolved)
        return ("right", "") if found else (bad, type(result).__name__)
    if what == "suggest":
        offered = result if isinstance(result, Unresolved) else decision.suggest
        ok = offered is not None and any(r.candidates for r in offered.resolutions)
        return ("right", "") if ok else (bad, "no suggestion")
    if what == "searchrel":
        if not isinstance(result, SearchResult):
            return "unhelpful", type(result).__name__
        hits = result.hits
        if len(fields[0]) <= 2 or fields[0] in ("the", "of", "in"):
            return ("right", "") if len(hits) <= 3 else ("unhelpful", f"{len(hits)} hits for a stop-word")
        if not hits:
            return "unhelpful", "no hits"
        good = [_relevant(v.fact, fields[0], interop) for v in hits]
        lead = good[:min(3, len(good))]
        if (all(lead) and sum(good) >= 0.6 * len(good)) or (all(good[:sum(good)]) and sum(good) >= 1 \
                and all(lead[:sum(good)])):
            return "right", ""
        return "unhelpful", f"relevance {''.join('+' if g else '-' for g in good)}"
    if what == "any":
        if "inline" in mods and inline_first is None:
            return "unhelpful", "no inline result"
        return "right", ""
    raise ValueError(spec)


def judge(spec: str, decision: Decision, text: str, interop: Interop,
          inline_first: str | None) -> tuple[str, str]:
    verdicts = [judge_one(alt.strip(), decision, text, interop, inline_first) for alt in spec.split(" OR ")]
    for v in verdicts:
        if v[0] == "right":
            return v
    return next((v for v in verdicts if v[0] == "unhelpful"), verdicts[0])


async def _console(interop: Interop, line: str, lang: str) -> str:
    out = io.StringIO()
    await run_console(interop, io.StringIO(line + "\n"), out, language="zh" if lang == "zh" else AUTO)
    return out.getvalue().strip()


async def _import_case(interop: Interop, name: str, folder: Path) -> str:
    """A dry run of an edited export: the console's /import FILE."""
    editor = Editor(interop, {0})
    path = await editor.export_file(folder, "json")
    doc = json.loads(path.read_text())
    fact = next(f for f in doc["facts"] if f.get("key") == "cn-jd-alipay-2024-live")
    if name == "edit summary":
        fact["summary"] = "JD.com takes Alipay at checkout (edited)."
    elif name == "older row":
        await editor.edit_fact(await _fact_id(interop, fact["key"]), "summary", "A later edit.", "console")
        fact["summary"] = "The older text, edited elsewhere."
    elif name == "edit status":
        fact["status"] = "partial"
    else:
        doc["facts"].append({**fact, "key": "new-row", "date": "2025-01", "summary": "A new row."})
    edited = folder / f"{name.replace(' ', '-')}.json"
    edited.write_text(json.dumps(doc, ensure_ascii=False))
    return await answer_line(interop, f"/import {edited}", editor)


async def _fact_id(interop: Interop, key: str) -> int:
    for f in await interop.store.facts_involving([c.id for c in await interop.store.companies()]):
        if f.key == key:
            return f.id
    raise KeyError(key)


async def main(which: str, out_path: str | None) -> None:
    counts = {"right": 0, "wrong": 0, "unhelpful": 0}
    rows = half(which)
    lines: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        interop = await open_interop(Path(tmp) / "trial.sqlite3", seed=SEED)
        try:
            for question, lang, cls, spec in rows:
                inline_first = None
                if question.startswith("@import"):
                    text = await _import_case(interop, question.removeprefix("@import "), Path(tmp))
                    decision = Decision(SmallTalk())
                else:
                    text = await _console(interop, question, lang)
                    command, _, args = question.partition(" ")
                    mode = "check" if command == "/check" else "company" if command == "/company" \
                        else "inline" if "inline" in spec else "ask"
                    if command == "/search":
                        decision = Decision(await interop.search(args))
                    elif question.startswith("/") and mode == "ask":
                        decision = Decision(SmallTalk())
                    else:
                        asked = args if mode in ("check", "company") else question
                        decision = await interop.decide(asked, mode)
                    if mode == "inline":
                        from bot.telegram.inline import results_for
                        with using(choose("zh" if lang == "zh" else AUTO, question, None)):
                            articles = await results_for(interop, question, "trial_bot")
                        if articles:
                            first = articles[0]
                            inline_first = f"{first.title} {first.description or ''}"
                            text = inline_first + "\n" + text
                verdict, why = judge(spec, decision, text, interop, inline_first)
                counts[verdict] += 1
                mark = {"right": "ok  ", "wrong": "WRONG", "unhelpful": "unh "}[verdict]
                print(f"{mark} [{cls:2}] {lang} {question!r}: {why}")
                lines.append(f"### [{cls}] {lang} {question}\n{spec}\n=> {verdict} {why}\n{text}\n")
        finally:
            await interop.close()
    n = len(rows)
    print(f"{which}: {n} questions: right {counts['right']} ({100 * counts['right'] / n:.1f}%), "
          f"wrong {counts['wrong']} ({100 * counts['wrong'] / n:.1f}%), "
          f"unhelpful {counts['unhelpful']} ({100 * counts['unhelpful'] / n:.1f}%)")
    if out_path:
        await asyncio.to_thread(Path(out_path).write_text, "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "all", sys.argv[2] if len(sys.argv) > 2 else None))
