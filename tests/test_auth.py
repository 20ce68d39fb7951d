"""Accounts through HTTP: sign-up, sign-in, sign-out, sessions, password change, safe redirects, the CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from tests.conftest import PASSWORD
from tests.forms import open_page, submit

NEW_PASSWORD = "a different passphrase"


def _user(app, email: str) -> dict | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
        if user is None:
            return None
        return {"role": user.role, "organisation_id": user.organisation_id, "hash": user.password_hash,
                "token": user.session_token,
                "organisation_kind": user.organisation.kind if user.organisation else None,
                "organisation_name": user.organisation.name_en if user.organisation else None}


def _companies(app) -> list[str]:
    with app.app_context():
        query = sa.select(Organisation.name_en).where(Organisation.kind == "enterprise")
        return list(db.session.scalars(query))


def _signup(client, **fields):
    """Fill the sign-up form as a browser does and press its button."""
    data = {"role": "researcher", "display_name": "Dr Chan", "email": "chan@example.com", "password": PASSWORD}
    data.update(fields)
    return submit(client, "/signup", data, button="Create account")


def _forged_signup(client, **fields):
    """A sign-up body no rendered form can send: a role or a university the page does not offer."""
    data = {"role": "researcher", "display_name": "Dr Chan", "email": "chan@example.com",
            "password": PASSWORD, "university_id": "", "company_name": "", "company_region": ""}
    data.update(fields)
    return client.post("/signup", data=data)


def _sign_out(client):
    return open_page(client, "/").form(action="/logout").submit("Sign out")


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


# --- sign-up -------------------------------------------------------------------------------------------

def test_researcher_signs_up_with_a_university(app, client, make):
    hku = make.university("HKU")
    response = _signup(client, university_id=str(hku), email="Chan@Example.com")
    assert response.status_code == 302
    user = _user(app, "chan@example.com")
    assert user["role"] == "researcher" and user["organisation_id"] == hku
    assert client.get("/account").status_code == 200  # signed in straight away


def test_researcher_must_choose_a_university(app, client):
    response = _signup(client, university_id="0")
    assert response.status_code == 400
    assert "Choose your university." in response.get_data(as_text=True)
    assert _user(app, "chan@example.com") is None


def test_researcher_cannot_claim_a_company_as_university(app, client, make):
    company = make.company("Acme Ltd")
    response = _forged_signup(client, university_id=str(company))
    assert response.status_code == 400
    assert _user(app, "chan@example.com") is None


def test_enterprise_sign_up_creates_then_reuses_a_company_whatever_the_case(app, client, make):
    response = _signup(client, role="enterprise", email="a@acme.com", company_name="  Acme   Robotics ",
                       company_region="shenzhen")
    assert response.status_code == 302
    first = _user(app, "a@acme.com")
    assert first["organisation_kind"] == "enterprise" and first["organisation_name"] == "Acme Robotics"

    other = app.test_client()
    response = _signup(other, role="enterprise", email="b@acme.com", company_name="ACME robotics",
                       company_region="guangzhou")
    assert response.status_code == 302
    assert _user(app, "b@acme.com")["organisation_id"] == first["organisation_id"]
    assert _companies(app) == ["Acme Robotics"]


def test_enterprise_sign_up_needs_a_company_name(app, client):
    response = _signup(client, role="enterprise", company_name="   ")
    assert response.status_code == 400
    assert "Name your company." in response.get_data(as_text=True)
    assert _user(app, "chan@example.com") is None


def test_enterprise_cannot_join_a_university_by_its_name(app, client):
    """Typing a university's name as the company must not put a company user inside that university."""
    response = _signup(client, role="enterprise", company_name="The University of Hong Kong",
                       company_region="hong_kong")
    assert response.status_code == 302
    assert _user(app, "chan@example.com")["organisation_kind"] == "enterprise"


def test_duplicate_email_in_any_case_is_refused_on_the_email_field(app, client, make):
    make.user("researcher", email="taken@example.com")
    response = _signup(client, university_id=str(make.university()), email="TAKEN@Example.COM")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error">An account with this email already exists.' in page


def test_eleven_character_password_is_refused_with_a_message(app, client, make):
    response = _signup(client, university_id=str(make.university()), password="x" * 11)
    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)
    assert _user(app, "chan@example.com") is None


def test_twelve_characters_are_enough(app, client, make):
    response = _signup(client, university_id=str(make.university()), password="x" * 12)
    assert response.status_code == 302


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewer_and_admin_cannot_be_chosen_at_sign_up(app, client, make, role):
    response = _forged_signup(client, role=role, university_id=str(make.university()), company_name="X")
    assert response.status_code == 400
    assert _user(app, "chan@example.com") is None


def test_stored_password_is_a_kdf_hash(app, client, make):
    _signup(client, university_id=str(make.university()))
    stored = _user(app, "chan@example.com")["hash"]
    assert stored.startswith(("pbkdf2:", "scrypt:"))
    assert PASSWORD not in stored


# --- sign-in and sign-out ----------------------------------------------------------------------------

def test_log_in_and_log_out(client, make):
    user = make.user("researcher")
    assert client.get("/account").status_code == 302
    response = AuthLogin(client).login(user.email.upper())
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert _sign_out(client).status_code == 302
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_password_is_401_with_a_message(client, make):
    user = make.user("researcher")
    response = AuthLogin(client).login(user.email, "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_unknown_email_gets_the_same_answer(client):
    response = AuthLogin(client).login("nobody@example.test")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, make):
    user = make.user("researcher")
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert AuthLogin(client).login(user.email).status_code == 401


def test_session_cookie_changes_at_login(client, make):
    user = make.user("researcher")
    open_page(client, "/login").form(action="/language").submit("繁體中文")
    before = _session_cookie(client)
    assert before
    AuthLogin(client).login(user.email)
    after = _session_cookie(client)
    assert after and after != before


def test_nothing_from_the_session_before_login_survives_it(app, make):
    """A CSRF token handed out before sign-in (to a visitor or a planted session) is dead after it."""
    import re

    user = make.user("researcher")
    browser = app.test_client()
    page = open_page(browser, "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.html).group(1)
    response = page.form(button="Sign in").fill(email=user.email, password=PASSWORD).submit("Sign in")
    assert response.status_code == 302
    from tests.factories import result_form

    stale = browser.post("/results/new", data={**result_form(), "csrf_token": token}, no_csrf=True)
    assert stale.status_code == 400
    assert submit(browser, "/results/new", result_form(), button="Save").status_code == 302  # a fresh token works


def test_a_cookie_copied_before_logout_is_refused_after_it(app, client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    stolen = _session_cookie(client)
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_cookie_dies_with_logout(app, client, make):
    user = make.user("researcher")
    AuthLogin(client).login(user.email, remember=True)
    remember = client.get_cookie("remember_token")
    assert remember is not None
    _sign_out(client)
    thief = app.test_client()
    thief.set_cookie("remember_token", remember.value)
    assert thief.get("/account").status_code == 302


# --- password change -----------------------------------------------------------------------------------

def test_password_change_needs_the_current_password(app, client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    before = _user(app, user.email)["hash"]
    response = _change_password(client, "wrong guess!!", NEW_PASSWORD)
    assert response.status_code == 400
    assert 'id="current_password-error"' in response.get_data(as_text=True)
    assert _user(app, user.email)["hash"] == before


def test_password_change_refuses_a_short_new_password(app, client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    response = _change_password(client, PASSWORD, "short")
    assert response.status_code == 400
    assert 'id="new_password-error"' in response.get_data(as_text=True)


def test_password_change_rotates_the_session(app, client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    other_device = app.test_client()
    AuthLogin(other_device).login(user.email)
    stolen = _session_cookie(client)
    token_before = _user(app, user.email)["token"]

    response = _change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # the changing browser stays signed in
    assert _user(app, user.email)["token"] != token_before
    assert other_device.get("/account").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/account").status_code == 302

    _sign_out(client)
    assert AuthLogin(client).login(user.email).status_code == 401
    assert AuthLogin(client).login(user.email, NEW_PASSWORD).status_code == 302


def _change_password(client, current: str, new: str):
    return submit(client, "/account", {"current_password": current, "new_password": new},
                  action="/account/password", button="Change password")


class AuthLogin:
    """Sign in through the page's form, as a browser does (`login_page` carries a `?next=`)."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD, *, remember: bool = False, login_page: str = "/login"):
        fields = {"email": email, "password": password, "remember": remember}
        return submit(self.client, login_page, fields, action="/login")


# --- redirects after sign-in ---------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example",
                                    "http:/evil.example", "javascript:alert(1)", " //evil.example",
                                    "/%5Cevil.example"])
def test_next_stays_on_site(client, make, target):
    user = make.user("researcher")
    response = AuthLogin(client).login(user.email, login_page=f"/login?next={target}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location and location.startswith("/")


def test_next_on_site_is_followed(client, make):
    user = make.user("researcher")
    response = AuthLogin(client).login(user.email, login_page="/login?next=/results/")
    assert response.headers["Location"] == "/results/"


def test_next_from_the_form_field_is_followed(client, make):
    user = make.user("researcher")
    form = open_page(client, "/login").form(button="Sign in")
    response = form.fill(email=user.email, password=PASSWORD, next="/needs/").submit("Sign in")
    assert response.headers["Location"] == "/needs/"


def test_login_page_carries_next_into_the_form(client):
    page = client.get("/login?next=/results/").get_data(as_text=True)
    assert 'name="next" value="/results/"' in page


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example"])
def test_language_switch_stays_on_site(client, target):
    response = client.post("/language", data={"lang": "zh_Hans_CN", "next": target})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_language_switch_returns_to_the_page(client):
    response = open_page(client, "/results/?q=x").form(action="/language").submit("简体中文")
    assert response.headers["Location"] == "/results/?q=x"


def test_password_change_needs_a_fresh_sign_in(app, make):
    """A session restored from the remember-me cookie alone is not fresh enough to change the password."""
    user = make.user("researcher")
    browser = app.test_client()
    AuthLogin(browser).login(user.email, remember=True)
    remember = browser.get_cookie("remember_token")
    restored = app.test_client()
    restored.set_cookie("remember_token", remember.value)
    assert restored.get("/account").status_code == 200  # remembered: signed in
    response = _change_password(restored, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert AuthLogin(app.test_client()).login(user.email).status_code == 302  # password unchanged


# --- the CLI -------------------------------------------------------------------------------------------

def test_cli_creates_a_reviewer(app, runner):
    result = runner.invoke(args=["users", "create", "--role", "reviewer", "--email", "Rev@Example.test",
                                 "--name", "Ms Reviewer", "--organisation", "HKU",
                                 "--password", "reviewer passphrase"])
    assert result.exit_code == 0, result.output
    user = _user(app, "rev@example.test")
    assert user["role"] == "reviewer" and user["hash"].startswith(("pbkdf2:", "scrypt:"))
    client = app.test_client()
    assert AuthLogin(client).login("rev@example.test", "reviewer passphrase").status_code == 302


def test_cli_refuses_a_short_password(app, runner):
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email", "adm@example.test",
                                 "--name", "Admin", "--password", "x" * 11])
    assert result.exit_code != 0
    assert _user(app, "adm@example.test") is None


def test_cli_refuses_a_duplicate_email(app, runner, make):
    make.user("researcher", email="dup@example.test")
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email", "DUP@example.test",
                                 "--name", "Admin", "--password", "x" * 12])
    assert result.exit_code != 0
    assert _user(app, "dup@example.test")["role"] == "researcher"


@pytest.mark.parametrize(("email", "password", "field"), [
    ("adm@example.test", "x" * 11, "password"), ("dup@example.test", "x" * 12, "email")])
def test_cli_names_the_field_at_fault(app, runner, make, email, password, field):
    make.user("researcher", email="dup@example.test")
    result = runner.invoke(args=["users", "create", "--role", "admin", "--email", email,
                                 "--name", "Admin", "--password", password])
    assert result.exit_code == 1, result.exception
    assert result.output.startswith(f"Error: {field}: ")


def test_cli_refuses_an_unknown_organisation(app, runner):
    result = runner.invoke(args=["users", "create", "--role", "reviewer", "--email", "r@example.test",
                                 "--name", "R", "--organisation", "NOPE", "--password", "x" * 12])
    assert result.exit_code != 0
    assert _user(app, "r@example.test") is None


# --- brute force ---------------------------------------------------------------------------------------

def test_five_bad_passwords_then_429(client, auth, make):
    user = make.user("researcher")
    statuses = [auth.login(user.email, f"wrong password {n}").status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]
    # the right password is also held back while the account is locked
    assert auth.login(user.email).status_code == 429


def test_the_account_limit_holds_across_clients_and_email_case(app, make):
    user = make.user("researcher")
    statuses = []
    for n in range(6):
        email = user.email.upper() if n % 2 else user.email
        statuses.append(AuthLogin(app.test_client()).login(email, f"wrong {n} password").status_code)
    assert statuses == [401] * 5 + [429]


def test_one_address_trying_many_accounts_is_slowed(app, make):
    emails = [make.user("researcher").email for _ in range(5)]
    client = app.test_client()
    statuses = [AuthLogin(client).login(email, f"wrong {n} password").status_code
                for email in emails for n in range(4)]
    assert statuses == [401] * 20
    assert AuthLogin(client).login(make.user("researcher").email, "still wrong!!").status_code == 429


def test_successful_logins_do_not_count(client, auth, make):
    user = make.user("researcher")
    for _ in range(6):
        assert auth.login(user.email).status_code == 302
        auth.logout()
