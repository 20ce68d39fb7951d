"""Operator commands: `flask users …`, `flask seed`, `flask demo …` (more groups register themselves)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from matchmaker.extensions import db
from matchmaker.services.errors import DomainError

users_cli = AppGroup("users", help="Manage accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
matching_cli = AppGroup("matching", help="The matching index and suggestions.")
mail_cli = AppGroup("mail", help="The mail outbox.")


@users_cli.command("create")
@click.option("--role", type=click.Choice(["reviewer", "admin", "researcher", "enterprise"]), required=True)
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--organisation", "organisation_short_name", default=None,
              help="Short name of the organisation (e.g. HKU), for researchers and reviewers of one.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def create_user_command(role, email, display_name, organisation_short_name, password):
    """Create an account. Reviewer and admin accounts are only made here, never by sign-up."""
    import sqlalchemy as sa

    from matchmaker.models import Organisation
    from matchmaker.services import accounts

    organisation = None
    if organisation_short_name:
        organisation = db.session.scalar(sa.select(Organisation).where(
            Organisation.short_name == organisation_short_name))
        if organisation is None:
            raise click.BadParameter(f"no organisation with short name {organisation_short_name!r}",
                                     param_hint="--organisation")
    try:
        user = accounts.create_user(email, password, display_name, role, organisation)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{error.field or 'input'}: {error.message}") from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


@click.command("seed")
def seed_command():
    """Make sure the Hong Kong and Macao universities exist (idempotent)."""
    from matchmaker.services.seed import ensure_universities

    added = ensure_universities()
    db.session.commit()
    click.echo(f"Universities added: {added}")


@demo_cli.command("load")
def demo_load_command():
    """Load the demo accounts and postings (idempotent) and print the demo logins."""
    from matchmaker.services import demo

    summary = demo.load()
    click.echo(demo.describe(summary))


@matching_cli.command("rebuild")
def matching_rebuild_command():
    """Refit the index from the database and replace the file atomically (safe while serving)."""
    from matchmaker.services import index

    click.echo(f"Indexed {index.rebuild()} live postings.")


@matching_cli.command("rematch")
def matching_rematch_command():
    """Recompute the suggestions of every live posting (decided matches are left alone)."""
    from matchmaker.services import matches, matching

    matching.expire_due()
    postings = matching.live_postings()
    with click.progressbar(postings, label="Rematching", show_pos=True) as bar:
        for posting in bar:
            matching.refresh_suggestions(posting)
    click.echo(f"{len(postings)} postings rematched; {matches.count_open_suggestions()} open suggestions.")


@matching_cli.command("expire")
def matching_expire_command():
    """Withdraw the open matches of needs past their deadline (run daily)."""
    from matchmaker.services import matching

    click.echo(f"Needs expired: {matching.expire_due()}")


@matching_cli.command("report")
def matching_report_command():
    """Reviewer decisions by engine version and rank, and the reasons given for rejections."""
    from matchmaker.services import feedback

    click.echo(feedback.format_report(feedback.decisions_report()))


@mail_cli.command("send")
def mail_send_command():
    """Send queued mail by SMTP when MAIL_SERVER is set, else print it here (logged, not sent); failures
    stay queued for a retry."""
    from matchmaker.services import notifications

    click.echo(str(notifications.drain_outbox(limit=1000)))


def init_app(app: Flask) -> None:
    for command in (users_cli, demo_cli, matching_cli, mail_cli, seed_command):
        app.cli.add_command(command)
    from matchmaker.transfer.cli import COMMANDS as transfer_commands

    for command in transfer_commands:
        app.cli.add_command(command)
