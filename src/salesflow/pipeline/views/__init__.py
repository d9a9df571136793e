"""Pages of the pipeline app: the board, the deal page, and moving deals from either."""
