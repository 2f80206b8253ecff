"""Queries for the benchmark, drawn from the generated store with their intended answers.

Each query remembers which company (or pair) it was made from, so accuracy can be scored
for the project's resolver and for the baselines alike.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

_CJK_LO, _CJK_HI = "\u3400", "\u9fff"
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS: dict[str, str] = {}
for _row_i, _row in enumerate(_KEYBOARD):
    for _i, _ch in enumerate(_row):
        _near = _row[max(0, _i - 1): _i] + _row[_i + 1: _i + 2]
        _NEIGHBOURS[_ch] = _near

_EN_TEMPLATES = ("does {a} accept {b}?", "can I pay with {b} on {a}?", "Does {a} work with {b}",
                 "is {b} supported by {a}?", "{a} and {b} integration?", "can {a} ship with {b}")
_ZH_TEMPLATES = ("{a}支持{b}吗", "{a}能用{b}吗？", "{a}可以用{b}付款吗", "在{a}上能用{b}吗")


def is_cjk(text: str) -> bool:
    return any(_CJK_LO <= ch <= _CJK_HI for ch in text)


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    expected: tuple[int, ...]
    """Company ids the query was made from: one for a name, two for a question or a pair."""


@dataclass(slots=True)
class Workload:
    exact: list[Query] = field(default_factory=list)
    typo: list[Query] = field(default_factory=list)
    cjk: list[Query] = field(default_factory=list)
    free_text: list[Query] = field(default_factory=list)
    checks: list[Query] = field(default_factory=list)
    choices: list[str] = field(default_factory=list)
    """Every name and alias (what the resolver indexes): the baselines scan these."""
    choice_company: list[int] = field(default_factory=list)

    @property
    def names(self) -> list[Query]:
        return [*self.exact, *self.typo, *self.cjk]


def typo(rng: random.Random, word: str) -> str | None:
    """One realistic edit (neighbour key, dropped, doubled or swapped letter), never the first."""
    letters = [i for i, ch in enumerate(word) if ch.isalpha() and ch.isascii() and i > 0]
    if len(letters) < 4:
        return None
    i = rng.choice(letters)
    ch = word[i]
    edit = rng.choice(("neighbour", "drop", "double", "swap"))
    if edit == "neighbour":
        near = _NEIGHBOURS.get(ch.lower(), "")
        return word[:i] + rng.choice(near) + word[i + 1:] if near else None
    if edit == "drop":
        return word[:i] + word[i + 1:]
    if edit == "double":
        return word[:i] + ch + word[i:]
    if i + 1 < len(word) and word[i + 1].isalpha() and word[i + 1] != ch:
        return word[:i] + word[i + 1] + ch + word[i + 2:]
    return None


def build(path: Path, seed: int, *, per_kind: int, questions: int, checks: int) -> Workload:
    """Sample queries from the store at ``path``; deterministic for a seed."""
    rng = random.Random(seed * 7919 + 1)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names: dict[int, str] = dict(conn.execute("SELECT id, name FROM company ORDER BY id"))
        aliases: dict[int, list[str]] = {}
        for cid, alias in conn.execute("SELECT company_id, alias FROM alias ORDER BY id"):
            aliases.setdefault(cid, []).append(alias)
        (max_fact,) = conn.execute("SELECT max(id) FROM fact").fetchone()
        wanted = questions + checks
        fact_ids = sorted(rng.sample(range(1, max_fact + 1), min(max_fact, wanted)))
        pairs = [tuple(r) for r in conn.execute(
            f"SELECT subject_id, object_id FROM fact WHERE id IN ({','.join('?' * len(fact_ids))})",
            fact_ids)]
    finally:
        conn.close()
    rng.shuffle(pairs)
    work = Workload()
    for cid, name in names.items():
        for text in (name, *aliases.get(cid, ())):
            work.choices.append(text)
            work.choice_company.append(cid)
    taken = {text.casefold().replace(" ", "") for text in work.choices}
    ids = list(names)
    latin = {cid: [t for t in (names[cid], *aliases.get(cid, ())) if not is_cjk(t)] for cid in ids}
    cjk = {cid: [t for t in aliases.get(cid, ()) if is_cjk(t)] for cid in ids}
    with_cjk = [cid for cid in ids if cjk[cid]]

    while len(work.exact) < per_kind:
        cid = rng.choice(ids)
        text = rng.choice(latin[cid])
        work.exact.append(Query(text.lower() if rng.random() < 0.3 else text, (cid,)))
    while len(work.typo) < per_kind:
        cid = rng.choice(ids)
        text = rng.choice(latin[cid])
        wrong = typo(rng, text)
        # A "typo" that spells another real name is not a typo any more; skip those.
        if wrong and wrong.casefold().replace(" ", "") not in taken:
            work.typo.append(Query(wrong, (cid,)))
    while len(work.cjk) < per_kind and with_cjk:
        cid = rng.choice(with_cjk)
        work.cjk.append(Query(rng.choice(cjk[cid]), (cid,)))

    def display(cid: int, *, chinese: bool) -> str:
        if chinese and cjk[cid] and rng.random() < 0.8:
            return rng.choice(cjk[cid])
        return names[cid] if rng.random() < 0.6 else rng.choice(latin[cid])

    for a, b in pairs[:questions]:
        chinese = rng.random() < 0.3
        da, db = display(a, chinese=chinese), display(b, chinese=chinese)
        if rng.random() < 0.25:  # a typo in one of the Latin names
            for side in rng.sample((0, 1), 2):
                current = (da, db)[side]
                wrong = typo(rng, current) if not is_cjk(current) else None
                if wrong and wrong.casefold().replace(" ", "") not in taken:
                    da, db = (wrong, db) if side == 0 else (da, wrong)
                    break
        template = rng.choice(_ZH_TEMPLATES if chinese else _EN_TEMPLATES)
        work.free_text.append(Query(template.format(a=da, b=db), (a, b)))
    for a, b in pairs[questions:questions + checks]:
        chinese = rng.random() < 0.2
        work.checks.append(Query(f"/check {display(a, chinese=chinese)} {display(b, chinese=chinese)}",
                                 (a, b)))
    return work
