"""Token prices on runs (for cost) and worker leases on episodes (for the service queue).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("price_in", sa.Float))
        runs.add_column(sa.Column("price_out", sa.Float))
    with op.batch_alter_table("episodes") as episodes:
        episodes.add_column(sa.Column("lease_owner", sa.String(100)))
        episodes.add_column(sa.Column("lease_expires", sa.DateTime(timezone=True)))
        # Rows from before this revision have never been leased.
        episodes.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("episodes") as episodes:
        episodes.drop_column("attempts")
        episodes.drop_column("lease_expires")
        episodes.drop_column("lease_owner")
    with op.batch_alter_table("runs") as runs:
        runs.drop_column("price_out")
        runs.drop_column("price_in")
