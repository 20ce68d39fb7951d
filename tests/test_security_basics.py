"""Security basics across the app: CSRF, escaping, headers, charsets, request size, errors, access rules.

The walks read `app.url_map`, so a route added later is covered without touching this file.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter, IntegerConverter

from matchmaker.access import ALLOWED_WITHOUT_RULE, access_rule_of, public
from matchmaker.extensions import db
from tests.conftest import PASSWORD, AuthActions
from tests.forms import submit

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# Signs in by the email and password in its body and hands the token back to the caller: no session
# is used, so there is nothing for a forged request to ride on.
CSRF_FREE = {"api.create_token"}


def _value(converter):
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"


def _url(app, rule) -> str:
    values = {name: _value(rule._converters[name]) for name in rule.arguments}
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def _routes(app, methods: set[str]):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & methods):
            yield rule, method


def _bare_sign_in(client: FlaskClient, email: str) -> None:
    """Sign a bare client in the way a browser does: the login form sends the token it rendered, once."""
    response = submit(client, "/login", {"email": email, "password": PASSWORD}, button="Sign in")
    assert response.status_code == 302


# --- CSRF ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["anonymous", "researcher", "enterprise", "admin"])
def test_every_state_changing_route_refuses_a_post_without_csrf_token(app, make, bare_client, role):
    if role != "anonymous":
        _bare_sign_in(bare_client, make.user(role).email)
    owner = make.user("researcher")
    make.result(owner)
    make.need(make.user("enterprise"))
    checked = []
    for rule, method in _routes(app, STATE_CHANGING):
        if rule.endpoint in CSRF_FREE:
            continue
        url = _url(app, rule)
        response = bare_client.open(url, method=method, data={"title": "x"})  # malformed on purpose: no token
        # Without a session the API has nobody to act for and says so (401); every other refusal is 400.
        allowed = {400, 401} if role == "anonymous" and rule.rule.startswith("/api/") else {400}
        assert response.status_code in allowed, f"{method} {url} answered {response.status_code}"
        checked.append(rule.endpoint.split(".")[0])
    assert {"auth", "results", "needs"} <= set(checked)


def test_a_wrong_csrf_token_is_refused_too(app, make, bare_client):
    _bare_sign_in(bare_client, make.user("researcher").email)
    response = bare_client.post("/results/new", data={"csrf_token": "forged", "title": "x"})  # malformed on purpose
    assert response.status_code == 400


def test_a_token_from_another_session_is_refused(app, make, bare_client):
    other = app.test_client(use_cookies=True)
    foreign = _TOKEN.search(FlaskClient.open(other, "/login").get_data(as_text=True)).group(1)
    _bare_sign_in(bare_client, make.user("researcher").email)
    # malformed on purpose: another session's token
    response = bare_client.post("/results/new", data={"csrf_token": foreign, "title": "x"})
    assert response.status_code == 400


def test_csrf_refusal_explains_itself(bare_client):
    response = bare_client.post("/login", data={"email": "a@example.test", "password": "x"})  # malformed on purpose
    assert response.status_code == 400
    assert "Your form expired or was sent from elsewhere." in response.get_data(as_text=True)


# --- escaping --------------------------------------------------------------------------------------

def test_stored_markup_in_a_title_renders_escaped(app, make, auth):
    researcher = make.user("researcher")
    result = make.result(researcher, title=XSS, summary=XSS, keywords=[XSS])
    need = make.need(make.user("enterprise"), title=XSS, description=XSS, keywords=[XSS])
    visitor = app.test_client()
    auth.login(researcher.email)
    pages = {path: visitor.get(path) for path in ("/", "/results/", f"/results/{result}", "/needs/",
                                                  f"/needs/{need}", f"/results/?q={XSS}")}
    pages["my postings"] = auth.client.get("/my/postings")
    pages["edit form"] = auth.client.get(f"/results/{result}/edit")
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code == 200, name
        assert XSS not in page, name
        assert XSS_ESCAPED in page, name


def test_markup_in_a_display_name_renders_escaped(app, make, auth):
    user = make.user("researcher")
    with app.app_context():
        from matchmaker.models import User

        db.session.get(User, user.id).display_name = XSS
        db.session.commit()
    auth.login(user.email)
    page = auth.client.get("/account").get_data(as_text=True)
    assert XSS not in page and XSS_ESCAPED in page


# --- headers and charsets --------------------------------------------------------------------------

def _assert_security_headers(response, where: str) -> None:
    headers = response.headers
    assert "default-src 'self'" in headers.get("Content-Security-Policy", ""), where
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") == "strict-origin-when-cross-origin", where


@pytest.fixture
def boom_app(app):
    """The app with test-only routes: one that fails, one registered without an access rule."""

    def boom():
        raise RuntimeError("secret-marker: password=hunter2")

    def unruled():
        return "this view forgot its access rule"

    app.add_url_rule("/test-only/boom", "test_only_boom", public(boom))
    app.add_url_rule("/test-only/unruled", "test_only_unruled", unruled)
    return app


def test_security_headers_on_pages_and_errors(boom_app, make, bare_client):
    researcher = make.user("researcher")
    responses = {
        "home": bare_client.get("/"),
        "list": bare_client.get("/results/"),
        "404": bare_client.get("/no-such-page"),
        "405": bare_client.get("/logout"),
        "400 csrf": bare_client.post("/login", data={}),  # malformed on purpose: no token
        "403": bare_client.get("/test-only/unruled"),
        "500": bare_client.get("/test-only/boom"),
        "413": bare_client.post("/login",  # malformed on purpose: over the size limit
                                data="x" * (boom_app.config["MAX_CONTENT_LENGTH"] + 1),
                                content_type="application/x-www-form-urlencoded"),
        "redirect": bare_client.get("/account"),
    }
    expected = {"home": 200, "list": 200, "404": 404, "405": 405, "400 csrf": 400, "403": 403, "500": 500,
                "413": 413, "redirect": 302}
    assert researcher  # a user exists, so nothing above fails for want of data
    for name, response in responses.items():
        assert response.status_code == expected[name], name
        _assert_security_headers(response, name)
        if response.status_code != 302:
            assert response.headers["Content-Type"] == "text/html; charset=utf-8", name


def test_405_names_the_allowed_methods(bare_client):
    response = bare_client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


@pytest.mark.parametrize("role", ["anonymous", "researcher", "enterprise", "reviewer", "admin"])
def test_every_page_declares_utf8(app, make, role):
    client = app.test_client()
    owner = make.user("researcher")
    make.result(owner)
    make.need(make.user("enterprise"))
    if role != "anonymous":
        assert AuthActions(client).login(make.user(role).email).status_code == 302
    seen = 0
    for rule, method in _routes(app, {"GET"}):
        if rule.endpoint == "static":
            continue
        response = client.open(_url(app, rule), method=method)
        content_type = response.headers.get("Content-Type", "")
        if content_type.startswith("text/"):
            assert "charset=utf-8" in content_type, f"{rule.rule}: {content_type}"
            seen += 1
        assert response.status_code != 500, f"{rule.rule} as {role}"
    assert seen >= 5


# --- request size ----------------------------------------------------------------------------------

def test_one_byte_over_the_limit_is_413(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit
    # malformed on purpose: bodies sized to the byte, no browser form
    over = client.post("/login", data="e=" + "x" * (limit - 1),
                       content_type="application/x-www-form-urlencoded", no_csrf=True)
    assert over.status_code == 413
    assert "too large" in over.get_data(as_text=True)
    at_limit = client.post("/login", data="e=" + "x" * (limit - 2),
                           content_type="application/x-www-form-urlencoded", no_csrf=True)
    assert at_limit.status_code == 400  # read, then refused for its missing token, not for its size


# --- errors ----------------------------------------------------------------------------------------

def test_a_forced_500_shows_no_traceback(boom_app, bare_client, caplog):
    response = bare_client.get("/test-only/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    for leak in ("Traceback", "RuntimeError", "secret-marker", "hunter2", 'File "'):
        assert leak not in page
    assert "secret-marker" in caplog.text  # the operator still learns what happened


def test_debug_is_off(app):
    assert not app.debug


# --- declared access rules -------------------------------------------------------------------------

def test_every_endpoint_declares_an_access_rule(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if rule.endpoint not in ALLOWED_WITHOUT_RULE and access_rule_of(app, rule.endpoint) is None]
    assert missing == []


def test_an_endpoint_without_a_rule_answers_403(boom_app, make):
    client = boom_app.test_client()
    assert client.get("/test-only/unruled").status_code == 403
    assert AuthActions(client).login(make.user("admin").email).status_code == 302
    response = client.get("/test-only/unruled")
    assert response.status_code == 403
    assert "forgot its access rule" not in response.get_data(as_text=True)
