"""Match events: a `message` to the two sides, apart from the reviewers' internal `note`.

Until now one `note` column held both a reviewer's internal note and what a side wrote with its answer,
and the match page showed it to both sides once connected. The sides' own words move to `message`; the
reviewers' notes stay in `note`, which from now on only reviewers and admins see.

Revision ID: a14a0b1c2d3e
Revises: cf71ac886865
Create Date: 2026-12-08 03:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14a0b1c2d3e'
down_revision = 'cf71ac886865'
branch_labels = None
depends_on = None

ANSWERS = ('result_interested', 'need_interested', 'result_declined', 'need_declined')
OUTCOMES = ('agree', 'close')
POSTER_ROLES = ('researcher', 'enterprise')


def upgrade():
    with op.batch_alter_table('match_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))

    events = sa.table('match_events', sa.column('action', sa.String), sa.column('actor_id', sa.Integer),
                      sa.column('note', sa.Text), sa.column('message', sa.Text))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('role', sa.String))
    # What a side wrote (its answer, or the outcome it recorded) was always meant for the other side.
    by_a_side = sa.or_(events.c.action.in_(ANSWERS),
                       sa.and_(events.c.action.in_(OUTCOMES),
                               events.c.actor_id.in_(sa.select(users.c.id).where(users.c.role.in_(POSTER_ROLES)))))
    op.execute(events.update().where(by_a_side, events.c.note != '').values(message=events.c.note, note=''))


def downgrade():
    events = sa.table('match_events', sa.column('note', sa.Text), sa.column('message', sa.Text))
    op.execute(events.update().where(events.c.note == '', events.c.message.is_not(None))
               .values(note=events.c.message))
    with op.batch_alter_table('match_events', schema=None) as batch_op:
        batch_op.drop_column('message')
