"""Provider adapters: pure I/O. They never import `bot` or `models`."""
