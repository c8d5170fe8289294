"""`python -m wwabench.cli`."""

from wwabench.cli import app

app()
