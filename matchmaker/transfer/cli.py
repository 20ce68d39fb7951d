"""`flask export PATH` and `flask import PATH`: the JSON-lines backup of the whole database."""

from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.command("export")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--with-password-hashes", is_flag=True,
              help="Include password hashes and API token hashes (keep the file as secret as the database).")
@with_appcontext
def export_command(path: str, with_password_hashes: bool):
    """Write every row as JSON lines to PATH (gzip when PATH ends in .gz), ids kept."""
    from matchmaker.services import backup

    counts = backup.export_to(path, with_credentials=with_password_hashes)
    click.echo(f"Wrote {sum(counts.values())} rows to {path}: " + _summary(counts))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(path: str):
    """Restore a backup written by `flask export` into an EMPTY database (after `flask db upgrade`)."""
    from matchmaker.services import backup

    try:
        counts = backup.restore_from(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {sum(counts.values())} rows: " + _summary(counts))


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{table} {count}" for table, count in counts.items()) or "nothing"


COMMANDS = (export_command, import_command)
