"""The coordinators' queue: hub_requests (supplier, created_at), newest first per supplier in any status,
and the same over open requests only (suppliers/hub/indexes.py says why).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 22:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

OPEN = sa.text("status IN ('submitted', 'dispatched', 'partially_received')")


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('hub_requests', schema=None) as batch_op:
        batch_op.create_index('ix_hub_requests_supplier_created_at', ['supplier', 'created_at'], unique=False)
    op.create_index('ix_hub_requests_open_supplier_created_at', 'hub_requests', ['supplier', 'created_at'], unique=False,
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index('ix_hub_requests_open_supplier_created_at', table_name='hub_requests')
    with op.batch_alter_table('hub_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_hub_requests_supplier_created_at')
