"""Who may see and act on a match: every match route × every role, before and after introduction."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, ResearchResult, User
from matchmaker.services import matching, pipeline
from tests.forms import submit
from tests.test_pipeline import NEED, RESULT

ROLES = ("result_owner", "need_owner", "other_researcher", "other_enterprise", "reviewer", "admin", "anonymous")


@pytest.fixture
def world(app, make):
    people = {"result_owner": make.user("researcher"), "need_owner": make.user("enterprise"),
              "other_researcher": make.user("researcher"), "other_enterprise": make.user("enterprise"),
              "reviewer": make.user("reviewer"), "admin": make.user("admin")}
    result_id = make.result(people["result_owner"], **RESULT)
    need_id = make.need(people["need_owner"], **NEED)
    with app.app_context():
        matching.refresh_suggestions(db.session.get(ResearchResult, result_id))
        match_id = db.session.scalar(sa.select(Match.id).where(Match.need_id == need_id))
    return people, match_id


def _introduce(app, people, match_id):
    with app.app_context():
        match = db.session.get(Match, match_id)
        pipeline.approve(match, db.session.get(User, people["reviewer"].id), match.version)


# Expected status of GET /matches/<id> per role: (while suggested, once introduced)
VIEW = {"result_owner": (404, 200), "need_owner": (404, 200), "other_researcher": (404, 404),
        "other_enterprise": (404, 404), "reviewer": (200, 200), "admin": (200, 200), "anonymous": (302, 302)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("introduced", [False, True])
def test_viewing_a_match(app, client, auth, world, role, introduced):
    people, match_id = world
    if introduced:
        _introduce(app, people, match_id)
    if role != "anonymous":
        auth.login(people[role].email)
    response = client.get(f"/matches/{match_id}")
    assert response.status_code == VIEW[role][introduced]
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


DECIDE = {"result_owner": 403, "need_owner": 403, "other_researcher": 403, "other_enterprise": 403,
          "reviewer": 302, "admin": 302, "anonymous": 302}


@pytest.mark.parametrize("role", ROLES)
def test_only_reviewers_and_admins_decide(app, client, auth, world, role):
    people, match_id = world
    if role != "anonymous":
        auth.login(people[role].email)
    if role in ("reviewer", "admin"):
        response = submit(client, f"/matches/{match_id}", {"decision": "approve"}, button="Save decision")
    else:  # no browser sends this: the decision form is never shown to this role
        response = client.post(f"/matches/{match_id}/decision", data={"decision": "approve", "version": 1})
    assert response.status_code == DECIDE[role]
    with app.app_context():
        state = db.session.get(Match, match_id).state
    assert state == ("introduced" if role in ("reviewer", "admin") else "suggested")


RESPOND = {"result_owner": 302, "need_owner": 302, "other_researcher": 404, "other_enterprise": 404,
           "reviewer": 403, "admin": 403, "anonymous": 302}


@pytest.mark.parametrize("role", ROLES)
def test_only_the_two_sides_answer(app, client, auth, world, role):
    people, match_id = world
    _introduce(app, people, match_id)
    if role != "anonymous":
        auth.login(people[role].email)
    if role in ("result_owner", "need_owner"):
        response = submit(client, f"/matches/{match_id}", {"answer": "interested"}, button="Send answer")
    else:  # no browser sends this: the answer form is never shown to this role
        page = client.get(f"/matches/{match_id}")
        assert page.status_code != 200 or f'action="/matches/{match_id}/response"' not in page.text
        response = client.post(f"/matches/{match_id}/response", data={"answer": "interested"})
    assert response.status_code == RESPOND[role]
    with app.app_context():
        match = db.session.get(Match, match_id)
        answered = {"result_owner": match.result_response, "need_owner": match.need_response}
    for side, answer in answered.items():
        assert answer == ("interested" if side == role else None)


@pytest.mark.parametrize("path,allowed", [("/review/", ("reviewer", "admin")),
                                          ("/my/matches", ("result_owner", "need_owner", "other_researcher",
                                                           "other_enterprise")),
                                          ("/notifications", ROLES[:-1])])
@pytest.mark.parametrize("role", ROLES)
def test_list_pages(client, auth, world, path, allowed, role):
    people, _match_id = world
    if role != "anonymous":
        auth.login(people[role].email)
    response = client.get(path)
    expected = 200 if role in allowed else (302 if role == "anonymous" else 403)
    assert response.status_code == expected


def test_a_confidential_need_is_revealed_to_the_researcher_only_once_connected(app, client, auth, make):
    researcher, enterprise, reviewer = make.user("researcher"), make.user("enterprise"), make.user("reviewer")
    make.result(researcher, **RESULT)
    need_id = make.need(enterprise, confidential=True, **{**NEED, "description": NEED["description"] + " SECRET-PLAN"})
    with app.app_context():
        matching.refresh_suggestions(db.session.get(EnterpriseNeed, need_id))
        match = db.session.scalar(sa.select(Match).where(Match.need_id == need_id))
        match_id = match.id
        pipeline.approve(match, db.session.get(User, reviewer.id), match.version)
    auth.login(researcher.email)
    for path in (f"/matches/{match_id}", f"/needs/{need_id}"):
        assert "SECRET-PLAN" not in client.get(path).get_data(as_text=True)
    submit(client, f"/matches/{match_id}", {"answer": "interested"}, button="Send answer")
    auth.logout()
    auth.login(enterprise.email)
    submit(client, f"/matches/{match_id}", {"answer": "interested"}, button="Send answer")
    auth.logout()
    auth.login(researcher.email)
    for path in (f"/matches/{match_id}", f"/needs/{need_id}"):
        assert "SECRET-PLAN" in client.get(path).get_data(as_text=True)
