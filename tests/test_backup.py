"""`flask export` / `flask import`: a JSON-lines backup that restores into an empty database, ids kept."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Match, MatchEvent, Notification, Organisation, OutboxMail, User
from matchmaker.services.seed import ensure_universities


@pytest.fixture
def populated(app, make):
    researcher, enterprise = make.user("researcher"), make.user("enterprise")
    reviewer = make.user("reviewer")
    result_id = make.result(researcher, title="石墨烯導熱膜", keywords=["石墨烯", "graphene"])
    need_id = make.need(enterprise, confidential=True)
    make.result(researcher, status="draft", title="A draft")
    with app.app_context():
        match = Match(
            result_id=result_id,
            need_id=need_id,
            score=0.8123456789,
            rank=1,
            engine_version="t",
            explanation=[{"feature": "graphen", "share": 0.5}],
            state="introduced",
            reviewer_id=reviewer.id,
        )
        db.session.add(match)
        db.session.add(
            MatchEvent(
                match=match,
                actor_id=reviewer.id,
                from_state="suggested",
                to_state="introduced",
                action="approve",
                note="好配對",
            )
        )
        db.session.flush()
        db.session.add(
            Notification(user_id=researcher.id, kind="introduced", match_id=match.id, params={"n": 1})
        )
        db.session.add(OutboxMail(to_email=researcher.email, subject="Introduced", body="…"))
        db.session.commit()
    return {"researcher": researcher, "enterprise": enterprise}


def fresh_database(app) -> None:
    """What `flask db upgrade` leaves: the tables and the pre-loaded universities, nothing else."""
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.create_all()
        ensure_universities()
        db.session.commit()


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


def test_export_import_export_is_identical(app, runner, populated, tmp_path):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    result = runner.invoke(args=["export", str(first)])
    assert result.exit_code == 0, result.output
    before = counts(app)
    fresh_database(app)
    result = runner.invoke(args=["import", str(first)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["export", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    after = counts(app)
    assert after == before and after["matches"] == 1 and after["notifications"] == 1
    tables = {json.loads(line).get("table") for line in first.read_text(encoding="utf-8").splitlines()[1:]}
    assert {
        "organisations",
        "users",
        "research_results",
        "enterprise_needs",
        "matches",
        "match_events",
        "notifications",
    } <= tables


def test_ids_and_values_survive_and_sequences_continue(app, runner, populated, tmp_path):
    path = tmp_path / "backup.jsonl.gz"
    runner.invoke(args=["export", str(path)])
    with app.app_context():
        match = db.session.scalar(sa.select(Match))
        expected = (match.id, match.result_id, match.need_id, match.score, match.explanation, match.state)
        max_org = db.session.scalar(sa.select(sa.func.max(Organisation.id)))
    fresh_database(app)
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    with app.app_context():
        match = db.session.scalar(sa.select(Match))
        assert (
            match.id,
            match.result_id,
            match.need_id,
            match.score,
            match.explanation,
            match.state,
        ) == expected
        assert match.events[0].note == "好配對"
        company = Organisation(kind="enterprise", name_en="After restore", region="zhuhai")
        db.session.add(company)
        db.session.commit()  # on PostgreSQL this fails unless the sequences were moved past the ids
        assert company.id == max_org + 1


def test_password_hashes_only_when_asked(app, client, auth, runner, populated, tmp_path):
    plain, secret = tmp_path / "plain.jsonl", tmp_path / "secret.jsonl"
    runner.invoke(args=["export", str(plain)])
    runner.invoke(args=["export", "--with-password-hashes", str(secret)])
    assert "password_hash" not in plain.read_text(encoding="utf-8")
    assert "pbkdf2:" in secret.read_text(encoding="utf-8")
    for text in (plain.read_text(encoding="utf-8"), secret.read_text(encoding="utf-8")):
        assert "session_token" not in text
    email = populated["researcher"].email

    fresh_database(app)
    assert runner.invoke(args=["import", str(plain)]).exit_code == 0
    assert auth.login(email).status_code != 302  # no password came back: the account must be reset
    fresh_database(app)
    assert runner.invoke(args=["import", str(secret)]).exit_code == 0
    assert auth.login(email).status_code == 302


def test_import_refuses_a_database_that_is_not_empty(app, runner, populated, tmp_path):
    path = tmp_path / "backup.jsonl"
    runner.invoke(args=["export", str(path)])
    before = counts(app)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert counts(app) == before


def test_import_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path):
    path = tmp_path / "other.jsonl"
    path.write_text('{"hello": "world"}\n', encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "not a Matchmaker backup" in result.output


def test_a_broken_backup_writes_nothing(app, runner, populated, tmp_path):
    path = tmp_path / "backup.jsonl"
    runner.invoke(args=["export", str(path)])
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join(lines[:-1] + ['{"table": "matches", "row": {"no_such_column": 1}}']) + "\n",
        encoding="utf-8",
    )
    fresh_database(app)
    before = counts(app)
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code != 0 and "no_such_column" in result.output
    assert counts(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
