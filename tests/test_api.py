"""The JSON API through HTTP with bearer tokens: sign-in, who may do what, validation, errors, CSRF for
cookie callers, Chinese unescaped, pagination, the taxonomy, the spec and the docs page."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from matchmaker import taxonomy
from matchmaker.extensions import db
from matchmaker.models import ApiToken, EnterpriseNeed, ResearchResult
from tests.conftest import PASSWORD
from tests.test_api_support import NEED, RESULT, ApiClient, Cast, build_cast, sign_in


@pytest.fixture
def cast(app, make) -> Cast:
    return build_cast(app, make)


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# ---- tokens ------------------------------------------------------------------------------------------

def test_sign_in_gives_a_token_stored_only_as_its_sha256(app, make):
    user = make.user("researcher")
    token = sign_in(app, user.email.upper())  # emails are case-insensitive, as on the site
    assert token.startswith("mm_") and len(token) >= 43
    with app.app_context():
        rows = db.session.scalars(sa.select(ApiToken)).all()
        assert [row.token_hash for row in rows] == [hashlib.sha256(token.encode()).hexdigest()]
        assert all(token not in str(value) for value in vars(rows[0]).values())
    me = ApiClient(app, token).get("/me")
    assert me.status_code == 200 and me.get_json()["email"] == user.email
    assert "Set-Cookie" not in me.headers  # a token call leaves no session behind


def test_wrong_password_is_401_then_the_account_is_rate_limited(app, make):
    user, anonymous = make.user("enterprise"), ApiClient(app)
    for _ in range(5):
        response = anonymous.post("/tokens", json={"email": user.email, "password": "wrong password!"})
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["message"]
    response = anonymous.post("/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429 and "Retry-After" in response.headers


def test_a_bad_revoked_or_expired_token_is_401_even_where_anonymous_may_read(app, make):
    user = make.user("researcher")
    assert ApiClient(app, "mm_not-a-real-token").get("/results").status_code == 401
    token = sign_in(app, user.email)
    assert ApiClient(app, token).delete("/tokens/current").status_code == 204
    assert ApiClient(app, token).get("/me").status_code == 401
    token = sign_in(app, user.email)
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(expires_at=sa.func.current_timestamp()))
        db.session.commit()
    assert ApiClient(app, token).get("/me").status_code == 401


def test_anonymous_calls_that_need_an_account_get_401_json_not_a_redirect(app):
    response = ApiClient(app).post("/results", json=RESULT)
    assert response.status_code == 401 and response.is_json
    assert ApiClient(app).get("/matches").status_code == 401


# ---- who may do what ----------------------------------------------------------------------------------

ACTORS = ("researcher", "other", "enterprise", "reviewer", "admin", "anonymous")


def _row(researcher, other, enterprise, reviewer, admin, anonymous):
    return dict(zip(ACTORS, (researcher, other, enterprise, reviewer, admin, anonymous), strict=True))


# (method, path, status of the researcher's result or None, expected status per actor)
MATRIX = [
    ("GET", "/results", None, _row(200, 200, 200, 200, 200, 200)),
    ("POST", "/results", None, _row(201, 201, 403, 403, 403, 401)),
    ("GET", "/results/{id}", "published", _row(200, 200, 200, 200, 200, 200)),
    ("GET", "/results/{id}", "draft", _row(200, 404, 404, 200, 200, 404)),
    ("PATCH", "/results/{id}", "published", _row(200, 403, 403, 403, 200, 401)),
    ("PATCH", "/results/{id}", "draft", _row(200, 404, 404, 403, 200, 401)),
    ("DELETE", "/results/{id}", "published", _row(200, 403, 403, 403, 200, 401)),
    ("POST", "/results/{id}/publish", "draft", _row(200, 404, 404, 403, 200, 401)),
    ("GET", "/results/999999", None, _row(404, 404, 404, 404, 404, 404)),
    ("GET", "/needs", None, _row(200, 200, 200, 200, 200, 200)),
    ("POST", "/needs", None, _row(403, 403, 201, 403, 403, 401)),
    ("GET", "/matches", None, _row(200, 200, 200, 200, 200, 401)),
    ("GET", "/notifications", None, _row(200, 200, 200, 200, 200, 401)),
    ("GET", "/taxonomy", None, _row(200, 200, 200, 200, 200, 200)),
]


@pytest.mark.parametrize(("method", "path", "status", "expected"), MATRIX,
                         ids=[f"{m}-{p}-{s}" for m, p, s, _ in MATRIX])
def test_route_by_role(app, make, cast, method, path, status, expected):
    result_id = make.result(cast.users["researcher"], status=status) if status else None
    change = {} if path.endswith("/publish") else {"title": "A better title"}  # publish takes only its flag
    body = {"/results": RESULT, "/needs": NEED}.get(path, change)
    before = make.get(ResearchResult, result_id) if result_id else None
    for actor in sorted(ACTORS, key=lambda a: a in ("researcher", "admin")):  # those who succeed go last
        kwargs = {"json": body} if method in ("POST", "PATCH") else {}
        response = cast[actor].open(method, path.format(id=result_id), **kwargs)
        assert response.status_code == expected[actor], (actor, response.get_data(as_text=True))
        assert response.is_json
        if result_id and response.status_code >= 400:
            assert make.get(ResearchResult, result_id) == before  # a refusal changes nothing
        elif result_id:
            before = make.get(ResearchResult, result_id)


def test_a_confidential_need_hides_company_and_details_as_the_site_does(app, make, cast):
    need_id = make.need(cast.users["enterprise"], confidential=True, description="Secret sauce")
    for actor in ("anonymous", "researcher"):
        body = cast[actor].get(f"/needs/{need_id}").get_json()
        assert body["details_hidden"] is True and body["title"]
        assert not {"organisation", "description", "keywords", "budget_min"} & set(body)
        listed = cast[actor].get("/needs").get_json()["items"]
        assert "Secret sauce" not in str(listed) and listed[0]["details_hidden"] is True
    for actor in ("enterprise", "reviewer", "admin"):
        body = cast[actor].get(f"/needs/{need_id}").get_json()
        assert body["description"] == "Secret sauce" and body["organisation"]["id"]


def test_a_results_contact_email_is_for_its_owner_and_staff(make, cast):
    result_id = make.result(cast.users["researcher"], contact_email="wong@example.com")
    for actor, sees in (("anonymous", False), ("enterprise", False), ("researcher", True),
                        ("reviewer", True)):
        assert ("contact_email" in cast[actor].get(f"/results/{result_id}").get_json()) is sees


def test_delete_archives_and_keeps_the_row(app, make, cast):
    result_id = make.result(cast.users["researcher"])
    response = cast["researcher"].delete(f"/results/{result_id}")
    assert response.status_code == 200 and response.get_json()["status"] == "archived"
    assert make.get(ResearchResult, result_id)["status"] == "archived"
    assert cast["anonymous"].get(f"/results/{result_id}").status_code == 404


# ---- input --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"title": None}, "title"), ({"title": "   "}, "title"), ({"sector": "space"}, "sector"),
    ({"summary": "nul \x00 byte"}, "summary"), ({"keywords": ["ok", "bad\x07"]}, "keywords"),
    ({"trl": 10}, "trl"), ({"trl": "5"}, "trl"), ({"cooperation_modes": ["barter"]}, "cooperation_modes"),
    ({"status": "published"}, "status"), ({"colour": "blue"}, "colour"), ({"title": "x" * 201}, "title"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(app, cast, change, field):
    body = {key: value for key, value in {**RESULT, **change}.items() if value is not None}
    response = cast["researcher"].post("/results", json=body)
    assert response.status_code == 422
    assert response.get_json()["field"] == field and field in response.get_json()["message"]
    assert _count(app, ResearchResult) == 0


def test_service_rules_name_the_field_too(app, make, cast):
    response = cast["enterprise"].post("/needs", json={**NEED, "budget_min": 500, "budget_max": 100})
    assert response.status_code == 422 and response.get_json()["field"] == "budget_max"
    need_id = make.need(cast.users["enterprise"], budget_min=100000, budget_max=500000)
    response = cast["enterprise"].patch(f"/needs/{need_id}", json={"budget_max": 10})
    assert response.status_code == 422 and response.get_json()["field"] == "budget_max"
    assert make.get(EnterpriseNeed, need_id)["budget_max"] == 500000


def test_a_body_that_is_not_json_is_400(cast):
    response = cast["researcher"].post("/results", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.get_json()["message"]


def test_a_body_over_the_size_limit_is_413(app, cast):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = cast["researcher"].post("/results", json={**RESULT, "details": "x" * 2000})
    assert response.status_code == 413 and response.is_json
    assert _count(app, ResearchResult) == 0


def test_revoking_the_current_token_without_one_is_404(client, auth, make):
    auth.login(make.user("researcher").email)
    assert client.delete("/api/v1/tokens/current").status_code == 404


def test_patch_changes_only_the_fields_sent(make, cast):
    result_id = make.result(cast.users["researcher"], trl=3)
    before = make.get(ResearchResult, result_id)
    response = cast["researcher"].patch(f"/results/{result_id}", json={"trl": 7, "keywords": ["a", "A", "b"]})
    assert response.status_code == 200
    stored = make.get(ResearchResult, result_id)
    assert stored["trl"] == 7 and stored["keywords"] == ["a", "b"]
    assert (stored["title"], stored["summary"]) == (before["title"], before["summary"])


def test_chinese_comes_back_unescaped(cast):
    response = cast["researcher"].post("/results", json={**RESULT, "title": "石墨烯導熱膜"})
    assert response.status_code == 201
    raw = response.get_data()
    assert "石墨烯導熱膜".encode() in raw and b"\\u77f3" not in raw
    assert response.headers["Content-Type"].startswith("application/json")


def test_pagination(make, cast):
    for number in range(25):
        make.result(cast.users["researcher"], title=f"Result {number}")
    body = cast["anonymous"].get("/results?per_page=10&page=3").get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (3, 10, 25, 3)
    assert len(body["items"]) == 5
    first = cast["anonymous"].get("/results?per_page=10").get_json()["items"]
    assert not {item["id"] for item in first} & {item["id"] for item in body["items"]}
    for query, field in (("per_page=101", "per_page"), ("page=0", "page"), ("sector=space", "sector")):
        response = cast["anonymous"].get(f"/results?{query}")
        assert response.status_code == 422 and response.get_json()["field"] == field


def test_mine_lists_the_callers_own_postings_whatever_their_status(make, cast):
    draft = make.result(cast.users["researcher"], status="draft")
    make.result(cast.users["other"])
    mine = cast["researcher"].get("/results?mine=true").get_json()["items"]
    assert [item["id"] for item in mine] == [draft] and mine[0]["status"] == "draft"
    assert draft not in [item["id"] for item in cast["researcher"].get("/results").get_json()["items"]]
    assert cast["anonymous"].get("/results?mine=true").status_code == 401


def test_search_finds_traditional_with_simplified(make, cast):
    make.result(cast.users["researcher"], title="石墨烯導熱膜", keywords=["導熱"])
    make.result(cast.users["researcher"], title="Unrelated solar ink", keywords=["solar"])
    items = cast["anonymous"].get("/results", query_string={"q": "导热"}).get_json()["items"]
    assert [item["title"] for item in items] == ["石墨烯導熱膜"]


# ---- CSRF for cookie callers ---------------------------------------------------------------------------

def test_cookie_authenticated_json_needs_the_csrf_header(app, client, auth, make):
    auth.login(make.user("researcher").email)
    response = client.post("/api/v1/results", json=RESULT, no_csrf=True)
    assert response.status_code == 400 and response.is_json
    assert _count(app, ResearchResult) == 0
    response = client.post("/api/v1/results", json=RESULT)  # the client adds X-CSRFToken
    assert response.status_code == 201
    assert client.get("/api/v1/me").get_json()["role"] == "researcher"


def test_token_calls_need_no_csrf_even_with_a_session_cookie(app, client, auth, make):
    user = make.user("researcher")
    auth.login(user.email)
    token = sign_in(app, user.email)
    response = client.post("/api/v1/results", json=RESULT, no_csrf=True,
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


# ---- limits, methods, taxonomy, spec, docs -------------------------------------------------------------

def test_405_carries_allow(cast):
    response = cast["researcher"].open("PUT", "/results")
    assert response.status_code == 405 and response.is_json
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_new_postings_are_limited_per_hour(cast):
    statuses = [cast["researcher"].post("/results", json=RESULT).status_code for _ in range(21)]
    assert statuses == [201] * 20 + [429]


def test_the_api_is_rate_limited_per_account(app, make):
    app.config["API_RATE_LIMIT"] = "5 per minute"
    first, second = (ApiClient(app, sign_in(app, make.user("researcher").email)) for _ in range(2))
    assert [first.get("/me").status_code for _ in range(6)] == [200] * 5 + [429]
    assert second.get("/me").status_code == 200  # per account, not per address


def test_taxonomy_lists_every_code_with_three_labels(cast):
    body = cast["anonymous"].get("/taxonomy").get_json()
    for vocabulary in (taxonomy.SECTORS, taxonomy.TRL, taxonomy.IP_STATUSES, taxonomy.COOPERATION_MODES,
                       taxonomy.REGIONS, taxonomy.CURRENCIES):
        assert [term["code"] for term in body[vocabulary.name]] == list(vocabulary.codes)
        assert all(term["labels"] == vocabulary[term["code"]].labels() for term in body[vocabulary.name])


def test_every_operation_documents_auth_and_rate_limit_errors(cast):
    spec = cast["anonymous"].get("/openapi.json").get_json()
    operations = [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]
    assert len(operations) >= 20
    for method, path, operation in operations:
        assert {"401", "429"} <= set(operation["responses"]), (method, path)
        if method in ("post", "patch", "delete"):
            assert "400" in operation["responses"], (method, path)


def test_docs_page_renders_every_operation_without_scripts_or_inline_styles(cast):
    spec = cast["anonymous"].get("/openapi.json").get_json()
    response = cast["anonymous"].get("/docs")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page and "style=" not in page and "<style" not in page
    for path in spec["paths"]:
        assert path in page
