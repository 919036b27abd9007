"""Chinese organisation names as the registers of a prefecture-level city hold them.

A name is put together the way the Company Registration Regulations ask (企业名称登记管理规定):
[行政区划] + 字号 + [行业或经营特点] + 组织形式, e.g. 随州市安泰建材有限公司, 随县厉山镇福田食品厂,
广水市宏达汽车维修服务部, or, for institutions, 随州市曾都区第三小学. The trade name (字号) is two
characters drawn from the auspicious characters trade names are made of; both the characters and
the industries follow Zipf-like weights, so a two-character search such as 安泰 or 恒达 hits
hundreds or thousands of a million names (as in a real register), and a rare pair only a few.
"""

from __future__ import annotations

import random

# Administrative prefixes of Suizhou's register, most frequent first (city, districts, towns).
PLACES = [
    "随州市",
    "随州市曾都区",
    "随县",
    "广水市",
    "湖北",
    "随州高新区",
    "随县厉山镇",
    "随县洪山镇",
    "随县万和镇",
    "随县殷店镇",
    "随县草店镇",
    "随县小林镇",
    "随县淮河镇",
    "随县均川镇",
    "随县安居镇",
    "随县唐县镇",
    "随县尚市镇",
    "随县高城镇",
    "广水市应山街道",
    "广水市十里街道",
    "广水市马坪镇",
    "广水市杨寨镇",
    "曾都区南郊街道",
    "曾都区东城街道",
    "曾都区何店镇",
    "曾都区府河镇",
]

# Characters trade names are made of (吉祥字), roughly by how often registers use them.
TRADE_CHARS = (
    "华金鑫恒泰安达兴源宏丰瑞盛德隆顺福祥利信通佳和美新永昌汇诚博康力辉明创嘉成"
    "天龙凯祥锦益旺正发宝元润伟聚荣东方中全欣豪星海联亿建家业鼎晟浩森富群众胜"
    "腾飞越远久长广君泽润晶晨曙光鸿志远望春秋神楚随曾炎帝编钟银河江汉"
)

# Industries (行业表述) by frequency in a water utility's non-residential customers.
INDUSTRIES = [
    "商贸",
    "餐饮",
    "建材",
    "食品",
    "酒店",
    "物流",
    "汽车维修",
    "机械",
    "农业",
    "置业",
    "建筑工程",
    "服装",
    "五金",
    "电子",
    "化工",
    "医药",
    "纺织",
    "印务",
    "家具",
    "物业管理",
    "洗浴",
    "装饰",
    "科技",
    "文化传媒",
    "专用汽车",
    "香菇",
    "茶业",
    "农机",
    "粮油",
    "水产",
]

# Legal forms with their share of the register (individual businesses' forms last).
FORMS = [
    ("有限公司", 52),
    ("有限责任公司", 14),
    ("股份有限公司", 3),
    ("厂", 6),
    ("经营部", 7),
    ("商行", 5),
    ("店", 6),
    ("服务部", 3),
    ("门市部", 2),
    ("专业合作社", 2),
]

INSTITUTIONS = [
    "第一中学",
    "第二中学",
    "实验小学",
    "第三小学",
    "人民医院",
    "中医医院",
    "妇幼保健院",
    "幼儿园",
    "卫生院",
]
GOVERNMENT = ["人民政府", "财政局", "教育局", "水利和湖泊局", "市场监督管理局", "住房和城乡建设局"]


def _zipf(n: int, s: float = 0.9) -> list[float]:
    return [1 / (rank + 1) ** s for rank in range(n)]


class NameMaker:
    """Draws names (and the USCC kind prefix that goes with each) from a seeded generator."""

    def __init__(self, seed: int = 13) -> None:
        self.rng = random.Random(seed)
        self.place_w = _zipf(len(PLACES), 1.1)
        self.char_w = _zipf(len(TRADE_CHARS), 0.7)
        self.industry_w = _zipf(len(INDUSTRIES), 0.8)
        self.forms, self.form_w = zip(*FORMS, strict=True)

    def names(self, n: int) -> list[tuple[str, str]]:
        """n (name, USCC kind prefix) pairs: 91 enterprise, 92 individual, 93 cooperative, 12 institution, 11 government."""
        rng = self.rng
        places = rng.choices(PLACES, self.place_w, k=n)
        first = rng.choices(TRADE_CHARS, self.char_w, k=n)
        second = rng.choices(TRADE_CHARS, self.char_w, k=n)
        industries = rng.choices(INDUSTRIES, self.industry_w, k=n)
        forms = rng.choices(self.forms, self.form_w, k=n)
        rolls = [rng.random() for _ in range(n)]
        out = []
        for i in range(n):
            roll = rolls[i]
            if roll < 0.012:
                out.append((places[i] + rng.choice(INSTITUTIONS), "12"))
                continue
            if roll < 0.015:
                out.append((places[i] + rng.choice(GOVERNMENT), "11"))
                continue
            trade = first[i] + second[i] if first[i] != second[i] else first[i] + "源"
            form = forms[i]
            kind = (
                "92" if form in ("经营部", "商行", "店", "服务部", "门市部") else "93" if form == "专业合作社" else "91"
            )
            place = places[i] if roll < 0.85 else ""  # some register without a place (province-level names)
            if roll > 0.97:
                form += "随州分公司"  # branches of firms registered elsewhere
            out.append((place + trade + industries[i] + form, kind))
        return out
