"""Sessions end when they should, sensitive changes need a fresh sign-in, and logs keep no secrets."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from freezegun import freeze_time

from tests.conftest import PASSWORD
from tests.forms import submit


def _change_password(client, current: str, new: str):
    return submit(client, "/account", {"current_password": current, "new_password": new},
                  action="/account/password")


def test_a_session_older_than_its_lifetime_is_refused(app, client, auth, make):
    user = make.user("researcher")
    start = datetime.now(UTC)
    with freeze_time(start) as frozen:
        auth.login(user.email)
        assert client.get("/account").status_code == 200
        frozen.tick(app.permanent_session_lifetime - timedelta(minutes=1))
        assert client.get("/account").status_code == 200
        frozen.tick(timedelta(minutes=2) + app.permanent_session_lifetime)
        response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_remembered_but_not_fresh_session_must_sign_in_again_to_change_the_password(app, client, make):
    user = make.user("researcher")
    submit(client, "/login", {"email": user.email, "password": PASSWORD, "remember": True}, action="/login")
    assert client.get_cookie("remember_token") is not None
    client.delete_cookie("session")  # the browser was closed: only the remember-me cookie is left
    assert client.get("/account").status_code == 200  # remembered…
    response = _change_password(client, PASSWORD, "another long password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]  # …but not fresh


def test_logs_hold_no_password_session_or_csrf_token(app, client, auth, make, caplog):
    caplog.set_level(logging.DEBUG)

    @app.route("/boom")
    def boom():
        raise RuntimeError("forced failure")

    boom.access_rule = "public"
    user = make.user("researcher")
    auth.login(user.email)
    token = client.csrf_token()
    session_cookie = client.get_cookie("session").value
    assert client.get("/boom").status_code == 500
    assert _change_password(client, "wrong-" + PASSWORD, "x" * 12).status_code == 400
    assert "forced failure" in caplog.text  # the error was logged…
    for secret in (PASSWORD, session_cookie, token):
        assert secret not in caplog.text  # …without what would let someone in


def test_a_password_change_revokes_api_tokens(client, auth, make):
    user = make.user("researcher")
    token = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD}).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    auth.login(user.email)
    assert _change_password(client, PASSWORD, "a brand new passphrase").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_ids_beyond_the_database_range_are_404_everywhere(client, auth, make):
    auth.login(make.user("reviewer").email)
    for path in ("/matches/2147483648", "/results/99999999999999999999", "/api/v1/matches/2147483648",
                 "/needs/0"):
        assert client.get(path).status_code == 404, path
