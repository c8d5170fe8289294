"""wwabench: the Works With Agents agent-coding benchmark."""

__version__ = "0.1.0"
