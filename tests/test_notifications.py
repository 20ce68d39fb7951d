"""Notifications in the app and by mail: one message per event a person cares about, a subject saying what
happened, a link to the match; outcomes are told; opening a match reads its notifications; without an SMTP
server mail is printed on the console and marked logged, never sent."""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, Notification, Organisation, OutboxMail, User
from tests.forms import open_page
from tests.test_pipeline import NEED, RESULT, _press_publish, _publish_both, pair  # noqa: F401  (fixture)

THE_PAIR = f"{RESULT['title']} ↔ {NEED['title']}"  # as the researcher reads it: their own posting first
THE_PAIR_FOR_THE_ENTERPRISE = f"{NEED['title']} ↔ {RESULT['title']}"


def _match_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Match.id).order_by(Match.id)))


def _introduce(client, auth, reviewer, match_id: int) -> None:
    auth.login(reviewer.email)
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/decision")
    assert form.choose("decision", "approve").submit("Save decision").status_code == 302
    auth.logout()


def _introduced(app, client, auth, pair) -> int:
    _publish_both(client, auth, pair)
    match_id = _match_ids(app)[0]
    _introduce(client, auth, pair["reviewer"], match_id)
    return match_id


def _answer(client, auth, user, match_id: int, answer: str) -> None:
    auth.login(user.email)
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/response")
    assert form.choose("answer", answer).fill(message="Let us talk").submit("Send answer").status_code == 302
    auth.logout()


def _record_outcome(client, auth, user, match_id: int, outcome: str, **fields) -> None:
    auth.login(user.email)
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/outcome")
    form.choose("outcome", outcome).fill(**fields)
    assert form.submit("Record the outcome").status_code == 302
    auth.logout()


def _connected(app, client, auth, pair) -> int:
    match_id = _introduced(app, client, auth, pair)
    _answer(client, auth, pair["researcher"], match_id, "interested")
    _answer(client, auth, pair["enterprise"], match_id, "interested")
    return match_id


def _mails(app, after: int = 0) -> list[dict]:
    with app.app_context():
        return [{"id": m.id, "to": m.to_email, "subject": m.subject, "body": m.body, "status": m.status}
                for m in db.session.scalars(sa.select(OutboxMail).where(OutboxMail.id > after)
                                            .order_by(OutboxMail.id))]


def _last_mail_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(OutboxMail.id))) or 0


def _organisation_name(app, user) -> str:
    with app.app_context():
        return db.session.get(Organisation, user.organisation_id).display_name("en")


def test_introduction_notifies_both_sides_in_the_app_and_by_mail(app, client, auth, pair):
    match_id = _introduced(app, client, auth, pair)
    mails = _mails(app)
    assert sorted(m["to"] for m in mails) == sorted([pair["researcher"].email, pair["enterprise"].email])
    assert {m["to"]: m["subject"] for m in mails} == {
        pair["researcher"].email: f"Introduced: {THE_PAIR}",
        pair["enterprise"].email: f"Introduced: {THE_PAIR_FOR_THE_ENTERPRISE}"}
    auth.login(pair["researcher"].email)
    assert 'class="count-badge"' in client.get("/").get_data(as_text=True)
    page = client.get("/notifications").get_data(as_text=True)
    assert "introduced" in page and f"/matches/{match_id}" in page
    open_page(client, "/notifications").form(action="/notifications/read").submit()
    assert 'class="count-badge"' not in client.get("/").get_data(as_text=True)


def test_mail_links_to_the_match_at_the_public_address(app, client, auth, pair):
    app.config["PUBLIC_BASE_URL"] = "https://matchmaker.example.org/"
    match_id = _introduced(app, client, auth, pair)
    for mail in _mails(app):
        assert f"https://matchmaker.example.org/matches/{match_id}\n" in mail["body"]


def test_the_development_default_links_to_the_local_server(app):
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_the_answer_that_connects_sends_each_side_one_mail_saying_they_are_connected(app, client, auth, pair):
    match_id = _introduced(app, client, auth, pair)
    before = _last_mail_id(app)
    _answer(client, auth, pair["researcher"], match_id, "interested")
    first = _mails(app, after=before)
    assert [(m["to"], m["subject"]) for m in first] == [
        (pair["enterprise"].email, f"The other side is interested: {THE_PAIR_FOR_THE_ENTERPRISE}")]

    _answer(client, auth, pair["enterprise"], match_id, "interested")
    second = _mails(app, after=first[-1]["id"])
    assert sorted((m["to"], m["subject"]) for m in second) == sorted([
        (pair["researcher"].email,
         f"You are connected with {_organisation_name(app, pair['enterprise'])}: {THE_PAIR}"),
        (pair["enterprise"].email,
         f"You are connected with {_organisation_name(app, pair['researcher'])}: {THE_PAIR_FOR_THE_ENTERPRISE}"),
    ])
    with app.app_context():
        told_researcher = db.session.scalars(sa.select(Notification.kind).where(
            Notification.user_id == pair["researcher"].id).order_by(Notification.id)).all()
    assert told_researcher == ["introduced", "connected"]  # not also "the other side is interested"


def test_a_decline_tells_the_other_side_once(app, client, auth, pair):
    match_id = _introduced(app, client, auth, pair)
    before = _last_mail_id(app)
    _answer(client, auth, pair["enterprise"], match_id, "declined")
    assert [(m["to"], m["subject"]) for m in _mails(app, after=before)] == [
        (pair["researcher"].email, f"The other side declined: {THE_PAIR}")]


def test_an_agreement_tells_the_other_side_and_the_introducing_reviewer(app, client, auth, pair):
    match_id = _connected(app, client, auth, pair)
    before = _last_mail_id(app)
    _record_outcome(client, auth, pair["enterprise"], match_id, "agree", deal_kind="licence")
    mails = _mails(app, after=before)
    assert sorted((m["to"], m["subject"]) for m in mails) == sorted([
        (pair["researcher"].email, f"Match marked agreed: {THE_PAIR}"),
        (pair["reviewer"].email, f"Match marked agreed: {THE_PAIR}")])
    assert all(f"/matches/{match_id}\n" in m["body"] for m in mails)
    auth.login(pair["researcher"].email)
    page = client.get("/notifications").get_data(as_text=True)
    assert f"enterprise user marked “{RESULT['title']}” ↔ “{NEED['title']}” as agreed." in page
    page = client.get("/notifications?lang=zh-HK").get_data(as_text=True)
    assert f"enterprise user 已將「{RESULT['title']}」↔「{NEED['title']}」標記為已達成協議。" in page


def test_closing_by_another_reviewer_tells_both_sides_and_the_one_who_introduced_them(app, client, auth, pair):
    match_id = _connected(app, client, auth, pair)
    before = _last_mail_id(app)
    _record_outcome(client, auth, pair["other_reviewer"], match_id, "close", note="No budget this year")
    mails = _mails(app, after=before)
    assert sorted((m["to"], m["subject"]) for m in mails) == sorted([
        (pair["researcher"].email, f"Match closed without an agreement: {THE_PAIR}"),
        (pair["enterprise"].email, f"Match closed without an agreement: {THE_PAIR_FOR_THE_ENTERPRISE}"),
        (pair["reviewer"].email, f"Match closed without an agreement: {THE_PAIR}")])
    assert all("No budget" not in m["body"] for m in mails)  # the reason stays on the match page


def test_mail_speaks_the_recipients_language(app, client, auth, pair):
    auth.login(pair["researcher"].email)
    form = open_page(client, "/account").form(action="/account/preferences")
    form.set("locale", "zh_Hant_HK").submit()
    auth.logout()
    match_id = _introduced(app, client, auth, pair)
    (researcher_mail,) = [m for m in _mails(app) if m["to"] == pair["researcher"].email]
    assert researcher_mail["subject"] == f"已引薦：{THE_PAIR}"
    assert f"查看配對：http://127.0.0.1:5000/matches/{match_id}" in researcher_mail["body"]
    (enterprise_mail,) = [m for m in _mails(app) if m["to"] == pair["enterprise"].email]
    assert enterprise_mail["subject"].startswith("Introduced: ")


def test_long_titles_are_shortened_in_the_subject(app, client, auth, make):
    researcher, enterprise, reviewer = make.user("researcher"), make.user("enterprise"), make.user("reviewer")
    result_title = ((RESULT["title"] + " ") * 6)[:200].strip()  # the longest titles a posting takes
    need_title = ((NEED["title"] + " ") * 6)[:200].strip()
    result_id = make.result(researcher, status="draft", **{**RESULT, "title": result_title})
    need_id = make.need(enterprise, status="draft", **{**NEED, "title": need_title})
    _publish_both(client, auth, dict(researcher=researcher, enterprise=enterprise, result_id=result_id,
                                     need_id=need_id))
    _introduce(client, auth, reviewer, _match_ids(app)[0])
    subjects = {m["to"]: m["subject"] for m in _mails(app)}
    assert subjects[researcher.email].startswith(f"Introduced: {result_title[:50]}")
    assert subjects[enterprise.email].startswith(f"Introduced: {need_title[:50]}")
    assert all(len(subject) <= 200 and subject.count("…") == 2 for subject in subjects.values())


def test_opening_a_match_reads_its_notifications_and_no_others(app, client, auth, pair, make):
    _publish_both(client, auth, pair)
    # Worded apart from the first result, so publishing it is not held back as a near copy.
    second_result = make.result(pair["researcher"], status="draft", title="Graphene heat spreader coating for "
                                "phone chips", summary="Graphene flakes sprayed on a 5G chip carry its heat away; "
                                "a process ready to license.", keywords=["graphene", "heat spreader"])
    auth.login(pair["researcher"].email)
    _press_publish(client, f"/results/{second_result}")
    auth.logout()
    first, second = _match_ids(app)
    _introduce(client, auth, pair["reviewer"], first)
    _introduce(client, auth, pair["reviewer"], second)

    auth.login(pair["researcher"].email)
    open_page(client, f"/matches/{first}")
    with app.app_context():
        unread = dict(db.session.execute(sa.select(Notification.match_id, Notification.read_at.is_(None)).where(
            Notification.user_id == pair["researcher"].id)).all())
    assert unread == {first: False, second: True}
    assert 'aria-label="1 unread">1</span>' in client.get("/").get_data(as_text=True)


def test_without_a_mail_server_mail_is_printed_on_the_console_and_logged_not_sent(app, client, auth, pair,
                                                                                  capsys):
    match_id = _introduced(app, client, auth, pair)
    console = capsys.readouterr().out
    assert f"To: {pair['researcher'].email}\nSubject: Introduced: {THE_PAIR}" in console
    assert f"http://127.0.0.1:5000/matches/{match_id}" in console
    assert [m["status"] for m in _mails(app)] == ["logged", "logged"]


def test_users_can_turn_mail_off(app, client, auth, pair):
    auth.login(pair["researcher"].email)
    form = open_page(client, "/account").form(action="/account/preferences")
    form.uncheck("email_notifications").submit()
    auth.logout()
    with app.app_context():
        assert db.session.get(User, pair["researcher"].id).email_notifications is False
    _introduced(app, client, auth, pair)
    assert {m["to"] for m in _mails(app)} == {pair["enterprise"].email}


def test_unreachable_smtp_keeps_the_mail_queued_with_the_error(app, client, auth, pair, runner):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_USE_TLS=False)
    _introduced(app, client, auth, pair)  # the decision itself succeeds
    with app.app_context():
        mails = db.session.scalars(sa.select(OutboxMail)).all()
        assert mails and all(m.status == "queued" and m.attempts == 1 and m.last_error for m in mails)
        assert db.session.scalar(sa.select(Match.state)) == "introduced"
    app.config["MAIL_SERVER"] = None
    output = runner.invoke(args=["mail", "send"]).output
    assert "Sent 0 mails. Logged 2 on the console, not sent: MAIL_SERVER is not set." in output
    assert f"To: {pair['researcher'].email}" in output
    assert [m["status"] for m in _mails(app)] == ["logged", "logged"]


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough of an SMTP server (RFC 5321) to accept a message and keep it, as a real relay would."""

    def handle(self):
        self.wfile.write(b"220 test ESMTP\r\n")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb == b"DATA":
                self.wfile.write(b"354 go on\r\n")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data[1:] if data.startswith(b"..") else data)
                self.server.received.append(message_from_bytes(b"".join(lines), policy=policy.default))
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads, server.received = True, []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_with_a_mail_server_mail_is_sent_not_printed(app, client, auth, pair, smtp_server, capsys):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.server_address[1], MAIL_USE_TLS=False)
    match_id = _introduced(app, client, auth, pair)
    assert [m["status"] for m in _mails(app)] == ["sent", "sent"]
    assert "Subject:" not in capsys.readouterr().out
    received = {message["To"]: message for message in smtp_server.received}
    assert received[pair["researcher"].email]["Subject"] == f"Introduced: {THE_PAIR}"
    assert f"http://127.0.0.1:5000/matches/{match_id}" in received[pair["researcher"].email].get_content()


def test_the_migration_tells_printed_mail_from_sent_mail(tmp_path):
    """Before the status column, a mail only printed on the console was stamped `sent_at` like a sent one;
    what left the outbox with no SMTP attempt was printed, and becomes "logged"."""
    from tests.test_migrations import flask_db

    url = f"sqlite:///{tmp_path / 'old.db'}"
    flask_db(url, tmp_path, "upgrade", "a14a0b1c2d3e")
    engine = sa.create_engine(url)
    rows = [("printed", "2026-01-02", 0), ("delivered", "2026-01-02", 1), ("waiting", None, 2),
            ("given-up", None, OutboxMail.MAX_ATTEMPTS)]
    with engine.begin() as connection:
        for subject, sent_at, attempts in rows:
            connection.execute(sa.text(
                "INSERT INTO outbox_mail (to_email, subject, body, created_at, sent_at, attempts, last_error)"
                " VALUES ('a@example.test', :subject, '', '2026-01-01', :sent_at, :attempts, '')"),
                {"subject": subject, "sent_at": sent_at, "attempts": attempts})
    engine.dispose()
    flask_db(url, tmp_path, "upgrade")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        after = {row.subject: (row.status, row.sent_at is not None) for row in connection.execute(
            sa.text("SELECT subject, status, sent_at FROM outbox_mail"))}
    engine.dispose()
    assert after == {"printed": ("logged", False), "delivered": ("sent", True), "waiting": ("queued", False),
                     "given-up": ("failed", False)}


def test_mail_quotes_what_was_written_to_the_sides_and_never_the_internal_note(app, client, auth, pair):
    _publish_both(client, auth, pair)
    match_id = _match_ids(app)[0]
    auth.login(pair["reviewer"].email)
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/decision")
    form.choose("decision", "approve").fill(message="Both of you work on graphene films.",
                                            note="Internal: the company asked twice.")
    assert form.submit("Save decision").status_code == 302
    auth.logout()
    introductions = _mails(app)
    assert len(introductions) == 2
    assert all("Both of you work on graphene films." in m["body"] and "Internal" not in m["body"]
               for m in introductions)

    before = _last_mail_id(app)
    _answer(client, auth, pair["researcher"], match_id, "interested")  # "Let us talk"
    [to_company] = _mails(app, before)
    assert to_company["to"] == pair["enterprise"].email and "“Let us talk”" in to_company["body"]

    before = _last_mail_id(app)
    auth.login(pair["enterprise"].email)
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/response")
    form.choose("answer", "interested").fill(message="Call us on Monday.")
    assert form.submit("Send answer").status_code == 302
    auth.logout()
    connected = {m["to"]: m["body"] for m in _mails(app, before)}
    assert "“Call us on Monday.”" in connected[pair["researcher"].email]  # the side that waited reads it
    assert "Call us on Monday." not in connected[pair["enterprise"].email]  # its writer needs no copy
