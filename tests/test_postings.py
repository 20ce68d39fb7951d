"""Postings through HTTP: researchers' results and enterprises' needs, from draft to archive."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, ResearchResult
from tests.factories import need_form, result_form
from tests.forms import open_page, submit


def publish(client, path: str):
    """Press "Publish" on the posting's page, as its owner's browser does."""
    return open_page(client, path).form(action=f"{path}/publish").submit("Publish")


def archive(client, path: str):
    """Follow the posting page's "Archive…" link and press "Archive" on the page that asks."""
    assert f'href="{path}/archive"' in open_page(client, path).html
    return open_page(client, f"{path}/archive").form(action=f"{path}/archive").submit("Archive")


def _ids(app, model) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(model.id).order_by(model.id)))


def _created_id(response, prefix: str) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert location.startswith(prefix)
    return int(location.removeprefix(prefix))


def _save(client, url: str, fields: dict):
    """Fill the posting form on `url` (new or edit) as a browser does and press Save."""
    return submit(client, url, fields, button="Save")


def _press(client, posting_path: str, action: str):
    """Press Publish or Archive on the posting's own page."""
    page = open_page(client, posting_path)
    return page.form(action=f"{posting_path}/{action}").submit()


@pytest.fixture
def researcher(make, auth):
    user = make.user("researcher")
    auth.login(user.email)
    return user


@pytest.fixture
def enterprise(make, auth):
    user = make.user("enterprise")
    auth.login(user.email)
    return user


# --- research results ----------------------------------------------------------------------------------

def test_researcher_creates_a_draft_result(app, client, make, researcher):
    response = _save(client, "/results/new", result_form())
    posting_id = _created_id(response, "/results/")
    row = make.get(ResearchResult, posting_id)
    assert row["status"] == "draft" and row["published_at"] is None
    assert row["owner_id"] == researcher.id and row["organisation_id"] == researcher.organisation_id
    assert row["keywords"] == ["perovskite", "鈣鈦礦", "solar"]
    assert set(row["jurisdictions"]) == {"HK", "CN"} and row["trl"] == 4  # in the page's order
    assert "en" in row["languages"] and "zh-Hant" in row["languages"]
    page = client.get(f"/results/{posting_id}").get_data(as_text=True)
    assert "Perovskite solar cell coating" in page and "Draft" in page


def test_result_without_optional_fields(app, client, make, researcher):
    response = _save(client, "/results/new", {"title": "Bare", "summary": "Just the basics.",
                                              "sector": "robotics", "ip_status": "none"})
    row = make.get(ResearchResult, _created_id(response, "/results/"))
    assert row["trl"] is None and row["cooperation_modes"] == [] and row["jurisdictions"] == []
    assert row["keywords"] == [] and row["details"] == ""


def test_researcher_edits_publishes_archives_and_republishes(app, client, make, researcher):
    posting_id = _created_id(_save(client, "/results/new", result_form()), "/results/")
    form = client.get(f"/results/{posting_id}/edit").get_data(as_text=True)
    assert 'value="perovskite, 鈣鈦礦, solar"' in form  # the stored list comes back as typed text

    response = _save(client, f"/results/{posting_id}/edit", result_form(title="Perovskite coating v2", trl="6"))
    assert response.status_code == 302
    row = make.get(ResearchResult, posting_id)
    assert row["title"] == "Perovskite coating v2" and row["trl"] == 6
    assert posting_id not in _listed(client, "/results/")

    assert publish(client, f"/results/{posting_id}").status_code == 302
    published = make.get(ResearchResult, posting_id)
    assert published["status"] == "published" and published["published_at"] is not None
    assert posting_id in _listed(app.test_client(), "/results/")

    assert archive(client, f"/results/{posting_id}").status_code == 302
    assert make.get(ResearchResult, posting_id)["status"] == "archived"
    assert posting_id not in _listed(app.test_client(), "/results/")
    assert app.test_client().get(f"/results/{posting_id}").status_code == 404
    assert client.get(f"/results/{posting_id}").status_code == 200  # the owner still sees it

    assert publish(client, f"/results/{posting_id}").status_code == 302
    again = make.get(ResearchResult, posting_id)
    assert again["status"] == "published" and again["published_at"] == published["published_at"]


def _listed(client, path: str) -> list[int]:
    import re

    page = client.get(path).get_data(as_text=True)
    prefix = re.escape(path.split("?")[0])
    return [int(n) for n in re.findall(rf'href="{prefix}(\d+)"', page)]


# --- enterprise needs ----------------------------------------------------------------------------------

def test_enterprise_creates_a_confidential_need_with_budget_and_deadline(app, client, make, enterprise):
    deadline = date.today() + timedelta(days=30)
    response = _save(client, "/needs/new", need_form(confidential="y", currency="MOP",
                                                        deadline=deadline.isoformat()))
    row = make.get(EnterpriseNeed, _created_id(response, "/needs/"))
    assert row["confidential"] is True and row["currency"] == "MOP"
    assert (row["budget_min"], row["budget_max"]) == (100000, 300000)
    assert row["deadline"] == deadline and row["min_trl"] == 5 and row["region"] == "dongguan"
    assert row["organisation_id"] == enterprise.organisation_id


def test_enterprise_edits_publishes_and_archives_a_need(app, client, make, enterprise):
    posting_id = _created_id(_save(client, "/needs/new", need_form()), "/needs/")
    response = _save(client, f"/needs/{posting_id}/edit", need_form(budget_max="", currency="USD"))
    assert response.status_code == 302
    row = make.get(EnterpriseNeed, posting_id)
    assert row["budget_max"] is None and row["currency"] == "USD" and row["confidential"] is False
    assert publish(client, f"/needs/{posting_id}").status_code == 302
    assert posting_id in _listed(app.test_client(), "/needs/")
    assert archive(client, f"/needs/{posting_id}").status_code == 302
    assert posting_id not in _listed(app.test_client(), "/needs/")


def test_need_detail_shows_budget_and_terms_to_the_public(app, make):
    need = make.need(make.user("enterprise"), budget_min=100000, budget_max=2500000, currency="MOP")
    response = app.test_client().get(f"/needs/{need}")
    assert response.status_code == 200
    assert "MOP 100,000 – 2,500,000" in response.get_data(as_text=True)


def test_a_need_expires_after_its_deadline(app, client, make):
    owner = make.user("enterprise")
    deadline = date(2030, 3, 31)
    need = make.need(owner, deadline=deadline)
    # Hong Kong is UTC+8: 31 March 23:00 in HK is 15:00 UTC, still open; 1 April 00:30 HK has expired.
    with freeze_time(datetime(2030, 3, 31, 15, 0)):
        assert need in _listed(app.test_client(), "/needs/")
    with freeze_time(datetime(2030, 3, 31, 16, 30)):
        visitor = app.test_client()
        assert need not in _listed(visitor, "/needs/")
        assert need in _listed(visitor, "/needs/?status=expired")
        page = visitor.get(f"/needs/{need}")
        assert page.status_code == 200 and "Expired" in page.get_data(as_text=True)


def test_a_past_deadline_is_expired_now(app, make):
    need = make.need(make.user("enterprise"), deadline=date.today() - timedelta(days=2))
    live = make.need(make.user("enterprise"))
    visitor = app.test_client()
    assert _listed(visitor, "/needs/") == [live]
    assert _listed(visitor, "/needs/?status=expired") == [need]
    home = visitor.get("/").get_data(as_text=True)
    assert f"/needs/{live}" in home and f"/needs/{need}" not in home


# --- who may create what -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/needs/new"])
def test_researcher_cannot_create_a_need(app, client, researcher, path):
    assert client.get(path).status_code == 403
    assert client.post(path, data=need_form()).status_code == 403
    assert _ids(app, EnterpriseNeed) == []


def test_enterprise_cannot_create_a_result(app, client, enterprise):
    assert client.get("/results/new").status_code == 403
    assert client.post("/results/new", data=result_form()).status_code == 403
    assert _ids(app, ResearchResult) == []


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_staff_cannot_post(app, client, make, auth, role):
    auth.login(make.user(role).email)
    assert client.post("/results/new", data=result_form()).status_code == 403
    assert client.post("/needs/new", data=need_form()).status_code == 403


def test_anonymous_is_sent_to_sign_in(app, bare_client):
    response = bare_client.get("/results/new")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- my postings ---------------------------------------------------------------------------------------

def test_my_postings_lists_mine_in_every_status_and_nobody_elses(app, client, make, researcher):
    mine = {status: make.result(researcher, status=status, title=f"Mine {status}")
            for status in ("draft", "published", "archived")}
    colleague = make.user("researcher", organisation_id=researcher.organisation_id)
    make.result(colleague, title="The colleague's result")
    page = client.get("/my/postings").get_data(as_text=True)
    for status, posting_id in mine.items():
        assert f'href="/results/{posting_id}">Mine {status}' in page
    assert "The colleague" not in page
    assert 'href="/results/new"' in page


def test_my_postings_for_an_enterprise_lists_needs(app, client, make, enterprise):
    need = make.need(enterprise, status="draft", title="Our secret need")
    page = client.get("/my/postings").get_data(as_text=True)
    assert f'href="/needs/{need}">Our secret need' in page and 'href="/needs/new"' in page


def test_my_postings_is_empty_at_first(client, researcher):
    assert "You have not posted anything yet." in client.get("/my/postings").get_data(as_text=True)


# --- posting rate limit --------------------------------------------------------------------------------

def test_the_21st_new_posting_within_an_hour_is_429(app, client, researcher):
    statuses = [_save(client, "/results/new", result_form(title=f"Result {n}")).status_code
                for n in range(21)]
    assert statuses == [302] * 20 + [429]
    assert len(_ids(app, ResearchResult)) == 20


def test_forms_sent_back_with_errors_do_not_count_as_postings(app, client, researcher):
    for _ in range(5):
        assert _save(client, "/results/new", result_form(title="")).status_code == 400
    statuses = [_save(client, "/results/new", result_form(title=f"Result {n}")).status_code
                for n in range(21)]
    assert statuses == [302] * 20 + [429]


def test_signing_in_again_does_not_reset_the_posting_limit(app, client, auth, researcher):
    for n in range(20):
        _save(client, "/results/new", result_form(title=f"Result {n}"))
    auth.logout()
    auth.login(researcher.email)
    assert _save(client, "/results/new", result_form(title="One more")).status_code == 429


def test_the_posting_limit_is_per_user(app, client, auth, make, researcher):
    for n in range(20):
        _save(client, "/results/new", result_form(title=f"Result {n}"))
    other = app.test_client()
    submit(other, "/login", {"email": make.user("researcher").email, "password": "correct horse battery"})
    assert _save(other, "/results/new", result_form()).status_code == 302


def test_editing_is_not_counted_as_new_postings(app, client, make, researcher):
    posting_id = make.result(researcher)
    for n in range(21):
        assert _save(client, f"/results/{posting_id}/edit", result_form(title=f"v{n}")).status_code == 302
    assert _save(client, "/results/new", result_form()).status_code == 302
