"""What each thread scope is called in a question: its own words and their synonyms, in English,
Chinese (Simplified; Traditional folds to it) and pinyin.

A thread's scope ("bulky items") is written one way in the data, but people ask about "big
furniture", "大件家电" or "jiadian". One table says, for every scope the data uses, which words
name it; ``scopes_named`` finds the scopes a question names, so the answer is that scope's thread
and the words are never reported as unknown names. A test walks every scope of the seed.
"""

from __future__ import annotations

import re
from functools import cache

from bot.names.keys import fold
from bot.names.script import has_han, pinyin

SCOPE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "airplay": ("airplay", "screen mirroring", "mirror", "mirroring", "投屏", "隔空播放", "镜像"),
    "apple pay": ("apple pay", "applepay", "苹果支付"),
    "apple pay on desktop": ("desktop", "mac", "macbook", "pc", "pcs", "computer", "laptop", "桌面",
                             "电脑", "笔记本", "diannao"),
    "apple pay on iphone": ("on iphone", "on an iphone", "on my iphone", "on ipad", "in iphone",
                            "手机上", "iphone上", "苹果手机上"),
    "dma connectivity features": ("connectivity", "interoperability features", "互联功能", "互操作"),
    "discover shopping entry": ("discover", "发现页", "发现"),
    "find my device network": ("find my device", "查找设备"),
    "find my network": ("find my", "查找网络", "查找"),
    "google cast": ("google cast", "chromecast", "cast", "casting", "投屏", "投射"),
    "hce tap-to-pay": ("hce", "tap to pay", "tap-to-pay", "contactless", "nfc", "碰一碰", "非接触",
                       "感应支付"),
    "home screen web apps": ("web app", "web apps", "pwa", "pwas", "home screen", "主屏幕", "网页应用"),
    "qr codes": ("qr", "qr code", "qr codes", "scan", "scanning", "二维码", "扫码", "互扫", "erweima"),
    "rcs messaging": ("rcs", "texting", "text messages", "sms", "短信", "富媒体"),
    "secure element api": ("secure element", "nfc chip", "nfc", "安全元件", "安全芯片"),
    "wi-fi aware": ("wi-fi aware", "wifi aware", "wi fi aware", "wifi直连", "wi-fi直连",
                    "近场直连"),
    "windows search": ("windows search", "search box", "start menu search", "搜索框", "windows搜索"),
    "ads": ("ads", "ad", "adverts", "advertising", "advertisements", "广告", "guanggao"),
    "browser choice screen": ("browser choice", "choice screen", "choose a browser", "浏览器选择",
                              "选择屏幕", "选择界面"),
    "bulky items": ("bulky", "big items", "large items", "heavy items", "big item", "large item",
                    "heavy item", "big furniture", "furniture", "appliance", "appliances",
                    "white goods", "大件", "大型", "家电", "家具", "大家电", "dajian", "jiadian", "jiaju"),
    "charging port": ("charging", "charger", "charging port", "usb-c port", "lightning", "充电口",
                      "充电", "接口", "chongdian"),
    "chat links": ("chat", "chats", "private chat", "links", "link", "链接", "连结", "私聊", "聊天",
                   "lianjie"),
    "choice screen": ("choice screen", "choose", "choice", "选择屏幕", "选择界面", "选择"),
    "courier delivery": ("courier", "couriers", "parcel", "parcels", "package", "packages", "快递",
                         "包裹", "kuaidi"),
    "data transfer": ("data transfer", "transfer", "migrate", "switch phones", "move data",
                      "迁移", "转移", "换机", "qianyi"),
    "default messaging app": ("default messaging", "default messages", "default texting",
                              "默认短信", "默认消息", "默认信息"),
    "default navigation app": ("default navigation", "default maps", "default map", "默认导航",
                               "默认地图"),
    "encrypted rcs": ("encrypted", "encryption", "e2ee", "end-to-end", "end to end", "加密", "jiami"),
    "fediverse feed and search": ("feed", "fediverse feed", "search", "follow", "动态", "搜索"),
    "fediverse sharing": ("share", "sharing", "federate", "federation", "post", "posts", "分享", "发帖"),
    "file sharing": ("airdrop", "file sharing", "share files", "files", "quick share", "隔空投送",
                     "互传", "传文件", "文件", "gekong tousong"),
    "free choice-screen listing": ("free listing", "auction", "paid auction", "listing", "拍卖",
                                   "免费"),
    "group-chat links": ("group chat", "group chats", "groups", "群聊", "微信群", "qunliao"),
    "imessage": ("imessage", "blue bubble", "blue bubbles", "蓝色气泡"),
    "in-app checkout": ("checkout", "check out", "buy inside", "in-app", "in app", "inside",
                        "within", "站内", "内购", "直接买", "直接购买"),
    "in-app store": ("store", "shop", "open a store", "店铺", "开店", "旗舰店"),
    "livestream links": ("livestream", "livestreams", "live stream", "live streaming", "live shopping",
                         "直播", "zhibo"),
    "magazines": ("magazine", "magazines", "杂志"),
    "mini-programs": ("mini program", "mini programs", "mini-program", "mini-programs", "mini app",
                      "mini apps", "小程序", "xiaochengxu"),
    "notification forwarding": ("notification", "notifications", "notification forwarding", "通知"),
    "product links": ("product link", "product links", "product", "products", "商品", "商品链接"),
    "publisher accounts": ("publisher", "publishers", "creator", "creators", "accounts", "出版商",
                           "创作者"),
    "search indexing": ("indexing", "indexed", "index", "search results", "searchable", "find articles",
                        "articles", "搜到", "收录", "索引", "搜索"),
    "seller marketing apps": ("marketing", "marketing apps", "seller tools", "营销", "营销工具"),
    "shopping entry": ("shopping entry", "entry", "entrance", "shopping tab", "入口", "购物入口"),
    "smart home": ("smart home", "homekit", "home app", "home control", "智能家居", "米家"),
    "streaming app": ("streaming app", "tv app", "apple tv app", "itunes", "movies", "流媒体", "影视"),
    "tracker alerts": ("tracker", "trackers", "tracking alerts", "unknown tracker", "stalking",
                       "unwanted tracking", "tracker alert", "tracking alert", "airtag", "airtags",
                       "追踪器", "防跟踪", "跟踪", "追踪", "跟踪器", "防追踪"),
    "uninstall edge": ("uninstall", "remove edge", "uninstalled", "卸载", "删除edge"),
}
"""Every scope the data uses (folded) -> the words that name it. Each scope's own words count too."""


def _own_words(scope: str) -> tuple[str, ...]:
    """The scope itself, and the words of every scope it narrows: "discover shopping entry" is
    also named by what names "shopping entry", so neither outranks the other by the table alone."""
    tokens = set(_TOKEN.findall(scope))
    wider = [s for s in SCOPE_SYNONYMS if s != scope and set(_TOKEN.findall(s)) <= tokens]
    return (scope, *wider, *(w for s in wider for w in SCOPE_SYNONYMS[s]))


_TOKEN = re.compile(r"[a-z0-9]+")
_Word = tuple[re.Pattern[str], str]
"""A Latin scope word's pattern and its scope."""


@cache
def _forms() -> dict[str, tuple[str, ...]]:
    """Each scope's words, folded, with the pinyin of each Han word written with or without
    spaces ("jia dian", "jiadian")."""
    out: dict[str, tuple[str, ...]] = {}
    for scope, words in SCOPE_SYNONYMS.items():
        forms: set[str] = {fold(w) for w in (*_own_words(scope), *words)}
        for word in list(forms):
            if has_han(word) and len(word) >= 2:
                spelled = pinyin(word)
                forms |= {spelled, spelled.replace(" ", "")}
        out[scope] = tuple(sorted(w for w in forms if w))
    return out


def _pattern(word: str) -> re.Pattern[str]:
    """Latin words match whole; Han words anywhere."""
    return re.compile(re.escape(word) if has_han(word) else rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")


@cache
def _patterns() -> dict[str, tuple[re.Pattern[str], ...]]:
    return {scope: tuple(_pattern(w) for w in words) for scope, words in _forms().items()}


def scope_hits(text: str, scope: str) -> int:
    """How many of the scope's words the text says (0 when the scope is not in the table)."""
    folded = fold(text)
    return sum(1 for p in _patterns().get(fold(scope), ()) if p.search(folded))


@cache
def _by_first_word() -> tuple[dict[str, tuple[_Word, ...]], tuple[tuple[str, str], ...]]:
    """The same words for a quick look-up: Latin words under their first word, so a question
    is only tried against words it contains; Han words as plain substrings."""
    latin: dict[str, list[_Word]] = {}
    han: list[tuple[str, str]] = []
    patterns = _patterns()
    for scope, words in _forms().items():
        for word, pattern in zip(words, patterns[scope], strict=True):
            first = _TOKEN.findall(word)
            if has_han(word) or not first:
                han.append((word, scope))
            else:
                latin.setdefault(first[0], []).append((pattern, scope))
    return {k: tuple(v) for k, v in latin.items()}, tuple(han)


def scopes_named(text: str) -> frozenset[str]:
    """The folded scopes whose words the text says (each question meets ~850 words: the
    first-word table keeps that to the few it could match)."""
    folded = fold(text)
    latin, han = _by_first_word()
    named = {scope for word, scope in han if word in folded}
    for token in set(_TOKEN.findall(folded)):
        named.update(scope for pattern, scope in latin.get(token, ()) if pattern.search(folded))
    return frozenset(named)


def is_scope_word(text: str) -> bool:
    """Whether the whole text (an unknown name's words) only says scope words ("大件家电",
    "furniture", or "送大件家具" with one verb character glued on): a thread's scope, never a
    name to report."""
    rest = fold(text)
    for ps in _patterns().values():
        for p in ps:
            rest = p.sub(" ", rest)
    left = rest.split()
    glued = len(left) == 1 and len(left[0]) == 1 and has_han(left[0])
    return bool(fold(text).strip()) and (not left or glued)
