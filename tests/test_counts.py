"""Every count links to (or states) exactly what it counts (issue 14, fault 12).

Follow each count's link and count what the page lists: the home page's sector counts (results and needs
apart), the dashboard's open suggestions, and the open suggestions the command line reports.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from matchmaker.extensions import db
from matchmaker.models import Match
from matchmaker.models.matches import MatchState
from tests.forms import open_page

_SECTOR_LINK = re.compile(r'<a class="count" href="([^"]+)">(\d+) [^<]*</a>')
_CARD = '<article class="card posting-card">'
_PICK = 'name="match_id"'


@pytest.fixture
def postings(make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    for title in ("Sodium battery", "Solid electrolyte", "Battery recycling"):
        make.result(researcher, sector="energy", title=title)
    make.result(researcher, sector="materials", title="Graphene film")
    make.result(researcher, sector="energy", status="draft", title="Unpublished cell")
    make.need(enterprise, sector="energy", title="Grid storage")
    make.need(enterprise, sector="energy", confidential=True, title="Confidential storage")
    make.need(enterprise, sector="energy", title="Old need", deadline=date.today() - timedelta(days=3))
    make.need(enterprise, sector="materials", title="Coating")
    return researcher, enterprise


def test_each_home_sector_count_equals_the_cards_its_link_lists(client, postings):
    home = open_page(client, "/").html
    links = _SECTOR_LINK.findall(home)
    assert {(href, int(n)) for href, n in links} == {
        ("/results/?sector=energy", 3), ("/needs/?sector=energy", 2),
        ("/results/?sector=materials", 1), ("/needs/?sector=materials", 1)}
    for href, shown in links:
        listed = open_page(client, href.replace("&amp;", "&")).html
        assert listed.count(_CARD) == int(shown), href


def test_sector_counts_read_in_chinese(client, postings):
    open_page(client, "/").form("/language").submit("繁體中文")
    home = open_page(client, "/").html
    assert "3 項成果" in home and "2 項需求" in home


def _suggest(app, pairs) -> None:
    with app.app_context():
        for result_id, need_id, state in pairs:
            db.session.add(Match(result_id=result_id, need_id=need_id, score=0.5, rank=1, engine_version="t",
                                 state=state))
        db.session.commit()


def _queue_count(client, href: str = "/review/") -> int:
    page = open_page(client, href).html
    shown = int(re.search(r'id="queue-count">(\d+)', page).group(1))
    assert page.count(_PICK) == shown
    return shown


def test_the_dashboard_backlog_links_to_the_queue_that_lists_as_many(app, client, auth, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    results = [make.result(researcher, title=f"Result {n}") for n in range(3)]
    needs = [make.need(enterprise, title=f"Need {n}") for n in range(2)]
    _suggest(app, [(results[0], needs[0], MatchState.SUGGESTED), (results[1], needs[0], MatchState.SUGGESTED),
                   (results[2], needs[1], MatchState.SUGGESTED), (results[0], needs[1], MatchState.REJECTED)])
    auth.login(make.user("reviewer").email)
    dashboard = open_page(client, "/dashboard/").html
    href, shown = re.search(r'id="summary-backlog"><a href="([^"]+)">\s*(\d+)\s*<', dashboard).groups()
    assert int(shown) == 3 == _queue_count(client, href)


def test_the_rematch_command_counts_each_open_pair_once(app, client, auth, make, runner):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    make.result(researcher, title="Graphene heat spreading film", summary="A graphene thermal film for phones.",
                keywords=["graphene", "thermal film"], sector="materials")
    make.need(enterprise, title="Graphene thermal film for phones", description="A graphene film to spread heat.",
              keywords=["graphene", "thermal film"], sector="materials")
    output = runner.invoke(args=["matching", "rematch"]).output
    reported = int(re.search(r"(\d+) open suggestions", output).group(1))
    auth.login(make.user("reviewer").email)
    assert reported == _queue_count(client) == 1
