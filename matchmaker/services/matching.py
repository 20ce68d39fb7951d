"""Suggestions: turning the engine's ranking into `Match` rows, under the rules the engine does not know.

Rules applied here: only live postings (published, not expired) on both sides, never two postings of the
same organisation, at most `MATCH_TOP_N` whose pair similarity (the engine's `pair_similarities`:
one figure per pair, whichever side asks) passes the cut-off of `above_cut_off`. Decided matches are
never touched by a refresh; open ones are withdrawn when a posting is archived or expires.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from matchmaker.extensions import db
from matchmaker.matching import ENGINE_VERSION
from matchmaker.models import EnterpriseNeed, Match, MatchEvent, MatchState, ResearchResult
from matchmaker.models.base import today_hk
from matchmaker.models.matches import OPEN_STATES
from matchmaker.models.postings import Status
from matchmaker.services import index
from matchmaker.services.pipeline import record
from matchmaker.services.transactions import commit_and_keep

OTHER = {"result": EnterpriseNeed, "need": ResearchResult}
INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}  # both take ON CONFLICT … RETURNING


def _pair(posting, other_id: int) -> tuple[int, int]:
    return (posting.id, other_id) if posting.KIND == "result" else (other_id, posting.id)


def _same_organisation_ids(posting) -> list[int]:
    model = OTHER[posting.KIND]
    return list(db.session.scalars(sa.select(model.id).where(
        model.organisation_id == posting.organisation_id)))


def _live(model, ids: list[int]) -> set[int]:
    """The live postings among `ids` (one query)."""
    if not ids:
        return set()
    stmt = sa.select(model.id).where(model.id.in_(ids), model.status == Status.PUBLISHED)
    if model is EnterpriseNeed:
        stmt = stmt.where(sa.or_(model.deadline.is_(None), model.deadline >= today_hk()))
    return set(db.session.scalars(stmt))


def candidates_for(posting) -> list:
    """The engine's suggestions for `posting` that pass the service's rules, best first.

    Each pair is scored by the engine's `pair_similarities`, one figure whichever posting of the pair
    asks, so the stored score of a pair does not depend on which of its postings was published last.
    """
    config = current_app.config
    other = OTHER[posting.KIND]
    record = index.record_for(posting)
    with index.lock():
        engine = index.current_engine()
        ranked = engine.rank(record, kind=other.KIND, top_n=3 * config["MATCH_TOP_N"],
                             exclude=_same_organisation_ids(posting), explain_top=0)
        partners = _live(other, [s.id for s in ranked])
        pair_scores = engine.pair_similarities(posting.KIND, posting.id, other.KIND,
                                               [s.id for s in ranked if s.id in partners])
        scored = [replace(s, score=pair_scores[s.id]) for s in ranked if s.id in pair_scores]
        scored.sort(key=lambda s: s.score, reverse=True)
        best = above_cut_off(scored, config["MATCH_MIN_SCORE"], config["MATCH_RELATIVE_FLOOR"],
                             _best_stored_scores(posting, [s.id for s in scored]))[: config["MATCH_TOP_N"]]
        explanations = engine.explain_many(record, other.KIND, [s.id for s in best])
        return [replace(s, explanation=why) for s, why in zip(best, explanations, strict=True)]


def above_cut_off(scored: list, floor: float, relative_floor: float,
                  partners_best: Mapping[int, float] | None = None) -> list:
    """The candidates (best first) likely worth a reviewer's look, so their number follows the evidence.

    Two floors on the pair similarity, one rule for every language. The absolute `floor` drops pairs
    no stronger than two unrelated postings sharing generic words. The relative floor drops the long
    tail behind a clear answer: a pair stays if it reaches `relative_floor` × the best candidate of
    either of its postings (this one's, or the partner's best stored so far: `partners_best`), so a
    pair is judged from both sides whichever was published last.
    """
    if not scored:
        return []
    partners_best = partners_best or {}
    own_bar = relative_floor * scored[0].score
    return [s for s in scored if s.score >= floor
            and (s.score >= own_bar or s.score >= relative_floor * partners_best.get(s.id, 0.0))]


def _best_stored_scores(posting, partner_ids: list[int]) -> dict[int, float]:
    """Each partner's best open suggestion or introduction with any posting other than this one."""
    if not partner_ids:
        return {}
    mine, theirs = (Match.result_id, Match.need_id) if posting.KIND == "result" else (Match.need_id, Match.result_id)
    rows = db.session.execute(sa.select(theirs, sa.func.max(Match.score)).where(
        theirs.in_(partner_ids), mine != posting.id, Match.state.in_(OPEN_STATES)).group_by(theirs))
    return {partner: float(best) for partner, best in rows}


def similarity(score: float, ceiling: float) -> float:
    """The engine's score as a share of what the query would score against itself (0–1)."""
    return min(1.0, score / ceiling) if ceiling > 0 else 0.0


def _values(posting, suggestion, rank: int) -> dict:
    return {"score": round(suggestion.score, 6), "rank": rank, "engine_version": ENGINE_VERSION,
            "explanation": oriented_explanation(posting.KIND, suggestion.explanation)}


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


def _existing(posting, pairs) -> dict[tuple[int, int], Match]:
    """The stored matches among `pairs` of `posting` (one query)."""
    if not pairs:
        return {}
    mine, theirs = (Match.result_id, Match.need_id) if posting.KIND == "result" else (Match.need_id, Match.result_id)
    others = [pair[1] if posting.KIND == "result" else pair[0] for pair in pairs]
    found = db.session.scalars(sa.select(Match).where(mine == posting.id, theirs.in_(others)))
    return {(match.result_id, match.need_id): match for match in found}


def _insert_new(pairs: list[tuple[int, int]], values: dict) -> set[tuple[int, int]]:
    """Insert the suggested matches of `pairs` with their events; returns the pairs inserted.

    A pair another request inserted meanwhile (a result and its need published at the same moment)
    is skipped by ON CONFLICT, not a failed transaction; the caller takes that row instead. Rows go
    in in one order (sorted pairs), so two such requests wait for each other rather than deadlock.
    """
    if not pairs:
        return set()
    table = Match.__table__
    insert = INSERTS[db.session.get_bind().dialect.name]
    stmt = (insert(table).on_conflict_do_nothing(index_elements=["result_id", "need_id"])
            .returning(table.c.id, table.c.result_id, table.c.need_id))
    rows = db.session.execute(stmt, [{"result_id": result_id, "need_id": need_id, "state": MatchState.SUGGESTED,
                                      **values[(result_id, need_id)]} for result_id, need_id in sorted(pairs)]).all()
    if rows:
        db.session.execute(sa.insert(MatchEvent.__table__), [
            {"match_id": row.id, "actor_id": None, "from_state": None, "to_state": MatchState.SUGGESTED,
             "action": "suggest", "note": ""} for row in rows])
    return {(row.result_id, row.need_id) for row in rows}


def store_suggestions(posting, suggestions: list) -> int:
    """Insert or update the ranked `suggestions` of `posting` (the caller commits).

    Decided matches are left as they are. Returns how many of the pairs are open suggestions now.
    """
    values = {_pair(posting, s.id): _values(posting, s, rank) for rank, s in enumerate(suggestions, start=1)}
    found = _existing(posting, list(values))
    new = [pair for pair in values if pair not in found]
    inserted = _insert_new(new, values)
    found.update(_existing(posting, [pair for pair in new if pair not in inserted]))
    updated = [match for match in found.values() if match.state == MatchState.SUGGESTED]
    for match in updated:
        for name, value in values[(match.result_id, match.need_id)].items():
            setattr(match, name, value)
    return len(inserted) + len(updated)


def refresh_suggestions(posting) -> int:
    """Compute and store the suggestions of a posting just published or edited; commits.

    Returns how many open suggestions it now has. A posting that is not live withdraws its open ones.
    """
    if not index.is_live(posting):
        withdraw_open(posting)
        return 0
    stored = store_suggestions(posting, candidates_for(posting))
    commit_and_keep()
    return stored


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
