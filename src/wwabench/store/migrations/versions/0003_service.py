"""The service: API keys, who submitted a run, and its encrypted provider credential.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
FK = "fk_runs_submitted_by"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("max_queued", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("submitted_by", sa.Integer))
        runs.add_column(sa.Column("credential", sa.Text))
        runs.add_column(sa.Column("queued", sa.Boolean, nullable=False, server_default=sa.false()))
        runs.create_foreign_key(FK, "api_keys", ["submitted_by"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_constraint(FK, type_="foreignkey")
        runs.drop_column("queued")
        runs.drop_column("credential")
        runs.drop_column("submitted_by")
    op.drop_table("api_keys")
