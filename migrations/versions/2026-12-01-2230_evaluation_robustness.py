"""evaluation robustness: stability, fragile flag and the unit's robustness summary

Revision ID: 3f1c2b7a9d10
Revises: 5b1e0c7a9d42
Create Date: 2026-12-01 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f1c2b7a9d10"
down_revision: str | None = "5b1e0c7a9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stability", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("fragile", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("robustness", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_evaluations_fragile"), ["fragile"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_fragile"))
        batch_op.drop_column("robustness")
        batch_op.drop_column("fragile")
        batch_op.drop_column("stability")
