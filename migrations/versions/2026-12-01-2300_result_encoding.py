"""result_encoding: which canonical encoding each stored result's hash is over

Results stored before this revision were hashed over json.dumps with sorted keys (encoding
1); new ones over orjson with sorted keys (encoding 2), stored as those same bytes.

Revision ID: 5e1f0c2a9b7d
Revises: 1d80733b0d64
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0c2a9b7d"
down_revision: str | None = "1d80733b0d64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("result_encoding", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("result_encoding")
