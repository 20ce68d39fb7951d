"""What reviewers made of the engine's suggestions: the data to tune it with later."""

from __future__ import annotations

from collections import Counter, defaultdict

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, MatchState

RANK_BANDS = (("1", 1, 1), ("2-5", 2, 5), ("6-20", 6, 20))
DECIDED = (MatchState.REJECTED, MatchState.INTRODUCED, MatchState.CONNECTED, MatchState.AGREED,
           MatchState.CLOSED)


def _band(rank: int) -> str:
    for name, low, high in RANK_BANDS:
        if low <= rank <= high:
            return name
    return "21+"


def decisions_report() -> dict[str, dict]:
    """Per engine version: decided and approved counts per rank band, and rejection reasons."""
    rows = db.session.execute(sa.select(Match.engine_version, Match.rank, Match.state, Match.reason_code)
                              .where(Match.state.in_(DECIDED)))
    report: dict[str, dict] = defaultdict(lambda: {"bands": defaultdict(lambda: [0, 0]), "reasons": Counter()})
    for version, rank, state, reason in rows:
        entry = report[version]
        counts = entry["bands"][_band(rank)]
        counts[0] += 1
        if state != MatchState.REJECTED:
            counts[1] += 1
        elif reason:
            entry["reasons"][reason] += 1
    return {version: {"bands": dict(entry["bands"]), "reasons": dict(entry["reasons"])}
            for version, entry in sorted(report.items())}


def format_report(report: dict[str, dict]) -> str:
    if not report:
        return "No reviewer decisions yet."
    lines = []
    for version, entry in report.items():
        lines.append(f"Engine {version}")
        for band, _low, _high in (*RANK_BANDS, ("21+", 21, 10**9)):
            decided, approved = entry["bands"].get(band, (0, 0))
            share = f"{approved / decided:.0%}" if decided else "—"
            lines.append(f"  rank {band:>5}: {approved:>4} approved of {decided:>4} decided ({share})")
        reasons = ", ".join(f"{code} {n}" for code, n in sorted(entry["reasons"].items())) or "none"
        lines.append(f"  rejection reasons: {reasons}")
    return "\n".join(lines)
