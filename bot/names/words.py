"""The words that carry a question's meaning, in English and Chinese: kinds, regions, small talk, ownership.

Kept as data, apart from the code that reads them, so a missed word is a one-line fix.
"""

from __future__ import annotations

from bot.domain import Kind, Region
from bot.names.script import has_han, pinyin, taiwan_word

# Ordinary English words that are never company names: a fuzzy match for one of them ("metal"
# -> Meta, "bridge" -> Bridgy) is only ever a suggestion, and a leftover one is not reported
# as an unknown name.
_COMMON_TEXT = """
    about above account across actually add address after again against age ago agree air all
    almost alone along already also always among amount and animal another answer any anyone
    anything anyway apple apply area arm around art ask asked away baby back bad bag ball bank
    bar base be beach bear beat beautiful because become bed been before begin behind believe
    bell best better between big bill bird bit black blue board boat body book both box boy
    brain branch bread break bridge bright bring brother brown build building bus business busy
    but buy cake call camera can car care carry case cat catch cause center chair chance change
    channel cheap check child choose church city class clean clear clock close cloud club coat
    code coffee cold color come common cook cool copy corner cost could count country course
    cover cup cut dark data date day dead deal dear deep design desk detail die dinner direct
    do doctor dog door double down draw dream dress drink drive drop dry during each early earth
    east easy eat edge egg end energy enough even evening event every example eye face fact fail
    fall family far farm fast father fear feel few field fight file fill film final fire first
    fish floor flower fly food foot force forest form forward free fresh friend front fruit full
    fun game garden gate general girl give glass gold golden green ground grow guess gun hair
    half hand happy hard hat head hear heart heat heavy hello help high hill history hit hold
    hole home hope horse hospital hot hotel hour house huge human hundred idea image important
    inside iron island job join jump just keep key kid kind king kitchen knee land language large
    last late later laugh law lead learn leave left leg less letter level life light line list
    listen little live long lose lost lot loud love low lunch machine main man manage map mark
    market matter maybe mean meat meet meeting member metal middle might mile milk mind minute
    miss model moment month moon morning mother mountain mouse mouth move movie music name near
    neck never next nice night noise north nose note number ocean offer office oil open order
    paper party pass past pen people perfect person pick picture piece place plan plant play
    point police pool poor power present press pretty price print private problem program public
    pull push put question quick quiet race radio rain reach read ready real reason red remember
    report rest result return rich ride right ring river road rock room round rule run safe salt
    save say school sea season seat second secret sell sense set shape sheep shirt shoe short
    show side sign silver simple sing sister sit size skin sky sleep slow small smile snow soft
    soon sound south space speak special speed spend sport spring square stand star start state
    station stay step stone stop story street strong student study sugar summer sun sure sweet
    swim table talk tall taste tea teach team tell test thread threat tiny together tomorrow
    tonight tool top touch town train travel tree trip true try turn type uncle unit until
    upon use usual valley value very view visit voice wait walk wall warm wash watch water wave
    wear week weight west wheel while white whole wide wife wild win wind window winter wish
    woman wonder wood word world write wrong yard year yellow young zero
    delivery express pay logistics messages meta apps android quick share messenger threads
    app apps store stores install installs installed installing uninstall uninstalling browser
    browsers choice screen default defaults notification notifications dma charging charger
    watch watches phone phones device devices tablet laptop computer feature features support
    supported supports interoperability interop interoperable work works working setting
    settings handle handles option options tourist tourists visitor visitors foreigner
    foreigners traveller travellers people user users sharing screen screens navigation
    maps transfer transfers encrypted encryption encrypt company companies same related
    end-to-end e2ee ecommerce e-commerce online walled garden gardens bianhua dongxi bangding
    chongdian shouji available outside forwarding forward happen late
    merchant merchants seller sellers buyer buyers shop shops shopper shoppers customer customers
    scan scanning scanner tap taps aware tv tvs speaker speakers longer shut codes qr entry
    entries link links linked shopping back books book notifications anymore credit debit
    hao nihao xiexie neng yong shi zhichi kuaidi keyi bu meiyou ma ne de le he gen zai haishi
    zenme shenme nali weishenme xianzai huozhe jia gongsi tong tongyi yijia nfc chip
    activate adapter announce announced backup balance basket bluetooth cashback contactless
    coupon coupons deposit desktop discount discounts domestic dropshipping earbuds ecosystem
    expats export fee headphones holiday identity import kyc launched livestream local
    membership migrate mirror mirroring nor official officially paired pairing passport premium
    receiving refund refunds region register registration resell restore rewards rollout rumor
    rumour since stream streaming subscribe subscription switch switching sync topup unlink usb
    vacation verify vouchers wholesale withdraw within workers
    search searches searching alert alerts alerted tracker trackers tracking unknown take taking
    took taken allow allowed
    remove removed removing bind binding bound article articles post posts subscription
    subscriptions version versions update updates launch region regions city cities abroad
    overseas foreign travel traveling travelling tourist programs entrance
    stuff thing things item items goods product products bulky large small vip vips ad ads advert
    adverts advertising run runs running ran boss bosses smartwatch smartwatches smartphone
    smartphones wearable wearables gadget gadgets purchase purchases order orders
    one two three four five settlement settlements lawsuit lawsuits ruling verdict court
    developer developers dev devs journalist journalists reporter reporters teacher teachers
    engineer engineers designer designers writer writers blogger bloggers traveler travelers
    traveller travellers fan fans beginner beginners newbie newbies student students
    detect detects detected detection unwanted warn warns warned warning warnings notify
    notifies notified stalker stalkers stalking flag flags flagged wifi
    made sent paid gave went told said came done gone seen knew used felt kept held hurt lent
    sold drew meant spent bought brought built caught found heard thought taught
    qunliao duandaoduan jiami hai laoban zhuang anzhuang xiazai shewei shezhi moren ba
    sideload sideloading engine engines
    chuan dao chuanshu fasong fa song dakai
    merge merges merged merging merger mergers acquire acquired acquisition external internal
    hub hubs index indexes furniture appliance appliances fridge fridges sofa bulky heavy big
    oversize oversized item large parcel piece pieces citizen citizens resident residents
    native natives national nationals tourist expat expats student students worker migrant
    tab tabs page pages section sections menu menus button buttons icon icons
    kill kills killed killing scrap scraps scrapped axe axed ditch ditched abandon abandoned
"""
COMMON_WORDS = frozenset(_COMMON_TEXT.split()) - {
    # common words that are also the whole name of a tracked company
    "android", "threads", "messenger", "meta", "apple",
}
"""At least the 500 most frequent ordinary English words, minus names the index holds."""
COMMON_NAMES = frozenset({"app store", "play store", "google play"})
"""Ordinary words that together are a name when the index holds it, even in lower case ("can
kindle sell books in the app store"), unlike "find my", which is just words unless capitalised."""

# What a question asks about. English words match whole words; Chinese ones anywhere in the
# text left over once the names are taken out.
KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    Kind.PAYMENTS: ("pay", "pays", "paying", "paid", "payment", "payments", "checkout", "accept",
                    "accepts", "accepted", "accepting", "wallet", "card", "cards", "money",
                    "purchase", "buy", "付款", "支付", "结账", "付钱", "收款", "付", "买单", "钱包"),
    Kind.LOGISTICS: ("ship", "ships", "shipping", "shipped", "deliver", "delivers", "delivery",
                     "deliveries", "courier", "couriers", "parcel", "parcels", "logistics",
                     "express", "快递", "物流", "发货", "配送", "送货"),
    Kind.LOGIN: ("login", "logins", "log", "signin", "sign", "signup", "authenticate", "account",
                 "accounts", "denglu", "zhanghao", "登录", "登陆", "登入", "授权", "账号", "帐号",
                 "账户", "帐户"),
    Kind.MESSAGING: ("message", "messages", "messaging", "chat", "chats", "chatting", "text",
                     "texts", "texting", "sms", "rcs", "dm", "dms", "聊天", "发消息", "消息",
                     "短信", "私信", "讯息", "简讯"),
    Kind.SHOPPING: ("link", "links", "linking", "open", "opens", "share", "shares", "sharing",
                    "url", "urls", "shop", "shopping", "mini", "miniapp", "miniapps", "miniprogram",
                    "miniprograms", "xiaochengxu", "lianjie", "跳转", "分享", "链接", "外链", "打开",
                    "小程序", "小程式", "连结", "购物"),
    Kind.CONTENT: ("federate", "federates", "federation", "follow", "follows", "following",
                   "files", "file", "airdrop", "photos", "fediverse", "posts", "content", "互传",
                   "传文件", "文件", "关注", "联邦", "内容"),
}
TOPIC_SCOPES: dict[str, str] = {"airdrop": "file sharing", "files": "file sharing",
                                "file": "file sharing", "互传": "file sharing",
                                "传文件": "file sharing", "文件": "file sharing"}
"""Words that also say which feature within the kind: "airdrop" is file sharing."""

# Where a question asks about ("in Europe", "在中国"): facts of that region lead the answer.
# English words match whole words outside the names; "us" only after "in"/"the" ("in the US"),
# since "does X work for us" is not about the United States. Chinese ones match anywhere in
# the text left over once the names are taken out.
REGION_WORDS: dict[Region, tuple[str, ...]] = {
    Region.EU: ("europe", "european", "eu", "eea", "欧洲", "欧盟"),
    Region.CN: ("china", "chinese", "mainland", "prc", "中国", "国内", "大陆", "内地"),
    Region.US: ("usa", "america", "美国"),
    Region.UK: ("uk", "britain", "england", "英国"),
    Region.HK: ("hongkong", "香港"),
    Region.MO: ("macau", "macao", "澳门"),
    Region.TW: ("taiwan", "台湾"),
    Region.JP: ("japan", "日本"),
    Region.KR: ("korea", "韩国"),
    Region.IN: ("india", "印度"),
    Region.SG: ("singapore", "新加坡"),
    Region.TH: ("thailand", "泰国"),
    Region.MY: ("malaysia", "马来西亚"),
    Region.ID: ("indonesia", "印尼", "印度尼西亚"),
    Region.LK: ("lanka", "斯里兰卡"),
    Region.PH: ("philippines", "菲律宾"),
    Region.VN: ("vietnam", "越南"),
    Region.AU: ("australia", "澳大利亚", "澳洲"),
    Region.BR: ("brazil", "巴西"),
    Region.AE: ("uae", "emirates", "dubai", "阿联酋", "迪拜"),
    Region.QA: ("qatar", "卡塔尔"),
    Region.KG: ("kyrgyzstan", "吉尔吉斯斯坦"),
    Region.UZ: ("uzbekistan", "乌兹别克斯坦"),
    Region.BT: ("bhutan", "不丹"),
    Region.NP: ("nepal", "尼泊尔"),
}
REGION_PHRASES: dict[Region, tuple[str, ...]] = {
    Region.US: ("in the us", "the us", "united states", "u.s.", "u.s"),
    Region.HK: ("hong kong",),
    Region.KR: ("south korea",),
    Region.LK: ("sri lanka",),
    Region.AE: ("united arab emirates",),
    Region.EU: ("european union", "european economic area"),
    Region.CN: ("in china", "mainland china"),  # also where a name swallowed it ("alipay+ in china")
}
"""Region phrases of several words (or with a dot), found in the whole folded text. A bare "us"
is a pronoun ("does it work for us"): the US only after "the", or written "US"."""
REGION_PLACE: dict[Region, str] = {Region.US: "us", Region.HK: "hong kong", Region.KR: "korea",
                                   Region.LK: "sri lanka", Region.AE: "uae", Region.EU: "eu",
                                   Region.CN: "china"}
"""The place (as ``PLACES`` names it) a region phrase names, so it can pick the fact asked."""

# Whole messages that are small talk, once punctuation and the bot's name are gone.
GREETINGS = frozenset({
    "hi", "hello", "hey", "hiya", "yo", "start", "help", "menu", "thanks", "thank", "thx", "ty",
    "cheers", "ok", "okay", "bye", "goodbye", "thanx", "lol", "haha", "howdy", "sup",
    "nihao", "xiexie", "zaijian",
    "你好", "您好", "嗨", "哈喽", "谢谢", "多谢", "感谢", "帮助", "帮忙", "再见", "好的", "在吗",
    "在不在", "早上好", "晚上好", "哈哈",
})
HELP_PHRASES = ("what can you do", "what do you do", "how does this work", "how do i use",
                "who are you", "what are you", "thank you", "good morning", "good evening",
                "how are you", "how r u", "good bot", "nice bot", "great bot", "bad bot", "ni hao",
                "xie xie", "zai jian",
                "你能做什么", "你会什么", "怎么用", "你是谁")
LATEST_PHRASES = ("what's new", "whats new", "what new", "what is new", "latest", "news", "recent",
                  "anything new", "updates", "最新", "新闻", "最近", "有什么新")

# Ownership questions: "who owns X", "is X part of Y", "支付宝是阿里巴巴的吗".
OWNERSHIP_WORDS = frozenset({"own", "owns", "owned", "owner", "owners", "ownership", "parent",
                             "boss", "bosses", "laoban",
                             "subsidiary", "subsidiaries", "belong", "belongs", "affiliate",
                             "affiliated", "stake", "yongyou", "shei", "shui", "shuyu", "qixia",
                             "mugongsi", "shougou", "konggu",
                             "acquire", "acquires", "acquired", "acquisition"})
OWNERSHIP_PHRASES: tuple[str, ...] = (
                     "part of", "member of", "属于", "旗下", "母公司", "拥有", "谁的", "控股", "老板", "老闆",
                     "子公司", "是谁", "收购")
OWNERSHIP_ZH_PATTERN = r"是.{0,12}的(吗|么|嘛|\?|？|$)"

# Between two names, these make them alternatives of one side ("Alipay or WeChat Pay on JD"):
# anything else (a verb, "on", "with", "x", "vs") puts the next name on the other side.
ALTERNATIVE_WORDS = frozenset({"or", "and", "nor", "plus", "和", "与", "或", "或者", "还是",
                               "及", "以及", "、"})
SIDE_WORDS = frozenset({"x", "vs", "versus", "to", "on", "for", "via", "with", "against",
                        "跟", "对", "同", "在", "用"})

# Chinese glue around names: taken out before what remains is treated as an unknown name.
ZH_FUNCTION: tuple[str, ...] = (
    "可以用", "能不能", "可不可以", "支不支持", "是不是", "有没有", "怎么样", "吗", "呢", "吧", "啊",
    "么", "嘛", "能", "可以", "用", "支持", "接入", "接受", "是否", "是", "的", "了", "在", "上",
    "里", "和", "与", "跟", "对", "同", "或", "还是", "及", "我", "你", "他", "她", "它", "们", "怎么",
    "什么", "如何", "有", "没有", "不", "还", "已经", "现在", "吗", "请问", "一下", "到", "给", "从",
    "向", "把", "被", "让", "会", "要", "想", "去", "来", "这", "那", "个", "些", "都", "也", "就",
    "很", "开通", "打通", "互通", "使用", "联通", "呀", "啦", "哦", "喔", "哈", "嗯",
    "合作", "支援", "兼容", "对接",  # "do they work together", 支援 as Taiwan says "support"
)
# Places in Chinese questions that are no one region (REGION_WORDS has those): never unknown names.
ZH_PLACES = ("国外", "海外", "境外", "外国", "全球", "越南")

# Negated or reversed questions ("does WeChat block Taobao links", "美团不能用支付宝吗"): a yes
# or no would read as the opposite, so the answer states where the link stands instead.
NEGATION_WORDS = frozenset({"block", "blocks", "blocked", "blocking", "ban", "bans", "banned",
                            "banning", "stop", "stops", "stopped", "stopping", "prevent",
                            "prevents", "prevented", "forbid", "forbids", "forbidden", "refuse",
                            "refuses", "refused", "restrict", "restricts", "restricted",
                            "discontinued", "discontinue", "removed", "remove", "removes",
                            "disable", "disabled", "disables", "cut", "pingbi", "fengsha",
                            "buneng", "jinzhi", "drop", "drops", "dropped", "dropping",
                            "kill", "kills", "killed", "killing", "scrap", "scraps", "scrapped",
                            "axe", "axes", "axed", "ditch", "ditches", "ditched", "abandon",
                            "abandons", "abandoned", "pull", "pulls", "pulled", "quxiao",
                            "guanbi", "still"})
NEGATION_PHRASES = ("no longer", "not anymore", "any more", "cut off", "shut off", "shut down",
                    "can't", "cannot", "can not", "屏蔽", "封杀", "封锁", "拦截", "不能", "不可以",
                    "不再", "禁止", "禁用", "断开", "切断", "下架", "停止", "取消了",
                    "还有", "还在", "仍然", "依然", "仍有", "砍掉", "去掉", "撤掉", "撤下", "关停",
                    "停用", "废除", "取消", "关闭", "pulled out", "got rid of", "get rid of")

STILL_WORDS = ("still", "anymore", "any more", "还有", "还在", "還有", "還在", "仍然", "依然", "仍有",
               "hai you")
"""Words that ask where things stand now: of two threads a scope word names, the latest answers."""

# Ownership in other shapes: "is X related to Y", "are X and Y the same company", "一家公司".
OWNERSHIP_RELATED: tuple[str, ...] = (
                     "related to", "same company", "the same as", "same group", "same owner", "same parent",
                     "sister company", "sister companies", "one company", "a company",
                     "一家公司", "同一家", "一家的", "同一个公司", "同一公司", "有关系", "什么关系",
                     "一间公司", "同一间", "是一间", "同一个集团", "同一集团", "一个集团", "同个集团",
                     "关系吗", "是一家", "一个公司", "yijia gongsi", "yi jia gong si",
                     "yi jia gongsi", "tongyi jia", "tong yi jia", "who runs", "who operates",
                     "who makes", "who is behind", "who's behind", "谁运营", "谁在运营", "谁做的")
OWNERSHIP_PINYIN = (r"\bshi\b.*\bde\s*(ma|me)\b", r"\b(shei|shui)\s*de\b", r"\bshi\s*(shei|shui)\b",
                    r"\bna\s*jia\s*(gong\s*si\s*)?de\b", r"\bshu\s*yu\b", r"\bqi\s*xia\b",
                    r"\bmu\s*gong\s*si\b", r"\bshou\s*gou\b", r"\bkong\s*gu\b")
"""Pinyin ownership shapes, as the Chinese ones spell: "youku shi alibaba de ma" (优酷是阿里巴巴的吗),
"zhifubao shi shei de" (是谁的), "shu yu" (属于), "qixia" (旗下), "mu gongsi" (母公司)."""

# Places that are no ``Region`` of a fact: a question's place all the same, never a name. Each
# maps to the English word facts and descriptions use ("毛里求斯" -> "mauritius").
PLACES: dict[str, str] = {
    "mauritius": "mauritius", "france": "france", "french": "france", "paris": "paris",
    "germany": "germany", "nepal": "nepal", "bhutan": "bhutan", "uae": "uae", "dubai": "uae",
    "mongolia": "mongolia", "canada": "canada", "mexico": "mexico", "brazil": "brazil",
    "russia": "russia", "spain": "spain", "italy": "italy", "sri": "sri lanka",
    "lanka": "sri lanka", "sililanka": "sri lanka", "zhongguo": "china", "xianggang": "hong kong",
    "aomen": "macau", "taiwan": "taiwan", "xinjiapo": "singapore", "taiguo": "thailand",
    "riben": "japan", "hanguo": "korea", "meiguo": "us", "yingguo": "uk", "faguo": "france",
    "yindu": "india", "malaixiya": "malaysia", "maoliqiusi": "mauritius", "ouzhou": "europe",
    "oumeng": "eu",
    "毛里求斯": "mauritius", "法国": "france", "巴黎": "paris", "德国": "germany", "尼泊尔": "nepal",
    "蒙古": "mongolia", "加拿大": "canada", "俄罗斯": "russia", "斯里兰卡": "sri lanka",
    "新加坡": "singapore", "泰国": "thailand", "马来西亚": "malaysia", "印度": "india",
    "中国": "china", "内地": "china", "大陆": "china", "香港": "hong kong", "澳门": "macau",
    "日本": "japan", "韩国": "korea",
    "印尼": "indonesia", "欧盟": "eu", "欧洲": "europe", "美国": "us", "英国": "uk",
    "cambodia": "cambodia", "laos": "laos", "myanmar": "myanmar", "pakistan": "pakistan",
    "bangladesh": "bangladesh", "turkey": "turkey", "egypt": "egypt", "kenya": "kenya",
    "nigeria": "nigeria", "argentina": "argentina", "chile": "chile", "peru": "peru",
    "colombia": "colombia", "netherlands": "netherlands", "sweden": "sweden",
    "switzerland": "switzerland", "portugal": "portugal", "poland": "poland", "greece": "greece",
    "israel": "israel", "kazakhstan": "kazakhstan", "saudi": "saudi arabia",
    "jianpuzhai": "cambodia", "laowo": "laos", "miandian": "myanmar", "yuenan": "vietnam",
    "柬埔寨": "cambodia", "老挝": "laos", "缅甸": "myanmar", "巴基斯坦": "pakistan",
    "孟加拉": "bangladesh", "土耳其": "turkey", "埃及": "egypt", "肯尼亚": "kenya",
    "尼日利亚": "nigeria", "阿根廷": "argentina", "智利": "chile", "秘鲁": "peru",
    "哥伦比亚": "colombia", "荷兰": "netherlands", "瑞典": "sweden", "瑞士": "switzerland",
    "葡萄牙": "portugal", "波兰": "poland", "希腊": "greece", "以色列": "israel",
    "哈萨克斯坦": "kazakhstan", "沙特": "saudi arabia", "西班牙": "spain", "意大利": "italy",
    "墨西哥": "mexico", "巴西": "brazil", "澳大利亚": "australia", "菲律宾": "philippines",
}
PLACE_TEXT: dict[str, tuple[str, ...]] = {
    "china": ("china", "chinese"), "eu": ("eu", "europe", "european"), "europe": ("europe", "eu"),
    "us": ("u.s.", "u.s", "united states", "america", "american"), "korea": ("korea", "korean"),
    "uae": ("uae", "emirates", "dubai"),
}
"""The words a fact or a company description uses for a place, when more than the place itself."""
PLACE_SHORT: dict[str, tuple[str, ...]] = {"hong kong": ("hk",), "macau": ("mo", "macao"), "taiwan": ("tw",)}
"""Short forms of a place inside company names ("AlipayHK", "WeChat Pay HK")."""

# Words that say which feature of a pair ("is RCS encrypted", "数据迁移"): matched against the
# words of each thread's scope; Chinese ones name the English scope word they stand for.
SCOPE_WORDS_ZH: dict[str, str] = {
    "加密": "encrypted", "迁移": "transfer", "转移": "transfer", "换机": "transfer",
    "默认": "default", "预设": "default", "小程序": "mini", "小程式": "mini", "广告": "ads",
    "直播": "livestream", "智能家居": "smart", "充电": "charging", "投屏": "cast",
    "选择": "choice", "浏览器": "browser", "导航": "navigation", "通知": "notification",
    "卸载": "uninstall", "搜索": "search", "群聊": "group", "jiami": "encrypted",
    "入口": "entry", "发现": "discover", "追踪器": "tracker", "防跟踪": "tracker",
    "端到端": "encrypted", "群组": "group", "群里": "group",
}
# Words that name one feature of a pair, whatever its kind ("is e2ee RCS live", "a Taobao mini
# program in WeChat", "group chat links"): the scope word each stands for, and the kind it is of
# when the question says no other. The answer is that feature's thread, or "no record of" it.
FEATURE_WORDS: dict[str, str] = {
    "mini program": "mini", "mini programs": "mini", "mini-program": "mini", "mini-programs": "mini",
    "miniprogram": "mini", "miniprograms": "mini", "mini app": "mini", "mini apps": "mini",
    "mini-app": "mini", "mini-apps": "mini", "miniapp": "mini", "miniapps": "mini",
    "xiaochengxu": "mini", "xiao chengxu": "mini", "小程序": "mini", "小程式": "mini",
    "e2ee": "encrypted", "end-to-end": "encrypted", "end to end": "encrypted",
    "encrypted": "encrypted", "encryption": "encrypted", "encrypt": "encrypted",
    "jiami": "encrypted", "duandaoduan": "encrypted", "加密": "encrypted", "端到端": "encrypted",
    "group chat": "group", "group chats": "group", "group-chat": "group", "group-chats": "group",
    "qunliao": "group", "群聊": "group", "群组": "group", "群里": "group",
}
FEATURE_NOUNS: dict[str, str] = {
    "encrypted": "encryption", "encrypt": "encryption", "jiami": "encryption",
    "end-to-end": "end-to-end encryption", "end to end": "end-to-end encryption",
    "duandaoduan": "end-to-end encryption",
}
"""How "No record of …" names a feature asked with an adjective, a verb or pinyin."""
FEATURE_KINDS: dict[str, Kind] = {"mini": Kind.SHOPPING, "encrypted": Kind.MESSAGING,
                                  "group": Kind.MESSAGING}
SCOPE_STOP = frozenset({"app", "apps", "and", "the", "of", "on", "in", "with", "for", "to",
                        "data", "network", "built", "from", "does", "can", "work", "works",
                        "between", "users", "use", "using", "how", "what", "when", "are", "was",
                        "you", "your", "they", "their", "this", "that", "there", "all", "any"})
"""Scope words too general to pick a feature by themselves."""

# "支付宝里能用美团吗": the first name is where the second is used (a mini-program, a link).
INSIDE_WORDS = frozenset({"inside", "within", "里", "裡", "里面", "中的"})

# Ordinary Chinese words around names ("能绑定visa吗", "有什么变化"): never unknown names.
ZH_COMMON: tuple[str, ...] = (
             "东西", "绑定", "充电口", "充电", "变化", "变了", "手表", "手机", "电脑", "平板",
             "之间", "数据", "公司", "一家", "同一", "关系", "功能", "情况", "怎么了", "设置", "安装",
             "卸载", "默认", "通知", "应用", "软件", "用户", "游客", "外国人", "第三方", "应用商店",
             "商店", "互相", "之前", "以后", "以前", "为什么", "为啥", "还能", "买东西", "绑卡",
             "商家", "卖家", "买家", "商户", "恢复", "设为", "设置为", "接口", "哪家", "资料", "資料",
             "扫码", "二维码", "付款码", "外卖", "网购", "购物", "界面", "选择界面",
             "餐厅", "限制", "门店", "通话", "退货", "退款", "转账", "转发", "车机",
             "跨境", "超市", "认证", "订单", "解绑", "视频", "蓝牙", "耳机", "网店",
             "线下", "线上", "红包", "积分", "留学生", "电视", "版本", "点餐", "注册",
             "正式", "更新", "旅游", "收费", "提现", "护照", "扫一扫", "打车", "打电话",
             "手续费", "手环", "开放", "开店", "店铺", "宣布", "实名", "官网", "官方",
             "好友", "备份", "城市", "地铁", "地区", "国际版", "国家", "商品", "发红包",
             "出国", "关闭", "公交", "入驻", "免费", "充值", "便利店", "余额", "优惠券",
             "优惠", "交通", "互联", "下载", "下线", "会员", "朋友圈", "分享", "链接",
             "加入", "文章", "提醒", "追踪器", "跟踪器", "防跟踪", "入口", "搜到",
             "扫描", "移除", "删除", "地区", "版本", "活动", "直播间", "电视机", "智能电视",
             "功能吗", "平台", "网站", "网页", "支付方式", "付款方式", "关联", "连接",
             "公众号", "服务号", "订阅号", "家电", "大件", "家具", "大家电", "出货", "发货", "送货",
             "档案", "照片", "图片", "互扫", "卡绑", "绑定卡", "快递员", "外部", "内部",
             "设成", "设定为", "设定成", "改成", "换成", "笔记", "帖子", "发帖", "集团", "同一间",
             "陌生", "跟着", "盯上")
"""Multi-character only: a lone character taken as glue could hide part of an unknown name."""
ZH_VERBS = "绑扫传送寄转付买卖发收充登连装投"
"""One-character verbs that make an ordinary two-character word with a noun or adverb beside
them ("卡绑", "互扫", "出货"): such a word that is no name, nor close to one, is not reported."""

# Topics the data keeps as a party of their own: with one company named, the phrase is the other
# side ("does iphone show a browser choice screen" -> iPhone x Third-party web browsers). First
# match wins, so the narrower phrase comes first.
TOPIC_NAMES: dict[str, str] = {
    "search choice": "Third-party search engines", "search engine": "Third-party search engines",
    "search engines": "Third-party search engines", "default search": "Third-party search engines",
    "搜索引擎": "Third-party search engines",
    "navigation app": "Third-party navigation apps", "navigation apps": "Third-party navigation apps",
    "default navigation": "Third-party navigation apps", "maps app": "Third-party navigation apps",
    "导航应用": "Third-party navigation apps", "导航软件": "Third-party navigation apps",
    "默认导航": "Third-party navigation apps",
    "browser choice": "Third-party web browsers", "default browser": "Third-party web browsers",
    "other browsers": "Third-party web browsers", "choice screen": "Third-party web browsers",
    "other browser": "Third-party web browsers", "different browser": "Third-party web browsers",
    "different browsers": "Third-party web browsers", "another browser": "Third-party web browsers",
    "third-party browser": "Third-party web browsers", "third-party browsers": "Third-party web browsers",
    "third party browser": "Third-party web browsers", "third party browsers": "Third-party web browsers",
    "alternative browser": "Third-party web browsers", "alternative browsers": "Third-party web browsers",
    "浏览器": "Third-party web browsers",
    "nfc": "Third-party NFC wallets", "other wallets": "Third-party NFC wallets",
    "nfc钱包": "Third-party NFC wallets",
    "web apps": "Web apps", "web app": "Web apps", "网页应用": "Web apps",
    "other messaging apps": "Third-party messaging apps", "other messengers": "Third-party messaging apps",
    "other chat apps": "Third-party messaging apps",
    "foreign credit card": "Foreign bank cards", "foreign credit cards": "Foreign bank cards",
    "foreign card": "Foreign bank cards", "foreign bank card": "Foreign bank cards",
    "外国信用卡": "Foreign bank cards",
    "notification forwarding": "Third-party connected devices",
    "smartwatches": "Third-party connected devices",
    "smartwatch": "Third-party connected devices", "通知转发": "Third-party connected devices",
    "智能手表": "Third-party connected devices",
    "other app stores": "Alternative app marketplaces", "other app store": "Alternative app marketplaces",
    "third-party app stores": "Alternative app marketplaces",
    "third party app stores": "Alternative app marketplaces",
    "third-party app store": "Alternative app marketplaces",
    "third party app store": "Alternative app marketplaces",
    "alternative app stores": "Alternative app marketplaces",
    "alternative app store": "Alternative app marketplaces",
    "app marketplaces": "Alternative app marketplaces",
    "app marketplace": "Alternative app marketplaces", "sideload": "Alternative app marketplaces",
    "sideloading": "Alternative app marketplaces", "sideloaded": "Alternative app marketplaces",
    "side-load": "Alternative app marketplaces", "side load": "Alternative app marketplaces",
    "第三方应用商店": "Alternative app marketplaces", "其他应用商店": "Alternative app marketplaces",
    "其它应用商店": "Alternative app marketplaces", "别的应用商店": "Alternative app marketplaces",
    "第三方商店": "Alternative app marketplaces", "侧载": "Alternative app marketplaces",
    "disanfang yingyong shangdian": "Alternative app marketplaces",
    "disanfang shangdian": "Alternative app marketplaces",
    "qita yingyong shangdian": "Alternative app marketplaces",
    "cezai": "Alternative app marketplaces",
}

DEFAULT_WORDS = frozenset({"default", "defaults", "moren"})
"""Words (and the scope word 默认/預設 stand for) that ask about making an app the default."""

# "does line work with whatsapp": an ordinary word in a name's place is that name.
QUESTION_OPENERS = frozenset({"does", "do", "can", "will", "is", "did", "would", "could"})
NAME_VERBS = frozenset({"work", "works", "accept", "accepts", "support", "supports", "take",
                        "takes", "connect", "connects", "talk", "talks", "integrate", "pay",
                        "interoperate", "federate", "chat", "message", "let", "allow"})


def _add_taiwan_keys(table: dict[str, str]) -> None:
    """Each Chinese key also under the word Taiwan uses for it (卡塔尔 -> 卡達); a key already
    there keeps its value."""
    for word, value in list(table.items()):
        if has_han(word):
            table.setdefault(taiwan_word(word), value)


def _every_place_spelling() -> None:
    """One table, every script: each region word is also a place, the way "bhutan" is (不丹 ->
    "bhutan", so it can pick the fact held there), and each Chinese place is also read in
    Taiwan's word for it (卡塔尔, 卡達) and in glued toneless pinyin (不丹 -> "budan"), as Chinese
    names are. Traditional characters are folded to Simplified before any lookup."""
    for region, words in REGION_WORDS.items():
        place = REGION_PLACE.get(region) or next(w for w in words if w.isascii())
        for word in words:
            PLACES.setdefault(word, place)
    _add_taiwan_keys(PLACES)
    for word, place in list(PLACES.items()):
        spelled = pinyin(word).replace(" ", "")
        if has_han(word) and spelled not in _PINYIN_NOT_PLACE:
            PLACES.setdefault(spelled, place)


_PINYIN_NOT_PLACE = frozenset({"bali"})
"""Pinyin that is another place in English: "bali" is Bali, not 巴黎 (Paris)."""


_every_place_spelling()


def _demonyms() -> frozenset[str]:
    """The people of each place ("indian", "indians", "chinese", "nepali", "qataris", "brazilian"):
    the usual English endings on each one-word place, for words that are never names."""
    out: set[str] = set()
    for place in {*PLACES.values(), *(w for ws in REGION_WORDS.values() for w in ws if w.isascii())}:
        if " " in place or len(place) < 4 or not place.isalpha():
            continue
        stems = {place, place[:-1]} if place[-1] in "aeiouy" else {place}
        for stem in stems:
            for ending in ("n", "an", "ian", "ese", "i", "ish"):
                out |= {stem + ending, stem + ending + "s"}
    return frozenset(out)


DEMONYMS = _demonyms() | {"filipino", "filipinos", "thai", "thais", "british", "brits", "emirati",
                          "emiratis", "kiwis", "swiss", "dutch", "greek", "greeks", "turkish",
                          "europeans", "asian", "asians", "foreigner", "locals"}
"""Words for people of a place: ordinary words of a question, never unknown names."""


def _taiwan(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` and, after them, the word Taiwan uses for each Chinese one (文件 -> 檔案)."""
    extra = (taiwan_word(w) for w in words if has_han(w))
    return tuple(dict.fromkeys((*words, *extra)))


KIND_WORDS = {kind: _taiwan(words) for kind, words in KIND_WORDS.items()}
_add_taiwan_keys(TOPIC_SCOPES)
_add_taiwan_keys(SCOPE_WORDS_ZH)
ZH_COMMON = _taiwan(ZH_COMMON)
OWNERSHIP_PHRASES = _taiwan(OWNERSHIP_PHRASES)
OWNERSHIP_RELATED = _taiwan(OWNERSHIP_RELATED)
ZH_FUNCTION = _taiwan(ZH_FUNCTION)
"""Taiwan's words are read as the mainland's are: the bot's own Traditional replies use them."""
