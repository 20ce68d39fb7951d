"""Personal API tokens on the account page: make one (shown once) or revoke one. Site forms, with CSRF."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional

from matchmaker.access import signed_in
from matchmaker.auth.forms import PasswordChangeForm, PreferencesForm
from matchmaker.extensions import limiter
from matchmaker.forms import NoControlCharacters, strip_text
from matchmaker.services import tokens
from matchmaker.services.errors import DomainError

bp = Blueprint("tokens", __name__, url_prefix="/account/tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[Optional(), Length(max=100), NoControlCharacters()],
                       filters=[strip_text])


def _user_key() -> str:
    return f"token-user:{current_user.id}" if current_user.is_authenticated else ""


@bp.app_context_processor
def _inject_tokens():
    """The account page lists the user's tokens through `api_tokens()` and offers `token_form`."""

    def api_tokens():
        return tokens.tokens_of(current_user) if current_user.is_authenticated else []

    return {"api_tokens": api_tokens, "token_form": TokenForm}


@bp.route("", methods=["POST"])
@signed_in
@limiter.limit("20 per hour", key_func=_user_key)
def create():
    """Make a personal token and show it once; the page is not cached."""
    form = TokenForm()
    if not form.validate_on_submit():
        message = " ".join(map(str, form.name.errors)) or _("Your form expired or was sent from elsewhere. "
                                                   "Please try again.")
        flash(message, "error")
        return render_template("auth/account.html", password_form=PasswordChangeForm(),
                               preferences_form=PreferencesForm(obj=current_user)), 400
    token, plain = tokens.issue(current_user, form.name.data or "")
    response = render_template("api/token_created.html", token=token, plain=plain)
    return response, 201, {"Cache-Control": "no-store"}


@bp.route("/<int:token_id>/revoke", methods=["POST"])
@signed_in
def revoke(token_id: int):
    try:
        tokens.revoke(current_user, token_id)
    except DomainError as error:
        abort(error.status)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("auth.account"))
