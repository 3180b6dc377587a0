"""The node core: everything a node decides, as inputs and outputs (no IO)."""
