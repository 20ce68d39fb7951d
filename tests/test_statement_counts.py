"""Pages read what they show in a fixed number of statements, however many rows they list (no N+1).

Every request here is an API JSON call with a token (no browser sends this: there is no HTML form to
submit), so none goes through tests/forms.py.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from tests.test_api_support import NEED, RESULT, Cast, build_cast


@pytest.fixture
def cast(app, make) -> Cast:
    return build_cast(app, make)


def _statements(app, call) -> tuple[int, object]:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    return len(seen), response


# Numbered copies of one posting, published on purpose: without the confirmation publishing a near copy
# of the organisation's own live posting is refused (409).
CONFIRMED = {"confirm_duplicate": True}


def _published_pairs(cast: Cast, n: int) -> None:
    for number in range(n):
        for role, path, body in (("researcher", "/results", RESULT), ("enterprise", "/needs", NEED)):
            created = cast[role].post(path, json={**body, "title": f"{body['title']} {number}"})
            published = cast[role].post(f"{path}/{created.get_json()['id']}/publish", json=CONFIRMED)
            assert published.status_code == 200


def test_reading_a_match_and_the_match_list_take_a_fixed_number_of_statements(app, cast):
    _published_pairs(cast, 3)
    reviewer = cast["reviewer"]
    reviewer.get("/matches")  # the token's first use of the hour also records it
    count, listed = _statements(app, lambda: reviewer.get("/matches", query_string={"per_page": 100}))
    items = listed.get_json()["items"]
    assert len(items) >= 4 and all(item["result"]["title"] and item["need"]["title"] for item in items)
    assert count <= 4  # token with user, count, page, each side's ranks for the page: not one per posting
    match = items[0]
    reviewer.post(f"/matches/{match['id']}/decision", json={"decision": "approve", "version": match["version"]})
    count, detail = _statements(app, lambda: reviewer.get(f"/matches/{match['id']}"))
    assert len(detail.get_json()["events"]) == 2 and detail.get_json()["contacts"]
    assert count <= 3  # token with user; the match with postings, organisations, owners, events, actors; its ranks


def test_publishing_takes_the_same_statements_however_many_suggestions_it_stores(app, cast):
    from matchmaker.models import Match

    enterprise = cast["enterprise"]

    def publish_need(number: int) -> tuple[int, int]:
        created = enterprise.post("/needs", json={**NEED, "title": f"{NEED['title']} {number}"}).get_json()
        count, response = _statements(app, lambda: enterprise.post(f"/needs/{created['id']}/publish", json=CONFIRMED))
        assert response.status_code == 200
        with app.app_context():
            stored = db.session.scalar(sa.select(sa.func.count()).where(Match.need_id == created["id"]))
        return count, stored

    _published_pairs(cast, 2)
    few = publish_need(100)
    _published_pairs(cast, 4)
    many = publish_need(101)
    assert many[1] > few[1] >= 2  # more results matched, more suggestions stored ...
    assert many[0] == few[0]  # ... in the same statements: no query per suggestion
