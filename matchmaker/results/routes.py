"""Research results: the technology offers of university researchers."""

from flask import Blueprint

from matchmaker.postings import views
from matchmaker.postings.forms import ResultForm

bp = Blueprint("results", __name__, url_prefix="/results")
views.register(bp, "result", ResultForm)
