"""corrections: a cancelled deadline's who/when/why; a withdrawn change request's who/when

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-12 10:00:00
"""
from alembic import op
import sqlalchemy as sa

import storage.models.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite alters the tables in place (they keep AUTOINCREMENT).
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('cancelled_at', storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('cancelled_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_by', sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column('withdrawn_at', storage.models.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('change_requests', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('withdrawn_by')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_at')
