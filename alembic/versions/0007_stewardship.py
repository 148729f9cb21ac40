"""stewardship: authorization history, approval routes, reports, activity, escalation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 14:14:02.954649
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_authorization',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('review_due', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['official_account.id'], ),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_authorization', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_authorization_account_id'), ['account_id'], unique=False)

    op.create_table('approval_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('user_ids', sa.JSON(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['official_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'position', name='uq_approval_step')
    )
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_step_account_id'), ['account_id'], unique=False)

    op.create_table('finding_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('profile_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('contact_email', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('screenshot_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('screenshot_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('client_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.ForeignKeyConstraint(['reporter_id'], ['user_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('finding_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_report_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('official_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_activity_at', service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('activity_checked_at', service.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escalated_at', service.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('approval_expires_at', service.db.UTCDateTime(timezone=True), nullable=True))

    # Accounts authorized before this history existed get their first record.
    op.execute(
        "INSERT INTO account_authorization (account_id, kind, actor_id, at, review_due, reason) "
        "SELECT id, 'authorized', authorized_by_id, authorized_at, review_due, '' "
        "FROM official_account WHERE authorized_at IS NOT NULL AND review_due IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('approval_expires_at')
        batch_op.drop_column('escalated_at')

    with op.batch_alter_table('official_account', schema=None) as batch_op:
        batch_op.drop_column('activity_checked_at')
        batch_op.drop_column('last_activity_at')

    with op.batch_alter_table('finding_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_report_finding_id'))

    op.drop_table('finding_report')
    with op.batch_alter_table('approval_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_step_account_id'))

    op.drop_table('approval_step')
    with op.batch_alter_table('account_authorization', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_authorization_account_id'))

    op.drop_table('account_authorization')
