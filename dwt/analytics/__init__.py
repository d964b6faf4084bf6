"""Durability analytics over the curated lake (DuckDB views, survival, disclosure control)."""
