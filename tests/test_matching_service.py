"""The index as derived data, and the operator commands around it."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent
from matchmaker.services import pipeline
from matchmaker.services.errors import Conflict
from tests.conftest import USING_POSTGRES, AuthActions, CSRFClient
from tests.forms import open_page
from tests.test_pipeline import NEED, RESULT


def _publish(client, posting_path: str):
    """Press Publish on the posting's page."""
    assert open_page(client, posting_path).form(action=f"{posting_path}/publish").submit().status_code == 302


def _suggested_pairs(app) -> set[tuple[int, int]]:
    with app.app_context():
        return set(db.session.execute(sa.select(Match.result_id, Match.need_id)).all())


def test_two_processes_sharing_a_database_see_each_others_postings(app, make, tmp_path):
    """Two apps (as two gunicorn workers) with their own in-memory index and one database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == "sqlite://":
        pytest.skip("needs a database two apps can share; runs on PostgreSQL (and file SQLite)")
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher, status="draft", **RESULT)
    need_id = make.need(enterprise, status="draft", **NEED)
    other = create_app("testing", SQLALCHEMY_DATABASE_URI=url, MATCHMAKER_INDEX_PATH=str(tmp_path / "b"))
    other.test_client_class = CSRFClient
    first, second = AuthActions(app.test_client()), AuthActions(other.test_client())
    second.login(enterprise.email)
    _publish(second.client, f"/needs/{need_id}")  # worker B indexes the need before the result exists
    first.login(researcher.email)
    _publish(first.client, f"/results/{result_id}")  # worker A publishes the result
    assert (result_id, need_id) in _suggested_pairs(app)
    with other.app_context():
        db.session.execute(sa.delete(MatchEvent))
        db.session.execute(sa.delete(Match))
        db.session.commit()
    # No page offers Publish on a published need: a hand-built post makes B match it again.
    second.client.post(f"/needs/{need_id}/publish")  # B must find the result published through A
    assert (result_id, need_id) in _suggested_pairs(app)
    with other.app_context():
        db.engine.dispose()


def test_a_corrupt_index_file_is_rebuilt_on_next_use(app, runner, make, client):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher, **RESULT)
    need_id = make.need(enterprise, status="draft", **NEED)
    assert "Indexed 1 live postings" in runner.invoke(args=["matching", "rebuild"]).output
    path = app.config["MATCHMAKER_INDEX_PATH"]
    with open(path, "wb") as handle:
        handle.write(b"not an index")
    app.extensions.pop("matchmaker_index", None)  # as a freshly started worker
    auth = AuthActions(client)
    auth.login(enterprise.email)
    _publish(client, f"/needs/{need_id}")
    assert (result_id, need_id) in _suggested_pairs(app)
    from matchmaker.matching import MatchingEngine

    assert len(MatchingEngine.load(path)) >= 1  # the rebuilt file is usable again


def test_rematch_and_report_commands(app, runner, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    make.result(researcher, **RESULT)
    make.need(enterprise, **NEED)
    output = runner.invoke(args=["matching", "rematch"]).output
    assert "2 postings rematched; " in output
    assert _suggested_pairs(app)
    report = runner.invoke(args=["matching", "report"]).output
    assert "No reviewer decisions yet." in report
    with app.app_context():
        from matchmaker.models import User

        match = db.session.scalars(sa.select(Match)).first()
        reviewer = db.session.get(User, make.user("reviewer").id)
        pipeline.approve(match, reviewer, match.version)
    report = runner.invoke(args=["matching", "report"]).output
    assert "rank     1:    1 approved of    1 decided (100%)" in report


@pytest.mark.skipif(not USING_POSTGRES, reason="two real connections deciding at once need PostgreSQL")
def test_two_reviewers_deciding_at_once_one_wins(app, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    make.result(researcher, **RESULT)
    make.need(enterprise, **NEED)
    reviewers = [make.user("reviewer").id, make.user("reviewer").id]
    with app.app_context():
        from matchmaker.services import matching

        matching.refresh_suggestions(db.session.scalars(sa.select(Match.result.property.mapper.class_)).first())
        match_id = db.session.scalar(sa.select(Match.id))
    barrier, outcomes = threading.Barrier(2), []

    def decide(reviewer_id: int, approve: bool) -> None:
        with app.app_context():
            from matchmaker.models import User

            match, reviewer = db.session.get(Match, match_id), db.session.get(User, reviewer_id)
            version = match.version
            barrier.wait()
            try:
                if approve:
                    pipeline.approve(match, reviewer, version)
                else:
                    pipeline.reject(match, reviewer, version, "off_topic")
                outcomes.append("won")
            except Conflict as error:
                outcomes.append(error.message)

    threads = [threading.Thread(target=decide, args=(reviewers[0], True)),
               threading.Thread(target=decide, args=(reviewers[1], False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1
    assert "already handled by" in [o for o in outcomes if o != "won"][0]
    with app.app_context():
        match = db.session.get(Match, match_id)
        assert match.state in ("introduced", "rejected") and len(match.events) == 2


def test_a_pair_inserted_meanwhile_by_another_request_is_taken_not_a_500(app, make):
    """Publishing a result and its need at the same moment: both requests insert the pair."""
    from matchmaker.models import EnterpriseNeed, ResearchResult
    from matchmaker.services import matching

    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    result_id = make.result(researcher, **RESULT)
    need_id = make.need(enterprise, **NEED)
    with app.app_context():
        result = db.session.get(ResearchResult, result_id)
        found = matching.candidates_for(result)
        assert [s.id for s in found] == [need_id]
        # The other request got there first: its row exists, this request's session has not seen it.
        with db.engine.begin() as other:
            other.execute(sa.insert(Match).values(result_id=result_id, need_id=need_id, score=0.5, rank=1,
                                                  explanation=[], engine_version="x", state="suggested",
                                                  decision_note="", result_message="", need_message="",
                                                  outcome_note="", version=1,
                                                  created_at=db.func.now(), updated_at=db.func.now()))
        # Between this request's look-up (nothing yet) and its insert, the other one committed:
        pair = (result_id, need_id)
        assert matching._insert_new([pair], {pair: {"score": 0.9, "rank": 1, "explanation": [],
                                                    "engine_version": "mine"}}) == set()
        db.session.commit()
        taken = db.session.scalar(sa.select(Match))
        assert taken.engine_version == "x"  # the winner's row, not a 500 on the unique key
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Match)) == 1
        assert matching.store_suggestions(result, found) == 1  # and the refresh then updates that row
        db.session.commit()
        stored = db.session.scalar(sa.select(Match))
        assert stored.id == taken.id and stored.engine_version != "x"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchEvent)) == 0  # no second event
        assert db.session.get(EnterpriseNeed, need_id) is not None


def test_warm_up_loads_the_engine_a_server_process_then_uses(app, make):
    from matchmaker.services import index

    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    make.result(researcher, **RESULT)
    make.need(enterprise, status="draft", **NEED)
    app.extensions.pop("matchmaker_index", None)  # as a freshly started worker
    with app.app_context():
        assert index.warm_up() == 1  # the draft is not indexed
        assert app.extensions["matchmaker_index"].engine is not None
