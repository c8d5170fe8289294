"""`wwabench validate`: the oracle scores 100 and the null agent 0 on every round and seed."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from wwabench.cli import app

pytestmark = pytest.mark.sandbox


def test_validate_passes_on_the_core_suite() -> None:
    result = CliRunner().invoke(app, ["validate", "--seeds", "3", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "suite valid: 12 tasks x 3 seeds" in result.output
