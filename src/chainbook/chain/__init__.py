"""Transactions, blocks, votes, commit certificates and their verification (pure)."""
