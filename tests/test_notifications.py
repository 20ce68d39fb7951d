"""Notifications in the app and by mail: the unread count, the outbox, the user's choice to get no mail."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, OutboxMail, User
from tests.test_pipeline import _publish_both, pair  # noqa: F401  (fixture)


def _approve(app, client, auth, pair):
    _publish_both(client, auth, pair)
    with app.app_context():
        match = db.session.scalar(sa.select(Match))
        match_id, version = match.id, match.version
    auth.login(pair["reviewer"].email)
    client.post(f"/matches/{match_id}/decision", data={"decision": "approve", "version": version})
    auth.logout()
    return match_id


def test_introduction_notifies_both_sides_in_the_app_and_by_mail(app, client, auth, pair, caplog):
    caplog.set_level(logging.INFO)
    match_id = _approve(app, client, auth, pair)
    assert f"Mail to {pair['researcher'].email}" in caplog.text  # no MAIL_SERVER: the log is the mailbox
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail)).all()
        assert {m.to_email for m in mails} == {pair["researcher"].email, pair["enterprise"].email}
        assert all(m.sent_at is not None for m in mails)
    auth.login(pair["researcher"].email)
    home = client.get("/").get_data(as_text=True)
    assert 'class="count-badge"' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "introduced" in page and f"/matches/{match_id}" in page
    client.post("/notifications/read")
    assert 'class="count-badge"' not in client.get("/").get_data(as_text=True)


def test_users_can_turn_mail_off(app, client, auth, pair):
    auth.login(pair["researcher"].email)
    client.post("/account/preferences", data={"locale": ""})  # the checkbox left unticked
    auth.logout()
    with app.app_context():
        assert db.session.get(User, pair["researcher"].id).email_notifications is False
    _approve(app, client, auth, pair)
    with app.app_context():
        recipients = set(db.session.scalars(sa.select(OutboxMail.to_email)))
    assert recipients == {pair["enterprise"].email}


def test_unreachable_smtp_keeps_the_mail_queued_with_the_error(app, client, auth, pair, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    _approve(app, client, auth, pair)  # the decision itself succeeds
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail)).all()
        assert mails and all(m.sent_at is None and m.attempts == 1 and m.last_error for m in mails)
        assert db.session.scalar(sa.select(Match.state)) == "introduced"
    app.config["MAIL_SERVER"] = None
    assert "Sent 2 mails." in runner.invoke(args=["mail", "send"]).output
