"""Reference data every installation has."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation
from matchmaker.universities import UNIVERSITIES


def ensure_universities() -> int:
    """Add the universities that are missing; returns how many were added. The caller commits."""
    present = set(db.session.scalars(sa.select(Organisation.short_name)))
    added = 0
    for short_name, name_en, name_zh, region in UNIVERSITIES:
        if short_name not in present:
            db.session.add(Organisation(kind="university", short_name=short_name, name_en=name_en,
                                        name_zh=name_zh, region=region))
            added += 1
    db.session.flush()
    return added
