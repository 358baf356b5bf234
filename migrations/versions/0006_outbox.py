"""The shop's outbox and sync state (notes/SYNC.md), and HETs from the hub dated ahead.

`outbox_events`: every change the hub must hear of, with a gapless per-shop seq (gerai.outbox).
`sync_state`: one row, how far the hub took the events and where the shop read the hub's feed to.
`het_changes.pending`: a HET the hub sent with a future effective date, applied when it comes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('outbox_events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('id', name=op.f('uq_outbox_events_id'))
    )
    op.create_table('sync_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('pushed_through', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('pull_cursor', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('last_push_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_pull_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_state'))
    )
    op.execute("INSERT INTO sync_state (id, pushed_through, pull_cursor) VALUES (1, 0, 0)")
    with op.batch_alter_table('het_changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('het_changes', schema=None) as batch_op:
        batch_op.drop_column('pending')
    op.drop_table('sync_state')
    op.drop_table('outbox_events')
