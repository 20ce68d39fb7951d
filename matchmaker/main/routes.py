"""Home page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from matchmaker.access import public, roles
from matchmaker.services import next_steps, postings

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    steps = next_steps.for_user(current_user) if current_user.is_authenticated else None
    return render_template("main/home.html", overview=postings.home_overview(), steps=steps)


@bp.route("/my/postings")
@roles("researcher", "enterprise")
def my_postings():
    """The signed-in poster's own postings in every status, newest first."""
    return render_template("main/my_postings.html", postings=postings.owned_by(current_user))
