"""A word that is no company's name, but that one company's facts spell as a proper name.

"can I remove edge from windows": "edge" is an ordinary word and no alias (Microsoft Edge is
"Edge browser"), yet a Windows fact says "Edge can be removed"; "galaxy s26 airdrop" names no
company we know, yet an iPhone fact says "Quick Share on the Galaxy S26 series". The word then
picks the fact's pair, as a place picks one ("upi in sri lanka"). Only a capitalised whole name
in a fact counts ("Find My network", not "Find My Device" nor "find"), and only when it points
at one partner: a word several threads share picks nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import pairwise

from bot.domain import Company, Fact
from bot.names import words as W
from bot.names.keys import STOPWORDS
from bot.names.reading import Reading

_TOKEN = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
_WORD = re.compile(r"[^\W_\u3400-\u9fff]+(?:[-'][^\W_\u3400-\u9fff]+)*")
"""A word of the question, cut where Chinese starts ("edge瀏覽器" -> "edge")."""
_PLAIN = (STOPWORDS | W.QUESTION_OPENERS | W.NAME_VERBS | W.SCOPE_STOP | frozenset(W.PLACES)
          | frozenset(w for p in W.PLACES.values() for w in p.split())
          | frozenset(w for ws in W.REGION_WORDS.values() for w in ws) | W.DEMONYMS)
"""Words that never name a fact's party: places pick facts their own way ("upi in sri lanka")."""
_KIND_WORDS = frozenset(w for ws in W.KIND_WORDS.values() for w in ws)
_COMMON_NOUN = re.compile(r"\s+(protocol|protocols|standard|standards|chip|chips|chipset|"
                         r"specification|spec|specs|format|formats|framework|api|apis|technology|"
                         r"consortium|alliance|engine|engines|profile|layer|bug|exploit|rules?|law|act)\b")
"""Common nouns after a capitalised word that make it the name of a thing, not of a party."""
MAX_PHRASE = 3
"""Words in a phrase the question spells as one name ("find my", "galaxy s26")."""


def terms(reading: Reading, exact: Callable[[str], Company | None], unknown: Iterable[str]) -> list[str]:
    """What in the question may be a name a fact spells: each unknown name, each uncommon
    leftover word, and each run of words that is a known alias written as plain words ("find
    my") when it ends the question or its clause (not "find my android phone")."""
    found = [u.casefold() for u in unknown if u.isascii()]
    taken = [(n.start, n.end) for n in reading.known]
    words = [m for m in _WORD.finditer(reading.text.casefold())
             if not any(s <= m.start() < e for s, e in taken)]
    # a word of a named company's own name ("Hub" after a misspelt "Laaidroundar") is no third party
    own = {w for n in reading.known if n.company is not None
           for name in (n.company.name, *n.company.aliases) for w in _WORD.findall(name.casefold())}
    for m in words:
        w = m.group()
        if w.isascii() and len(w) >= 3 and w not in _PLAIN and w not in _KIND_WORDS and w not in own:
            found.append(w)
    text = reading.text.casefold()
    for i in range(len(words)):
        for size in range(2, MAX_PHRASE + 1):
            run = words[i:i + size]
            if len(run) < size or not all(b.start() - a.end() == 1 for a, b in pairwise(run)):
                continue
            phrase = " ".join(m.group() for m in run)
            after = text[run[-1].end():].lstrip()
            if exact(phrase) is not None and (not after or not after[0].isalnum()):
                found.append(phrase)
    return list(dict.fromkeys(found))


def spelt(term: str, summary: str) -> bool:
    """Whether the fact spells the term as a whole capitalised name, not inside a longer one."""
    for match in re.finditer(rf"(?<![\w.]){re.escape(term)}(?![\w])", summary, re.IGNORECASE):
        said = match.group()
        if not said[0].isupper() or match.start() == 0:
            continue
        if re.match(r"\s+[A-Z0-9]", summary[match.end():]):
            continue  # "Find My Device": a longer name than "Find My"
        if _COMMON_NOUN.match(summary[match.end():]):
            continue  # "the Matter protocol", "a Tensor chip": a thing's name, not a product's
        if " " not in term and re.search(r"[A-Z][\w'’]*\s+$", summary[:match.start()]):
            continue  # "Google Maps": one word of a longer name, not "Edge" alone
        return True
    return False


def partner(company: Company, facts: Iterable[Fact], found: list[str], unknown: Iterable[str],
            company_of: Callable[[int], Company]) -> tuple[int, list[str]] | None:
    """The one other party of the company's facts that spell a term, with the terms it used.

    An unknown name must also be what that party is ("Galaxy" devices are Samsung Quick
    Share's): a fact that only lists it ("Beeper's inbox for WhatsApp, Telegram, ...") does not
    make the party the name asked about."""
    names = {u.casefold() for u in unknown}
    partners: dict[int, list[str]] = {}
    for fact in facts:
        other = fact.object_id if fact.subject_id == company.id else fact.subject_id
        party = company_of(other)
        about = " ".join((party.name, *party.aliases, party.description)).casefold()
        used = [t for t in found if spelt(t, fact.summary) and (
            t not in names or any(len(w) >= 3 and w in about for w in t.split()))]
        if used:
            partners.setdefault(other, [])
            partners[other] += [t for t in used if t not in partners[other]]
    if len(partners) != 1:
        return None
    return next(iter(partners.items()))


def scope_names(reading: Reading, facts: Iterable[Fact]) -> Reading:
    """A name that is a word of a thread's scope between two other names of the question is that
    scope, not a third party: in "did wechat remove jd from discover", WeChat × JD.com has the
    "Discover shopping entry" thread, so "discover" is that entry, not the card network. The
    word then picks the thread, as a feature word does; a kind asked that the thread is not of
    ("pay with discover on jd in wechat") leaves the party."""
    known = reading.known
    if len(reading.companies()) < 3:
        return reading
    facts = list(facts)
    ids = {n.company.id for n in known if n.company is not None}
    for name in known:
        assert name.company is not None
        others = ids - {name.company.id}
        # as typed ("discover"), or by the name it was read as ("发现页" -> 发现卡 -> Discover)
        for said in (_TOKEN.findall((name.matched or name.text).casefold()),
                     _TOKEN.findall(name.company.name.casefold())):
            for fact in facts:
                scope = set(_TOKEN.findall(fact.scope.casefold()))
                if said and set(said) <= scope and {fact.subject_id, fact.object_id} <= others \
                        and reading.kind in (None, fact.kind):
                    return replace(reading, names=tuple(n for n in reading.names if n is not name),
                                   words=tuple(dict.fromkeys((*reading.words, *said))),
                                   corrected=tuple(c for c in reading.corrected if c[1] is not name.company))
    return reading
