"""delivery after commit: where a post landed; ids never reused on SQLite

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 15:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Every table of 0001, parents before children.
TABLES = [
    'home_publishes', 'processed_events', 'vendors', 'access_items', 'audit_log',
    'call_mentions', 'checkins', 'contacts', 'export_requests', 'offboarding_checklists',
    'outbox', 'recaps', 'response_clocks', 'checkin_answers', 'deadlines', 'offboarding_items',
    'recap_offers', 'recap_revisions', 'change_requests',
]


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('posted_channel', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return  # PostgreSQL sequences never hand out an id twice
    existing = set(sa.inspect(bind).get_table_names())
    for name in TABLES:
        if name not in existing:
            continue
        # A copy of the table declared AUTOINCREMENT (storage.db.upgrade turns foreign key
        # enforcement off around SQLite migrations, as table copies need).
        with op.batch_alter_table(
            name, recreate='always', table_kwargs={'sqlite_autoincrement': True}
        ):
            pass


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('posted_channel')
