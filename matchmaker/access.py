"""Access rules declared on every view, enforced on the server and failing closed.

Each view says who may call it with one of the decorators below. A view without a rule is refused
with 403 before it runs, and a test walks `app.url_map` so such a view never ships unnoticed.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, request
from flask_login import current_user

ALLOWED_WITHOUT_RULE = {"static"}


def _mark(view, rule: str):
    view.access_rule = rule
    return view


def public(view):
    """Anyone, signed in or not. Views still hide what a visitor may not see."""
    return _mark(view, "public")


def signed_in(view):
    """Any active signed-in user; anonymous visitors are sent to sign in."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return view(*args, **kwargs)

    return _mark(wrapper, "signed_in")


def roles(*allowed: str):
    """Signed-in users holding one of `allowed` roles; others get 403."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapper, "roles:" + ",".join(sorted(allowed)))

    return decorate


def access_rule_of(app: Flask, endpoint: str) -> str | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def enforce_declared_rules() -> None:
    endpoint = request.endpoint
    if endpoint is None or endpoint in ALLOWED_WITHOUT_RULE:
        return
    if access_rule_of(current_app, endpoint) is None:
        abort(403)


def init_app(app: Flask) -> None:
    app.before_request(enforce_declared_rules)
