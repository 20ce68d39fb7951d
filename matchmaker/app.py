"""The application factory: `create_app` reads as a table of contents; each subsystem registers itself."""

from __future__ import annotations

import os

from apiflask import APIFlask
from flask import Flask

from config import CONFIGS, ProductionConfig
from matchmaker import routing


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application.

    :param config_name: ``development`` (default), ``testing`` or ``production``; else MATCHMAKER_CONFIG.
    :param overrides: settings that win over the config class (tests use them).
    :raise RuntimeError: production without SECRET_KEY or DATABASE_URL.
    """
    config_name = config_name or os.environ.get("MATCHMAKER_CONFIG", "development")
    config_class = CONFIGS[config_name]
    if config_class is ProductionConfig:
        ProductionConfig.check()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # APIFlask builds the API's OpenAPI spec; json_errors=False keeps the site's HTML error pages.
    app = APIFlask("matchmaker", title="Matchmaker API", version="1", spec_path=None, docs_path=None,
                   json_errors=False, instance_path=os.path.join(root, "instance"),
                   template_folder=os.path.join(root, "templates"))
    app.config.from_object(config_class)
    app.config.update(overrides)
    app.json.ensure_ascii = False
    os.makedirs(app.instance_path, exist_ok=True)
    routing.init_app(app)

    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_commands(app)
    warm_when_serving(app)
    return app


def register_extensions(app: Flask) -> None:
    from matchmaker import access, auth, i18n, security, templating
    from matchmaker.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db)
    csrf.init_app(app)
    limiter.init_app(app)
    auth.init_login(app)
    i18n.init_app(app)
    security.init_app(app)
    access.init_app(app)
    templating.init_app(app)


def register_blueprints(app: Flask) -> None:
    from matchmaker.auth.routes import bp as auth_bp
    from matchmaker.dashboard.routes import bp as dashboard_bp
    from matchmaker.main.routes import bp as main_bp
    from matchmaker.matches.routes import bp as matches_bp
    from matchmaker.needs.routes import bp as needs_bp
    from matchmaker.results.routes import bp as results_bp
    from matchmaker.review.routes import bp as review_bp

    for blueprint in (main_bp, auth_bp, results_bp, needs_bp, review_bp, matches_bp):
        app.register_blueprint(blueprint)
    from matchmaker.api import bp as api_bp
    from matchmaker.api.account import bp as tokens_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(dashboard_bp)
    from matchmaker.transfer.routes import bp as transfer_bp

    app.register_blueprint(transfer_bp)


def register_errors(app: Flask) -> None:
    from matchmaker import errors

    errors.init_app(app)


def register_commands(app: Flask) -> None:
    from matchmaker import cli

    cli.init_app(app)


def warm_when_serving(app: Flask) -> None:
    """Under `flask run` only: build the matching engine before the server says it is ready."""
    from matchmaker import warmup

    warmup.init_app(app)
