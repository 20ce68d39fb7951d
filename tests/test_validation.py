"""Bad input is refused with a message next to the field at fault, and never reaches the database."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, ResearchResult, User
from tests.conftest import PASSWORD, AuthActions
from tests.factories import need_form, result_form
from tests.forms import submit

_ERROR_ID = re.compile(r'class="error" id="([a-z_]+)-error"')

# What a user can type, paste or pick on the rendered form (the fields carry no maxlength: the server judges).
RESULT_CASES = [
    ("title", ""), ("title", "   "), ("title", "t" * 201), ("summary", ""), ("summary", "s" * 2001),
    ("details", "d" * 20001), ("keywords", "k" * 501), ("sector", ""), ("patent_numbers", "p" * 501),
    ("inventors", "i" * 501), ("contact_email", "not-an-email"), ("contact_email", "a@" + "b" * 260 + ".com"),
]
# Values the form does not offer (a tampered or scripted request): no browser sends them.
RESULT_FORGED = [
    ("sector", "alchemy"), ("trl", "0"), ("trl", "10"), ("trl", "four"), ("ip_status", "stolen"),
    ("jurisdictions", ["HK", "XX"]), ("cooperation_modes", ["licence", "bribery"]),
]
NEED_CASES = [
    ("title", ""), ("title", "t" * 201), ("description", ""), ("description", "d" * 20001),
    ("keywords", "k" * 501), ("region", ""), ("budget_min", "-1"), ("budget_min", str(10**12 + 1)),
    ("budget_max", "1.5"),
]
# A number or date input sends "" for what is not a number or a real date, so "lots" and "2030-02-30"
# come only from a hand-made request, like the options the selects and boxes do not offer.
NEED_FORGED = [
    ("sector", "alchemy"), ("region", "atlantis"), ("budget_min", "lots"), ("currency", "EUR"), ("currency", ""),
    ("min_trl", "10"), ("deadline", "2030-02-30"), ("deadline", "next week"),
    ("cooperation_modes", ["spin_off", "bribery"]),
]
RESULT_TEXT_FIELDS = ("title", "summary", "details", "keywords", "patent_numbers", "inventors",
                      "contact_email")
NEED_TEXT_FIELDS = ("title", "description", "keywords")
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"]


def _error_fields(response) -> set[str]:
    return set(_ERROR_ID.findall(response.get_data(as_text=True)))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _login(client, make, role):
    user = make.user(role)
    assert AuthActions(client).login(user.email).status_code == 302
    return user


def _new_result(client, **fields):
    """The researcher fills the rendered new-result form (valid but for `fields`) and saves it."""
    return submit(client, "/results/new", result_form(**fields), button="Save")


def _new_need(client, **fields):
    return submit(client, "/needs/new", need_form(**fields), button="Save")


@pytest.mark.parametrize(("field", "value"), RESULT_CASES)
def test_result_field_errors_are_named(app, client, make, field, value):
    _login(client, make, "researcher")
    response = _new_result(client, **{field: value})
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert _count(app, ResearchResult) == 0


@pytest.mark.parametrize(("field", "value"), RESULT_FORGED)
def test_result_values_the_form_does_not_offer_are_named(app, client, make, field, value):
    _login(client, make, "researcher")
    # no browser sends this: an option or box value the rendered form does not have
    response = client.post("/results/new", data=result_form(**{field: value}))
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert _count(app, ResearchResult) == 0


@pytest.mark.parametrize(("field", "value"), NEED_CASES)
def test_need_field_errors_are_named(app, client, make, field, value):
    _login(client, make, "enterprise")
    response = _new_need(client, **{field: value})
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert _count(app, EnterpriseNeed) == 0


@pytest.mark.parametrize(("field", "value"), NEED_FORGED)
def test_need_values_the_form_cannot_send_are_named(app, client, make, field, value):
    _login(client, make, "enterprise")
    # no browser sends this: an option the form does not offer, or a number/date input's unparsable text
    response = client.post("/needs/new", data=need_form(**{field: value}))
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert _count(app, EnterpriseNeed) == 0


def test_budget_minimum_above_maximum_is_refused_on_budget_max(app, client, make):
    _login(client, make, "enterprise")
    response = _new_need(client, budget_min="500", budget_max="499")
    assert response.status_code == 400
    assert _error_fields(response) == {"budget_max"}
    assert "must not be below the minimum" in response.get_data(as_text=True)
    assert _count(app, EnterpriseNeed) == 0


def test_equal_budgets_are_fine(app, client, make):
    _login(client, make, "enterprise")
    assert _new_need(client, budget_min="500", budget_max="500").status_code == 302


def test_lengths_at_the_limit_are_accepted(app, client, make):
    _login(client, make, "researcher")
    response = _new_result(client, title="t" * 200, summary="s" * 2000, inventors="i" * 500)
    assert response.status_code == 302
    with app.app_context():
        assert len(db.session.scalar(sa.select(ResearchResult.title))) == 200


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("field", RESULT_TEXT_FIELDS)
def test_control_characters_refused_in_result_text(app, client, make, field, char):
    _login(client, make, "researcher")
    value = f"ab{char}cd@example.com" if field == "contact_email" else f"Some{char}text"
    response = _new_result(client, **{field: value})  # pasted text can carry them (Word's line break is U+000B)
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert _count(app, ResearchResult) == 0


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("field", NEED_TEXT_FIELDS)
def test_control_characters_refused_in_need_text(app, client, make, field, char):
    _login(client, make, "enterprise")
    response = _new_need(client, **{field: f"Some{char}text"})
    assert response.status_code == 400
    assert _error_fields(response) == {field}


def test_tabs_and_newlines_are_ordinary_text(app, client, make):
    _login(client, make, "researcher")
    response = _new_result(client, details="Line one\r\n\tLine two")
    assert response.status_code == 302


SIGN_UP = {"role": "enterprise", "display_name": "Ms Lee", "email": "lee@example.com", "password": PASSWORD,
           "company_name": "Lee Industrial", "company_region": "foshan", "university_id": "0"}


@pytest.mark.parametrize("field", ["display_name", "company_name"])
def test_control_characters_refused_at_sign_up(app, client, field):
    response = submit(client, "/signup", {**SIGN_UP, field: "Lee\x00Industrial"}, button="Create account")
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


@pytest.mark.parametrize(("field", "value"), [("email", "not an email"), ("email", "x\x00@example.com"),
                                              ("display_name", ""), ("display_name", "n" * 101)])
def test_sign_up_field_errors_are_named(app, client, field, value):
    response = submit(client, "/signup", {**SIGN_UP, field: value}, button="Create account")
    assert response.status_code == 400
    assert field in _error_fields(response)


@pytest.mark.parametrize(("field", "value"), [("role", "superuser"), ("company_region", "atlantis"),
                                              ("university_id", "abc")])
def test_sign_up_values_the_form_does_not_offer_are_refused(app, client, field, value):
    # no browser sends this: a radio or option value the sign-up form does not offer
    response = client.post("/signup", data={**SIGN_UP, field: value})
    assert response.status_code == 400
    assert field in _error_fields(response) or (field == "role" and "Not a valid choice" in response.text)


@pytest.mark.parametrize("email", ["nul\x00@example.test", "\x00", "a" * 300])
def test_odd_login_emails_are_refused_not_crashing(client, email):
    response = submit(client, "/login", {"email": email, "password": PASSWORD}, button="Sign in")
    assert response.status_code in (400, 401)


# --- a failed edit loses nothing -------------------------------------------------------------------

@pytest.mark.parametrize(("field", "value"), [("title", ""), ("title", "x\x00y"), ("sector", "alchemy"),
                                              ("trl", "12"), ("summary", "s" * 2001)])
def test_failed_result_edit_leaves_the_row_unchanged(app, client, make, field, value):
    owner = _login(client, make, "researcher")
    posting_id = make.result(owner, status="published")
    before = make.get(ResearchResult, posting_id)
    path = f"/results/{posting_id}/edit"
    if field in ("sector", "trl"):  # no browser sends this: an option the select does not offer
        response = client.post(path, data=result_form(**{field: value}))
    else:  # the owner retypes the posting (as result_form words it) with one field wrong
        response = submit(client, path, result_form(**{field: value}), button="Save")
    assert response.status_code == 400
    assert _error_fields(response) == {field}
    assert make.get(ResearchResult, posting_id) == before
    if field != "title":  # what the user typed comes back in the form, so they lose nothing either
        assert 'value="Perovskite solar cell coating"' in response.get_data(as_text=True)


@pytest.mark.parametrize(("fields", "bad"), [({"budget_min": "9", "budget_max": "1"}, "budget_max"),
                                             ({"deadline": "2030-13-01"}, "deadline"),
                                             ({"description": ""}, "description")])
def test_failed_need_edit_leaves_the_row_unchanged(app, client, make, fields, bad):
    owner = _login(client, make, "enterprise")
    posting_id = make.need(owner, confidential=True)
    before = make.get(EnterpriseNeed, posting_id)
    path = f"/needs/{posting_id}/edit"
    if bad == "deadline":  # no browser sends this: a date input sends "" for a month 13
        response = client.post(path, data=need_form(title="New title", **fields))
    else:
        response = submit(client, path, need_form(title="New title", **fields), button="Save")
    assert response.status_code == 400
    assert _error_fields(response) == {bad}
    assert make.get(EnterpriseNeed, posting_id) == before
