"""The question table: realistic questions with the answer each must get (pairs, kind, verdict).

Run on tests/question_fixture.py by tests/test_questions.py through the core, the console and
the Telegram handlers. ``TUNING`` is the half the reading thresholds were tuned on; ``HELD_OUT``
was only run once the thresholds were set, as the check that they generalise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import opencc

_S2T = opencc.OpenCC("s2t")


@dataclass(frozen=True)
class Expect:
    """What a question must get. ``what`` is the result type: pair, pairs, owner, help, latest,
    suggest, hint, kind, profile or search; ``pairs`` hold (a, b, verdict) with display names."""

    what: str
    pairs: tuple[tuple[str, str, str], ...] = ()
    kind: str | None = None
    owner: tuple[str, str | None, str] | None = None
    name: str = ""
    unknown: tuple[str, ...] = field(default=())
    clean: bool = False
    """True: no word of the question may be reported as an unknown name."""
    says: tuple[str, ...] = ()
    """Text the answer must contain ("iMessage" in "No record of iMessage", "淘包" read as 淘宝)."""
    never: tuple[str, ...] = ()
    """Text the answer's first line must not contain ("Yes" to "does WeChat block Taobao links")."""


def pair(a: str, b: str, verdict: str, kind: str | None = None, unknown: tuple[str, ...] = ()) -> Expect:
    return Expect("pair", ((a, b, verdict),), kind, unknown=unknown)


def pairs(*items: tuple[str, str, str], unknown: tuple[str, ...] = ()) -> Expect:
    return Expect("pairs", tuple(items), unknown=unknown)


def owner(child: str, parent: str | None, verdict: str) -> Expect:
    return Expect("owner", owner=(child, parent, verdict))


HELP = Expect("help")
LATEST = Expect("latest")
SUGGEST = Expect("suggest")


def hint(name: str) -> Expect:
    return Expect("hint", name=name)


def kind(name: str, k: str, unknown: tuple[str, ...] = ()) -> Expect:
    return Expect("kind", name=name, kind=k, unknown=unknown)


def profile(name: str, unknown: tuple[str, ...] = ()) -> Expect:
    return Expect("profile", name=name, unknown=unknown)


# (display a, display b): written names (English, Chinese), the verdict with no kind asked, and
# per kind. The verdicts follow the fixture's facts.
PAIRS: list[tuple[str, str, tuple[str, ...], tuple[str, ...], str, dict[str, str]]] = [
    ("JD.com", "Alipay", ("jd", "JD.com", "Jingdong"), ("alipay", "Alipay"), "partial",
     {"payments": "partial", "logistics": "no_record"}),
    ("JD.com", "Cainiao", ("jd", "JD"), ("cainiao", "Cainiao"), "live",
     {"logistics": "live", "payments": "no_record"}),
    ("Taobao", "JD Logistics", ("taobao",), ("jd logistics", "JD Logistics"), "live",
     {"logistics": "live"}),
    ("Tmall", "JD Logistics", ("tmall",), ("jd logistics",), "live", {"logistics": "live"}),
    ("Taobao", "WeChat Pay", ("taobao", "Taobao"), ("wechat pay", "WeChat Pay", "tenpay"), "live",
     {"payments": "live", "logistics": "no_record"}),
    ("Tmall", "WeChat Pay", ("tmall",), ("wechat pay",), "live", {"payments": "live"}),
    ("WeChat", "Taobao", ("wechat", "WeChat", "weixin"), ("taobao",), "live",
     {"shopping/links": "live", "payments": "live"}),  # payments through WeChat Pay, WeChat's product
    ("Ele.me", "WeChat Pay", ("ele.me", "eleme"), ("wechat pay",), "live", {"payments": "live"}),
    ("Meituan", "Alipay", ("meituan", "Meituan"), ("alipay",), "ended",
     {"payments": "ended", "shopping/links": "live"}),
    ("Douyin", "WeChat", ("douyin", "Douyin"), ("wechat",), "live",
     {"login": "ended", "shopping/links": "live"}),
    ("JD.com", "WeChat Pay", ("jd",), ("wechat pay",), "live", {"payments": "live"}),
    ("Pinduoduo", "Alipay", ("pinduoduo", "pdd"), ("alipay",), "live", {"payments": "live"}),
    ("iPhone", "Android", ("iphone", "iOS"), ("android", "Android"), "live",
     {"messaging": "live", "content": "partial"}),
    ("WhatsApp", "BirdyChat", ("whatsapp", "WhatsApp"), ("birdychat",), "partial",
     {"messaging": "partial"}),
    ("Instagram", "Facebook Messenger", ("instagram", "ig"), ("messenger", "facebook messenger"),
     "ended", {"messaging": "ended"}),
    ("Douyin", "Alipay", ("douyin",), ("alipay",), "live", {"payments": "live"}),
    ("AT&T", "iPhone", ("at&t", "AT&T"), ("iphone",), "live", {"messaging": "live"}),
    ("H&M", "Alipay", ("h&m", "H&M"), ("alipay",), "live", {"payments": "live"}),
    ("Procter & Gamble", "Tmall", ("procter & gamble", "Procter & Gamble"), ("tmall",), "live", {}),
    ("Xiaohongshu", "Taobao", ("xiaohongshu", "rednote"), ("taobao",), "partial",
     {"shopping/links": "partial"}),
    # honest negatives: nothing recorded either way
    ("WhatsApp", "Taobao", ("whatsapp",), ("taobao",), "no_record", {"payments": "no_record"}),
    ("JD.com", "Meituan", ("jd",), ("meituan",), "no_record", {"logistics": "no_record"}),
    ("Pinduoduo", "WeChat Pay", ("pinduoduo",), ("wechat pay",), "no_record", {"payments": "no_record"}),
    ("BirdyChat", "Alipay", ("birdychat",), ("alipay",), "no_record", {}),
    ("Instagram", "Taobao", ("instagram",), ("taobao",), "no_record", {}),
]

ZH = {"JD.com": "京东", "Alipay": "支付宝", "Cainiao": "菜鸟", "Taobao": "淘宝", "Tmall": "天猫",
      "JD Logistics": "京东物流", "WeChat Pay": "微信支付", "WeChat": "微信", "Ele.me": "饿了么",
      "Meituan": "美团", "Douyin": "抖音", "Pinduoduo": "拼多多", "Xiaohongshu": "小红书",
      "Android": "安卓", "Tencent": "腾讯", "Alibaba Group": "阿里巴巴", "Ant Group": "蚂蚁集团"}

EN_PLAIN = ("/check {a} {b}", "/check {a} x {b}", "/check {a} vs {b}", "/check {a} and {b}",
            "/check {a}, {b}", "/check {a} × {b}", "/check {a} with {b}", "/check {a} or {b}",
            "does {a} work with {b}?", "{a} {b}", "{a} and {b}?", "what about {a} and {b}",
            "/check {a} to {b}", "/check {a} on {b}", "/check {a} for {b}", "/check {a} via {b}")
EN_KIND = {
    "payments": ("does {a} accept {b}?", "can I pay with {b} on {a}?", "{a} checkout with {b}"),
    "logistics": ("does {a} ship with {b}?", "can {a} sellers deliver via {b}?"),
    "login": ("can I log in to {a} with {b}?", "sign in to {a} with {b}"),
    "messaging": ("can {a} message {b}?", "can {a} users chat with {b} users?"),
    "shopping/links": ("can {a} link to {b}?", "do {b} links open in {a}?"),
    "content": ("can {a} share files with {b}?",),
}
ZH_PLAIN = ("/check {a} {b}", "/check {a}和{b}", "{a}能用{b}吗", "{a}和{b}互通吗", "/check {a}与{b}",
            "/check {a}、{b}", "{a}跟{b}", "/check {a}对{b}", "/check {a}跟{b}")
ZH_KIND = {"payments": ("{a}支持{b}付款吗", "在{a}可以用{b}支付吗"),
           "logistics": ("{a}能用{b}发货吗", "{a}的快递能走{b}吗"),
           "login": ("能用{b}登录{a}吗",),
           "shopping/links": ("{b}的链接能在{a}打开吗",)}


def _pair_cases() -> list[tuple[str, Expect]]:
    cases: list[tuple[str, Expect]] = []
    for n, (a, b, a_names, b_names, best, kinds) in enumerate(PAIRS):
        an, bn = a_names[n % len(a_names)], b_names[n % len(b_names)]
        for i, template in enumerate(EN_PLAIN):
            if (i + n) % 3 == 0 or i < 2:  # a spread of phrasings per pair, not all of them
                x, y = (an, bn) if i % 2 == 0 else (a_names[0], b_names[-1])
                cases.append((template.format(a=x, b=y), pair(a, b, best)))
        for k, verdict in kinds.items():
            for template in EN_KIND.get(k, ())[:2]:
                cases.append((template.format(a=an, b=bn), pair(a, b, verdict, k)))
        if a in ZH and b in ZH:
            za, zb = ZH[a], ZH[b]
            for i, template in enumerate(ZH_PLAIN):
                if (i + n) % 2 == 0 or i == 0:
                    q = template.format(a=za, b=zb)
                    cases.append((q, pair(a, b, best)))
                    if i % 3 == 0:
                        cases.append((_S2T.convert(q), pair(a, b, best)))  # Traditional script
            for k, verdict in kinds.items():
                for template in ZH_KIND.get(k, ()):
                    q = template.format(a=za, b=zb)
                    cases.append((q, pair(a, b, verdict, k)))
                    cases.append((_S2T.convert(q), pair(a, b, verdict, k)))
    return cases


SPECIAL: list[tuple[str, Expect]] = [
    # everyday questions in both languages, with a kind (payments, login, …)
    ("美团能用支付宝吗", pair("Meituan", "Alipay", "ended", "payments")),
    ("can I log in to Douyin with WeChat", pair("Douyin", "WeChat", "ended", "login")),
    ("/check cainiao jd", pair("Cainiao", "JD.com", "live")),
    ("can iphone airdrop to android", pair("iPhone", "Android", "partial", "content")),
    ("Can I use Alipay or WeChat Pay on JD?", pairs(("Alipay", "JD.com", "partial"),
                                                    ("WeChat Pay", "JD.com", "live"))),
    ("饿了么能用微信付款吗", pair("Ele.me", "WeChat", "live", "payments")),
    ("pay with WeChat on Ele.me", pair("WeChat", "Ele.me", "live", "payments")),
    ("does amazon accept alipay", kind("Alipay", "payments", unknown=("amazon",))),
    ("/check 京東 支付寶", pair("JD.com", "Alipay", "partial")),
    ("/check 京东和支付宝", pair("JD.com", "Alipay", "partial")),
    ("/check jd x alipay", pair("JD.com", "Alipay", "partial")),
    ("hi", HELP), ("thanks", HELP), ("help", HELP), ("hello!", HELP), ("thank you", HELP),
    ("what can you do", HELP), ("你好", HELP), ("谢谢", HELP), ("hey there", HELP),
    ("Thanks a lot!", HELP), ("谢谢你", HELP), ("您好", HELP), ("who are you?", HELP),
    ("is ant group part of alibaba", owner("Ant Group", "Alibaba Group", "affiliate")),
    ("what's new", LATEST), ("latest", LATEST), ("最新", LATEST), ("any news?", LATEST),
    ("what's new?", LATEST), ("最新消息", LATEST), ("recent updates", LATEST),
    # ownership from the tree
    ("who owns Taobao", owner("Taobao", None, "chain")),
    ("who owns wechat pay?", owner("WeChat Pay", None, "chain")),
    ("does Meta own WhatsApp", owner("WhatsApp", "Meta Platforms", "yes")),
    ("支付宝是阿里巴巴的吗", owner("Alipay", "Alibaba Group", "affiliate")),
    ("is alipay owned by alibaba?", owner("Alipay", "Alibaba Group", "affiliate")),
    ("is wechat pay part of tencent", owner("WeChat Pay", "Tencent", "yes")),
    ("does tencent own wechat", owner("WeChat", "Tencent", "yes")),
    ("is taobao part of tencent", owner("Taobao", "Tencent", "no")),
    ("微信支付属于腾讯吗", owner("WeChat Pay", "Tencent", "yes")),
    ("淘宝是阿里巴巴的吗", owner("Taobao", "Alibaba Group", "yes")),
    ("淘寶是阿里巴巴的嗎", owner("Taobao", "Alibaba Group", "yes")),
    ("who owns instagram", owner("Instagram", None, "chain")),
    ("is jd logistics owned by jd", owner("JD Logistics", "JD.com", "yes")),
    ("does alibaba own cainiao?", owner("Cainiao", "Alibaba Group", "yes")),
    ("who is the parent of android", owner("Android", None, "chain")),
    ("is meituan part of alibaba", owner("Meituan", "Alibaba Group", "no")),
    ("抖音属于字节跳动吗", owner("Douyin", "ByteDance", "yes")),
    ("who owns meituan", owner("Meituan", None, "chain")),
    # three or more names
    ("淘宝和天猫能用微信支付吗", pairs(("Taobao", "WeChat Pay", "live"), ("Tmall", "WeChat Pay", "live"))),
    ("淘寶和天貓能用微信支付嗎", pairs(("Taobao", "WeChat Pay", "live"), ("Tmall", "WeChat Pay", "live"))),
    ("do taobao and tmall accept wechat pay?", pairs(("Taobao", "WeChat Pay", "live"),
                                                     ("Tmall", "WeChat Pay", "live"))),
    ("does JD accept Alipay or WeChat Pay", pairs(("JD.com", "Alipay", "partial"),
                                                  ("JD.com", "WeChat Pay", "live"))),
    ("京东能用支付宝或者微信支付吗", pairs(("JD.com", "Alipay", "partial"),
                                      ("JD.com", "WeChat Pay", "live"))),
    ("/check taobao tmall jd logistics", pairs(("Taobao", "Tmall", "no_record"),
                                               ("Taobao", "JD Logistics", "live"),
                                               ("Tmall", "JD Logistics", "live"))),
    ("do taobao and tmall ship with jd logistics", pairs(("Taobao", "JD Logistics", "live"),
                                                         ("Tmall", "JD Logistics", "live"))),
    ("can I pay with alipay on jd, meituan or douyin?", pairs(("Alipay", "JD.com", "partial"),
                                                              ("Alipay", "Meituan", "ended"),
                                                              ("Alipay", "Douyin", "live"))),
    ("淘宝、天猫和京东能用微信支付吗", pairs(("Taobao", "WeChat Pay", "live"),
                                      ("Tmall", "WeChat Pay", "live"),
                                      ("JD.com", "WeChat Pay", "live"))),
    # unknown names are reported, the rest still answered
    ("does amazon work with alipay?", profile("Alipay", unknown=("amazon",))),
    ("/check jd amazon", hint("JD.com")),
    ("does paypal work with jd and alipay", pair("JD.com", "Alipay", "partial", unknown=("paypal",))),
    ("can I use stripe on taobao?", profile("Taobao", unknown=("stripe",))),
    ("亚马逊能用支付宝吗", profile("Alipay", unknown=("亚马逊",))),  # no kind word: 支付宝 is the name
    ("亚马逊能用支付宝付款吗", kind("Alipay", "payments", unknown=("亚马逊",))),
    ("does netflix accept wechat pay", kind("WeChat Pay", "payments", unknown=("netflix",))),
    # a kind word with one company
    ("does rcs work on iPhone?", kind("iPhone", "messaging")),
    ("alipay payments", kind("Alipay", "payments")),
    ("菜鸟物流", kind("Cainiao", "logistics")),
    ("jd logistics", profile("JD Logistics")),
    # exactly one company's name, whose words also name two others ("Facebook" is Meta's)
    ("facebook messenger", profile("Facebook Messenger")),
    ("Facebook Messenger", profile("Facebook Messenger")),
    ("京东物流", profile("JD Logistics")),
    ("taobao", profile("Taobao")),
    ("淘寶", profile("Taobao")),
    ("騰訊", profile("Tencent")),
    ("/company 支付寶", profile("Alipay")),
    ("/company 京東", profile("JD.com")),
    ("/company weixin zhifu", profile("WeChat Pay")),
    ("/company zhifubao", profile("Alipay")),
    # pinyin
    ("/check weixin zhifu taobao", pair("WeChat Pay", "Taobao", "live")),
    ("/check jingdong wuliu taobao", pair("JD Logistics", "Taobao", "live")),
    ("jingdong zhifubao", pair("JD.com", "Alipay", "partial")),
    ("meituan zhifubao", pair("Meituan", "Alipay", "ended")),
    ("/check tianmao weixin zhifu", pair("Tmall", "WeChat Pay", "live")),
    ("/check cainiao jingdong", pair("Cainiao", "JD.com", "live")),
    ("doudou weixin", profile("WeChat", unknown=("doudou",))),
    ("/check e le me weixin zhifu", pair("Ele.me", "WeChat Pay", "live")),
    # possessives and names holding a separator
    ("/check jd's alipay", pair("JD.com", "Alipay", "partial")),
    ("does JD's checkout take Alipay's wallet?", pair("JD.com", "Alipay", "partial", "payments")),
    ("/check at&t", hint("AT&T")),
    ("/check h&m", hint("H&M")),
    ("/check procter & gamble", hint("Procter & Gamble")),
    ("/check Ant Group / Alipay HK", hint("Ant Group / Alipay HK")),
    ("/check Ant Group / Alipay HK, wechat pay", pair("Ant Group / Alipay HK", "WeChat Pay", "announced")),
    ("/check wechat pay", hint("WeChat Pay")),
    ("/check jd logistics", hint("JD Logistics")),
    ("/check 微信支付", hint("WeChat Pay")),
    ("/check at&t iphone", pair("AT&T", "iPhone", "live")),
    # weak matches are suggestions, never answers
    ("metal", SUGGEST), ("bridge", Expect("search")), ("thread", Expect("search")),
    ("/check ali tao", SUGGEST), ("tao", SUGGEST), ("/company wechta", profile("WeChat")),
    ("/check jd alipya", pair("JD.com", "Alipay", "partial")),
    ("does jd acept alipy?", pair("JD.com", "Alipay", "partial", "payments")),
]


def _split(cases: list[tuple[str, Expect]]) -> tuple[list[tuple[str, Expect]], list[tuple[str, Expect]]]:
    seen: set[str] = set()
    unique = [c for c in cases if not (c[0] in seen or seen.add(c[0]))]  # type: ignore[func-returns-value]
    return unique[0::2], unique[1::2]


TUNING, HELD_OUT = _split(SPECIAL + _pair_cases())


def _clean(expect: Expect) -> Expect:
    return replace(expect, clean=True)


# Found by trying the bot as a new user (docs/trials/console-116.md). The readings were fixed on
# TRIAL_TUNING, so it joins the tuning half; TRIAL_HELD_OUT was written after the fixes and run once.
TRIAL_TUNING: list[tuple[str, Expect]] = [
    ("cool thanks", HELP), ("how are you", HELP), ("lol", HELP), ("?", HELP), ("thanks lol", HELP),
    ("你好呀", HELP), ("在吗", HELP), ("谢谢啦", HELP), ("你好吗", HELP),
    ("安卓和iPhone能互传文件吗", _clean(pair("Android", "iPhone", "partial", "content"))),
    ("香港能用支付宝吗", _clean(profile("Alipay"))),
    ("在中国能用微信支付吗", _clean(profile("WeChat Pay"))),
    # a named feature answers from its own thread: no Find My network record for Android
    ("does Find My work with Android?", _clean(pair("iPhone", "Android", "no_record", "other"))),
    ("can I find my android phone", profile("Android")),  # lower-case "find my" is just words
    ('jd & alipay <a href="x">link</a>', _clean(pair("JD.com", "Alipay", "no_record", "shopping/links"))),
    ("<taobao> wechat pay", pair("Taobao", "WeChat Pay", "live")),  # not a tag: the name stays
    ("jd\u200balipay", pair("JD.com", "Alipay", "partial")),
    ("淘宝和京东物流合作吗", _clean(pair("Taobao", "JD Logistics", "live"))),  # 合作 is no name
    ("京東支援支付寶嗎", _clean(pair("JD.com", "Alipay", "partial"))),  # Taiwan's "support"
]
TRIAL_HELD_OUT: list[tuple[str, Expect]] = [
    ("!!!", HELP), ("haha thanks", HELP), ("嗯，谢谢", HELP), ("哈喽，在吗？", HELP),
    ("澳门能用微信支付吗", _clean(profile("WeChat Pay"))),
    ("日本能用支付宝付款吗", _clean(kind("Alipay", "payments"))),
    ("iPhone能和安卓传文件吗", _clean(pair("iPhone", "Android", "partial", "content"))),
    ("<p>does tmall accept wechat pay?</p>", _clean(pair("Tmall", "WeChat Pay", "live", "payments"))),
    ('<span class="x">jd</span> alipay', _clean(pair("JD.com", "Alipay", "partial"))),
    ("taobao\u200bwechat pay\u200b", pair("Taobao", "WeChat Pay", "live")),
    ("海外的淘宝能用微信支付吗", _clean(pair("Taobao", "WeChat Pay", "live"))),  # kind: the trial
]
TUNING += TRIAL_TUNING
HELD_OUT += TRIAL_HELD_OUT


# Reading: a named feature, negation, kind words over a wallet's default, ownership in
# every shape, places, login words in every script, inline's unknown names, ordinary words,
# unknown names, Chinese typos and tone marks. Written in pairs: the first of each pair tunes,
# the second is held out.
_AGREE = ("✅ Yes", "⛔ No longer", "✅ 可以", "⛔ 已不再")


def _says(expect: Expect, *text: str) -> Expect:
    return replace(expect, says=text)


def _state(a: str, b: str, verdict: str, k: str) -> Expect:
    """A negated question: the pair's state, never a yes or no."""
    return replace(pair(a, b, verdict, k), never=_AGREE)


def unknown(*names: str) -> Expect:
    """Only names the bot does not know: each one said, nothing searched."""
    return Expect("unknown", unknown=names)


_NO_IMESSAGE = _says(pair("iPhone", "Android", "no_record", "messaging"), "iMessage")
_MINI = pair("Alipay", "Meituan", "live", "shopping/links")
_DY_LOGIN = pair("Douyin", "WeChat", "ended", "login")
READING3: list[tuple[str, Expect]] = [
    # a named feature: its own thread, or no record of it
    ("does imessage work on android", _NO_IMESSAGE), ("can android users use imessage", _NO_IMESSAGE),
    ("安卓能用iMessage吗", _NO_IMESSAGE), ("iMessage能在安卓上用嗎", _NO_IMESSAGE),
    ("imessage anzhuo", _NO_IMESSAGE), ("anzhuo imessage", _NO_IMESSAGE),
    ("is rcs encrypted between iphone and android", pair("iPhone", "Android", "partial", "messaging")),
    ("is end-to-end encryption on for rcs between iphone and android",
     pair("iPhone", "Android", "partial", "messaging")),
    ("iPhone和安卓之间的RCS加密吗", pair("iPhone", "Android", "partial", "messaging")),
    ("iPhone和安卓之間的RCS有加密嗎", pair("iPhone", "Android", "partial", "messaging")),
    ("does imessage work with beeper mini", pair("iPhone", "Beeper Mini", "ended", "messaging")),
    ("beeper mini imessage", pair("iPhone", "Beeper Mini", "ended", "messaging")),
    ("does rcs work between iphone and android", pair("iPhone", "Android", "live", "messaging")),
    ("does airdrop work with android", pair("iPhone", "Android", "partial", "content")),
    # negated or reversed: the state itself
    ("does wechat block taobao links", _state("WeChat", "Taobao", "live", "shopping/links")),
    ("is wechat blocking taobao links", _state("WeChat", "Taobao", "live", "shopping/links")),
    ("does douyin block taobao links", _state("Douyin", "Taobao", "ended", "shopping/links")),
    ("did douyin ban taobao links", _state("Douyin", "Taobao", "ended", "shopping/links")),
    ("did meituan stop accepting alipay", _state("Meituan", "Alipay", "ended", "payments")),
    ("does meituan no longer take alipay", _state("Meituan", "Alipay", "ended", "payments")),
    ("微信屏蔽淘宝链接吗", _state("WeChat", "Taobao", "live", "shopping/links")),
    ("微信封鎖淘寶連結嗎", _state("WeChat", "Taobao", "live", "shopping/links")),
    ("美团不能用支付宝吗", _state("Meituan", "Alipay", "ended", "payments")),
    ("美團不能用支付寶嗎", _state("Meituan", "Alipay", "ended", "payments")),
    ("抖音封杀淘宝链接了吗", _state("Douyin", "Taobao", "ended", "shopping/links")),
    ("抖音封殺淘寶連結了嗎", _state("Douyin", "Taobao", "ended", "shopping/links")),
    ("weixin pingbi taobao lianjie", _state("WeChat", "Taobao", "live", "shopping/links")),
    ("does kuaishou still block taobao links", _state("Kuaishou", "Taobao", "live", "shopping/links")),
    # a kind word beats the wallet-means-payments default
    ("alipay meituan mini program", _MINI), ("meituan mini program in alipay", _MINI),
    ("支付宝里能用美团吗", _MINI), ("支付寶裡能用美團嗎", _MINI),
    ("支付宝美团小程序", _MINI), ("支付寶美團小程式", _MINI),
    ("zhifubao meituan xiaochengxu", _MINI), ("can i open meituan inside alipay", _MINI),
    ("can i pay meituan with alipay", pair("Meituan", "Alipay", "ended", "payments")),
    ("美团能用支付宝付款吗", pair("Meituan", "Alipay", "ended", "payments")),
    # ownership in every shape, from the tree
    ("is youku alibaba", owner("Youku", "Alibaba Group", "yes")),
    ("is youku an alibaba company", owner("Youku", "Alibaba Group", "yes")),
    ("优酷是阿里的吗", owner("Youku", "Alibaba Group", "yes")),
    ("優酷是阿里巴巴的嗎", owner("Youku", "Alibaba Group", "yes")),
    ("youku shi alibaba de ma", owner("Youku", "Alibaba Group", "yes")),
    ("is taobao related to tmall", owner("Taobao", "Alibaba Group", "related")),
    ("are taobao and tmall the same company", owner("Taobao", "Alibaba Group", "related")),
    ("淘宝和天猫是一家公司吗", owner("Taobao", "Alibaba Group", "related")),
    ("淘寶和天貓是同一家公司嗎", owner("Taobao", "Alibaba Group", "related")),
    ("taobao he tianmao shi yijia gongsi ma", owner("Taobao", "Alibaba Group", "related")),
    ("is whatsapp related to instagram", owner("WhatsApp", "Meta Platforms", "related")),
    ("are instagram and whatsapp the same company", owner("Instagram", "Meta Platforms", "related")),
    ("does tencent own jd", owner("JD.com", "Tencent", "no")),
    ("腾讯拥有京东吗", owner("JD.com", "Tencent", "no")),
    ("is meituan related to tencent", owner("Meituan", "Tencent", "no")),
    ("does alibaba own youku", owner("Youku", "Alibaba Group", "yes")),
    # places are regions, and can pick the pair
    ("upi in sri lanka", _clean(pair("LankaPay", "UPI", "live"))),
    ("can i use upi in sri lanka", _clean(pair("LankaPay", "UPI", "live"))),
    ("upi in mauritius", _clean(pair("MauCAS", "UPI", "live"))),
    ("upi in singapore", _clean(pair("PayNow", "UPI", "live"))),
    ("斯里兰卡能用UPI吗", _clean(pair("LankaPay", "UPI", "live"))),
    ("斯里蘭卡能用UPI嗎", _clean(pair("LankaPay", "UPI", "live"))),
    ("毛里求斯能用UPI吗", _clean(pair("MauCAS", "UPI", "live"))),
    ("upi xinjiapo", _clean(pair("PayNow", "UPI", "live"))),
    ("alipay in china", _clean(profile("Alipay"))), ("wechat pay in china", _clean(profile("WeChat Pay"))),
    # login words in every script
    ("抖音能用微信登入嗎", _DY_LOGIN), ("能用微信帳號登入抖音嗎", _DY_LOGIN),
    ("抖音可以用微信帐号吗", _DY_LOGIN), ("抖音微信登入", _DY_LOGIN),
    ("douyin weixin denglu", _DY_LOGIN), ("douyin denglu weixin", _DY_LOGIN),
    ("log into douyin using wechat", _DY_LOGIN), ("douyin wechat account", _DY_LOGIN),
    # unknown names are said, inline's first result too
    ("amazon alipay", profile("Alipay", unknown=("amazon",))),
    ("shopee alipay", profile("Alipay", unknown=("shopee",))),
    ("亚马逊 支付宝", profile("Alipay", unknown=("亚马逊",))),
    ("亞馬遜 支付寶", profile("Alipay", unknown=("亞馬遜",))),
    ("xiapi zhifubao", profile("Alipay", unknown=("xiapi",))),
    ("netflix wechat pay", profile("WeChat Pay", unknown=("netflix",))),
    ("can I pay with grabpay on shopee", unknown("grabpay", "shopee")),
    ("does shopee accept grabpay", unknown("shopee", "grabpay")),
    ("does line work with whatsapp", profile("WhatsApp", unknown=("line",))),
    ("does signal work with whatsapp", profile("WhatsApp", unknown=("signal",))),
    ("虾皮能用GrabPay吗", unknown("虾皮", "grabpay")),
    ("蝦皮能用GrabPay嗎", unknown("蝦皮", "grabpay")),
    # ordinary and topic words are no names
    ("how do i change the default browser on iphone",
     _clean(pair("iPhone", "Third-party web browsers", "partial", "other"))),
    ("iphone notifications and app store", _clean(pair("iPhone", "Apple App Store", "no_record"))),
    ("DMA iphone", _clean(profile("iPhone"))), ("install apps on android", _clean(profile("Android"))),
    ("微信和淘宝有什么变化", _clean(pair("WeChat", "Taobao", "live"))),
    ("微信和淘寶有什麼變化", _clean(pair("WeChat", "Taobao", "live"))),
    ("淘宝能买东西吗", _clean(profile("Taobao"))),
    ("weixin taobao bianhua", _clean(pair("WeChat", "Taobao", "live"))),
    # Chinese typos are read and said; tone marks folded
    ("淘包能用微信支付吗", _says(pair("Taobao", "WeChat Pay", "live"), "淘包")),
    ("支付包能在京东用吗", _says(pair("JD.com", "Alipay", "partial"), "支付包")),
    ("微信支附能在淘宝用吗", _says(pair("Taobao", "WeChat Pay", "live"), "微信支附")),
    ("淘寶能用微信支附嗎", _says(pair("Taobao", "WeChat Pay", "live"), "微信支附")),
    ("jīngdōng zhīfùbǎo", pair("JD.com", "Alipay", "partial")),
    ("měituán zhīfùbǎo", pair("Meituan", "Alipay", "ended")),
    ("táobǎo wēixìn zhīfù", pair("Taobao", "WeChat Pay", "live")),
    ("Jīngdōng wùliú táobǎo", pair("JD Logistics", "Taobao", "live")),
]
TUNING += READING3[0::2]
HELD_OUT += READING3[1::2]


# Found by a second new-user trial: ordinary words and pinyin glue are no names, small talk in
# pinyin gets help, "did X drop Y"/"still" ask for the state, "made by"/"yongyou" ask for the
# owner, and 的 before a feature is no ownership question. Pairs: the first tunes, the second is
# held out.
_RCS_E2EE = pair("iPhone", "Android", "partial", "messaging")


def _topic(topic: str) -> Expect:
    return pair("iPhone", topic, "partial", "other")


READING4: list[tuple[str, Expect]] = [
    ("can jd merchants use cainiao", _clean(pair("JD.com", "Cainiao", "live"))),
    ("京东商家可以用菜鸟吗", _clean(pair("JD.com", "Cainiao", "live"))),
    ("can taobao sellers ship with jd logistics",
     _clean(pair("Taobao", "JD Logistics", "live", "logistics"))),
    ("淘宝商家能用京东物流发货吗", _clean(pair("Taobao", "JD Logistics", "live", "logistics"))),
    ("taobao neng yong weixin zhifu ma", _clean(pair("Taobao", "WeChat Pay", "live"))),
    ("jingdong zhichi zhifubao ma", _clean(pair("JD.com", "Alipay", "partial"))),
    ("微信是哪家公司的", _clean(owner("WeChat", None, "chain"))),
    ("淘宝是哪家公司的", _clean(owner("Taobao", None, "chain"))),
    ("ni hao", HELP), ("xiexie", HELP), ("good bot", HELP), ("xie xie", HELP),
    ("京东退款能用支付宝吗", _clean(pair("JD.com", "Alipay", "partial"))),
    ("京东会员能用支付宝吗", _clean(pair("JD.com", "Alipay", "partial"))),
    ("does jd accept alipay for refunds", _clean(pair("JD.com", "Alipay", "partial", "payments"))),
    ("does jd accept alipay with cashback", _clean(pair("JD.com", "Alipay", "partial", "payments"))),
    ("did meituan drop alipay", _state("Meituan", "Alipay", "ended", "payments")),
    ("does kuaishou still have taobao links", _state("Kuaishou", "Taobao", "live", "shopping/links")),
    ("is android made by google", owner("Android", "Google", "yes")),
    ("is youku a product of alibaba", owner("Youku", "Alibaba Group", "yes")),
    ("tengxun yongyou jingdong ma", owner("JD.com", "Tencent", "no")),
    ("alibaba yongyou youku ma", owner("Youku", "Alibaba Group", "yes")),
    ("iPhone和安卓的RCS是端到端加密的吗", _RCS_E2EE), ("iPhone和安卓的RCS是加密的吗", _RCS_E2EE),
    ("taobao tianmao shi tong yi jia gongsi ma", owner("Taobao", "Alibaba Group", "related")),
    ("youku taobao shi tongyi jia gongsi ma", owner("Youku", "Alibaba Group", "related")),
    # "app store" in lower case is the App Store, not two ordinary words
    ("app store wechat pay", _clean(pair("Apple App Store", "WeChat Pay", "live"))),
    ("can I pay in the app store with wechat pay", _clean(pair("Apple App Store", "WeChat Pay", "live"))),
    ("does apple own the app store", owner("Apple App Store", "Apple", "yes")),
    ("is the app store owned by apple", owner("Apple App Store", "Apple", "yes")),
    # "X+" is the company named "X Plus", never X itself
    ("does alipay+ work with paynow", _clean(pair("PayNow", "Alipay Plus", "live"))),
    ("alipay+ paynow", _clean(pair("PayNow", "Alipay Plus", "live"))),
    # a place where only a sister holds a fact: the sister's pair, not a fact held elsewhere
    ("alipay in singapore", _clean(pair("Alipay Plus", "PayNow", "live"))),
    ("支付宝能在新加坡用吗", _clean(pair("Alipay Plus", "PayNow", "live"))),
    # more places are places, never unknown names
    ("微信支付能在柬埔寨用吗", _clean(profile("WeChat Pay"))),
    ("alipay in turkey", _clean(profile("Alipay"))),
    # a topic the data keeps as a party: the other side of a one-company question
    ("does iphone show a browser choice screen", _clean(_topic("Third-party web browsers"))),
    ("iPhone有浏览器选择界面吗", _clean(_topic("Third-party web browsers"))),
    ("can I change the default navigation app on iphone", _clean(_topic("Third-party navigation apps"))),
    ("iPhone能改默认导航应用吗", _clean(_topic("Third-party navigation apps"))),
]
TUNING += READING4[0::2]
HELD_OUT += READING4[1::2]


# Found by a third new-user trial (the rest of its classes need the seed's facts: see
# tests/test_reading_seed.py). The owner is the top of the owning links, a pair with no record
# in one group says so, far-fetched suggestions are none, and ordinary words are no names.
# Pairs: the first tunes, the second is held out.
_NO_FAR = ("Did you mean", "你是不是指")
_ALIPAY_OWNER = _says(owner("Alipay", None, "chain"), "Ant Group")
READING5: list[tuple[str, Expect]] = [
    ("who owns alipay", _ALIPAY_OWNER), ("who is alipay's parent company", _ALIPAY_OWNER),
    ("支付宝是谁的", _ALIPAY_OWNER),
    ("支付寶是誰的", _ALIPAY_OWNER),
    ("taobao alipay", _says(pair("Taobao", "Alipay", "no_record"), "Alibaba")),
    ("淘宝和支付宝", _says(pair("Taobao", "Alipay", "no_record"), "Alibaba")),
    ("淘寶和支付寶", _says(pair("Taobao", "Alipay", "no_record"), "Alibaba")),
    ("zhifubao taobao", _says(pair("Alipay", "Taobao", "no_record"), "Alibaba")),
    ("/company aliexpress", replace(unknown("aliexpress"), never=_NO_FAR)),
    ("/company shein", replace(unknown("shein"), never=_NO_FAR)),
    ("/company 希音", replace(unknown("希音"), never=_NO_FAR)),
    ("/company lazada", replace(unknown("lazada"), never=_NO_FAR)),
    ("are jd merchants taking alipay", _clean(pair("JD.com", "Alipay", "partial"))),
    ("is taobao taking wechat pay", _clean(pair("Taobao", "WeChat Pay", "live"))),
    ("淘宝商家加入京东物流了吗", _clean(pair("Taobao", "JD Logistics", "live"))),
    ("淘寶商家加入京東物流了嗎", _clean(pair("Taobao", "JD Logistics", "live"))),
    ("京东和支付宝的文章", _clean(pair("JD.com", "Alipay", "partial"))),
    ("京東和支付寶的文章", _clean(pair("JD.com", "Alipay", "partial"))),
]
TUNING += READING5[0::2]
HELD_OUT += READING5[1::2]


# Found by a fourth new-user trial: a word that names a feature (e2ee, mini program, 小程序)
# answers from that feature's thread or says there is none; reversal verbs (kill, scrap, 砍掉)
# get the state; "boss"/老板 asks who owns whom; ordinary words (stuff, vip, items, ads) are no
# names. Pairs: the first tunes, the second is held out.
_E2EE = pair("iPhone", "Android", "partial", "messaging")
_NO_MINI = replace(_says(pair("WeChat", "Taobao", "no_record", "shopping/links")), never=_AGREE)
READING6: list[tuple[str, Expect]] = [
    ("is e2ee on for rcs between iphone and android", _E2EE),
    ("end to end encrypted rcs iphone android", _E2EE),
    ("iPhone和安卓的RCS是端到端的吗", _E2EE), ("iphone anzhuo rcs jiami", _E2EE),
    ("does wechat have a taobao mini program", replace(_NO_MINI, says=("mini program",))),
    ("can I open a taobao mini-program inside wechat", replace(_NO_MINI, says=("mini-program",))),
    ("微信里有淘宝的小程序吗", replace(_NO_MINI, says=("小程序",))),
    ("微信裡有淘寶的小程式嗎", replace(_NO_MINI, says=("小程式",))),
    ("did meituan scrap alipay", _state("Meituan", "Alipay", "ended", "payments")),
    ("has meituan axed alipay payments", _state("Meituan", "Alipay", "ended", "payments")),
    ("美团砍掉支付宝付款了吗", _state("Meituan", "Alipay", "ended", "payments")),
    ("美團取消支付寶付款了嗎", _state("Meituan", "Alipay", "ended", "payments")),
    ("is tencent the boss of jd", owner("JD.com", "Tencent", "no")),
    ("is alibaba youku's boss", owner("Youku", "Alibaba Group", "yes")),
    ("阿里巴巴是优酷的老板吗", owner("Youku", "Alibaba Group", "yes")),
    ("騰訊是京東的老闆嗎", owner("JD.com", "Tencent", "no")),
    ("alibaba shi youku de laoban ma", owner("Youku", "Alibaba Group", "yes")),
    ("tengxun shi jingdong de laoban ma", owner("JD.com", "Tencent", "no")),
    ("can I buy stuff on tmall with wechat pay", _clean(pair("Tmall", "WeChat Pay", "live", "payments"))),
    ("does youku vip take wechat pay", _clean(pair("Youku", "WeChat Pay", "no_record"))),
    ("can jd ship large items with cainiao", _clean(pair("JD.com", "Cainiao", "announced", "logistics"))),
    ("wechat taobao ads", _clean(pair("WeChat", "Taobao", "live"))),
    ("who runs alipay", _clean(owner("Alipay", None, "chain"))),
    ("who runs wechat", _clean(owner("WeChat", None, "chain"))),
    ("can taobao links be shared in wechat group chats",
     replace(_says(pair("WeChat", "Taobao", "no_record"), "group chats"), never=_AGREE)),
    ("does wechat still block taobao links", _state("WeChat", "Taobao", "live", "shopping/links")),
]
TUNING += READING6[0::2]
HELD_OUT += READING6[1::2]


# A name read from a misspelling is said with the answer, in every script; the same name written
# another way (case, spacing, Traditional characters, tone marks) is no misspelling.
_READ_AS = ("I read",)
READING7: list[tuple[str, Expect]] = [
    ("alipya jd", _says(pair("JD.com", "Alipay", "partial"), "I read “alipya” as Alipay")),
    ("does tmall take wechat pya", _says(pair("Tmall", "WeChat Pay", "live"), "“wechat pya”")),
    ("jd alipay", replace(_clean(pair("JD.com", "Alipay", "partial")), never=_READ_AS)),
    ("tabao wechat pay", _says(pair("Taobao", "WeChat Pay", "live"), "I read “tabao” as Taobao")),
    ("淘寶 微信支付", replace(_clean(pair("Taobao", "WeChat Pay", "live")), never=_READ_AS)),
    ("Wechat-Pay TAOBAO", replace(_clean(pair("Taobao", "WeChat Pay", "live")), never=_READ_AS)),
]
TUNING += READING7[0::2]
HELD_OUT += READING7[1::2]

# "No record of …" names the feature as a noun, whatever form the question used.
_NO_E2EE = replace(pair("WhatsApp", "BirdyChat", "no_record"), never=("✅ Yes", "🟡 Partly"))
READING8: list[tuple[str, Expect]] = [
    ("is whatsapp encrypted with birdychat", _says(_NO_E2EE, "No record of encryption between")),
    ("whatsapp birdychat end to end", _says(_NO_E2EE, "No record of end-to-end encryption between")),
]
TUNING += READING8[0::2]
HELD_OUT += READING8[1::2]
