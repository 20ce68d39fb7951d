"""Error pages: HTML for the site, JSON for the API; never a traceback, always a rolled-back session."""

from __future__ import annotations

import contextlib

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from matchmaker.extensions import db


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be understood."),
        401: _("Please sign in to continue."),
        403: _("You do not have permission to do that."),
        404: _("We could not find that page."),
        405: _("That action is not allowed here."),
        409: _("Someone else changed this at the same time."),
        413: _("The upload is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Nothing you entered was saved half-way."),
        503: _("The service is briefly unavailable. Please try again shortly."),
    }


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, message: str | None = None, headers=None):
    message = message or _messages().get(code, _("Error"))
    if wants_json():
        response = jsonify({"status": code, "message": message})
    else:
        response = render_template("errors/error.html", code=code, message=message)
    return response, code, headers or {}


def handle_http_error(error: HTTPException):
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 429 and error.get_response().headers.get("Retry-After"):
        headers["Retry-After"] = error.get_response().headers["Retry-After"]
    return render_error(error.code or 500, None, headers)


def handle_csrf_error(error: CSRFError):
    return render_error(400, _("Your form expired or was sent from elsewhere. Please try again."))


def handle_unexpected(error: Exception):
    with contextlib.suppress(SQLAlchemyError):  # the database itself may be what failed
        db.session.rollback()
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if isinstance(error, (OperationalError, InterfaceError)):
        return handle_database_down()
    return render_error(500)


def handle_database_down():
    """The database is unreachable: a page that needs nothing from it (no user, no navigation)."""
    message = _messages()[503]
    if wants_json():
        return jsonify({"status": 503, "message": message}), 503, {"Retry-After": "5"}
    # Flask-Login's template context processor would load a signed-in caller's user row (another
    # query, failing again) and the 503 became a bare 500: the page treats every caller as anonymous.
    current_app.login_manager._update_request_context_with_user(None)
    return render_template("errors/unavailable.html", message=message), 503, {"Retry-After": "5"}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
