"""grade-only reviews: a review's final decision may be empty (action 'grade')

Revision ID: dc387d6c7ccc
Revises: ae817286e252
Create Date: 2026-11-21 18:09:24.588882
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "dc387d6c7ccc"
down_revision: str | None = "ae817286e252"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("final_decision", existing_type=sa.VARCHAR(length=16), nullable=True)


def downgrade() -> None:
    # The old schema cannot hold a review without a decision, and would read a grade-only
    # review as the decision in force: grade-only reviews go (their grades with them).
    op.execute("DELETE FROM reviews WHERE final_decision IS NULL")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.alter_column("final_decision", existing_type=sa.VARCHAR(length=16), nullable=False)
