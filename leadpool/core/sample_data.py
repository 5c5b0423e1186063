"""Realistic made-up people, companies and contact details, Chinese and English.

Used by `leadpool demo` and the benchmarks. Deterministic for a given random.Random.
"""

import random

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏辉建国志文俊斌宇浩凯佳欣"
    "怡晨琳雪梅婷倩颖慧"
)
FIRST_NAMES = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Susan",
    "Emily",
    "Daniel",
    "Sophia",
    "Oliver",
    "Emma",
    "Lucas",
    "Mia",
    "Ethan",
    "Grace",
    "Henry",
    "Chloe",
    "Jack",
    "Olivia",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Walker",
    "Hall",
    "Allen",
    "Young",
    "King",
    "Wright",
    "Chen",
    "Wang",
    "Nguyen",
    "Schmidt",
    "Müller",
]
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "重庆",
    "天津",
    "青岛",
    "厦门",
    "宁波",
    "长沙",
    "郑州",
    "合肥",
    "济南",
    "东莞",
]
REGIONS = {
    "北京": "华北",
    "天津": "华北",
    "上海": "华东",
    "杭州": "华东",
    "南京": "华东",
    "苏州": "华东",
    "宁波": "华东",
    "合肥": "华东",
    "济南": "华东",
    "青岛": "华东",
    "厦门": "华东",
    "广州": "华南",
    "深圳": "华南",
    "东莞": "华南",
    "成都": "西南",
    "重庆": "西南",
    "武汉": "华中",
    "长沙": "华中",
    "郑州": "华中",
    "西安": "西北",
}
TRADE_NAMES = [
    "华信",
    "东方",
    "恒通",
    "瑞丰",
    "博远",
    "天成",
    "新锐",
    "鼎盛",
    "中科",
    "金桥",
    "汇智",
    "远航",
    "星辰",
    "蓝海",
    "盛世",
    "嘉禾",
    "宏图",
    "united",
    "云帆",
    "智联",
    "万达",
    "永信",
    "安泰",
    "创新",
]
INDUSTRIES_ZH = {
    "科技": "信息技术",
    "软件": "信息技术",
    "贸易": "批发零售",
    "制造": "制造业",
    "电子": "制造业",
    "物流": "交通物流",
    "教育科技": "教育",
    "医疗器械": "医疗健康",
    "餐饮管理": "餐饮",
    "建筑工程": "建筑",
}
SUFFIXES_ZH = ["有限公司", "有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
EN_WORDS = [
    "Apex",
    "Blue River",
    "Crescent",
    "Delta",
    "Evergreen",
    "Falcon",
    "Golden Gate",
    "Harbor",
    "Ironwood",
    "Jade",
    "Keystone",
    "Lotus",
    "Maple",
    "Northstar",
    "Orchid",
    "Pinnacle",
]
EN_KINDS = {
    "Technologies": "信息技术",
    "Trading": "批发零售",
    "Manufacturing": "制造业",
    "Logistics": "交通物流",
    "Medical": "医疗健康",
    "Education": "教育",
}
EN_SUFFIXES = ["Co., Ltd.", "Inc.", "Ltd.", "LLC", "Corporation", "GmbH"]
SOURCES = [
    "官网表单",
    "展会",
    "电话营销",
    "客户转介绍",
    "百度推广",
    "微信公众号",
    "Website",
    "LinkedIn",
]
SOURCE_WEIGHTS = [30, 12, 15, 10, 14, 9, 6, 4]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
]
EMAIL_DOMAINS = [
    "qq.com",
    "163.com",
    "126.com",
    "gmail.com",
    "outlook.com",
    "sina.com",
    "foxmail.com",
]
FOLLOWUP_TEXTS = [
    ("call", "电话沟通，客户对产品有兴趣，约下周演示。"),
    ("call", "未接通，稍后再打。"),
    ("wechat", "已加微信，发送了产品资料。"),
    ("visit", "上门拜访，见到采购负责人，需求明确。"),
    ("email", "Sent the quotation and the product brochure."),
    ("meeting", "Online demo with their IT team; they asked about pricing tiers."),
    ("sms", "短信提醒客户查看报价。"),
]


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def english_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def company(rng: random.Random) -> tuple[str, str]:
    """A company name and its industry."""
    if rng.random() < 0.75:
        city = rng.choice(CITIES)
        kind = rng.choice(list(INDUSTRIES_ZH))
        name = f"{city}{rng.choice(TRADE_NAMES)}{kind}{rng.choice(SUFFIXES_ZH)}"
        return name, INDUSTRIES_ZH[kind]
    kind = rng.choice(list(EN_KINDS))
    return f"{rng.choice(EN_WORDS)} {kind} {rng.choice(EN_SUFFIXES)}", EN_KINDS[kind]


def mobile(rng: random.Random) -> str:
    """A valid Chinese mobile number, written the many ways people write them."""
    digits = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    style = rng.random()
    if style < 0.6:
        return digits
    if style < 0.75:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if style < 0.9:
        return f"+86-{digits}"
    return f"86{digits}"


def email_for(rng: random.Random, name: str) -> str:
    local = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())
    if not local:
        local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 9)))
    return f"{local}{rng.randint(1, 999)}@{rng.choice(EMAIL_DOMAINS)}"


def person(rng: random.Random) -> dict:
    """A lead's worth of fields (without ownership)."""
    name = chinese_name(rng) if rng.random() < 0.8 else english_name(rng)
    company_name, industry = company(rng)
    city = next((c for c in CITIES if company_name.startswith(c)), rng.choice(CITIES))
    return {
        "name": name,
        "company": company_name,
        "phone": mobile(rng),
        "email": email_for(rng, name) if rng.random() < 0.6 else "",
        "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
        "region": REGIONS[city],
        "industry": industry,
    }
