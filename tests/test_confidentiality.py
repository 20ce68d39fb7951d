"""A confidential need's company and details reach only its company's users, reviewers and admins.

Everyone else sees the public part (title, sector, region, deadline) in lists, on the detail page and
on the home page, and cannot find the hidden text by searching for it.
"""

from __future__ import annotations

import pytest

from tests.conftest import AuthActions
from tests.forms import submit

COMPANY = "Zenith Hydrogen Holdings"
SECRET = "ceramic membrane electrolyser"
SECRET_KEYWORD = "xylophonic"
TITLE = "Cheaper green hydrogen"


@pytest.fixture
def confidential(make):
    company = make.company(COMPANY)
    owner = make.user("enterprise", organisation_id=company)
    need_id = make.need(owner, title=TITLE, description=f"We build a {SECRET} for 2 MW stacks.",
                        keywords=[SECRET_KEYWORD], confidential=True, budget_min=770000, budget_max=880000,
                        currency="MOP")
    return {"id": need_id, "owner": owner, "company": company}


def _client_as(app, make, who: str, confidential):
    client = app.test_client()
    if who == "anonymous":
        return client
    if who == "owner":
        email = confidential["owner"].email
    elif who == "colleague":
        email = make.user("enterprise", organisation_id=confidential["company"]).email
    elif who == "other enterprise":
        email = make.user("enterprise").email
    else:
        email = make.user(who).email
    assert AuthActions(client).login(email).status_code == 302
    return client


HIDDEN_FROM = ["anonymous", "other enterprise", "researcher"]
SHOWN_TO = ["owner", "colleague", "reviewer", "admin"]
HIDDEN_BITS = [COMPANY, SECRET, SECRET_KEYWORD, "770,000", "880,000", "770000"]


@pytest.mark.parametrize("who", HIDDEN_FROM)
@pytest.mark.parametrize("path", ["/needs/", "/needs/{id}", "/", "/needs/?q=hydrogen",
                                  "/needs/?sector=energy&region=shenzhen"])
def test_hidden_from_outsiders(app, make, confidential, who, path):
    client = _client_as(app, make, who, confidential)
    response = client.get(path.format(id=confidential["id"]))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert TITLE in page  # the public part is there
    for bit in HIDDEN_BITS:
        assert bit not in page, bit


@pytest.mark.parametrize("who", SHOWN_TO)
def test_shown_to_its_company_and_staff(app, make, confidential, who):
    client = _client_as(app, make, who, confidential)
    page = client.get(f"/needs/{confidential['id']}").get_data(as_text=True)
    assert COMPANY in page and SECRET in page and SECRET_KEYWORD in page and "770,000" in page


@pytest.mark.parametrize("who", HIDDEN_FROM + SHOWN_TO)
@pytest.mark.parametrize("query", ["ceramic", "membrane+electrolyser", SECRET_KEYWORD, "Zenith"])
def test_hidden_text_cannot_be_found_by_search(app, make, confidential, who, query):
    client = _client_as(app, make, who, confidential)
    page = client.get(f"/needs/?q={query}").get_data(as_text=True)
    assert f'href="/needs/{confidential["id"]}"' not in page


def test_the_title_can_be_found(app, make, confidential):
    page = app.test_client().get("/needs/?q=green+hydrogen").get_data(as_text=True)
    assert f'href="/needs/{confidential["id"]}"' in page


@pytest.mark.parametrize("who", HIDDEN_FROM)
def test_filtering_by_organisation_does_not_reveal_the_company(app, make, confidential, who):
    client = _client_as(app, make, who, confidential)
    page = client.get(f"/needs/?institution={confidential['company']}").get_data(as_text=True)
    assert f'href="/needs/{confidential["id"]}"' not in page


def test_the_edit_form_is_not_a_way_in(app, make, confidential):
    client = _client_as(app, make, "other enterprise", confidential)
    response = client.get(f"/needs/{confidential['id']}/edit")
    assert response.status_code == 403 and SECRET not in response.get_data(as_text=True)


def test_turning_confidentiality_on_and_off_updates_what_search_finds(app, make):
    owner = make.user("enterprise")
    owner_client = app.test_client()
    AuthActions(owner_client).login(owner.email)
    need_id = make.need(owner, title="Robot gripper", description="Soft silicone fingers.")
    visitor = app.test_client()

    def found() -> bool:
        return f'href="/needs/{need_id}"' in visitor.get("/needs/?q=silicone").get_data(as_text=True)

    assert found()
    assert submit(owner_client, f"/needs/{need_id}/edit", {"confidential": True}, button="Save").status_code == 302
    assert not found()
    assert "Soft silicone" not in visitor.get(f"/needs/{need_id}").get_data(as_text=True)
    assert submit(owner_client, f"/needs/{need_id}/edit", {"confidential": False}, button="Save").status_code == 302
    assert found()
