"""Committing in a request that goes on to show what it has just written."""

from __future__ import annotations

from matchmaker.extensions import db


def commit_and_keep() -> None:
    """Commit without expiring the session's objects.

    A plain commit expires every loaded object, so the response that follows read the match, both
    postings, the events and the signed-in user back, one query each, to show what the request itself
    had just written. Values the database computes (server defaults) are still expired by the flush and
    read back; values written by others after this commit are not this response's business.
    """
    session = db.session()
    previous, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = previous
