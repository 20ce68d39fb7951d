"""`flask demo load`: idempotent, trilingual, and the deliberate pairs are what the engine finds."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from matchmaker import create_app
from matchmaker.extensions import db
from matchmaker.models import EnterpriseNeed, Match, ResearchResult, User
from matchmaker.services import demo, matching
from tests.conftest import AuthActions, CSRFClient, reset_database


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    """One demo load for the module's read-only tests (a load ranks every posting: ~30 s)."""
    app = create_app("testing", MATCHMAKER_INDEX_PATH=str(tmp_path_factory.mktemp("demo") / "index"))
    app.test_client_class = CSRFClient
    with app.app_context():
        db.create_all()
    output = app.test_cli_runner().invoke(args=["demo", "load"]).output
    yield app, output
    with app.app_context():
        db.session.remove()
        reset_database()
        db.engine.dispose()


@pytest.fixture
def loaded(demo_app):
    return demo_app[1]


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_load_prints_logins_and_is_idempotent(demo_app, loaded):
    app, runner = demo_app[0], demo_app[0].test_cli_runner()
    for email in ("researcher@demo.test", "enterprise@demo.test", "reviewer@demo.test", "admin@demo.test"):
        assert email in loaded
    assert "matchmaker-demo" in loaded
    with app.app_context():
        before = (_count(ResearchResult), _count(EnterpriseNeed), _count(User), _count(Match))
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        assert (_count(ResearchResult), _count(EnterpriseNeed), _count(User), _count(Match)) == before
        assert before[0] >= 55 and before[1] >= 35
        languages = {lang for (langs,) in db.session.execute(sa.select(ResearchResult.languages))
                     for lang in langs.split(",") if lang}
        assert {"en", "zh-Hant", "zh-Hans"} <= languages


def test_demo_accounts_sign_in(demo_app):
    auth = AuthActions(demo_app[0].test_client())
    for email in ("researcher@demo.test", "enterprise@demo.test", "reviewer@demo.test", "admin@demo.test"):
        response = auth.login(email, demo.PASSWORD)
        assert response.status_code == 302, email
        auth.logout()


def _rank_of(app, result_key: str, need_key: str) -> tuple[int | None, int | None]:
    """Where each posting of a pair puts the other among its suggestions when published (1 = best)."""
    with app.app_context():
        result = db.session.scalar(sa.select(ResearchResult).where(
            ResearchResult.external_ref == f"demo:{result_key}"))
        need = db.session.scalar(sa.select(EnterpriseNeed).where(
            EnterpriseNeed.external_ref == f"demo:{need_key}"))
        by_result = [s.id for s in matching.candidates_for(result)]
        by_need = [s.id for s in matching.candidates_for(need)]
    rank = lambda ids, wanted: ids.index(wanted) + 1 if wanted in ids else None  # noqa: E731
    return rank(by_result, need.id), rank(by_need, result.id)


def test_every_deliberate_pair_is_in_the_top_three_of_both_postings(demo_app):
    app, misses = demo_app[0], []
    for pair in demo.load_data()["pairs"]:
        from_result, from_need = _rank_of(app, pair["result"], pair["need"])
        if not (from_result and from_result <= 3 and from_need and from_need <= 3):
            misses.append(f"{pair['result']}↔{pair['need']}: need ranks {from_result}, result ranks {from_need}")
    assert not misses, "\n".join(misses)


def test_the_review_queue_holds_suggestions(demo_app):
    client = demo_app[0].test_client()
    auth = AuthActions(client)
    auth.login("reviewer@demo.test", demo.PASSWORD)
    page = client.get("/review/").get_data(as_text=True)
    assert page.count('name="match_id"') >= 10
