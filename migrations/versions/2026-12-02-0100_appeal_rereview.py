"""appeal re-review: what the re-review panel's grades propose, and why an outcome departs

Revision ID: 5b8d2e6f1a43
Revises: 7cae4676e186
Create Date: 2026-12-02 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5b8d2e6f1a43"
down_revision: str | None = "7cae4676e186"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.add_column(
            sa.Column(
                "proposed_decision", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch.add_column(
            sa.Column(
                "proposed_target_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True
            )
        )
        batch.add_column(
            sa.Column("override_reason", sa.Text(), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals") as batch:
        batch.drop_column("override_reason")
        batch.drop_column("proposed_target_type")
        batch.drop_column("proposed_decision")
