"""stock_documents.client_id and fingerprint: a retried receipt, count or write-off is recorded once.

A client may give a stock document its own UUID (`id` in the request body); a retry with the same
id and body answers the stored document, the same id with another body is refused. The unique
index allows any number of documents without an id (NULL), as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('stock_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_stock_documents_client_id'), ['client_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('stock_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_documents_client_id'))
        batch_op.drop_column('fingerprint')
        batch_op.drop_column('client_id')
