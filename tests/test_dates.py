"""Dates read the same way on every page: one medium pattern per language, in Hong Kong time.

Stored moments are UTC; Hong Kong is UTC+8, so 15:30 UTC reads 23:30 and 17:30 UTC is already the next
day. A plain date (a deadline) is a calendar day and is never shifted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Notification, ResearchResult, User

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
EVENING_UTC = datetime(2026, 12, 7, 15, 30, tzinfo=UTC)  # 23:30 on 7 December in Hong Kong
LATE_UTC = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # 01:30 on 8 December in Hong Kong
DEADLINE = date(2027, 6, 30)

EXPECTED = {
    "en": {"moment": "7 Dec 2026, 23:30", "late_day": "8 Dec 2026", "deadline": "30 Jun 2027"},
    "zh_Hant_HK": {"moment": "2026年12月7日 23:30", "late_day": "2026年12月8日", "deadline": "2027年6月30日"},
    "zh_Hans_CN": {"moment": "2026年12月7日 23:30", "late_day": "2026年12月8日", "deadline": "2027年6月30日"},
}
# What the old Babel filters wrote (short and medium forms, 12-hour clocks) must not come back.
OTHER_FORMS = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}/\d{1,2}/\d{1,2}|[AP]M\b|[上下]午\d|Dec 7, 2026|Jun 30, 2027")


def _set(app, model, row_id, **values):
    with app.app_context():
        db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
        db.session.commit()


@pytest.mark.parametrize("locale", EXPECTED)
def test_every_page_writes_dates_one_way_in_hong_kong_time(app, client, auth, make, locale):
    expected = EXPECTED[locale]
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher)
    need_id = make.need(enterprise, deadline=DEADLINE)
    _set(app, ResearchResult, result_id, published_at=LATE_UTC, updated_at=EVENING_UTC)
    lang = {"en": "en", "zh_Hant_HK": "zh-HK", "zh_Hans_CN": "zh-CN"}[locale]

    pages = {
        f"/results/{result_id}?lang={lang}": expected["late_day"],  # a moment shown as a day: HK's day
        f"/needs/{need_id}?lang={lang}": expected["deadline"],
        f"/needs/?lang={lang}": expected["deadline"],
    }
    for url, text in pages.items():
        html = client.get(url).get_data(as_text=True)
        assert text in html, url
        assert not OTHER_FORMS.search(html), (url, OTHER_FORMS.search(html))

    _set(app, User, researcher.id, locale=locale)
    auth.login(researcher.email)
    html = client.get("/my/postings").get_data(as_text=True)
    assert expected["moment"] in html
    assert not OTHER_FORMS.search(html)


def test_match_history_and_notifications_use_the_same_format(app, client, auth, make):
    """Pages that show moments of events: a notification written at 15:30 UTC reads 23:30."""
    user = make.user("researcher")
    with app.app_context():
        db.session.add(Notification(user_id=user.id, kind="introduced", params={"mine": "A", "theirs": "B"},
                                    created_at=EVENING_UTC))
        db.session.commit()
    _set(app, User, user.id, locale="zh_Hant_HK")
    auth.login(user.email)
    html = client.get("/notifications").get_data(as_text=True)
    assert "2026年12月7日 23:30" in html
    assert '<time datetime="2026-12-07T15:30:00Z"' in html  # machines get the UTC instant, unambiguous
    assert not OTHER_FORMS.search(html)


def test_templates_have_no_other_way_to_write_a_date(app):
    """Every template compiles without Flask-Babel's own date filters, and none formats a date by hand
    (the machine-readable `datetime` of <time> takes the `iso` filter)."""
    offenders = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (r"datetimeformat|dateformat|timeformat|strftime|format_date|format_datetime",
                        r"isoformat"):
            offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}" for m in re.finditer(pattern, text)]
        with app.app_context():
            app.jinja_env.get_template(str(path.relative_to(TEMPLATES)))  # unknown filters fail here
    assert offenders == []
    assert "dateformat" not in app.jinja_env.filters and "datetimeformat" not in app.jinja_env.filters
