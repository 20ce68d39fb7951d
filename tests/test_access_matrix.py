"""Who may do what to a posting: every posting route × every kind of visitor → the expected status.

A refused request must also leave the row as it was. The owner of a result is a researcher; "other"
is a researcher of another university, "cross" an enterprise user. For needs the roles swap.
"""

from __future__ import annotations

import pytest

from matchmaker.models import EnterpriseNeed, ResearchResult
from tests.conftest import PASSWORD
from tests.factories import need_form, result_form
from tests.forms import submit

ACTORS = ("owner", "other", "cross", "reviewer", "admin", "anonymous")
KINDS = {"result": ("results", ResearchResult, result_form), "need": ("needs", EnterpriseNeed, need_form)}


def _row(owner=200, other=200, cross=200, reviewer=200, admin=200, anonymous=200) -> dict[str, int]:
    return {"owner": owner, "other": other, "cross": cross, "reviewer": reviewer, "admin": admin,
            "anonymous": anonymous}


# (method, route, the posting's status or None, expected status per actor)
MATRIX = [
    ("GET", "/", None, _row()),
    ("GET", "/{id}", "published", _row()),
    ("GET", "/{id}", "draft", _row(other=404, cross=404, anonymous=404)),
    ("GET", "/{id}", "archived", _row(other=404, cross=404, anonymous=404)),
    ("GET", "/new", None, _row(cross=403, reviewer=403, admin=403, anonymous=302)),
    ("POST", "/new", None, _row(owner=302, other=302, cross=403, reviewer=403, admin=403, anonymous=302)),
    ("GET", "/{id}/edit", "published", _row(other=403, cross=403, reviewer=403, anonymous=302)),
    ("GET", "/{id}/edit", "draft", _row(other=404, cross=404, reviewer=403, anonymous=302)),
    ("POST", "/{id}/edit", "published", _row(302, 403, 403, 403, 302, 302)),
    ("POST", "/{id}/edit", "draft", _row(302, 404, 404, 403, 302, 302)),
    ("POST", "/{id}/publish", "draft", _row(302, 404, 404, 403, 302, 302)),
    ("POST", "/{id}/publish", "archived", _row(302, 404, 404, 403, 302, 302)),
    ("POST", "/{id}/archive", "published", _row(302, 403, 403, 403, 302, 302)),
    ("POST", "/{id}/archive", "draft", _row(302, 404, 404, 403, 302, 302)),
    ("GET", "/{id}/publish", "draft", _row(other=404, cross=404, reviewer=403, anonymous=302)),
    ("GET", "/{id}/archive", "published", _row(other=403, cross=403, reviewer=403, anonymous=302)),
    ("GET", "/{id}/archive", "draft", _row(other=404, cross=404, reviewer=403, anonymous=302)),
    ("GET", "/{id}/nope", "published", _row(404, 404, 404, 404, 404, 404)),
    ("GET", "/999999", None, _row(404, 404, 404, 404, 404, 404)),
    ("GET", "/999999/edit", None, _row(404, 404, 404, 404, 404, 302)),
    ("POST", "/999999/publish", None, _row(404, 404, 404, 404, 404, 302)),
]


def _cases():
    for kind in KINDS:
        for method, route, status, expected in MATRIX:
            for actor in ACTORS:
                yield pytest.param(kind, method, route, status, actor, expected[actor],
                                   id=f"{kind}-{method}-{route}-{status}-{actor}")


def _poster_roles(kind: str) -> tuple[str, str]:
    return ("researcher", "enterprise") if kind == "result" else ("enterprise", "researcher")


def _sign_in(client, email: str):
    return submit(client, "/login", {"email": email, "password": PASSWORD}, action="/login")


def _actor_client(app, make, kind: str, actor: str, owner):
    own_role, cross_role = _poster_roles(kind)
    client = app.test_client()
    if actor == "anonymous":
        return client
    if actor == "owner":
        email = owner.email
    elif actor == "other":
        other_org = make.university("CUHK") if own_role == "researcher" else make.company()
        email = make.user(own_role, organisation_id=other_org).email
    else:
        email = make.user(cross_role if actor == "cross" else actor).email
    assert _sign_in(client, email).status_code == 302
    return client


@pytest.mark.parametrize(("kind", "method", "route", "status", "actor", "expected"), list(_cases()))
def test_route_by_role(app, make, kind, method, route, status, actor, expected):
    prefix, model, form = KINDS[kind]
    owner = make.user(_poster_roles(kind)[0])
    posting_id = getattr(make, kind)(owner, status=status) if status else None
    client = _actor_client(app, make, kind, actor, owner)
    before = make.get(model, posting_id) if posting_id else None

    path = f"/{prefix}" + route.format(id=posting_id)
    data = form(title="Changed by the test") if method == "POST" else None
    response = client.open(path, method=method, data=data)

    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302 and actor == "anonymous":
        assert response.headers["Location"].startswith("/login")
    if posting_id and response.status_code != 302:
        assert make.get(model, posting_id) == before  # a refused request changes nothing


def test_admin_edit_keeps_the_owner(app, make):
    owner = make.user("researcher")
    posting_id = make.result(owner)
    admin = app.test_client()
    _sign_in(admin, make.user("admin").email)
    response = submit(admin, f"/results/{posting_id}/edit", result_form(title="Fixed typo"), button="Save")
    assert response.status_code == 302
    row = make.get(ResearchResult, posting_id)
    assert row["title"] == "Fixed typo"
    assert row["owner_id"] == owner.id and row["organisation_id"] == owner.organisation_id


def test_colleague_at_the_same_institution_cannot_edit(app, make):
    owner = make.user("researcher")
    posting_id = make.result(owner, status="draft")
    colleague = app.test_client()
    _sign_in(colleague, make.user("researcher", organisation_id=owner.organisation_id).email)
    assert colleague.get(f"/results/{posting_id}").status_code == 404
    assert colleague.post(f"/results/{posting_id}/publish").status_code == 404
    assert make.get(ResearchResult, posting_id)["status"] == "draft"


@pytest.mark.parametrize(("role", "expected"), [("researcher", 200), ("enterprise", 200),
                                                ("reviewer", 403), ("admin", 403)])
def test_my_postings_by_role(app, make, role, expected):
    client = app.test_client()
    _sign_in(client, make.user(role).email)
    assert client.get("/my/postings").status_code == expected


def test_my_postings_sends_anonymous_to_sign_in(app):
    response = app.test_client().get("/my/postings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
