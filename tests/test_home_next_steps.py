"""Signed in, the home page starts with the user's own next actions, by role (issue 14, fault 14)."""

from __future__ import annotations

import re

import pytest

from matchmaker.extensions import db
from matchmaker.models import Match, User
from matchmaker.models.base import utcnow
from matchmaker.models.matches import MatchState
from tests.forms import open_page

_SECTION = re.compile(r'<section class="card next-steps".*?</section>', re.S)
_HREF = re.compile(r'href="([^"]+)"')


def _next_steps(client) -> str:
    found = _SECTION.search(open_page(client, "/").html)
    assert found, "the signed-in home page has no next-steps section"
    return found.group(0)


def _links(section: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in _HREF.findall(section)]


def _assert_links_answer(client, section: str) -> None:
    for href in _links(section):
        assert client.get(href).status_code == 200, href


def _match(app, result_id, need_id, state, **answers) -> int:
    with app.app_context():
        match = Match(result_id=result_id, need_id=need_id, score=0.6, rank=1, engine_version="test",
                      state=state, decided_at=utcnow() if state != MatchState.SUGGESTED else None, **answers)
        db.session.add(match)
        db.session.commit()
        return match.id


@pytest.fixture
def world(app, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    live_result = make.result(researcher, title="Sodium battery anode")
    draft_result = make.result(researcher, status="draft", title="Half-written perovskite cell")
    live_need = make.need(enterprise, title="Cheaper grid storage")
    draft_need = make.need(enterprise, status="draft", title="Unfinished drone need")
    other_need = make.need(make.user("enterprise"), title="Fleet battery swap")
    other_result = make.result(make.user("researcher"), title="Flow battery membrane")
    ids = {
        "introduced": _match(app, live_result, live_need, MatchState.INTRODUCED),
        "answered_by_researcher": _match(app, live_result, other_need, MatchState.INTRODUCED,
                                         result_response="interested"),
        "suggested": _match(app, other_result, live_need, MatchState.SUGGESTED),
        "suggested_too": _match(app, other_result, other_need, MatchState.SUGGESTED),
    }
    return dict(researcher=researcher, enterprise=enterprise, reviewer=make.user("reviewer"),
                admin=make.user("admin"), draft_result=draft_result, draft_need=draft_need, ids=ids)


def test_anonymous_visitors_see_no_next_steps(client, world):
    assert "next-steps" not in open_page(client, "/").html


def test_a_researcher_sees_what_to_post_finish_and_answer(client, auth, world):
    auth.login(world["researcher"].email)
    section = _next_steps(client)
    links = _links(section)
    assert "/results/new" in links
    assert f"/results/{world['draft_result']}/edit" in links and "Half-written perovskite cell" in section
    assert f"/matches/{world['ids']['introduced']}" in links and "Cheaper grid storage" in section
    # answered already: nothing to do; a raw suggestion: never shown to posters
    assert f"/matches/{world['ids']['answered_by_researcher']}" not in links
    assert f"/matches/{world['ids']['suggested']}" not in links
    _assert_links_answer(client, section)


def test_an_enterprise_user_sees_their_needs_and_both_unanswered_introductions(client, auth, world):
    auth.login(world["enterprise"].email)
    section = _next_steps(client)
    links = _links(section)
    assert "/needs/new" in links and "/results/new" not in links
    assert f"/needs/{world['draft_need']}/edit" in links
    assert f"/matches/{world['ids']['introduced']}" in links and "Sodium battery anode" in section
    assert f"/matches/{world['ids']['suggested']}" not in links
    _assert_links_answer(client, section)


def test_a_poster_with_nothing_to_do_is_told_so(client, auth, make):
    auth.login(make.user("researcher").email)
    section = _next_steps(client)
    assert "No match is waiting for your answer." in section and "You have no drafts." in section
    assert _links(section) == ["/results/new"]


def test_a_poster_without_an_organisation_is_not_offered_a_form_that_refuses_them(app, client, auth, make):
    user = make.user("enterprise")
    with app.app_context():
        db.session.get(User, user.id).organisation_id = None
        db.session.commit()
    auth.login(user.email)
    section = _next_steps(client)
    assert "/needs/new" not in _links(section) and "not tied to an organisation" in section


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_see_the_open_suggestions_as_a_count_that_links_to_the_queue(client, auth, world, role):
    auth.login(world[role].email)
    section = _next_steps(client)
    assert "2 suggestions waiting for review" in section
    queue = open_page(client, "/review/").html
    assert len(re.findall(r'name="match_id"', queue)) == 2
    assert "/review/" in _links(section)
    assert ("/dashboard/" in _links(section)) == (role == "admin")
    _assert_links_answer(client, section)


def test_next_steps_in_traditional_chinese(client, auth, world):
    auth.login(world["researcher"].email)
    open_page(client, "/").form("/language").submit("繁體中文")
    section = _next_steps(client)
    assert "你的下一步" in section and "發佈研究成果" in section and "等候你回覆的配對" in section
