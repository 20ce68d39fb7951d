"""The public lists offer controls that do something and an empty state that says what to try (fault 20)."""

from __future__ import annotations

import re

import pytest

from tests.forms import open_page

_EMPTY = re.compile(r'<div class="empty" id="list-empty">.*?</div>', re.S)


def _empty_state(client, url: str) -> str:
    found = _EMPTY.search(open_page(client, url).html)
    assert found, f"{url} shows no empty state"
    return found.group(0)


def _filters(client, url: str):
    return open_page(client, url).form(button="Filter")


def test_the_public_results_list_has_no_status_select_with_a_single_option(client, make):
    make.result(make.user("researcher"))
    assert "status" not in _filters(client, "/results/").names()


def test_the_needs_list_keeps_its_status_choice_and_staff_keep_theirs(client, auth, make):
    make.need(make.user("enterprise"))
    needs = _filters(client, "/needs/")
    status = next(c for c in needs.controls if c.name == "status")
    assert [value for value, _, _ in status.options] == ["published", "expired"]
    auth.login(make.user("reviewer").email)
    staff = next(c for c in _filters(client, "/results/").controls if c.name == "status")
    assert [value for value, _, _ in staff.options] == ["published", "draft", "archived"]


@pytest.mark.parametrize(("kind", "words"), [("results", "No research results are published yet."),
                                              ("needs", "No technical needs are published yet.")])
def test_an_empty_list_without_filters_says_nothing_is_published(client, kind, words):
    state = _empty_state(client, f"/{kind}/")
    assert words in state and "filter" not in state.lower()
    assert "/new" not in state  # anonymous visitors are not offered a form they cannot use


@pytest.mark.parametrize(("kind", "role"), [("results", "researcher"), ("needs", "enterprise")])
def test_a_poster_facing_an_empty_list_is_offered_to_post(client, auth, make, kind, role):
    auth.login(make.user(role).email)
    state = _empty_state(client, f"/{kind}/")
    href = re.search(r'href="(/[a-z]+/new)"', state).group(1)
    assert href == f"/{kind}/new" and client.get(href).status_code == 200


def test_a_poster_of_the_other_side_is_not_offered_to_post_here(client, auth, make):
    auth.login(make.user("enterprise").email)
    assert "/results/new" not in _empty_state(client, "/results/")


def test_filters_that_match_nothing_are_named_and_can_be_cleared(client, make):
    make.result(make.user("researcher"), sector="materials", title="Graphene film")
    form = _filters(client, "/results/").fill(q="quantum", sector="energy")
    response = form.submit("Filter")
    state = _EMPTY.search(response.get_data(as_text=True)).group(0)
    assert "No research results match these filters:" in state
    assert "Search: “quantum”" in state and "Sector: " in state
    links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', state)]
    clear = links[-1]
    assert clear == "/results/" and open_page(client, clear).html.count('class="card posting-card"') == 1
    remove_query = next(href for href in links if "sector=energy" in href)
    assert "q=" not in remove_query and "sector=energy" in remove_query


def test_a_page_past_the_end_is_not_called_a_filter_miss(client, make):
    make.result(make.user("researcher"))
    state = _empty_state(client, "/results/?page=9")
    assert "There is nothing on this page." in state and 'href="/results/"' in state


def test_empty_states_in_simplified_chinese(client, make):
    open_page(client, "/results/").form("/language").submit("简体中文")
    assert "暂时还没有已发布的研究成果。" in _empty_state(client, "/results/")
    state = _empty_state(client, "/needs/?sector=energy&q=x")
    assert "没有符合以下筛选条件的技术需求：" in state and "清除所有筛选条件" in state
