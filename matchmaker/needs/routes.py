"""Enterprise needs: the technical problems companies want solved."""

from flask import Blueprint

from matchmaker.postings import views
from matchmaker.postings.forms import NeedForm

bp = Blueprint("needs", __name__, url_prefix="/needs")
views.register(bp, "need", NeedForm)
