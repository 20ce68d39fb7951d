"""Helping posters write postings that match well: a completeness meter with concrete hints."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Han ideographs: the unified blocks, extension A, compatibility ideographs and the supplementary planes.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_WORD = re.compile(r"[A-Za-z0-9]+")
# Below this a text says too little, measured in its own terms: 40 English words carry about what
# 60 Han characters do (a Chinese translation runs to about 1.5 characters per English word).
SHORT_WORDS = 40
SHORT_HAN = 60


@dataclass(frozen=True)
class Completeness:
    percent: int
    hints: list[str]


def text_size(text: str | None) -> float:
    """How long a text reads, in English words: a Han character counts as 1/1.5 of a word, so a
    summary and its Chinese translation measure alike. Mixed text adds its two parts."""
    text = text or ""
    return len(_WORD.findall(text)) + len(_HAN.findall(text)) * SHORT_WORDS / SHORT_HAN


def says_enough(text: str | None) -> bool:
    return text_size(text) >= SHORT_WORDS


def _checks(kind: str, posting) -> list[tuple[bool, object]]:
    """(passed, hint) pairs; each failing check costs the same share of the meter."""
    get = lambda name: getattr(posting, name, None)  # noqa: E731
    checks = [(len(get("keywords") or []) >= 3, _l("Add at least three keywords, in every language you expect."))]
    if kind == "result":
        checks += [
            (says_enough(get("summary")), _l("Say more in the summary: what it does and how well.")),
            (bool(get("trl")), _l("Give the technology readiness level (TRL).")),
            (get("ip_status") not in (None, "", "none"), _l("State the IP protection (patent, know-how…).")),
            (bool(get("details")), _l("Add details: method, performance figures, what a partner gets.")),
            (bool(get("cooperation_modes")), _l("Choose the cooperation modes you offer.")),
        ]
    else:
        checks += [
            (says_enough(get("description")),
             _l("Describe the problem in more depth: where it bites and what success looks like.")),
            (bool(get("budget_min") or get("budget_max")), _l("Give a budget range.")),
            (bool(get("deadline")), _l("Set a deadline.")),
            (bool(get("min_trl")), _l("Say the lowest TRL you can work with.")),
            (bool(get("cooperation_modes")), _l("Choose the cooperation modes you want.")),
        ]
    return checks


def completeness(kind: str, posting) -> Completeness:
    """How complete a posting (or the form data of one) is, and what to add, most useful first."""
    checks = _checks(kind, posting)
    passed = sum(1 for ok, _hint in checks if ok)
    return Completeness(round(100 * passed / len(checks)), [str(hint) for ok, hint in checks if not ok])


DUPLICATE_SIMILARITY = 0.5


def possible_duplicates(posting, limit: int = 3) -> list[tuple[object, float]]:
    """Published postings of the same kind that read much like this one, with their similarity."""
    from matchmaker.extensions import db
    from matchmaker.services import index
    from matchmaker.services.matching import similarity

    record = index.record_for(posting)
    with index.lock():
        engine = index.current_engine()
        ranked = engine.rank(record, kind=posting.KIND, top_n=limit, explain_top=0)
        ceiling = engine.self_score(record)
    found = []
    for suggestion in ranked:
        share = similarity(suggestion.score, ceiling)
        other = db.session.get(type(posting), suggestion.id)
        if share >= DUPLICATE_SIMILARITY and other is not None:
            found.append((other, share))
    return found


# At this share of a live posting of the same organisation, publishing asks the owner to confirm: two
# near copies on the market split their matches and look like a mistake to the other side.
CONFIRM_DUPLICATE_SIMILARITY = 0.9


def organisation_duplicates(posting, threshold: float = CONFIRM_DUPLICATE_SIMILARITY) -> list[tuple[object, float]]:
    """Live postings of the same kind and organisation that read at least `threshold` like this one
    (the similarity `possible_duplicates` shows: the score over the posting's score against itself),
    closest first."""
    import sqlalchemy as sa

    from matchmaker.extensions import db
    from matchmaker.models.postings import Status
    from matchmaker.services import index

    model = type(posting)
    ids = list(db.session.scalars(sa.select(model.id).where(
        model.organisation_id == posting.organisation_id, model.status == Status.PUBLISHED,
        model.id != posting.id)))
    if not ids:
        return []
    record = index.record_for(posting)
    with index.lock():
        # The index holds live postings only, so an expired need is no duplicate of anything.
        shares = index.current_engine().similarities(record, posting.KIND, ids)
    close = {other_id: share for other_id, share in shares.items() if share >= threshold}
    if not close:
        return []
    others = db.session.scalars(sa.select(model).where(model.id.in_(close)))
    return sorted(((other, close[other.id]) for other in others), key=lambda pair: (-pair[1], pair[0].id))


def for_owner(posting) -> dict:
    """What the owner's page shows before publishing: the meter, its hints and look-alikes."""
    return {"completeness": completeness(posting.KIND, posting), "duplicates": possible_duplicates(posting)}
