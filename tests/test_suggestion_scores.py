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
