"""The match pipeline through the API alone, as a script would drive it: two posters publish, the reviewer
finds the suggestion and introduces it, both answer interested → connected. Plus the rules on the way:
posters never see a raw suggestion, a stale decision is 409 naming who decided, answers are one each."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent
from tests.test_api_support import NEED, RESULT, Cast, build_cast


@pytest.fixture
def cast(app, make) -> Cast:
    return build_cast(app, make)


def _post_and_publish(cast: Cast) -> tuple[int, int]:
    """The researcher and the enterprise user each post and publish, through the API."""
    ids = []
    for role, path, body in (("researcher", "/results", RESULT), ("enterprise", "/needs", NEED)):
        created = cast[role].post(path, json=body)
        assert created.status_code == 201, created.get_data(as_text=True)
        assert created.get_json()["status"] == "draft"
        published = cast[role].post(f"{path}/{created.get_json()['id']}/publish")
        assert published.status_code == 200 and published.get_json()["status"] == "published"
        ids.append(created.get_json()["id"])
    return ids[0], ids[1]


def _suggestion(cast: Cast, result_id: int, need_id: int) -> dict:
    listed = cast["reviewer"].get("/matches", query_string={"state": "suggested", "need_id": need_id})
    assert listed.status_code == 200
    [match] = [m for m in listed.get_json()["items"] if m["result_id"] == result_id]
    return match


def test_walkthrough_post_review_answer_connect(app, cast):
    result_id, need_id = _post_and_publish(cast)
    match = _suggestion(cast, result_id, need_id)
    assert match["state"] == "suggested" and match["score"] > 0 and match["rank"] >= 1

    detail = cast["reviewer"].get(f"/matches/{match['id']}").get_json()
    assert any("graphen" in item["feature"] for item in detail["explanation"])
    assert [e["to_state"] for e in detail["events"]] == ["suggested"]

    decided = cast["reviewer"].post(f"/matches/{match['id']}/decision",
                                    json={"decision": "approve", "version": match["version"], "note": "fit"})
    assert decided.status_code == 200 and decided.get_json()["state"] == "introduced"

    first = cast["researcher"].post(f"/matches/{match['id']}/response", json={"answer": "interested"})
    assert first.status_code == 200 and first.get_json()["state"] == "introduced"
    assert first.get_json()["contacts"] is None
    second = cast["enterprise"].post(f"/matches/{match['id']}/response",
                                     json={"answer": "interested", "message": "Let us talk"})
    body = second.get_json()
    assert second.status_code == 200 and body["state"] == "connected"
    assert body["contacts"]["need"]["email"] == cast.users["enterprise"].email
    assert [e["to_state"] for e in body["events"]] == ["introduced", "introduced", "connected"]

    notes = cast["researcher"].get("/notifications").get_json()
    assert {"introduced", "connected"} <= {n["kind"] for n in notes["items"]}
    assert notes["unread"] == len(notes["items"])
    with app.app_context():
        events = db.session.scalars(sa.select(MatchEvent).where(MatchEvent.match_id == match["id"])).all()
        assert [e.to_state for e in events] == ["suggested", "introduced", "introduced", "connected"]


def test_posters_never_see_a_raw_suggestion(cast):
    result_id, need_id = _post_and_publish(cast)
    match = _suggestion(cast, result_id, need_id)
    for role in ("researcher", "enterprise", "other"):
        assert cast[role].get(f"/matches/{match['id']}").status_code == 404
        assert cast[role].get("/matches").get_json()["items"] == []
        assert cast[role].get("/matches?state=suggested").get_json()["total"] == 0
    cast["reviewer"].post(f"/matches/{match['id']}/decision",
                          json={"decision": "approve", "version": match["version"]})
    for role in ("researcher", "enterprise"):
        listed = cast[role].get("/matches").get_json()["items"]
        assert [m["id"] for m in listed] == [match["id"]]
        history = cast[role].get(f"/matches/{match['id']}").get_json()["events"]
        assert "suggested" not in [e["to_state"] for e in history]
    assert cast["other"].get(f"/matches/{match['id']}").status_code == 404


def test_a_stale_decision_is_409_and_names_who_decided(app, make, cast):
    result_id, need_id = _post_and_publish(cast)
    match = _suggestion(cast, result_id, need_id)
    other_reviewer = build_cast(app, make)["reviewer"]
    won = cast["reviewer"].post(f"/matches/{match['id']}/decision",
                                json={"decision": "approve", "version": match["version"]})
    assert won.status_code == 200
    stale = {"decision": "reject", "reason": "off_topic", "version": match["version"]}
    lost = other_reviewer.post(f"/matches/{match['id']}/decision", json=stale)
    assert lost.status_code == 409
    assert "reviewer user" in lost.get_json()["message"]
    with app.app_context():
        assert db.session.get(Match, match["id"]).state == "introduced"


def test_decision_and_response_rules(cast):
    result_id, need_id = _post_and_publish(cast)
    match = _suggestion(cast, result_id, need_id)
    path = f"/matches/{match['id']}"
    refused = cast["researcher"].post(f"{path}/decision", json={"decision": "approve", "version": 1})
    assert refused.status_code == 403
    no_reason = cast["reviewer"].post(f"{path}/decision",
                                      json={"decision": "reject", "version": match["version"]})
    assert no_reason.status_code == 422 and no_reason.get_json()["field"] == "reason"
    no_version = cast["reviewer"].post(f"{path}/decision", json={"decision": "approve"})
    assert no_version.status_code == 422 and no_version.get_json()["field"] == "version"
    assert cast["researcher"].post(f"{path}/response", json={"answer": "interested"}).status_code == 404
    cast["reviewer"].post(f"{path}/decision", json={"decision": "approve", "version": match["version"]})
    assert cast["reviewer"].post(f"{path}/response", json={"answer": "interested"}).status_code == 403
    maybe = cast["researcher"].post(f"{path}/response", json={"answer": "maybe"})
    assert maybe.status_code == 422 and maybe.get_json()["field"] == "answer"
    assert cast["researcher"].post(f"{path}/response", json={"answer": "declined"}).status_code == 200
    assert cast["researcher"].post(f"{path}/response", json={"answer": "interested"}).status_code == 409


def test_archiving_through_the_api_withdraws_open_matches(app, cast):
    result_id, need_id = _post_and_publish(cast)
    match = _suggestion(cast, result_id, need_id)
    assert cast["enterprise"].delete(f"/needs/{need_id}").get_json()["status"] == "archived"
    assert cast["reviewer"].get(f"/matches/{match['id']}").get_json()["state"] == "withdrawn"
    assert cast["enterprise"].get(f"/needs/{need_id}").status_code == 200  # kept, for its owner


def test_a_hidden_need_keeps_the_explanation_from_the_result_side(app, cast):
    created = cast["enterprise"].post("/needs", json={**NEED, "confidential": True})
    need_id = created.get_json()["id"]
    cast["enterprise"].post(f"/needs/{need_id}/publish")
    result = cast["researcher"].post("/results", json=RESULT).get_json()
    cast["researcher"].post(f"/results/{result['id']}/publish")
    match = _suggestion(cast, result["id"], need_id)
    cast["reviewer"].post(f"/matches/{match['id']}/decision", json={"decision": "approve",
                                                                    "version": match["version"]})
    seen_by_result = cast["researcher"].get(f"/matches/{match['id']}").get_json()
    assert seen_by_result["explanation"] is None and seen_by_result["contacts"] is None
    assert cast["enterprise"].get(f"/matches/{match['id']}").get_json()["explanation"]


@pytest.mark.parametrize("match_id", [999999, 2**31, 10**21])
def test_unknown_or_out_of_range_match_ids_are_404(cast, match_id):
    assert cast["reviewer"].get(f"/matches/{match_id}").status_code == 404
    response = cast["researcher"].post(f"/matches/{match_id}/response", json={"answer": "interested"})
    assert response.status_code == 404 and response.is_json
