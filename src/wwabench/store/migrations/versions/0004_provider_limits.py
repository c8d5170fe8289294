"""Providers' limits shared by all workers: a cap on concurrent calls kept as slots, and
the cool-down after a 429.

Revision ID: 0004_provider_limits
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_provider_limits"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "provider_limits",
        sa.Column("provider", sa.String(300), primary_key=True),
        sa.Column("max_concurrent", sa.Integer),
        sa.Column("cool_until", sa.DateTime(timezone=True)),
        sa.Column("cooled_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "provider_slots",
        sa.Column(
            "provider",
            sa.String(300),
            sa.ForeignKey("provider_limits.provider", name="fk_provider_slots_provider"),
            primary_key=True,
        ),
        sa.Column("slot", sa.Integer, primary_key=True),
        sa.Column("holder", sa.String(200)),
        sa.Column("expires", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("provider_slots")
    op.drop_table("provider_limits")
