"""year rubric assignment, run inputs, batch heartbeat

- ``year_rubrics``: which rubric version scores each year. Years that already have a current
  run are assigned the rubric that run used (source ``first_scoring``), so nothing changes.
- ``cohort_run_inputs``: the exact records a run scored, for ``ipeval verify``.
- ``batches.heartbeat_at``: refreshed by a running batch; any process reads its age.

Revision ID: 6e6c8ddd674a
Revises: dc387d6c7ccc
Create Date: 2026-12-01 21:47:13.263132
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "6e6c8ddd674a"
down_revision: str | None = "dc387d6c7ccc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "year_rubrics",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("rubric_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rubric_version", sa.Integer(), nullable=False),
        sa.Column("rubric_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("year"),
    )
    op.create_table(
        "cohort_run_inputs",
        sa.Column("run_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["cohort_runs.id"]),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    # Every year scored so far keeps the rubric its current run used.
    op.execute(
        "INSERT INTO year_rubrics (year, rubric_id, rubric_version, rubric_sha256, source, "
        "batch_id, reason, assigned_at) "
        "SELECT year, rubric_id, rubric_version, rubric_sha256, 'first_scoring', batch_id, "
        "'the rubric of the current run when assignments were introduced', created_at "
        "FROM cohort_runs WHERE status = 'current'"
    )


def downgrade() -> None:
    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
    op.drop_table("cohort_run_inputs")
    op.drop_table("year_rubrics")
