"""Backups as JSON lines: every table the product owns, row by row, ids kept; restore into an empty database.

The first line describes the file (format, version, schema revision, whether credentials are in it);
each other line is ``{"row": {...}, "table": "..."}``, tables in foreign-key order, rows by id. The same
database always gives the same bytes, so a backup restored and exported again can be compared with
``cmp``. Password hashes and API token hashes are left out unless asked for; session tokens never go
out (a restore signs everyone out). Import jobs are working data and are not backed up.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Organisation, User
from matchmaker.models.users import new_session_token
from matchmaker.universities import UNIVERSITIES

FORMAT, VERSION = "matchmaker-backup", 1
EXCLUDED_TABLES = {"import_jobs"}
CREDENTIAL_TABLES = {"api_tokens"}
CREDENTIAL_COLUMNS = {"users": {"password_hash"}}
NEVER_EXPORTED = {"users": {"session_token"}}
UNUSABLE_PASSWORD = "!restored-without-password"  # noqa: S105 - not a secret: no password matches it
BATCH = 1000


class BackupError(Exception):
    """The backup cannot be written or restored; the message says why, for the operator."""


def _tables(with_credentials: bool) -> list[sa.Table]:
    return [table for table in db.metadata.sorted_tables if table.name not in EXCLUDED_TABLES
            and (with_credentials or table.name not in CREDENTIAL_TABLES)]


def _schema_revision() -> str | None:
    if not sa.inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _encode(value):
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"$base64": base64.b64encode(value).decode("ascii")}
    return value


def _decode(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column.type, sa.LargeBinary):
        return base64.b64decode(value["$base64"])
    return value


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def export_lines(with_credentials: bool = False) -> Iterator[tuple[str | None, str]]:
    """The backup, line by line, each with its table's name (None for the header)."""
    yield None, _dump({"format": FORMAT, "version": VERSION, "schema": _schema_revision(),
                       "credentials": with_credentials})
    for table in _tables(with_credentials):
        skipped = NEVER_EXPORTED.get(table.name, set())
        if not with_credentials:
            skipped = skipped | CREDENTIAL_COLUMNS.get(table.name, set())
        columns = [column for column in table.columns if column.name not in skipped]
        # Streamed in batches (a server-side cursor on PostgreSQL): a large table never sits in memory.
        stmt = sa.select(*columns).order_by(*table.primary_key.columns).execution_options(yield_per=BATCH)
        for row in db.session.execute(stmt).mappings():
            yield table.name, _dump({"table": table.name,
                                     "row": {key: _encode(value) for key, value in row.items()}})


def _open(path: str, mode: str, compressed: bool):
    opener = gzip.open if compressed else open
    return opener(path, mode + "t", encoding="utf-8", newline="\n")


def export_to(path: str, with_credentials: bool = False) -> dict[str, int]:
    """Write the backup to `path` (gzip when it ends in .gz) atomically; returns rows per table."""
    counts: dict[str, int] = {}
    tmp = path + ".tmp"
    with _open(tmp, "w", path.endswith(".gz")) as handle:
        for table, line in export_lines(with_credentials):
            handle.write(line)
            if table:
                counts[table] = counts.get(table, 0) + 1
    os.replace(tmp, path)
    return counts


def restore_from(path: str) -> dict[str, int]:
    """Restore a backup file into an empty database, keeping ids; commits once.

    :raise BackupError: not a backup, another schema revision, or a database that is not empty.
    """
    try:
        with _open(path, "r", path.endswith(".gz")) as handle:
            return restore(handle)
    except (OSError, UnicodeDecodeError) as error:  # e.g. a .gz that is not gzip, a binary file
        db.session.rollback()
        raise BackupError(f"cannot read {path}: {error}") from error


def restore(lines: Iterable[str]) -> dict[str, int]:
    lines = iter(lines)
    _read_header(next(lines, ""))
    _check_empty()
    db.session.execute(sa.delete(Organisation))  # only the pre-loaded universities: the backup has them
    tables = {table.name: table for table in db.metadata.sorted_tables}
    counts: dict[str, int] = {}
    batch: list[dict] = []
    current = None
    try:
        for number, line in enumerate(lines, start=2):
            item = json.loads(line)
            table = tables.get(item.get("table"))
            if table is None or table.name in EXCLUDED_TABLES:
                raise BackupError(f"line {number}: unknown table {item.get('table')!r}")
            if table is not current and batch:
                _insert(current, batch)
                batch = []
            current = table
            batch.append(_row(table, item["row"], number))
            counts[table.name] = counts.get(table.name, 0) + 1
            if len(batch) >= BATCH:
                _insert(current, batch)
                batch = []
        if batch:
            _insert(current, batch)
        db.session.flush()
    except (ValueError, KeyError, TypeError, sa.exc.SQLAlchemyError) as error:
        db.session.rollback()
        raise BackupError(f"the backup could not be restored, nothing was written: {error}") from error
    db.session.commit()
    fix_sequences()
    return counts


def _read_header(line: str) -> dict:
    try:
        header = json.loads(line)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("this file is not a Matchmaker backup (its first line does not say so)")
    if header.get("version") != VERSION:
        raise BackupError(f"backup format version {header.get('version')} is not supported "
                          f"(expected {VERSION})")
    here = _schema_revision()
    if header.get("schema") != here:
        raise BackupError(f"the backup was made at schema revision {header.get('schema')} but this "
                          f"database is at {here}: run `flask db upgrade` (or restore with the matching "
                          f"release)")
    return header


def _check_empty() -> None:
    """Only a new database: no rows anywhere, except the universities every installation starts with."""
    seeded = {short_name for short_name, *_rest in UNIVERSITIES}
    for table in db.metadata.sorted_tables:
        if table.name == "organisations":
            names = db.session.execute(sa.select(Organisation.kind, Organisation.short_name)).all()
            if all(kind == "university" and short in seeded for kind, short in names):
                continue
        if db.session.scalar(sa.select(sa.func.count()).select_from(table)):
            raise BackupError(f"the database is not empty (table {table.name} has rows). Restore only into a "
                              f"new database: create it, run `flask db upgrade`, then `flask import`.")


def _row(table: sa.Table, row: dict, number: int) -> dict:
    unknown = set(row) - set(table.columns.keys())
    if unknown:
        raise BackupError(f"line {number}: table {table.name} has no column {sorted(unknown)[0]!r}")
    values = {name: _decode(table.columns[name], value) for name, value in row.items()}
    if table.name == User.__tablename__:
        values.setdefault("password_hash", UNUSABLE_PASSWORD)
        values["session_token"] = new_session_token()
    return values


def _insert(table: sa.Table, rows: list[dict]) -> None:
    db.session.execute(sa.insert(table), rows)


def fix_sequences() -> None:
    """After inserting explicit ids, PostgreSQL's sequences must continue after the largest one."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        name, column = table.name, keys[0].name
        # Names come from our own metadata, never from input.
        sql = (f'SELECT setval(pg_get_serial_sequence(:table, :column), '  # noqa: S608
               f'COALESCE((SELECT MAX("{column}") FROM "{name}"), 0) + 1, false)')
        db.session.execute(sa.text(sql), {"table": name, "column": column})
    db.session.commit()
