"""The whole story in a real browser: a Traditional Chinese result meets an English need, a reviewer
introduces them, both sides say yes, and the contacts appear — plus keyboard sign-in, language switching
and an XSS payload that must never run."""

from __future__ import annotations

import re

from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

LANGUAGES = {"en": "English", "zh-Hant-HK": "繁體中文", "zh-Hans-CN": "简体中文"}


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/login" not in page.url


def test_keyboard_alone_signs_in(new_page, make_live):
    user = make_live.user("researcher")
    page = new_page()
    page.goto("/login")
    for _ in range(40):  # Tab through the page until the email field has focus, as a keyboard user would
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == "email":
            break
    else:
        raise AssertionError("the email field is not reachable with Tab")
    page.keyboard.type(user.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url
    assert page.locator("text=Sign out").count() == 1


def _post_result(page) -> str:
    page.goto("/results/new")
    page.fill("#title", "石墨烯導熱膜：5G 手機散熱方案")
    page.fill("#summary", "以石墨烯製成的導熱膜，導熱係數比人工石墨片高三倍，適用於 5G 手機及平板電腦散熱。")
    page.fill("#keywords", "石墨烯, 導熱膜, 散熱")
    page.select_option("#sector", "materials")
    page.select_option("#trl", "6")
    page.select_option("#ip_status", "pending_patent")
    page.click("main form.posting-form button[type=submit]")
    page.wait_for_url(re.compile(r"/results/\d+$"))
    with page.expect_navigation():
        page.click("text=Publish")
    return page.url


def _post_need(page) -> str:
    page.goto("/needs/new")
    page.fill("#title", "Graphene heat-spreading film for 5G phones")
    page.fill("#description", "Our 5G phones overheat. We need a thin graphene thermal film that spreads heat "
                              "from the chip better than synthetic graphite sheets.")
    page.fill("#keywords", "graphene, thermal film, heat dissipation")
    page.select_option("#sector", "materials")
    page.select_option("#region", "shenzhen")
    page.click("main form.posting-form button[type=submit]")
    page.wait_for_url(re.compile(r"/needs/\d+$"))
    with page.expect_navigation():
        page.click("text=Publish")
    return page.url


def test_a_result_in_traditional_chinese_meets_a_need_in_english(new_page, make_live, dialogs):
    researcher, enterprise = make_live.user("researcher"), make_live.user("enterprise")
    reviewer = make_live.user("reviewer")
    researcher_page, enterprise_page, reviewer_page = new_page(), new_page(), new_page()
    sign_in(researcher_page, researcher.email)
    result_url = _post_result(researcher_page)
    sign_in(enterprise_page, enterprise.email)
    _post_need(enterprise_page)

    sign_in(reviewer_page, reviewer.email)
    reviewer_page.goto("/review/")
    row = reviewer_page.locator("tr", has_text="Graphene heat-spreading film")
    row.locator("a").first.click()
    reviewer_page.wait_for_url(re.compile(r"/matches/\d+$"))
    match_url = reviewer_page.url
    assert reviewer_page.locator("mark").count() >= 2  # matched terms highlighted in both texts
    bridged = reviewer_page.locator(".term.bridged").all_inner_texts()
    assert any("graphene" in t.lower() and "石墨烯" in t for t in bridged), bridged
    screenshot(reviewer_page, "en", "match-page")
    reviewer_page.check("input[name=decision][value=approve]")
    with reviewer_page.expect_navigation():
        reviewer_page.click("text=Save decision")
    assert "Introduced" in reviewer_page.inner_text(".eyebrow")

    for page in (researcher_page, enterprise_page):
        page.goto("/my/matches")
        page.locator("table a").first.click()
        page.check("input[name=answer][value=interested]")
        with page.expect_navigation():
            page.click("text=Send answer")
    researcher_page.goto(match_url)
    contacts = researcher_page.locator(".contact").all_inner_texts()
    assert any(enterprise.email in text for text in contacts), contacts
    screenshot(researcher_page, "en", "match-connected")
    researcher_page.goto(result_url)
    _screenshots_of_signed_in_pages(reviewer_page, researcher_page, match_url)
    assert not dialogs


def _switch(page, label: str) -> None:
    with page.expect_navigation():
        page.click(f".language-switcher button:has-text('{label}')")


def _screenshots_of_signed_in_pages(reviewer_page, researcher_page, match_url: str) -> None:
    """The reviewer's and the poster's key pages in each language (the switcher saves the choice)."""
    reviewer_pages = {"match-page": match_url, "review-queue": "/review/?state=connected", "dashboard": "/dashboard/"}
    poster_pages = {"my-matches": "/my/matches", "notifications": "/notifications", "my-postings": "/my/postings",
                    "account": "/account"}
    for lang, label in LANGUAGES.items():
        for page, pages in ((reviewer_page, reviewer_pages), (researcher_page, poster_pages)):
            page.goto("/")
            _switch(page, label)
            for name, path in pages.items():
                page.goto(path)
                assert page.get_attribute("html", "lang") == lang
                screenshot(page, lang, name)


PAGES = {"home": "/", "results": "/results/", "needs": "/needs/", "login": "/login", "signup": "/signup"}


def test_language_switcher_on_every_page_and_screenshots_in_three_languages(new_page, make_live, dialogs):
    page = new_page()
    for name, path in PAGES.items():
        page.goto(path)
        for lang, label in LANGUAGES.items():
            with page.expect_navigation():
                page.click(f".language-switcher button:has-text('{label}')")
            assert page.get_attribute("html", "lang") == lang
            assert page.url.endswith(path) or path == "/"
            screenshot(page, lang, name)
    assert not dialogs


def test_no_english_left_on_chinese_pages(new_page):
    page = new_page("zh-HK")
    for path in PAGES.values():
        page.goto(path)
        assert page.get_attribute("html", "lang") == "zh-Hant-HK"
        text = page.inner_text("body")
        leftovers = [w for w in ("Sign in", "Research results", "Technical needs", "Search", "Sector") if w in text]
        assert not leftovers, (path, leftovers)


def test_an_xss_payload_in_a_title_never_runs(new_page, make_live, dialogs):
    owner = make_live.user("researcher")
    payload = '<img src=x onerror=alert("xss")><script>alert("xss")</script>'
    result_id = make_live.result(owner, title=payload, summary=payload)
    page = new_page()
    for path in (f"/results/{result_id}", "/results/", "/", f"/results/?q={payload[:20]}"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    page.goto(f"/results/{result_id}")
    assert page.inner_text("h1") == payload  # shown as text, not markup
    assert not dialogs
