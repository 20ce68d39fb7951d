"""Stored suggestions: one pair score whatever the publish order, and a cut-off that follows the evidence."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.matching import MatchingEngine
from matchmaker.models import EnterpriseNeed, Match, ResearchResult
from matchmaker.services import index
from tests.forms import open_page
from tests.test_pipeline import NEED, RESULT

OTHER_RESULT = dict(title="Fall detection radar for elderly homes", summary="A millimetre-wave radar that "
                    "notices a fall without a camera.", keywords=["radar", "elderly care"])


def _publish(client, auth, user, path: str):
    auth.login(user.email)
    assert open_page(client, path).form(action=f"{path}/publish").submit().status_code == 302
    auth.logout()


def _stored(app, result_id: int, need_id: int) -> Match | None:
    with app.app_context():
        return db.session.scalar(sa.select(Match).filter_by(result_id=result_id, need_id=need_id))


def _engine_on_live_postings(app) -> MatchingEngine:
    with app.app_context():
        postings = [p for model in (ResearchResult, EnterpriseNeed) for p in db.session.scalars(sa.select(model))
                    if index.is_live(p)]
        return MatchingEngine().fit(index.record_for(p) for p in postings)


@pytest.mark.parametrize("need_first", [False, True], ids=["result-then-need", "need-then-result"])
def test_a_pair_gets_the_same_stored_score_whichever_side_is_published_last(app, client, auth, make, need_first):
    researcher, enterprise, other_lab = make.user("researcher"), make.user("enterprise"), make.user("researcher")
    _publish(client, auth, other_lab, f"/results/{make.result(other_lab, status='draft', **OTHER_RESULT)}")
    result_id = make.result(researcher, status="draft", **RESULT)
    need_id = make.need(enterprise, status="draft", **NEED)
    steps = [(researcher, f"/results/{result_id}"), (enterprise, f"/needs/{need_id}")]
    for user, path in reversed(steps) if need_first else steps:
        _publish(client, auth, user, path)
    stored = _stored(app, result_id, need_id)
    assert stored is not None
    # The pair's similarity on the postings now live, the same figure from either side of the pair.
    engine = _engine_on_live_postings(app)
    from_need = engine.pair_similarities("need", need_id, "result", [result_id])[result_id]
    assert from_need == pytest.approx(engine.pair_similarities("result", result_id, "need", [need_id])[need_id])
    assert stored.score == pytest.approx(from_need, abs=1e-5)


UNRELATED_NEED = dict(title="Bookkeeping for a bakery chain", description="Our bakeries need a cheaper way to "
                      "close the books each month; paper sheets take three days.", keywords=["accounting"])
NEAR_MISS_NEED = dict(title="Graphene ink for printed sensors", description="We print flexible pressure "
                      "sensors and want a conductive graphene ink that survives bending.",
                      keywords=["graphene", "printed electronics"])


def _open_suggestions(app, **where) -> list[Match]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Match).filter_by(state="suggested", **where)))


def test_an_unrelated_need_gets_no_suggestion_while_a_clear_pair_still_does(app, client, auth, make):
    researcher, enterprise, shipper = make.user("researcher"), make.user("enterprise"), make.user("enterprise")
    other_lab = make.user("researcher")
    result_id = make.result(researcher, status="draft", **RESULT)
    _publish(client, auth, other_lab, f"/results/{make.result(other_lab, status='draft', **OTHER_RESULT)}")
    _publish(client, auth, researcher, f"/results/{result_id}")
    need_id = make.need(enterprise, status="draft", **NEED)
    _publish(client, auth, enterprise, f"/needs/{need_id}")
    unrelated_id = make.need(shipper, status="draft", **UNRELATED_NEED)
    _publish(client, auth, shipper, f"/needs/{unrelated_id}")

    assert [(m.result_id, m.need_id) for m in _open_suggestions(app, need_id=need_id)] == [(result_id, need_id)]
    assert _open_suggestions(app, need_id=unrelated_id) == []


INK_RESULT = dict(title="Stretchable graphene ink for printed pressure sensors", summary="A conductive graphene "
                  "ink for printing flexible pressure sensors that keep working after bending.",
                  keywords=["graphene ink", "printed electronics"])


def test_a_weak_candidate_behind_a_clear_answer_on_both_sides_is_not_stored(app, client, auth, make):
    """The relative floor: a pair far behind the best candidate of each of its postings is left out."""
    app.config["MATCH_MIN_SCORE"] = 0.0  # only the relative floor at work
    researcher, ink_lab = make.user("researcher"), make.user("researcher")
    enterprise, printer = make.user("enterprise"), make.user("enterprise")
    _publish(client, auth, ink_lab, f"/results/{(ink_id := make.result(ink_lab, status='draft', **INK_RESULT))}")
    near_miss_id = make.need(printer, status="draft", **NEAR_MISS_NEED)
    _publish(client, auth, printer, f"/needs/{near_miss_id}")  # finds the ink, its clear answer
    need_id = make.need(enterprise, status="draft", **NEED)
    _publish(client, auth, enterprise, f"/needs/{need_id}")
    result_id = make.result(researcher, status="draft", **RESULT)
    _publish(client, auth, researcher, f"/results/{result_id}")
    assert {m.result_id for m in _open_suggestions(app, need_id=near_miss_id)} == {ink_id}
    assert need_id in {m.need_id for m in _open_suggestions(app, result_id=result_id)}

    app.config["MATCH_RELATIVE_FLOOR"] = 0.0  # without it, the film would be the printer's suggestion too
    assert app.test_cli_runner().invoke(args=["matching", "rematch"]).exit_code == 0
    assert {m.result_id for m in _open_suggestions(app, need_id=near_miss_id)} == {ink_id, result_id}


TABLET_NEED = dict(title="Graphene heat spreader for tablets", description="Our tablets run hot; a graphene "
                   "thermal film under the chip could spread the heat.", keywords=["graphene", "thermal film"])


def test_each_side_shows_its_own_rank_not_the_other_sides(app, client, auth, make):
    """A result published before two needs was ranked #1 by each need: it shows #1 and #2 on its side."""
    researcher, phones, tablets = make.user("researcher"), make.user("enterprise"), make.user("enterprise")
    reviewer = make.user("reviewer")
    result_id = make.result(researcher, status="draft", **RESULT)
    _publish(client, auth, researcher, f"/results/{result_id}")
    need_ids = [make.need(owner, status="draft", **fields)
                for owner, fields in ((phones, NEED), (tablets, TABLET_NEED))]
    for owner, need_id in zip((phones, tablets), need_ids, strict=True):
        _publish(client, auth, owner, f"/needs/{need_id}")
    stored = {m.need_id: m for m in _open_suggestions(app, result_id=result_id)}
    assert set(stored) == set(need_ids)
    first, second = sorted(need_ids, key=lambda n: (-stored[n].score, stored[n].id))

    auth.login(reviewer.email)
    queue = client.get("/review/").get_data(as_text=True)
    assert "result #1 · need #1" in queue and "result #2 · need #1" in queue
    page = client.get(f"/matches/{stored[second].id}").get_data(as_text=True)
    assert "#2 among the result's suggestions · #1 among the need's" in page
    assert "成果第 2 位 · 需求第 1 位" in client.get("/review/?lang=zh-HK").get_data(as_text=True)
    assert "在该成果的建议中排第 2 位" in client.get(f"/matches/{stored[second].id}?lang=zh-CN").get_data(as_text=True)
    assert stored[first].score >= stored[second].score
