"""The match pipeline through HTTP: suggestion on publish → review → answers → connected → outcome."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent, Notification, OutboxMail
from tests.conftest import PASSWORD, AuthActions
from tests.factories import Made
from tests.forms import open_page, submit

RESULT = dict(title="Graphene thermal film for smartphones", summary="A graphene film that spreads heat "
              "in 5G phones three times better than graphite sheets.", keywords=["graphene", "thermal film"])
NEED = dict(title="Heat spreading film for 5G phones", description="Our phones overheat; we need a thin "
            "graphene thermal film to spread heat from the chip.", keywords=["graphene", "heat spreader"])


@pytest.fixture
def pair(make):
    """A researcher and an enterprise user, each with one published posting that should match."""
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    reviewer, other_reviewer = make.user("reviewer"), make.user("reviewer")
    result_id = make.result(researcher, status="draft", **RESULT)
    need_id = make.need(enterprise, status="draft", **NEED)
    return dict(researcher=researcher, enterprise=enterprise, reviewer=reviewer, other_reviewer=other_reviewer,
                result_id=result_id, need_id=need_id)


def _match(app, **where):
    with app.app_context():
        match = db.session.scalar(sa.select(Match).filter_by(**where))
        return None if match is None else {"id": match.id, "state": match.state, "version": match.version,
                                           "explanation": match.explanation, "rank": match.rank}


def _press_publish(client, path: str):
    """The owner presses the posting page's one publish button, in whatever language the page speaks."""
    response = open_page(client, path).form(action=f"{path}/publish").submit()
    assert response.status_code == 302 and response.headers["Location"] == path
    return response


def _decide(client, match_id: int, **fields):
    return submit(client, f"/matches/{match_id}", fields, button="Save decision")


def _answer(client, match_id: int, **fields):
    return submit(client, f"/matches/{match_id}", fields, button="Send answer")


def _outcome(client, match_id: int, **fields):
    return submit(client, f"/matches/{match_id}", fields, button="Record the outcome")


def _publish_both(client, auth, pair):
    auth.login(pair["researcher"].email)
    _press_publish(client, f"/results/{pair['result_id']}")
    auth.logout()
    auth.login(pair["enterprise"].email)
    _press_publish(client, f"/needs/{pair['need_id']}")
    auth.logout()


def test_publishing_creates_a_suggestion_with_an_explanation(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"], need_id=pair["need_id"])
    assert match["state"] == "suggested" and match["rank"] == 1
    features = {item["feature"] for item in match["explanation"]}
    assert any("graphen" in feature for feature in features)
    with app.app_context():
        events = db.session.scalars(sa.select(MatchEvent).where(MatchEvent.match_id == match["id"])).all()
        assert [(e.from_state, e.to_state) for e in events] == [(None, "suggested")]


def test_posters_never_see_a_raw_suggestion(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"])
    for who in ("researcher", "enterprise"):
        auth.login(pair[who].email)
        assert client.get(f"/matches/{match['id']}").status_code == 404
        assert pair_title_absent(client.get("/my/matches").get_data(as_text=True))
        auth.logout()


def pair_title_absent(page: str) -> bool:
    return "Heat spreading film" not in page and "Graphene thermal film" not in page


def test_full_pipeline_to_agreement(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"])
    auth.login(pair["reviewer"].email)
    page = client.get(f"/matches/{match['id']}").get_data(as_text=True)
    assert "<mark>" in page and "graphene" in page.lower()
    response = _decide(client, match["id"], decision="approve", note="good fit")
    assert response.status_code == 302
    auth.logout()

    auth.login(pair["researcher"].email)
    assert "Heat spreading film" in client.get("/my/matches").get_data(as_text=True)
    page = client.get(f"/matches/{match['id']}").get_data(as_text=True)
    assert pair["enterprise"].email not in page  # contacts only once connected
    _answer(client, match["id"], answer="interested", message="Keen")
    auth.logout()

    auth.login(pair["enterprise"].email)
    _answer(client, match["id"], answer="interested", message="Yes")
    page = client.get(f"/matches/{match['id']}").get_data(as_text=True)
    assert pair["researcher"].email in page  # the other side's contact, shown once connected
    assert _match(app, id=match["id"])["state"] == "connected"
    response = _outcome(client, match["id"], outcome="agree", deal_kind="licence")
    assert response.status_code == 302
    auth.logout()

    with app.app_context():
        events = db.session.scalars(sa.select(MatchEvent).where(MatchEvent.match_id == match["id"])
                                    .order_by(MatchEvent.id)).all()
        assert [e.to_state for e in events] == ["suggested", "introduced", "introduced", "connected", "agreed"]
        kinds = sorted(n.kind for n in db.session.scalars(sa.select(Notification)))
        assert kinds.count("introduced") == 2 and kinds.count("connected") == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) >= 4


def test_reject_needs_a_reason_and_keeps_the_match(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"])
    auth.login(pair["reviewer"].email)
    response = _decide(client, match["id"], decision="reject")
    assert response.status_code == 400 and "Choose a reason" in response.get_data(as_text=True)
    assert _match(app, id=match["id"])["state"] == "suggested"
    _decide(client, match["id"], decision="reject", reason="off_topic")
    assert _match(app, id=match["id"])["state"] == "rejected"


def test_second_reviewer_with_a_stale_version_is_told_who_decided(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"])
    other = app.test_client()  # the second reviewer opens the match while it is still a suggestion
    AuthActions(other).login(pair["other_reviewer"].email)
    stale_form = open_page(other, f"/matches/{match['id']}").form(button="Save decision")
    auth.login(pair["reviewer"].email)
    _decide(client, match["id"], decision="approve")
    response = stale_form.choose("decision", "reject").set("reason", "duplicate").submit("Save decision")
    assert response.status_code == 409
    assert "reviewer user" in response.get_data(as_text=True)
    assert _match(app, id=match["id"])["state"] == "introduced"


def test_archiving_withdraws_open_matches(app, client, auth, pair):
    _publish_both(client, auth, pair)
    auth.login(pair["researcher"].email)
    path = f"/results/{pair['result_id']}"
    open_page(client, f"{path}/archive").form(action=f"{path}/archive").submit("Archive")
    assert _match(app, result_id=pair["result_id"])["state"] == "withdrawn"


def test_no_suggestion_within_one_organisation(app, client, auth, make):
    company = make.company()
    enterprise = make.user("enterprise", organisation_id=company)
    researcher = make.user("researcher")
    with app.app_context():  # a researcher account attached to the same company
        from matchmaker.models import User

        db.session.get(User, researcher.id).organisation_id = company
        db.session.commit()
    make.result(Made(researcher.id, researcher.email, company), **RESULT)
    need_id = make.need(enterprise, status="draft", **NEED)
    auth.login(enterprise.email)
    _press_publish(client, f"/needs/{need_id}")
    assert _match(app, need_id=need_id) is None


def test_queue_lists_suggestions_best_first_and_bulk_approves(app, client, auth, pair, make):
    _publish_both(client, auth, pair)
    auth.login(pair["reviewer"].email)
    match = _match(app, result_id=pair["result_id"], need_id=pair["need_id"])
    form = open_page(client, "/review/?sector=materials&min_score=1").form("/review/bulk")
    response = form.check("match_id", str(match["id"])).submit("Introduce selected")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/review/?sector=materials&min_score=1")  # filters kept
    assert _match(app, id=match["id"])["state"] == "introduced"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Introduced: {RESULT['title']} ↔ {NEED['title']}" in page


def test_bulk_reject_needs_a_reason_and_then_rejects_through_the_rendered_form(app, client, auth, pair):
    _publish_both(client, auth, pair)
    auth.login(pair["reviewer"].email)
    match = _match(app, result_id=pair["result_id"])
    form = open_page(client, "/review/").form("/review/bulk").check("match_id", str(match["id"]))
    response = form.submit("Reject selected")
    assert _match(app, id=match["id"])["state"] == "suggested"
    assert "Choose a reason for rejecting." in client.get(response.headers["Location"]).get_data(as_text=True)
    form = open_page(client, "/review/").form("/review/bulk").check("match_id", str(match["id"]))
    response = form.set("reason", "off_topic").submit("Reject selected")
    assert _match(app, id=match["id"])["state"] == "rejected"
    assert "Rejected: " in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_reports_a_stale_suggestion_as_skipped_and_decides_the_rest(app, client, auth, pair, make):
    other_need = make.need(make.user("enterprise"), title="Graphene film to cool 5G handsets",
                           description=NEED["description"], keywords=["graphene", "thermal film"])
    _publish_both(client, auth, pair)
    stale = _match(app, result_id=pair["result_id"], need_id=pair["need_id"])
    fresh = _match(app, result_id=pair["result_id"], need_id=other_need)
    assert stale and fresh
    auth.login(pair["reviewer"].email)
    form = open_page(client, "/review/").form("/review/bulk")
    form.check("match_id", str(stale["id"])).check("match_id", str(fresh["id"]))
    other = app.test_client()  # a second reviewer decides one of them while the first one's page is open
    submit(other, "/login", {"email": pair["other_reviewer"].email, "password": PASSWORD}, action="/login")
    submit(other, f"/matches/{stale['id']}", {"decision": "approve"}, button="Save decision")
    response = form.submit("Introduce selected")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _match(app, id=fresh["id"])["state"] == "introduced"
    assert f"Skipped: {RESULT['title']} ↔ {NEED['title']}. This match was already handled" in page
    assert f"Introduced: {RESULT['title']} ↔ Graphene film to cool 5G handsets" in page


def test_bulk_messages_speak_the_reviewers_language(app, client, auth, pair):
    _publish_both(client, auth, pair)
    auth.login(pair["reviewer"].email)
    client.get("/review/?lang=zh_Hans_CN")
    match = _match(app, result_id=pair["result_id"])
    response = open_page(client, "/review/").form("/review/bulk").check("match_id", str(match["id"])).submit(
        "引荐所选配对")
    assert "已引荐：" in client.get(response.headers["Location"]).get_data(as_text=True)


def _introduced(app, client, auth, pair) -> int:
    _publish_both(client, auth, pair)
    match = _match(app, result_id=pair["result_id"])
    auth.login(pair["reviewer"].email)
    _decide(client, match["id"], decision="approve")
    auth.logout()
    return match["id"]


def test_a_decline_closes_the_match_and_tells_the_other_side(app, client, auth, pair):
    match_id = _introduced(app, client, auth, pair)
    auth.login(pair["enterprise"].email)
    second_tab = open_page(client, f"/matches/{match_id}").form(button="Send answer")
    response = _answer(client, match_id, answer="declined", message="Too early")
    assert response.status_code == 302
    assert _match(app, id=match_id)["state"] == "closed"
    assert second_tab.choose("answer", "interested").submit("Send answer").status_code == 409
    auth.logout()
    auth.login(pair["researcher"].email)
    assert "declined" in client.get("/notifications").get_data(as_text=True)


def test_a_connected_match_closes_only_with_a_reason(app, client, auth, pair):
    match_id = _introduced(app, client, auth, pair)
    for who in ("researcher", "enterprise"):
        auth.login(pair[who].email)
        _answer(client, match_id, answer="interested")
        auth.logout()
    auth.login(pair["reviewer"].email)
    response = _outcome(client, match_id, outcome="close", note="")
    assert response.status_code == 400 and _match(app, id=match_id)["state"] == "connected"
    response = _outcome(client, match_id, outcome="close", note="Budget cut")
    assert response.status_code == 302 and _match(app, id=match_id)["state"] == "closed"
    page = client.get(f"/matches/{match_id}").get_data(as_text=True)
    assert "Budget cut" in page
