"""commit_and_keep: a request that shows what it has just written does not read it all back."""

from __future__ import annotations

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import User
from matchmaker.services.transactions import commit_and_keep


def test_a_kept_commit_saves_and_leaves_the_objects_loaded(app, make):
    user_id = make.user("researcher").id
    with app.app_context():
        user = db.session.get(User, user_id)
        user.display_name = "Kept"
        commit_and_keep()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert (user.display_name, user.role) == ("Kept", "researcher")
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert statements == []  # nothing read back
        assert db.session().expire_on_commit  # only that commit kept its objects
        db.session.commit()
        assert "display_name" not in sa.inspect(user).dict  # a plain commit still expires them
        db.session.remove()
        assert db.session.get(User, user_id).display_name == "Kept"  # and the change was saved
