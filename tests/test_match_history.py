"""A match's history names what happened and who did it, as each side may know them, and shows the other
side's answer and its message as soon as the match is introduced — on the match page and in the API."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, ResearchResult
from matchmaker.services import matching
from tests.forms import open_page
from tests.test_api_support import ApiClient, sign_in
from tests.test_pipeline import NEED, RESULT

HKU = "The University of Hong Kong"
_LABEL = re.compile(r'<span class="event-label">(.*?)</span>(?: <span class="badge[^"]*">(.*?)</span>)?', re.S)


@pytest.fixture
def world(app, make):
    """Returns a builder: a researcher at HKU and ACME Ltd's need (confidential or not), introduced."""
    def build(confidential: bool = False):
        people = {"researcher": make.user("researcher"),
                  "enterprise": make.user("enterprise", organisation_id=make.company("ACME Ltd")),
                  "reviewer": make.user("reviewer")}
        result_id = make.result(people["researcher"], **RESULT)
        make.need(people["enterprise"], confidential=confidential, **NEED)
        with app.app_context():
            matching.refresh_suggestions(db.session.get(ResearchResult, result_id))
            match_id = db.session.scalar(sa.select(Match.id))
        return people, match_id
    return build


def _as(client, auth, person):
    auth.logout()
    auth.login(person.email)


def _press(client, match_id: int, action: str, radio: tuple[str, str], button: str, **fields):
    form = open_page(client, f"/matches/{match_id}").form(action=f"/matches/{match_id}/{action}")
    response = form.choose(*radio).fill(**fields).submit(button)
    assert response.status_code == 302, response.get_data(as_text=True)


def _introduce(client, auth, people, match_id):
    _as(client, auth, people["reviewer"])
    _press(client, match_id, "decision", ("decision", "approve"), "Save decision",
           message="Both of you work on graphene films.")


def _answer(client, auth, person, match_id, answer: str, message: str = ""):
    _as(client, auth, person)
    _press(client, match_id, "response", ("answer", answer), "Send answer", message=message)


def history(client, match_id: int) -> list[tuple[str, str]]:
    """(what happened, the state it led to or "") for each row of the page's history."""
    page = client.get(f"/matches/{match_id}").get_data(as_text=True)
    section = page.split('<section class="history">', 1)[1]
    return [(html.unescape(label).strip(), html.unescape(state or "")) for label, state in _LABEL.findall(section)]


def test_before_answering_the_researcher_reads_the_companys_answer_and_message(client, auth, world):
    people, match_id = world()
    _introduce(client, auth, people, match_id)
    _answer(client, auth, people["enterprise"], match_id, "interested", "Happy to test your film in our phones.")

    _as(client, auth, people["researcher"])
    page = client.get(f"/matches/{match_id}").get_data(as_text=True)
    assert "Happy to test your film in our phones." in page
    assert "Both of you work on graphene films." in page
    assert "Introduced · " not in page and "ACME Ltd answered: interested" in page
    assert history(client, match_id) == [("Introduced by the reviewer", "Introduced"),
                                         ("ACME Ltd answered: interested", "")]
    assert "Would you like to talk?" in page  # the researcher has still to answer

    _answer(client, auth, people["researcher"], match_id, "interested", "Let us meet.")
    assert history(client, match_id)[1:] == [("ACME Ltd answered: interested", ""),
                                             ("You answered: interested", "Connected")]
    _as(client, auth, people["enterprise"])
    assert history(client, match_id) == [("Introduced by the reviewer", "Introduced"),
                                         ("You answered: interested", ""),
                                         (f"{HKU} answered: interested", "Connected")]
    assert "Let us meet." in client.get(f"/matches/{match_id}").get_data(as_text=True)

    _press(client, match_id, "outcome", ("outcome", "agree"), "Record the outcome", deal_kind="licence")
    assert history(client, match_id)[-1] == ("Marked agreed by you: Licence", "Agreed")
    _as(client, auth, people["researcher"])
    assert history(client, match_id)[-1] == ("Marked agreed by ACME Ltd: Licence", "Agreed")
    _as(client, auth, people["reviewer"])
    rows = history(client, match_id)
    assert rows[0] == ("Suggested by the matching engine", "Suggested")
    assert rows[1] == ("Introduced by you", "Introduced")
    assert rows[2] == ("enterprise user, ACME Ltd answered: interested", "")


def test_a_confidential_company_is_named_only_once_connected(client, auth, world):
    people, match_id = world(confidential=True)
    _introduce(client, auth, people, match_id)
    _answer(client, auth, people["enterprise"], match_id, "interested", "We can share samples.")
    _as(client, auth, people["researcher"])
    page = client.get(f"/matches/{match_id}").get_data(as_text=True)
    assert "We can share samples." in page and "ACME" not in page
    assert history(client, match_id)[1] == ("The company answered: interested", "")

    _answer(client, auth, people["researcher"], match_id, "declined", "Our film is not ready for phones.")
    assert history(client, match_id)[1:] == [("The company answered: interested", ""),
                                             ("You answered: not interested", "Closed")]
    assert "ACME" not in client.get(f"/matches/{match_id}").get_data(as_text=True)
    _as(client, auth, people["enterprise"])
    assert history(client, match_id)[-1] == (f"{HKU} answered: not interested", "Closed")
    assert "Our film is not ready for phones." in client.get(f"/matches/{match_id}").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "introduced", "answered"), [
    ("zh-HK", "由審核員引薦", "ACME Ltd回覆：有興趣"),
    ("zh-CN", "由审核员引荐", "ACME Ltd回复：感兴趣"),
])
def test_the_history_speaks_the_readers_language(client, auth, world, lang, introduced, answered):
    people, match_id = world()
    _introduce(client, auth, people, match_id)
    _answer(client, auth, people["enterprise"], match_id, "interested")
    _as(client, auth, people["researcher"])
    client.get(f"/?lang={lang}")
    assert [label for label, _ in history(client, match_id)] == [introduced, answered]


def test_the_api_labels_each_event_for_its_caller(app, client, auth, world):
    people, match_id = world()
    _introduce(client, auth, people, match_id)
    _answer(client, auth, people["enterprise"], match_id, "interested", "Happy to talk.")
    auth.logout()
    researcher = ApiClient(app, sign_in(app, people["researcher"].email))
    events = researcher.get(f"/matches/{match_id}").get_json()["events"]
    assert [(e["action"], e["label"], e["actor_side"]) for e in events] == [
        ("approve", "Introduced by the reviewer", "reviewer"),
        ("need_interested", "ACME Ltd answered: interested", "need")]
    assert events[1]["message"] == "Happy to talk."
    answered = researcher.post(f"/matches/{match_id}/response", json={"answer": "declined"}).get_json()
    assert answered["events"][-1]["label"] == "You answered: not interested"
    enterprise = ApiClient(app, sign_in(app, people["enterprise"].email))
    events = enterprise.get(f"/matches/{match_id}").get_json()["events"]
    assert [e["label"] for e in events] == ["Introduced by the reviewer", "You answered: interested",
                                            f"{HKU} answered: not interested"]
