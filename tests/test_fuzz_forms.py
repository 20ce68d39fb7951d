"""Hypothesis throws arbitrary text at every form: never a 500, and a refused form stores nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, ResearchResult, User
from matchmaker.services import matching

FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
ACCEPTABLE = {200, 302, 400, 401, 403, 404, 409, 413, 422, 429}

# Text a hostile or careless user might send: control characters, NUL, surrogate-free unicode, huge strings.
text = st.one_of(st.text(max_size=300), st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=20),
                 st.sampled_from(["", " ", "\x00", "<img src=x onerror=alert(1)>", "石墨烯\x00電池", "x" * 30000,
                                  "9" * 40, "-1", "2026-02-30", "' OR 1=1 --"]))


def _form(fields: tuple[str, ...]):
    return st.fixed_dictionaries({name: text for name in fields})


FORMS = {
    "/signup": ("role", "display_name", "email", "password", "university_id", "company_name", "company_region"),
    "/login": ("email", "password"),
    "/account/preferences": ("locale", "email_notifications"),
    "/account/password": ("current_password", "new_password"),
    "/language": ("lang", "next"),
    "/results/new": ("title", "summary", "details", "keywords", "sector", "trl", "ip_status", "patent_numbers",
                     "jurisdictions", "cooperation_modes", "inventors", "contact_email"),
    "/needs/new": ("title", "description", "keywords", "sector", "budget_min", "budget_max", "currency",
                   "min_trl", "deadline", "region", "confidential", "cooperation_modes"),
}
ROLE_FOR = {"/results/new": "researcher", "/needs/new": "enterprise", "/account/preferences": "researcher",
            "/account/password": "researcher"}


def _rows(app) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                     for m in (ResearchResult, EnterpriseNeed, User, Match))


@pytest.mark.parametrize("path", sorted(FORMS))
def test_forms_never_fail_and_refusals_store_nothing(app, client, auth, make, path):
    if path in ROLE_FOR:
        auth.login(make.user(ROLE_FOR[path]).email)

    @FUZZ
    @given(data=_form(FORMS[path]))
    def post(data):
        before = _rows(app)
        response = client.post(path, data=data)  # malformed on purpose: fuzzing, any text in any field
        assert response.status_code in ACCEPTABLE, (response.status_code, data)
        if response.status_code in (400, 422):
            assert _rows(app) == before

    post()


def test_match_decision_form_never_fails(app, client, auth, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher)
    make.need(enterprise, title="Graphene supercapacitor electrodes wanted", keywords=["graphene"])
    with app.app_context():
        matching.refresh_suggestions(db.session.get(ResearchResult, result_id))
        match_id = db.session.scalar(sa.select(Match.id))
    auth.login(make.user("reviewer").email)

    @FUZZ
    @given(data=_form(("decision", "reason", "note", "version")))
    def post(data):
        response = client.post(f"/matches/{match_id}/decision", data=data)  # malformed on purpose: fuzzing
        assert response.status_code in ACCEPTABLE, (response.status_code, data)

    post()
