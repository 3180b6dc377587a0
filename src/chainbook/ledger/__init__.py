"""The replicated state machine: state, block execution, receipts (pure)."""
