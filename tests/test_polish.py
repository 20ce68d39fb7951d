"""Reading polish in all three languages: lists joined the reader's way, the API reference's operations
named in the reader's language."""

from __future__ import annotations

import html
import re

import pytest

from matchmaker.api import docs_page

LANGS = {"en": "en", "zh_Hant_HK": "zh-HK", "zh_Hans_CN": "zh-CN"}
LISTS = {
    "en": ("Licence, Joint development", "Hong Kong, Macao, PCT international application"),
    "zh_Hant_HK": ("授權許可、合作開發", "香港、澳門、PCT 國際申請"),
    "zh_Hans_CN": ("许可授权、合作开发", "香港、澳门、PCT 国际申请"),
}
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _text(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize("locale", LISTS)
def test_lists_use_the_ideographic_comma_in_chinese_and_a_comma_in_english(client, auth, make, locale):
    modes, places = LISTS[locale]
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher, cooperation_modes=["licence", "joint_development"],
                            jurisdictions=["HK", "MO", "PCT"], keywords=["石墨烯", "超級電容"])
    need_id = make.need(enterprise, cooperation_modes=["licence", "joint_development"])
    lang = LANGS[locale]

    result_page = _text(client.get(f"/results/{result_id}?lang={lang}"))
    assert modes in result_page and places in result_page
    assert modes in _text(client.get(f"/needs/{need_id}?lang={lang}"))
    if locale != "en":
        assert not re.search(r"[\u4e00-\u9fff\)], [\u4e00-\u9fffA-Z]", result_page)  # no Latin comma in a list


@pytest.mark.parametrize("locale", ["zh_Hant_HK", "zh_Hans_CN"])
def test_the_api_reference_names_every_operation_in_chinese(app, client, locale):
    with app.app_context():
        operations = [(method.upper(), path, op["summary"], (op.get("tags") or ["Other"])[0])
                      for path, item in app.spec["paths"].items() for method, op in item.items()
                      if method in docs_page.METHODS]
    page = _text(client.get(f"/api/v1/docs?lang={LANGS[locale]}"))
    assert len(operations) >= 20
    for method, path, summary, tag in operations:
        heading = re.search(rf"<h3><code>{method} {re.escape(path)}</code></h3>\s*<p class=\"lead\">([^<]*)</p>", page)
        assert heading, (method, path)
        shown = heading.group(1)
        assert shown != summary and _HAN.search(shown), (method, path, shown)
        assert f"<h2>{tag}</h2>" not in page, tag  # section headings too
    assert "科研成果" in page and ("配對" in page or "配对" in page)


def test_the_api_reference_stays_english_for_english_readers_and_in_the_spec(app, client):
    page = _text(client.get("/api/v1/docs?lang=en"))
    assert '<p class="lead">List research results</p>' in page and "<h2>Matches</h2>" in page
    spec = client.get("/api/v1/openapi.json?lang=zh-HK").get_json()
    assert spec["paths"]["/api/v1/results"]["get"]["summary"] == "List research results"


@pytest.mark.parametrize(("text", "terms", "marked"), [
    ("We co-develop EV chargers.", ["ev"], "We co-develop <mark>EV</mark> chargers."),
    ("Mule-account rings move funds between accounts.", ["account", "accounts"],
     "Mule-<mark>account</mark> rings move funds between <mark>accounts</mark>."),
    ("5G phones run hot; a 5 mm film", ["5"], "5G phones run hot; a <mark>5</mark> mm film"),
    ("高導熱石墨烯散熱膜", ["石墨烯"], "高導熱<mark>石墨烯</mark>散熱膜"),
    ("LiDAR點雲", ["lidar"], "<mark>LiDAR</mark>點雲"),
    ("<b>graphene</b>", ["graphene"], "&lt;b&gt;<mark>graphene</mark>&lt;/b&gt;"),
])
def test_highlighting_marks_latin_terms_only_as_whole_words(app, text, terms, marked):
    """Issue 15: highlighting marked "ev" inside "co-develop". The match page renders texts through this filter."""
    with app.test_request_context():
        assert app.jinja_env.from_string("{{ text|highlight(terms) }}").render(text=text, terms=terms) == marked
