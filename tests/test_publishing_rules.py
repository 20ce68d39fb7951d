"""What publishing and archiving refuse or ask first, through the pages as a browser sends them and
through the API: a deadline in the past (Hong Kong's calendar), a near copy of a live posting of the same
organisation, and archiving a posting whose matches it ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, ResearchResult
from matchmaker.models.base import today_hk
from tests.forms import open_page
from tests.test_api_support import NEED, ApiClient, sign_in

RESULT = dict(title="Graphene thermal film for smartphones",
              summary="A graphene film that spreads heat in 5G phones three times better than graphite sheets, "
                      "printed in rolls and laminated onto the chip shield.",
              keywords=["graphene", "thermal film", "5G"], sector="materials")
OTHER_RESULT = dict(title="Seawater desalination membrane", summary="Solar membrane distillation for islands "
                    "without grid power.", keywords=["desalination", "membrane"], sector="environment")
ZH_HK = {"Accept-Language": "zh-HK"}


def _status(make, model, posting_id: int) -> str:
    return make.get(model, posting_id)["status"]


def _press_publish(client, path: str, button: str = "Publish", **kwargs):
    """The owner presses "Publish" on the posting's own page."""
    return open_page(client, path, **kwargs).form(action=f"{path}/publish").submit(button, **kwargs)


# ---- fault 4: a deadline before today, in Hong Kong -----------------------------------------------------

def _need_form_page(client, **kwargs):
    form = open_page(client, "/needs/new", **kwargs).form(action="/needs/new")
    return form.fill(title="Battery pack cooling", description="Our packs overheat when charged fast.",
                     keywords="battery, thermal", sector="energy", region="dongguan")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_deadline_before_today_in_hong_kong_is_refused_keeping_what_was_typed(app, client, auth, make):
    user = make.user("enterprise")
    # 31 March 16:30 UTC is 1 April 00:30 in Hong Kong: 31 March is still today in UTC, but past in HK.
    with freeze_time(datetime(2030, 3, 31, 16, 30)):
        auth.login(user.email)
        response = _need_form_page(client).set("deadline", "2030-03-31").submit("Save")
        page = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This date has passed" in page
        assert 'value="Battery pack cooling"' in page and "Our packs overheat when charged fast." in page
        assert 'value="2030-03-31"' in page  # the date typed comes back to be corrected
        assert _count(app, EnterpriseNeed) == 0

        # 1 April is today in Hong Kong (still 31 March in UTC): accepted.
        response = _need_form_page(client).set("deadline", "2030-04-01").submit("Save")
        assert response.status_code == 302
        assert _count(app, EnterpriseNeed) == 1


def test_the_deadline_error_is_in_the_readers_language(client, auth, make):
    auth.login(make.user("enterprise").email)
    yesterday = (today_hk() - timedelta(days=1)).isoformat()
    response = _need_form_page(client, headers=ZH_HK).set("deadline", yesterday).submit("儲存", headers=ZH_HK)
    assert response.status_code == 400 and "此日期已過" in response.get_data(as_text=True)


def test_an_edit_may_keep_a_passed_deadline_but_not_move_it_into_the_past(client, auth, make):
    owner = make.user("enterprise")
    passed = today_hk() - timedelta(days=3)
    need_id = make.need(owner, deadline=passed)  # published before its deadline, expired since
    auth.login(owner.email)
    edit = open_page(client, f"/needs/{need_id}/edit").form(action=f"/needs/{need_id}/edit")
    assert edit.fill(title="Battery pack cooling, revised").submit("Save").status_code == 302
    assert make.get(EnterpriseNeed, need_id)["title"] == "Battery pack cooling, revised"

    edit = open_page(client, f"/needs/{need_id}/edit").form(action=f"/needs/{need_id}/edit")
    earlier = (passed - timedelta(days=1)).isoformat()
    response = edit.set("deadline", earlier).submit("Save")
    assert response.status_code == 400 and "This date has passed" in response.get_data(as_text=True)
    assert make.get(EnterpriseNeed, need_id)["deadline"] == passed


def test_an_expired_draft_is_not_published_and_says_why(client, auth, make):
    owner = make.user("enterprise")
    need_id = make.need(owner, status="draft", deadline=today_hk() - timedelta(days=1))
    auth.login(owner.email)
    response = _press_publish(client, f"/needs/{need_id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/needs/{need_id}"
    page = client.get(f"/needs/{need_id}").get_data(as_text=True)
    assert "The deadline has passed, so this posting cannot be published" in page
    assert "flash-error" in page and "Published." not in page
    assert _status(make, EnterpriseNeed, need_id) == "draft"

    # The publish page says the same and leads to the form to fix it, with no button to publish.
    confirm = open_page(client, f"/needs/{need_id}/publish")
    assert "cannot be published" in confirm.html and f'href="/needs/{need_id}/edit"' in confirm.html
    assert not [f for f in confirm.forms if f.action.endswith("/publish")]


def test_an_archived_need_whose_deadline_passed_is_not_republished(client, auth, make):
    owner = make.user("enterprise")
    need_id = make.need(owner, status="archived", deadline=today_hk() - timedelta(days=10))
    auth.login(owner.email)
    _press_publish(client, f"/needs/{need_id}")
    assert _status(make, EnterpriseNeed, need_id) == "archived"


def test_a_deadline_of_today_in_hong_kong_publishes(client, auth, make):
    owner = make.user("enterprise")
    with freeze_time(datetime(2030, 3, 31, 16, 30)):  # 1 April in Hong Kong
        need_id = make.need(owner, status="draft", deadline=datetime(2030, 4, 1).date())
        auth.login(owner.email)
        assert _press_publish(client, f"/needs/{need_id}").status_code == 302
        assert _status(make, EnterpriseNeed, need_id) == "published"


def test_the_api_refuses_a_past_deadline_and_publishing_an_expired_need(app, make):
    owner = make.user("enterprise")
    api = ApiClient(app, sign_in(app, owner.email))
    yesterday = (today_hk() - timedelta(days=1)).isoformat()

    response = api.post("/needs", json={**NEED, "deadline": yesterday})
    assert response.status_code == 422 and response.get_json()["field"] == "deadline"
    assert "This date has passed" in response.get_json()["message"]
    assert _count(app, EnterpriseNeed) == 0

    live = make.need(owner, status="draft")
    assert api.patch(f"/needs/{live}", json={"deadline": yesterday}).status_code == 422
    assert make.get(EnterpriseNeed, live)["deadline"] > today_hk()

    expired = make.need(owner, status="draft", deadline=today_hk() - timedelta(days=1))
    response = api.post(f"/needs/{expired}/publish")
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "deadline" and "cannot be published" in body["message"]
    assert _status(make, EnterpriseNeed, expired) == "draft"


# ---- fault 5: a near copy of a live posting of the same organisation ------------------------------------

def test_publishing_a_near_copy_asks_first_naming_the_other_posting(client, auth, make):
    colleague = make.user("researcher")
    owner = make.user("researcher", organisation_id=colleague.organisation_id)
    original = make.result(colleague, **RESULT)
    copy = make.result(owner, status="draft", **{**RESULT, "title": RESULT["title"] + " (2)"})
    auth.login(owner.email)

    response = _press_publish(client, f"/results/{copy}")
    assert response.status_code == 302 and response.headers["Location"] == f"/results/{copy}/publish"
    assert _status(make, ResearchResult, copy) == "draft"

    confirm = open_page(client, f"/results/{copy}/publish")
    assert "Not published yet." in confirm.html
    assert f'href="/results/{original}">{RESULT["title"]}</a>' in confirm.html
    assert "% similar" in confirm.html
    assert _status(make, ResearchResult, copy) == "draft"  # looking at the question changes nothing

    response = confirm.form(action=f"/results/{copy}/publish").submit("Publish anyway")
    assert response.status_code == 302 and response.headers["Location"] == f"/results/{copy}"
    assert _status(make, ResearchResult, copy) == "published"
    assert "Published." in client.get(f"/results/{copy}").get_data(as_text=True)


def test_the_question_is_asked_in_the_readers_language(client, auth, make):
    owner = make.user("researcher")
    make.result(owner, **RESULT)
    copy = make.result(owner, status="draft", **RESULT)
    auth.login(owner.email)
    _press_publish(client, f"/results/{copy}", "發佈", headers=ZH_HK)
    confirm = open_page(client, f"/results/{copy}/publish", headers=ZH_HK)
    assert "尚未發佈。" in confirm.html and "相似度" in confirm.html
    confirm.form(action=f"/results/{copy}/publish").submit("仍然發佈", headers=ZH_HK)
    assert _status(make, ResearchResult, copy) == "published"


@pytest.mark.parametrize("case", ["other organisation", "different text", "draft original", "archived original"])
def test_publishing_without_a_live_near_copy_in_the_organisation_asks_nothing(client, auth, make, case):
    owner = make.user("researcher")
    if case == "other organisation":
        make.result(make.user("researcher", organisation_id=make.university("CUHK")), **RESULT)
    elif case == "different text":
        make.result(owner, **OTHER_RESULT)
    else:
        make.result(owner, status=case.split()[0], **RESULT)
    posting = make.result(owner, status="draft", **RESULT)
    auth.login(owner.email)
    response = _press_publish(client, f"/results/{posting}")
    assert response.headers["Location"] == f"/results/{posting}"
    assert _status(make, ResearchResult, posting) == "published"


def test_a_need_copying_a_live_need_of_the_company_asks_too(client, auth, make):
    owner = make.user("enterprise")
    original = make.need(owner)
    copy = make.need(owner, status="draft")
    auth.login(owner.email)
    assert _press_publish(client, f"/needs/{copy}").headers["Location"] == f"/needs/{copy}/publish"
    assert f'href="/needs/{original}"' in open_page(client, f"/needs/{copy}/publish").html
    assert _status(make, EnterpriseNeed, copy) == "draft"


def test_the_api_refuses_a_near_copy_with_409_until_confirmed(app, make):
    owner = make.user("researcher")
    original = make.result(owner, **RESULT)
    copy = make.result(owner, status="draft", **RESULT)
    api = ApiClient(app, sign_in(app, owner.email))

    response = api.post(f"/results/{copy}/publish")
    assert response.status_code == 409
    body = response.get_json()
    assert body["status"] == 409 and body["field"] == "confirm_duplicate"
    assert RESULT["title"] in body["message"]
    assert [(d["id"], d["title"], d["url"]) for d in body["duplicates"]] == [
        (original, RESULT["title"], f"/results/{original}")]
    assert body["duplicates"][0]["similarity"] >= 0.9
    assert _status(make, ResearchResult, copy) == "draft"

    assert api.post(f"/results/{copy}/publish", json={"confirm_duplicate": "yes"}).status_code == 422
    response = api.post(f"/results/{copy}/publish", json={"confirm_duplicate": True})
    assert response.status_code == 200 and response.get_json()["status"] == "published"


# ---- fault 19: archiving asks, and says what happens to the matches -------------------------------------

def _match(app, result_id: int, need_id: int, state: str) -> int:
    with app.app_context():
        match = Match(result_id=result_id, need_id=need_id, score=0.5, rank=1, engine_version="test",
                      state=state)
        db.session.add(match)
        db.session.commit()
        return match.id


def _states(app, result_id: int) -> dict[int, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(Match.id, Match.state).where(Match.result_id == result_id)).all())


def _result_with_matches(app, make, states: list[str]):
    owner = make.user("researcher")
    result_id = make.result(owner, **RESULT)
    for state in states:
        _match(app, result_id, make.need(make.user("enterprise")), state)
    return owner, result_id


def test_archiving_asks_and_says_what_happens_to_the_matches(app, client, auth, make):
    states = ["introduced"] * 3 + ["suggested", "connected", "agreed", "closed", "rejected"]
    owner, result_id = _result_with_matches(app, make, states)
    auth.login(owner.email)
    path = f"/results/{result_id}"

    detail = open_page(client, path)
    assert f'href="{path}/archive"' in detail.html
    assert not [f for f in detail.forms if f.action.endswith("/archive")]  # no one-click archive
    confirm = open_page(client, f"{path}/archive")
    assert _status(make, ResearchResult, result_id) == "published"
    text = " ".join(confirm.html.split())
    assert "3 introduced matches, still waiting for answers, will be withdrawn." in text
    assert "1 connected match stays connected" in text
    assert "1 agreed match stays in your history." in text
    assert "1 closed match stays in your history." in text
    assert "Nothing is deleted." in text

    response = confirm.form(action=f"{path}/archive").submit("Archive")
    assert response.status_code == 302 and response.headers["Location"] == path
    assert _status(make, ResearchResult, result_id) == "archived"
    # What the page said is what happened.
    after = sorted(_states(app, result_id).values())
    assert after == sorted(["withdrawn"] * 4 + ["connected", "agreed", "closed", "rejected"])


def test_the_archive_page_speaks_chinese_and_archives(app, client, auth, make):
    owner, result_id = _result_with_matches(app, make, ["agreed"])
    auth.login(owner.email)
    confirm = open_page(client, f"/results/{result_id}/archive", headers=ZH_HK)
    assert "1 個已達成協議的配對會保留在您的紀錄中。" in confirm.html
    assert "封存「" in confirm.html
    confirm.form(action=f"/results/{result_id}/archive").submit("封存", headers=ZH_HK)
    assert _status(make, ResearchResult, result_id) == "archived"


def test_a_post_without_the_confirmation_does_not_archive(client, auth, make):
    owner = make.user("enterprise")
    need_id = make.need(owner)
    auth.login(owner.email)
    response = client.post(f"/needs/{need_id}/archive")  # malformed on purpose: no page sends this
    assert response.status_code == 302 and response.headers["Location"] == f"/needs/{need_id}/archive"
    assert _status(make, EnterpriseNeed, need_id) == "published"


def test_an_archived_posting_is_not_asked_about_again(client, auth, make):
    owner = make.user("researcher")
    result_id = make.result(owner, status="archived")
    auth.login(owner.email)
    page = open_page(client, f"/results/{result_id}/archive")
    assert "archived already" in page.html
    assert not [f for f in page.forms if f.action.endswith("/archive")]
