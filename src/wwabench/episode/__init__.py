"""One episode: the agent loop and its tools, the hidden checks, the score, the transcript."""
