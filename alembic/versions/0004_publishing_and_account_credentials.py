"""publishing and account credentials

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 11:30:59.692934
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_credential',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('ciphertext', sa.Text(), nullable=False),
    sa.Column('connected_by', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
    sa.Column('connected_at', service.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['official_account.id'], ),
    sa.PrimaryKeyConstraint('account_id')
    )
    op.create_table('publish_target',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'retry', 'published', 'failed', 'deleting', 'deleted', name='targetstatus', native_enum=False, length=32), nullable=False),
    sa.Column('uncertain', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_attempt_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_attempt_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('platform_post_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('published_at', service.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['official_account.id'], ),
    sa.ForeignKeyConstraint(['post_id'], ['post.id'], ),
    sa.PrimaryKeyConstraint('post_id', 'account_id')
    )
    with op.batch_alter_table('publish_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publish_target_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('publish_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publish_target_status'))

    op.drop_table('publish_target')
    op.drop_table('account_credential')
