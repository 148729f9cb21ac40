"""findings and scans

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 11:48:18.476280
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('scan_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'finished', 'failed', 'budget_exhausted', 'rate_limited', name='scanstatus', native_enum=False, length=32), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('budget', sa.Integer(), nullable=False),
    sa.Column('started_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retry_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('progress', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('scan_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scan_run_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_scan_run_status'), ['status'], unique=False)

    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.Enum('x', 'facebook', 'instagram', 'youtube', 'tiktok', 'linkedin', 'bluesky', 'threads', name='platform', native_enum=False, length=32), nullable=False),
    sa.Column('account_key', sqlmodel.sql.sqltypes.AutoString(length=220), nullable=False),
    sa.Column('platform_account_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('handle_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('profile_url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sa.Enum('open', 'confirmed_impersonation', 'takedown_requested', 'unofficial_presence', 'dismissed', 'resolved', name='findingstatus', native_enum=False, length=32), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('first_seen', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dismissed_reason', sa.Enum('fan', 'parody', 'unrelated', 'other_institution', 'other', name='dismissreason', native_enum=False, length=32), nullable=True),
    sa.Column('dismissed_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('resolution', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['official_account.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'account_key', name='uq_finding_account')
    )
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_handle_key'), ['handle_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_platform'), ['platform'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_platform_account_id'), ['platform_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_score'), ['score'], unique=False)
        batch_op.create_index(batch_op.f('ix_finding_status'), ['status'], unique=False)

    op.create_table('finding_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('profile', sa.JSON(), nullable=False),
    sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('image_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('image_path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('image_phash', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('snapshot_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('finding_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finding_snapshot_finding_id'), ['finding_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finding_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_snapshot_finding_id'))

    op.drop_table('finding_snapshot')
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finding_status'))
        batch_op.drop_index(batch_op.f('ix_finding_score'))
        batch_op.drop_index(batch_op.f('ix_finding_platform_account_id'))
        batch_op.drop_index(batch_op.f('ix_finding_platform'))
        batch_op.drop_index(batch_op.f('ix_finding_handle_key'))

    op.drop_table('finding')
    with op.batch_alter_table('scan_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scan_run_status'))
        batch_op.drop_index(batch_op.f('ix_scan_run_platform'))

    op.drop_table('scan_run')
