"""The form helper sends what a browser sends: it is the means by which every other test submits a page."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.forms import open_page, submit


def test_signing_in_through_the_rendered_form(client, make):
    user = make.user("researcher")
    response = submit(client, "/login", {"email": user.email, "password": PASSWORD}, action="/login")
    assert response.status_code == 302
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_the_rendered_csrf_token_is_sent_and_a_wrong_password_is_refused(client, make):
    user = make.user("researcher")
    page = open_page(client, "/login")
    form = page.form("/login")
    assert "csrf_token" in form.names()
    response = form.fill(email=user.email, password="wrong password!").submit()
    assert response.status_code == 401 and "Sign out" not in response.get_data(as_text=True)


def test_a_field_the_form_does_not_have_cannot_be_filled(client):
    form = open_page(client, "/login").form("/login")
    with pytest.raises(AssertionError, match="no field 'role'"):
        form.set("role", "admin")


def test_only_the_pressed_button_is_sent(client):
    page = open_page(client, "/")
    switcher = page.form("/language")
    sent = switcher.data(switcher.button("繁體中文"))
    assert sent.getlist("lang") == ["zh_Hant_HK"]
    with pytest.raises(AssertionError, match="no button"):
        switcher.button("Klingon")
