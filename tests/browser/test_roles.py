"""Every role's main path in a real browser, once in each language: a researcher and an enterprise post and
publish, a reviewer introduces one suggestion and rejects another from the queue in bulk, both sides answer,
and the match is marked agreed. Each form page on the way is checked as a screen reader would meet it.

Selectors name fields, buttons and form actions, never visible English, so one journey serves all three
languages; each run tags its postings so that rows from the other runs on the same site are left alone.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

# The browser's Accept-Language → the <html lang> the site must answer with.
LOCALES = {"en-GB": "en", "zh-HK": "zh-Hant-HK", "zh-CN": "zh-Hans-CN"}
# Each run's researcher is at another university: the runs post the same result, and publishing a near copy
# of a live posting of one's own organisation stops to ask first.
UNIVERSITIES = {"en-GB": "HKU", "zh-HK": "CUHK", "zh-CN": "HKUST"}

# What a screen reader needs of a form page: no field announced invalid before anything was submitted,
# descriptions that exist, and a name for every control a person can reach.
_FORM_PROBLEMS = """() => {
  const problems = [];
  const reachable = el => !(el.type === 'hidden' || el.hidden || el.closest('[hidden]'));
  for (const el of document.querySelectorAll('[aria-invalid]'))
    problems.push(`aria-invalid="${el.getAttribute('aria-invalid')}" on ${el.name || el.id}`);
  for (const el of document.querySelectorAll('[aria-describedby]'))
    for (const id of el.getAttribute('aria-describedby').split(/\\s+/))
      if (!document.getElementById(id)) problems.push(`${el.name || el.id} described by missing #${id}`);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (!reachable(el) || el.type === 'submit') continue;
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
      || el.getAttribute('aria-labelledby');
    if (!named) problems.push(`no label for ${el.tagName.toLowerCase()} ${el.name || el.id}`);
  }
  for (const el of document.querySelectorAll('button, input[type=submit]'))
    if (reachable(el) && !(el.innerText || el.value || el.getAttribute('aria-label') || '').trim())
      problems.push(`a button without a name in ${el.form && el.form.action}`);
  return problems;
}"""


def check_form_page(page, lang: str) -> None:
    assert page.get_attribute("html", "lang") == lang, page.url
    problems = page.evaluate(_FORM_PROBLEMS)
    assert not problems, (page.url, problems)


def sign_in(page, email: str, lang: str) -> None:
    page.goto("/login")
    check_form_page(page, lang)
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form:has(#password) button[type=submit]")
    assert "/login" not in page.url


def submit(page, form: str) -> None:
    """Press the submit button of the form picked by the CSS selector `form`, and wait for the next page."""
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def publish(page) -> None:
    submit(page, "form[action$='/publish']")
    assert page.locator(".eyebrow .badge-published").count() == 1, page.url


def post_result(page, lang: str, tag: str) -> str:
    page.goto("/results/new")
    check_form_page(page, lang)
    page.fill("#title", f"{RESULT_TITLE} {tag}")
    page.fill("#summary", "以石墨烯製成的導熱膜，導熱係數比人工石墨片高三倍，適用於 5G 手機及平板電腦散熱。"
                          "Graphene thermal film for 5G phones and tablets.")
    page.fill("#keywords", "石墨烯, 導熱膜, 散熱, graphene, thermal film")
    page.select_option("#sector", "materials")
    page.select_option("#trl", "6")
    page.select_option("#ip_status", "pending_patent")
    page.check("input[name=cooperation_modes][value=licence]")
    assert page.inner_text("#summary-count .char-count-now") == str(len(page.input_value("#summary")))
    screenshot(page, lang, "result-form-counted")
    submit(page, "main form.posting-form")
    page.wait_for_url(re.compile(r"/results/\d+$"))
    url = page.url
    publish(page)
    return url


NEEDS = {
    "introduce": ("Graphene heat-spreading film for 5G phones", "Our 5G phones overheat. We need a thin graphene "
                  "thermal film that spreads heat from the chip better than synthetic graphite sheets."),
    "reject": ("Thermal interface material for tablet batteries", "Tablet battery packs run hot while charging; "
               "we look for a graphene-based thermal pad or film that keeps cells below 40 °C."),
}


def post_need(page, lang: str, tag: str, which: str) -> None:
    title, description = NEEDS[which]
    page.goto("/needs/new")
    check_form_page(page, lang)
    page.fill("#title", f"{title} {tag}")
    page.fill("#description", description)
    page.fill("#keywords", "graphene, thermal film, heat dissipation")
    page.select_option("#sector", "materials")
    page.select_option("#region", "shenzhen")
    page.check("input[name=cooperation_modes][value=licence]")
    submit(page, "main form.posting-form")
    page.wait_for_url(re.compile(r"/needs/\d+$"))
    publish(page)


RESULT_TITLE = "石墨烯導熱膜：5G 手機散熱方案"


def queue_row(page, tag: str, which: str):
    """This run's pair: its need and its result (the same texts from the other runs match each other too)."""
    return page.locator("table.queue tbody tr", has_text=f"{NEEDS[which][0]} {tag}").filter(
        has_text=f"{RESULT_TITLE} {tag}")


def review_in_bulk(page, lang: str, tag: str) -> None:
    """Introduce one suggestion and reject the other, each by ticking it and pressing a bulk button."""
    page.goto("/review/")
    check_form_page(page, lang)
    queue_row(page, tag, "introduce").locator("input[name=match_id]").check()
    with page.expect_navigation():
        page.click("button[name=decision][value=approve]")
    assert queue_row(page, tag, "introduce").count() == 0  # it left the queue of suggestions
    assert page.locator(".flash-success").count() == 1  # one line for the one match decided
    screenshot(page, lang, "review-queue-after-bulk")
    queue_row(page, tag, "reject").locator("input[name=match_id]").check()
    page.select_option("select[name=reason]", "off_topic")
    with page.expect_navigation():
        page.click("button[name=decision][value=reject]")
    assert queue_row(page, tag, "reject").count() == 0
    page.goto("/review/?state=rejected")
    assert queue_row(page, tag, "reject").count() == 1
    page.goto("/review/?state=introduced")
    assert queue_row(page, tag, "introduce").count() == 1
    screenshot(page, lang, "review-queue-introduced")


def answer_interested(page, lang: str, tag: str) -> str:
    page.goto("/my/matches")
    page.locator("a", has_text=tag).first.click()
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    check_form_page(page, lang)
    page.check("input[name=answer][value=interested]")
    page.fill("textarea[name=message]", f"Happy to talk {tag}")
    submit(page, "form[action$='/response']")
    return page.url


def record_agreement(page, lang: str) -> None:
    check_form_page(page, lang)
    page.check("input[name=outcome][value=agree]")
    page.select_option("select[name=deal_kind]", "licence")
    submit(page, "form[action$='/outcome']")
    assert page.locator(".eyebrow .badge-agreed").count() == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_every_role_from_posting_to_agreement(new_page, make_live, dialogs, locale):
    lang, tag = LOCALES[locale], f"[{locale}]"
    researcher = make_live.user("researcher", organisation_id=make_live.university(UNIVERSITIES[locale]))
    enterprise, reviewer = make_live.user("enterprise"), make_live.user("reviewer")
    researcher_page, enterprise_page, reviewer_page = new_page(locale), new_page(locale), new_page(locale)

    sign_in(researcher_page, researcher.email, lang)
    post_result(researcher_page, lang, tag)
    sign_in(enterprise_page, enterprise.email, lang)
    for which in NEEDS:
        post_need(enterprise_page, lang, tag, which)

    sign_in(reviewer_page, reviewer.email, lang)
    review_in_bulk(reviewer_page, lang, tag)

    match_url = answer_interested(researcher_page, lang, tag)
    assert researcher_page.locator(".eyebrow .badge-introduced").count() == 1
    answer_interested(enterprise_page, lang, tag)
    assert enterprise_page.locator(".eyebrow .badge-connected").count() == 1
    researcher_page.goto(match_url)
    contacts = researcher_page.locator(".contact").all_inner_texts()
    assert any(enterprise.email in text for text in contacts), contacts
    record_agreement(researcher_page, lang)
    screenshot(researcher_page, lang, "match-agreed")

    reviewer_page.goto(match_url)
    assert reviewer_page.locator(".eyebrow .badge-agreed").count() == 1
    screenshot(reviewer_page, lang, "match-agreed-reviewer")
    assert not dialogs
