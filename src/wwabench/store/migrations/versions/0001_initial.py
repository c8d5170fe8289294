"""Runs, models, episodes, check results and transcripts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("spec", sa.String(300), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("created", TZ, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("model_id", sa.Integer, sa.ForeignKey("models.id"), nullable=False),
        sa.Column("suite_version", sa.String(64), nullable=False),
        sa.Column("harness_version", sa.String(32), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("seeds", sa.JSON, nullable=False),
        sa.Column("tasks", sa.JSON, nullable=False),
        sa.Column("sandbox", sa.String(32), nullable=False),
        sa.Column("host", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created", TZ, nullable=False),
        sa.Column("finished", TZ),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("task", sa.String(100), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("seed", sa.Integer, nullable=False),
        sa.Column("trial", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("correctness", sa.Float, nullable=False),
        sa.Column("efficiency", sa.Float, nullable=False),
        sa.Column("solved", sa.Boolean, nullable=False),
        sa.Column("reference_steps", sa.Integer, nullable=False),
        sa.Column("stop", sa.String(32), nullable=False),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("steps", sa.Integer, nullable=False),
        sa.Column("tool_calls", sa.Integer, nullable=False),
        sa.Column("failed_calls", sa.Integer, nullable=False),
        sa.Column("wrong_commands", sa.Integer, nullable=False),
        sa.Column("input_tokens", sa.Integer, nullable=False),
        sa.Column("output_tokens", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("model_seconds", sa.Float, nullable=False),
        sa.Column("retry_seconds", sa.Float, nullable=False),
        sa.Column("tool_seconds", sa.Float, nullable=False),
        sa.Column("turn_kinds", sa.JSON, nullable=False),
        sa.Column("finished", TZ),
        sa.UniqueConstraint("run_id", "task", "seed"),
    )
    op.create_index("ix_episodes_run_id", "episodes", ["run_id"])
    op.create_index("ix_episodes_status", "episodes", ["status"])
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("exit_code", sa.Integer, nullable=False),
        sa.Column("output", sa.Text, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
    )
    op.create_index("ix_check_results_episode_id", "check_results", ["episode_id"])
    op.create_table(
        "transcripts",
        sa.Column("episode_id", sa.Integer, sa.ForeignKey("episodes.id"), primary_key=True),
        sa.Column("jsonl", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("transcripts", "check_results", "episodes", "runs", "models"):
        op.drop_table(table)
