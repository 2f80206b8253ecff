"""A realistic synthetic store, deterministic from a seed, written straight into the real schema.

Names are built from syllables so they read like brand names (and a one-letter typo is a real
typo, not noise), about a fifth of the aliases are Chinese names drawn from characters that
real brands use, and facts are skewed towards popular companies as real coverage is. The
database is created with ``Store.open`` (so the project's migrations define the schema) and
then filled with plain ``sqlite3`` ``executemany``; the result is cached by (seed, scale).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.domain import Kind, Status
from bot.store import Store, index_new_facts, restore_fts_triggers, suspend_fts_insert_triggers

GEN_VERSION = 1
"""Bump when generation changes, so stale cached databases are not reused."""
FULL_COMPANIES = 100_000
FULL_ALIASES = 300_000
FULL_FACTS = 1_000_000
CREATED_AT = "2025-01-01T00:00:00Z"

_ONSETS = ("b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
           "z", "br", "cr", "dr", "fl", "gr", "kl", "pl", "pr", "st", "tr", "sh", "ch", "qu", "x")
_NUCLEI = ("a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "io", "ou")
_CODAS = ("", "", "", "", "", "n", "r", "x", "l", "s", "m", "k")
_BRAND_WORDS = ("Pay", "Mall", "Express", "Cloud", "Bank", "Go", "Mart", "Hub", "Link", "Wallet",
                "Logistics", "Travel", "Music", "Maps", "Shop", "Air", "Health", "Games", "Video")
_PRODUCT_WORDS = ("Wallet", "Pay", "Lite", "Plus", "Express", "Global", "Pro", "Direct", "Live",
                  "Now", "One", "Max")
_CORPORATE = ("Inc.", "Group", "Holdings", "Ltd", "Co., Ltd.", "Limited", "Corp")
_TLDS = ("com", "cn", "io", "com.cn", "hk", "net")
_PINYIN = ("jing", "dong", "tao", "bao", "mei", "tuan", "xin", "hua", "wei", "bai", "du", "ali",
           "ba", "zhi", "fu", "tian", "mao", "xiao", "mi", "kuai", "shou", "dou", "yin", "wang",
           "yi", "su", "ning", "ctrip", "pin", "duo", "ele", "me", "cai", "niao", "shun", "feng",
           "yuan", "tong", "zhong", "shen", "yun", "da", "ji", "tu", "yin", "lian", "zhao", "shang",
           "jian", "she", "nong", "ye", "ping", "an", "min", "guang", "pu", "xing", "jiao", "you",
           "zheng", "chu", "xiang", "long", "hai", "ke", "ji", "qi", "le", "jia", "fu", "man")
# Characters that real Chinese brand and company names are mostly made of.
_CJK_POOL = (
    "京东阿里巴淘宝天猫支付微信美团拼多滴出行字节跳动腾讯百度小米华为网易新浪快手抖音哔唯品会苏宁"
    "国携程饿了么盒马菜鸟顺丰圆通中申韵达极兔银联招商建设工农业平安民生光大浦发兴交邮政储蓄云闪付"
    "翼翔星辰海天宇智慧科技数码电子城优选易购汇信泰康乐家福满鑫源盛佳诚德润壹贰叁通达讯飞猎豹蚂蚁"
    "金融闲鱼钉盒子悦读书影视听网络在线商务物流快递速运航空酒店旅游票务外卖餐饮生鲜超市便利药房医"
    "健车贷保险证券基金理财红包钱包卡券积分会员直播短视频社区问答知乎豆瓣小红书得物唯拍转转瓜子贝"
    "壳链家安居客自如途虎汽之喜马拉雅荔枝酷狗我蜻蜓咪咕爱奇艺优土豆芒果搜狐凤凰今日头条西瓜火山皮"
    "虾蜜雪冰茶喜瑞幸星巴克肯德基麦当劳必胜客海底捞永辉物美华润万家联华罗森全季亚朵如汉庭锦江首"
)
_CJK_SUFFIXES = ("支付", "商城", "物流", "科技", "集团", "银行", "出行", "外卖", "音乐", "视频",
                 "钱包", "快递", "金融", "网络")
_COMPANY_KINDS = ("marketplace", "payments", "logistics", "messaging", "social network", "travel",
                  "bank", "food delivery", "media", "super app", "ride hailing", "cloud")
_PUBLISHERS = (("Reuters", "reuters.com"), ("Caixin", "caixinglobal.com"),
               ("SCMP", "scmp.com"), ("TechCrunch", "techcrunch.com"), ("36Kr", "36kr.com"),
               ("TechNode", "technode.com"), ("Bloomberg", "bloomberg.com"),
               ("Sina Tech", "tech.sina.com.cn"), ("Company blog", "blog.example.com"),
               ("Press release", "prnewswire.com"), ("The Verge", "theverge.com"),
               ("Nikkei Asia", "asia.nikkei.com"), ("Pandaily", "pandaily.com"),
               ("LatePost", "latepost.com"), ("Jiemian", "jiemian.com"))
_REGIONS = ("", "", "", " in mainland China", " in Hong Kong", " in Singapore", " worldwide",
            " for cross-border orders", " in its mini program", " on its app")
_SUMMARY = {
    Kind.PAYMENTS: "{s} accepts {o} at checkout{r}.",
    Kind.LOGISTICS: "{s} ships orders with {o}{r}.",
    Kind.SHOPPING: "{s} shows {o} product links{r}.",
    Kind.MESSAGING: "{s} lets users share chats to {o}{r}.",
    Kind.LOGIN: "{s} supports signing in with {o}{r}.",
    Kind.CONTENT: "{s} hosts {o} content{r}.",
    Kind.OTHER: "{s} partners with {o}{r}.",
}
_STATUS_WEIGHTS = ((Status.LIVE, 60), (Status.PARTIAL, 12), (Status.ANNOUNCED, 13), (Status.ENDED, 15))


@dataclass(slots=True)
class SynthCompany:
    id: int
    name: str
    base: str
    """The first (brand) word, used for product and domain aliases."""
    aliases: list[str] = field(default_factory=list)
    parent_id: int | None = None
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Scale:
    """Row counts for one ``--scale``; at least a handful of everything so tiny runs still work."""

    companies: int
    aliases: int
    facts: int

    @classmethod
    def of(cls, scale: float) -> Scale:
        return cls(companies=max(20, round(FULL_COMPANIES * scale)),
                   aliases=max(60, round(FULL_ALIASES * scale)),
                   facts=max(100, round(FULL_FACTS * scale)))


def loose_key(text: str) -> str:
    """Case- and punctuation-blind key used to keep generated names globally unambiguous."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def latin_word(rng: random.Random, syllables: int) -> str:
    word = "".join(rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)
                   for _ in range(syllables))
    return word.capitalize()


def cjk_word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(_CJK_POOL) for _ in range(length))


def make_companies(rng: random.Random, scale: Scale) -> list[SynthCompany]:
    """Unique names, then exactly ``scale.aliases`` aliases, none shared between companies."""
    owner: dict[str, int] = {}
    companies: list[SynthCompany] = []
    for cid in range(1, scale.companies + 1):
        while True:
            base = latin_word(rng, rng.choices((2, 3), (60, 40))[0])
            name = f"{base} {rng.choice(_BRAND_WORDS)}" if rng.random() < 0.25 else base
            key = loose_key(name)
            if key not in owner and loose_key(base) not in owner:
                break
        owner[key] = cid
        owner.setdefault(loose_key(base), cid)
        parent_pool = max(1, scale.companies // 100)
        parent = rng.randint(1, parent_pool) if cid > parent_pool and rng.random() < 0.15 else None
        companies.append(SynthCompany(cid, name, base, parent_id=parent,
                                      kind=rng.choice(_COMPANY_KINDS)))
    # Spread the alias budget: 3 each on average, 1..5 in practice, the total exact.
    counts = [scale.aliases // scale.companies] * scale.companies
    for i in range(scale.aliases - sum(counts)):
        counts[i % scale.companies] += 1
    for _ in range(scale.companies // 2):
        i, j = rng.randrange(scale.companies), rng.randrange(scale.companies)
        if counts[i] > 1 and counts[j] < 5:
            counts[i] -= 1
            counts[j] += 1
    for company, count in zip(companies, counts, strict=True):
        has_cjk = rng.random() < 0.66
        attempts = 0
        while len(company.aliases) < count and attempts < 50:
            attempts += 1
            first = not company.aliases
            alias = _alias(rng, company, cjk=(has_cjk and first) or rng.random() < 0.03)
            key = loose_key(alias)
            if not key or owner.get(key, company.id) != company.id or alias in company.aliases:
                continue
            owner[key] = company.id
            company.aliases.append(alias)
    return companies


def _alias(rng: random.Random, company: SynthCompany, *, cjk: bool) -> str:
    if cjk:
        word = cjk_word(rng, rng.choices((2, 3, 4), (15, 50, 35))[0])
        return word + rng.choice(_CJK_SUFFIXES) if rng.random() < 0.2 else word
    pick = rng.choices(("brand", "product", "domain", "pinyin", "corporate"),
                       (35, 25, 15, 15, 10))[0]
    if pick == "brand":  # a former or regional brand name
        return latin_word(rng, rng.choices((2, 3), (55, 45))[0])
    if pick == "product":
        return f"{company.base} {rng.choice(_PRODUCT_WORDS)}"
    if pick == "domain":
        return f"{company.base.lower()}.{rng.choice(_TLDS)}"
    if pick == "pinyin":
        return "".join(rng.choice(_PINYIN) for _ in range(rng.choice((2, 3)))).capitalize()
    return f"{company.name} {rng.choice(_CORPORATE)}"


def _date(rng: random.Random) -> str:
    year = rng.randint(2008, 2025)
    precision = rng.random()
    if precision < 0.15:
        return str(year)
    month = rng.randint(1, 12)
    if precision < 0.55:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def popularity(rng: random.Random, n: int) -> list[float]:
    """Cumulative Zipf-like weights over a shuffled order: a few hubs, a long tail."""
    order = list(range(n))
    rng.shuffle(order)
    weights = [0.0] * n
    for rank, index in enumerate(order):
        weights[index] = 1.0 / (rank + 10) ** 0.9
    return list(itertools.accumulate(weights))


def fact_rows(rng: random.Random, companies: list[SynthCompany], count: int,
              *, first_id: int = 1, taken: set[tuple[int, int, str, str, str]] | None = None
              ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Fact and source rows (as the schema's columns); no two live facts share the unique key."""
    cum = popularity(rng, len(companies))
    taken = set() if taken is None else taken
    kinds = list(Kind)
    statuses = [s for s, _ in _STATUS_WEIGHTS]
    status_weights = [w for _, w in _STATUS_WEIGHTS]
    facts: list[tuple[object, ...]] = []
    sources: list[tuple[object, ...]] = []
    fid = first_id
    while len(facts) < count:
        s_i, o_i = rng.choices(range(len(companies)), cum_weights=cum, k=2)
        if s_i == o_i:
            continue
        subject, obj = companies[s_i], companies[o_i]
        kind = rng.choice(kinds)
        status = rng.choices(statuses, status_weights)[0]
        date = _date(rng)
        unique = (subject.id, obj.id, kind.value, status.value, date)
        if unique in taken:
            continue
        taken.add(unique)
        summary = _SUMMARY[kind].format(s=subject.name, o=obj.name, r=rng.choice(_REGIONS))
        if status is Status.ENDED:
            summary = "Ended: " + summary
        elif status is Status.ANNOUNCED:
            summary = "Announced: " + summary
        facts.append((fid, f"fact-{fid}", subject.id, obj.id, kind.value, "", status.value, date,
                      "", "", summary, 0, "bench", CREATED_AT, "bench", CREATED_AT))
        for position in range(1 if rng.random() < 0.6 else 2):
            publisher, domain = rng.choice(_PUBLISHERS)
            slug = loose_key(subject.base)[:12] + "-" + loose_key(obj.base)[:12]
            sources.append((fid, position, f"https://{domain}/{date[:4]}/{slug}-{fid}-{position}",
                            f"{subject.name} and {obj.name}: {kind.value} update", publisher, date))
        fid += 1
    return facts, sources


def write_store(path: Path, companies: list[SynthCompany],
                facts: list[tuple[object, ...]], sources: list[tuple[object, ...]]) -> None:
    """Migrate with the project's own code, then bulk-insert; FTS is filled in one pass."""
    asyncio.run(_migrate(path))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -512000")
        conn.execute("BEGIN")
        # Per-row FTS triggers would rewrite each fact's FTS row once per source: the store's own
        # bulk-load helpers suspend them (as they are in the file) and index every fact at once.
        deferred = suspend_fts_insert_triggers(conn)
        conn.executemany(
            "INSERT INTO company (id, name, kind, parent_id, description, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, 'bench', ?)",
            ((c.id, c.name, c.kind, c.parent_id, f"{c.name} is a synthetic {c.kind}.", CREATED_AT)
             for c in companies))
        conn.executemany("INSERT INTO alias (company_id, alias) VALUES (?, ?)",
                         ((c.id, a) for c in companies for a in c.aliases))
        conn.executemany(
            "INSERT INTO fact (id, key, subject_id, object_id, kind, kind_detail, status, date, "
            "date_note, confidence, summary, retracted, created_by, created_at, updated_by, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", facts)
        conn.executemany("INSERT INTO source (fact_id, position, url, title, publisher, date) "
                         "VALUES (?, ?, ?, ?, ?, ?)", sources)
        index_new_facts(conn, first_id=1, changed_sources=())
        restore_fts_triggers(conn, deferred)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


async def _migrate(path: Path) -> None:
    store = await Store.open(path, check=False)  # the project migrates on open
    await store.close()


def cached_store(cache_dir: Path, seed: int, scale: float, *, log: bool = True) -> tuple[Path, float]:
    """The generated database for (seed, scale), building it once; returns (path, build seconds)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f"store-v{GEN_VERSION}-seed{seed}-scale{scale:g}.sqlite3"
    if path.exists():
        # A store cached by an older version of the project is brought to today's schema once,
        # here: otherwise every copy would migrate (an FTS rebuild: minutes at 1M facts) inside
        # the start-up and end-to-end figures.
        asyncio.run(_migrate(path))
        return path, 0.0
    started = time.perf_counter()
    counts = Scale.of(scale)
    if log:
        print(f"generating {counts.companies} companies, {counts.aliases} aliases, "
              f"{counts.facts} facts (seed {seed}) -> {path}", file=sys.stderr, flush=True)
    rng = random.Random(seed)
    companies = make_companies(rng, counts)
    facts, sources = fact_rows(rng, companies, counts.facts)
    tmp = path.with_suffix(".part")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)
    write_store(tmp, companies, facts, sources)
    for suffix in ("-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    tmp.replace(path)
    elapsed = time.perf_counter() - started
    if log:
        print(f"generated in {elapsed:.1f} s", file=sys.stderr, flush=True)
    return path, elapsed


def import_facts(db: Path, count: int, seed: int) -> tuple[list[dict[str, object]], list[SynthCompany]]:
    """``count`` new facts between the store's companies, as an import file lists them (each
    partial one with the note a new partial fact needs), and the companies they are between."""
    conn = sqlite3.connect(db)
    try:
        companies = [SynthCompany(cid, name, name.split()[0])
                     for cid, name in conn.execute("SELECT id, name FROM company ORDER BY id")]
        taken = {tuple(r) for r in conn.execute(
            "SELECT subject_id, object_id, kind, status, date FROM fact WHERE retracted = 0")}
    finally:
        conn.close()
    rng = random.Random(seed * 31 + 7)
    facts, sources = fact_rows(rng, companies, count, first_id=1, taken=taken)
    name_of = {c.id: c.name for c in companies}
    by_fact: dict[object, list[dict[str, object]]] = {}
    for fid, _, url, title, publisher, date in sources:
        by_fact.setdefault(fid, []).append({"url": url, "title": title, "publisher": publisher,
                                            "date": date})
    doc_facts = [{"key": f"import-{row[0]}", "subject": name_of[row[2]], "object": name_of[row[3]],
                  "kind": row[4], "status": row[6], "date": row[7], "summary": row[10],
                  "note": "synthetic caveat" if row[6] == "partial" else "",
                  "sources": by_fact[row[0]]} for row in facts]
    return doc_facts, companies
