"""Small helpers the API route modules share: the statuses every operation documents, the caller."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

# Any call can meet a bad bearer token (401) or a rate limit (429).
ALWAYS = (401, 429)
# A state change can also meet a missing CSRF token or a body that is not JSON (400), or a body over
# MAX_CONTENT_LENGTH (413).
UNSAFE = (400, 401, 413, 429)


def statuses(*extra: int, unsafe: bool = False) -> list[int]:
    """The error statuses an operation documents (APIFlask adds 404 for path ids and 422 for input)."""
    return sorted(set((UNSAFE if unsafe else ALWAYS) + extra))


def user_or_none():
    """The signed-in caller (by token or cookie), or None."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def require_user():
    """The caller, or 401 for an anonymous call to something that needs an account."""
    user = user_or_none()
    if user is None:
        abort(401)
    return user
