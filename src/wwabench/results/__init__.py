"""What the store's runs mean: summaries, the board, comparisons, statistics, item analysis."""
