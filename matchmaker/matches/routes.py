"""The match page and what happens on it; my matches; notifications."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker.access import roles, signed_in
from matchmaker.matches.forms import DecisionForm, OutcomeForm, ResponseForm
from matchmaker.services import matches, notifications, pipeline
from matchmaker.services.errors import Conflict, DomainError, InvalidInput

bp = Blueprint("matches", __name__)


def _load(match_id: int):
    try:
        return matches.get_match(match_id, current_user)
    except DomainError as error:
        abort(error.status)


def _page(match, status: int = 200, **forms):
    forms.setdefault("decision_form", DecisionForm(version=match.version))
    forms.setdefault("response_form", ResponseForm())
    forms.setdefault("outcome_form", OutcomeForm())
    return render_template(
        "matches/detail.html", match=match, side=match.side_of(current_user), gaps=matches.gaps(match),
        ranks=matches.side_ranks([match]).get(match.id) if current_user.is_reviewer else None,
        contacts=matches.contacts_revealed(match, current_user), history=matches.history(match, current_user),
        **forms), status


def _act(match, form_name: str, form, action):
    """Run a pipeline action; domain errors become a message on the page, conflicts a 409."""
    try:
        action()
    except InvalidInput as error:
        field = getattr(form, error.field or "", None)
        (field.errors.append(error.message) if field is not None else flash(error.message, "error"))
        return _page(match, 400, **{form_name: form})
    except Conflict as error:
        flash(error.message, "error")
        return _page(match, 409)
    except DomainError as error:
        abort(error.status)
    notifications.drain_outbox()
    flash(_("Saved."), "success")
    return redirect(url_for("matches.detail", match_id=match.id))


@bp.route("/matches/<int:match_id>")
@signed_in
def detail(match_id: int):
    """Both postings side by side, the explanation, the gaps and the history.

    :raise 404: posters see only introduced matches on their own postings.
    """
    match = _load(match_id)
    notifications.mark_match_read(current_user, match.id)
    return _page(match)


@bp.route("/matches/<int:match_id>/decision", methods=["POST"])
@roles("reviewer", "admin")
def decide(match_id: int):
    match = _load(match_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _page(match, 400, decision_form=form)
    if form.decision.data == "approve":
        return _act(match, "decision_form", form,
                    lambda: pipeline.approve(match, current_user, form.version.data, form.note.data,
                                             form.message.data))
    return _act(match, "decision_form", form, lambda: pipeline.reject(
        match, current_user, form.version.data, form.reason.data, form.note.data, form.message.data))


@bp.route("/matches/<int:match_id>/response", methods=["POST"])
@signed_in
def respond(match_id: int):
    match = _load(match_id)
    form = ResponseForm()
    if not form.validate_on_submit():
        return _page(match, 400, response_form=form)
    return _act(match, "response_form", form,
                lambda: pipeline.respond(match, current_user, form.answer.data, form.message.data))


@bp.route("/matches/<int:match_id>/outcome", methods=["POST"])
@signed_in
def outcome(match_id: int):
    match = _load(match_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        return _page(match, 400, outcome_form=form)
    if form.outcome.data == "agree":
        return _act(match, "outcome_form", form,
                    lambda: pipeline.agree(match, current_user, form.deal_kind.data, form.message.data,
                                           form.note.data))
    return _act(match, "outcome_form", form,
                lambda: pipeline.close(match, current_user, form.message.data, form.note.data))


@bp.route("/my/matches")
@roles("researcher", "enterprise")
def mine():
    return render_template("matches/mine.html", matches=matches.for_poster(current_user))


@bp.route("/notifications")
@signed_in
def notifications_list():
    return render_template("matches/notifications.html", items=notifications.for_user(current_user),
                           describe=notifications.describe)


@bp.route("/notifications/read", methods=["POST"])
@signed_in
def notifications_read():
    notifications.mark_all_read(current_user)
    return redirect(url_for("matches.notifications_list"))
