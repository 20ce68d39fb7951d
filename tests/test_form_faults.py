"""Posting forms as a browser meets them: the server judges length and keeps what was typed, no field claims
a fact by default, length hints count Chinese fairly, and a clean form announces no field as invalid."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import ResearchResult
from tests.forms import open_page

LONG_DETAILS = "石墨烯導熱膜 graphene film. " * 1525  # 33,550 characters, as pasted from a report


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ResearchResult))


def _new_result_form(client):
    return open_page(client, "/results/new").form(button="Save").fill(
        title="Graphene thermal film", summary="A film that spreads heat.", sector="materials",
        ip_status="pending_patent")


def test_over_long_text_is_refused_with_a_field_error_and_all_of_it_kept(app, client, auth, make):
    auth.login(make.user("researcher").email)
    response = _new_result_form(client).set("details", LONG_DETAILS).submit("Save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    typed = f"{len(LONG_DETAILS.strip()):,}"
    assert re.search(rf'id="details-error">This text has {typed} characters; at most 20,000 fit', page)
    assert LONG_DETAILS.strip() in page.replace("&#39;", "'")  # everything typed is back in the textarea
    assert not re.search(r'\smaxlength=', page)  # a browser would have cut the paste without a word
    assert _count(app) == 0


def test_an_over_long_edit_leaves_the_stored_posting_as_it_was(app, client, auth, make):
    owner = make.user("researcher")
    result_id = make.result(owner, status="draft", details="Short and stored.")
    auth.login(owner.email)
    form = open_page(client, f"/results/{result_id}/edit").form(button="Save")
    response = form.set("details", LONG_DETAILS).submit("Save")
    assert response.status_code == 400
    assert make.get(ResearchResult, result_id)["details"] == "Short and stored."


def test_the_error_speaks_the_readers_language(client, auth, make):
    auth.login(make.user("researcher").email)
    client.get("/?lang=zh_Hant_HK")
    form = open_page(client, "/results/new").form(button="儲存").fill(
        title="石墨烯導熱膜", summary="散熱", sector="materials", ip_status="pending_patent")
    response = form.set("details", LONG_DETAILS).submit("儲存")
    assert "上限為 20,000 字" in response.get_data(as_text=True)


def test_bounded_fields_show_a_character_count(client, auth, make):
    auth.login(make.user("researcher").email)
    page = open_page(client, "/results/new").html
    assert re.search(r'<textarea(?=[^>]*id="details")(?=[^>]*data-maxlength="20000")', page)
    assert re.search(r'id="details-count"[^>]*>\s*<span class="char-count-now">0</span> / 20,000 characters', page)
    assert "js/char-counter.js" in page


def test_ip_status_starts_empty_and_must_be_chosen(app, client, auth, make):
    auth.login(make.user("researcher").email)
    form = open_page(client, "/results/new").form(button="Save")
    ip_status = next(c for c in form.controls if c.name == "ip_status")
    assert [value for value, _, selected in ip_status.options if selected] in ([], [""])
    assert ip_status.options[0][0] == ""
    response = form.fill(title="A result", summary="What it does.", sector="materials").submit("Save")
    assert response.status_code == 400
    assert 'id="ip_status-error"' in response.get_data(as_text=True)
    assert _count(app) == 0


SUMMARIES = {
    "en": ("A graphene film that spreads heat from the chip of a 5G phone three times better than the "
           "synthetic graphite sheets used today, made by a roll-to-roll process that keeps the cost per "
           "square metre below that of graphite and works on films as thin as 25 microns."),  # 50 words
    "zh_Hant": ("以石墨烯製成的導熱膜，能把5G手機晶片的熱量擴散開去，效果比現時常用的人工石墨片高三倍；"
                "卷對卷工藝令每平方米成本低於石墨片，而且可以做到二十五微米的厚度。"),  # 75 Han characters
    "zh_Hans": ("以石墨烯制成的导热膜，能把5G手机芯片的热量扩散开来，效果比目前常用的人工石墨片高三倍；"
                "卷对卷工艺使每平方米成本低于石墨片，而且可以做到二十五微米的厚度。"),
}
HINT = "Say more in the summary"


@pytest.mark.parametrize("language", SUMMARIES)
def test_a_summary_of_fair_length_is_not_called_too_short_in_any_script(client, auth, make, language):
    owner = make.user("researcher")
    result_id = make.result(owner, status="draft", summary=SUMMARIES[language])
    auth.login(owner.email)
    assert HINT not in client.get(f"/results/{result_id}").get_data(as_text=True)


@pytest.mark.parametrize("summary", ["A graphene film for phones.", "以石墨烯製成的導熱膜，用於手機散熱。",
                                     "以石墨烯制成的导热膜，用于手机散热。"])
def test_a_short_summary_is_still_called_too_short(client, auth, make, summary):
    owner = make.user("researcher")
    result_id = make.result(owner, status="draft", summary=summary)
    auth.login(owner.email)
    assert HINT in client.get(f"/results/{result_id}").get_data(as_text=True)


FORM_PAGES = {"anonymous": ["/login", "/signup"], "researcher": ["/results/new", "/account"],
              "enterprise": ["/needs/new"]}


@pytest.mark.parametrize("role", FORM_PAGES)
def test_a_clean_form_announces_no_field_as_invalid(client, auth, make, role):
    if role != "anonymous":
        auth.login(make.user(role).email)
    for path in FORM_PAGES[role]:
        page = open_page(client, path).html
        assert "aria-invalid" not in page, path
        assert '="None"' not in page, path


def test_after_a_failed_submit_only_the_wrong_field_is_invalid(client, auth, make):
    auth.login(make.user("researcher").email)
    form = _new_result_form(client).set("title", "")
    page = form.submit("Save").get_data(as_text=True)
    title = r'<input(?=[^>]*id="title")(?=[^>]*aria-invalid="true")(?=[^>]*aria-describedby="[^"]*title-error")'
    assert re.search(title, page)
    assert page.count('aria-invalid="true"') == 1
    assert 'id="title-error"' in page
