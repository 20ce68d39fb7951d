"""Who reads what was written on a match: a reviewer's internal note stays with reviewers and admins; a
message to the two sides reaches both. Every role × every event's note and message, on the match page and
in the API, before the second answer and once the match is agreed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent, ResearchResult
from matchmaker.services import matching
from tests.forms import open_page
from tests.test_api_support import ApiClient, sign_in
from tests.test_pipeline import NEED, RESULT

ROLES = ("researcher", "enterprise", "reviewer", "admin", "other_researcher", "other_enterprise")
STAFF = ("reviewer", "admin")
PARTIES = ("researcher", "enterprise")

# What each event carries, by the stage the story has reached when the roles look.
INTRODUCED = {"approve": ("APPROVE-NOTE", "APPROVE-MESSAGE"), "need_interested": (None, "NEED-ANSWER-MESSAGE")}
AGREED = {**INTRODUCED, "result_interested": (None, "RESULT-ANSWER-MESSAGE"),
          "agree": ("OUTCOME-NOTE", "OUTCOME-MESSAGE")}
REJECT_NOTE = "REJECT-NOTE"


@pytest.fixture
def people(make):
    acme = make.company("ACME Ltd")
    return {"researcher": make.user("researcher"), "enterprise": make.user("enterprise", organisation_id=acme),
            "reviewer": make.user("reviewer"), "admin": make.user("admin"),
            "other_researcher": make.user("researcher"), "other_enterprise": make.user("enterprise")}


def _suggest(app, make, people) -> tuple[int, int]:
    """Two suggestions for one need: the one the story introduces, and one the reviewer rejects."""
    kept = make.result(people["researcher"], **RESULT)
    dropped = make.result(people["researcher"], **{**RESULT, "title": "Graphite sheet for tablets"})
    make.need(people["enterprise"], **NEED)
    with app.app_context():
        for result_id in (kept, dropped):
            matching.refresh_suggestions(db.session.get(ResearchResult, result_id))
        ids = {m.result_id: m.id for m in db.session.scalars(sa.select(Match))}
    return ids[kept], ids[dropped]


def _as(auth, people, role):
    auth.logout()
    auth.login(people[role].email)


def _tell(client, match_id: int, form_action: str, button: str, choose: dict, **fields):
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/{form_action}")
    for name, value in choose.items():
        form.choose(name, value)
    response = form.fill(**fields).submit(button)
    assert response.status_code == 302, response.get_data(as_text=True)


def _story(app, client, auth, make, people, stage: str) -> tuple[int, int]:
    """Everything written through the forms a browser shows, as each person would."""
    match_id, rejected_id = _suggest(app, make, people)
    _as(auth, people, "reviewer")
    _tell(client, match_id, "decision", "Save decision", {"decision": "approve"},
          message="APPROVE-MESSAGE", note="APPROVE-NOTE")
    _tell(client, rejected_id, "decision", "Save decision", {"decision": "reject"},
          reason="off_topic", note=REJECT_NOTE)
    _as(auth, people, "enterprise")
    _tell(client, match_id, "response", "Send answer", {"answer": "interested"}, message="NEED-ANSWER-MESSAGE")
    if stage == "agreed":
        _as(auth, people, "researcher")
        _tell(client, match_id, "response", "Send answer", {"answer": "interested"},
              message="RESULT-ANSWER-MESSAGE")
        _as(auth, people, "admin")
        _tell(client, match_id, "outcome", "Record the outcome", {"outcome": "agree"},
              deal_kind="licence", message="OUTCOME-MESSAGE", note="OUTCOME-NOTE")
    auth.logout()
    return match_id, rejected_id


def _all_texts(events: dict) -> tuple[set, set]:
    notes = {note for note, _ in events.values() if note}
    messages = {message for _, message in events.values() if message}
    return notes, messages


@pytest.mark.parametrize("stage", ["introduced", "agreed"])
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_messages_and_only_staff_the_notes(app, client, auth, make, people, role, stage):
    match_id, rejected_id = _story(app, client, auth, make, people, stage)
    events = INTRODUCED if stage == "introduced" else AGREED
    notes, messages = _all_texts(events)
    api = ApiClient(app, sign_in(app, people[role].email))
    auth.login(people[role].email)

    page = client.get(f"/matches/{match_id}")
    detail = api.get(f"/matches/{match_id}")
    rejected_page, rejected_detail = client.get(f"/matches/{rejected_id}"), api.get(f"/matches/{rejected_id}")
    if role.startswith("other_"):
        for response in (page, detail, rejected_page, rejected_detail):
            assert response.status_code == 404
            body = response.get_data(as_text=True)
            assert not [text for text in (*notes, *messages, REJECT_NOTE) if text in body]
        return

    html, body = page.get_data(as_text=True), detail.get_json()
    assert page.status_code == detail.status_code == 200
    for text in messages:
        assert text in html, f"{role} should read the message {text!r} on the match page"
    by_action = {event["action"]: event for event in body["events"]}
    for action, (note, message) in events.items():
        assert by_action[action]["message"] == message, (role, action)
        assert by_action[action]["note"] == (note if role in STAFF else None), (role, action)
    if role in STAFF:
        for text in notes:
            assert text in html, f"{role} should read the internal note {text!r}"
        assert body["decision_note"] == "APPROVE-NOTE"
        assert rejected_page.status_code == rejected_detail.status_code == 200
        assert REJECT_NOTE in rejected_page.get_data(as_text=True)
        [reject] = [e for e in rejected_detail.get_json()["events"] if e["action"] == "reject"]
        assert reject["note"] == REJECT_NOTE and reject["message"] is None
    else:
        leaked = [text for text in notes if text in html or text in json.dumps(body)]
        assert not leaked, f"{role} reads internal notes {leaked}"
        assert body["decision_note"] is None
        assert rejected_page.status_code == rejected_detail.status_code == 404


def test_the_review_form_says_who_reads_each_text(app, client, auth, make, people):
    match_id, _ = _suggest(app, make, people)
    auth.login(people["reviewer"].email)
    page = open_page(client, f"/matches/{match_id}")
    form = page.form(action=f"/matches/{match_id}/decision")
    assert {"message", "note"} <= set(form.names())
    assert "Message to both sides (they will see this)" in page.html
    assert "Internal note (reviewers and admins only)" in page.html
    client.get("/?lang=zh-HK")
    page = open_page(client, f"/matches/{match_id}")
    assert "內部備註（只限審核員及管理員）" in page.html and "給雙方的留言（雙方都會看到）" in page.html


def test_a_side_records_an_outcome_without_an_internal_note(app, client, auth, make, people):
    match_id, _ = _story(app, client, auth, make, people, "introduced")
    auth.login(people["researcher"].email)
    _tell(client, match_id, "response", "Send answer", {"answer": "interested"}, message="")
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/outcome")
    assert "note" not in form.names()  # all a side writes is read by the other side
    form.choose("outcome", "close")
    refused = form.submit("Record the outcome")
    assert refused.status_code == 400 and "Say why the match is closed." in refused.get_data(as_text=True)
    form.fill(message="We chose another supplier").submit("Record the outcome")
    auth.logout()
    auth.login(people["enterprise"].email)
    assert "We chose another supplier" in client.get(f"/matches/{match_id}").get_data(as_text=True)


def test_the_api_keeps_the_note_internal_and_delivers_the_message(app, make, people):
    match_id, rejected_id = _suggest(app, make, people)
    clients = {role: ApiClient(app, sign_in(app, people[role].email)) for role in (*PARTIES, "reviewer")}
    version = clients["reviewer"].get(f"/matches/{match_id}").get_json()["version"]
    decided = clients["reviewer"].post(f"/matches/{match_id}/decision", json={
        "decision": "approve", "version": version, "note": "API-NOTE", "message": "API-MESSAGE"})
    assert decided.status_code == 200
    [approve] = [e for e in decided.get_json()["events"] if e["action"] == "approve"]
    assert (approve["note"], approve["message"]) == ("API-NOTE", "API-MESSAGE")
    for role in PARTIES:
        body = clients[role].get(f"/matches/{match_id}").get_json()
        [approve] = [e for e in body["events"] if e["action"] == "approve"]
        assert approve["message"] == "API-MESSAGE" and approve["note"] is None
        assert "API-NOTE" not in json.dumps(body)

    version = clients["reviewer"].get(f"/matches/{rejected_id}").get_json()["version"]
    refused = clients["reviewer"].post(f"/matches/{rejected_id}/decision", json={
        "decision": "reject", "reason": "off_topic", "version": version, "message": "nobody reads this"})
    assert refused.status_code == 422 and refused.get_json()["field"] == "message"
    with app.app_context():
        assert db.session.get(Match, rejected_id).state == "suggested"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchEvent)
                                 .where(MatchEvent.match_id == rejected_id, MatchEvent.action == "reject")) == 0


def test_the_migration_moves_what_the_sides_wrote_out_of_the_internal_note(tmp_path):
    """Old rows: one `note` for everything. The sides' answers and outcomes become messages; a reviewer's
    note, on an introduction or an outcome, stays internal. (SQLite with its foreign keys off, so the rows
    need no postings behind them: the statements are the same on PostgreSQL, run by test_migrations.)"""
    from tests.test_migrations import flask_db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    flask_db(url, tmp_path, "upgrade", "cf71ac886865")
    engine = sa.create_engine(url)
    rows = [("approve", 1, "reviewer's own"), ("result_interested", 2, "from the researcher"),
            ("need_declined", 3, "from the company"), ("agree", 2, "the researcher's outcome"),
            ("close", 1, "the reviewer's outcome"), ("suggest", None, "")]
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # the app turns them on for every connection
        for user_id, role in ((1, "reviewer"), (2, "researcher"), (3, "enterprise")):
            connection.execute(sa.text(
                "INSERT INTO users (id, email, password_hash, display_name, role, active, email_notifications,"
                " session_token, created_at) VALUES (:id, :email, 'x', 'x', :role, 1, 1, :email, '2026-01-01')"),
                {"id": user_id, "email": f"u{user_id}@example.test", "role": role})
        for action, actor, note in rows:
            connection.execute(sa.text(
                "INSERT INTO match_events (match_id, actor_id, to_state, action, note, created_at)"
                " VALUES (1, :actor, 'introduced', :action, :note, '2026-01-01')"),
                {"actor": actor, "action": action, "note": note})
        connection.commit()
    engine.dispose()
    flask_db(url, tmp_path, "upgrade")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        after = {row.action: (row.note, row.message) for row in connection.execute(
            sa.text("SELECT action, note, message FROM match_events"))}
    engine.dispose()
    assert after == {"approve": ("reviewer's own", None), "result_interested": ("", "from the researcher"),
                     "need_declined": ("", "from the company"), "agree": ("", "the researcher's outcome"),
                     "close": ("the reviewer's outcome", None), "suggest": ("", None)}
