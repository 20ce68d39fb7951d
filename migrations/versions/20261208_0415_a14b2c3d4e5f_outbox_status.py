"""Outbox mail gets a status: queued, sent, logged (printed on the console only) or failed.

Until now a mail that had only been printed on the console (no MAIL_SERVER) was stamped `sent_at` like one
an SMTP server accepted. Rows that left the outbox without an SMTP attempt were printed, never sent: they
become `logged` and lose their `sent_at`; rows that ran out of attempts become `failed`.

Revision ID: a14b2c3d4e5f
Revises: a14a0b1c2d3e
Create Date: 2026-12-08 04:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a14b2c3d4e5f'
down_revision = 'a14a0b1c2d3e'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 5


def upgrade():
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='queued', nullable=False))
        batch_op.create_index(batch_op.f('ix_outbox_mail_status'), ['status'], unique=False)

    mail = sa.table('outbox_mail', sa.column('status', sa.String), sa.column('sent_at', sa.DateTime),
                    sa.column('attempts', sa.Integer))
    op.execute(mail.update().where(mail.c.sent_at.is_not(None), mail.c.attempts > 0).values(status='sent'))
    op.execute(mail.update().where(mail.c.sent_at.is_not(None), mail.c.attempts == 0)
               .values(status='logged', sent_at=None))
    op.execute(mail.update().where(mail.c.sent_at.is_(None), mail.c.attempts >= MAX_ATTEMPTS)
               .values(status='failed'))


def downgrade():
    mail = sa.table('outbox_mail', sa.column('status', sa.String), sa.column('sent_at', sa.DateTime))
    # The old schema knew only "left the outbox" (sent_at); a printed mail had left it too.
    op.execute(mail.update().where(mail.c.status == 'logged').values(sent_at=sa.func.current_timestamp()))
    with op.batch_alter_table('outbox_mail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_mail_status'))
        batch_op.drop_column('status')
