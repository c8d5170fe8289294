"""`python -m wwabench.cli`."""

from wwabench.cli import main

main()
