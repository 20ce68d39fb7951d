"""The header stays one row at 1280 px for every role in every language: brand, navigation, account,
"Sign out" and the language switcher side by side, nothing pushed onto a second line."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import User
from tests.conftest import PASSWORD

LOCALES = {"en": "en-GB", "zh_Hant_HK": "zh-HK", "zh_Hans_CN": "zh-CN"}
ROLES = ("researcher", "enterprise", "reviewer", "admin")
# A realistic long name: the account link is the one item whose width the site does not choose.
NAME = "Professor Chan Tai-man"
SCREENSHOTS = os.environ.get("HEADER_SCREENSHOTS")  # a folder: keep a picture of every header

_BOXES = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom,
                                                                      left: r.left, right: r.right}; };
  const header = document.querySelector('.site-header .header-row');
  return {
    header: box(header),
    brand: box(document.querySelector('.brand')),
    signOut: box(document.querySelector('form[action$="/logout"] button')),
    switcher: box(document.querySelector('.language-switcher')),
    items: [...document.querySelectorAll('.main-nav > *')].map(box),
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
def test_the_signed_in_header_is_one_row_at_1280_pixels(live_app, make_live, new_page, role, locale):
    user = make_live.user(role)
    with live_app.app_context():
        db.session.execute(sa.update(User).where(User.id == user.id).values(locale=locale, display_name=NAME))
        db.session.commit()
    page = new_page(LOCALES[locale])
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("main form:has(#password) button[type=submit]")
    boxes = page.evaluate(_BOXES)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/display-header-{role}-{locale}.png",
                        clip={"x": 0, "y": 0, "width": 1280, "height": 120})

    brand, sign_out, switcher = boxes["brand"], boxes["signOut"], boxes["switcher"]
    middles = [(item["top"] + item["bottom"]) / 2 for item in boxes["items"]]
    assert max(middles) - min(middles) <= 3, (role, locale, boxes["items"])  # every nav item on one line
    for name, box in (("sign out", sign_out), ("switcher", switcher)):  # level with the brand
        middle = (box["top"] + box["bottom"]) / 2
        assert brand["top"] <= middle <= brand["bottom"], (role, locale, name, box, brand)
    assert boxes["header"]["bottom"] - boxes["header"]["top"] < 80, (role, locale, boxes["header"])
    assert boxes["scrollWidth"] <= 1280  # and nothing pokes out sideways
