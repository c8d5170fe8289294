"""The command line: list the suite, run a model through it, prove the suite."""

from wwabench.cli.running import app

__all__ = ["app"]
