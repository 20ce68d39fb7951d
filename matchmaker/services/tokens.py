"""API tokens: issue, look up, list and revoke.

A token is 32 random bytes (URL-safe base64, prefixed ``mm_``); only its SHA-256 is stored, so the
plain token is shown once, when it is made. Tokens from ``POST /api/v1/tokens`` expire after
``API_TOKEN_DAYS`` (30 by default); personal tokens made on the account page last until revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from matchmaker.extensions import db
from matchmaker.models import ApiToken, User
from matchmaker.models.base import utcnow
from matchmaker.services.errors import InvalidInput, NotFound
from matchmaker.services.transactions import commit_and_keep

PREFIX = "mm_"
LAST_USED_RESOLUTION = timedelta(hours=1)  # write last_used_at at most hourly: reads stay read-only


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def issue(user: User, name: str, *, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Make a token for `user`; commits. Returns the row and the plain token (never stored).

    :raise InvalidInput: a name longer than 100 characters.
    """
    name = " ".join((name or "").split()) or _("Personal token")
    if len(name) > 100:
        raise InvalidInput(_("Use at most 100 characters."), field="name")
    plain = PREFIX + secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plain), prefix=plain[:10],
                     expires_at=expires_at)
    db.session.add(token)
    db.session.commit()
    return token, plain


def issue_for_login(user: User) -> tuple[ApiToken, str]:
    """A token for a client that signed in with email and password; it expires."""
    days = current_app.config.get("API_TOKEN_DAYS", 30)
    return issue(user, _("API sign-in"), expires_in_days=days)


def find(plain: str) -> ApiToken | None:
    """The live token for `plain` (not expired, its user active), else None."""
    if not plain.startswith(PREFIX) or len(plain) > 100:
        return None
    # The user comes in the same query: every API call looks its token up.
    token = db.session.scalar(sa.select(ApiToken).options(joinedload(ApiToken.user))
                              .where(ApiToken.token_hash == hash_token(plain)))
    if token is None or not token.user.active:
        return None
    if token.expires_at is not None and _aware(token.expires_at) <= utcnow():
        return None
    return token


def touch(token: ApiToken) -> None:
    """Remember when the token was last used (to the hour); commits only when that changes."""
    last = _aware(token.last_used_at)
    if last is None or utcnow() - last >= LAST_USED_RESOLUTION:
        token.last_used_at = utcnow()
        commit_and_keep()  # the request goes on with the token's user


def tokens_of(user: User) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)
                                   .order_by(ApiToken.id.desc())))


def revoke(user: User, token_id: int) -> None:
    """Delete one of the user's tokens; commits.

    :raise NotFound: no such token among the user's own.
    """
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("We could not find that token."))
    db.session.delete(token)
    db.session.commit()


def revoke_all(user: User) -> int:
    """Delete every token of `user` (a new password must lock out old API clients too); the caller commits."""
    return db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
