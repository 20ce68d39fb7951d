"""Listing and searching postings: scripts, case, filters, pagination, literal wildcards, drafts."""

from __future__ import annotations

import re

import pytest

from tests.conftest import AuthActions
from tests.forms import submit


def _listed(client, path: str) -> list[int]:
    page = client.get(path)
    assert page.status_code == 200
    prefix = re.escape(path.split("?")[0])
    return [int(n) for n in re.findall(rf'<h3><a href="{prefix}(\d+)"', page.get_data(as_text=True))]


def _results(client, query: str = "") -> list[int]:
    return _listed(client, "/results/" + (f"?{query}" if query else ""))


def _needs(client, query: str = "") -> list[int]:
    return _listed(client, "/needs/" + (f"?{query}" if query else ""))


@pytest.fixture
def researcher(make):
    return make.user("researcher")


@pytest.fixture
def visitor(app):
    return app.test_client()


# --- text -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("stored", "query"), [("石墨烯電池的快速充電", "石墨烯电池"),
                                               ("石墨烯电池的快速充电", "石墨烯電池"),
                                               ("香港的軟件開發", "软件"),
                                               ("ＧＲＡＰＨＥＮＥ coating", "graphene")])
def test_one_script_finds_the_other(make, visitor, researcher, stored, query):
    wanted = make.result(researcher, title=stored, summary="x", keywords=[])
    make.result(researcher, title="鋰電池回收", summary="y", keywords=[])
    assert _results(visitor, f"q={query}") == [wanted]


def test_english_is_case_insensitive(make, visitor, researcher):
    wanted = make.result(researcher, title="Solid-State Battery Electrolyte", summary="s", keywords=[])
    make.result(researcher, title="Drone navigation", summary="s", keywords=[])
    for query in ("battery", "BATTERY", "BaTtErY electrolyte", "solid-state"):
        assert _results(visitor, f"q={query}") == [wanted], query


def test_every_word_must_match_somewhere(make, visitor, researcher):
    both = make.result(researcher, title="Graphene battery", summary="Fast charging.", keywords=[])
    make.result(researcher, title="Graphene coating", summary="Anti-corrosion.", keywords=[])
    assert _results(visitor, "q=graphene+charging") == [both]


def test_summary_details_and_keywords_are_searched(make, visitor, researcher):
    by_summary = make.result(researcher, title="A", summary="Uses perovskite layers.", keywords=[])
    by_details = make.result(researcher, title="B", summary="b", details="Perovskite inks.", keywords=[])
    by_keyword = make.result(researcher, title="C", summary="c", keywords=["perovskite"])
    make.result(researcher, title="D", summary="d", keywords=["silicon"])
    assert sorted(_results(visitor, "q=perovskite")) == sorted([by_summary, by_details, by_keyword])


@pytest.mark.parametrize(("query", "title_hit", "title_miss"), [("100%", "100% recycled", "100 recycled"),
                                                                ("a_b", "part a_b", "part axb"),
                                                                ("50%_off", "50%_off now", "50% off")])
def test_like_wildcards_are_literal(make, visitor, researcher, query, title_hit, title_miss):
    hit = make.result(researcher, title=title_hit, summary="s", keywords=[])
    make.result(researcher, title=title_miss, summary="s", keywords=[])
    assert _results(visitor, f"q={query.replace('%', '%25')}") == [hit]


def test_a_lone_percent_or_underscore_matches_nothing_by_wildcard(make, visitor, researcher):
    make.result(researcher, title="Plain title", summary="s", keywords=[])
    assert _results(visitor, "q=%25") == []
    assert _results(visitor, "q=_") == []


def test_an_empty_query_lists_everything_published(make, visitor, researcher):
    ids = [make.result(researcher, title=f"R{n}") for n in range(3)]
    assert sorted(_results(visitor, "q=")) == sorted(ids)


def test_search_text_follows_an_edit(app, client, make, auth, researcher):
    posting_id = make.result(researcher, title="Old name", summary="s", keywords=[])
    auth.login(researcher.email)
    from tests.factories import result_form

    submit(client, f"/results/{posting_id}/edit", result_form(title="Quantum dot display"), button="Save")
    assert _results(app.test_client(), "q=quantum") == [posting_id]
    assert _results(app.test_client(), "q=old") == []


# --- filters ----------------------------------------------------------------------------------------

def test_filters_on_results(make, visitor):
    hku_user = make.user("researcher", organisation_id=make.university("HKU"))
    um_user = make.user("researcher", organisation_id=make.university("UM"))
    hku = make.result(hku_user, sector="materials", trl=3)
    um = make.result(um_user, sector="biomed", trl=7)
    um_unrated = make.result(um_user, sector="biomed", trl=None)
    assert _results(visitor, "sector=biomed") == [um_unrated, um]
    assert _results(visitor, "region=macao") == [um_unrated, um]
    assert _results(visitor, "region=hong_kong") == [hku]
    assert _results(visitor, f"institution={make.university('HKU')}") == [hku]
    assert _results(visitor, "trl=5") == [um]
    assert _results(visitor, "trl=3") == [um, hku]
    assert _results(visitor, "sector=biomed&trl=5&region=macao") == [um]
    assert _results(visitor, "sector=materials&region=macao") == []


def test_filters_on_needs(make, visitor):
    owner = make.user("enterprise")
    shenzhen = make.need(owner, region="shenzhen", sector="energy", min_trl=6)
    zhuhai = make.need(owner, region="zhuhai", sector="marine", min_trl=None)
    assert _needs(visitor, "region=zhuhai") == [zhuhai]
    assert _needs(visitor, "sector=energy") == [shenzhen]
    assert _needs(visitor, "trl=4") == [zhuhai]  # a TRL 4 result suits needs that accept TRL 4
    assert sorted(_needs(visitor, "trl=7")) == sorted([shenzhen, zhuhai])


def test_status_filter(app, make, visitor, researcher):
    published = make.result(researcher)
    draft = make.result(researcher, status="draft")
    archived = make.result(researcher, status="archived")
    assert _results(visitor, "status=published") == [published]
    for status in ("draft", "archived", "anything"):
        assert _results(visitor, f"status={status}") == [published]  # anonymous never sees drafts

    reviewer = app.test_client()
    assert AuthActions(reviewer).login(make.user("reviewer").email).status_code == 302
    assert _results(reviewer, "status=draft") == [draft]
    assert _results(reviewer, "status=archived") == [archived]


@pytest.mark.parametrize("role", ["researcher", "enterprise"])
def test_signed_in_posters_do_not_see_others_drafts_in_lists(app, make, researcher, role):
    make.result(researcher, status="draft", title="Secret draft")
    client = app.test_client()
    assert AuthActions(client).login(make.user(role).email).status_code == 302
    page = client.get("/results/?status=draft").get_data(as_text=True)
    assert "Secret draft" not in page
    assert "Secret draft" not in client.get("/").get_data(as_text=True)


def test_drafts_never_reach_the_home_page(make, visitor, researcher):
    make.result(researcher, status="draft", title="Unfinished thing")
    assert "Unfinished thing" not in visitor.get("/").get_data(as_text=True)


# --- pagination -------------------------------------------------------------------------------------

def test_pagination(app, make, visitor, researcher):
    app.config["POSTINGS_PER_PAGE"] = 4
    ids = [make.result(researcher, title=f"Result {n}") for n in range(10)]
    newest_first = list(reversed(ids))
    pages = [_results(visitor, f"page={n}") for n in (1, 2, 3)]
    assert pages == [newest_first[:4], newest_first[4:8], newest_first[8:]]
    assert _results(visitor, "page=4") == []
    first = visitor.get("/results/?sector=materials").get_data(as_text=True)
    assert 'rel="next" href="/results/?sector=materials&amp;page=2"' in first
    assert "Page 1 of 3" in first


def test_pagination_keeps_the_query(app, make, visitor, researcher):
    app.config["POSTINGS_PER_PAGE"] = 1
    make.result(researcher, title="Graphene one")
    make.result(researcher, title="Graphene two")
    make.result(researcher, title="Other", keywords=[])
    page = visitor.get("/results/?q=graphene").get_data(as_text=True)
    assert "Page 1 of 2" in page and "q=graphene" in page.split('rel="next"')[1].split(">")[0]


# --- odd query strings are answered, not crashed on -------------------------------------------------

ODD_ARGS = ["q=%00", "q=a%00b", "q=%C0", "sector=%00", "region=%00", "status=%00", "sector=x'--",
            "page=%00", "page=-1", "page=0", "page=%C2%B2", "page=99999999999999999999999",
            "institution=%C2%B2", "institution=99999999999999999999999", "trl=99999999999999999999",
            "trl=%D9%A3", "q=" + "x" * 5000, "q=%E2%80%AE", "sector=a&sector=b"]


@pytest.mark.parametrize("args", ODD_ARGS)
@pytest.mark.parametrize("path", ["/results/", "/needs/"])
def test_odd_query_strings_never_500(make, visitor, researcher, path, args):
    make.result(researcher)
    make.need(make.user("enterprise"))
    assert visitor.get(f"{path}?{args}").status_code == 200


@pytest.mark.parametrize("path", ["/results/99999999999999999999", "/needs/99999999999999999999/edit",
                                  "/results/2147483648", "/needs/9223372036854775808"])
def test_huge_ids_are_404(app, make, path):
    client = app.test_client()
    assert AuthActions(client).login(make.user("admin").email).status_code == 302
    assert client.get(path).status_code == 404
