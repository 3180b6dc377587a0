"""Application modules: one package per use case (see apps/registry.py)."""
