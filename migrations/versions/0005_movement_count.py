"""stock_levels.movement_count: how many movements each product has, kept by the ledger.

The ledger page pages through a product's movements newest first; its total was a count of
them, which at five busy years (9 million rows, tens of thousands for a best seller) read every
one. `inventory.ledger.post_movements` adds to it in the UPDATE of the level it already runs.
Filled here from the movements already recorded.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 20:35:37.152257

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('movement_count', sa.BigInteger(), server_default=sa.text('0'), nullable=False))
    # per product, through the (product_id, id) index
    op.execute("UPDATE stock_levels SET movement_count = (SELECT count(*) FROM stock_movements m "
               "WHERE m.product_id = stock_levels.product_id)")


def downgrade() -> None:
    with op.batch_alter_table('stock_levels', schema=None) as batch_op:
        batch_op.drop_column('movement_count')
