"""Suggestions: turning the engine's ranking into `Match` rows, under the rules the engine does not know.

Rules applied here: only live postings (published, not expired) on both sides, never two postings of the
same organisation, the best `MATCH_TOP_N` whose similarity (the score over the posting's score
against itself) reaches `MATCH_MIN_SCORE`. Decided matches are never touched by
a refresh; open ones are withdrawn when a posting is archived or expires.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from matchmaker.extensions import db
from matchmaker.matching import ENGINE_VERSION
from matchmaker.models import EnterpriseNeed, Match, MatchState, ResearchResult
from matchmaker.models.base import today_hk
from matchmaker.models.matches import OPEN_STATES
from matchmaker.models.postings import Status
from matchmaker.services import index
from matchmaker.services.pipeline import record

OTHER = {"result": EnterpriseNeed, "need": ResearchResult}


def _pair(posting, other_id: int) -> tuple[int, int]:
    return (posting.id, other_id) if posting.KIND == "result" else (other_id, posting.id)


def _same_organisation_ids(posting) -> list[int]:
    model = OTHER[posting.KIND]
    return list(db.session.scalars(sa.select(model.id).where(
        model.organisation_id == posting.organisation_id)))


def _live(model, ids: list[int]) -> dict[int, object]:
    """The live postings among `ids`, by id (one query)."""
    if not ids:
        return {}
    stmt = sa.select(model).where(model.id.in_(ids), model.status == Status.PUBLISHED)
    if model is EnterpriseNeed:
        stmt = stmt.where(sa.or_(model.deadline.is_(None), model.deadline >= today_hk()))
    return {posting.id: posting for posting in db.session.scalars(stmt)}


def candidates_for(posting) -> list:
    """The engine's suggestions for `posting` that pass the service's rules, best first.

    A pair's similarity is the better of its two directions: each posting scored against the other,
    as a share of what it would score against itself. A Chinese text's ceiling counts character n-grams
    that an English partner can only meet through glossary concepts, so one direction can undersell a
    true cross-language pair that the other direction sees plainly.
    """
    config = current_app.config
    other = OTHER[posting.KIND]
    record = index.record_for(posting)
    with index.lock():
        engine = index.current_engine()
        ranked = engine.rank(record, kind=other.KIND, top_n=3 * config["MATCH_TOP_N"],
                             exclude=_same_organisation_ids(posting), explain_top=0)
        ceiling = engine.self_score(record)
        partners = _live(other, [s.id for s in ranked])
        scored = [replace(s, score=max(similarity(s.score, ceiling), _backward(engine, partners[s.id], posting)))
                  for s in ranked if s.id in partners]
        scored.sort(key=lambda s: s.score, reverse=True)
        best = [s for s in scored if s.score >= config["MATCH_MIN_SCORE"]][: config["MATCH_TOP_N"]]
        explanations = engine.explain_many(record, other.KIND, [s.id for s in best])
        return [replace(s, explanation=why) for s, why in zip(best, explanations, strict=True)]


def similarity(score: float, ceiling: float) -> float:
    """The engine's score as a share of what the query would score against itself (0–1)."""
    return min(1.0, score / ceiling) if ceiling > 0 else 0.0


def _backward(engine, partner, posting) -> float:
    """How `posting` scores as a share of `partner`'s ceiling when `partner` is the query."""
    return engine.similarities(index.record_for(partner), posting.KIND, [posting.id]).get(posting.id, 0.0)


def _upsert(posting, suggestion, rank: int) -> Match | None:
    result_id, need_id = _pair(posting, suggestion.id)
    values = {"score": round(suggestion.score, 6), "rank": rank, "engine_version": ENGINE_VERSION,
              "explanation": oriented_explanation(posting.KIND, suggestion.explanation)}
    match = _find(result_id, need_id) or _insert(result_id, need_id, values)
    if match.state != MatchState.SUGGESTED:
        return None
    for name, value in values.items():
        setattr(match, name, value)
    return match


def oriented_explanation(query_kind: str, explanation: list[dict]) -> list[dict]:
    """Name each side's words by kind (result/need), whichever side asked the engine."""
    mine, theirs = ("result", "need") if query_kind == "result" else ("need", "result")
    return [{"feature": item["feature"], f"{mine}_terms": _distinct(item["query_terms"]),
             f"{theirs}_terms": _distinct(item["match_terms"]), "field": item["field"], "share": item["share"],
             "bridged": item["bridged"]} for item in explanation]


def _distinct(terms: list[str]) -> list[str]:
    """The words as first written, without repeats that differ only in case (Graphene, graphene)."""
    seen: dict[str, str] = {}
    for term in terms:
        seen.setdefault(term.casefold(), term)
    return list(seen.values())


def _find(result_id: int, need_id: int) -> Match | None:
    return db.session.scalar(sa.select(Match).where(Match.result_id == result_id, Match.need_id == need_id))


def _insert(result_id: int, need_id: int, values: dict) -> Match:
    """A new suggested match; if another process inserted the same pair meanwhile, theirs.

    Publishing a result and a need that match each other at the same moment makes both requests try
    to insert the pair: the savepoint lets the loser take the winner's row instead of failing.
    """
    try:
        with db.session.begin_nested():
            match = Match(result_id=result_id, need_id=need_id, state=MatchState.SUGGESTED, **values)
            db.session.add(match)
            db.session.add(_suggest_event(match))
    except IntegrityError:
        return _find(result_id, need_id)
    return match


def _suggest_event(match: Match):
    from matchmaker.models import MatchEvent

    return MatchEvent(match=match, actor_id=None, from_state=None, to_state=MatchState.SUGGESTED,
                      action="suggest")


def refresh_suggestions(posting) -> int:
    """Compute and store the suggestions of a posting just published or edited; commits.

    Returns how many open suggestions it now has. A posting that is not live withdraws its open ones.
    """
    if not index.is_live(posting):
        withdraw_open(posting)
        return 0
    stored = [_upsert(posting, s, rank) for rank, s in enumerate(candidates_for(posting), start=1)]
    db.session.commit()
    return sum(1 for m in stored if m is not None)


def withdraw_open(posting) -> int:
    """Withdraw the suggested and introduced matches of a posting that left the market; commits.

    Returns how many were withdrawn.
    """
    column = Match.result_id if posting.KIND == "result" else Match.need_id
    open_matches = db.session.scalars(sa.select(Match).where(column == posting.id,
                                                             Match.state.in_(OPEN_STATES))).all()
    for match in open_matches:
        record(match, None, MatchState.WITHDRAWN, "withdraw", posting.effective_status)
    db.session.commit()
    return len(open_matches)


def expire_due() -> int:
    """Withdraw the open matches of needs whose deadline has passed; returns how many needs."""
    needs = db.session.scalars(sa.select(EnterpriseNeed).where(
        EnterpriseNeed.status == Status.PUBLISHED, EnterpriseNeed.deadline < today_hk(),
        EnterpriseNeed.id.in_(sa.select(Match.need_id).where(Match.state.in_(OPEN_STATES))))).all()
    for need in needs:
        withdraw_open(need)
    return len(needs)


def live_postings() -> list:
    """Every live posting of both kinds (for rematching everything)."""
    out = []
    for model in (ResearchResult, EnterpriseNeed):
        out.extend(p for p in db.session.scalars(sa.select(model).where(model.status == Status.PUBLISHED))
                   if index.is_live(p))
    return out
