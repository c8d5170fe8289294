"""Ownership: whose a model's row is, anonymous submissions and the operator's verification.

Models existing before this revision belong to the key that submitted their first run,
or to the operator when the command line made it; bundled local/ models always belong to
the operator (store/owners.py).

Revision ID: 0005_ownership
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_ownership"
down_revision = "0004_provider_limits"
FK = "fk_models_owner_key"
INDEX = "ix_runs_anon_address"

# The key of a model's first run; the same expression in both places of the UPDATE.
_FIRST_SUBMITTER = (
    "(SELECT runs.submitted_by FROM runs WHERE runs.model_id = models.id "
    "ORDER BY runs.created, runs.id LIMIT 1)"
)


def upgrade() -> None:
    with op.batch_alter_table("models") as models:
        models.add_column(
            sa.Column("owner_kind", sa.String(16), nullable=False, server_default="operator")
        )
        models.add_column(sa.Column("owner_key_id", sa.Integer))
        models.add_column(sa.Column("owner_address", sa.String(64)))
        models.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="0"))
        models.create_foreign_key(FK, "api_keys", ["owner_key_id"], ["id"])
    with op.batch_alter_table("runs") as runs:
        runs.add_column(sa.Column("anon_address", sa.String(64)))
        runs.add_column(sa.Column("verified", sa.DateTime(timezone=True)))
        runs.create_index(INDEX, ["anon_address"])
    op.execute(
        f"UPDATE models SET owner_kind = 'key', owner_key_id = {_FIRST_SUBMITTER} "
        f"WHERE spec NOT LIKE 'local/%' AND {_FIRST_SUBMITTER} IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("runs") as runs:
        runs.drop_index(INDEX)
        runs.drop_column("verified")
        runs.drop_column("anon_address")
    with op.batch_alter_table("models") as models:
        models.drop_constraint(FK, type_="foreignkey")
        models.drop_column("revision")
        models.drop_column("owner_address")
        models.drop_column("owner_key_id")
        models.drop_column("owner_kind")
