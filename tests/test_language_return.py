"""The language switcher on a page a failed POST rendered returns to a page that can be shown again.

A form sent back with its errors lives at its POST URL; some of those URLs take only POSTs
(`/account/password`, `/account/tokens`, `/matches/7/decision`), so returning there answered 405.
"""

from __future__ import annotations

import pytest

from matchmaker.extensions import db
from matchmaker.models import Match
from matchmaker.models.matches import MatchState
from tests.conftest import PASSWORD
from tests.forms import open_page, parse_forms

SIMPLIFIED = 'lang="zh-Hans-CN"'


def _switch_to_simplified(client, rendered, rendered_at: str):
    """Press 简体中文 on the page a POST answered, follow the redirect, and return the page reached."""
    forms = parse_forms(client, "http://localhost" + rendered_at, rendered.get_data(as_text=True))
    switcher = next(form for form in forms if form.action.endswith("/language"))
    response = switcher.submit("简体中文")
    assert response.status_code == 302
    target = response.headers["Location"]
    landed = client.get(target)
    assert landed.status_code == 200, f"the switcher returned to {target}, which answered {landed.status_code}"
    assert SIMPLIFIED in landed.get_data(as_text=True)
    return target


def _failed(page_url: str, client, action: str, button: str, expect: int = 400, **fields):
    form = open_page(client, page_url).form(action, button=button)
    for name, value in fields.items():
        form.set(name, value)
    response = form.submit(button)
    assert response.status_code == expect, response.status_code
    return response


def test_after_a_failed_sign_in(client, make):
    user = make.user("researcher")
    rendered = _failed("/login?next=/results/", client, "/login", "Sign in", 401,
                       email=user.email, password="not the password")
    assert _switch_to_simplified(client, rendered, "/login?next=/results/") == "/login?next=/results/"


def test_after_a_failed_sign_up(client):
    rendered = _failed("/signup", client, "/signup", "Create account", display_name="Ann", email="not-an-email",
                       password="short")
    assert _switch_to_simplified(client, rendered, "/signup") == "/signup"


@pytest.mark.parametrize(("action", "button", "fields"), [
    ("/account/password", "Change password", {"current_password": "wrong wrong wrong", "new_password": "x"}),
    ("/account/tokens", "Make a new token", {"name": "bad\x01name"}),
])
def test_after_a_failed_account_form(client, auth, make, action, button, fields):
    user = make.user("researcher")
    auth.login(user.email)
    rendered = _failed("/account", client, action, button, **fields)
    assert _switch_to_simplified(client, rendered, action) == "/account"


def test_after_a_new_token_is_shown(client, auth, make):
    user = make.user("enterprise")
    auth.login(user.email)
    form = open_page(client, "/account").form("/account/tokens", button="Make a new token").fill(name="laptop")
    rendered = form.submit("Make a new token")
    assert rendered.status_code == 201
    assert _switch_to_simplified(client, rendered, "/account/tokens") == "/account"


@pytest.mark.parametrize("kind", ["results", "needs"])
@pytest.mark.parametrize("editing", [False, True])
def test_after_a_failed_posting_form(client, auth, make, kind, editing):
    user = make.user("researcher" if kind == "results" else "enterprise")
    auth.login(user.email)
    url = f"/{kind}/new"
    if editing:
        url = f"/{kind}/{(make.result if kind == 'results' else make.need)(user, status='draft')}/edit"
    rendered = _failed(url, client, url, "Save", title="")
    assert _switch_to_simplified(client, rendered, url) == url


def test_after_a_failed_review_decision(app, client, auth, make):
    result_id = make.result(make.user("researcher"))
    need_id = make.need(make.user("enterprise"))
    with app.app_context():
        match = Match(result_id=result_id, need_id=need_id, score=0.5, rank=1, engine_version="test",
                      state=MatchState.SUGGESTED)
        db.session.add(match)
        db.session.commit()
        match_id = match.id
    auth.login(make.user("reviewer").email, PASSWORD)
    page = open_page(client, f"/matches/{match_id}")
    form = page.form(f"/matches/{match_id}/decision").choose("decision", "reject")
    rendered = form.submit()
    assert rendered.status_code == 400
    assert _switch_to_simplified(client, rendered, f"/matches/{match_id}/decision") == f"/matches/{match_id}"
