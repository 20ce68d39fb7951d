"""Personal API tokens on the account page: made with a CSRF-protected form, shown once, listed by prefix
only, revoked from the same page; each works (and stops working) on the API."""

from __future__ import annotations

import re

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ApiToken
from tests.forms import open_page, submit
from tests.test_api_support import ApiClient

_SHOWN = re.compile(r'value="(mm_[A-Za-z0-9_-]+)"')


def _make_token(client, name: str = "import script"):
    response = submit(client, "/account", {"name": name}, action="/account/tokens", button="Make a new token")
    assert response.status_code == 201, response.get_data(as_text=True)
    return response, _SHOWN.search(response.get_data(as_text=True)).group(1)


def test_a_token_is_shown_once_and_works_on_the_api(app, client, auth, make):
    user = make.user("enterprise")
    auth.login(user.email)
    response, token = _make_token(client)
    assert response.headers["Cache-Control"] == "no-store"
    assert ApiClient(app, token).get("/me").get_json()["email"] == user.email
    account = client.get("/account").get_data(as_text=True)
    assert "import script" in account and token[:10] in account and token not in account


def test_revoking_from_the_account_page_ends_the_token(app, client, auth, make):
    auth.login(make.user("researcher").email)
    _, token = _make_token(client)
    [token_id] = _token_ids(app)
    revoke = open_page(client, "/account").form(action=f"/account/tokens/{token_id}/revoke")
    assert revoke.submit("Revoke import script").status_code == 302
    assert ApiClient(app, token).get("/me").status_code == 401


def test_nobody_revokes_another_users_token(app, client, auth, make):
    auth.login(make.user("researcher").email)
    _, token = _make_token(client)
    token_id = _token_ids(app)[0]
    auth.logout()
    auth.login(make.user("researcher").email)
    assert f"/account/tokens/{token_id}/revoke" not in client.get("/account").get_data(as_text=True)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404  # forged: no page offers it
    assert ApiClient(app, token).get("/me").status_code == 200


def test_token_forms_need_csrf_and_a_sign_in(app, client, auth, make):
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 302  # to the sign-in page
    auth.login(make.user("researcher").email)
    assert client.post("/account/tokens", data={"name": "x"}, no_csrf=True).status_code == 400
    assert client.post("/account/tokens", data={"name": "bad\x00name"}).status_code == 400
    assert _token_ids(app) == []


def _token_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(ApiToken.id).order_by(ApiToken.id)))
