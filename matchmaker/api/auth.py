"""Who is calling the API: a bearer token, else the site's session cookie.

A request carrying `Authorization: Bearer …` is that token's user, whatever cookie it also carries, and is
exempt from CSRF (a browser never adds the header by itself). A cookie-authenticated request that changes
state must carry the CSRF token in `X-CSRFToken`, as the site's forms do (SECURITY.md item 1).
"""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask_login import current_user

from matchmaker.extensions import csrf
from matchmaker.services import tokens

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Endpoints that authenticate by their own body (email and password): no session is used, so no CSRF.
CSRF_FREE_ENDPOINTS = {"api.create_token"}


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, or None when the header is absent or another scheme."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _token():
    """The live token of this request (looked up once per request), or None."""
    if "api_token" not in g:
        plain = bearer_token()
        g.api_token = tokens.find(plain) if plain else None
    return g.api_token


def caller():
    """The calling user (token first, then session), or None for an anonymous call."""
    token = _token()
    if token is not None:
        return token.user
    if bearer_token() is not None:
        return None  # a bad token never falls back to the cookie
    return current_user if current_user.is_authenticated else None


def rate_key() -> str:
    """Rate limits count per account for signed-in callers, per address for anonymous ones."""
    user = caller()
    return f"api-user:{user.id}" if user is not None else f"api-ip:{request.remote_addr or ''}"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", "300 per minute")


def authenticate() -> None:
    """Blueprint `before_request`: set the token's user, refuse a bad token, check CSRF for cookies."""
    if bearer_token() is not None:
        token = _token()
        if token is None:
            abort(401)
        # Flask-Login's way to make `current_user` this user for one request; login_user() would also
        # write the session cookie, and a token call must leave no session behind.
        current_app.login_manager._update_request_context_with_user(token.user)
        tokens.touch(token)
        return
    if (request.method in UNSAFE_METHODS and request.endpoint not in CSRF_FREE_ENDPOINTS
            and current_user.is_authenticated and current_app.config.get("WTF_CSRF_ENABLED", True)):
        csrf.protect()


def add_authenticate_header(response):
    """A 401 names the scheme the API expects (RFC 6750)."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="matchmaker"')
    return response
