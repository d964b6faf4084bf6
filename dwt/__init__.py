"""Duurzaam Werk(t): the study data pipeline (ingest, validation, pseudonyms, durability)."""

__version__ = "0.1.0"
