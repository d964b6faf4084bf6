"""Prefect flows: thin orchestration over `dwt` (one flow per file)."""
