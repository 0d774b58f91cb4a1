"""programme register: each submitter's type and stage per year, and how it got there

Revision ID: 1d80733b0d64
Revises: 1ee28b48c445
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "1d80733b0d64"
down_revision: str | None = "1ee28b48c445"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme_register",
        sa.Column("province_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("since_year", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("decided_year", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("synthetic", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["api_tokens.id"]),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("programme_register", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_register_province_code"), ["province_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_programme_register_year"), ["year"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("programme_register", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_register_year"))
        batch_op.drop_index(batch_op.f("ix_programme_register_province_code"))
    op.drop_table("programme_register")
