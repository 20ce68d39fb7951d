"""Sign-up, sign-in, sign-out, the account page and the language switch."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, fresh_login_required, login_user, logout_user

from matchmaker.access import public, signed_in
from matchmaker.auth.forms import LanguageForm, LoginForm, PasswordChangeForm, PreferencesForm, SignUpForm
from matchmaker.extensions import limiter
from matchmaker.forms import is_safe_next
from matchmaker.i18n import current_locale
from matchmaker.services import accounts
from matchmaker.services.errors import InvalidInput

bp = Blueprint("auth", __name__)


def _login_account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


def _failed(response) -> bool:
    return response.status_code == 401


def _next_url(default: str = "main.home") -> str:
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_next(target) else url_for(default)


def _start_session(user, remember: bool = False) -> None:
    session.clear()  # a fresh session on sign-in: nothing chosen before it survives (fixation)
    login_user(user, remember=remember)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit("5 per 15 minutes", key_func=_login_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit("20 per 15 minutes", methods=["POST"], deduct_when=_failed)
def login():
    """Sign in; a wrong email or password answers 401 with the form again."""
    if current_user.is_authenticated:
        return redirect(_next_url())
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user:
            _start_session(user, form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect(_next_url())
        flash(_("Wrong email or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.route("/signup", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = SignUpForm()
    if form.validate_on_submit():
        try:
            user = accounts.sign_up(
                form.email.data, form.password.data, form.display_name.data, form.role.data,
                university_id=form.university_id.data, company_name=form.company_name.data or "",
                company_region=form.company_region.data or "elsewhere", locale=current_locale())
        except InvalidInput as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            _start_session(user)
            flash(_("Your account is ready."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/signup.html", form=form), 400 if form.errors else 200


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    accounts.end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "success")
    return redirect(url_for("main.home"))


@bp.route("/account", methods=["GET"])
@signed_in
def account():
    return render_template("auth/account.html", password_form=PasswordChangeForm(),
                           preferences_form=PreferencesForm(obj=current_user))


@bp.route("/account/password", methods=["POST"])
@signed_in
@fresh_login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except InvalidInput as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            _start_session(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", password_form=form,
                           preferences_form=PreferencesForm(obj=current_user)), 400


@bp.route("/account/preferences", methods=["POST"])
@signed_in
def preferences():
    form = PreferencesForm()
    if form.validate_on_submit():
        accounts.update_preferences(current_user, form.locale.data, form.email_notifications.data)
        flash(_("Your preferences are saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", password_form=PasswordChangeForm(),
                           preferences_form=form), 400


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """The switcher on every page: remembered in the session and, when signed in, on the account."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            accounts.update_preferences(current_user, form.lang.data, current_user.email_notifications)
    return redirect(_next_url())
