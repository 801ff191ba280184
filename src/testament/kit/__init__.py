"""Business-agnostic helpers: ids, clocks, signed cursors. Imports nothing else of ours."""
