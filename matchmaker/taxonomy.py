"""Controlled vocabularies: sectors, TRL, IP status, cooperation modes, regions, currencies.

Each vocabulary maps a stable code (stored in the database and used by the API) to labels in English,
Traditional Chinese (Hong Kong) and Simplified Chinese. Labels are data, not gettext messages, so a
translator cannot rename a code by accident and the API can return all three at once.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCALES = ("en", "zh_Hant_HK", "zh_Hans_CN")


@dataclass(frozen=True)
class Term:
    """One entry of a vocabulary, labelled in the three UI languages."""

    code: str
    en: str
    zh_hant: str
    zh_hans: str

    def label(self, locale: str | None) -> str:
        """The label for a Babel locale name (``en``, ``zh_Hant_HK``, ``zh_Hans_CN``)."""
        locale = (locale or "en").replace("-", "_")
        if locale.startswith("zh_Hant"):
            return self.zh_hant
        if locale.startswith("zh"):
            return self.zh_hans
        return self.en

    def labels(self) -> dict[str, str]:
        return {"en": self.en, "zh_Hant_HK": self.zh_hant, "zh_Hans_CN": self.zh_hans}


class Vocabulary:
    """An ordered, immutable set of terms looked up by code."""

    def __init__(self, name: str, terms: list[Term]):
        self.name = name
        self.terms = tuple(terms)
        self._by_code = {term.code: term for term in self.terms}

    def __iter__(self):
        return iter(self.terms)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

    def label(self, code: str | None, locale: str | None) -> str:
        """The label of ``code``, or the code itself when it is unknown (old data never breaks a page)."""
        term = self._by_code.get(code or "")
        return term.label(locale) if term else (code or "")

    def choices(self, locale: str | None) -> list[tuple[str, str]]:
        return [(term.code, term.label(locale)) for term in self.terms]


SECTORS = Vocabulary("sectors", [
    Term("ai_data", "AI & data science", "人工智能與數據科學", "人工智能与数据科学"),
    Term("robotics", "Robotics & automation", "機械人與自動化", "机器人与自动化"),
    Term("biomed", "Biomedicine & health", "生物醫藥與健康", "生物医药与健康"),
    Term("medtech", "Medical devices & diagnostics", "醫療器械與診斷", "医疗器械与诊断"),
    Term("chips", "Microelectronics & semiconductors", "微電子與半導體", "微电子与半导体"),
    Term("energy", "New energy & storage", "新能源與儲能", "新能源与储能"),
    Term("materials", "Advanced materials", "先進材料", "先进材料"),
    Term("environment", "Environment & water", "環境與水務", "环境与水务"),
    Term("manufacturing", "Smart manufacturing", "智能製造", "智能制造"),
    Term("fintech", "Fintech & digital economy", "金融科技與數字經濟", "金融科技与数字经济"),
    Term("food_agri", "Food & agri-tech", "食品與農業科技", "食品与农业科技"),
    Term("smart_city", "Smart city & transport", "智慧城市與交通", "智慧城市与交通"),
    Term("telecom_iot", "Telecom & IoT", "通訊與物聯網", "通讯与物联网"),
    Term("marine", "Marine technology", "海洋科技", "海洋科技"),
])

TRL = Vocabulary("trl", [
    Term("1", "TRL 1 – basic principles observed", "TRL 1 – 觀察到基本原理", "TRL 1 – 观察到基本原理"),
    Term("2", "TRL 2 – concept formulated", "TRL 2 – 形成技術概念", "TRL 2 – 形成技术概念"),
    Term("3", "TRL 3 – proof of concept", "TRL 3 – 概念驗證", "TRL 3 – 概念验证"),
    Term("4", "TRL 4 – validated in the lab", "TRL 4 – 實驗室驗證", "TRL 4 – 实验室验证"),
    Term("5", "TRL 5 – validated in a relevant environment", "TRL 5 – 相關環境中驗證",
         "TRL 5 – 相关环境中验证"),
    Term("6", "TRL 6 – demonstrated in a relevant environment", "TRL 6 – 相關環境中示範",
         "TRL 6 – 相关环境中示范"),
    Term("7", "TRL 7 – prototype in operation", "TRL 7 – 原型在實際環境中運行", "TRL 7 – 原型在实际环境中运行"),
    Term("8", "TRL 8 – system complete and qualified", "TRL 8 – 系統完成並通過鑑定", "TRL 8 – 系统完成并通过鉴定"),
    Term("9", "TRL 9 – proven in operation", "TRL 9 – 已在實際運營中驗證", "TRL 9 – 已在实际运营中验证"),
])

IP_STATUSES = Vocabulary("ip_status", [
    Term("granted_patent", "Granted patent", "已授權專利", "已授权专利"),
    Term("pending_patent", "Patent pending", "專利申請中", "专利申请中"),
    Term("know_how", "Know-how", "技術秘密", "技术秘密"),
    Term("software_copyright", "Software copyright", "軟件著作權", "软件著作权"),
    Term("none", "No IP protection", "未有知識產權保護", "暂无知识产权保护"),
])

COOPERATION_MODES = Vocabulary("cooperation_modes", [
    Term("licence", "Licence", "授權許可", "许可授权"),
    Term("assignment", "Assignment", "轉讓", "转让"),
    Term("joint_development", "Joint development", "合作開發", "合作开发"),
    Term("consultancy", "Consultancy", "技術顧問", "技术咨询"),
    Term("spin_off", "Spin-off investment", "衍生公司投資", "衍生企业投资"),
])

REGIONS = Vocabulary("regions", [
    Term("hong_kong", "Hong Kong", "香港", "香港"),
    Term("macao", "Macao", "澳門", "澳门"),
    Term("guangzhou", "Guangzhou", "廣州", "广州"),
    Term("shenzhen", "Shenzhen", "深圳", "深圳"),
    Term("zhuhai", "Zhuhai", "珠海", "珠海"),
    Term("foshan", "Foshan", "佛山", "佛山"),
    Term("huizhou", "Huizhou", "惠州", "惠州"),
    Term("dongguan", "Dongguan", "東莞", "东莞"),
    Term("zhongshan", "Zhongshan", "中山", "中山"),
    Term("jiangmen", "Jiangmen", "江門", "江门"),
    Term("zhaoqing", "Zhaoqing", "肇慶", "肇庆"),
    Term("elsewhere", "Elsewhere", "其他地區", "其他地区"),
])

CURRENCIES = Vocabulary("currencies", [
    Term("HKD", "Hong Kong dollar (HKD)", "港元 (HKD)", "港元 (HKD)"),
    Term("MOP", "Macao pataca (MOP)", "澳門元 (MOP)", "澳门元 (MOP)"),
    Term("CNY", "Renminbi (CNY)", "人民幣 (CNY)", "人民币 (CNY)"),
    Term("USD", "US dollar (USD)", "美元 (USD)", "美元 (USD)"),
])

JURISDICTIONS = Vocabulary("jurisdictions", [
    Term("CN", "Mainland China (CNIPA)", "中國內地 (CNIPA)", "中国内地 (CNIPA)"),
    Term("HK", "Hong Kong", "香港", "香港"),
    Term("MO", "Macao", "澳門", "澳门"),
    Term("PCT", "PCT international application", "PCT 國際申請", "PCT 国际申请"),
    Term("US", "United States", "美國", "美国"),
    Term("EP", "European Patent Office", "歐洲專利局", "欧洲专利局"),
    Term("JP", "Japan", "日本", "日本"),
    Term("OTHER", "Other", "其他", "其他"),
])

ORGANISATION_KINDS = Vocabulary("organisation_kinds", [
    Term("university", "University", "大學", "大学"),
    Term("enterprise", "Enterprise", "企業", "企业"),
    Term("other", "Other organisation", "其他機構", "其他机构"),
])

REJECTION_REASONS = Vocabulary("rejection_reasons", [
    Term("off_topic", "Off-topic", "內容不相關", "内容不相关"),
    Term("too_early", "Technology too early", "技術尚未成熟", "技术尚未成熟"),
    Term("ip_unavailable", "IP not available", "知識產權不可用", "知识产权不可用"),
    Term("conflict_of_interest", "Conflict of interest", "利益衝突", "利益冲突"),
    Term("duplicate", "Duplicate", "重複", "重复"),
    Term("other", "Other", "其他", "其他"),
])

DEAL_KINDS = Vocabulary("deal_kinds", [
    Term("licence", "Licence", "授權許可", "许可授权"),
    Term("assignment", "Assignment", "轉讓", "转让"),
    Term("joint_development", "Joint development", "合作開發", "合作开发"),
    Term("consultancy", "Consultancy", "技術顧問", "技术咨询"),
    Term("investment", "Investment", "投資", "投资"),
])

MATCH_STATES = Vocabulary("match_states", [
    Term("suggested", "Suggested", "系統建議", "系统建议"),
    Term("rejected", "Rejected", "已拒絕", "已拒绝"),
    Term("introduced", "Introduced", "已引薦", "已引荐"),
    Term("connected", "Connected", "已聯繫", "已联系"),
    Term("agreed", "Agreed", "已達成協議", "已达成协议"),
    Term("closed", "Closed", "已結束", "已结束"),
    Term("withdrawn", "Withdrawn", "已撤回", "已撤回"),
])

ALL = (SECTORS, TRL, IP_STATUSES, COOPERATION_MODES, REGIONS, CURRENCIES, JURISDICTIONS,
       ORGANISATION_KINDS, REJECTION_REASONS, DEAL_KINDS, MATCH_STATES)
