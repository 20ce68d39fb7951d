"""Accounts: sign-up, sign-in, sign-out and the account page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask_babel import lazy_gettext as _l

from matchmaker.extensions import db, login_manager


def init_login(app: Flask) -> None:
    from matchmaker.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.refresh_view = "auth.login"
    login_manager.needs_refresh_message = _l("Please sign in again to confirm it is you.")
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str):
        # The id in the cookie is the rotating token, so logout or a password change ends old sessions.
        user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
        return user if user and user.active else None
